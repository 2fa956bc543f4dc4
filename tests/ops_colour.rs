//! The colour ops and `ListDiff` through the public Rust API: per-pixel values against
//! closed forms, `RGBToHSV`'s first and second derivatives against central differences,
//! and TF's build-time and run-time errors.

mod common;

use common::{check_fn, f64_value, konst, op};
use symgrad::exec::Session;
use symgrad::ops::colour::{colour, ColourOp};
use symgrad::ops::reduce;
use symgrad::{Attrs, Error, Graph, Shape, Value};

fn run(g: &Graph, t: symgrad::Tensor) -> Vec<f64> {
    Session::new(g)
        .run(&[t], &[])
        .expect("run")
        .remove(0)
        .to_f64_vec()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol, "{a:?} vs {b:?}");
    }
}

#[test]
fn hsv_values_and_round_trip() {
    let g = Graph::new();
    // Red largest, green largest, blue largest, grey, black.
    let pixels = vec![
        0.8, 0.2, 0.4, 0.1, 0.6, 0.3, 0.2, 0.1, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0,
    ];
    let x = konst(&g, f64_value(&[5, 3], pixels.clone()));
    let hsv = colour(&g, ColourOp::RgbToHsv, &[x]).expect("hsv");
    let back = colour(&g, ColourOp::HsvToRgb, &[hsv]).expect("rgb");
    let h = |p: &[f64]| {
        let (v, m) = (
            p.iter().cloned().fold(0.0, f64::max),
            p.iter().cloned().fold(1.0, f64::min),
        );
        (v, m, v - m)
    };
    let (v0, _, r0) = h(&pixels[0..3]);
    let expected_first = [(0.2 - 0.4) / (6.0 * r0) + 1.0, r0 / v0, v0];
    let got = run(&g, hsv);
    close(&got[0..3], &expected_first, 1e-12);
    // Green largest: hue (b - r) / (6 range) + 1/3.
    close(&got[3..4], &[(0.3 - 0.1) / (6.0 * 0.5) + 1.0 / 3.0], 1e-12);
    // Grey and black: hue and saturation 0.
    close(&got[9..15], &[0.0, 0.0, 0.5, 0.0, 0.0, 0.0], 0.0);
    close(&run(&g, back), &pixels, 1e-12);
}

#[test]
fn hue_and_saturation_adjustments() {
    let g = Graph::new();
    let img = Value::from_vec(&[1, 1, 2, 3], vec![0.9f32, 0.3, 0.3, 0.4, 0.4, 0.4]).expect("img");
    let x = konst(&g, img);
    let turn = |d: f32| {
        let delta = konst(&g, Value::from_vec(&[], vec![d]).expect("delta"));
        colour(&g, ColourOp::AdjustHue, &[x, delta]).expect("hue")
    };
    // A third of a turn moves pure-ish red to green; a whole turn changes nothing.
    close(&run(&g, turn(1.0 / 3.0))[0..3], &[0.3, 0.9, 0.3], 1e-6);
    close(&run(&g, turn(1.0)), &[0.9, 0.3, 0.3, 0.4, 0.4, 0.4], 1e-6);
    let scale = konst(&g, Value::from_vec(&[], vec![0.5f32]).expect("scale"));
    let sat = colour(&g, ColourOp::AdjustSaturation, &[x, scale]).expect("sat");
    // Saturation 2/3 halved to 1/3: the smaller channels rise to 0.9 * 2/3.
    close(&run(&g, sat), &[0.9, 0.6, 0.6, 0.4, 0.4, 0.4], 1e-6);
}

#[test]
fn rgb_to_hsv_gradient_matches_central_differences() {
    let value = f64_value(
        &[4, 3],
        vec![0.8, 0.2, 0.4, 0.1, 0.6, 0.3, 0.2, 0.1, 0.5, 0.7, 0.35, 0.6],
    );
    check_fn(Shape::known(&[4, 3]), &value, |g, x| {
        let hsv = colour(g, ColourOp::RgbToHsv, &[x]).expect("hsv");
        let w = konst(
            g,
            f64_value(&[4, 3], (0..12).map(|i| 0.3 + 0.1 * i as f64).collect()),
        );
        let weighted =
            symgrad::ops::binary::gen_binary(g, symgrad::ops::binary::BinaryOp::Mul, hsv, w)
                .expect("mul");
        reduce::sum_all(g, weighted).expect("sum")
    });
}

#[test]
fn colour_errors() {
    let g = Graph::new();
    let four = konst(&g, f64_value(&[2, 4], vec![0.0; 8]));
    let err = colour(&g, ColourOp::RgbToHsv, &[four]).expect_err("4 channels");
    assert!(
        err.to_string().contains("Dimension must be 3 but is 4"),
        "{err}"
    );
    let ints = konst(&g, Value::from_vec(&[3], vec![1i32, 2, 3]).expect("ints"));
    let err = colour(&g, ColourOp::HsvToRgb, &[ints]).expect_err("int32");
    assert!(
        err.to_string().contains("not in list of allowed values"),
        "{err}"
    );
    let flat = konst(
        &g,
        Value::from_vec(&[3], vec![0.1f32, 0.2, 0.3]).expect("flat"),
    );
    let delta = konst(&g, Value::from_vec(&[], vec![0.1f32]).expect("delta"));
    let err = colour(&g, ColourOp::AdjustHue, &[flat, delta]).expect_err("rank 1");
    assert!(err.to_string().contains("at least rank 3"), "{err}");
}

#[test]
fn list_diff_keeps_order_and_positions() {
    let g = Graph::new();
    let x = konst(
        &g,
        Value::from_vec(&[6], vec![1i64, 5, 3, 5, 7, 9]).expect("x"),
    );
    let y = konst(&g, Value::from_vec(&[3], vec![5i64, 9, 2]).expect("y"));
    let attrs = Attrs::new().with("out_idx", symgrad::AttrValue::Type(symgrad::DType::I64));
    let node = g
        .add_op_def("ListDiff", &[x, y], &attrs, None)
        .expect("ListDiff");
    let out = Session::new(&g)
        .run(&[node.output(0), node.output(1)], &[])
        .expect("run");
    assert_eq!(out[0].to_f64_vec(), vec![1.0, 3.0, 7.0]);
    assert_eq!(out[1].to_f64_vec(), vec![0.0, 2.0, 4.0]);
    assert_eq!(out[1].dtype(), symgrad::DType::I64);
    let matrix = konst(&g, Value::from_vec(&[1, 1], vec![1i64]).expect("m"));
    let err = op(&g, "ListDiff", &[matrix, y], Attrs::new()).expect_err("rank 2");
    assert!(
        err.to_string()
            .contains("Shape must be rank 1 but is rank 2"),
        "{err}"
    );
    let floats = konst(&g, f64_value(&[2], vec![1.0, 2.0]));
    let err = op(&g, "ListDiff", &[floats, y], Attrs::new()).expect_err("types");
    assert!(matches!(err, Error::Type { .. }), "{err}");
}
