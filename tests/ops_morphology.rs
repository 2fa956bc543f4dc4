//! `Dilation2D` and its backprops through the Rust API: values against the definition,
//! and the first derivative against central finite differences (the Python suite covers
//! erosion, dtypes, errors and TF's graphs).

mod common;

use common::{f64_value, pattern, Checker};
use symgrad::exec::Session;
use symgrad::ops::morphology::{self, Window};
use symgrad::ops::{source, unary};
use symgrad::{DType, Graph, Shape, Tensor};

fn window(same: bool) -> Window {
    Window {
        strides: [1, 2],
        rates: [2, 1],
        same,
    }
}

#[test]
fn valid_dilation_is_the_windowed_maximum() {
    let g = Graph::new();
    // input [1, 5, 4, 1], filter [2, 2, 1]; rows step by the rate 2, columns by stride 2.
    let x: Vec<f64> = pattern(20, 1);
    let f: Vec<f64> = pattern(4, 2);
    let xt = source::const_value(&g, f64_value(&[1, 5, 4, 1], x.clone()), None).expect("x");
    let ft = source::const_value(&g, f64_value(&[2, 2, 1], f.clone()), None).expect("f");
    let y = morphology::dilation2d(&g, xt, ft, window(false)).expect("dilation");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[1, 3, 2, 1]));
    let out = Session::new(&g).run(&[y], &[]).expect("run").remove(0);
    let got = out.to_f64_vec();
    for r in 0..3 {
        for c in 0..2 {
            let mut want = f64::NEG_INFINITY;
            for i in 0..2 {
                for j in 0..2 {
                    want = want.max(x[(r + 2 * i) * 4 + 2 * c + j] + f[i * 2 + j]);
                }
            }
            assert_eq!(got[r * 2 + c], want);
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    // Distinct, well separated values keep each maximum strict under the step.
    let x: Vec<f64> = (0..30).map(|k| ((k * 17) % 30) as f64 * 0.1).collect();
    let g = Graph::new();
    let xp = source::placeholder(&g, DType::F64, Shape::known(&[1, 5, 6, 1]), Some("x"))
        .expect("placeholder");
    let ft: Tensor = source::const_value(
        &g,
        f64_value(&[2, 3, 1], vec![0.01, 0.02, 0.03, 0.04, 0.05, 0.06]),
        None,
    )
    .expect("f");
    let y = morphology::dilation2d(&g, xp, ft, window(true)).expect("dilation");
    let y = unary::sin(&g, y).expect("sin");
    let mut checker = Checker::new(&g, xp, y);
    checker.second_order = false;
    checker.step = 1e-5;
    checker.check(&f64_value(&[1, 5, 6, 1], x));
}
