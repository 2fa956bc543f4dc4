//! Indexing ops through the public API: GatherV2, GatherNd, ScatterNd, UnsortedSegmentSum,
//! StridedSlice/StridedSliceGrad, OneHot and DynamicStitch's gradient. Forward values against
//! hand-computed results, first and second derivatives against central finite differences,
//! the IndexedSlices gradients and the run-time errors.

mod common;

use common::{check_fn, f64_value, pattern, placeholder};
use symgrad::exec::Session;
use symgrad::graph::Input;
use symgrad::ops::index::{self, IndexOp, Masks};
use symgrad::ops::{array, binary, source, unary, OpKind};
use symgrad::{gradients, DType, Error, Grad, GradientOptions, Graph, Shape, Tensor, Value};

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

fn ints(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_ints(g, xs).expect("ints")
}

fn run1(g: &Graph, t: Tensor, feeds: &[(Tensor, Value)]) -> Value {
    Session::new(g).run(&[t], feeds).expect("run").remove(0)
}

fn run_err(g: &Graph, t: Tensor, feeds: &[(Tensor, Value)]) -> String {
    Session::new(g)
        .run(&[t], feeds)
        .expect_err("run error")
        .to_string()
}

fn shapes(dims: &[usize]) -> Vec<Shape> {
    vec![
        Shape::known(dims),
        Shape::unknown_dims(dims.len()),
        Shape::unknown(),
    ]
}

fn sq(g: &Graph, t: Tensor) -> Tensor {
    unary::square(g, t).expect("square")
}

fn c(xs: &[i64]) -> Input {
    Input::constant("", Value::int_vector(DType::I32, xs))
}

fn sslice(g: &Graph, x: Tensor, b: &[i64], e: &[i64], s: &[i64], m: Masks) -> Tensor {
    index::strided_slice(g, x, c(b), c(e), c(s), m).expect("strided_slice")
}

fn gather_axis(g: &Graph, p: Tensor, ids: &[i64], axis: i64, batch_dims: i64) -> Tensor {
    let ids = ints(g, ids);
    let axis = source::const_value(g, Value::scalar(axis as i32), None).expect("axis");
    g.add1(
        OpKind::Index(IndexOp::GatherV2 { batch_dims }),
        &[p, ids, axis],
        None,
    )
    .expect("gather")
}

// ----- GatherV2 -----

#[test]
fn gather_values_and_errors() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3, 2]));
    let xv = f64_value(&[3, 2], vec![0., 1., 2., 3., 4., 5.]);
    let y = index::gather(&g, x, ints(&g, &[2, 0, 2]), 0).expect("gather");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[3, 2]));
    let out = run1(&g, y, &[(x, xv.clone())]);
    assert_eq!(out.to_f64_vec(), vec![4., 5., 0., 1., 4., 5.]);
    let y1 = index::gather(&g, x, ints(&g, &[1]), 1).expect("axis 1");
    assert_eq!(
        run1(&g, y1, &[(x, xv.clone())]).to_f64_vec(),
        vec![1., 3., 5.]
    );
    let bad = index::gather(&g, x, ints(&g, &[0, 7]), 0).expect("gather");
    let e = run_err(&g, bad, &[(x, xv.clone())]);
    assert!(e.contains("indices[1] = 7 is not in [0, 3)"), "{e}");
    // batch_dims = 1: row i takes its own indices.
    let ids = source::const_value(
        &g,
        Value::from_vec(&[3, 1], vec![1i32, 0, 1]).expect("v"),
        None,
    )
    .expect("ids");
    let axis = source::const_value(&g, Value::scalar(1i32), None).expect("axis");
    let yb = g
        .add1(
            OpKind::Index(IndexOp::GatherV2 { batch_dims: 1 }),
            &[x, ids, axis],
            None,
        )
        .expect("batch gather");
    assert_eq!(run1(&g, yb, &[(x, xv)]).to_f64_vec(), vec![1., 2., 5.]);
}

#[test]
fn gather_gradient_is_indexed_slices_with_duplicates() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[4, 2]));
    let a = index::gather(&g, x, ints(&g, &[0, 2]), 0).expect("a");
    let b = index::gather(&g, x, ints(&g, &[2, 2]), 0).expect("b");
    let y = binary::add(&g, a, b).expect("add");
    let gs = gradients(&g, &[y], &[x], &GradientOptions::default()).expect("grads");
    let Some(Grad::Sparse(s)) = gs[0] else {
        panic!("expected IndexedSlices, got {:?}", gs[0]);
    };
    let xv = value(&[4, 2], 1);
    let out = Session::new(&g)
        .run(
            &[s.indices, s.values, s.dense_shape.expect("dense shape")],
            &[(x, xv)],
        )
        .expect("run");
    assert_eq!(out[0].to_i64_vec().expect("ints"), vec![0, 2, 2, 2]);
    assert_eq!(out[1].shape(), &[4, 2]);
    assert_eq!(out[2].to_i64_vec().expect("ints"), vec![4, 2]);
    // Sparse + dense contributions densify.
    let z = binary::add(&g, index::gather(&g, x, ints(&g, &[1]), 0).expect("g"), x).expect("mixed");
    let z = index::gather(&g, z, ints(&g, &[0]), 0).expect("g2");
    let y2 = binary::add(
        &g,
        unary::sin(&g, x).expect("sin"),
        index::gather(&g, x, ints(&g, &[3]), 0).expect("g3"),
    )
    .expect("add");
    let _ = z;
    let gs = gradients(&g, &[y2], &[x], &GradientOptions::default()).expect("grads");
    assert!(matches!(gs[0], Some(Grad::Dense(_))), "{:?}", gs[0]);
}

#[test]
fn gather_gradients_numeric() {
    let xv = value(&[4, 3], 2);
    for s in shapes(&[4, 3]) {
        check_fn(s.clone(), &xv, |g, x| {
            sq(
                g,
                index::gather(g, x, ints(g, &[3, 1, 3]), 0).expect("gather"),
            )
        });
    }
    // Non-zero axis and batch dims take the dense path.
    check_fn(Shape::known(&[4, 3]), &xv, |g, x| {
        sq(g, gather_axis(g, x, &[2, 0, 2], 1, 0))
    });
    let xv3 = value(&[2, 3, 2], 3);
    check_fn(Shape::unknown_dims(3), &xv3, |g, x| {
        sq(g, gather_axis(g, x, &[1, 1], 1, 0))
    });
    check_fn(Shape::known(&[2, 3, 2]), &xv3, |g, x| {
        let ids = source::const_value(
            g,
            Value::from_vec(&[2, 2], vec![2i32, 0, 1, 1]).expect("v"),
            None,
        )
        .expect("ids");
        let axis = source::const_value(g, Value::scalar(1i32), None).expect("axis");
        let y = g
            .add1(
                OpKind::Index(IndexOp::GatherV2 { batch_dims: 1 }),
                &[x, ids, axis],
                None,
            )
            .expect("batch gather");
        sq(g, y)
    });
}

// ----- GatherNd / ScatterNd -----

#[test]
fn gather_nd_and_scatter_nd() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3, 2]));
    let xv = f64_value(&[3, 2], vec![0., 1., 2., 3., 4., 5.]);
    let idx = source::const_value(
        &g,
        Value::from_vec(&[2, 2], vec![2i32, 1, 0, 0]).expect("v"),
        None,
    )
    .expect("idx");
    let y = index::gather_nd(&g, x, idx).expect("gather_nd");
    assert_eq!(run1(&g, y, &[(x, xv.clone())]).to_f64_vec(), vec![5., 0.]);
    let rows = source::const_value(&g, Value::from_vec(&[1, 1], vec![1i32]).expect("v"), None)
        .expect("rows");
    let y2 = index::gather_nd(&g, x, rows).expect("rows");
    assert_eq!(run1(&g, y2, &[(x, xv.clone())]).to_f64_vec(), vec![2., 3.]);
    let bad = source::const_value(
        &g,
        Value::from_vec(&[1, 2], vec![3i32, 0]).expect("v"),
        None,
    )
    .expect("bad");
    let e = run_err(
        &g,
        index::gather_nd(&g, x, bad).expect("bad"),
        &[(x, xv.clone())],
    );
    assert!(
        e.contains("indices[0] = [3, 0] does not index into param shape [3,2]"),
        "{e}"
    );
    // ScatterNd sums duplicates.
    let upd = source::const_value(&g, f64_value(&[3], vec![1., 2., 3.]), None).expect("upd");
    let sidx = source::const_value(
        &g,
        Value::from_vec(&[3, 1], vec![1i32, 0, 1]).expect("v"),
        None,
    )
    .expect("sidx");
    let sc = index::scatter_nd(&g, sidx, upd, ints(&g, &[3])).expect("scatter");
    assert_eq!(run1(&g, sc, &[]).to_f64_vec(), vec![2., 4., 0.]);
    for s in shapes(&[3, 2]) {
        check_fn(s.clone(), &xv, |g, x| {
            let idx = source::const_value(
                g,
                Value::from_vec(&[3, 2], vec![2i32, 1, 0, 0, 2, 1]).expect("v"),
                None,
            )
            .expect("idx");
            sq(g, index::gather_nd(g, x, idx).expect("gather_nd"))
        });
        check_fn(s, &xv, |g, x| {
            let idx =
                source::const_value(g, Value::from_vec(&[2, 1], vec![2i32, 2]).expect("v"), None)
                    .expect("idx");
            sq(g, index::gather_nd(g, x, idx).expect("gather_nd"))
        });
    }
    check_fn(Shape::known(&[3]), &value(&[3], 4), |g, u| {
        let idx = source::const_value(
            g,
            Value::from_vec(&[3, 1], vec![1i32, 0, 1]).expect("v"),
            None,
        )
        .expect("idx");
        sq(
            g,
            index::scatter_nd(g, idx, u, ints(g, &[4])).expect("scatter"),
        )
    });
}

// ----- UnsortedSegmentSum / densify -----

#[test]
fn unsorted_segment_sum_values_gradients_errors() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[4, 2]));
    let xv = f64_value(&[4, 2], vec![1., 2., 3., 4., 5., 6., 7., 8.]);
    let num = source::const_value(&g, Value::scalar(3i32), None).expect("num");
    let y = index::unsorted_segment_sum(&g, x, ints(&g, &[2, 0, 2, -1]), num).expect("uss");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[3, 2]));
    assert_eq!(
        run1(&g, y, &[(x, xv.clone())]).to_f64_vec(),
        vec![3., 4., 0., 0., 6., 8.]
    );
    let bad = index::unsorted_segment_sum(&g, x, ints(&g, &[0, 0, 3, 1]), num).expect("bad");
    let e = run_err(&g, bad, &[(x, xv.clone())]);
    assert!(
        e.contains("segment_ids[2] = 3 is out of range [0, 3)"),
        "{e}"
    );
    for s in shapes(&[4, 2]) {
        check_fn(s, &xv, |g, x| {
            let num = source::const_value(g, Value::scalar(3i32), None).expect("num");
            sq(
                g,
                index::unsorted_segment_sum(g, x, ints(g, &[2, 0, 2, -1]), num).expect("uss"),
            )
        });
    }
}

// ----- StridedSlice -----

#[test]
fn strided_slice_values_masks_and_gradients() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3, 4]));
    let xv = f64_value(&[3, 4], (0..12).map(f64::from).collect());
    let m0 = Masks::default();
    // x[1:3, ::-2]
    let y = sslice(
        &g,
        x,
        &[1, 0],
        &[3, 0],
        &[1, -2],
        Masks {
            begin: 2,
            end: 2,
            ..m0
        },
    );
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[2, 2]));
    assert_eq!(
        run1(&g, y, &[(x, xv.clone())]).to_f64_vec(),
        vec![7., 5., 11., 9.]
    );
    // x[-1, None, 1:]  (shrink, new axis)
    let y = sslice(
        &g,
        x,
        &[-1, 0, 1],
        &[0, 0, 0],
        &[1, 1, 1],
        Masks {
            shrink: 1,
            new_axis: 2,
            end: 4,
            ..m0
        },
    );
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[1, 3]));
    assert_eq!(
        run1(&g, y, &[(x, xv.clone())]).to_f64_vec(),
        vec![9., 10., 11.]
    );
    // x[..., 2]
    let y = sslice(
        &g,
        x,
        &[0, 2],
        &[0, 3],
        &[1, 1],
        Masks {
            ellipsis: 1,
            shrink: 2,
            ..m0
        },
    );
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[3]));
    assert_eq!(
        run1(&g, y, &[(x, xv.clone())]).to_f64_vec(),
        vec![2., 6., 10.]
    );
    // Out of bounds shrink index: a ValueError at build time.
    let e = index::strided_slice(&g, x, c(&[5]), c(&[6]), c(&[1]), Masks { shrink: 1, ..m0 })
        .expect_err("oob");
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("slice index 5 of dimension 0 out of bounds."),
        "{e}"
    );
    // ... and at run time with an unknown shape.
    let u = placeholder(&g, Shape::unknown());
    let yu = sslice(&g, u, &[5], &[6], &[1], Masks { shrink: 1, ..m0 });
    let e = run_err(&g, yu, &[(u, xv.clone())]);
    assert!(
        e.contains("slice index 5 of dimension 0 out of bounds."),
        "{e}"
    );
    for s in shapes(&[3, 4]) {
        check_fn(s.clone(), &xv, |g, x| {
            sq(
                g,
                sslice(
                    g,
                    x,
                    &[1, 0],
                    &[3, 0],
                    &[1, -2],
                    Masks {
                        begin: 2,
                        end: 2,
                        ..m0
                    },
                ),
            )
        });
        check_fn(s.clone(), &xv, |g, x| {
            sq(
                g,
                sslice(
                    g,
                    x,
                    &[-1, 0, 1],
                    &[0, 0, 0],
                    &[1, 1, 1],
                    Masks {
                        shrink: 1,
                        new_axis: 2,
                        end: 4,
                        ..m0
                    },
                ),
            )
        });
        check_fn(s, &xv, |g, x| {
            let a = sslice(
                g,
                x,
                &[0, 2],
                &[0, 3],
                &[1, 1],
                Masks {
                    ellipsis: 1,
                    shrink: 2,
                    ..m0
                },
            );
            binary::mul(g, a, unary::sin(g, a).expect("sin")).expect("mul")
        });
    }
}

// ----- OneHot, DynamicStitch -----

#[test]
fn one_hot_values_and_no_gradient() {
    let g = Graph::new();
    let ids = ints(&g, &[0, 2, 5, -1]);
    let depth = source::const_value(&g, Value::scalar(3i32), None).expect("depth");
    let on = source::const_value(&g, Value::scalar(1.5f64), None).expect("on");
    let off = source::const_value(&g, Value::scalar(-1.0f64), None).expect("off");
    let y = g
        .add1(
            OpKind::Index(IndexOp::OneHot { axis: -1 }),
            &[ids, depth, on, off],
            None,
        )
        .expect("one_hot");
    assert_eq!(g.shape(y).expect("shape"), Shape::known(&[4, 3]));
    assert_eq!(
        run1(&g, y, &[]).to_f64_vec(),
        vec![1.5, -1., -1., -1., -1., 1.5, -1., -1., -1., -1., -1., -1.]
    );
    let y0 = g
        .add1(
            OpKind::Index(IndexOp::OneHot { axis: 0 }),
            &[ids, depth, on, off],
            None,
        )
        .expect("one_hot axis 0");
    assert_eq!(g.shape(y0).expect("shape"), Shape::known(&[3, 4]));
    assert_eq!(
        run1(&g, y0, &[]).to_f64_vec(),
        vec![1.5, -1., -1., -1., -1., -1., -1., -1., -1., 1.5, -1., -1.]
    );
    let gs = gradients(&g, &[y], &[on], &GradientOptions::default()).expect("grads");
    assert!(gs[0].is_none());
}

#[test]
fn dynamic_stitch_gradient() {
    let xv = value(&[3, 2], 7);
    check_fn(Shape::known(&[3, 2]), &xv, |g, x| {
        let y = unary::sin(g, x).expect("sin");
        let st = array::dynamic_stitch(
            g,
            &[ints(g, &[2, 0, 4]), ints(g, &[1, 3])],
            &[
                y,
                sq(g, index::gather(g, x, ints(g, &[0, 2]), 0).expect("g")),
            ],
        )
        .expect("stitch");
        sq(g, st)
    });
}
