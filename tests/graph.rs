//! The graph arena through the public API: unique names and name scopes, control
//! dependencies, devices, colocation, gradient overrides, finalize, foreign tensors,
//! set_shape, and the static shape rules of the array ops (constant and fed shape inputs).

use symgrad::attr::{AttrValue, Attrs};
use symgrad::exec::Session;
use symgrad::graph::NodeId;
use symgrad::ops::{array, binary, control, source, unary, BinaryOp};
use symgrad::{DType, Error, Graph, OpRef, Shape, Tensor, Value};

fn c64(g: &Graph, x: f64) -> Tensor {
    source::const_value(g, Value::scalar(x), None).unwrap()
}

fn ints(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_ints(g, xs).unwrap()
}

fn add(g: &Graph, a: Tensor, b: Tensor) -> Tensor {
    binary::binary(g, BinaryOp::AddV2, a, b, Some("add")).unwrap()
}

fn name(g: &Graph, t: Tensor) -> String {
    g.op_name(t.op()).unwrap()
}

fn control_inputs(g: &Graph, op: OpRef) -> Vec<NodeId> {
    g.read().node(op.node).unwrap().control_inputs().to_vec()
}

fn device(g: &Graph, op: OpRef) -> String {
    g.read().node(op.node).unwrap().device().to_string()
}

fn groups(g: &Graph, op: OpRef) -> Vec<String> {
    let data = g.read();
    data.colocation_groups(data.node(op.node).unwrap())
}

fn dims(v: &[Option<usize>]) -> Shape {
    Shape::from_dims(v)
}

fn placeholder(g: &Graph, dtype: DType, shape: Shape, n: &str) -> Tensor {
    source::placeholder(g, dtype, shape, Some(n)).unwrap()
}

// ----- names -----

#[test]
fn unique_names_get_numeric_suffixes() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    assert_eq!(name(&g, a), "Const");
    assert_eq!(name(&g, c64(&g, 2.0)), "Const_1");
    let s0 = add(&g, a, a);
    let s1 = add(&g, a, a);
    let s2 = add(&g, a, a);
    assert_eq!(
        (name(&g, s0), name(&g, s1), name(&g, s2)),
        ("add".into(), "add_1".into(), "add_2".into())
    );
    // An explicit name that collides with a generated one is skipped over.
    let g = Graph::new();
    let a = c64(&g, 1.0);
    let t = binary::binary(&g, BinaryOp::AddV2, a, a, Some("add_1")).unwrap();
    assert_eq!(name(&g, t), "add_1");
    assert_eq!(name(&g, add(&g, a, a)), "add");
    assert_eq!(name(&g, add(&g, a, a)), "add_2");
    assert_eq!(name(&g, add(&g, a, a)), "add_3");
    // unique_name without marking does not reserve.
    assert_eq!(g.unique_name("add", false), "add_4");
    assert_eq!(g.unique_name("add", false), "add_4");
    assert_eq!(g.unique_name("fresh", true), "fresh");
    assert_eq!(g.unique_name("fresh", true), "fresh_1");
}

#[test]
fn uniquing_ignores_case_but_keeps_the_requested_spelling() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    let up = binary::binary(&g, BinaryOp::AddV2, a, a, Some("Add")).unwrap();
    let low = binary::binary(&g, BinaryOp::AddV2, a, a, Some("add")).unwrap();
    let up2 = binary::binary(&g, BinaryOp::AddV2, a, a, Some("ADD")).unwrap();
    assert_eq!(name(&g, up), "Add");
    assert_eq!(name(&g, low), "add_1");
    assert_eq!(name(&g, up2), "ADD_2");
    // Scopes are uniquified case-insensitively too.
    let (s, _) = g.enter_name_scope(Some("Scope"));
    assert_eq!(s, "Scope/");
    g.set_name_scope("");
    let (s, _) = g.enter_name_scope(Some("scope"));
    assert_eq!(s, "scope_1/");
    g.set_name_scope("");
}

#[test]
fn name_scopes_nest_and_reenter() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    let (outer, prev) = g.enter_name_scope(Some("scope"));
    assert_eq!((outer.as_str(), prev.as_str()), ("scope/", ""));
    let s = add(&g, a, a);
    assert_eq!(name(&g, s), "scope/add");
    let (inner, prev_inner) = g.enter_name_scope(Some("inner"));
    assert_eq!(inner, "scope/inner/");
    assert_eq!(name(&g, add(&g, a, a)), "scope/inner/add");
    g.set_name_scope(&prev_inner);
    assert_eq!(g.name_scope(), "scope/");
    g.set_name_scope(&prev);
    assert_eq!(name(&g, add(&g, a, a)), "add");
    // A second "scope" is a new scope...
    let (again, _) = g.enter_name_scope(Some("scope"));
    assert_eq!(again, "scope_1/");
    assert_eq!(name(&g, add(&g, a, a)), "scope_1/add");
    g.set_name_scope("");
    // ... while "scope/" re-enters the first one exactly; clashing names get suffixes.
    let (exact, _) = g.enter_name_scope(Some("scope/"));
    assert_eq!(exact, "scope/");
    assert_eq!(name(&g, add(&g, a, a)), "scope/add_1");
    g.set_name_scope("");
    // None or "" return to the root.
    g.enter_name_scope(Some("deep"));
    let (root, _) = g.enter_name_scope(None);
    assert_eq!(root, "");
    assert_eq!(name(&g, add(&g, a, a)), "add_1");
    g.enter_name_scope(Some("deep2"));
    let (root, _) = g.enter_name_scope(Some(""));
    assert_eq!(root, "");
    // An op name ending in "/" is taken exactly (a scope's name used for its main op).
    g.set_name_scope("");
    let t = binary::binary(&g, BinaryOp::AddV2, a, a, Some("scope_1/")).unwrap();
    assert_eq!(name(&g, t), "scope_1");
}

#[test]
fn duplicate_exact_names_are_rejected() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    binary::binary(&g, BinaryOp::AddV2, a, a, Some("x/")).unwrap();
    let r = binary::binary(&g, BinaryOp::AddV2, a, a, Some("x/"));
    assert!(matches!(r, Err(Error::InvalidArgument { .. })), "{r:?}");
}

#[test]
fn op_by_name_finds_ops() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    g.enter_name_scope(Some("s"));
    let t = add(&g, a, a);
    g.set_name_scope("");
    assert_eq!(g.op_by_name("s/add"), Some(t.op()));
    assert_eq!(g.op_by_name("Const"), Some(a.op()));
    assert_eq!(g.op_by_name("add"), None);
    assert_eq!(g.op_by_name("S/add"), None, "lookup is exact");
    assert_eq!(g.op_inputs(t.op()).unwrap(), vec![a, a]);
}

// ----- control dependencies -----

#[test]
fn control_dependencies_apply_to_ops_created_inside() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    let b = c64(&g, 2.0);
    let dep = control::no_op(&g, Some("dep")).unwrap();
    g.push_control_dependencies(Some(&[dep])).unwrap();
    let x = add(&g, a, b); // inputs from outside: gets the control input
    let y = unary::neg(&g, x).unwrap(); // input created inside the block: no extra control input
    let z = binary::mul(&g, x, a).unwrap(); // one input created inside: dominated, none
    let k = c64(&g, 3.0); // no inputs at all: gets it
    g.pop_control_dependencies();
    let w = add(&g, a, b);
    assert_eq!(control_inputs(&g, x.op()), vec![dep.node]);
    assert!(
        control_inputs(&g, y.op()).is_empty(),
        "TF: an input from inside the block dominates"
    );
    assert!(control_inputs(&g, z.op()).is_empty());
    assert_eq!(control_inputs(&g, k.op()), vec![dep.node]);
    assert!(control_inputs(&g, w.op()).is_empty());
}

#[test]
fn nested_and_cleared_control_dependencies() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    let d1 = control::no_op(&g, Some("d1")).unwrap();
    let d2 = control::no_op(&g, Some("d2")).unwrap();
    g.push_control_dependencies(Some(&[d1])).unwrap();
    let inner_input = c64(&g, 5.0); // created in the outer block
    g.push_control_dependencies(Some(&[d2])).unwrap();
    let both = add(&g, a, a);
    // Its input was created inside the outer block only: the outer frame is dominated,
    // the inner one is not.
    let only_inner = add(&g, inner_input, a);
    g.push_control_dependencies(None).unwrap();
    let cleared = add(&g, a, a);
    g.pop_control_dependencies();
    g.pop_control_dependencies();
    g.pop_control_dependencies();
    let mut cb = control_inputs(&g, both.op());
    cb.sort();
    assert_eq!(cb, vec![d1.node, d2.node]);
    assert_eq!(control_inputs(&g, only_inner.op()), vec![d2.node]);
    assert!(control_inputs(&g, cleared.op()).is_empty());
    // A control op that is also a data input is not repeated as a control input.
    let g = Graph::new();
    let a = c64(&g, 1.0);
    g.push_control_dependencies(Some(&[a.op()])).unwrap();
    let n = unary::neg(&g, a).unwrap();
    g.pop_control_dependencies();
    assert!(control_inputs(&g, n.op()).is_empty());
}

#[test]
fn control_dependencies_order_execution() {
    // A control input runs even though no data flows from it: a failing one fails the run.
    let g = Graph::new();
    let one = source::const_value(&g, Value::scalar(1i32), None).unwrap();
    let zero = source::const_value(&g, Value::scalar(0i32), None).unwrap();
    let bad = binary::floor_div(&g, one, zero).unwrap();
    let a = c64(&g, 1.0);
    g.push_control_dependencies(Some(&[bad.op()])).unwrap();
    let gated = unary::neg(&g, a).unwrap();
    g.pop_control_dependencies();
    let free = unary::neg(&g, a).unwrap();
    let s = Session::new(&g);
    assert_eq!(s.run(&[free], &[]).unwrap()[0].to_f64_vec(), vec![-1.0]);
    assert!(s.run(&[gated], &[]).is_err());
}

#[test]
fn control_dependencies_on_a_foreign_op_are_rejected() {
    let g = Graph::new();
    let other = Graph::new();
    let f = c64(&other, 1.0);
    assert!(matches!(
        g.push_control_dependencies(Some(&[f.op()])),
        Err(Error::InvalidArgument { .. })
    ));
}

// ----- devices and colocation -----

#[test]
fn device_scopes() {
    let g = Graph::new();
    let a = c64(&g, 1.0);
    g.push_device(Some("/device:GPU:0"));
    let on_gpu = add(&g, a, a);
    g.push_device(None);
    let cleared = add(&g, a, a);
    g.pop_device();
    g.push_device(Some("/device:CPU:0"));
    let on_cpu = add(&g, a, a);
    g.pop_device();
    let back = add(&g, a, a);
    g.pop_device();
    let none = add(&g, a, a);
    assert_eq!(device(&g, a.op()), "");
    assert_eq!(device(&g, on_gpu.op()), "/device:GPU:0");
    assert_eq!(device(&g, cleared.op()), "");
    assert_eq!(device(&g, on_cpu.op()), "/device:CPU:0");
    assert_eq!(device(&g, back.op()), "/device:GPU:0");
    assert_eq!(device(&g, none.op()), "");
}

#[test]
fn colocation_groups_and_inherited_device() {
    let g = Graph::new();
    g.push_device(Some("/device:GPU:1"));
    let w = source::const_value(&g, Value::scalar(1.0f64), Some("w")).unwrap();
    g.pop_device();
    assert_eq!(groups(&g, w.op()), vec!["loc:@w".to_string()]);
    assert!(g.read().node(w.node).unwrap().colocation().is_empty());

    g.push_device(Some("/device:CPU:0"));
    g.push_colocation(Some(w.op()), false).unwrap();
    let c = add(&g, w, w);
    // Colocated with something itself colocated: the group is inherited.
    g.push_colocation(Some(c.op()), false).unwrap();
    let d = unary::neg(&g, c).unwrap();
    g.pop_colocation();
    g.pop_colocation();
    let e = add(&g, w, w);
    g.pop_device();
    assert_eq!(groups(&g, c.op()), vec!["loc:@w".to_string()]);
    assert_eq!(
        device(&g, c.op()),
        "/device:GPU:1",
        "the colocated op's device wins over the device scope"
    );
    assert_eq!(groups(&g, d.op()), vec!["loc:@w".to_string()]);
    assert_eq!(device(&g, d.op()), "/device:GPU:1");
    assert_eq!(groups(&g, e.op()), vec![format!("loc:@{}", name(&g, e))]);
    assert_eq!(
        device(&g, e.op()),
        "/device:CPU:0",
        "the device stack is restored after colocation"
    );

    // Colocating with a device-less op: no device, the device scope is suspended.
    let v = source::const_value(&g, Value::scalar(1.0f64), Some("v")).unwrap();
    g.push_device(Some("/device:CPU:0"));
    g.push_colocation(Some(v.op()), false).unwrap();
    let f = add(&g, v, v);
    g.pop_colocation();
    g.pop_device();
    assert_eq!(groups(&g, f.op()), vec!["loc:@v".to_string()]);
    assert_eq!(
        device(&g, f.op()),
        "",
        "TF resets the device stack inside colocate_with"
    );

    // ignore_existing: only the new op's group; None with ignore_existing clears.
    g.push_colocation(Some(w.op()), false).unwrap();
    g.push_colocation(Some(v.op()), true).unwrap();
    let h = add(&g, v, w);
    g.pop_colocation();
    g.push_colocation(None, true).unwrap();
    let k = add(&g, v, w);
    g.pop_colocation();
    let both = {
        g.push_colocation(Some(v.op()), false).unwrap();
        let t = add(&g, v, w);
        g.pop_colocation();
        t
    };
    g.pop_colocation();
    assert_eq!(groups(&g, h.op()), vec!["loc:@v".to_string()]);
    assert_eq!(groups(&g, k.op()), vec![format!("loc:@{}", name(&g, k))]);
    assert_eq!(
        groups(&g, both.op()),
        vec!["loc:@v".to_string(), "loc:@w".to_string()]
    );
    // Resetting without ignore_existing is an error.
    assert!(matches!(
        g.push_colocation(None, false),
        Err(Error::InvalidArgument { .. })
    ));
}

// ----- gradient override map -----

#[test]
fn gradient_override_map_sets_gradient_op_type() {
    let g = Graph::new();
    let a = c64(&g, 2.0);
    g.push_gradient_override(
        [("Square".to_string(), "CustomSquare".to_string())]
            .into_iter()
            .collect(),
    );
    let sq = unary::square(&g, a).unwrap();
    let ng = unary::neg(&g, a).unwrap();
    g.push_gradient_override(
        [("Square".to_string(), "Inner".to_string())]
            .into_iter()
            .collect(),
    );
    let inner = unary::square(&g, a).unwrap();
    g.pop_gradient_override();
    g.pop_gradient_override();
    let plain = unary::square(&g, a).unwrap();
    let got = |t: Tensor| {
        g.read()
            .node(t.node)
            .unwrap()
            .gradient_op_type()
            .map(str::to_string)
    };
    assert_eq!(got(sq), Some("CustomSquare".to_string()));
    assert_eq!(got(ng), None);
    assert_eq!(got(inner), Some("Inner".to_string()));
    assert_eq!(got(plain), None);
}

// ----- finalize and foreign tensors -----

#[test]
fn finalized_graph_rejects_new_ops_but_still_runs() {
    let g = Graph::new();
    let a = c64(&g, 2.0);
    let b = unary::neg(&g, a).unwrap();
    g.finalize();
    assert!(g.is_finalized());
    match unary::neg(&g, a) {
        Err(Error::Runtime { message }) => {
            assert_eq!(message, "Graph is finalized and cannot be modified.")
        }
        other => panic!("expected a RuntimeError, got {other:?}"),
    }
    assert!(matches!(c64_try(&g), Err(Error::Runtime { .. })));
    assert_eq!(
        Session::new(&g).run(&[b], &[]).unwrap()[0].to_f64_vec(),
        vec![-2.0]
    );
}

fn c64_try(g: &Graph) -> symgrad::Result<Tensor> {
    source::const_value(g, Value::scalar(1.0f64), None)
}

#[test]
fn tensors_from_another_graph_are_rejected() {
    let g1 = Graph::new();
    let g2 = Graph::new();
    let a = c64(&g1, 1.0);
    let b = c64(&g2, 1.0);
    let before = g1.num_ops();
    match binary::add(&g1, a, b) {
        Err(Error::InvalidArgument { message }) => assert!(
            message.contains("is not an element of this graph"),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(unary::neg(&g1, b).is_err());
    assert_eq!(g1.num_ops(), before);
    assert!(g1.meta(b).is_err());
    assert!(g1.op_name(b.op()).is_err());
    assert!(Session::new(&g1).run(&[b], &[]).is_err());
}

// ----- set_shape -----

#[test]
fn set_shape_merges_and_rejects_conflicts() {
    let g = Graph::new();
    let x = placeholder(&g, DType::F32, Shape::unknown(), "x");
    g.set_shape(x, &dims(&[None, Some(3)])).unwrap();
    assert_eq!(g.shape(x).unwrap(), dims(&[None, Some(3)]));
    g.set_shape(x, &dims(&[Some(2), None])).unwrap();
    assert_eq!(g.shape(x).unwrap(), Shape::known(&[2, 3]));
    g.set_shape(x, &Shape::unknown()).unwrap();
    assert_eq!(g.shape(x).unwrap(), Shape::known(&[2, 3]));
    match g.set_shape(x, &Shape::known(&[4, 3])) {
        Err(Error::InvalidArgument { message }) => {
            assert_eq!(
                message,
                "Tensor's shape (2, 3) is not compatible with supplied shape (4, 3)"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        g.set_shape(x, &Shape::known(&[2, 3, 1])),
        Err(Error::InvalidArgument { .. })
    ));
    assert_eq!(
        g.shape(x).unwrap(),
        Shape::known(&[2, 3]),
        "a failed set_shape changes nothing"
    );
    // The merged shape is what feeds are checked against.
    let s = Session::new(&g);
    let bad = Value::from_vec(&[3, 3], vec![0f32; 9]).unwrap();
    assert!(matches!(
        s.run(&[x], &[(x, bad)]),
        Err(Error::InvalidArgument { .. })
    ));
}

// ----- shape inference of array ops -----

#[test]
fn reshape_shape_inference() {
    let g = Graph::new();
    let x = placeholder(&g, DType::F32, Shape::known(&[2, 6]), "x");
    assert_eq!(
        g.shape(array::reshape(&g, x, &[-1, 3]).unwrap()).unwrap(),
        Shape::known(&[4, 3])
    );
    assert_eq!(
        g.shape(array::reshape(&g, x, &[3, 2, 2]).unwrap()).unwrap(),
        Shape::known(&[3, 2, 2])
    );
    assert_eq!(
        g.shape(array::reshape(&g, x, &[-1]).unwrap()).unwrap(),
        Shape::known(&[12])
    );
    assert!(matches!(
        array::reshape(&g, x, &[5, -1]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        array::reshape(&g, x, &[5, 2]),
        Err(Error::InvalidArgument { .. })
    ));
    // As TF: two -1s leave both dims unknown while building; the kernel refuses them.
    let twice = array::reshape(&g, x, &[-1, -1]).unwrap();
    assert_eq!(g.shape(twice).unwrap(), Shape::unknown_dims(2));
    let p = placeholder(&g, DType::F32, dims(&[None, Some(6)]), "p");
    assert_eq!(
        g.shape(array::reshape(&g, p, &[-1, 3]).unwrap()).unwrap(),
        dims(&[None, Some(3)])
    );
    // A fed shape tensor of known length: rank known, dims unknown.
    let s = placeholder(&g, DType::I32, Shape::known(&[3]), "s");
    let r = array::reshape_t(&g, x, s).unwrap();
    assert_eq!(g.shape(r).unwrap(), Shape::unknown_dims(3));
    let s_any = placeholder(&g, DType::I32, dims(&[None]), "s_any");
    assert_eq!(
        g.shape(array::reshape_t(&g, x, s_any).unwrap()).unwrap(),
        Shape::unknown()
    );
    // A float shape is a TypeError.
    let fs = source::const_value(&g, Value::from_vec(&[1], vec![12f32]).unwrap(), None).unwrap();
    assert!(matches!(
        array::reshape_t(&g, x, fs),
        Err(Error::Type { .. })
    ));
    // Run time: -1 resolved from the fed value.
    let sess = Session::new(&g);
    let m = array::reshape(&g, p, &[-1, 3]).unwrap();
    let out = sess
        .run(
            &[m, r],
            &[
                (p, Value::from_vec(&[1, 6], vec![0f32; 6]).unwrap()),
                (
                    x,
                    Value::from_vec(&[2, 6], (0..12).map(|i| i as f32).collect()).unwrap(),
                ),
                (s, Value::from_vec(&[3], vec![2i32, 3, 2]).unwrap()),
            ],
        )
        .unwrap();
    assert_eq!(out[0].shape(), &[2, 3]);
    assert_eq!(out[1].shape(), &[2, 3, 2]);
    assert_eq!(out[1].to_f64_vec()[11], 11.0);
}

#[test]
fn transpose_expand_dims_squeeze_shapes() {
    let g = Graph::new();
    let x = placeholder(&g, DType::F32, dims(&[Some(2), None, Some(4)]), "x");
    let t = array::transpose(&g, x, ints(&g, &[2, 0, 1])).unwrap();
    assert_eq!(g.shape(t).unwrap(), dims(&[Some(4), Some(2), None]));
    assert!(array::transpose(&g, x, ints(&g, &[0, 0, 1])).is_err());
    assert!(array::transpose(&g, x, ints(&g, &[0, 1])).is_err());
    let perm = placeholder(&g, DType::I32, Shape::known(&[3]), "perm");
    assert_eq!(
        g.shape(array::transpose(&g, x, perm).unwrap()).unwrap(),
        Shape::unknown_dims(3)
    );
    let u = placeholder(&g, DType::F32, Shape::unknown(), "u");
    assert_eq!(
        g.shape(array::transpose(&g, u, perm).unwrap()).unwrap(),
        Shape::unknown_dims(3)
    );

    let e0 = array::expand_dims(&g, x, 0).unwrap();
    let e_last = array::expand_dims(&g, x, -1).unwrap();
    assert_eq!(
        g.shape(e0).unwrap(),
        dims(&[Some(1), Some(2), None, Some(4)])
    );
    assert_eq!(
        g.shape(e_last).unwrap(),
        dims(&[Some(2), None, Some(4), Some(1)])
    );
    assert!(array::expand_dims(&g, x, 5).is_err());

    let y = placeholder(&g, DType::F32, Shape::known(&[1, 3, 1, 2]), "y");
    assert_eq!(
        g.shape(array::squeeze(&g, y, &[]).unwrap()).unwrap(),
        Shape::known(&[3, 2])
    );
    assert_eq!(
        g.shape(array::squeeze(&g, y, &[2]).unwrap()).unwrap(),
        Shape::known(&[1, 3, 2])
    );
    assert_eq!(
        g.shape(array::squeeze(&g, y, &[-4]).unwrap()).unwrap(),
        Shape::known(&[3, 1, 2])
    );
    assert!(matches!(
        array::squeeze(&g, y, &[1]),
        Err(Error::InvalidArgument { .. })
    ));
    // Squeezing all size-1 dims of a shape with an unknown dim: unknown result.
    let z = placeholder(&g, DType::F32, dims(&[Some(1), None]), "z");
    assert_eq!(
        g.shape(array::squeeze(&g, z, &[]).unwrap()).unwrap(),
        Shape::unknown()
    );
    assert_eq!(
        g.shape(array::squeeze(&g, z, &[0]).unwrap()).unwrap(),
        dims(&[None])
    );

    // Run-time values.
    let sess = Session::new(&g);
    let xv = Value::from_vec(&[2, 1, 4], (0..8).map(|i| i as f32).collect()).unwrap();
    let out = sess.run(&[t, e_last], &[(x, xv)]).unwrap();
    assert_eq!(out[0].shape(), &[4, 2, 1]);
    assert_eq!(out[0].to_f64_vec(), vec![0., 4., 1., 5., 2., 6., 3., 7.]);
    assert_eq!(out[1].shape(), &[2, 1, 4, 1]);
}

#[test]
fn tile_fill_broadcast_to_shapes() {
    let g = Graph::new();
    let x = placeholder(&g, DType::F32, dims(&[Some(2), None]), "x");
    let t = array::tile(&g, x, ints(&g, &[3, 2])).unwrap();
    assert_eq!(g.shape(t).unwrap(), dims(&[Some(6), None]));
    let t0 = array::tile(&g, x, ints(&g, &[1, 0])).unwrap();
    assert_eq!(g.shape(t0).unwrap(), dims(&[Some(2), Some(0)]));
    assert!(array::tile(&g, x, ints(&g, &[1, 2, 3])).is_err());
    let m = placeholder(&g, DType::I32, Shape::known(&[2]), "m");
    assert_eq!(
        g.shape(array::tile(&g, x, m).unwrap()).unwrap(),
        Shape::unknown_dims(2)
    );

    let one = source::const_value(&g, Value::scalar(1.5f32), None).unwrap();
    let f = array::fill(&g, ints(&g, &[2, 3]), one).unwrap();
    assert_eq!(g.shape(f).unwrap(), Shape::known(&[2, 3]));
    assert_eq!(g.dtype(f).unwrap(), DType::F32);
    let fd = placeholder(&g, DType::I32, Shape::known(&[3]), "fd");
    let ff = array::fill(&g, fd, one).unwrap();
    assert_eq!(g.shape(ff).unwrap(), Shape::unknown_dims(3));
    let vec_value =
        source::const_value(&g, Value::from_vec(&[2], vec![1f32, 2.]).unwrap(), None).unwrap();
    assert!(
        array::fill(&g, ints(&g, &[2]), vec_value).is_err(),
        "Fill's value must be a scalar"
    );

    let r = placeholder(&g, DType::F32, Shape::known(&[3, 1]), "r");
    let b = array::broadcast_to(&g, r, ints(&g, &[2, 3, 4])).unwrap();
    assert_eq!(g.shape(b).unwrap(), Shape::known(&[2, 3, 4]));
    assert!(array::broadcast_to(&g, r, ints(&g, &[2, 4])).is_err());

    let sess = Session::new(&g);
    let xv = Value::from_vec(&[2, 1], vec![1f32, 2.]).unwrap();
    let rv = Value::from_vec(&[3, 1], vec![1f32, 2., 3.]).unwrap();
    let out = sess
        .run(
            &[t, f, b, ff],
            &[
                (x, xv),
                (r, rv),
                (fd, Value::from_vec(&[3], vec![1i32, 2, 1]).unwrap()),
            ],
        )
        .unwrap();
    assert_eq!(out[0].shape(), &[6, 2]);
    assert_eq!(
        out[0].to_f64_vec(),
        vec![1., 1., 2., 2., 1., 1., 2., 2., 1., 1., 2., 2.]
    );
    assert_eq!(out[1].to_f64_vec(), vec![1.5; 6]);
    assert_eq!(out[2].shape(), &[2, 3, 4]);
    assert_eq!(out[2].to_f64_vec()[4..8], [2., 2., 2., 2.]);
    assert_eq!(out[3].shape(), &[1, 2, 1]);
}

#[test]
fn pack_unpack_split_concat_shapes() {
    let g = Graph::new();
    let a = placeholder(&g, DType::F32, dims(&[Some(2), None]), "a");
    let b = placeholder(&g, DType::F32, dims(&[None, Some(3)]), "b");
    let p = array::stack(&g, &[a, b], 1).unwrap();
    assert_eq!(
        g.shape(p).unwrap(),
        Shape::known(&[2, 2, 3]),
        "Pack merges its inputs' shapes"
    );
    let c = placeholder(&g, DType::F32, Shape::known(&[3, 3]), "c");
    assert!(array::stack(&g, &[a, c], 0).is_err());
    let i = placeholder(&g, DType::I32, Shape::known(&[2, 3]), "i");
    assert!(matches!(
        array::stack(&g, &[a, i], 0),
        Err(Error::Type { .. })
    ));

    let parts = array::unstack(&g, p, 3, -1).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(g.shape(parts[2]).unwrap(), Shape::known(&[2, 2]));
    assert!(
        array::unstack(&g, p, 4, 0).is_err(),
        "num must match the dimension"
    );

    let x = placeholder(&g, DType::F32, dims(&[Some(6), None]), "x");
    let sp = array::split(&g, x, 3, 0).unwrap();
    assert_eq!(sp.len(), 3);
    for s in &sp {
        assert_eq!(g.shape(*s).unwrap(), dims(&[Some(2), None]));
    }
    assert!(
        array::split(&g, x, 4, 0).is_err(),
        "6 is not divisible by 4"
    );
    let sp1 = array::split(&g, x, 2, 1).unwrap();
    assert_eq!(g.shape(sp1[0]).unwrap(), dims(&[Some(6), None]));

    let k = array::concat(&g, &[a, c], 0).unwrap();
    assert_eq!(g.shape(k).unwrap(), dims(&[Some(5), Some(3)]));
    let k1 = array::concat(&g, &[a, b], 1).unwrap();
    assert_eq!(g.shape(k1).unwrap(), dims(&[Some(2), None]));
    let d = placeholder(&g, DType::F32, Shape::known(&[4, 3]), "d");
    assert!(
        array::concat(&g, &[a, d], 1).is_err(),
        "dim 0 disagrees (2 vs 4)"
    );
    let axis = placeholder(&g, DType::I32, Shape::known(&[]), "axis");
    let kk = g
        .add1(symgrad::ops::OpKind::ConcatV2, &[a, c, axis], None)
        .unwrap();
    assert_eq!(g.shape(kk).unwrap(), Shape::unknown_dims(2));

    let sess = Session::new(&g);
    let av = Value::from_vec(&[2, 3], vec![1f32, 2., 3., 4., 5., 6.]).unwrap();
    let bv = Value::from_vec(&[2, 3], vec![10f32, 20., 30., 40., 50., 60.]).unwrap();
    let cv = Value::from_vec(&[3, 3], vec![0f32; 9]).unwrap();
    let xv = Value::from_vec(&[6, 1], (0..6).map(|i| i as f32).collect()).unwrap();
    let out = sess
        .run(
            &[p, parts[1], sp[2], k, kk],
            &[
                (a, av),
                (b, bv),
                (c, cv),
                (x, xv),
                (axis, Value::scalar(0i32)),
            ],
        )
        .unwrap();
    assert_eq!(out[0].shape(), &[2, 2, 3]);
    assert_eq!(
        out[0].to_f64_vec(),
        vec![1., 2., 3., 10., 20., 30., 4., 5., 6., 40., 50., 60.]
    );
    assert_eq!(out[1].to_f64_vec(), vec![2., 20., 5., 50.]);
    assert_eq!(out[2].to_f64_vec(), vec![4., 5.]);
    assert_eq!(out[3].shape(), &[5, 3]);
    assert_eq!(out[4].shape(), &[5, 3]);
}

#[test]
fn shape_size_rank_static_and_constant_values() {
    let g = Graph::new();
    let x = placeholder(&g, DType::F32, dims(&[None, Some(3)]), "x");
    let k = placeholder(&g, DType::F32, Shape::known(&[2, 3]), "k");
    let u = placeholder(&g, DType::F32, Shape::unknown(), "u");
    let sx = array::shape_dynamic(&g, x).unwrap();
    let sk = array::shape_dynamic(&g, k).unwrap();
    let su = array::shape_dynamic(&g, u).unwrap();
    assert_eq!(g.shape(sx).unwrap(), Shape::known(&[2]));
    assert_eq!(g.dtype(sx).unwrap(), DType::I32);
    assert_eq!(g.shape(su).unwrap(), dims(&[None]));
    let s64 = g
        .add1(
            symgrad::ops::OpKind::Shape {
                out_type: DType::I64,
            },
            &[k],
            None,
        )
        .unwrap();
    assert_eq!(g.dtype(s64).unwrap(), DType::I64);
    let size = array::size(&g, x, DType::I32).unwrap();
    let rank = array::rank(&g, u).unwrap();
    assert_eq!(g.shape(size).unwrap(), Shape::scalar());
    assert_eq!(g.shape(rank).unwrap(), Shape::scalar());
    let ks = array::size(&g, k, DType::I32).unwrap();
    {
        // Never build ops while holding the read guard.
        let data = g.read();
        assert!(data.constant_value(sx).is_none());
        assert_eq!(
            data.constant_value(sk).unwrap().to_i64_vec().unwrap(),
            vec![2, 3]
        );
        assert!(data.constant_value(size).is_none());
        assert_eq!(
            data.constant_value(ks).unwrap().to_i64_vec().unwrap(),
            vec![6]
        );
    }
    // shape_of folds a static shape into a Const, and a constant shape input makes the
    // consumer's static shape exact.
    let folded = array::shape_of(&g, k, DType::I32, None).unwrap();
    assert_eq!(g.read().node(folded.node).unwrap().type_name(), "Const");
    let r = array::reshape_t(&g, x, sk).unwrap();
    assert_eq!(g.shape(r).unwrap(), Shape::known(&[2, 3]));
    let f = array::fill(
        &g,
        sk,
        source::const_value(&g, Value::scalar(0f32), None).unwrap(),
    )
    .unwrap();
    assert_eq!(g.shape(f).unwrap(), Shape::known(&[2, 3]));
    let fx = array::fill(
        &g,
        sx,
        source::const_value(&g, Value::scalar(0f32), None).unwrap(),
    )
    .unwrap();
    // TF evaluates shape tensors partially: Shape(x) of (None, 3) gives (None, 3).
    assert_eq!(g.shape(fx).unwrap(), dims(&[None, Some(3)]));
    // ... and the reshape's element count fills in the unknown dim: k has 6 elements.
    assert_eq!(
        g.shape(array::reshape_t(&g, k, sx).unwrap()).unwrap(),
        Shape::known(&[2, 3])
    );

    let sess = Session::new(&g);
    let xv = Value::from_vec(&[4, 3], vec![0f32; 12]).unwrap();
    let uv = Value::from_vec(&[1, 2, 3, 4], vec![0f32; 24]).unwrap();
    let kv = Value::from_vec(&[2, 3], vec![0f32; 6]).unwrap();
    let out = sess
        .run(&[sx, size, rank, su, s64, fx], &[(x, xv), (u, uv), (k, kv)])
        .unwrap();
    assert_eq!(out[0].to_i64_vec().unwrap(), vec![4, 3]);
    assert_eq!(out[1].to_i64_vec().unwrap(), vec![12]);
    assert_eq!(out[1].shape(), &[] as &[usize]);
    assert_eq!(out[2].to_i64_vec().unwrap(), vec![4]);
    assert_eq!(out[3].to_i64_vec().unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(out[4].dtype(), DType::I64);
    assert_eq!(out[5].shape(), &[4, 3]);
}

#[test]
fn add_op_def_builds_ops_by_type_name() {
    let g = Graph::new();
    let a = c64(&g, 2.0);
    let op = g
        .add_op_def("Square", &[a], &Attrs::new(), Some("sq"))
        .unwrap();
    assert_eq!(g.op_name(op).unwrap(), "sq");
    let cast = g
        .add_op_def(
            "Cast",
            &[op.output(0)],
            &Attrs::new().with("DstT", AttrValue::Type(DType::I32)),
            None,
        )
        .unwrap();
    assert_eq!(g.dtype(cast.output(0)).unwrap(), DType::I32);
    match g.add_op_def("NoSuchOp", &[a], &Attrs::new(), None) {
        Err(Error::InvalidArgument { message }) => {
            assert!(message.contains("NoSuchOp"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let out = Session::new(&g)
        .run(&[op.output(0), cast.output(0)], &[])
        .unwrap();
    assert_eq!(out[0].to_f64_vec(), vec![4.0]);
    assert_eq!(out[1].to_f64_vec(), vec![4.0]);
}
