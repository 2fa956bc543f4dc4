//! The nn family and the math added with it (Erf, Atan2, Any, All): forward values against
//! closed forms, build-time rejection of bad dtypes and shapes, run-time errors, and first
//! and second derivatives against central finite differences (tests/common).

mod common;

use common::{check_fn, f64_value, pattern, Checker};
use symgrad::exec::Session;
use symgrad::ops::nn::{self, NnOp};
use symgrad::ops::{array, binary, reduce, source, unary, OpKind, ReduceOp};
use symgrad::{DType, Error, Graph, Shape, Tensor, Value};

fn konst(g: &Graph, v: Value) -> Tensor {
    source::const_value(g, v, None).expect("const")
}

fn run1(g: &Graph, t: Tensor) -> symgrad::Result<Value> {
    Ok(Session::new(g).run(&[t], &[])?.remove(0))
}

fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: got {a}, want {b}"
        );
    }
}

fn xs(n: usize, scale: f64) -> Vec<f64> {
    pattern(n, 5).into_iter().map(|v| v * scale).collect()
}

fn s(dims: &[usize]) -> Shape {
    Shape::known(dims)
}

/// The value of `f` applied to a constant, as f64s, for f32 and f64 inputs.
fn forward(
    dtype: DType,
    shape: &[usize],
    data: &[f64],
    f: impl Fn(&Graph, Tensor) -> Tensor,
) -> Vec<f64> {
    let g = Graph::new();
    let x = konst(&g, f64_value(shape, data.to_vec()).cast(dtype));
    let y = f(&g, x);
    let v = run1(&g, y).expect("run");
    assert_eq!(v.dtype(), dtype);
    v.to_f64_vec()
}

fn nn_op(g: &Graph, op: NnOp, inputs: &[Tensor]) -> symgrad::Result<Tensor> {
    g.add1(OpKind::Nn(op), inputs, None)
}

const SELU_A: f64 = 1.6732632423543772848170429916717;
const SELU_S: f64 = 1.0507009873554804934193349852946;

#[test]
fn activations_forward() {
    let data = [-7.0, -1.5, -0.25, 0.0, 0.5, 3.0, 6.5, 8.0];
    for dtype in [DType::F32, DType::F64] {
        let tol = if dtype == DType::F32 { 1e-6 } else { 1e-12 };
        let got = forward(dtype, &[8], &data, |g, x| nn::relu6(g, x).unwrap());
        close("relu6", &got, &data.map(|v: f64| v.clamp(0.0, 6.0)), tol);
        let got = forward(dtype, &[8], &data, |g, x| nn::elu(g, x).unwrap());
        close(
            "elu",
            &got,
            &data.map(|v: f64| if v < 0.0 { v.exp() - 1.0 } else { v }),
            tol,
        );
        let got = forward(dtype, &[8], &data, |g, x| nn::selu(g, x).unwrap());
        let want = data.map(|v: f64| {
            if v < 0.0 {
                SELU_S * SELU_A * (v.exp() - 1.0)
            } else {
                SELU_S * v
            }
        });
        close("selu", &got, &want, tol);
        let got = forward(dtype, &[8], &data, |g, x| {
            nn::leaky_relu(g, x, 0.3).unwrap()
        });
        close(
            "leaky_relu",
            &got,
            &data.map(|v: f64| if v > 0.0 { v } else { 0.3 * v }),
            tol,
        );
        let got = forward(dtype, &[8], &data, |g, x| unary::erf(g, x).unwrap());
        // Reference values of erf.
        let table = [
            (-7.0, -1.0),
            (-1.5, -0.9661051464753108),
            (-0.25, -0.2763263901682369),
            (0.0, 0.0),
            (0.5, 0.5204998778130465),
            (3.0, 0.9999779095030014),
        ];
        let erf = |v: f64| -> f64 { table.iter().find(|(x, _)| *x == v).map_or(1.0, |(_, e)| *e) };
        close("erf", &got, &data.map(erf), tol);
    }
}

#[test]
fn integer_inputs_are_rejected_at_build_time() {
    let g = Graph::new();
    let x = konst(&g, Value::from_vec(&[2], vec![1i32, 2]).unwrap());
    for op in [
        NnOp::Relu6,
        NnOp::Elu,
        NnOp::Selu,
        NnOp::Softmax,
        NnOp::L2Loss,
    ] {
        assert!(matches!(nn_op(&g, op, &[x]), Err(Error::Type { .. })));
    }
    assert!(matches!(unary::erf(&g, x), Err(Error::Type { .. })));
    let f = konst(&g, Value::from_vec(&[2], vec![1.0f64, 2.0]).unwrap());
    assert!(matches!(binary::atan2(&g, f, x), Err(Error::Type { .. })));
}

#[test]
fn softmax_and_log_softmax_values() {
    let data = [1.0, 2.0, 3.0, -1.0, 0.0, 1000.0];
    let got = forward(DType::F64, &[2, 3], &data, |g, x| {
        nn::softmax(g, x).unwrap()
    });
    let row = |r: &[f64]| {
        let m = r.iter().cloned().fold(f64::MIN, f64::max);
        let z: f64 = r.iter().map(|v| (v - m).exp()).sum();
        r.iter()
            .map(|v| ((v - m).exp() / z, v - m - z.ln()))
            .collect::<Vec<_>>()
    };
    let want: Vec<(f64, f64)> = row(&data[..3]).into_iter().chain(row(&data[3..])).collect();
    close(
        "softmax",
        &got,
        &want.iter().map(|p| p.0).collect::<Vec<_>>(),
        1e-12,
    );
    let got = forward(DType::F64, &[2, 3], &data, |g, x| {
        nn::log_softmax(g, x).unwrap()
    });
    close(
        "log_softmax",
        &got,
        &want.iter().map(|p| p.1).collect::<Vec<_>>(),
        1e-12,
    );
    // Rank 0 is rejected at build time, naming the op.
    let g = Graph::new();
    let x = konst(&g, Value::scalar(1.0f64));
    let err = nn::softmax(&g, x).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
    assert!(err.to_string().contains("Softmax"), "{err}");
}

#[test]
fn bias_add_both_formats() {
    let g = Graph::new();
    let v = konst(
        &g,
        f64_value(&[2, 3, 2], (0..12).map(|i| i as f64).collect()),
    );
    let b3 = konst(&g, f64_value(&[3], vec![10.0, 20.0, 30.0]));
    let b2 = konst(&g, f64_value(&[2], vec![100.0, 200.0]));
    let nhwc = run1(&g, nn::bias_add(&g, v, b2, false).unwrap())
        .unwrap()
        .to_f64_vec();
    let want: Vec<f64> = (0..12)
        .map(|i| i as f64 + if i % 2 == 0 { 100.0 } else { 200.0 })
        .collect();
    close("nhwc", &nhwc, &want, 0.0);
    let nchw = run1(&g, nn::bias_add(&g, v, b3, true).unwrap())
        .unwrap()
        .to_f64_vec();
    let want: Vec<f64> = (0..12)
        .map(|i| i as f64 + 10.0 * ((i / 2) % 3 + 1) as f64)
        .collect();
    close("nchw", &nchw, &want, 0.0);
    // int32 works too.
    let vi = konst(&g, Value::from_vec(&[2, 2], vec![1i32, 2, 3, 4]).unwrap());
    let bi = konst(&g, Value::from_vec(&[2], vec![10i32, 20]).unwrap());
    let out = run1(&g, nn::bias_add(&g, vi, bi, false).unwrap()).unwrap();
    assert_eq!(out.dtype(), DType::I32);
    assert_eq!(out.to_f64_vec(), vec![11.0, 22.0, 13.0, 24.0]);
    // Channel mismatch is a build-time error.
    assert!(nn::bias_add(&g, v, b3, false).is_err());
    // A bias of the wrong length fed at run time is an InvalidArgumentError.
    let p = source::placeholder(&g, DType::F64, Shape::unknown(), Some("b")).unwrap();
    let y = nn::bias_add(&g, v, p, false).unwrap();
    let r = Session::new(&g).run(&[y], &[(p, f64_value(&[3], vec![1.0, 2.0, 3.0]))]);
    assert!(r.is_err());
}

#[test]
fn l2_loss_and_cross_entropy_values() {
    let got = forward(DType::F32, &[3], &[1.0, -2.0, 3.0], |g, x| {
        nn::l2_loss(g, x).unwrap()
    });
    close("l2_loss", &got, &[7.0], 1e-6);

    let g = Graph::new();
    let logits = konst(&g, f64_value(&[2, 3], vec![1.0, 2.0, 3.0, 0.5, 0.5, -1.0]));
    let labels = konst(&g, f64_value(&[2, 3], vec![0.2, 0.3, 0.5, 1.0, 0.0, 0.0]));
    let (loss, back) = nn::softmax_cross_entropy(&g, logits, labels).unwrap();
    let out = Session::new(&g).run(&[loss, back], &[]).unwrap();
    let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
    let l0 = lse(&[1.0, 2.0, 3.0]);
    let l1 = lse(&[0.5, 0.5, -1.0]);
    let want_loss = [
        -(0.2 * (1.0 - l0) + 0.3 * (2.0 - l0) + 0.5 * (3.0 - l0)),
        -(0.5 - l1),
    ];
    close("xent loss", &out[0].to_f64_vec(), &want_loss, 1e-12);
    let want_back: Vec<f64> = [1.0, 2.0, 3.0]
        .iter()
        .map(|v: &f64| (v - l0).exp())
        .chain([0.5, 0.5, -1.0].iter().map(|v: &f64| (v - l1).exp()))
        .zip([0.2, 0.3, 0.5, 1.0, 0.0, 0.0])
        .map(|(p, y)| p - y)
        .collect();
    close("xent backprop", &out[1].to_f64_vec(), &want_back, 1e-12);

    let sparse = konst(&g, Value::from_vec(&[2], vec![2i64, 0]).unwrap());
    let (sl, _) = nn::sparse_softmax_cross_entropy(&g, logits, sparse).unwrap();
    close(
        "sparse loss",
        &run1(&g, sl).unwrap().to_f64_vec(),
        &[-(3.0 - l0), -(0.5 - l1)],
        1e-12,
    );
    let bad = konst(&g, Value::from_vec(&[2], vec![3i32, 0]).unwrap());
    let (bl, _) = nn::sparse_softmax_cross_entropy(&g, logits, bad).unwrap();
    let err = run1(&g, bl).unwrap_err();
    assert!(err.to_string().contains("outside the valid range"), "{err}");
    // Float labels are a TypeError.
    assert!(matches!(
        nn::sparse_softmax_cross_entropy(&g, logits, logits),
        Err(Error::Type { .. })
    ));
}

#[test]
fn any_all_reductions() {
    let g = Graph::new();
    let x = konst(
        &g,
        Value::from_vec(&[2, 3], vec![true, false, true, true, true, true]).unwrap(),
    );
    let axes = konst(&g, Value::int_vector(DType::I32, &[1]));
    let any = reduce::reduce(&g, ReduceOp::Any, x, axes, false, None).unwrap();
    let all = reduce::reduce(&g, ReduceOp::All, x, axes, true, None).unwrap();
    assert_eq!(run1(&g, any).unwrap().to_f64_vec(), vec![1.0, 1.0]);
    let a = run1(&g, all).unwrap();
    assert_eq!(a.shape(), &[2, 1]);
    assert_eq!(a.to_f64_vec(), vec![0.0, 1.0]);
    let f = konst(&g, f64_value(&[2], vec![1.0, 0.0]));
    let axes0 = konst(&g, Value::int_vector(DType::I32, &[0]));
    assert!(matches!(
        reduce::reduce(&g, ReduceOp::Any, f, axes0, false, None),
        Err(Error::Type { .. })
    ));
}

#[test]
fn atan2_values() {
    let g = Graph::new();
    let y = konst(&g, f64_value(&[4], vec![1.0, -1.0, 1.0, 0.0]));
    let x = konst(&g, f64_value(&[4], vec![1.0, -1.0, -2.0, 3.0]));
    let got = run1(&g, binary::atan2(&g, y, x).unwrap())
        .unwrap()
        .to_f64_vec();
    let want: Vec<f64> = [(1.0f64, 1.0f64), (-1.0, -1.0), (1.0, -2.0), (0.0, 3.0)]
        .iter()
        .map(|(a, b)| a.atan2(*b))
        .collect();
    close("atan2", &got, &want, 1e-15);
}

// ----- derivatives: first and second order against finite differences -----

fn away_from_kinks(n: usize) -> Vec<f64> {
    // Irregular values kept away from 0 and 6, where the piecewise ops have kinks.
    xs(n, 4.0)
        .into_iter()
        .map(|v| if v.abs() < 0.3 { v + 0.5 } else { v })
        .map(|v| if (v - 6.0).abs() < 0.3 { v + 0.5 } else { v })
        .collect()
}

#[test]
fn activation_derivatives() {
    let xv = f64_value(&[2, 3], away_from_kinks(6));
    // Squared so the second derivative exercises the *Grad helpers' own gradients.
    for op in [
        NnOp::Relu6,
        NnOp::Elu,
        NnOp::Selu,
        NnOp::LeakyRelu { alpha: 0.3 },
    ] {
        check_fn(s(&[2, 3]), &xv, |g, x| {
            let y = nn_op(g, op.clone(), &[x]).unwrap();
            binary::mul(g, y, y).unwrap()
        });
        // And unsquared: the curvature of Elu/Selu comes from EluGrad/SeluGrad's gradient.
        check_fn(s(&[2, 3]), &xv, |g, x| nn_op(g, op.clone(), &[x]).unwrap());
    }
    // Unknown dims.
    check_fn(Shape::unknown(), &xv, |g, x| nn::elu(g, x).unwrap());
}

#[test]
fn relu6_saturates() {
    let xv = f64_value(&[4], vec![-1.0, 2.0, 7.0, 5.5]);
    let d = check_fn(s(&[4]), &xv, |g, x| nn::relu6(g, x).unwrap());
    assert_eq!(
        d.iter().map(|v| *v != 0.0).collect::<Vec<_>>(),
        vec![false, true, false, true]
    );
}

#[test]
fn erf_and_atan2_derivatives() {
    let xv = f64_value(&[2, 3], xs(6, 1.5));
    check_fn(s(&[2, 3]), &xv, |g, x| unary::erf(g, x).unwrap());
    check_fn(Shape::unknown(), &xv, |g, x| unary::erf(g, x).unwrap());
    // atan2(x, c) and atan2(c, x), with broadcasting of a [3] constant.
    check_fn(s(&[2, 3]), &xv, |g, x| {
        let c = konst(g, f64_value(&[3], vec![0.7, -1.2, 2.0]));
        binary::atan2(g, x, c).unwrap()
    });
    check_fn(s(&[2, 3]), &xv, |g, x| {
        let c = konst(g, f64_value(&[3], vec![0.7, -1.2, 2.0]));
        binary::atan2(g, c, x).unwrap()
    });
    // Both sides the same tensor.
    check_fn(s(&[2, 3]), &xv, |g, x| {
        let y = binary::mul(g, x, x).unwrap();
        binary::atan2(g, y, x).unwrap()
    });
}

#[test]
fn softmax_family_derivatives() {
    let xv = f64_value(&[2, 4], xs(8, 2.0));
    check_fn(s(&[2, 4]), &xv, |g, x| nn::softmax(g, x).unwrap());
    check_fn(s(&[2, 4]), &xv, |g, x| nn::log_softmax(g, x).unwrap());
    check_fn(Shape::unknown(), &xv, |g, x| nn::softmax(g, x).unwrap());
    let x3 = f64_value(&[2, 2, 3], xs(12, 2.0));
    check_fn(s(&[2, 2, 3]), &x3, |g, x| nn::log_softmax(g, x).unwrap());
}

#[test]
fn bias_add_derivatives() {
    for nchw in [false, true] {
        // With respect to the value.
        let xv = f64_value(&[2, 3, 2], xs(12, 1.0));
        check_fn(s(&[2, 3, 2]), &xv, |g, x| {
            let c = if nchw { 3 } else { 2 };
            let b = konst(g, f64_value(&[c], xs(c, 1.0)));
            let y = nn::bias_add(g, x, b, nchw).unwrap();
            binary::mul(g, y, y).unwrap()
        });
        // With respect to the bias: the second derivative goes through BiasAddGrad's gradient.
        let bv = f64_value(&[3], vec![0.3, -0.7, 1.1]);
        check_fn(s(&[3]), &bv, |g, b| {
            let shape = if nchw { [2, 3, 2] } else { [2, 2, 3] };
            let v = konst(g, f64_value(&shape, xs(12, 1.0)));
            let y = nn::bias_add(g, v, b, nchw).unwrap();
            binary::mul(g, y, y).unwrap()
        });
    }
}

#[test]
fn l2_loss_derivatives() {
    let xv = f64_value(&[2, 3], xs(6, 1.0));
    check_fn(s(&[2, 3]), &xv, |g, x| nn::l2_loss(g, x).unwrap());
    check_fn(Shape::unknown(), &xv, |g, x| {
        let l = nn::l2_loss(g, x).unwrap();
        binary::mul(g, l, l).unwrap()
    });
}

#[test]
fn cross_entropy_derivatives() {
    let xv = f64_value(&[2, 3], xs(6, 2.0));
    let labels = || f64_value(&[2, 3], vec![0.2, 0.3, 0.5, 0.6, 0.1, 0.3]);
    // Logits: the second derivative needs the backprop output's gradient (grad_grad).
    check_fn(s(&[2, 3]), &xv, |g, x| {
        let y = konst(g, labels());
        nn::softmax_cross_entropy(g, x, y).unwrap().0
    });
    check_fn(Shape::unknown_dims(2), &xv, |g, x| {
        let y = konst(g, labels());
        let l = nn::softmax_cross_entropy(g, x, y).unwrap().0;
        binary::mul(g, l, l).unwrap()
    });
    // Labels (the v2 semantics: a gradient flows into them).
    check_fn(s(&[2, 3]), &labels(), |g, y| {
        let x = konst(g, xv.clone());
        let l = nn::softmax_cross_entropy(g, x, y).unwrap().0;
        binary::mul(g, l, l).unwrap()
    });
    // Sparse: logits only; labels get no gradient.
    check_fn(s(&[2, 3]), &xv, |g, x| {
        let y = konst(g, Value::from_vec(&[2], vec![1i32, 2]).unwrap());
        nn::sparse_softmax_cross_entropy(g, x, y).unwrap().0
    });
    let g = Graph::new();
    let x = common::placeholder(&g, s(&[2, 3]));
    let y = source::placeholder(&g, DType::I64, s(&[2]), Some("y")).unwrap();
    let (l, _) = nn::sparse_softmax_cross_entropy(&g, x, y).unwrap();
    let gs = symgrad::gradients(&g, &[l], &[y], &Default::default()).unwrap();
    assert!(gs[0].is_none());
}

#[test]
fn any_all_are_not_differentiable() {
    let g = Graph::new();
    let x = common::placeholder(&g, s(&[3]));
    let zero = konst(&g, Value::scalar(0.0f64));
    let b = binary::greater(&g, x, zero).unwrap();
    let any = reduce::reduce_axes(&g, ReduceOp::Any, b, &[0], false).unwrap();
    let f = array::cast(&g, any, DType::F64).unwrap();
    let gs = symgrad::gradients(&g, &[f], &[x], &Default::default()).unwrap();
    assert!(gs[0].is_none());
    let _ = Checker::new;
}

#[test]
fn cross_entropy_mixed_second_derivative() {
    // d/dlabels of d(loss)/dlogits: through the backprop output, -grad_grad reaches labels.
    let g = Graph::new();
    let x = common::placeholder(&g, s(&[2, 3]));
    let y = source::placeholder(&g, DType::F64, s(&[2, 3]), Some("y")).unwrap();
    let (l, _) = nn::softmax_cross_entropy(&g, x, y).unwrap();
    let dx = common::grad_of(&g, l, x);
    let flat = array::reshape(&g, dx, &[-1]).unwrap();
    let w = konst(&g, f64_value(&[6], pattern(6, 3)));
    let inner = reduce::sum(&g, binary::mul(&g, flat, w).unwrap(), &[0], false).unwrap();
    let dy = common::grad_of(&g, inner, y);
    let xv = f64_value(&[2, 3], xs(6, 1.0));
    let yv = f64_value(&[2, 3], vec![0.2, 0.3, 0.5, 0.6, 0.1, 0.3]);
    let got = Session::new(&g)
        .run(&[dy], &[(x, xv), (y, yv)])
        .unwrap()
        .remove(0);
    // dx = softmax(x) - y, so d(sum(w * dx))/dy = -w.
    let want: Vec<f64> = pattern(6, 3).into_iter().map(|v| -v).collect();
    close("mixed", &got.to_f64_vec(), &want, 1e-12);
}
