//! The functional `While` op from Rust: a loop built from sub-graphs, run for many
//! iterations without recursion, and its gradient (first and second order) checked against
//! finite differences.

mod common;

use common::{check_gradient, f64_value, placeholder};
use symgrad::exec::Session;
use symgrad::ops::binary::{binary, BinaryOp};
use symgrad::ops::source;
use symgrad::ops::while_loop::{while_loop, LoopFn, WhileSpec};
use symgrad::{DType, Graph, Shape, Tensor};

/// `(i, p) -> (i + 1, p * x)` while `i < n`: `p * x**n`, with `x` captured as a loop
/// variable the body passes through.
fn power_loop(g: &Graph, n: Tensor, p0: Tensor, x: Tensor) -> Vec<Tensor> {
    let i0 = source::scalar_const(g, DType::I32, 0.0, None, None).expect("i0");
    let like = [i0, n, p0, x];
    let args = |g: &Graph| -> Vec<Tensor> {
        like.iter()
            .map(|t| {
                let m = g.meta(*t).expect("meta");
                source::placeholder(g, m.dtype, m.shape, Some("placeholder")).expect("arg")
            })
            .collect()
    };
    let cond_args = args(g);
    let pred = binary(g, BinaryOp::Less, cond_args[0], cond_args[1], None).expect("less");
    let body_args = args(g);
    let one = source::scalar_const(g, DType::I32, 1.0, None, None).expect("one");
    let next_i = binary(g, BinaryOp::AddV2, body_args[0], one, None).expect("add");
    let next_p = binary(g, BinaryOp::Mul, body_args[2], body_args[3], None).expect("mul");
    let outputs = vec![next_i, body_args[1], next_p, body_args[3]];
    let op = while_loop(
        g,
        WhileSpec {
            inputs: &like,
            cond: LoopFn {
                name: "power_cond".into(),
                args: cond_args,
                outputs: vec![pred],
            },
            body: LoopFn {
                name: "power_body".into(),
                args: body_args,
                outputs,
            },
            output_shapes: None,
            parallel_iterations: 10,
            collected: 0,
            name: Some("power"),
        },
    )
    .expect("while");
    (0..4).map(|i| op.output(i)).collect()
}

#[test]
fn hundred_thousand_iterations_run() {
    let g = Graph::new();
    let n = source::scalar_const(&g, DType::I32, 100_000.0, None, None).expect("n");
    let p0 = source::scalar_const(&g, DType::F64, 0.0, None, None).expect("p0");
    let x = source::scalar_const(&g, DType::F64, 1.0, None, None).expect("x");
    let outs = power_loop(&g, n, p0, x);
    assert_eq!(
        g.read().node(outs[0].node).map(|n| n.type_name()),
        Some("StatelessWhile")
    );
    let s = Session::new(&g);
    let v = s.run(&[outs[0]], &[]).expect("run");
    assert_eq!(v[0].to_i64_vec().expect("ints"), vec![100_000]);
}

#[test]
fn gradient_of_power_loop_matches_finite_differences() {
    let g = Graph::new();
    let n = source::scalar_const(&g, DType::I32, 3.0, None, None).expect("n");
    let x = placeholder(&g, Shape::known(&[3]));
    let p0 = binary(&g, BinaryOp::Mul, x, x, None).expect("p0");
    let outs = power_loop(&g, n, p0, x);
    // p = x**2 * x**3 = x**5, through both the initial value and the captured x.
    check_gradient(&g, x, outs[2], &f64_value(&[3], vec![0.7, -1.1, 1.3]), 1e-6);
}

#[test]
fn zero_iterations_pass_values_and_gradients_through() {
    let g = Graph::new();
    let n = source::scalar_const(&g, DType::I32, 0.0, None, None).expect("n");
    let x = placeholder(&g, Shape::known(&[2]));
    let outs = power_loop(&g, n, x, x);
    let s = Session::new(&g);
    let v = s
        .run(&[outs[2]], &[(x, f64_value(&[2], vec![2.0, 3.0]))])
        .expect("run");
    assert_eq!(v[0].to_f64_vec(), vec![2.0, 3.0]);
    check_gradient(&g, x, outs[2], &f64_value(&[2], vec![2.0, 3.0]), 1e-6);
}
