//! `gradients()` argument by argument, with TF's observable results: seeds and their
//! names, name scopes, stop_gradients, unconnected xs, integer paths, aggregation, gating,
//! colocation, the registry (LookupError, NotDifferentiable, Rust gradient functions,
//! wrong counts), hessians and higher derivatives.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use symgrad::exec::Session;
use symgrad::grad::registry::{self, GradientFn};
use symgrad::grad::{densify, GradCtx};
use symgrad::ops::{array, binary, control, reduce, source, unary, BinaryOp, OpKind};
use symgrad::{
    gradients, hessians, DType, Error, Grad, GradientOptions, Graph, Shape, Tensor, Unconnected,
    Value,
};

type R<T> = symgrad::Result<T>;

fn opts() -> GradientOptions {
    GradientOptions::default()
}

fn ph(g: &Graph, shape: &[usize], name: &str) -> Tensor {
    source::placeholder(g, DType::F64, Shape::known(shape), Some(name)).unwrap()
}

fn scalar(g: &Graph, x: f64) -> Tensor {
    source::const_value(g, Value::scalar(x), None).unwrap()
}

fn named_const(g: &Graph, x: f64, name: &str) -> Tensor {
    source::const_value(g, Value::scalar(x), Some(name)).unwrap()
}

fn vecv(xs: &[f64]) -> Value {
    Value::from_vec(&[xs.len()], xs.to_vec()).unwrap()
}

fn dense(g: &Graph, d: Option<Grad>) -> Tensor {
    densify(g, d.expect("gradient is None")).unwrap()
}

fn name(g: &Graph, t: Tensor) -> String {
    g.op_name(t.op()).unwrap()
}

fn type_of(g: &Graph, t: Tensor) -> String {
    g.read().node(t.node).unwrap().type_name().to_string()
}

fn op_names(g: &Graph) -> Vec<String> {
    let data = g.read();
    data.nodes()
        .iter()
        .map(|n| data.op_name(n).to_string())
        .collect()
}

fn input_names(g: &Graph, t: Tensor) -> Vec<String> {
    g.op_inputs(t.op())
        .unwrap()
        .into_iter()
        .map(|i| name(g, i))
        .collect()
}

fn eval(g: &Graph, ts: &[Tensor], feeds: &[(Tensor, Value)]) -> Vec<Vec<f64>> {
    Session::new(g)
        .run(ts, feeds)
        .unwrap()
        .iter()
        .map(|v| v.to_f64_vec())
        .collect()
}

fn mul(g: &Graph, a: Tensor, b: Tensor, n: &str) -> Tensor {
    binary::binary(g, BinaryOp::Mul, a, b, Some(n)).unwrap()
}

fn add(g: &Graph, a: Tensor, b: Tensor, n: &str) -> Tensor {
    binary::binary(g, BinaryOp::AddV2, a, b, Some(n)).unwrap()
}

// ----- return value, seeds -----

#[test]
fn empty_xs_and_ys() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = unary::square(&g, x).unwrap();
    assert!(gradients(&g, &[y], &[], &opts()).unwrap().is_empty());
    let r = gradients(&g, &[], &[x, x], &opts()).unwrap();
    assert_eq!(r, vec![None, None]);
}

#[test]
fn default_seed_is_a_fill_named_grad_ys_i() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    // gradients(x, x) returns the seed itself.
    let d = gradients(&g, &[x], &[x], &opts()).unwrap();
    let seed = dense(&g, d[0]);
    assert_eq!(name(&g, seed), "gradients/grad_ys_0");
    assert_eq!(type_of(&g, seed), "Fill");
    assert!(g.op_by_name("gradients/grad_ys_0/Const").is_some());
    assert!(g.op_by_name("gradients/Shape").is_some());
    assert_eq!(
        eval(&g, &[seed], &[(x, vecv(&[5.0, 6.0]))])[0],
        vec![1.0, 1.0]
    );
    // The second y's seed is grad_ys_1, in the next scope.
    let y = unary::square(&g, x).unwrap();
    let d = gradients(&g, &[y, x], &[x], &opts()).unwrap();
    assert!(g.op_by_name("gradients_1/grad_ys_0").is_some());
    assert!(g.op_by_name("gradients_1/grad_ys_1").is_some());
    assert!(g.op_by_name("gradients_1/Shape_1").is_some());
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, vecv(&[5.0, 6.0]))])[0],
        vec![11.0, 13.0]
    );
}

#[test]
fn explicit_grad_ys_are_wrapped_in_identity() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let seed = source::const_value(&g, vecv(&[3.0, -1.0]), Some("seed")).unwrap();
    let d = gradients(
        &g,
        &[x],
        &[x],
        &GradientOptions {
            grad_ys: Some(vec![Some(seed.into())]),
            ..opts()
        },
    )
    .unwrap();
    let t = dense(&g, d[0]);
    assert_eq!(name(&g, t), "gradients/grad_ys_0");
    assert_eq!(type_of(&g, t), "Identity");
    assert_eq!(input_names(&g, t), vec!["seed"]);
    // Mixed None / explicit seeds.
    let y = unary::square(&g, x).unwrap();
    let z = unary::neg(&g, x).unwrap();
    let d = gradients(
        &g,
        &[y, z],
        &[x],
        &GradientOptions {
            grad_ys: Some(vec![None, Some(seed.into())]),
            ..opts()
        },
    )
    .unwrap();
    assert!(g.op_by_name("gradients_1/grad_ys_0").is_some());
    assert_eq!(
        type_of(&g, g.op_by_name("gradients_1/grad_ys_0").unwrap().output(0)),
        "Fill"
    );
    assert_eq!(
        type_of(&g, g.op_by_name("gradients_1/grad_ys_1").unwrap().output(0)),
        "Identity"
    );
    // 2x·1 + (-1)·seed at x = [1, 2]: [2-3, 4+1].
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, vecv(&[1.0, 2.0]))])[0],
        vec![-1.0, 5.0]
    );
}

#[test]
fn grad_ys_validation() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let y = unary::square(&g, x).unwrap();
    let s = source::const_value(&g, vecv(&[1.0, 1.0]), None).unwrap();
    match gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            grad_ys: Some(vec![Some(s.into()), Some(s.into())]),
            ..opts()
        },
    ) {
        Err(Error::InvalidArgument { message }) => {
            assert_eq!(message, "Length mismatch. Passed 2 grad_ys for 1 ys")
        }
        other => panic!("{other:?}"),
    }
    let wrong_dtype =
        source::const_value(&g, Value::from_vec(&[2], vec![1f32, 1.]).unwrap(), None).unwrap();
    let r = gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            grad_ys: Some(vec![Some(wrong_dtype.into())]),
            ..opts()
        },
    );
    assert!(matches!(r, Err(Error::Type { .. })), "{r:?}");
    let wrong_shape = source::const_value(&g, vecv(&[1.0, 1.0, 1.0]), None).unwrap();
    let r = gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            grad_ys: Some(vec![Some(wrong_shape.into())]),
            ..opts()
        },
    );
    assert!(matches!(r, Err(Error::InvalidArgument { .. })), "{r:?}");
    // The caller's name scope is restored after a failure.
    assert_eq!(g.name_scope(), "");
}

// ----- name scopes -----

#[test]
fn gradient_name_scopes() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let sq = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("sq")).unwrap();
    let d0 = dense(&g, gradients(&g, &[sq], &[x], &opts()).unwrap()[0]);
    assert!(
        name(&g, d0).starts_with("gradients/sq_grad/"),
        "{}",
        name(&g, d0)
    );
    assert!(
        g.op_by_name("gradients/uid").is_none(),
        "uid is a reserved name, not an op"
    );
    let d1 = dense(&g, gradients(&g, &[sq], &[x], &opts()).unwrap()[0]);
    assert!(
        name(&g, d1).starts_with("gradients_1/sq_grad/"),
        "{}",
        name(&g, d1)
    );
    let custom = GradientOptions {
        name: Some("mygrads".into()),
        ..opts()
    };
    let d2 = dense(&g, gradients(&g, &[sq], &[x], &custom).unwrap()[0]);
    assert!(name(&g, d2).starts_with("mygrads/sq_grad/"));
    let d3 = dense(&g, gradients(&g, &[sq], &[x], &custom).unwrap()[0]);
    assert!(name(&g, d3).starts_with("mygrads_1/sq_grad/"));
    // Case-insensitive uniquing: after "Gradients/", "gradients" is taken.
    let g2 = Graph::new();
    let x2 = ph(&g2, &[], "x");
    let s2 = unary::unary(&g2, symgrad::ops::UnaryOp::Square, x2, Some("sq")).unwrap();
    gradients(
        &g2,
        &[s2],
        &[x2],
        &GradientOptions {
            name: Some("Gradients".into()),
            ..opts()
        },
    )
    .unwrap();
    let d = dense(&g2, gradients(&g2, &[s2], &[x2], &opts()).unwrap()[0]);
    assert!(name(&g2, d).starts_with("gradients_1/"), "{}", name(&g2, d));
    // Nested under the caller's scope; the scope is restored afterwards.
    g.enter_name_scope(Some("outer"));
    let d4 = dense(&g, gradients(&g, &[sq], &[x], &opts()).unwrap()[0]);
    assert_eq!(g.name_scope(), "outer/");
    g.set_name_scope("");
    assert!(
        name(&g, d4).starts_with("outer/gradients/sq_grad/"),
        "{}",
        name(&g, d4)
    );
    // A forward op inside a scope gets `<scope>/<op>_grad`.
    g.enter_name_scope(Some("scope"));
    let inner = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("sq")).unwrap();
    g.set_name_scope("");
    let d5 = dense(&g, gradients(&g, &[inner], &[x], &opts()).unwrap()[0]);
    assert!(
        name(&g, d5).starts_with("gradients_2/scope/sq_grad/"),
        "{}",
        name(&g, d5)
    );
    // Gradients of gradients nest the names.
    let dd = dense(&g, gradients(&g, &[d0], &[x], &opts()).unwrap()[0]);
    assert!(
        name(&g, dd).starts_with("gradients_3/gradients/sq_grad/"),
        "{}",
        name(&g, dd)
    );
    let v = eval(
        &g,
        &[d0, d1, d2, d3, d4, d5, dd],
        &[(x, Value::scalar(3.0f64))],
    );
    assert_eq!(
        v,
        vec![vec![6.0]; 6]
            .into_iter()
            .chain([vec![2.0]])
            .collect::<Vec<_>>()
    );
}

#[test]
fn name_ending_in_slash_reenters_the_scope() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let sq = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("sq")).unwrap();
    let o = GradientOptions {
        name: Some("g/".into()),
        ..opts()
    };
    let a = dense(&g, gradients(&g, &[sq], &[x], &o).unwrap()[0]);
    let b = dense(&g, gradients(&g, &[sq], &[x], &o).unwrap()[0]);
    assert!(name(&g, a).starts_with("g/sq_grad/"), "{}", name(&g, a));
    assert!(name(&g, b).starts_with("g/sq_grad_1/"), "{}", name(&g, b));
    // The second default seed takes the next unique `grad_ys_0` scope, as TF's `ones`.
    assert!(g.op_by_name("g/grad_ys_0").is_some());
    assert_eq!(
        type_of(
            &g,
            g.op_by_name("g/grad_ys_0_1")
                .expect("second seed")
                .output(0)
        ),
        "Fill"
    );
    assert!(g.op_by_name("g/grad_ys_0_1/Const").is_some());
    assert_eq!(
        eval(&g, &[a, b], &[(x, Value::scalar(2.0f64))]),
        vec![vec![4.0], vec![4.0]]
    );
}

// ----- stop_gradients -----

#[test]
fn stop_gradients_doc_example() {
    // a = 0; b = 2a; gradients(a + b, [a, b]) is [3, 1]; with stop_gradients=[a, b], [1, 1].
    let g = Graph::new();
    let a = named_const(&g, 0.0, "a");
    let b = mul(&g, scalar(&g, 2.0), a, "b");
    let s = add(&g, a, b, "s");
    let plain = gradients(&g, &[s], &[a, b], &opts()).unwrap();
    let stopped = gradients(
        &g,
        &[s],
        &[a, b],
        &GradientOptions {
            stop_gradients: vec![a, b],
            ..opts()
        },
    )
    .unwrap();
    let v = eval(
        &g,
        &[
            dense(&g, plain[0]),
            dense(&g, plain[1]),
            dense(&g, stopped[0]),
            dense(&g, stopped[1]),
        ],
        &[],
    );
    assert_eq!(v, vec![vec![3.0], vec![1.0], vec![1.0], vec![1.0]]);
}

#[test]
fn stop_gradients_partial_derivative_table() {
    // x = 1; y = 2x; z = x + y.
    let cases: [(&[usize], [f64; 2]); 4] = [
        (&[], [3.0, 1.0]),
        (&[0, 1], [1.0, 1.0]),
        (&[1], [1.0, 1.0]),
        (&[0], [3.0, 1.0]),
    ];
    for (stops, want) in cases {
        let g = Graph::new();
        let x = ph(&g, &[], "x");
        let y = mul(&g, scalar(&g, 2.0), x, "y");
        let z = add(&g, x, y, "z");
        let xy = [x, y];
        let o = GradientOptions {
            stop_gradients: stops.iter().map(|&i| xy[i]).collect(),
            ..opts()
        };
        let d = gradients(&g, &[z], &[x, y], &o).unwrap();
        let v = eval(
            &g,
            &[dense(&g, d[0]), dense(&g, d[1])],
            &[(x, Value::scalar(1.0f64))],
        );
        assert_eq!(
            v,
            vec![vec![want[0]], vec![want[1]]],
            "stop_gradients {stops:?}"
        );
    }
    // Stopping the y itself makes everything None; unrelated stops change nothing.
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = mul(&g, scalar(&g, 2.0), x, "y");
    let d = gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            stop_gradients: vec![y],
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(d, vec![None]);
    let unrelated = unary::neg(&g, scalar(&g, 1.0)).unwrap();
    let d = gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            stop_gradients: vec![unrelated],
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, Value::scalar(1.0f64))]),
        vec![vec![2.0]]
    );
}

#[test]
fn an_x_depending_on_another_x_does_not_stop_backprop() {
    // x; y = 2x; z = 3y: gradients(z, [x, y]) = [6, 3].
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = mul(&g, scalar(&g, 2.0), x, "y");
    let z = mul(&g, scalar(&g, 3.0), y, "z");
    let d = gradients(&g, &[z], &[x, y], &opts()).unwrap();
    assert_eq!(
        eval(
            &g,
            &[dense(&g, d[0]), dense(&g, d[1])],
            &[(x, Value::scalar(1.0f64))]
        ),
        vec![vec![6.0], vec![3.0]]
    );
}

#[test]
fn stop_gradient_op_matches_stop_gradients_argument() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = mul(&g, scalar(&g, 2.0), x, "y");
    let ys = array::stop_gradient(&g, y).unwrap();
    let z = add(&g, x, ys, "z");
    let d = gradients(&g, &[z], &[x], &opts()).unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, Value::scalar(1.0f64))]),
        vec![vec![1.0]]
    );
    let only = gradients(&g, &[ys], &[x], &opts()).unwrap();
    assert_eq!(only, vec![None]);
}

// ----- unconnected, integer paths -----

#[test]
fn unconnected_xs() {
    let g = Graph::new();
    let x = ph(&g, &[2, 2], "x");
    let other = ph(&g, &[2, 2], "other");
    let y = unary::square(&g, x).unwrap();
    let d = gradients(&g, &[y], &[x, other], &opts()).unwrap();
    assert!(d[0].is_some());
    assert!(d[1].is_none());
    // An x downstream of y is unconnected too.
    let after = unary::neg(&g, y).unwrap();
    assert_eq!(gradients(&g, &[y], &[after], &opts()).unwrap(), vec![None]);
    // Zero: zeros of x's shape and dtype, built in the caller's scope.
    let z = gradients(
        &g,
        &[y],
        &[x, other],
        &GradientOptions {
            unconnected_gradients: Unconnected::Zero,
            ..opts()
        },
    )
    .unwrap();
    let zt = dense(&g, z[1]);
    assert!(!name(&g, zt).contains("gradients"), "{}", name(&g, zt));
    assert_eq!(g.shape(zt).unwrap(), Shape::known(&[2, 2]));
    assert_eq!(g.dtype(zt).unwrap(), DType::F64);
    let xv = Value::from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let v = eval(&g, &[dense(&g, z[0]), zt], &[(x, xv)]);
    assert_eq!(v, vec![vec![2.0, 4.0, 6.0, 8.0], vec![0.0; 4]]);
    // Connected results are unchanged under Zero.
}

#[test]
fn integer_paths_give_none() {
    let g = Graph::new();
    let x = ph(&g, &[3], "x");
    let round_trip = array::cast(&g, array::cast(&g, x, DType::I32).unwrap(), DType::F64).unwrap();
    assert_eq!(
        gradients(&g, &[round_trip], &[x], &opts()).unwrap(),
        vec![None]
    );
    let z = gradients(
        &g,
        &[round_trip],
        &[x],
        &GradientOptions {
            unconnected_gradients: Unconnected::Zero,
            ..opts()
        },
    )
    .unwrap();
    let xv = vecv(&[1.5, -2.5, 3.0]);
    assert_eq!(
        eval(&g, &[dense(&g, z[0])], &[(x, xv.clone())]),
        vec![vec![0.0; 3]]
    );
    // cast(cast(x)) * x: only the direct path counts, so the gradient is cast(cast(x)).
    let p = mul(&g, round_trip, x, "p");
    let d = gradients(&g, &[p], &[x], &opts()).unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, xv)]),
        vec![vec![1.0, -2.0, 3.0]]
    );
    // Integer xs: None through ops, but an x that is a y gets the int ones seed.
    let xi = source::placeholder(&g, DType::I32, Shape::known(&[2]), Some("xi")).unwrap();
    let two = source::const_value(&g, Value::from_vec(&[2], vec![2i32, 2]).unwrap(), None).unwrap();
    let yi = binary::mul(&g, xi, two).unwrap();
    assert_eq!(gradients(&g, &[yi], &[xi], &opts()).unwrap(), vec![None]);
    let s = dense(&g, gradients(&g, &[xi], &[xi], &opts()).unwrap()[0]);
    assert_eq!(g.dtype(s).unwrap(), DType::I32);
    let out = Session::new(&g)
        .run(&[s], &[(xi, Value::from_vec(&[2], vec![4i32, 5]).unwrap())])
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![1.0, 1.0]);
}

// ----- several ys -----

#[test]
fn duplicate_ys_add_their_seeds() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let a = unary::square(&g, x).unwrap();
    let d = gradients(&g, &[a, a], &[x], &opts()).unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, Value::scalar(3.0f64))]),
        vec![vec![12.0]]
    );
}

#[test]
fn ys_depending_on_each_other() {
    // y = x², y2 = (y²)², x = 3: 2x + 8x⁷ = 17502.
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = unary::square(&g, x).unwrap();
    let y2 = unary::square(&g, unary::square(&g, y).unwrap()).unwrap();
    let d = gradients(&g, &[y, y2], &[x], &opts()).unwrap();
    let sum = add(&g, y, y2, "sum");
    let d_sum = gradients(&g, &[sum], &[x], &opts()).unwrap();
    let v = eval(
        &g,
        &[dense(&g, d[0]), dense(&g, d_sum[0])],
        &[(x, Value::scalar(3.0f64))],
    );
    assert_eq!(v, vec![vec![17502.0], vec![17502.0]]);
    // And in the other order.
    let d = gradients(&g, &[y2, y], &[x], &opts()).unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, Value::scalar(3.0f64))]),
        vec![vec![17502.0]]
    );
}

#[test]
fn duplicate_xs_get_the_same_tensor() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = unary::sin(&g, x).unwrap();
    let d = gradients(&g, &[y], &[x, x], &opts()).unwrap();
    assert_eq!(d[0], d[1]);
    assert!(d[0].is_some());
}

// ----- aggregation -----

/// y = AddN([3x, sin x, exp x]) named a, b, c, y.
fn three_paths(g: &Graph) -> (Tensor, Tensor) {
    let x = ph(g, &[], "x");
    let a = mul(g, x, scalar(g, 3.0), "a");
    let b = unary::unary(g, symgrad::ops::UnaryOp::Sin, x, Some("b")).unwrap();
    let c = unary::unary(g, symgrad::ops::UnaryOp::Exp, x, Some("c")).unwrap();
    let y = g.add1(OpKind::AddN, &[a, b, c], Some("y")).unwrap();
    (x, y)
}

#[test]
fn add_n_aggregation_order_and_value() {
    let g = Graph::new();
    let (x, y) = three_paths(&g);
    let d = dense(&g, gradients(&g, &[y], &[x], &opts()).unwrap()[0]);
    assert_eq!(name(&g, d), "gradients/AddN");
    assert_eq!(type_of(&g, d), "AddN");
    let ins = input_names(&g, d);
    assert_eq!(ins.len(), 3);
    assert!(ins[0].starts_with("gradients/a_grad/"), "{ins:?}");
    assert!(ins[1].starts_with("gradients/b_grad/"), "{ins:?}");
    assert!(ins[2].starts_with("gradients/c_grad/"), "{ins:?}");
    let x0 = 0.4f64;
    let v = eval(&g, &[d], &[(x, Value::scalar(x0))])[0][0];
    assert!((v - (3.0 + x0.cos() + x0.exp())).abs() < 1e-12);
    // ADD_N colocates the sum with its first term's op.
    let data = g.read();
    let groups = data.colocation_groups(data.node(d.node).unwrap());
    drop(data);
    assert_eq!(groups, vec![format!("loc:@{}", ins[0])]);
}

#[test]
fn add_n_of_many_copies_gets_one_tensor_n_times() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let y = unary::square(&g, x).unwrap();
    let s = g.add1(OpKind::AddN, &[y; 10], Some("s")).unwrap();
    let d = dense(&g, gradients(&g, &[s], &[y], &opts()).unwrap()[0]);
    let ins = g.op_inputs(d.op()).unwrap();
    assert_eq!(ins.len(), 10);
    assert!(ins.iter().all(|&t| t == ins[0]));
    assert_eq!(
        eval(&g, &[d], &[(x, vecv(&[1.0, 2.0]))]),
        vec![vec![10.0, 10.0]]
    );
}

#[test]
fn tree_and_accumulate_n_build_a_chain_under_gradient_sum() {
    for method in [1i64, 2] {
        let g = Graph::new();
        let (x, y) = three_paths(&g);
        let d = dense(
            &g,
            gradients(
                &g,
                &[y],
                &[x],
                &GradientOptions {
                    aggregation_method: Some(method),
                    ..opts()
                },
            )
            .unwrap()[0],
        );
        assert_eq!(name(&g, d), "gradients/x_gradient_sum/AddN_1");
        let first = g
            .op_by_name("gradients/x_gradient_sum/AddN")
            .expect("first link")
            .output(0);
        assert_eq!(g.op_inputs(d.op()).unwrap().len(), 2);
        assert_eq!(g.op_inputs(d.op()).unwrap()[0], first);
        let first_ins = input_names(&g, first);
        assert!(
            first_ins[0].starts_with("gradients/a_grad/")
                && first_ins[1].starts_with("gradients/b_grad/"),
            "{first_ins:?}"
        );
        assert!(input_names(&g, d)[1].starts_with("gradients/c_grad/"));
        let x0 = 0.4f64;
        let v = eval(&g, &[d], &[(x, Value::scalar(x0))])[0][0];
        assert!(
            (v - (3.0 + x0.cos() + x0.exp())).abs() < 1e-12,
            "method {method}"
        );
    }
}

#[test]
fn invalid_aggregation_method_is_checked_lazily() {
    let g = Graph::new();
    let (x, y) = three_paths(&g);
    let bad = GradientOptions {
        aggregation_method: Some(5),
        ..opts()
    };
    match gradients(&g, &[y], &[x], &bad) {
        Err(Error::InvalidArgument { message }) => {
            assert_eq!(
                message,
                "Invalid `aggregation_method` specified 5. Accepted values are [0, 1, 2]."
            )
        }
        other => panic!("{other:?}"),
    }
    // Nothing processed: accepted silently.
    let other = ph(&g, &[], "other");
    assert_eq!(gradients(&g, &[y], &[other], &bad).unwrap(), vec![None]);
}

// ----- gate_gradients -----

#[test]
fn gate_gradients_builds_a_tuple_for_multi_input_ops() {
    let g = Graph::new();
    let a = ph(&g, &[2, 2], "a");
    let b = ph(&g, &[2, 2], "b");
    let mm = mul(&g, a, b, "mm");
    let gated = GradientOptions {
        gate_gradients: true,
        ..opts()
    };
    let d = gradients(&g, &[mm], &[a, b], &gated).unwrap();
    let (da, db) = (dense(&g, d[0]), dense(&g, d[1]));
    assert_eq!(name(&g, da), "gradients/mm_grad/tuple/control_dependency");
    assert_eq!(name(&g, db), "gradients/mm_grad/tuple/control_dependency_1");
    let group = g
        .op_by_name("gradients/mm_grad/tuple/group_deps")
        .expect("group_deps");
    assert_eq!(g.read().node(group.node).unwrap().type_name(), "NoOp");
    let mut deps = g.read().node(group.node).unwrap().control_inputs().to_vec();
    deps.sort();
    let mut want: Vec<u32> = [da, db]
        .iter()
        .map(|t| g.op_inputs(t.op()).unwrap()[0].node)
        .collect();
    want.sort();
    assert_eq!(deps, want);
    for t in [da, db] {
        let n = g.read().node(t.node).unwrap().control_inputs().to_vec();
        assert_eq!(n, vec![group.node]);
        assert_eq!(type_of(&g, t), "Identity");
    }
    let av = Value::from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let bv = Value::from_vec(&[2, 2], vec![5.0, 6.0, 7.0, 8.0]).unwrap();
    assert_eq!(
        eval(&g, &[da, db], &[(a, av), (b, bv)]),
        vec![vec![5.0, 6.0, 7.0, 8.0], vec![1.0, 2.0, 3.0, 4.0]]
    );
    // Single-input ops and ops with one non-None gradient get no tuple.
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let sq = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("sq")).unwrap();
    let k = mul(
        &g,
        sq,
        source::const_value(&g, vecv(&[2.0, 3.0]), None).unwrap(),
        "k",
    );
    let d = dense(&g, gradients(&g, &[k], &[x], &gated).unwrap()[0]);
    assert!(!op_names(&g).iter().any(|n| n.contains("sq_grad/tuple")));
    // Mul of a constant: both gradients are built, so Mul does get a tuple.
    assert!(op_names(&g)
        .iter()
        .any(|n| n == "gradients/k_grad/tuple/group_deps"));
    assert_eq!(
        eval(&g, &[d], &[(x, vecv(&[1.0, 1.0]))]),
        vec![vec![4.0, 6.0]]
    );
}

// ----- colocation -----

#[test]
fn colocate_gradients_with_ops() {
    let g = Graph::new();
    let x = ph(&g, &[2, 2], "x");
    let w = ph(&g, &[2, 2], "w");
    g.push_device(Some("/device:GPU:0"));
    let wx = mul(&g, w, x, "wx");
    g.pop_device();
    let loss = unary::square(&g, wx).unwrap();
    let on = gradients(
        &g,
        &[loss],
        &[w],
        &GradientOptions {
            colocate_gradients_with_ops: true,
            ..opts()
        },
    )
    .unwrap();
    let data = g.read();
    let wx_grad_ops: Vec<_> = data
        .nodes()
        .iter()
        .filter(|n| data.op_name(n).starts_with("gradients/wx_grad/"))
        .collect();
    assert!(!wx_grad_ops.is_empty());
    for n in &wx_grad_ops {
        assert_eq!(n.device(), "/device:GPU:0", "{}", data.op_name(n));
        assert_eq!(
            data.colocation_groups(n),
            vec!["loc:@wx".to_string()],
            "{}",
            data.op_name(n)
        );
    }
    drop(data);
    let off = gradients(&g, &[loss], &[w], &opts()).unwrap();
    let data = g.read();
    for n in data
        .nodes()
        .iter()
        .filter(|n| data.op_name(n).starts_with("gradients_1/wx_grad/"))
    {
        assert_eq!(n.device(), "", "{}", data.op_name(n));
        assert!(n.colocation().is_empty(), "{}", data.op_name(n));
    }
    drop(data);
    let xv = Value::from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let wv = Value::from_vec(&[2, 2], vec![1.0, 1.0, 1.0, 1.0]).unwrap();
    let v = eval(
        &g,
        &[dense(&g, on[0]), dense(&g, off[0])],
        &[(x, xv), (w, wv)],
    );
    assert_eq!(v[0], vec![2.0, 8.0, 18.0, 32.0]);
    assert_eq!(v[0], v[1]);
}

// ----- the registry -----

fn first_unregistered(candidates: &[&str]) -> Option<String> {
    let have = registry::registered_types();
    candidates
        .iter()
        .find(|c| !have.iter().any(|h| h == *c))
        .map(|s| s.to_string())
}

#[test]
fn lookup_error_for_a_gradient_override_without_registration() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    g.push_gradient_override(
        [("Square".to_string(), "NoSuchGradientForTests".to_string())]
            .into_iter()
            .collect(),
    );
    let s3 = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("s3")).unwrap();
    g.pop_gradient_override();
    match gradients(&g, &[s3], &[x], &opts()) {
        Err(Error::NoGradient { message }) => {
            assert!(message.starts_with("No gradient defined for operation's3' (op type: Square). In general every operation must have an associated `@tf.RegisterGradient`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(g.name_scope(), "");
    // No error when the op gets no gradient, or is a stop op.
    let other = ph(&g, &[], "other");
    let y = add(&g, other, scalar(&g, 1.0), "y");
    assert!(gradients(&g, &[y, s3], &[other], &opts()).is_ok());
    let d = gradients(
        &g,
        &[s3],
        &[x],
        &GradientOptions {
            stop_gradients: vec![s3],
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(d, vec![None]);
}

#[test]
fn lookup_error_for_an_op_type_without_registration() {
    // Whichever of these still has no gradient in the registry.
    let Some(op_type) = first_unregistered(&["DynamicStitch"]) else {
        eprintln!("every candidate op type has a gradient now; covered by the override test");
        return;
    };
    assert_eq!(op_type, "DynamicStitch", "test builds a DynamicStitch");
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let i0 = source::const_value(&g, Value::from_vec(&[2], vec![0i32, 2]).unwrap(), None).unwrap();
    let i1 = source::const_value(&g, Value::from_vec(&[1], vec![1i32]).unwrap(), None).unwrap();
    let y1 = ph(&g, &[1], "y1");
    let st = array::dynamic_stitch(&g, &[i0, i1], &[x, y1]).unwrap();
    match gradients(&g, &[st], &[x], &opts()) {
        Err(Error::NoGradient { message }) => {
            assert!(
                message.starts_with(&format!(
                    "No gradient defined for operation'{}' (op type: DynamicStitch)",
                    name(&g, st)
                )),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn not_differentiable_override_gives_none() {
    registry::register_not_differentiable("TestsNoGradSquare").unwrap();
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    g.push_gradient_override(
        [("Square".to_string(), "TestsNoGradSquare".to_string())]
            .into_iter()
            .collect(),
    );
    let s = unary::square(&g, x).unwrap();
    g.pop_gradient_override();
    assert_eq!(gradients(&g, &[s], &[x], &opts()).unwrap(), vec![None]);
    // Registering a name twice is an error naming the previous registration.
    match registry::register_not_differentiable("TestsNoGradSquare") {
        Err(e @ Error::AlreadyRegistered { .. }) => {
            assert!(
                e.to_string()
                    .starts_with("Registering two gradient with name 'TestsNoGradSquare'!"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// dy * k, counting its calls.
struct Scaled {
    k: f64,
    calls: AtomicUsize,
    extra: bool,
}

impl GradientFn for Scaled {
    fn call(&self, ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> R<Vec<Option<Grad>>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let g = ctx.grad(grads, 0)?;
        let k = source::scalar_const(ctx.graph, ctx.dtype(g)?, self.k, None, None)?;
        let out = binary::mul(ctx.graph, g, k)?;
        let mut v = vec![Some(Grad::Dense(out))];
        if self.extra {
            v.push(Some(Grad::Dense(out)));
        }
        Ok(v)
    }
    fn origin(&self) -> String {
        "tests/gradients.rs".to_string()
    }
}

#[test]
fn rust_gradient_function_for_an_override_name() {
    let f = Arc::new(Scaled {
        k: 5.0,
        calls: AtomicUsize::new(0),
        extra: false,
    });
    registry::register_gradient("TestsTimesFive", f.clone()).unwrap();
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    g.push_gradient_override(
        [("Square".to_string(), "TestsTimesFive".to_string())]
            .into_iter()
            .collect(),
    );
    let s = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("s")).unwrap();
    g.pop_gradient_override();
    let y = unary::sin(&g, s).unwrap();
    let d = dense(&g, gradients(&g, &[y], &[x], &opts()).unwrap()[0]);
    assert_eq!(f.calls.load(Ordering::SeqCst), 1);
    // Built inside the forward op's gradient scope.
    assert!(
        name(&g, d).starts_with("gradients/s_grad/"),
        "{}",
        name(&g, d)
    );
    let xv = vecv(&[0.5, 1.0]);
    let v = eval(&g, &[d], &[(x, xv)]);
    let want: Vec<f64> = [0.5f64, 1.0].iter().map(|&x| 5.0 * (x * x).cos()).collect();
    for (a, b) in v[0].iter().zip(&want) {
        assert!((a - b).abs() < 1e-12);
    }
    match registry::register_gradient("TestsTimesFive", f) {
        Err(e @ Error::AlreadyRegistered { .. }) => {
            assert!(e.to_string().contains("tests/gradients.rs"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_number_of_gradients_is_a_value_error() {
    registry::register_gradient(
        "TestsTwoGrads",
        Arc::new(Scaled {
            k: 1.0,
            calls: AtomicUsize::new(0),
            extra: true,
        }),
    )
    .unwrap();
    let g = Graph::new();
    let c = source::const_value(&g, Value::scalar(2.0f64), Some("Const")).unwrap();
    g.push_gradient_override(
        [("Square".to_string(), "TestsTwoGrads".to_string())]
            .into_iter()
            .collect(),
    );
    let s3 = unary::unary(&g, symgrad::ops::UnaryOp::Square, c, Some("s3")).unwrap();
    g.pop_gradient_override();
    match gradients(&g, &[s3], &[c], &opts()) {
        Err(Error::InvalidArgument { message }) => {
            assert!(message.starts_with("Num gradients 2 generated for op name: \"s3\"\nop: \"Square\"\ninput: \"Const\"\n"), "{message}");
            assert!(message.ends_with("do not match num inputs 1"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gradient_shape_incompatible_with_input_is_a_value_error() {
    // A gradient function returning a [5] gradient for a scalar input.
    struct Wrong;
    impl GradientFn for Wrong {
        fn call(&self, ctx: &GradCtx<'_>, _grads: &[Option<Grad>]) -> R<Vec<Option<Grad>>> {
            let v = source::const_value(
                ctx.graph,
                Value::from_vec(&[5], vec![1.0f64; 5]).unwrap(),
                None,
            )?;
            Ok(vec![Some(Grad::Dense(v))])
        }
        fn origin(&self) -> String {
            "tests".into()
        }
    }
    registry::register_gradient("TestsWrongShape", Arc::new(Wrong)).unwrap();
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    g.push_gradient_override(
        [("Square".to_string(), "TestsWrongShape".to_string())]
            .into_iter()
            .collect(),
    );
    let s4 = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("s4")).unwrap();
    g.pop_gradient_override();
    match gradients(&g, &[s4], &[x], &opts()) {
        Err(Error::InvalidArgument { message }) => assert_eq!(
            message,
            "Incompatible shapes between op input and calculated input gradient. Forward operation: s4. Input index: 0. Original input shape: (). Calculated input gradient shape: (5,)"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn gradient_set_shape_refines_the_gradient() {
    // The gradient of a reshape from an unknown shape gets the input's static shape merged in.
    let g = Graph::new();
    let x = source::placeholder(
        &g,
        DType::F64,
        Shape::from_dims(&[None, Some(3)]),
        Some("x"),
    )
    .unwrap();
    let y = unary::square(&g, x).unwrap();
    let d = dense(&g, gradients(&g, &[y], &[x], &opts()).unwrap()[0]);
    assert_eq!(g.shape(d).unwrap(), Shape::from_dims(&[None, Some(3)]));
}

// ----- hessians and higher order -----

#[test]
fn hessian_of_cubes_is_diagonal_6x() {
    let g = Graph::new();
    let x = ph(&g, &[3], "x");
    let cube = binary::mul(&g, binary::mul(&g, x, x).unwrap(), x).unwrap();
    let y = reduce::sum(&g, cube, &[0], false).unwrap();
    let h = hessians(&g, &[y], &[x], &opts()).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(g.shape(h[0]).unwrap(), Shape::known(&[3, 3]));
    let v = eval(&g, &[h[0]], &[(x, vecv(&[1.0, 2.0, -3.0]))]);
    assert_eq!(v[0], vec![6.0, 0.0, 0.0, 0.0, 12.0, 0.0, 0.0, 0.0, -18.0]);
}

#[test]
fn hessian_of_quadratic_form_is_a_plus_a_transpose() {
    let g = Graph::new();
    let x = ph(&g, &[3], "x");
    let a_vals = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0];
    let a = source::const_value(
        &g,
        Value::from_vec(&[3, 3], a_vals.clone()).unwrap(),
        Some("A"),
    )
    .unwrap();
    let col = array::reshape(&g, x, &[3, 1]).unwrap();
    let row = array::reshape(&g, x, &[1, 3]).unwrap();
    let terms = binary::mul(&g, binary::mul(&g, col, a).unwrap(), row).unwrap();
    let f = reduce::sum(&g, terms, &[0, 1], false).unwrap();
    let h = hessians(&g, &[f], &[x], &opts()).unwrap();
    let v = eval(&g, &[h[0]], &[(x, vecv(&[0.3, -1.0, 2.0]))]);
    let want: Vec<f64> = (0..9)
        .map(|k| a_vals[k] + a_vals[(k % 3) * 3 + k / 3])
        .collect();
    assert_eq!(v[0], want);
}

#[test]
fn hessians_of_several_ys_and_xs() {
    // [Σx0³, Σx1²] wrt [x0, x1] at x0 = [1,2], x1 = [3]: [[6,0],[0,12]] and [[2]].
    let g = Graph::new();
    let x0 = ph(&g, &[2], "x0");
    let x1 = ph(&g, &[1], "x1");
    let c0 = reduce::sum(
        &g,
        binary::mul(&g, binary::mul(&g, x0, x0).unwrap(), x0).unwrap(),
        &[0],
        false,
    )
    .unwrap();
    let c1 = reduce::sum(&g, unary::square(&g, x1).unwrap(), &[0], false).unwrap();
    let h = hessians(&g, &[c0, c1], &[x0, x1], &opts()).unwrap();
    let v = eval(&g, &h, &[(x0, vecv(&[1.0, 2.0])), (x1, vecv(&[3.0]))]);
    assert_eq!(v, vec![vec![6.0, 0.0, 0.0, 12.0], vec![2.0]]);
    // An unconnected x: None is not supported.
    let other = ph(&g, &[2], "other");
    assert!(matches!(
        hessians(&g, &[c0], &[other], &opts()),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn third_derivative_of_a_cube() {
    // x³ at 2: 12, 12, 6.
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let three = scalar(&g, 3.0);
    let y = binary::pow(&g, x, three).unwrap();
    let d1 = common::grad_of(&g, y, x);
    let d2 = common::grad_of(&g, d1, x);
    let d3 = common::grad_of(&g, d2, x);
    let v = eval(&g, &[d1, d2, d3], &[(x, Value::scalar(2.0f64))]);
    for (got, want) in v.iter().zip([12.0, 12.0, 6.0]) {
        assert!((got[0] - want).abs() < 1e-9, "{v:?}");
    }
    // The same through Mul: x·x·x.
    let m = binary::mul(&g, binary::mul(&g, x, x).unwrap(), x).unwrap();
    let e1 = common::grad_of(&g, m, x);
    let e2 = common::grad_of(&g, e1, x);
    let e3 = common::grad_of(&g, e2, x);
    assert_eq!(
        eval(&g, &[e1, e2, e3], &[(x, Value::scalar(2.0f64))]),
        vec![vec![12.0], vec![12.0], vec![6.0]]
    );
}

#[test]
fn no_op_and_group_are_not_differentiated() {
    let g = Graph::new();
    let x = ph(&g, &[], "x");
    let y = unary::square(&g, x).unwrap();
    let grp = control::group(&g, &[y.op()], Some("grp")).unwrap();
    assert_eq!(g.read().node(grp.node).unwrap().control_inputs(), [y.node]);
    let d = gradients(&g, &[y], &[x], &opts()).unwrap();
    assert_eq!(
        eval(&g, &[dense(&g, d[0])], &[(x, Value::scalar(3.0f64))]),
        vec![vec![6.0]]
    );
}

#[test]
fn unused_float_outputs_are_zero_filled_at_the_top_of_the_scope() {
    // unstack(x)[0] * 2: the other outputs of Unpack get zeros before its gradient runs.
    let g = Graph::new();
    let x = ph(&g, &[3, 2], "x");
    let parts = array::unstack(&g, x, 3, 0).unwrap();
    let y = mul(&g, parts[0], scalar(&g, 2.0), "y");
    let d = dense(&g, gradients(&g, &[y], &[x], &opts()).unwrap()[0]);
    assert!(
        g.op_by_name("gradients/zeros_like").is_some(),
        "{:?}",
        op_names(&g)
    );
    assert!(g.op_by_name("gradients/zeros_like_1").is_some());
    let xv = Value::from_vec(&[3, 2], vec![1.0; 6]).unwrap();
    assert_eq!(
        eval(&g, &[d], &[(x, xv)]),
        vec![vec![2.0, 2.0, 0.0, 0.0, 0.0, 0.0]]
    );
}

#[test]
fn zero_for_an_unused_output_of_an_x_op() {
    // IdentityN outputs c, d; only c is used: d's gradient is zeros under Zero.
    let g = Graph::new();
    let a = ph(&g, &[2], "a");
    let b = ph(&g, &[2], "b");
    let idn = g
        .add_op(symgrad::graph::OpSpec {
            op: OpKind::IdentityN,
            inputs: &[a, b],
            name: Some("idn"),
        })
        .unwrap();
    let (c, d) = (idn.output(0), idn.output(1));
    let y = mul(&g, c, scalar(&g, 3.0), "y");
    let r = gradients(
        &g,
        &[y],
        &[c, d],
        &GradientOptions {
            unconnected_gradients: Unconnected::Zero,
            ..opts()
        },
    )
    .unwrap();
    let feeds = [(a, vecv(&[1.0, 2.0])), (b, vecv(&[3.0, 4.0]))];
    assert_eq!(
        eval(&g, &[dense(&g, r[0]), dense(&g, r[1])], &feeds),
        vec![vec![3.0, 3.0], vec![0.0, 0.0]]
    );
}

#[test]
fn inputs_from_another_graph_are_rejected() {
    let g = Graph::new();
    let other = Graph::new();
    let x = ph(&g, &[], "x");
    let y = unary::square(&g, x).unwrap();
    let foreign = ph(&other, &[], "x2");
    for o in [
        gradients(&g, &[y], &[foreign], &opts()),
        gradients(
            &g,
            &[y],
            &[x],
            &GradientOptions {
                stop_gradients: vec![foreign],
                ..opts()
            },
        ),
        gradients(
            &g,
            &[y],
            &[x],
            &GradientOptions {
                grad_ys: Some(vec![Some(foreign.into())]),
                ..opts()
            },
        ),
    ] {
        assert!(matches!(o, Err(Error::InvalidArgument { .. })), "{o:?}");
    }
    assert_eq!(g.name_scope(), "");
}

#[test]
fn empty_name_puts_gradient_ops_at_the_root() {
    let g = Graph::new();
    let (x, y) = three_paths(&g);
    let d = dense(
        &g,
        gradients(
            &g,
            &[y],
            &[x],
            &GradientOptions {
                name: Some(String::new()),
                ..opts()
            },
        )
        .unwrap()[0],
    );
    assert_eq!(name(&g, d), "AddN");
    assert!(g.op_by_name("grad_ys_0").is_some());
    assert!(
        op_names(&g).iter().any(|n| n.starts_with("a_grad/")),
        "{:?}",
        op_names(&g)
    );
}

#[test]
fn bool_and_int_ys_get_default_seeds_and_no_gradient() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    let c = source::const_value(&g, vecv(&[0.0, 0.0]), None).unwrap();
    let b = binary::less(&g, x, c).unwrap();
    assert_eq!(gradients(&g, &[b], &[x], &opts()).unwrap(), vec![None]);
    let seed = g.op_by_name("gradients/grad_ys_0").unwrap().output(0);
    assert_eq!(g.dtype(seed).unwrap(), DType::Bool);
    let i = array::cast(&g, x, DType::I32).unwrap();
    assert_eq!(gradients(&g, &[i], &[x], &opts()).unwrap(), vec![None]);
}

#[test]
fn default_seed_is_colocated_with_y_when_colocating() {
    let g = Graph::new();
    let x = ph(&g, &[2], "x");
    g.push_device(Some("/device:GPU:0"));
    let y = unary::unary(&g, symgrad::ops::UnaryOp::Square, x, Some("y")).unwrap();
    g.pop_device();
    gradients(
        &g,
        &[y],
        &[x],
        &GradientOptions {
            colocate_gradients_with_ops: true,
            ..opts()
        },
    )
    .unwrap();
    let seed = g.op_by_name("gradients/grad_ys_0").unwrap();
    let data = g.read();
    let n = data.node(seed.node).unwrap();
    assert_eq!(n.device(), "/device:GPU:0");
    assert_eq!(data.colocation_groups(n), vec!["loc:@y".to_string()]);
}
