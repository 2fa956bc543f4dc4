//! The eager entry point from Rust: ops on concrete values, tapes, gradients of any order,
//! traced graph functions, eager variables and eager errors.

use symgrad::eager::{EagerContext, EagerTensor, Tape};
use symgrad::{ops, AttrValue, Attrs, Code, DType, Error, Graph, Shape, Unconnected, Value};

fn t(shape: &[usize], data: Vec<f64>) -> EagerTensor {
    EagerTensor::new(Value::from_vec(shape, data).unwrap())
}

fn run1(ctx: &EagerContext, op: &str, inputs: &[EagerTensor]) -> EagerTensor {
    ctx.execute(op, inputs, &Attrs::new()).unwrap().remove(0)
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn ops_run_at_once_and_reuse_their_cached_function() {
    let ctx = EagerContext::new();
    let a = t(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
    let b = t(&[2, 2], vec![1.0, 0.0, 0.0, 1.0]);
    let c = run1(&ctx, "MatMul", &[a.clone(), b.clone()]);
    close(&c.value.to_f64_vec(), &[1.0, 2.0, 3.0, 4.0]);
    let f1 = ctx
        .op_function("MatMul", &[a.clone(), b.clone()], &Attrs::new())
        .unwrap();
    let f2 = ctx
        .op_function("MatMul", &[c.clone(), b], &Attrs::new())
        .unwrap();
    assert!(std::sync::Arc::ptr_eq(&f1, &f2));
    // Small integer inputs are folded: the reduced shape is static, as in graph mode.
    let axes = EagerTensor::new(Value::from_vec(&[1], vec![1i32]).unwrap());
    let s = ctx
        .execute(
            "Sum",
            &[a, axes],
            &Attrs::new().with("keep_dims", AttrValue::Bool(false)),
        )
        .unwrap()
        .remove(0);
    close(&s.value.to_f64_vec(), &[3.0, 7.0]);
    assert_eq!(s.value.shape(), &[2]);
}

#[test]
fn errors_name_the_op_type() {
    let ctx = EagerContext::new();
    let a = t(&[2, 3], vec![0.0; 6]);
    match ctx.execute("MatMul", &[a.clone(), a.clone()], &Attrs::new()) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            op: None,
            message,
        }) => assert!(message.ends_with("[Op:MatMul]"), "{message}"),
        other => panic!("unexpected {other:?}", other = other.map(|v| v.len())),
    }
    let shape = EagerTensor::new(Value::from_vec(&[1], vec![4i32]).unwrap());
    let err = ctx
        .execute("Reshape", &[a, shape], &Attrs::new())
        .err()
        .unwrap();
    assert!(err.to_string().contains("[Op:Reshape]"), "{err}");
    assert!(ctx.execute("NoSuchOp", &[], &Attrs::new()).is_err());
}

#[test]
fn tape_gradient_and_nested_second_derivative() {
    let ctx = EagerContext::new();
    let x = t(&[3], vec![0.1, 0.5, -1.2]);
    let outer = Tape::new(false);
    let inner = Tape::new(false);
    ctx.push_tape(&outer);
    ctx.push_tape(&inner);
    outer.watch(&x);
    inner.watch(&x);
    let s = run1(&ctx, "Sin", std::slice::from_ref(&x));
    let y = run1(&ctx, "Mul", &[s, x.clone()]);
    ctx.pop_tape(&inner);
    let d1 = ctx
        .gradient(
            &inner,
            &[y],
            std::slice::from_ref(&x),
            None,
            Unconnected::None,
        )
        .unwrap()
        .remove(0)
        .unwrap();
    ctx.pop_tape(&outer);
    let d2 = ctx
        .gradient(
            &outer,
            std::slice::from_ref(&d1),
            std::slice::from_ref(&x),
            None,
            Unconnected::None,
        )
        .unwrap()
        .remove(0)
        .unwrap();
    let xs = x.value.to_f64_vec();
    let want1: Vec<f64> = xs.iter().map(|v| v.cos() * v + v.sin()).collect();
    let want2: Vec<f64> = xs.iter().map(|v| -v.sin() * v + 2.0 * v.cos()).collect();
    close(&d1.value.to_f64_vec(), &want1);
    close(&d2.value.to_f64_vec(), &want2);
    // A non-persistent tape gives one set of gradients.
    let again = ctx.gradient(&inner, &[d1], &[x], None, Unconnected::None);
    assert!(matches!(again, Err(Error::Runtime { .. })));
}

#[test]
fn unconnected_sources_and_output_gradients() {
    let ctx = EagerContext::new();
    let x = t(&[2], vec![1.0, 2.0]);
    let u = t(&[2], vec![5.0, 6.0]);
    let tape = Tape::new(true);
    ctx.push_tape(&tape);
    tape.watch(&x);
    let y = run1(&ctx, "Square", std::slice::from_ref(&x));
    ctx.pop_tape(&tape);
    let seed = t(&[2], vec![10.0, 100.0]);
    let g = ctx
        .gradient(
            &tape,
            std::slice::from_ref(&y),
            &[x, u.clone()],
            Some(&[Some(seed)]),
            Unconnected::None,
        )
        .unwrap();
    close(&g[0].as_ref().unwrap().value.to_f64_vec(), &[20.0, 400.0]);
    assert!(g[1].is_none());
    let z = ctx
        .gradient(&tape, &[y], &[u], None, Unconnected::Zero)
        .unwrap()
        .remove(0)
        .unwrap();
    close(&z.value.to_f64_vec(), &[0.0, 0.0]);
}

#[test]
fn graph_functions_run_and_differentiate_on_the_tape() {
    let ctx = EagerContext::new();
    let g = Graph::new();
    let p = ops::source::placeholder(&g, DType::F64, Shape::known(&[2]), Some("x")).unwrap();
    let e = ops::unary::exp(&g, p).unwrap();
    let f = ctx
        .make_function(&g, vec![p], vec![e], &[], "exp_fn")
        .unwrap();
    let x = t(&[2], vec![0.0, 1.0]);
    let tape = Tape::new(false);
    ctx.push_tape(&tape);
    tape.watch(&x);
    let y = ctx.call(&f, std::slice::from_ref(&x)).unwrap().remove(0);
    ctx.pop_tape(&tape);
    close(&y.value.to_f64_vec(), &[1.0, 1f64.exp()]);
    let d = ctx
        .gradient(&tape, &[y], &[x], None, Unconnected::None)
        .unwrap()
        .remove(0)
        .unwrap();
    close(&d.value.to_f64_vec(), &[1.0, 1f64.exp()]);
}

#[test]
fn eager_variables_live_in_the_context_state() {
    let ctx = EagerContext::new();
    let attrs = Attrs::new()
        .with("dtype", AttrValue::Type(DType::F64))
        .with("shared_name", AttrValue::Str("v".into()));
    let handle = ctx.execute("VarHandleOp", &[], &attrs).unwrap().remove(0);
    let dtype = Attrs::new().with("dtype", AttrValue::Type(DType::F64));
    ctx.execute(
        "AssignVariableOp",
        &[handle.clone(), t(&[], vec![3.0])],
        &dtype,
    )
    .unwrap();
    ctx.execute("AssignAddVariableOp", &[handle, t(&[], vec![1.0])], &dtype)
        .unwrap();
    let var_id = symgrad::eager::new_tensor_id();
    let tape = Tape::new(false);
    ctx.push_tape(&tape);
    tape.watch_id(var_id);
    let read = ctx.read_variable("v", var_id).unwrap();
    let y = run1(&ctx, "Mul", &[read.clone(), read]);
    ctx.pop_tape(&tape);
    close(&y.value.to_f64_vec(), &[16.0]);
    let source = ctx.variable_value("v", var_id).unwrap();
    let d = ctx
        .gradient(&tape, &[y], &[source], None, Unconnected::None)
        .unwrap()
        .remove(0)
        .unwrap();
    close(&d.value.to_f64_vec(), &[8.0]);
    assert!(ctx.read_variable("missing", 1).is_err());
}

#[test]
fn paused_recording_records_nothing() {
    let ctx = EagerContext::new();
    let x = t(&[], vec![2.0]);
    let tape = Tape::new(false);
    ctx.push_tape(&tape);
    tape.watch(&x);
    ctx.pause_recording();
    let y = run1(&ctx, "Square", std::slice::from_ref(&x));
    ctx.resume_recording();
    ctx.pop_tape(&tape);
    let g = ctx
        .gradient(&tape, &[y], &[x], None, Unconnected::None)
        .unwrap();
    assert!(g[0].is_none());
}

/// Prints the eager per-op cost on a chain of small ops (a figure, not an assertion).
#[test]
fn per_op_overhead_figure() {
    let ctx = EagerContext::new();
    let mut x = EagerTensor::new(Value::from_vec(&[4], vec![0.5f32; 4]).unwrap());
    let n = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        x = run1(&ctx, "Tanh", std::slice::from_ref(&x));
    }
    let per_op = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("eager Tanh on [4] from Rust: {per_op:.2} us/op");
    assert!(x.value.to_f64_vec().iter().all(|v| v.is_finite()));
}

#[test]
fn string_variables_are_assigned_and_read_whole() {
    let ctx = EagerContext::new();
    let str_type = Attrs::new().with("dtype", AttrValue::Type(DType::Str));
    let handle = ctx
        .execute(
            "VarHandleOp",
            &[],
            &str_type
                .clone()
                .with("shared_name", AttrValue::Str("words".into())),
        )
        .unwrap()
        .remove(0);
    let words = vec![b"alpha".to_vec(), vec![0xff, 0x00], Vec::new()];
    let value = EagerTensor::new(Value::from_strings(&[3], words.clone()).unwrap());
    ctx.execute("AssignVariableOp", &[handle.clone(), value], &str_type)
        .unwrap();
    let read = ctx
        .execute("ReadVariableOp", std::slice::from_ref(&handle), &str_type)
        .unwrap()
        .remove(0);
    match &read.value {
        Value::Str(a) => assert_eq!(a.iter().cloned().collect::<Vec<_>>(), words),
        other => panic!("not a string tensor: {other:?}"),
    }
    // Adding to a string variable stays refused, as in TF.
    let one = EagerTensor::new(Value::from_strings(&[3], vec![Vec::new(); 3]).unwrap());
    let refused = ctx.execute("AssignAddVariableOp", &[handle, one], &str_type);
    assert!(
        matches!(&refused, Err(Error::Type { message }) if message.contains("string")),
        "{refused:?}"
    );
}
