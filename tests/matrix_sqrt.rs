//! `MatrixSquareRoot` through the Rust API (`Graph::add_op_def`): the root of a general, a
//! symmetric singular and a triangular matrix squares back, and a negative eigenvalue gives
//! NaNs (the Python suite checks the principal root, dtypes, TF's values and gradients).

mod common;

use common::f64_value;
use symgrad::attr::Attrs;
use symgrad::exec::Session;
use symgrad::ops::source;
use symgrad::Graph;

fn sqrtm(a: &[f64], n: usize) -> Vec<f64> {
    let g = Graph::new();
    let x = source::const_value(&g, f64_value(&[n, n], a.to_vec()), None).expect("const");
    let root = g
        .add_op_def("MatrixSquareRoot", &[x], &Attrs::new(), None)
        .expect("op")
        .output(0);
    Session::new(&g)
        .run(&[root], &[])
        .expect("run")
        .remove(0)
        .to_f64_vec()
}

fn squared(r: &[f64], n: usize) -> Vec<f64> {
    (0..n * n)
        .map(|k| (0..n).map(|m| r[(k / n) * n + m] * r[m * n + k % n]).sum())
        .collect()
}

#[test]
fn roots_square_back() {
    let general = [4.0, 1.0, 0.5, -1.0, 3.0, 0.2, 0.3, 0.1, 2.0];
    let singular_symmetric = [1.0, 2.0, 0.0, 2.0, 4.0, 0.0, 0.0, 0.0, 0.0];
    let triangular = [9.0, 1.0, 2.0, 0.0, 4.0, 3.0, 0.0, 0.0, 1.0];
    for a in [general, singular_symmetric, triangular] {
        let r = sqrtm(&a, 3);
        for (got, want) in squared(&r, 3).iter().zip(&a) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
    }
}

#[test]
fn a_negative_eigenvalue_gives_nans() {
    assert!(sqrtm(&[-2.0, 1.0, 1.0, -3.0], 2).iter().all(|v| v.is_nan()));
}
