//! `DivNoNan` (TF's safe division behind `tf.math.divide_no_nan` and `tf.losses`): forward
//! values where the divisor is zero, dtype rejection, and `_DivNoNanGrad`'s values, which stay
//! finite at a zero divisor where RealDiv's would be infinite.

mod common;

use common::f64_value;
use symgrad::exec::Session;
use symgrad::ops::{binary, reduce, source, BinaryOp};
use symgrad::{gradients, DType, Error, GradientOptions, Graph, Shape, Value};

#[test]
fn zero_divisor_gives_zero_and_nan_divisor_stays_nan() {
    for dtype in [DType::F32, DType::F64] {
        let g = Graph::new();
        let x = source::const_value(
            &g,
            f64_value(&[5], vec![1.0, 0.0, f64::INFINITY, 3.0, -6.0]).cast(dtype),
            None,
        )
        .unwrap();
        let y = source::const_value(
            &g,
            f64_value(&[5], vec![0.0, 0.0, 0.0, f64::NAN, 4.0]).cast(dtype),
            None,
        )
        .unwrap();
        let z = binary::binary(&g, BinaryOp::DivNoNan, x, y, None).unwrap();
        let types: Vec<String> = g
            .read()
            .nodes()
            .iter()
            .map(|n| n.type_name().to_string())
            .collect();
        assert_eq!(types.last().map(String::as_str), Some("DivNoNan"));
        let got = Session::new(&g).run(&[z], &[]).unwrap()[0].to_f64_vec();
        assert_eq!(got[..3], [0.0, 0.0, 0.0], "{dtype:?}");
        assert!(got[3].is_nan(), "{dtype:?}: x / NaN is NaN");
        assert_eq!(got[4], -1.5, "{dtype:?}");
    }
}

#[test]
fn integer_operands_are_rejected_at_build_time() {
    let g = Graph::new();
    let x = source::const_value(&g, Value::full(DType::I32, &[2], 1.0), None).unwrap();
    let r = binary::binary(&g, BinaryOp::DivNoNan, x, x, None);
    assert!(matches!(r, Err(Error::Type { .. })), "{r:?}");
}

#[test]
fn gradient_is_tfs_div_no_nan_grad_with_broadcasting() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[2, 2]), Some("x")).unwrap();
    let y = source::placeholder(&g, DType::F64, Shape::known(&[2, 1]), Some("y")).unwrap();
    let z = binary::binary(&g, BinaryOp::DivNoNan, x, y, None).unwrap();
    let loss = reduce::sum_all(&g, z).unwrap();
    let d = gradients(&g, &[loss], &[x, y], &GradientOptions::default()).unwrap();
    let dx = symgrad::grad::densify(&g, d[0].expect("dx")).unwrap();
    let dy = symgrad::grad::densify(&g, d[1].expect("dy")).unwrap();
    let feeds = [
        (x, f64_value(&[2, 2], vec![1.0, -3.0, 5.0, 7.0])),
        (y, f64_value(&[2, 1], vec![2.0, 0.0])),
    ];
    let out = Session::new(&g).run(&[dx, dy], &feeds).unwrap();
    // d/dx = 1/y where y != 0; d/dy = sum over the row of -x/y^2, 0 at y == 0.
    assert_eq!(out[0].to_f64_vec(), vec![0.5, 0.5, 0.0, 0.0]);
    assert_eq!(out[1].to_f64_vec(), vec![0.5, 0.0]);
    assert_eq!(out[1].shape(), &[2, 1]);
}
