//! The executor: feeds and their checks, pruning, fetches and targets, kernel errors
//! attributed to ops, closed sessions, and concurrent runs on one session.

use symgrad::exec::Session;
use symgrad::ops::{binary, control, reduce, source, unary};
use symgrad::{Code, DType, Error, Graph, Shape, Tensor, Value};

fn f32v(shape: &[usize], xs: &[f32]) -> Value {
    Value::from_vec(shape, xs.to_vec()).unwrap()
}

fn x_placeholder(g: &Graph) -> Tensor {
    source::placeholder(g, DType::F32, Shape::from_dims(&[None, Some(3)]), Some("x")).unwrap()
}

#[test]
fn missing_feed_names_the_placeholder() {
    let g = Graph::new();
    let x = x_placeholder(&g);
    let y = unary::neg(&g, x).unwrap();
    match Session::new(&g).run(&[y], &[]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            op,
            message,
        }) => {
            assert!(
                message.starts_with("You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]"),
                "{message}"
            );
            assert_eq!(op, Some(x.node));
        }
        other => panic!("{other:?}"),
    }
    // Unknown rank: no shape in the message; float64 is "double".
    let u = source::placeholder(&g, DType::F64, Shape::unknown(), Some("u")).unwrap();
    match Session::new(&g).run(&[u], &[]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => {
            assert!(
                message.starts_with(
                    "You must feed a value for placeholder tensor 'u' with dtype double\n"
                ),
                "{message:?}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn feed_checks_shape_and_dtype() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[3]), Some("x")).unwrap();
    let y = unary::neg(&g, x).unwrap();
    let s = Session::new(&g);
    match s.run(&[y], &[(x, f32v(&[2], &[1.0, 2.0]))]) {
        Err(Error::InvalidArgument { message }) => {
            assert_eq!(
                message,
                "Cannot feed value of shape (2,) for Tensor x:0, which has shape (3,)"
            )
        }
        other => panic!("{other:?}"),
    }
    let wrong = Value::from_vec(&[3], vec![1.0f64, 2.0, 3.0]).unwrap();
    assert!(matches!(
        s.run(&[y], &[(x, wrong)]),
        Err(Error::InvalidArgument { .. })
    ));
    // Partially known shapes accept any matching value.
    let p = x_placeholder(&g);
    let q = unary::neg(&g, p).unwrap();
    for rows in [0usize, 1, 4] {
        let v = Value::from_vec(&[rows, 3], vec![1.0f32; rows * 3]).unwrap();
        assert_eq!(s.run(&[q], &[(p, v)]).unwrap()[0].shape(), &[rows, 3]);
    }
    assert!(matches!(
        s.run(&[q], &[(p, f32v(&[3], &[1.0, 2.0, 3.0]))]),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn feeding_a_computed_tensor_replaces_it_and_prunes_its_inputs() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[2]), Some("x")).unwrap();
    let two = source::const_value(&g, f32v(&[], &[2.0]), None).unwrap();
    let y = binary::mul(&g, x, two).unwrap();
    let z = binary::add(&g, y, two).unwrap();
    let s = Session::new(&g);
    // x is not fed: the run succeeds because y's inputs are pruned.
    let out = s.run(&[z, y], &[(y, f32v(&[2], &[5.0, 6.0]))]).unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![7.0, 8.0]);
    assert_eq!(
        out[1].to_f64_vec(),
        vec![5.0, 6.0],
        "fetching a fed tensor gives the fed value"
    );
    // Without the feed, x is needed.
    assert!(s.run(&[z], &[]).is_err());
    let out = s.run(&[z], &[(x, f32v(&[2], &[1.0, 2.0]))]).unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![4.0, 6.0]);
    // A const can be fed too.
    let out = s
        .run(
            &[z],
            &[(x, f32v(&[2], &[1.0, 2.0])), (two, f32v(&[], &[10.0]))],
        )
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![20.0, 30.0]);
}

#[test]
fn only_the_ops_needed_run() {
    let g = Graph::new();
    let one = source::const_value(&g, Value::scalar(1i32), None).unwrap();
    let zero = source::const_value(&g, Value::scalar(0i32), None).unwrap();
    let bad = binary::binary(&g, symgrad::ops::BinaryOp::FloorDiv, one, zero, Some("bad")).unwrap();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[]), Some("x")).unwrap();
    let fine = unary::neg(
        &g,
        source::const_value(&g, f32v(&[], &[3.0]), None).unwrap(),
    )
    .unwrap();
    let _also_off_path = binary::add(&g, bad, one).unwrap();
    let s = Session::new(&g);
    // Neither the failing op nor the unfed placeholder is on the path.
    assert_eq!(s.run(&[fine], &[]).unwrap()[0].to_f64_vec(), vec![-3.0]);
    let _ = x;
}

#[test]
fn kernel_errors_name_the_op() {
    let g = Graph::new();
    let one = source::const_value(&g, Value::from_vec(&[2], vec![1i32, 2]).unwrap(), None).unwrap();
    let zero =
        source::const_value(&g, Value::from_vec(&[2], vec![1i32, 0]).unwrap(), None).unwrap();
    let bad = binary::binary(
        &g,
        symgrad::ops::BinaryOp::FloorMod,
        one,
        zero,
        Some("bad_mod"),
    )
    .unwrap();
    let after = binary::add(&g, bad, one).unwrap();
    match Session::new(&g).run(&[after], &[]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            op,
            message,
        }) => {
            assert_eq!(op, Some(bad.node));
            assert!(message.starts_with("Integer division by zero"), "{message}");
            assert!(message.ends_with("[[{{node bad_mod}}]]"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A run-time reshape error, too.
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::unknown(), Some("x")).unwrap();
    let r = symgrad::ops::array::reshape(&g, x, &[4]).unwrap();
    match Session::new(&g).run(&[r], &[(x, f32v(&[3], &[1.0, 2.0, 3.0]))]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            op,
            message,
        }) => {
            assert_eq!(op, Some(r.node));
            assert!(message.contains("Reshape"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fetching_the_same_tensor_twice() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[2]), Some("x")).unwrap();
    let y = unary::square(&g, x).unwrap();
    let z = binary::add(&g, y, y).unwrap();
    let out = Session::new(&g)
        .run(&[y, z, y, x], &[(x, f32v(&[2], &[2.0, 3.0]))])
        .unwrap();
    assert_eq!(out.len(), 4);
    assert_eq!(out[0].to_f64_vec(), vec![4.0, 9.0]);
    assert_eq!(out[2].to_f64_vec(), vec![4.0, 9.0]);
    assert_eq!(out[1].to_f64_vec(), vec![8.0, 18.0]);
    assert_eq!(out[3].to_f64_vec(), vec![2.0, 3.0]);
    // Nothing to fetch is fine.
    assert!(Session::new(&g).run(&[], &[]).unwrap().is_empty());
}

#[test]
fn targets_run_for_their_effect() {
    let g = Graph::new();
    let one = source::const_value(&g, Value::scalar(1i32), None).unwrap();
    let zero = source::const_value(&g, Value::scalar(0i32), None).unwrap();
    let bad = binary::floor_div(&g, one, zero).unwrap();
    let good = binary::add(&g, one, one).unwrap();
    let ok_group = control::group(&g, &[good.op()], Some("ok_group")).unwrap();
    let bad_group = control::group(&g, &[bad.op()], Some("bad_group")).unwrap();
    let s = Session::new(&g);
    assert!(s
        .run_with_targets(&[], &[ok_group], &[])
        .unwrap()
        .is_empty());
    let out = s.run_with_targets(&[good], &[ok_group], &[]).unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![2.0]);
    // A target's control inputs run: the failing op is reached only through the target.
    assert!(matches!(
        s.run_with_targets(&[good], &[bad_group], &[]),
        Err(Error::Op { .. })
    ));
    assert!(matches!(
        s.run_with_targets(&[], &[bad.op()], &[]),
        Err(Error::Op {
            code: Code::InvalidArgument,
            ..
        })
    ));
    // A foreign target is rejected.
    let other = Graph::new();
    let f = control::no_op(&other, None).unwrap();
    assert!(s.run_with_targets(&[], &[f], &[]).is_err());
}

#[test]
fn closed_session_is_a_runtime_error() {
    let g = Graph::new();
    let c = source::const_value(&g, f32v(&[], &[1.0]), None).unwrap();
    let s = Session::new(&g);
    assert!(s.run(&[c], &[]).is_ok());
    s.close();
    assert!(s.is_closed());
    match s.run(&[c], &[]) {
        Err(Error::Runtime { message }) => {
            assert_eq!(message, "Attempted to use a closed Session.")
        }
        other => panic!("{other:?}"),
    }
    // Other sessions on the same graph are unaffected.
    assert!(Session::new(&g).run(&[c], &[]).is_ok());
}

#[test]
fn graph_growth_after_a_run_is_seen_by_the_next_run() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[2]), Some("x")).unwrap();
    let y = unary::neg(&g, x).unwrap();
    let s = Session::new(&g);
    let xv = f32v(&[2], &[1.0, 2.0]);
    assert_eq!(
        s.run(&[y], &[(x, xv.clone())]).unwrap()[0].to_f64_vec(),
        vec![-1.0, -2.0]
    );
    let z = unary::square(&g, y).unwrap();
    assert_eq!(
        s.run(&[z, y], &[(x, xv)]).unwrap()[0].to_f64_vec(),
        vec![1.0, 4.0]
    );
}

#[test]
fn concurrent_runs_on_one_session_agree() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::from_dims(&[None]), Some("x")).unwrap();
    let mut y = x;
    for _ in 0..50 {
        y = unary::tanh(
            &g,
            binary::add(
                &g,
                y,
                source::const_value(&g, Value::scalar(0.1f64), None).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
    }
    let loss = reduce::sum(&g, y, &[0], false).unwrap();
    let d = symgrad::grad::densify(
        &g,
        symgrad::gradients(&g, &[loss], &[x], &Default::default()).unwrap()[0].unwrap(),
    )
    .unwrap();
    let s = Session::new(&g);
    let input = |k: usize| {
        Value::from_vec(
            &[64],
            (0..64)
                .map(|i| ((i * 7 + k) % 13) as f64 / 13.0 - 0.5)
                .collect(),
        )
        .unwrap()
    };
    let expected: Vec<Vec<Vec<f64>>> = (0..4)
        .map(|k| {
            s.run(&[loss, d], &[(x, input(k))])
                .unwrap()
                .iter()
                .map(|v| v.to_f64_vec())
                .collect()
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (s, expected) = (&s, &expected);
                scope.spawn(move || {
                    for round in 0..40 {
                        let k = (t + round) % 4;
                        let got: Vec<Vec<f64>> = s
                            .run(&[loss, d], &[(x, input(k))])
                            .unwrap()
                            .iter()
                            .map(|v| v.to_f64_vec())
                            .collect();
                        assert_eq!(got, expected[k], "thread {t} round {round}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
}
