//! `TridiagonalSolve` and `TridiagonalMatMul` through the Rust API: values against a dense
//! reference, the singular case, and first and second derivatives against central finite
//! differences (the Python suite covers formats, dtypes and TF's graphs).

mod common;

use common::{check_fn, f64_value, pattern};
use symgrad::exec::Session;
use symgrad::ops::{source, tridiagonal, unary};
use symgrad::{Graph, Shape, Tensor, Value};

const M: usize = 5;

/// Compact diagonals `[3, M]`, diagonally dominant so that every algorithm applies.
fn diagonals() -> Vec<f64> {
    let mut d = pattern(3 * M, 7);
    for v in &mut d[M..2 * M] {
        *v += 4.0 * v.signum();
    }
    d
}

/// `A · x` for compact diagonals `d` and a column `x`.
fn apply(d: &[f64], x: &[f64]) -> Vec<f64> {
    (0..M)
        .map(|i| {
            let mut v = d[M + i] * x[i];
            if i > 0 {
                v += d[2 * M + i] * x[i - 1];
            }
            if i + 1 < M {
                v += d[i] * x[i + 1];
            }
            v
        })
        .collect()
}

fn constant(g: &Graph, shape: &[usize], data: Vec<f64>) -> Tensor {
    source::const_value(g, f64_value(shape, data), None).expect("const")
}

#[test]
fn solve_inverts_matmul_with_and_without_pivoting() {
    let d = diagonals();
    let rhs = pattern(M, 3);
    for pivoting in [true, false] {
        let g = Graph::new();
        let dt = constant(&g, &[3, M], d.clone());
        let rt = constant(&g, &[M, 1], rhs.clone());
        let x = tridiagonal::tridiagonal_solve(&g, dt, rt, pivoting, false).expect("solve");
        let rows: Vec<Tensor> = (0..3)
            .map(|k| constant(&g, &[1, M], d[k * M..(k + 1) * M].to_vec()))
            .collect();
        let back =
            tridiagonal::tridiagonal_matmul(&g, rows[0], rows[1], rows[2], x).expect("matmul");
        let out = Session::new(&g).run(&[x, back], &[]).expect("run");
        let xv = out[0].to_f64_vec();
        for (got, want) in apply(&d, &xv).iter().zip(&rhs) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
        for (got, want) in out[1].to_f64_vec().iter().zip(&rhs) {
            assert!((got - want).abs() < 1e-12, "{got} against {want}");
        }
    }
}

#[test]
fn a_singular_system_gives_nans() {
    let g = Graph::new();
    // The diagonal and the subdiagonal are zero: the first column is zero.
    let mut d = diagonals();
    for v in &mut d[M..] {
        *v = 0.0;
    }
    let dt = constant(&g, &[3, M], d);
    let rt = constant(&g, &[M, 1], vec![1.0; M]);
    let x = tridiagonal::tridiagonal_solve(&g, dt, rt, true, false).expect("solve");
    let out = Session::new(&g).run(&[x], &[]).expect("run");
    assert!(out[0].to_f64_vec().iter().all(|v| v.is_nan()));
    let bad = tridiagonal::tridiagonal_solve(&g, dt, rt, false, true).expect("build");
    assert!(Session::new(&g).run(&[bad], &[]).is_err());
}

#[test]
fn gradients_match_finite_differences() {
    let d = Value::from_vec(&[3, M], diagonals()).expect("value");
    let rhs = pattern(M * 2, 5);
    let solve_in_d = move |g: &Graph, x: Tensor| {
        let r = constant(g, &[M, 2], rhs.clone());
        let s = tridiagonal::tridiagonal_solve(g, x, r, true, false).expect("solve");
        unary::sin(g, s).expect("sin")
    };
    check_fn(Shape::known(&[3, M]), &d, solve_in_d);
    let r = Value::from_vec(&[M, 2], pattern(M * 2, 9)).expect("value");
    let diag = diagonals();
    let matmul_in_rhs = move |g: &Graph, x: Tensor| {
        let rows: Vec<Tensor> = (0..3)
            .map(|k| constant(g, &[1, M], diag[k * M..(k + 1) * M].to_vec()))
            .collect();
        let y = tridiagonal::tridiagonal_matmul(g, rows[0], rows[1], rows[2], x).expect("mm");
        unary::sin(g, y).expect("sin")
    };
    check_fn(Shape::known(&[M, 2]), &r, matmul_in_rhs);
}
