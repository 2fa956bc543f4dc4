//! Host-callback ops (`PyFunc`, `PyFuncStateless`) through the public Rust API: a callback
//! registered by token runs inside the executor; its results are checked against `Tout`
//! with TF's texts; the ops have no gradient. Also: a control dependency on a fed
//! placeholder is met by the feed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use symgrad::exec::Session;
use symgrad::ops::host::{register_callback, unregister_callback, HostCallback};
use symgrad::ops::{source, unary};
use symgrad::{
    gradients, AttrValue, Attrs, Code, DType, Error, GradientOptions, Graph, Result, Shape, Tensor,
    Value,
};

/// Returns `outputs(inputs)`, counting calls.
struct Callback<F: Fn(Vec<Value>) -> Result<Vec<Value>> + Send + Sync> {
    f: F,
    calls: AtomicUsize,
}

impl<F: Fn(Vec<Value>) -> Result<Vec<Value>> + Send + Sync> HostCallback for Callback<F> {
    fn call(&self, inputs: Vec<Value>) -> Result<Vec<Value>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        (self.f)(inputs)
    }
}

fn py_func(g: &Graph, op_type: &str, token: &str, inputs: &[Tensor], tout: &[DType]) -> Tensor {
    let attrs = Attrs::new()
        .with("token", AttrValue::Str(token.to_string()))
        .with("Tout", AttrValue::Types(tout.to_vec()));
    g.add_op_def(op_type, inputs, &attrs, None)
        .expect("py_func op")
        .output(0)
}

fn f64s(shape: &[usize], xs: Vec<f64>) -> Value {
    Value::from_vec(shape, xs).expect("value")
}

#[test]
fn callback_runs_in_the_executor() {
    let doubled = Arc::new(Callback {
        f: |inputs: Vec<Value>| {
            let xs = inputs.first().map(|v| v.to_f64_vec()).unwrap_or_default();
            Ok(vec![f64s(
                &[xs.len()],
                xs.iter().map(|x| 2.0 * x).collect(),
            )])
        },
        calls: AtomicUsize::new(0),
    });
    register_callback("host_test_double", doubled.clone());
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[3]), Some("x")).expect("x");
    let y = py_func(&g, "PyFunc", "host_test_double", &[x], &[DType::F64]);
    let z = unary::square(&g, y).expect("square");
    assert_eq!(g.read().node(y.node).expect("node").type_name(), "PyFunc");
    assert!(g.meta(y).expect("meta").shape.rank().is_none());
    let sess = Session::new(&g);
    let out = sess
        .run(&[z], &[(x, f64s(&[3], vec![1.0, 2.0, 3.0]))])
        .expect("run");
    assert_eq!(out[0].to_f64_vec(), vec![4.0, 16.0, 36.0]);
    sess.run(&[z], &[(x, f64s(&[3], vec![0.0; 3]))])
        .expect("run again");
    assert_eq!(doubled.calls.load(Ordering::SeqCst), 2);
    // Not differentiable: no gradient reaches x through it, as in TF.
    let grads = gradients(&g, &[z], &[x], &GradientOptions::default()).expect("gradients");
    assert!(grads[0].is_none());
    assert!(unregister_callback("host_test_double"));
}

fn run_error(token: &str, tout: &[DType]) -> (Code, String) {
    let g = Graph::new();
    let x = source::const_value(&g, f64s(&[2], vec![1.0, 2.0]), None).expect("x");
    let y = py_func(&g, "PyFuncStateless", token, &[x], tout);
    match Session::new(&g).run(&[y], &[]) {
        Err(Error::Op { code, message, .. }) => (code, message),
        other => panic!("expected a run-time error, got {other:?}"),
    }
}

#[test]
fn results_are_checked_against_tout() {
    register_callback(
        "host_test_two_f64",
        Arc::new(Callback {
            f: |inputs: Vec<Value>| Ok(vec![inputs[0].clone(), inputs[0].clone()]),
            calls: AtomicUsize::new(0),
        }),
    );
    let (code, message) = run_error("host_test_two_f64", &[DType::F64]);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.starts_with("host_test_two_f64 returns 2 values, but expects to see 1 values."));
    let (code, message) = run_error("host_test_two_f64", &[DType::F32, DType::F64]);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message
        .starts_with("0-th value returned by host_test_two_f64 is double, but expects float"));
    unregister_callback("host_test_two_f64");
}

#[test]
fn callback_errors_and_missing_tokens() {
    register_callback(
        "host_test_fails",
        Arc::new(Callback {
            f: |_: Vec<Value>| Err(Error::op(Code::OutOfRange, "exhausted")),
            calls: AtomicUsize::new(0),
        }),
    );
    let (code, message) = run_error("host_test_fails", &[DType::F64]);
    assert_eq!(code, Code::OutOfRange);
    assert!(message.starts_with("exhausted"));
    unregister_callback("host_test_fails");
    let (code, message) = run_error("host_test_never_registered", &[DType::F64]);
    assert_eq!(code, Code::InvalidArgument);
    assert!(message.contains("host_test_never_registered is not registered"));
}

#[test]
fn control_dependency_on_a_fed_placeholder_is_met_by_the_feed() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[2]), Some("x")).expect("x");
    g.push_control_dependencies(Some(&[x.op()])).expect("push");
    let c = source::const_value(&g, f64s(&[2], vec![1.0, 2.0]), None).expect("c");
    g.pop_control_dependencies();
    let out = Session::new(&g)
        .run(&[c], &[(x, f64s(&[2], vec![0.0, 0.0]))])
        .expect("fed control input");
    assert_eq!(out[0].to_f64_vec(), vec![1.0, 2.0]);
    // Not fed, the placeholder still has to run, and fails as in TF.
    assert!(Session::new(&g).run(&[c], &[]).is_err());
}
