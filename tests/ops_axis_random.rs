//! Ops along an axis and random ops through the public Rust API: forward values, first and
//! second derivatives against central differences, seeds and per-session streams, errors.

mod common;

use common::{check_fn, f64_value, pattern, placeholder};
use symgrad::exec::Session;
use symgrad::ops::{axis_ops, reduce, source, unary};
use symgrad::{AttrValue, Attrs, Code, DType, Error, Graph, Shape, Tensor, Value};

type R<T> = symgrad::Result<T>;

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

fn ints(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_ints(g, xs).expect("const")
}

fn scalar_i32(g: &Graph, v: i32) -> Tensor {
    source::const_value(g, Value::scalar(v), None).expect("const")
}

fn run(g: &Graph, ts: &[Tensor], feeds: &[(Tensor, Value)]) -> R<Vec<Value>> {
    Session::new(g).run(ts, feeds)
}

fn op(g: &Graph, ty: &str, inputs: &[Tensor], attrs: Attrs) -> R<Tensor> {
    Ok(g.add_op_def(ty, inputs, &attrs, None)?.output(0))
}

fn is_value_error(e: &Error) -> bool {
    matches!(e, Error::InvalidArgument { .. })
}

// ----- values -----

#[test]
fn reverse_cumsum_cumprod_values() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::unknown());
    let xv = f64_value(&[2, 3], vec![1., 2., 3., 4., 5., 6.]);
    let rev = axis_ops::reverse(&g, x, ints(&g, &[1])).expect("reverse");
    let cs = axis_ops::cumsum(&g, x, scalar_i32(&g, 1), false, false).expect("cumsum");
    let cse = axis_ops::cumsum(&g, x, scalar_i32(&g, 0), true, true).expect("cumsum");
    let cp = axis_ops::cumprod(&g, x, scalar_i32(&g, -1), true, false).expect("cumprod");
    let out = run(&g, &[rev, cs, cse, cp], &[(x, xv)]).expect("run");
    assert_eq!(out[0].to_f64_vec(), vec![3., 2., 1., 6., 5., 4.]);
    assert_eq!(out[1].to_f64_vec(), vec![1., 3., 6., 4., 9., 15.]);
    assert_eq!(out[2].to_f64_vec(), vec![4., 5., 6., 0., 0., 0.]);
    assert_eq!(out[3].to_f64_vec(), vec![1., 1., 2., 1., 4., 20.]);
}

#[test]
fn argmax_top_k_linspace_mirror_pad_values() {
    let g = Graph::new();
    let xv = f64_value(&[2, 4], vec![1., 3., 3., 2., 0., -1., 4., 4.]);
    let x = source::const_value(&g, xv, None).expect("const");
    let am = op(
        &g,
        "ArgMax",
        &[x, scalar_i32(&g, 1)],
        Attrs::new().with("output_type", AttrValue::Type(DType::I32)),
    )
    .expect("argmax");
    let amin = op(&g, "ArgMin", &[x, scalar_i32(&g, 0)], Attrs::new()).expect("argmin");
    let (tv, ti) = axis_ops::top_k(&g, x, scalar_i32(&g, 2), true).expect("top_k");
    let start = source::scalar_const(&g, DType::F64, 1.0, None, None).expect("c");
    let stop = source::scalar_const(&g, DType::F64, 2.0, None, None).expect("c");
    let ls = op(
        &g,
        "LinSpace",
        &[start, stop, scalar_i32(&g, 5)],
        Attrs::new(),
    )
    .expect("ls");
    let paddings = source::const_value(
        &g,
        Value::from_vec(&[2, 2], vec![1i32, 0, 0, 2]).expect("v"),
        None,
    )
    .expect("c");
    let mp = axis_ops::mirror_pad(&g, x, paddings, false).expect("mirror pad");
    let out = run(&g, &[am, amin, tv, ti, ls, mp], &[]).expect("run");
    assert_eq!(out[0].dtype(), DType::I32);
    assert_eq!(out[0].to_i64_vec().expect("ints"), vec![1, 2]);
    assert_eq!(out[1].dtype(), DType::I64);
    assert_eq!(out[1].to_i64_vec().expect("ints"), vec![1, 1, 0, 0]);
    assert_eq!(out[2].to_f64_vec(), vec![3., 3., 4., 4.]);
    assert_eq!(out[3].to_i64_vec().expect("ints"), vec![1, 2, 2, 3]);
    assert_eq!(out[4].to_f64_vec(), vec![1., 1.25, 1.5, 1.75, 2.]);
    assert_eq!(out[5].shape(), &[3, 6]);
    // Row -1 reflects row 1; columns 4, 5 reflect columns 2, 1.
    assert_eq!(
        out[5].to_f64_vec(),
        vec![0., -1., 4., 4., 4., -1., 1., 3., 3., 2., 3., 3., 0., -1., 4., 4., 4., -1.]
    );
}

// ----- gradients -----

#[test]
fn axis_op_gradients_first_and_second_order() {
    let xv = value(&[3, 4], 3);
    for shape in [Shape::known(&[3, 4]), Shape::unknown()] {
        check_fn(shape.clone(), &xv, |g, x| {
            let r = axis_ops::reverse(g, x, ints(g, &[0, 1])).expect("reverse");
            unary::square(g, r).expect("square")
        });
        for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            check_fn(shape.clone(), &xv, |g, x| {
                let c = axis_ops::cumsum(g, x, scalar_i32(g, 1), exclusive, reverse).expect("c");
                unary::square(g, c).expect("square")
            });
            check_fn(shape.clone(), &xv, |g, x| {
                let c = axis_ops::cumprod(g, x, scalar_i32(g, 0), exclusive, reverse).expect("c");
                unary::square(g, c).expect("square")
            });
        }
        check_fn(shape.clone(), &xv, |g, x| {
            let (v, _) = axis_ops::top_k(g, x, scalar_i32(g, 2), true).expect("top_k");
            unary::square(g, v).expect("square")
        });
        for symmetric in [false, true] {
            check_fn(shape.clone(), &xv, |g, x| {
                let p = source::const_value(
                    g,
                    Value::from_vec(&[2, 2], vec![2i32, 1, 0, 3]).expect("v"),
                    None,
                )
                .expect("c");
                let y = axis_ops::mirror_pad(g, x, p, symmetric).expect("pad");
                unary::square(g, y).expect("square")
            });
        }
    }
}

#[test]
fn cumprod_second_derivatives_exact_with_zeros() {
    let xv = f64_value(&[2, 4], vec![0.0, 1.5, 0.0, -2.0, 0.7, 0.0, 1.2, 0.4]);
    for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
        check_fn(Shape::known(&[2, 4]), &xv, |g, x| {
            let c = axis_ops::cumprod(g, x, scalar_i32(g, 1), exclusive, reverse).expect("c");
            unary::square(g, c).expect("square")
        });
    }
}

#[test]
fn prod_second_derivatives_exact_with_several_zeros() {
    let xv = f64_value(&[2, 4], vec![0.0, 1.5, 0.0, -2.0, 0.0, 0.0, 0.0, 0.4]);
    check_fn(Shape::known(&[2, 4]), &xv, |g, x| {
        let p = reduce::prod(g, x, &[1], false).expect("prod");
        unary::square(g, p).expect("square")
    });
}

// ----- errors -----

#[test]
fn build_and_run_time_errors() {
    let g = Graph::new();
    let x = source::const_value(&g, value(&[3, 4], 1), None).expect("c");
    let e = axis_ops::reverse(&g, x, ints(&g, &[2])).expect_err("bad axis");
    assert!(is_value_error(&e), "{e}");
    let e = axis_ops::top_k(&g, x, scalar_i32(&g, 5), true).expect_err("k too large");
    assert!(is_value_error(&e), "{e}");
    let p = source::const_value(
        &g,
        Value::from_vec(&[2, 2], vec![3i32, 0, 0, 0]).expect("v"),
        None,
    )
    .expect("c");
    let e = axis_ops::mirror_pad(&g, x, p, false).expect_err("too much padding");
    assert!(is_value_error(&e), "{e}");

    let ph = placeholder(&g, Shape::unknown());
    let k = symgrad::ops::source::placeholder(&g, DType::I32, Shape::scalar(), None).expect("k");
    let (v, _) = axis_ops::top_k(&g, ph, k, true).expect("top_k");
    let e = run(
        &g,
        &[v],
        &[(ph, value(&[3, 4], 1)), (k, Value::scalar(9i32))],
    )
    .expect_err("k too large at run time");
    assert!(
        matches!(
            e,
            Error::Op {
                code: Code::InvalidArgument,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("TopKV2"), "{e}");
}

// ----- random -----

fn random(g: &Graph, ty: &str, shape: &[i64], seed: i64, seed2: i64) -> Tensor {
    let attrs = Attrs::new()
        .with("seed", AttrValue::Int(seed))
        .with("seed2", AttrValue::Int(seed2))
        .with("dtype", AttrValue::Type(DType::F64));
    op(g, ty, &[ints(g, shape)], attrs).expect("random op")
}

fn stats(v: &Value) -> (f64, f64) {
    let xs = v.to_f64_vec();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[test]
fn random_distributions() {
    let g = Graph::new();
    let n = random(&g, "RandomStandardNormal", &[100, 100], 1, 2);
    let u = random(&g, "RandomUniform", &[10000], 1, 3);
    let t = random(&g, "TruncatedNormal", &[10000], 1, 4);
    let out = run(&g, &[n, u, t], &[]).expect("run");
    let (m, s) = stats(&out[0]);
    assert!(m.abs() < 0.05 && (s - 1.0).abs() < 0.05, "{m} {s}");
    let (m, s) = stats(&out[1]);
    assert!((m - 0.5).abs() < 0.02 && (s - (1.0f64 / 12.0).sqrt()).abs() < 0.02);
    assert!(out[1].to_f64_vec().iter().all(|&x| (0.0..1.0).contains(&x)));
    let (m, s) = stats(&out[2]);
    assert!(m.abs() < 0.05 && (s - 0.8796).abs() < 0.03, "{m} {s}");
    assert!(out[2].to_f64_vec().iter().all(|&x| x.abs() <= 2.0));
}

#[test]
fn random_streams_per_session() {
    let g = Graph::new();
    let a = random(&g, "RandomStandardNormal", &[4], 5, 6);
    let b = random(&g, "RandomStandardNormal", &[4], 5, 7);
    let s1 = Session::new(&g);
    let s2 = Session::new(&g);
    let r1: Vec<Vec<f64>> = (0..3)
        .map(|_| s1.run(&[a], &[]).expect("run")[0].to_f64_vec())
        .collect();
    let r2: Vec<Vec<f64>> = (0..3)
        .map(|_| s2.run(&[a], &[]).expect("run")[0].to_f64_vec())
        .collect();
    assert_eq!(r1, r2);
    assert_ne!(r1[0], r1[1]);
    let other = Session::new(&g).run(&[b], &[]).expect("run")[0].to_f64_vec();
    assert_ne!(other, r2[0]);
}

#[test]
fn random_uniform_int_and_shuffle() {
    let g = Graph::new();
    let lo = source::const_value(&g, Value::scalar(-2i64), None).expect("c");
    let hi = source::const_value(&g, Value::scalar(3i64), None).expect("c");
    let attrs = Attrs::new()
        .with("seed", AttrValue::Int(1))
        .with("seed2", AttrValue::Int(1));
    let r = op(
        &g,
        "RandomUniformInt",
        &[ints(&g, &[5000]), lo, hi],
        attrs.clone(),
    )
    .expect("r");
    let data = source::const_value(&g, value(&[10, 2], 4), None).expect("c");
    let sh = op(&g, "RandomShuffle", &[data], attrs.clone()).expect("shuffle");
    let out = run(&g, &[r, sh, data], &[]).expect("run");
    let xs = out[0].to_i64_vec().expect("ints");
    assert_eq!(out[0].dtype(), DType::I64);
    for v in -2..3 {
        let c = xs.iter().filter(|&&x| x == v).count();
        assert!((800..1200).contains(&c), "{v}: {c}");
    }
    let mut rows: Vec<Vec<u64>> = out[1]
        .to_f64_vec()
        .chunks(2)
        .map(|c| c.iter().map(|x| x.to_bits()).collect())
        .collect();
    let mut orig: Vec<Vec<u64>> = out[2]
        .to_f64_vec()
        .chunks(2)
        .map(|c| c.iter().map(|x| x.to_bits()).collect())
        .collect();
    assert_ne!(rows, orig);
    rows.sort();
    orig.sort();
    assert_eq!(rows, orig);
    let e = op(&g, "RandomUniformInt", &[ints(&g, &[2]), hi, lo], attrs).expect_err("bad range");
    assert!(is_value_error(&e), "{e}");
}
