//! `float16` through the public Rust API: half values are stored as half, computed in f32
//! and rounded back per op (TF's CPU semantics), through kernels, gradients and variables.

mod common;

use common::{grad_of, konst, op};
use half::f16;
use symgrad::exec::Session;
use symgrad::ops::{binary, reduce, source, state, unary, BinaryOp, UnaryOp};
use symgrad::{AttrValue, Attrs, DType, Graph, Shape, Value};

fn halves(shape: &[usize], xs: &[f32]) -> Value {
    Value::from_vec(shape, xs.iter().map(|&x| f16::from_f32(x)).collect()).expect("value")
}

fn run_one(g: &Graph, t: symgrad::Tensor, feeds: &[(symgrad::Tensor, Value)]) -> Value {
    Session::new(g).run(&[t], feeds).expect("run").remove(0)
}

/// Each element of an elementwise op is f32's result rounded once to half.
#[test]
fn elementwise_results_are_f32_rounded_to_half() {
    let g = Graph::new();
    let xs = [0.1f32, 0.7, 1.3, 2.9, 5.5];
    let x = source::placeholder(&g, DType::F16, Shape::known(&[5]), Some("x")).expect("x");
    assert_eq!(g.dtype(x).expect("dtype"), DType::F16);
    let e = unary::unary(&g, UnaryOp::Exp, x, None).expect("exp");
    let y = binary::binary(&g, BinaryOp::Mul, e, x, None).expect("mul");
    assert_eq!(g.dtype(y).expect("dtype"), DType::F16);
    let out = run_one(&g, y, &[(x, halves(&[5], &xs))]);
    let got = out.as_array::<f16>().expect("half out");
    for (i, &x) in xs.iter().enumerate() {
        let h = f16::from_f32(x).to_f32();
        let exp = f16::from_f32(h.exp()).to_f32();
        assert_eq!(got[[i]], f16::from_f32(exp * h), "element {i}");
    }
}

#[test]
fn reductions_products_and_gradients_in_half() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F16, Shape::known(&[2, 3]), Some("x")).expect("x");
    let sq = binary::binary(&g, BinaryOp::Mul, x, x, None).expect("sq");
    let total = reduce::sum(&g, sq, &[0, 1], false).expect("sum");
    let dx = grad_of(&g, total, x);
    assert_eq!(g.dtype(dx).expect("dtype"), DType::F16);
    let xt = op(
        &g,
        "Transpose",
        &[
            x,
            konst(&g, Value::from_vec(&[2], vec![1i32, 0]).expect("perm")),
        ],
        Attrs::new(),
    )
    .expect("transpose");
    let mm = op(&g, "MatMul", &[x, xt], Attrs::new()).expect("matmul");
    let feed = halves(&[2, 3], &[1.0, -2.0, 0.5, 3.0, 0.25, -1.5]);
    let s = Session::new(&g);
    let out = s.run(&[total, dx, mm], &[(x, feed)]).expect("run");
    assert_eq!(out[0].dtype(), DType::F16);
    assert_eq!(
        out[0].to_f64_vec(),
        vec![1.0 + 4.0 + 0.25 + 9.0 + 0.0625 + 2.25]
    );
    assert_eq!(out[1].to_f64_vec(), vec![2.0, -4.0, 1.0, 6.0, 0.5, -3.0]);
    // [[1, -2, .5], [3, .25, -1.5]] times its transpose.
    assert_eq!(out[2].to_f64_vec(), vec![5.25, 1.75, 1.75, 11.3125]);
}

#[test]
fn comparisons_and_casts_take_half() {
    let g = Graph::new();
    let x = konst(&g, halves(&[3], &[0.5, 1.5, -2.0]));
    let one = konst(&g, halves(&[], &[1.0]));
    let gt = binary::binary(&g, BinaryOp::Greater, x, one, None).expect("greater");
    let cast = op(
        &g,
        "Cast",
        &[x],
        Attrs::new().with("DstT", AttrValue::Type(DType::I32)),
    )
    .expect("cast");
    let back = op(
        &g,
        "Cast",
        &[cast],
        Attrs::new().with("DstT", AttrValue::Type(DType::F16)),
    )
    .expect("cast back");
    let s = Session::new(&g);
    let out = s.run(&[gt, cast, back], &[]).expect("run");
    assert_eq!(
        out[0]
            .as_array::<bool>()
            .expect("bool")
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![false, true, false]
    );
    assert_eq!(out[1].to_f64_vec(), vec![0.0, 1.0, -2.0]);
    assert_eq!(out[2].dtype(), DType::F16);
    // 70000 is beyond half's largest finite value: the cast rounds to infinity, as TF.
    let big = konst(&g, Value::scalar(70000.0f32));
    let over = op(
        &g,
        "Cast",
        &[big],
        Attrs::new().with("DstT", AttrValue::Type(DType::F16)),
    )
    .expect("cast");
    assert_eq!(run_one(&g, over, &[]).to_f64_vec(), vec![f64::INFINITY]);
}

#[test]
fn half_variables_keep_their_dtype_through_updates() {
    let g = Graph::new();
    let v = state::var_handle(&g, "v", DType::F16, Shape::known(&[2])).expect("handle");
    let read = state::read_variable(&g, v, DType::F16, None).expect("read");
    let init = konst(&g, halves(&[2], &[1.0, 2.0]));
    let assign = state::assign_variable(&g, "AssignVariableOp", v, init, None).expect("assign");
    let delta = konst(&g, halves(&[2], &[0.1, 0.1]));
    let add = state::assign_variable(&g, "AssignAddVariableOp", v, delta, None).expect("add");
    let s = Session::new(&g);
    s.run_with_targets(&[], &[assign], &[]).expect("assign");
    s.run_with_targets(&[], &[add], &[]).expect("add");
    let out = s.run(&[read], &[]).expect("read").remove(0);
    assert_eq!(out.dtype(), DType::F16);
    // Each sum rounded to half: 1 + 0.1 and 2 + 0.1 in half precision.
    let want = |a: f32| f64::from(f16::from_f32(a + f16::from_f32(0.1).to_f32()).to_f32());
    assert_eq!(out.to_f64_vec(), vec![want(1.0), want(2.0)]);
}
