//! Dataflow control flow from Rust: `Switch`/`Merge` dead-value propagation in the executor
//! (only the taken side runs, control inputs carry deadness, dead fetches fail) and their
//! gradients.

use symgrad::exec::Session;
use symgrad::grad::{gradients, Grad, GradientOptions};
use symgrad::ops::binary::{self, BinaryOp};
use symgrad::ops::flow::{merge, switch};
use symgrad::ops::{source, OpKind};
use symgrad::{Code, DType, Error, Graph, Shape, Tensor, Value};

fn scalar_f64(g: &Graph, name: &str) -> Tensor {
    source::placeholder(g, DType::F64, Shape::known(&[]), Some(name)).unwrap()
}

fn as_f64(v: &Value) -> f64 {
    v.to_f64_vec()[0]
}

/// `pred ? x * x : x * 3`, with `x` switched once per side as a cond does.
fn square_or_triple(g: &Graph) -> (Tensor, Tensor, Tensor) {
    let x = scalar_f64(g, "x");
    let p = source::placeholder(g, DType::Bool, Shape::known(&[]), Some("p")).unwrap();
    let (x_false, x_true) = switch(g, x, p, "Switch").unwrap();
    let squared = binary::binary(g, BinaryOp::Mul, x_true, x_true, None).unwrap();
    let three = source::scalar_const(g, DType::F64, 3.0, None, None).unwrap();
    let tripled = binary::binary(g, BinaryOp::Mul, x_false, three, None).unwrap();
    let (y, _) = merge(g, &[tripled, squared], "Merge").unwrap();
    (x, p, y)
}

#[test]
fn merge_forwards_the_taken_side_and_its_gradient() {
    let g = Graph::new();
    let (x, p, y) = square_or_triple(&g);
    let grads = gradients(&g, &[y], &[x], &GradientOptions::default()).unwrap();
    let Some(Grad::Dense(dx)) = grads[0] else {
        panic!("no gradient")
    };
    let s = Session::new(&g);
    for (taken, value, slope) in [(true, 25.0, 10.0), (false, 15.0, 3.0)] {
        let feeds = [(x, Value::scalar(5.0f64)), (p, Value::scalar(taken))];
        let out = s.run(&[y, dx], &feeds).unwrap();
        assert_eq!((as_f64(&out[0]), as_f64(&out[1])), (value, slope));
    }
}

#[test]
fn dead_fetch_is_an_error_and_live_one_is_not() {
    let g = Graph::new();
    let x = scalar_f64(&g, "x");
    let p = source::placeholder(&g, DType::Bool, Shape::known(&[]), Some("p")).unwrap();
    let (x_false, x_true) = switch(&g, x, p, "Switch").unwrap();
    let s = Session::new(&g);
    let feeds = [(x, Value::scalar(1.0f64)), (p, Value::scalar(true))];
    assert_eq!(as_f64(&s.run(&[x_true], &feeds).unwrap()[0]), 1.0);
    match s.run(&[x_true, x_false], &feeds) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => assert_eq!(message, "Retval[1] does not have value"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dead_control_input_skips_the_op() {
    let g = Graph::new();
    let x = scalar_f64(&g, "x");
    let p = source::placeholder(&g, DType::Bool, Shape::known(&[]), Some("p")).unwrap();
    let (_, x_true) = switch(&g, x, p, "Switch").unwrap();
    // A Switch's own control edges are live whatever the predicate: the pivot is an Identity
    // of the taken output, as in TF's cond.
    let pivot = g.add1(OpKind::Identity, &[x_true], Some("pivot")).unwrap();
    g.push_control_dependencies(Some(&[pivot.op()])).unwrap();
    let gated = source::scalar_const(&g, DType::F64, 7.0, None, None).unwrap();
    g.pop_control_dependencies();
    let (y, index) = merge(&g, &[gated, x], "Merge").unwrap();
    let s = Session::new(&g);
    let run = |taken: bool| {
        let feeds = [(x, Value::scalar(1.0f64)), (p, Value::scalar(taken))];
        let out = s.run(&[y, index], &feeds).unwrap();
        (as_f64(&out[0]), out[1].to_i64_vec().unwrap()[0])
    };
    // Taken: both inputs live, the first wins; untaken: the const is dead, input 1 is merged.
    assert_eq!(run(true), (7.0, 0));
    assert_eq!(run(false), (1.0, 1));
}

#[test]
fn switch_needs_a_bool_scalar_predicate() {
    let g = Graph::new();
    let x = scalar_f64(&g, "x");
    match switch(&g, x, x, "Switch") {
        Err(Error::Type { message }) => assert_eq!(
            message,
            "Input 'pred' of 'Switch' Op has type float64 that does not match expected type of bool."
        ),
        other => panic!("{other:?}"),
    }
    let v = source::placeholder(&g, DType::Bool, Shape::known(&[2]), Some("v")).unwrap();
    assert!(matches!(
        switch(&g, x, v, "Switch"),
        Err(Error::InvalidArgument { .. })
    ));
}
