//! Elementwise ops through the public API: forward values against closed forms for f32, f64
//! and the integer dtypes each op accepts, build-time dtype rejection, broadcasting (static,
//! rank-different and unknown dims fed at run time), and first and second derivatives
//! against central finite differences (tests/common).

mod common;

use common::{check_fn, f64_value, Checker};
use symgrad::exec::Session;
use symgrad::ops::{array, binary, source, unary, BinaryOp, UnaryOp};
use symgrad::{gradients, Code, DType, Error, GradientOptions, Graph, Shape, Tensor, Value};

type R<T> = symgrad::Result<T>;

// ----- helpers -----

/// Values of the given dtype from f64s (exact for the integers used here).
fn val(dtype: DType, shape: &[usize], xs: &[f64]) -> Value {
    Value::from_vec(shape, xs.to_vec())
        .expect("value")
        .cast(dtype)
}

fn konst(g: &Graph, v: Value) -> Tensor {
    source::const_value(g, v, None).expect("const")
}

fn run(g: &Graph, fetches: &[Tensor], feeds: &[(Tensor, Value)]) -> R<Vec<Value>> {
    Session::new(g).run(fetches, feeds)
}

fn run1(g: &Graph, t: Tensor) -> R<Value> {
    Ok(run(g, &[t], &[])?.remove(0))
}

fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        if a.is_nan() || b.is_nan() {
            assert!(a.is_nan() && b.is_nan(), "{what}[{i}]: got {a}, want {b}");
            continue;
        }
        if a.is_infinite() || b.is_infinite() {
            assert_eq!(a, b, "{what}[{i}]");
            continue;
        }
        assert!(
            (a - b).abs() <= rtol * (1.0 + b.abs()),
            "{what}[{i}]: got {a}, want {b}"
        );
    }
}

fn is_type_error<T: std::fmt::Debug>(r: R<T>) -> bool {
    matches!(r, Err(Error::Type { .. }))
}

fn op_types(g: &Graph) -> Vec<String> {
    g.read()
        .nodes()
        .iter()
        .map(|n| n.type_name().to_string())
        .collect()
}

const FLOATS: [DType; 2] = [DType::F32, DType::F64];
const SIGNED: [DType; 4] = [DType::I8, DType::I16, DType::I32, DType::I64];
const ALL_INTS: [DType; 5] = [DType::I8, DType::I16, DType::I32, DType::I64, DType::U8];

/// Wraps an exact integer result to the width of `dtype` (two's complement), as TF's kernels.
fn wrap(v: i128, dtype: DType) -> f64 {
    (match dtype {
        DType::I8 => v as i8 as i64,
        DType::I16 => v as i16 as i64,
        DType::I32 => v as i32 as i64,
        DType::I64 => v as i64,
        DType::U8 => v as u8 as i64,
        _ => panic!("not an integer dtype"),
    }) as f64
}

// ----- unary forward -----

fn round_half_even(x: f64) -> f64 {
    let f = x.floor();
    let d = x - f;
    // Ties go to the even neighbour.
    let round_up = d > 0.5 || (d == 0.5 && f % 2.0 != 0.0);
    if round_up {
        f + 1.0
    } else {
        f
    }
}

fn unary_closed(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    match op {
        Neg => -x,
        Abs => x.abs(),
        Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        }
        Square => x * x,
        Sqrt => x.sqrt(),
        Rsqrt => 1.0 / x.sqrt(),
        Exp => x.exp(),
        Expm1 => x.exp_m1(),
        Log => x.ln(),
        Log1p => x.ln_1p(),
        Reciprocal => 1.0 / x,
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Tanh => x.tanh(),
        Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Relu => x.max(0.0),
        Softplus => (1.0 + x.exp()).ln(),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Round => round_half_even(x),
        ZerosLike => 0.0,
        OnesLike => 1.0,
        LogicalNot => unreachable!(),
        Erf => erf_by_quadrature(x),
    }
}

/// erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt by composite Simpson with a fine step:
/// an independent reference for the kernel's series.
fn erf_by_quadrature(x: f64) -> f64 {
    let n = 20_000;
    let h = x / n as f64;
    let f = |t: f64| (-t * t).exp();
    let mut sum = f(0.0) + f(x);
    for i in 1..n {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(i as f64 * h);
    }
    2.0 / std::f64::consts::PI.sqrt() * sum * h / 3.0
}

/// Inputs inside each op's domain.
fn unary_inputs(op: UnaryOp) -> Vec<f64> {
    use UnaryOp::*;
    match op {
        Sqrt | Rsqrt | Log => vec![0.25, 0.5, 1.0, 2.0, 3.7, 100.0],
        Log1p => vec![-0.5, 0.0, 0.3, 2.5, 10.0],
        Reciprocal => vec![-2.5, -0.5, 0.3, 1.0, 4.0],
        Round => vec![-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, 2.6, -2.6, 0.0],
        _ => vec![-2.5, -1.5, -0.7, -0.5, 0.0, 0.3, 0.5, 1.5, 2.5, 3.2],
    }
}

#[test]
fn unary_float_forward_matches_closed_forms() {
    for op in UnaryOp::ALL {
        if op == UnaryOp::LogicalNot {
            continue;
        }
        for dtype in FLOATS {
            let xs = unary_inputs(op);
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[xs.len()], &xs));
            let y = unary::unary(&g, op, x, None).expect("build");
            assert_eq!(g.dtype(y).unwrap(), dtype, "{op:?} keeps the dtype");
            assert_eq!(g.shape(y).unwrap(), Shape::known(&[xs.len()]));
            let out = run1(&g, y).unwrap_or_else(|e| panic!("{op:?} {dtype}: {e}"));
            assert_eq!(out.dtype(), dtype);
            // The reference sees the input as the kernel sees it (rounded to f32 for f32).
            let want: Vec<f64> = val(dtype, &[xs.len()], &xs)
                .to_f64_vec()
                .iter()
                .map(|&v| unary_closed(op, v))
                .collect();
            let rtol = if dtype == DType::F32 { 2e-6 } else { 1e-13 };
            assert_close(&format!("{op:?} {dtype}"), &out.to_f64_vec(), &want, rtol);
        }
    }
}

#[test]
fn round_is_half_to_even_and_floor_ceil_on_negatives() {
    let g = Graph::new();
    let x = konst(
        &g,
        val(
            DType::F64,
            &[8],
            &[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -3.7],
        ),
    );
    let r = unary::round(&g, x).unwrap();
    let f = unary::floor(&g, x).unwrap();
    let c = unary::ceil(&g, x).unwrap();
    let out = run(&g, &[r, f, c], &[]).unwrap();
    assert_eq!(
        out[0].to_f64_vec(),
        vec![-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 4.0, -4.0]
    );
    assert_eq!(
        out[1].to_f64_vec(),
        vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -4.0]
    );
    assert_eq!(
        out[2].to_f64_vec(),
        vec![-2.0, -1.0, -0.0, 1.0, 2.0, 3.0, 4.0, -3.0]
    );
}

#[test]
fn unary_float_edge_values() {
    let g = Graph::new();
    let x = konst(
        &g,
        val(DType::F64, &[5], &[-1000.0, -1.0, 0.0, 1000.0, f64::NAN]),
    );
    let sig = unary::sigmoid(&g, x).unwrap();
    let sp = unary::softplus(&g, x).unwrap();
    let sq = unary::sqrt(&g, x).unwrap();
    let rl = unary::relu(&g, x).unwrap();
    let sg = unary::sign(&g, x).unwrap();
    let out = run(&g, &[sig, sp, sq, rl, sg], &[]).unwrap();
    let s = out[0].to_f64_vec();
    assert_eq!(s[0], 0.0);
    assert_eq!(s[3], 1.0);
    assert!((s[2] - 0.5).abs() < 1e-15);
    let p = out[1].to_f64_vec();
    assert_eq!(p[3], 1000.0, "softplus does not overflow");
    assert!(p[0] >= 0.0 && p[0] < 1e-300);
    let q = out[2].to_f64_vec();
    assert!(q[1].is_nan(), "sqrt(-1) is NaN");
    let r = out[3].to_f64_vec();
    assert_eq!(&r[..4], &[0.0, 0.0, 0.0, 1000.0]);
    assert!(r[4].is_nan(), "relu keeps NaN");
    let sg = out[4].to_f64_vec();
    assert_eq!(&sg[..4], &[-1.0, -1.0, 0.0, 1.0]);
}

#[test]
fn unary_integer_forward_wraps() {
    use UnaryOp::*;
    let xs = [-128.0, -7.0, -1.0, 0.0, 1.0, 2.0, 12.0, 16.0, 127.0];
    for dtype in SIGNED {
        for op in [Neg, Abs, Sign, Square, Relu] {
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[xs.len()], &xs));
            let y =
                unary::unary(&g, op, x, None).unwrap_or_else(|e| panic!("{op:?} on {dtype}: {e}"));
            let out = run1(&g, y).unwrap();
            assert_eq!(out.dtype(), dtype);
            let want: Vec<f64> = xs
                .iter()
                .map(|&v| {
                    let v = v as i128;
                    let r = match op {
                        Neg => -v,
                        Abs => v.abs(),
                        Sign => v.signum(),
                        Square => v * v,
                        Relu => v.max(0),
                        _ => unreachable!(),
                    };
                    wrap(r, dtype)
                })
                .collect();
            assert_eq!(out.to_f64_vec(), want, "{op:?} {dtype}");
        }
    }
    // i8 specifics: -(-128) and |-128| wrap to -128, 16² wraps to 0, 12² to -112.
    let g = Graph::new();
    let x = konst(&g, val(DType::I8, &[3], &[-128.0, 16.0, 12.0]));
    let out = run(
        &g,
        &[
            unary::neg(&g, x).unwrap(),
            unary::abs(&g, x).unwrap(),
            unary::square(&g, x).unwrap(),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![-128.0, -16.0, -12.0]);
    assert_eq!(out[1].to_f64_vec(), vec![-128.0, 16.0, 12.0]);
    assert_eq!(out[2].to_f64_vec(), vec![0.0, 0.0, -112.0]);
}

#[test]
fn integer_reciprocal_truncates_and_rejects_zero() {
    for dtype in SIGNED {
        let g = Graph::new();
        let x = konst(&g, val(dtype, &[5], &[1.0, -1.0, 2.0, -3.0, 7.0]));
        let y = unary::reciprocal(&g, x).unwrap();
        assert_eq!(
            run1(&g, y).unwrap().to_f64_vec(),
            vec![1.0, -1.0, 0.0, 0.0, 0.0],
            "{dtype}"
        );
        let z = konst(&g, val(dtype, &[2], &[1.0, 0.0]));
        let bad = unary::reciprocal(&g, z).unwrap();
        match run1(&g, bad) {
            Err(Error::Op {
                code: Code::InvalidArgument,
                message,
                ..
            }) => {
                assert!(message.contains("division by zero"), "{message}")
            }
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
}

#[test]
fn zeros_like_ones_like_and_logical_not_on_every_dtype() {
    for dtype in symgrad::DType::ALL {
        let g = Graph::new();
        let x = konst(&g, val(dtype, &[2, 2], &[1.0, 0.0, 3.0, 1.0]));
        let z = unary::unary(&g, UnaryOp::ZerosLike, x, None).unwrap();
        let o = unary::unary(&g, UnaryOp::OnesLike, x, None).unwrap();
        let out = run(&g, &[z, o], &[]).unwrap();
        assert_eq!(out[0].dtype(), dtype);
        assert_eq!(out[0].shape(), &[2, 2]);
        assert_eq!(out[0].to_f64_vec(), vec![0.0; 4]);
        assert_eq!(out[1].to_f64_vec(), vec![1.0; 4]);
    }
    let g = Graph::new();
    let b = konst(&g, Value::from_vec(&[3], vec![true, false, true]).unwrap());
    let n = unary::logical_not(&g, b).unwrap();
    assert_eq!(run1(&g, n).unwrap().to_f64_vec(), vec![0.0, 1.0, 0.0]);
}

#[test]
fn unary_dtype_rejection_is_a_type_error_at_build_time() {
    use UnaryOp::*;
    let g = Graph::new();
    let i = konst(&g, val(DType::I32, &[2], &[1.0, 2.0]));
    let b = konst(&g, Value::from_vec(&[2], vec![true, false]).unwrap());
    let f = konst(&g, val(DType::F32, &[2], &[1.0, 2.0]));
    let before = g.num_ops();
    for op in [
        Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Sin, Cos, Tan, Tanh, Sigmoid, Softplus, Floor, Ceil,
        Round,
    ] {
        assert!(
            is_type_error(unary::unary(&g, op, i, None)),
            "{op:?} must reject int32"
        );
        assert!(
            is_type_error(unary::unary(&g, op, b, None)),
            "{op:?} must reject bool"
        );
    }
    for op in [Neg, Abs, Sign, Square, Reciprocal, Relu] {
        assert!(
            is_type_error(unary::unary(&g, op, b, None)),
            "{op:?} must reject bool"
        );
    }
    assert!(is_type_error(unary::logical_not(&g, f)));
    assert!(is_type_error(unary::logical_not(&g, i)));
    assert_eq!(g.num_ops(), before, "a rejected op is not added");
}

// ----- binary forward -----

fn binary_closed(op: BinaryOp, x: f64, y: f64) -> f64 {
    use BinaryOp::*;
    match op {
        AddV2 => x + y,
        Sub => x - y,
        Mul => x * y,
        RealDiv => x / y,
        FloorDiv => (x / y).floor(),
        FloorMod => x - (x / y).floor() * y,
        Pow => x.powf(y),
        Maximum => x.max(y),
        Minimum => x.min(y),
        SquaredDifference => (x - y) * (x - y),
        _ => unreachable!(),
    }
}

const ARITH: [BinaryOp; 10] = [
    BinaryOp::AddV2,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::RealDiv,
    BinaryOp::FloorDiv,
    BinaryOp::FloorMod,
    BinaryOp::Pow,
    BinaryOp::Maximum,
    BinaryOp::Minimum,
    BinaryOp::SquaredDifference,
];

#[test]
fn binary_float_forward_matches_closed_forms() {
    let xs = [-7.5, -3.0, -1.0, 0.5, 2.0, 7.25];
    let ys = [2.0, -2.0, 3.0, -0.75, 1.5, -4.0];
    for op in ARITH {
        let (xs, ys): (Vec<f64>, Vec<f64>) = if op == BinaryOp::Pow {
            (
                vec![1.5, 2.0, 0.5, 3.0, -2.0, -1.5],
                vec![2.0, -1.5, 0.5, 0.0, 3.0, 2.0],
            )
        } else {
            (xs.to_vec(), ys.to_vec())
        };
        for dtype in FLOATS {
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[6], &xs));
            let y = konst(&g, val(dtype, &[6], &ys));
            let z = binary::binary(&g, op, x, y, None).unwrap();
            let out = run1(&g, z).unwrap();
            assert_eq!(out.dtype(), dtype);
            let want: Vec<f64> = xs
                .iter()
                .zip(&ys)
                .map(|(&a, &b)| binary_closed(op, a, b))
                .collect();
            let rtol = if dtype == DType::F32 { 2e-6 } else { 1e-13 };
            assert_close(&format!("{op:?} {dtype}"), &out.to_f64_vec(), &want, rtol);
        }
    }
}

#[test]
fn float_floor_div_and_mod_follow_python_for_negatives() {
    let g = Graph::new();
    let x = konst(&g, val(DType::F64, &[4], &[-7.0, 7.0, -7.0, -7.5]));
    let y = konst(&g, val(DType::F64, &[4], &[2.0, -2.0, -2.0, 2.0]));
    let out = run(
        &g,
        &[
            binary::floor_div(&g, x, y).unwrap(),
            binary::floor_mod(&g, x, y).unwrap(),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![-4.0, -4.0, 3.0, -4.0]);
    assert_eq!(out[1].to_f64_vec(), vec![1.0, -1.0, -1.0, 0.5]);
}

#[test]
fn maximum_minimum_propagate_nan() {
    let g = Graph::new();
    let x = konst(&g, val(DType::F64, &[3], &[f64::NAN, 1.0, 2.0]));
    let y = konst(&g, val(DType::F64, &[3], &[1.0, f64::NAN, 3.0]));
    let out = run(
        &g,
        &[
            binary::maximum(&g, x, y).unwrap(),
            binary::minimum(&g, x, y).unwrap(),
        ],
        &[],
    )
    .unwrap();
    let (mx, mn) = (out[0].to_f64_vec(), out[1].to_f64_vec());
    assert!(mx[0].is_nan() && mx[1].is_nan() && mn[0].is_nan() && mn[1].is_nan());
    assert_eq!((mx[2], mn[2]), (3.0, 2.0));
}

fn floor_div_i(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

#[test]
fn binary_integer_forward_wraps_and_floors() {
    use BinaryOp::*;
    let cases: Vec<(DType, Vec<f64>, Vec<f64>)> = ALL_INTS
        .iter()
        .map(|&d| {
            if d == DType::U8 {
                (
                    d,
                    vec![7.0, 200.0, 255.0, 9.0, 100.0, 0.0],
                    vec![2.0, 100.0, 2.0, 3.0, 100.0, 5.0],
                )
            } else {
                (
                    d,
                    vec![-7.0, 7.0, -7.0, 7.0, 100.0, 0.0, 127.0],
                    vec![2.0, -2.0, -2.0, 3.0, 100.0, 5.0, 1.0],
                )
            }
        })
        .collect();
    for (dtype, xs, ys) in cases {
        for op in [
            AddV2,
            Sub,
            Mul,
            RealDiv,
            FloorDiv,
            FloorMod,
            Maximum,
            Minimum,
            SquaredDifference,
        ] {
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[xs.len()], &xs));
            let y = konst(&g, val(dtype, &[ys.len()], &ys));
            let z = binary::binary(&g, op, x, y, None).unwrap();
            let out = run1(&g, z).unwrap_or_else(|e| panic!("{op:?} {dtype}: {e}"));
            assert_eq!(out.dtype(), dtype);
            let want: Vec<f64> = xs
                .iter()
                .zip(&ys)
                .map(|(&a, &b)| {
                    let (a, b) = (a as i128, b as i128);
                    let r = match op {
                        AddV2 => a + b,
                        Sub => a - b,
                        Mul => a * b,
                        RealDiv => a / b, // truncates toward zero
                        FloorDiv => floor_div_i(a, b),
                        FloorMod => a - b * floor_div_i(a, b),
                        Maximum => a.max(b),
                        Minimum => a.min(b),
                        SquaredDifference => (a - b) * (a - b),
                        _ => unreachable!(),
                    };
                    wrap(r, dtype)
                })
                .collect();
            assert_eq!(out.to_f64_vec(), want, "{op:?} {dtype} on {xs:?}, {ys:?}");
        }
    }
    // Spot values, Python semantics: -7 // 2 = -4, 7 // -2 = -4, -7 % 2 = 1, 7 % -2 = -1.
    let g = Graph::new();
    let x = konst(&g, val(DType::I32, &[4], &[-7.0, 7.0, -7.0, 7.0]));
    let y = konst(&g, val(DType::I32, &[4], &[2.0, -2.0, -2.0, 2.0]));
    let out = run(
        &g,
        &[
            binary::floor_div(&g, x, y).unwrap(),
            binary::floor_mod(&g, x, y).unwrap(),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![-4.0, -4.0, 3.0, 3.0]);
    assert_eq!(out[1].to_f64_vec(), vec![1.0, -1.0, -1.0, 1.0]);
    // 100 + 100 wraps in int8.
    let g = Graph::new();
    let a = konst(&g, val(DType::I8, &[1], &[100.0]));
    assert_eq!(
        run1(&g, binary::add(&g, a, a).unwrap())
            .unwrap()
            .to_f64_vec(),
        vec![-56.0]
    );
}

#[test]
fn integer_pow_wraps_and_rejects_negative_exponents() {
    for dtype in SIGNED {
        let g = Graph::new();
        let x = konst(&g, val(dtype, &[5], &[2.0, 3.0, -2.0, 100.0, 5.0]));
        let y = konst(&g, val(dtype, &[5], &[7.0, 2.0, 3.0, 2.0, 0.0]));
        let out = run1(&g, binary::pow(&g, x, y).unwrap()).unwrap();
        let want: Vec<f64> = [128i128, 9, -8, 10000, 1]
            .iter()
            .map(|&v| wrap(v, dtype))
            .collect();
        assert_eq!(out.to_f64_vec(), want, "{dtype}");
        let neg = konst(&g, val(dtype, &[1], &[-1.0]));
        let bad = binary::pow(&g, x, neg).unwrap();
        assert!(matches!(
            run1(&g, bad),
            Err(Error::Op {
                code: Code::InvalidArgument,
                ..
            })
        ));
    }
}

#[test]
fn integer_division_by_zero_is_invalid_argument() {
    for dtype in ALL_INTS {
        for op in [BinaryOp::FloorDiv, BinaryOp::FloorMod, BinaryOp::RealDiv] {
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[2], &[7.0, 3.0]));
            let y = konst(&g, val(dtype, &[2], &[1.0, 0.0]));
            let z = binary::binary(&g, op, x, y, Some("bad_div")).unwrap();
            match run1(&g, z) {
                Err(Error::Op {
                    code: Code::InvalidArgument,
                    message,
                    op: Some(_),
                }) => {
                    assert!(message.contains("Integer division by zero"), "{message}");
                    assert!(
                        message.contains("bad_div"),
                        "the error names the op: {message}"
                    );
                }
                other => panic!("{op:?} {dtype}: expected InvalidArgument, got {other:?}"),
            }
        }
    }
    // Float division by zero is IEEE, not an error.
    let g = Graph::new();
    let x = konst(&g, val(DType::F32, &[2], &[1.0, -1.0]));
    let z = konst(&g, val(DType::F32, &[2], &[0.0, 0.0]));
    let out = run1(&g, binary::div(&g, x, z).unwrap())
        .unwrap()
        .to_f64_vec();
    assert_eq!(out, vec![f64::INFINITY, f64::NEG_INFINITY]);
}

#[test]
fn comparisons_and_logical_ops() {
    use BinaryOp::*;
    let want = |op: BinaryOp, a: f64, b: f64| -> f64 {
        let r = match op {
            Less => a < b,
            LessEqual => a <= b,
            Greater => a > b,
            GreaterEqual => a >= b,
            Equal => a == b,
            NotEqual => a != b,
            _ => unreachable!(),
        };
        r as i32 as f64
    };
    let xs = [1.0, 2.0, 3.0, -1.0];
    let ys = [2.0, 2.0, 1.0, -1.0];
    for dtype in [DType::F32, DType::F64, DType::I8, DType::I32, DType::I64] {
        for op in [Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual] {
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[4], &xs));
            let y = konst(&g, val(dtype, &[4], &ys));
            let z = binary::binary(&g, op, x, y, None).unwrap();
            assert_eq!(g.dtype(z).unwrap(), DType::Bool);
            let out = run1(&g, z).unwrap();
            assert_eq!(out.dtype(), DType::Bool);
            let w: Vec<f64> = xs.iter().zip(&ys).map(|(&a, &b)| want(op, a, b)).collect();
            assert_eq!(out.to_f64_vec(), w, "{op:?} {dtype}");
        }
    }
    // Equal/NotEqual accept bools; logical ops broadcast.
    let g = Graph::new();
    let a = konst(
        &g,
        Value::from_vec(&[2, 2], vec![true, true, false, false]).unwrap(),
    );
    let b = konst(&g, Value::from_vec(&[2], vec![true, false]).unwrap());
    let out = run(
        &g,
        &[
            binary::equal(&g, a, b).unwrap(),
            binary::not_equal(&g, a, b).unwrap(),
            binary::logical_and(&g, a, b).unwrap(),
            binary::logical_or(&g, a, b).unwrap(),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(out[1].to_f64_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    assert_eq!(out[2].to_f64_vec(), vec![1.0, 0.0, 0.0, 0.0]);
    assert_eq!(out[3].to_f64_vec(), vec![1.0, 1.0, 1.0, 0.0]);
    assert_eq!(out[2].shape(), &[2, 2]);
}

#[test]
fn binary_dtype_rejection_is_a_type_error_at_build_time() {
    use BinaryOp::*;
    let g = Graph::new();
    let f32_ = konst(&g, val(DType::F32, &[2], &[1.0, 2.0]));
    let f64_ = konst(&g, val(DType::F64, &[2], &[1.0, 2.0]));
    let i32_ = konst(&g, val(DType::I32, &[2], &[1.0, 2.0]));
    let b = konst(&g, Value::from_vec(&[2], vec![true, false]).unwrap());
    let before = g.num_ops();
    for op in ARITH {
        assert!(
            is_type_error(binary::binary(&g, op, b, b, None)),
            "{op:?} rejects bool"
        );
        assert!(
            is_type_error(binary::binary(&g, op, f32_, f64_, None)),
            "{op:?} rejects mixed dtypes"
        );
        assert!(
            is_type_error(binary::binary(&g, op, f32_, i32_, None)),
            "{op:?} rejects mixed dtypes"
        );
    }
    for op in [Less, LessEqual, Greater, GreaterEqual] {
        assert!(
            is_type_error(binary::binary(&g, op, b, b, None)),
            "{op:?} rejects bool"
        );
    }
    for op in [LogicalAnd, LogicalOr] {
        assert!(
            is_type_error(binary::binary(&g, op, f32_, f32_, None)),
            "{op:?} needs bool"
        );
        assert!(
            is_type_error(binary::binary(&g, op, i32_, i32_, None)),
            "{op:?} needs bool"
        );
    }
    for op in [
        ReluGrad,
        SoftplusGrad,
        TanhGrad,
        SigmoidGrad,
        SqrtGrad,
        RsqrtGrad,
        ReciprocalGrad,
    ] {
        assert!(
            is_type_error(binary::binary(&g, op, i32_, i32_, None)),
            "{op:?} needs floats"
        );
        assert!(
            is_type_error(binary::binary(&g, op, f32_, f64_, None)),
            "{op:?} rejects mixed dtypes"
        );
    }
    match binary::add(&g, f32_, f64_) {
        Err(Error::Type { message }) => assert_eq!(
            message,
            "Input 'y' of 'AddV2' Op has type float64 that does not match type float32 of argument 'x'."
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(g.num_ops(), before);
}

// ----- helper ops forward -----

#[test]
fn gradient_helper_ops_forward() {
    use BinaryOp::*;
    let a = [0.5, -0.3, 0.9, 0.0, 2.0];
    let b = [1.5, 2.0, -0.7, 3.0, -1.0];
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    for dtype in FLOATS {
        for op in [
            ReluGrad,
            SoftplusGrad,
            TanhGrad,
            SigmoidGrad,
            SqrtGrad,
            RsqrtGrad,
            ReciprocalGrad,
        ] {
            // Sqrt/Rsqrt/Reciprocal helpers take the op's output y, which is never 0.
            let (a, b): (Vec<f64>, Vec<f64>) = (a.to_vec(), b.to_vec());
            let a: Vec<f64> = if matches!(op, SqrtGrad) {
                a.iter().map(|v| v.abs() + 0.25).collect()
            } else {
                a
            };
            let g = Graph::new();
            let x = konst(&g, val(dtype, &[5], &a));
            let y = konst(&g, val(dtype, &[5], &b));
            let out = run1(&g, binary::binary(&g, op, x, y, None).unwrap()).unwrap();
            assert_eq!(out.dtype(), dtype);
            let av = val(dtype, &[5], &a).to_f64_vec();
            let bv = val(dtype, &[5], &b).to_f64_vec();
            let want: Vec<f64> = av
                .iter()
                .zip(&bv)
                .map(|(&p, &q)| match op {
                    // (gradients, features)
                    ReluGrad => {
                        if q > 0.0 {
                            p
                        } else {
                            0.0
                        }
                    }
                    SoftplusGrad => p * sig(q),
                    // (y, dy)
                    TanhGrad => q * (1.0 - p * p),
                    SigmoidGrad => q * p * (1.0 - p),
                    SqrtGrad => q * 0.5 / p,
                    RsqrtGrad => -0.5 * q * p * p * p,
                    ReciprocalGrad => -q * p * p,
                    _ => unreachable!(),
                })
                .collect();
            let rtol = if dtype == DType::F32 { 2e-6 } else { 1e-13 };
            assert_close(&format!("{op:?} {dtype}"), &out.to_f64_vec(), &want, rtol);
        }
    }
}

// ----- broadcasting -----

#[test]
fn broadcasting_static_shapes_and_values() {
    let g = Graph::new();
    let s = konst(&g, Value::scalar(10.0f64));
    let m = konst(
        &g,
        val(DType::F64, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );
    let col = konst(&g, val(DType::F64, &[3, 1], &[1.0, 2.0, 3.0]));
    let row = konst(&g, val(DType::F64, &[1, 4], &[10.0, 20.0, 30.0, 40.0]));
    let v3 = konst(&g, val(DType::F64, &[3], &[100.0, 200.0, 300.0]));
    let t = konst(
        &g,
        val(DType::F64, &[2, 1, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );

    let a = binary::add(&g, s, m).unwrap();
    let b = binary::mul(&g, col, row).unwrap();
    let c = binary::sub(&g, m, v3).unwrap();
    let d = binary::add(&g, t, col).unwrap(); // [2,1,3] + [3,1] -> [2,3,3]
    assert_eq!(g.shape(a).unwrap(), Shape::known(&[2, 3]));
    assert_eq!(g.shape(b).unwrap(), Shape::known(&[3, 4]));
    assert_eq!(g.shape(c).unwrap(), Shape::known(&[2, 3]));
    assert_eq!(g.shape(d).unwrap(), Shape::known(&[2, 3, 3]));
    let out = run(&g, &[a, b, c, d], &[]).unwrap();
    assert_eq!(
        out[0].to_f64_vec(),
        vec![11.0, 12.0, 13.0, 14.0, 15.0, 16.0]
    );
    assert_eq!(out[1].shape(), &[3, 4]);
    assert_eq!(
        out[1].to_f64_vec(),
        vec![10.0, 20.0, 30.0, 40.0, 20.0, 40.0, 60.0, 80.0, 30.0, 60.0, 90.0, 120.0]
    );
    assert_eq!(
        out[2].to_f64_vec(),
        vec![-99.0, -198.0, -297.0, -96.0, -195.0, -294.0]
    );
    assert_eq!(out[3].shape(), &[2, 3, 3]);
    let dv = out[3].to_f64_vec();
    assert_eq!(&dv[..9], &[2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 4.0, 5.0, 6.0]);
    assert_eq!(&dv[9..12], &[5.0, 6.0, 7.0]);
}

#[test]
fn broadcasting_incompatible_static_shapes_fail_at_build() {
    let g = Graph::new();
    let m = konst(&g, val(DType::F64, &[2, 3], &[0.0; 6]));
    let v = konst(&g, val(DType::F64, &[4], &[0.0; 4]));
    match binary::add(&g, m, v) {
        Err(Error::InvalidArgument { message }) => {
            assert!(
                message.contains("Dimensions must be equal, but are 3 and 4"),
                "{message}"
            )
        }
        other => panic!("expected a ValueError, got {other:?}"),
    }
}

#[test]
fn broadcasting_unknown_dims_fed_at_run_time() {
    let g = Graph::new();
    let x = source::placeholder(
        &g,
        DType::F32,
        Shape(Some(vec![None, Some(3)].into())),
        Some("x"),
    )
    .unwrap();
    let v = konst(&g, val(DType::F32, &[3], &[1.0, 2.0, 3.0]));
    let z = binary::mul(&g, x, v).unwrap();
    assert_eq!(g.shape(z).unwrap(), Shape(Some(vec![None, Some(3)].into())));
    let c = konst(&g, val(DType::F32, &[4, 1], &[1.0, 2.0, 3.0, 4.0]));
    // [None,3] vs [4,1]: the unknown dim meets 4 statically.
    let w = binary::add(&g, x, c).unwrap();
    assert_eq!(g.shape(w).unwrap(), Shape::known(&[4, 3]));
    let u = source::placeholder(&g, DType::F32, Shape::unknown(), Some("u")).unwrap();
    assert_eq!(
        g.shape(binary::add(&g, u, v).unwrap()).unwrap(),
        Shape::unknown()
    );

    let s = Session::new(&g);
    let xv = val(DType::F32, &[2, 3], &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    let out = s.run(&[z], &[(x, xv.clone())]).unwrap();
    assert_eq!(out[0].shape(), &[2, 3]);
    assert_eq!(out[0].to_f64_vec(), vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0]);
    let xv5 = val(DType::F32, &[5, 3], &[1.0; 15]);
    assert_eq!(s.run(&[z], &[(x, xv5)]).unwrap()[0].shape(), &[5, 3]);
    // [None,3] fed [1,3] broadcasts against [4,1]; fed [2,3] does not.
    let one_row = val(DType::F32, &[1, 3], &[0.5, 0.5, 0.5]);
    let out = s.run(&[w], &[(x, one_row)]).unwrap();
    assert_eq!(out[0].shape(), &[4, 3]);
    assert_eq!(out[0].to_f64_vec()[9..], [4.5, 4.5, 4.5]);
    match s.run(&[w], &[(x, xv)]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => {
            assert!(
                message.starts_with("Incompatible shapes: [2,3] vs. [4,1]"),
                "{message}"
            )
        }
        other => panic!("expected a run-time InvalidArgument, got {other:?}"),
    }
    // Unknown rank fed at run time.
    let out = s
        .run(
            &[binary::add(&g, u, v).unwrap()],
            &[(u, Value::scalar(1.0f32))],
        )
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![2.0, 3.0, 4.0]);
}

// ----- unary gradients -----

/// Inputs away from kinks and poles, inside every op's domain once mapped.
const X6: [f64; 6] = [0.7, -1.3, 1.9, -0.4, 1.2, 0.9];

fn x6(map: impl Fn(f64) -> f64) -> Value {
    f64_value(&[2, 3], X6.iter().map(|&v| map(v)).collect())
}

fn s23() -> Shape {
    Shape::known(&[2, 3])
}

#[test]
fn unary_first_and_second_derivatives() {
    use UnaryOp::*;
    for op in [
        Abs, Square, Sqrt, Rsqrt, Exp, Expm1, Log, Log1p, Reciprocal, Sin, Cos, Tan, Tanh, Sigmoid,
        Softplus,
    ] {
        let xv = match op {
            Sqrt | Rsqrt | Log => x6(|v| v.abs() + 0.3),
            Log1p => x6(|v| v * 0.5),
            Tan => x6(|v| v * 0.8),
            _ => x6(|v| v),
        };
        let analytic = check_fn(s23(), &xv, |g, x| unary::unary(g, op, x, None).unwrap());
        assert_eq!(analytic.len(), 6, "{op:?}");
    }
}

#[test]
fn linear_and_piecewise_unary_derivatives() {
    // Neg and Relu are piecewise linear: square the result so the second derivative is
    // connected and exercises their gradients' own gradients.
    for op in [UnaryOp::Neg, UnaryOp::Relu] {
        check_fn(s23(), &x6(|v| v), |g, x| {
            unary::square(g, unary::unary(g, op, x, None).unwrap()).unwrap()
        });
    }
    // Relu passes the gradient only where x > 0.
    let d = check_fn(s23(), &x6(|v| v), |g, x| {
        binary::mul(g, unary::relu(g, x).unwrap(), x).unwrap()
    });
    assert_eq!(d.len(), 6);
    // Sign: x * |x| = sign(x) * x² has derivative 2|x|.
    check_fn(s23(), &x6(|v| v), |g, x| {
        binary::mul(g, unary::sign(g, x).unwrap(), unary::square(g, x).unwrap()).unwrap()
    });
}

#[test]
fn sign_gradient_is_connected_zero_and_floor_family_is_none() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x")).unwrap();
    let s = unary::sign(&g, x).unwrap();
    let ds = gradients(&g, &[s], &[x], &GradientOptions::default()).unwrap();
    let ds =
        symgrad::grad::densify(&g, ds[0].expect("Sign's gradient is zeros, not None")).unwrap();
    let xv = f64_value(&[3], vec![-1.0, 0.5, 2.0]);
    assert_eq!(
        run(&g, &[ds], &[(x, xv)]).unwrap()[0].to_f64_vec(),
        vec![0.0; 3]
    );
    for op in [UnaryOp::Floor, UnaryOp::Ceil, UnaryOp::Round] {
        let y = unary::unary(&g, op, x, None).unwrap();
        let d = gradients(&g, &[y], &[x], &GradientOptions::default()).unwrap();
        assert!(
            d[0].is_none(),
            "{op:?} has a registered gradient returning None"
        );
    }
    for op in [UnaryOp::ZerosLike, UnaryOp::OnesLike] {
        let y = unary::unary(&g, op, x, None).unwrap();
        let d = gradients(&g, &[y], &[x], &GradientOptions::default()).unwrap();
        assert!(d[0].is_none(), "{op:?} is not differentiable");
    }
}

#[test]
fn gradient_values_at_known_points() {
    // tanh''(0.5) = -0.726862 (spec §8); relu' is 0/1; d sqrt = 0.5/sqrt.
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[]), Some("x")).unwrap();
    let t = unary::tanh(&g, x).unwrap();
    let d1 = common::grad_of(&g, t, x);
    let d2 = common::grad_of(&g, d1, x);
    let out = run(&g, &[d1, d2], &[(x, Value::scalar(0.5f64))]).unwrap();
    assert!((out[0].to_f64_vec()[0] - (1.0 - 0.5f64.tanh().powi(2))).abs() < 1e-12);
    assert!(
        (out[1].to_f64_vec()[0] - -0.726862).abs() < 1e-6,
        "{:?}",
        out[1]
    );

    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[4]), Some("x")).unwrap();
    let r = unary::relu(&g, x).unwrap();
    let dr = common::grad_of(&g, r, x);
    let xv = val(DType::F32, &[4], &[-2.0, -0.5, 0.5, 3.0]);
    let out = run(&g, &[dr], &[(x, xv)]).unwrap();
    assert_eq!(out[0].dtype(), DType::F32);
    assert_eq!(out[0].to_f64_vec(), vec![0.0, 0.0, 1.0, 1.0]);
}

// ----- binary gradients -----

/// Checks d/dx of `op(x, c)` (x the placeholder) or of `op(c, x)`, optionally squared so
/// that ops linear in that input still have a connected second derivative.
fn check_binary(
    op: BinaryOp,
    x_shape: &[usize],
    xv: Vec<f64>,
    c_shape: &[usize],
    cv: Vec<f64>,
    x_first: bool,
    square: bool,
) {
    let xv = f64_value(x_shape, xv);
    let cv = f64_value(c_shape, cv);
    check_fn(Shape::known(x_shape), &xv, |g, x| {
        let c = konst(g, cv.clone());
        let z = if x_first {
            binary::binary(g, op, x, c, None)
        } else {
            binary::binary(g, op, c, x, None)
        }
        .unwrap();
        if square {
            unary::square(g, z).unwrap()
        } else {
            z
        }
    });
}

const XA: [f64; 6] = [0.7, -1.3, 1.9, -0.4, 2.2, 0.9];
const Y3: [f64; 3] = [1.1, -0.6, 0.35];
const Y21: [f64; 2] = [0.8, -1.7];
const XPOS: [f64; 6] = [1.2, 0.8, 2.4, 0.6, 2.7, 1.4];

fn linear_in_inputs(op: BinaryOp) -> (bool, bool) {
    // (linear in x, linear in y): those need squaring for a connected second derivative.
    use BinaryOp::*;
    match op {
        AddV2 | Sub | Mul | Maximum | Minimum => (true, true),
        RealDiv => (true, false),
        // d/dy floormod(x, y) = -floor(x / y), whose own gradient is None (FloorDiv).
        FloorMod => (true, true),
        _ => (false, false),
    }
}

#[test]
fn binary_derivatives_same_shape_and_broadcast() {
    use BinaryOp::*;
    for op in [
        AddV2,
        Sub,
        Mul,
        RealDiv,
        FloorMod,
        Pow,
        Maximum,
        Minimum,
        SquaredDifference,
    ] {
        let (lin_x, lin_y) = linear_in_inputs(op);
        let (xa, y3, y21): (Vec<f64>, Vec<f64>, Vec<f64>) = if op == Pow {
            (XPOS.to_vec(), Y3.to_vec(), Y21.to_vec())
        } else {
            (XA.to_vec(), Y3.to_vec(), Y21.to_vec())
        };
        let y23: Vec<f64> = (0..6)
            .map(|i| y3[i % 3] * if i < 3 { 1.0 } else { 1.3 })
            .collect();
        // Same shape.
        check_binary(op, &[2, 3], xa.clone(), &[2, 3], y23.clone(), true, lin_x);
        // x [2,3] with y [3] and [2,1].
        check_binary(op, &[2, 3], xa.clone(), &[3], y3.clone(), true, lin_x);
        check_binary(op, &[2, 3], xa.clone(), &[2, 1], y21.clone(), true, lin_x);
        // The broadcast input as the variable: y [3] / [2,1] against a constant x [2,3].
        let (cx, vy3, vy21) = (xa.clone(), y3.clone(), y21.clone());
        check_binary(op, &[3], vy3, &[2, 3], cx.clone(), false, lin_y);
        check_binary(op, &[2, 1], vy21, &[2, 3], cx, false, lin_y);
        // Scalar against a matrix, both ways.
        let s = if op == Pow { 1.7 } else { 0.57 };
        check_binary(op, &[], vec![s], &[2, 3], xa.clone(), false, lin_y);
        check_binary(op, &[2, 3], xa, &[], vec![s], true, lin_x);
    }
}

#[test]
fn static_broadcast_reduction_builds_no_broadcast_gradient_args() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[2, 3]), Some("x")).unwrap();
    let y = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("y")).unwrap();
    let z = binary::mul(&g, x, y).unwrap();
    let d = gradients(&g, &[z], &[x, y], &GradientOptions::default()).unwrap();
    assert!(!op_types(&g).iter().any(|t| t == "BroadcastGradientArgs"));
    let dy = symgrad::grad::densify(&g, d[1].unwrap()).unwrap();
    assert_eq!(g.shape(dy).unwrap(), Shape::known(&[3]));
    let xv = f64_value(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let yv = f64_value(&[3], vec![1.0, 1.0, 1.0]);
    let out = run(&g, &[dy], &[(x, xv), (y, yv)]).unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![5.0, 7.0, 9.0]);
}

/// x: [None,3] and y: [None,None] placeholders, so static inference gives up and the
/// gradient reduces with `BroadcastGradientArgs` at run time.
fn check_binary_dynamic(op: BinaryOp, xv: Value, yv: Value, wrt_x: bool, square: bool) {
    let g = Graph::new();
    let px = source::placeholder(
        &g,
        DType::F64,
        Shape(Some(vec![None, Some(3)].into())),
        Some("x"),
    )
    .unwrap();
    let py = source::placeholder(
        &g,
        DType::F64,
        Shape(Some(vec![None, None].into())),
        Some("y"),
    )
    .unwrap();
    let z = binary::binary(&g, op, px, py, None).unwrap();
    let z = if square {
        unary::square(&g, z).unwrap()
    } else {
        z
    };
    let (checked, other, cv, ov) = if wrt_x {
        (px, py, xv, yv)
    } else {
        (py, px, yv, xv)
    };
    let mut c = Checker::new(&g, checked, z);
    c.extra_feeds = vec![(other, ov)];
    let d = c.check(&cv);
    assert_eq!(d.len(), cv.len());
    assert!(
        op_types(&g).iter().any(|t| t == "BroadcastGradientArgs"),
        "{op:?}: the dynamic path must build BroadcastGradientArgs"
    );
}

#[test]
fn binary_derivatives_with_unknown_dims_use_the_dynamic_path() {
    use BinaryOp::*;
    for op in [
        AddV2,
        Sub,
        Mul,
        RealDiv,
        FloorMod,
        Pow,
        Maximum,
        Minimum,
        SquaredDifference,
    ] {
        let (lin_x, lin_y) = linear_in_inputs(op);
        let xs: Vec<f64> = if op == Pow {
            XPOS.to_vec()
        } else {
            XA.to_vec()
        };
        let xv = f64_value(&[2, 3], xs);
        // y fed as [1,3] (broadcast over rows) and as [2,3].
        let y13 = f64_value(&[1, 3], Y3.to_vec());
        let y23 = f64_value(
            &[2, 3],
            (0..6)
                .map(|i| Y3[i % 3] * if i < 3 { 1.0 } else { 1.3 })
                .collect(),
        );
        for yv in [y13, y23] {
            check_binary_dynamic(op, xv.clone(), yv.clone(), true, lin_x);
            check_binary_dynamic(op, xv.clone(), yv, false, lin_y);
        }
    }
}

#[test]
fn binary_gradient_values_at_known_points() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[4]), Some("x")).unwrap();
    let three = konst(&g, Value::scalar(3.0f64));
    let two = konst(&g, Value::scalar(2.0f64));
    let mx = binary::maximum(&g, x, three).unwrap();
    let mn = binary::minimum(&g, x, two).unwrap();
    let xv = f64_value(&[4], vec![1.0, 2.0, 3.0, 4.0]);
    let dmx = common::grad_of(&g, mx, x);
    let dmn = common::grad_of(&g, mn, x);
    let out = run(&g, &[dmx, dmn], &[(x, xv)]).unwrap();
    // Ties go to x (spec §9): maximum(x, 3) gives [0,0,1,1], minimum(x, 2) gives [1,1,0,0].
    assert_eq!(out[0].to_f64_vec(), vec![0.0, 0.0, 1.0, 1.0]);
    assert_eq!(out[1].to_f64_vec(), vec![1.0, 1.0, 0.0, 0.0]);

    // Pow: d/dy x^y is 0 where x <= 0; d/dx is y x^(y-1).
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x")).unwrap();
    let y = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("y")).unwrap();
    let z = binary::pow(&g, x, y).unwrap();
    let d = gradients(&g, &[z], &[x, y], &GradientOptions::default()).unwrap();
    let (dx, dy) = (
        d[0].map(|d| symgrad::grad::densify(&g, d).unwrap())
            .unwrap(),
        d[1].map(|d| symgrad::grad::densify(&g, d).unwrap())
            .unwrap(),
    );
    let out = run(
        &g,
        &[dx, dy],
        &[
            (x, f64_value(&[3], vec![-2.0, 0.0, 2.0])),
            (y, f64_value(&[3], vec![2.0, 2.0, 3.0])),
        ],
    )
    .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![-4.0, 0.0, 12.0]);
    let dyv = out[1].to_f64_vec();
    assert_eq!(&dyv[..2], &[0.0, 0.0]);
    assert!((dyv[2] - 8.0 * 2f64.ln()).abs() < 1e-12);

    // FloorDiv has a registered gradient returning None; comparisons are not differentiable.
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x")).unwrap();
    let c = konst(&g, f64_value(&[3], vec![1.0, 2.0, 3.0]));
    let fd = binary::floor_div(&g, x, c).unwrap();
    assert!(gradients(&g, &[fd], &[x], &GradientOptions::default()).unwrap()[0].is_none());
    for op in [
        BinaryOp::Less,
        BinaryOp::Greater,
        BinaryOp::Equal,
        BinaryOp::NotEqual,
        BinaryOp::LessEqual,
        BinaryOp::GreaterEqual,
    ] {
        let b = binary::binary(&g, op, x, c, None).unwrap();
        let f = array::cast(&g, b, DType::F64).unwrap();
        assert!(
            gradients(&g, &[f], &[x], &GradientOptions::default()).unwrap()[0].is_none(),
            "{op:?}"
        );
    }
}

// ----- helper ops' own gradients (second order of the activations) -----

#[test]
fn helper_op_derivatives_in_each_input() {
    use BinaryOp::*;
    for op in [
        ReluGrad,
        SoftplusGrad,
        TanhGrad,
        SigmoidGrad,
        SqrtGrad,
        RsqrtGrad,
        ReciprocalGrad,
    ] {
        // First input: for (y, dy) helpers it is the op's output y; keep it inside (0, 1)
        // for Tanh/Sigmoid and positive for Sqrt.
        let a: Vec<f64> = match op {
            ReluGrad | SoftplusGrad => XA.to_vec(),
            TanhGrad | SigmoidGrad => XA.iter().map(|v| v.abs() / 2.5).collect(),
            _ => XA.iter().map(|v| v.abs() + 0.3).collect(),
        };
        let b: Vec<f64> = XA.iter().rev().map(|v| v * 0.9).collect();
        // ReluGrad and the (y, dy) helpers are linear in one input: square those checks.
        let lin_a = matches!(op, ReluGrad | SoftplusGrad);
        let lin_b = !matches!(op, ReluGrad | SoftplusGrad);
        check_binary(op, &[2, 3], a.clone(), &[2, 3], b.clone(), true, lin_a);
        if op == ReluGrad {
            // d/dfeatures is zero: check it is connected (zeros) rather than numerically.
            let g = Graph::new();
            let f = source::placeholder(&g, DType::F64, Shape::known(&[2, 3]), Some("f")).unwrap();
            let gr = konst(&g, f64_value(&[2, 3], a.clone()));
            let z = binary::binary(&g, op, gr, f, None).unwrap();
            let d = common::grad_of(&g, z, f);
            let out = run(&g, &[d], &[(f, f64_value(&[2, 3], b.clone()))]).unwrap();
            assert_eq!(out[0].to_f64_vec(), vec![0.0; 6]);
            continue;
        }
        check_binary(op, &[2, 3], b, &[2, 3], a, false, lin_b);
    }
}

#[test]
fn second_order_through_activations_matches_closed_forms() {
    // d²/dx² of sigmoid, softplus, sqrt, rsqrt, reciprocal at one point, via their helpers.
    let x0 = 0.8f64;
    let s = 1.0 / (1.0 + (-x0).exp());
    let cases: Vec<(UnaryOp, f64)> = vec![
        (UnaryOp::Sigmoid, s * (1.0 - s) * (1.0 - 2.0 * s)),
        (UnaryOp::Softplus, s * (1.0 - s)),
        (UnaryOp::Sqrt, -0.25 * x0.powf(-1.5)),
        (UnaryOp::Rsqrt, 0.75 * x0.powf(-2.5)),
        (UnaryOp::Reciprocal, 2.0 / x0.powi(3)),
        (UnaryOp::Tanh, -2.0 * x0.tanh() * (1.0 - x0.tanh().powi(2))),
    ];
    for (op, want) in cases {
        let g = Graph::new();
        let x = source::placeholder(&g, DType::F64, Shape::known(&[]), Some("x")).unwrap();
        let y = unary::unary(&g, op, x, None).unwrap();
        let d1 = common::grad_of(&g, y, x);
        let d2 = common::grad_of(&g, d1, x);
        let got = run(&g, &[d2], &[(x, Value::scalar(x0))]).unwrap()[0].to_f64_vec()[0];
        assert!((got - want).abs() < 1e-12, "{op:?}: {got} vs {want}");
    }
}

#[test]
fn unary_derivatives_with_unknown_dims() {
    use UnaryOp::*;
    let partial = Shape(Some(vec![None, Some(3)].into()));
    for op in [
        Abs, Square, Sqrt, Rsqrt, Exp, Log, Reciprocal, Sin, Cos, Tanh, Sigmoid, Softplus,
    ] {
        let xv = match op {
            Sqrt | Rsqrt | Log => x6(|v| v.abs() + 0.3),
            _ => x6(|v| v),
        };
        check_fn(partial.clone(), &xv, |g, x| {
            unary::unary(g, op, x, None).unwrap()
        });
        check_fn(Shape::unknown(), &xv, |g, x| {
            unary::unary(g, op, x, None).unwrap()
        });
    }
    check_fn(partial, &x6(|v| v), |g, x| {
        unary::square(g, unary::relu(g, x).unwrap()).unwrap()
    });
}

#[test]
fn float32_broadcast_gradients_keep_dtype_and_shape() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[2, 3]), Some("x")).unwrap();
    let y = source::placeholder(&g, DType::F32, Shape::known(&[2, 1]), Some("y")).unwrap();
    let z = binary::squared_difference(&g, x, y).unwrap();
    let d = gradients(&g, &[z], &[x, y], &GradientOptions::default()).unwrap();
    let dx = symgrad::grad::densify(&g, d[0].unwrap()).unwrap();
    let dy = symgrad::grad::densify(&g, d[1].unwrap()).unwrap();
    assert_eq!(
        (g.dtype(dx).unwrap(), g.dtype(dy).unwrap()),
        (DType::F32, DType::F32)
    );
    assert_eq!(g.shape(dy).unwrap(), Shape::known(&[2, 1]));
    let xv = val(DType::F32, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let yv = val(DType::F32, &[2, 1], &[1.0, 2.0]);
    let out = run(&g, &[dx, dy], &[(x, xv), (y, yv)]).unwrap();
    assert_eq!(out[0].dtype(), DType::F32);
    assert_eq!(out[0].to_f64_vec(), vec![0.0, 2.0, 4.0, 4.0, 6.0, 8.0]);
    assert_eq!(out[1].shape(), &[2, 1]);
    assert_eq!(out[1].to_f64_vec(), vec![-6.0, -18.0]);
}
