//! Variable ops: handles, reads, assignments, session state and their errors.

use symgrad::exec::Session;
use symgrad::ops::{binary, source, state, BinaryOp};
use symgrad::{Code, DType, Error, Graph, Shape, Value};

fn f64v(shape: &[usize], xs: &[f64]) -> Value {
    Value::from_vec(shape, xs.to_vec()).unwrap()
}

fn vals(v: &Value) -> Vec<f64> {
    v.to_f64_vec()
}

fn truth(v: &Value) -> bool {
    v.as_array::<bool>()
        .and_then(|a| a.iter().next().copied())
        .unwrap()
}

#[test]
fn assign_read_and_update_in_one_session() {
    let g = Graph::new();
    let v = state::var_handle(&g, "v", DType::F64, Shape::known(&[2])).unwrap();
    let read = state::read_variable(&g, v, DType::F64, None).unwrap();
    assert_eq!(g.shape(read).unwrap(), Shape::known(&[2]));
    let init = source::const_value(&g, f64v(&[2], &[1.0, 2.0]), None).unwrap();
    let assign = state::assign_variable(&g, "AssignVariableOp", v, init, None).unwrap();
    let delta = source::const_value(&g, f64v(&[2], &[0.5, 0.5]), None).unwrap();
    let add = state::assign_variable(&g, "AssignAddVariableOp", v, delta, None).unwrap();
    let sub = state::assign_variable(&g, "AssignSubVariableOp", v, delta, None).unwrap();
    let is_init = state::var_is_initialized(&g, v, None).unwrap();
    let doubled = binary::binary(&g, BinaryOp::Mul, read, read, None).unwrap();

    let s = Session::new(&g);
    assert!(!truth(&s.run(&[is_init], &[]).unwrap()[0]));
    match s.run(&[read], &[]) {
        Err(Error::Op {
            code: Code::FailedPrecondition,
            message,
            ..
        }) => assert!(
            message.starts_with("Could not find variable v."),
            "{message}"
        ),
        other => panic!("expected FailedPrecondition, got {other:?}"),
    }
    s.run_with_targets(&[], &[assign], &[]).unwrap();
    assert!(truth(&s.run(&[is_init], &[]).unwrap()[0]));
    assert_eq!(vals(&s.run(&[read], &[]).unwrap()[0]), vec![1.0, 2.0]);
    // Fetching the same read twice in one run computes it once.
    let out = s.run(&[doubled, read], &[]).unwrap();
    assert_eq!(vals(&out[0]), vec![1.0, 4.0]);
    s.run_with_targets(&[], &[add], &[]).unwrap();
    s.run_with_targets(&[], &[add], &[]).unwrap();
    s.run_with_targets(&[], &[sub], &[]).unwrap();
    assert_eq!(vals(&s.run(&[read], &[]).unwrap()[0]), vec![1.5, 2.5]);
    // Another session has its own values.
    let other = Session::new(&g);
    assert!(other.run(&[read], &[]).is_err());
}

#[test]
fn build_time_errors() {
    let g = Graph::new();
    let v = state::var_handle(&g, "v", DType::F32, Shape::known(&[2])).unwrap();
    let wrong_type = source::const_value(&g, f64v(&[2], &[1.0, 2.0]), None).unwrap();
    assert!(matches!(
        state::assign_variable(&g, "AssignVariableOp", v, wrong_type, None),
        Err(Error::Type { .. })
    ));
    let wrong_shape = source::const_value(
        &g,
        Value::from_vec(&[3], vec![1f32, 2.0, 3.0]).unwrap(),
        None,
    )
    .unwrap();
    match state::assign_variable(&g, "AssignVariableOp", v, wrong_shape, Some("bad")) {
        Err(Error::InvalidArgument { message }) => assert!(message.contains("'bad'"), "{message}"),
        other => panic!("expected ValueError, got {other:?}"),
    }
    assert!(state::read_variable(&g, v, DType::F64, None).is_err());
    // A non-handle input is rejected.
    assert!(state::read_variable(&g, wrong_type, DType::F64, None).is_err());
}

#[test]
fn run_time_shape_mismatch_on_update() {
    let g = Graph::new();
    let v = state::var_handle(&g, "v", DType::F64, Shape::unknown()).unwrap();
    let p = source::placeholder(&g, DType::F64, Shape::from_dims(&[None]), Some("p")).unwrap();
    let assign = state::assign_variable(&g, "AssignVariableOp", v, p, None).unwrap();
    let add = state::assign_variable(&g, "AssignAddVariableOp", v, p, None).unwrap();
    let s = Session::new(&g);
    s.run_with_targets(&[], &[assign], &[(p, f64v(&[2], &[1.0, 2.0]))])
        .unwrap();
    match s.run_with_targets(&[], &[add], &[(p, f64v(&[3], &[1.0, 2.0, 3.0]))]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => assert!(
            message.contains("Cannot update variable with shape [2]"),
            "{message}"
        ),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn resource_scatter_and_gather() {
    let g = Graph::new();
    let v = state::var_handle(&g, "v", DType::F32, Shape::known(&[5, 2])).unwrap();
    let init = source::const_value(
        &g,
        Value::from_vec(&[5, 2], (0..10).map(|x| x as f32).collect()).unwrap(),
        None,
    )
    .unwrap();
    let assign = state::assign_variable(&g, "AssignVariableOp", v, init, None).unwrap();
    let ids =
        source::const_value(&g, Value::from_vec(&[3], vec![1i32, 3, 1]).unwrap(), None).unwrap();
    let upd = source::const_value(
        &g,
        Value::from_vec(&[3, 2], vec![1f32, 1.0, 2.0, 2.0, 10.0, 10.0]).unwrap(),
        None,
    )
    .unwrap();
    let add = state::resource_scatter(&g, "ResourceScatterAdd", v, ids, upd, None).unwrap();
    let sub = state::resource_scatter(&g, "ResourceScatterSub", v, ids, upd, None).unwrap();
    let set = state::resource_scatter(&g, "ResourceScatterUpdate", v, ids, upd, None).unwrap();
    let read = state::read_variable(&g, v, DType::F32, None).unwrap();
    let gathered = state::resource_gather(&g, v, ids, DType::F32, None).unwrap();
    assert_eq!(g.shape(gathered).unwrap(), Shape::known(&[3, 2]));
    let s = Session::new(&g);
    s.run_with_targets(&[], &[assign], &[]).unwrap();
    s.run_with_targets(&[], &[add], &[]).unwrap();
    // Duplicate indices accumulate.
    assert_eq!(
        vals(&s.run(&[read], &[]).unwrap()[0]),
        vec![0.0, 1.0, 13.0, 14.0, 4.0, 5.0, 8.0, 9.0, 8.0, 9.0]
    );
    assert_eq!(
        vals(&s.run(&[gathered], &[]).unwrap()[0]),
        vec![13.0, 14.0, 8.0, 9.0, 13.0, 14.0]
    );
    s.run_with_targets(&[], &[sub], &[]).unwrap();
    assert_eq!(
        vals(&s.run(&[read], &[]).unwrap()[0]),
        (0..10).map(|x| x as f64).collect::<Vec<_>>()
    );
    s.run_with_targets(&[], &[set], &[]).unwrap();
    assert_eq!(
        vals(&s.run(&[read], &[]).unwrap()[0]),
        vec![0.0, 1.0, 10.0, 10.0, 4.0, 5.0, 2.0, 2.0, 8.0, 9.0]
    );
    // Out-of-range indices: TF's InvalidArgumentError.
    let bad = source::const_value(&g, Value::from_vec(&[1], vec![7i32]).unwrap(), None).unwrap();
    let bad_upd =
        source::const_value(&g, Value::from_vec(&[1, 2], vec![1f32, 1.0]).unwrap(), None).unwrap();
    let bad_add = state::resource_scatter(&g, "ResourceScatterAdd", v, bad, bad_upd, None).unwrap();
    match s.run_with_targets(&[], &[bad_add], &[]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => assert!(
            message.contains("indices[0] = 7 is not in [0, 5)"),
            "{message}"
        ),
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}
