//! The Rust quick start from docs/api.md ("For Rust users"): build a graph, differentiate it,
//! run it. Built by `cargo build --examples` (and by `cargo test`), run with
//! `cargo run --example rust_quickstart`. Keep it identical to the copy in docs/api.md.

use symgrad::exec::Session;
use symgrad::{gradients, hessians, ops, DType, GradientOptions, Graph, Shape, Value};

fn main() -> symgrad::Result<()> {
    // Build: y = sum(sin(x) * x) for a float64 placeholder x of shape [3].
    let g = Graph::new();
    let x = ops::source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x"))?;
    let sin_x = ops::unary::sin(&g, x)?;
    let prod = ops::binary::mul(&g, sin_x, x)?;
    let y = ops::reduce::sum(&g, prod, &[0], false)?;

    // Differentiate: dy/dx = sin(x) + x cos(x), and the 3x3 Hessian.
    let opts = GradientOptions::default();
    let dy = gradients(&g, &[y], &[x], &opts)?;
    let dx = symgrad::grad::densify(&g, dy[0].expect("x is connected to y"))?;
    let h = hessians(&g, &[y], &[x], &opts)?[0];

    // Run: feed x, fetch y, dy/dx and the Hessian.
    let sess = Session::new(&g);
    let feed = Value::from_vec(&[3], vec![0.0f64, 1.0, 2.0])?;
    let out = sess.run(&[y, dx, h], &[(x, feed)])?;
    println!("y       = {:?}", out[0].to_f64_vec());
    println!("dy/dx   = {:?}", out[1].to_f64_vec());
    println!(
        "hessian = {:?} (shape {:?})",
        out[2].to_f64_vec(),
        out[2].shape()
    );

    let expected = 1f64.sin() + 1f64.cos();
    assert!((out[1].to_f64_vec()[1] - expected).abs() < 1e-12);
    Ok(())
}
