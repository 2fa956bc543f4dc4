//! `complex64`/`complex128` through the public Rust API: the complex-only ops, kernels of the
//! shared ops, and gradients with TF's convention (`dL/d re + i dL/d im`) checked against
//! central differences.

mod common;

use common::{konst, op};
use symgrad::exec::Session;
use symgrad::ops::{binary, reduce, source, unary, BinaryOp, UnaryOp};
use symgrad::value::{Complex32, Complex64};
use symgrad::{AttrValue, Attrs, DType, Grad, GradientOptions, Graph, Shape, Tensor, Value};

fn c128(shape: &[usize], xs: &[(f64, f64)]) -> Value {
    Value::from_vec(
        shape,
        xs.iter().map(|&(re, im)| Complex64::new(re, im)).collect(),
    )
    .expect("value")
}

fn run(g: &Graph, ts: &[Tensor], feeds: &[(Tensor, Value)]) -> Vec<Value> {
    Session::new(g).run(ts, feeds).expect("run")
}

#[test]
fn complex_real_imag_angle_and_abs() {
    let g = Graph::new();
    let re = konst(&g, Value::from_vec(&[2], vec![3.0f32, -1.0]).expect("re"));
    let im = konst(&g, Value::from_vec(&[2], vec![4.0f32, 0.0]).expect("im"));
    let z = op(&g, "Complex", &[re, im], Attrs::new()).expect("complex");
    assert_eq!(g.dtype(z).expect("dtype"), DType::C64);
    let parts: Vec<Tensor> = ["Real", "Imag", "Angle", "ComplexAbs", "Conj"]
        .iter()
        .map(|t| op(&g, t, &[z], Attrs::new()).expect(t))
        .collect();
    assert_eq!(g.dtype(parts[0]).expect("dtype"), DType::F32);
    assert_eq!(g.dtype(parts[4]).expect("dtype"), DType::C64);
    let out = run(&g, &parts, &[]);
    let f = |v: &Value| {
        v.as_array::<f32>()
            .expect("f32")
            .iter()
            .copied()
            .collect::<Vec<_>>()
    };
    assert_eq!(f(&out[0]), vec![3.0, -1.0]);
    assert_eq!(f(&out[1]), vec![4.0, 0.0]);
    assert_eq!(f(&out[2]), vec![(4.0f32).atan2(3.0), std::f32::consts::PI]);
    assert_eq!(f(&out[3]), vec![5.0, 1.0]);
    let conj: Vec<Complex32> = out[4]
        .as_array::<Complex32>()
        .expect("c64")
        .iter()
        .copied()
        .collect();
    assert_eq!(
        conj,
        vec![Complex32::new(3.0, -4.0), Complex32::new(-1.0, 0.0)]
    );
}

#[test]
fn tout_and_input_types_are_checked() {
    let g = Graph::new();
    let i = konst(&g, Value::from_vec(&[1], vec![1i32]).expect("i"));
    let err = op(&g, "Complex", &[i, i], Attrs::new()).expect_err("int parts");
    assert!(
        err.to_string()
            .contains("not in list of allowed values: float, double"),
        "{err}"
    );
    let x = konst(&g, Value::from_vec(&[1], vec![1.0f64]).expect("x"));
    let bad = Attrs::new().with("Tout", AttrValue::Type(DType::C64));
    assert!(op(&g, "Complex", &[x, x], bad).is_err());
    let err = op(&g, "Real", &[x], Attrs::new()).expect_err("real of real");
    assert!(err.to_string().contains("complex64, complex128"), "{err}");
    let z = konst(&g, c128(&[1], &[(1.0, 1.0)]));
    assert!(unary::unary(&g, UnaryOp::Relu, z, None).is_err());
    assert!(binary::binary(&g, BinaryOp::Maximum, z, z, None).is_err());
}

/// `sum(real(f(z) * conj(w)))`'s gradient against central differences in each part.
fn check_gradient(f: impl Fn(&Graph, Tensor) -> Tensor, z0: &[(f64, f64)]) {
    let g = Graph::new();
    let n = z0.len();
    let z = source::placeholder(&g, DType::C128, Shape::known(&[n]), Some("z")).expect("z");
    let out = f(&g, z);
    let w: Vec<(f64, f64)> = (0..n)
        .map(|k| (0.5 + k as f64, 1.0 - 0.7 * k as f64))
        .collect();
    let wc = konst(&g, c128(&[n], &w));
    let weighted = binary::binary(
        &g,
        BinaryOp::Mul,
        out,
        op(&g, "Conj", &[wc], Attrs::new()).expect("conj"),
        None,
    )
    .expect("mul");
    let real = op(&g, "Real", &[weighted], Attrs::new()).expect("real");
    let loss = reduce::sum(&g, real, &[0], false).expect("sum");
    let grads = symgrad::gradients(&g, &[loss], &[z], &GradientOptions::default()).expect("grads");
    let Some(Some(Grad::Dense(dz))) = grads.into_iter().next() else {
        panic!("no dense gradient")
    };
    let s = Session::new(&g);
    let at = |zs: &[(f64, f64)]| -> f64 {
        let v = s
            .run(&[loss], &[(z, c128(&[n], zs))])
            .expect("loss")
            .remove(0);
        v.as_array::<f64>().expect("f64")[[]]
    };
    let analytic = s
        .run(&[dz], &[(z, c128(&[n], z0))])
        .expect("grad")
        .remove(0);
    let analytic = analytic.as_array::<Complex64>().expect("c128");
    let eps = 1e-6;
    for k in 0..n {
        let mut numeric = [0.0; 2];
        for (part, slot) in numeric.iter_mut().enumerate() {
            let (mut plus, mut minus) = (z0.to_vec(), z0.to_vec());
            if part == 0 {
                plus[k].0 += eps;
                minus[k].0 -= eps;
            } else {
                plus[k].1 += eps;
                minus[k].1 -= eps;
            }
            *slot = (at(&plus) - at(&minus)) / (2.0 * eps);
        }
        let a = analytic[[k]];
        assert!(
            (a.re - numeric[0]).abs() < 1e-7,
            "re {k}: {a} vs {numeric:?}"
        );
        assert!(
            (a.im - numeric[1]).abs() < 1e-7,
            "im {k}: {a} vs {numeric:?}"
        );
    }
}

const Z0: [(f64, f64); 3] = [(0.7, -0.4), (-1.1, 0.3), (0.4, 0.9)];

#[test]
fn unary_gradients_match_differences() {
    for op_kind in [
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Sqrt,
        UnaryOp::Rsqrt,
        UnaryOp::Reciprocal,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Square,
        UnaryOp::Expm1,
        UnaryOp::Log1p,
    ] {
        check_gradient(|g, z| unary::unary(g, op_kind, z, None).expect("op"), &Z0);
    }
}

#[test]
fn binary_and_part_gradients_match_differences() {
    check_gradient(
        |g, z| {
            let e = unary::unary(g, UnaryOp::Exp, z, None).expect("exp");
            let q = binary::binary(g, BinaryOp::RealDiv, e, z, None).expect("div");
            binary::binary(g, BinaryOp::Pow, q, z, None).expect("pow")
        },
        &Z0,
    );
    check_gradient(
        |g, z| {
            let modulus = op(g, "ComplexAbs", &[z], Attrs::new()).expect("abs");
            let angle = op(g, "Angle", &[z], Attrs::new()).expect("angle");
            op(g, "Complex", &[modulus, angle], Attrs::new()).expect("complex")
        },
        &Z0,
    );
}

#[test]
fn complex_kernels_of_shared_ops() {
    let g = Graph::new();
    let a = konst(&g, c128(&[2], &[(1.0, 2.0), (3.0, -1.0)]));
    let b = konst(&g, c128(&[2], &[(0.5, -0.5), (2.0, 0.0)]));
    let prod = binary::binary(&g, BinaryOp::Mul, a, b, None).expect("mul");
    let total = reduce::sum(&g, prod, &[0], false).expect("sum");
    let eq = binary::binary(&g, BinaryOp::Equal, a, a, None).expect("equal");
    let out = run(&g, &[prod, total, eq], &[]);
    let p: Vec<Complex64> = out[0]
        .as_array::<Complex64>()
        .expect("c128")
        .iter()
        .copied()
        .collect();
    assert_eq!(p, vec![Complex64::new(1.5, 0.5), Complex64::new(6.0, -2.0)]);
    assert_eq!(
        out[1].as_array::<Complex64>().expect("c128")[[]],
        Complex64::new(7.5, -1.5)
    );
    assert!(out[2].as_array::<bool>().expect("bool").iter().all(|&t| t));
}
