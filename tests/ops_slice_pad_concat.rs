//! Slice, Pad/PadV2, ConcatV2, Split/SplitV and Unpack/Pack through the public API: forward
//! values, and first and second derivatives against central finite differences (the second
//! derivative of each goes through the gradient of its gradient: Slice <-> Pad,
//! ConcatV2 <-> Slice/SplitV, Split/SplitV -> ConcatV2, Pack <-> Unpack).

mod common;

use common::{check_fn, f64_value, pattern, placeholder, Checker};
use symgrad::exec::Session;
use symgrad::ops::{array, binary, source, unary};
use symgrad::{
    gradients, Code, DType, Error, Grad, GradientOptions, Graph, IndexedSlices, Shape, Tensor,
    Value,
};

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

/// Static shapes to try for a placeholder fed a value of shape `dims`: fully known, unknown
/// dims of known rank, unknown rank.
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

fn run1(g: &Graph, t: Tensor, feeds: &[(Tensor, Value)]) -> Value {
    Session::new(g).run(&[t], feeds).expect("run").remove(0)
}

// ----- forward -----

#[test]
fn forward_values() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::unknown());
    let xv = f64_value(&[2, 3], vec![0., 1., 2., 3., 4., 5.]);
    let s = array::slice_const(&g, x, &[0, 1], &[-1, 2]).expect("slice");
    assert_eq!(
        run1(&g, s, &[(x, xv.clone())]).to_f64_vec(),
        vec![1., 2., 4., 5.]
    );
    let p = array::pad_const(&g, x, &[[1, 0], [0, 1]]).expect("pad");
    let pv = run1(&g, p, &[(x, xv.clone())]);
    assert_eq!(pv.shape(), &[3, 4]);
    assert_eq!(
        pv.to_f64_vec(),
        vec![0., 0., 0., 0., 0., 1., 2., 0., 3., 4., 5., 0.]
    );
    let c = source::const_value(&g, Value::scalar(-1.5f64), None).expect("c");
    let pc = source::const_ints(&g, &[0, 0, 1, 0]).expect("p");
    let pc = array::reshape(&g, pc, &[2, 2]).expect("reshape");
    let p2 = array::pad_v2(&g, x, pc, c).expect("pad_v2");
    assert_eq!(
        run1(&g, p2, &[(x, xv.clone())]).to_f64_vec(),
        vec![-1.5, 0., 1., 2., -1.5, 3., 4., 5.]
    );
    let parts = array::split_sizes(&g, x, &[2, -1], 1).expect("split");
    let out = Session::new(&g)
        .run(&parts, &[(x, xv.clone())])
        .expect("run");
    assert_eq!(out[0].to_f64_vec(), vec![0., 1., 3., 4.]);
    assert_eq!(out[1].to_f64_vec(), vec![2., 5.]);
    let c = array::concat(&g, &[parts[1], parts[0]], -1).expect("concat");
    assert_eq!(
        run1(&g, c, &[(x, xv)]).to_f64_vec(),
        vec![2., 0., 1., 5., 3., 4.]
    );
}

#[test]
fn run_time_errors_name_the_op() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::unknown());
    let s = array::slice_const(&g, x, &[0, 4], &[-1, 1]).expect("slice");
    let e = Session::new(&g)
        .run(&[s], &[(x, value(&[2, 3], 1))])
        .expect_err("begin");
    assert!(
        matches!(
            &e,
            Error::Op {
                code: Code::InvalidArgument,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("Expected begin[1] in [0, 3], but got 4"),
        "{e}"
    );
}

// ----- Slice -----

#[test]
fn slice_gradients() {
    let xv = value(&[3, 4], 2);
    for s in shapes(&[3, 4]) {
        check_fn(s.clone(), &xv, |g, x| {
            sq(
                g,
                array::slice_const(g, x, &[1, 1], &[-1, 2]).expect("slice"),
            )
        });
        check_fn(s, &xv, |g, x| {
            let a = array::slice_const(g, x, &[0, 0], &[2, -1]).expect("slice");
            let b = array::slice_const(g, x, &[1, 0], &[2, -1]).expect("slice");
            binary::mul(g, a, unary::sin(g, b).expect("sin")).expect("mul")
        });
    }
    // Rank 3, and a slice that is the whole tensor.
    let xv = value(&[2, 3, 2], 3);
    check_fn(Shape::unknown(), &xv, |g, x| {
        sq(
            g,
            array::slice_const(g, x, &[1, 0, 1], &[1, 3, 1]).expect("slice"),
        )
    });
    check_fn(Shape::known(&[2, 3, 2]), &xv, |g, x| {
        sq(
            g,
            array::slice_const(g, x, &[0, 0, 0], &[-1, -1, -1]).expect("slice"),
        )
    });
}

#[test]
fn slice_gradient_with_begin_fed_at_run_time() {
    for index in [DType::I32, DType::I64] {
        let g = Graph::new();
        let x = placeholder(&g, Shape::unknown_dims(2));
        let begin =
            source::placeholder(&g, index, Shape::known(&[2]), Some("begin")).expect("begin");
        let size = source::const_value(&g, Value::int_vector(index, &[2, -1]), None).expect("size");
        let y = sq(&g, array::slice(&g, x, begin, size).expect("slice"));
        let mut c = Checker::new(&g, x, y);
        c.extra_feeds
            .push((begin, Value::int_vector(index, &[1, 2])));
        c.check(&value(&[3, 5], 4));
    }
}

// ----- Pad / PadV2 -----

#[test]
fn pad_gradients() {
    let xv = value(&[2, 3], 5);
    for s in shapes(&[2, 3]) {
        check_fn(s.clone(), &xv, |g, x| {
            sq(g, array::pad_const(g, x, &[[1, 2], [0, 1]]).expect("pad"))
        });
        check_fn(s, &xv, |g, x| {
            let p = source::const_value(g, Value::int_vector(DType::I64, &[0, 1, 2, 0]), None)
                .expect("p");
            let p = array::reshape(g, p, &[2, 2]).expect("reshape");
            let c = source::const_value(g, Value::scalar(0.5f64), None).expect("c");
            unary::sin(g, array::pad_v2(g, x, p, c).expect("pad_v2")).expect("sin")
        });
    }
}

#[test]
fn pad_gradient_with_paddings_fed_at_run_time() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[2, 3]));
    let p = source::placeholder(&g, DType::I32, Shape::unknown(), Some("paddings")).expect("p");
    let y = sq(&g, array::pad(&g, x, p).expect("pad"));
    let mut c = Checker::new(&g, x, y);
    c.extra_feeds
        .push((p, Value::from_vec(&[2, 2], vec![2i32, 0, 1, 3]).expect("p")));
    c.check(&value(&[2, 3], 6));
}

// ----- ConcatV2 -----

/// `n` functions of x, each different, concatenated on `axis`, squared.
fn concat_of(g: &Graph, x: Tensor, n: usize, axis: i64) -> Tensor {
    let parts: Vec<Tensor> = (0..n)
        .map(|i| match i % 3 {
            0 => binary::mul(
                g,
                x,
                source::const_value(g, Value::scalar(1.0 + i as f64), None).expect("c"),
            )
            .expect("mul"),
            1 => unary::sin(g, x).expect("sin"),
            _ => sq(g, x),
        })
        .collect();
    sq(g, array::concat(g, &parts, axis).expect("concat"))
}

#[test]
fn concat_gradients_two_inputs() {
    let xv = value(&[2, 3], 7);
    for axis in [0, 1, -1] {
        for s in shapes(&[2, 3]) {
            check_fn(s, &xv, |g, x| concat_of(g, x, 2, axis));
        }
    }
}

#[test]
fn concat_gradients_twenty_inputs() {
    let xv = value(&[2, 2], 8);
    for axis in [0, 1, -1] {
        for s in shapes(&[2, 2]) {
            check_fn(s, &xv, |g, x| concat_of(g, x, 20, axis));
        }
    }
}

#[test]
fn concat_gradients_with_mixed_static_shapes_and_a_fed_axis() {
    // A fully known input next to one with an unknown dim (the ShapeN path).
    let xv = value(&[2, 3], 9);
    check_fn(Shape::from_dims(&[None, Some(3)]), &xv, |g, x| {
        let k = source::const_value(g, value(&[2, 3], 10), None).expect("k");
        let c = array::concat(g, &[k, x, sq(g, x)], 0).expect("concat");
        sq(g, c)
    });
    for n in [3, 18] {
        let g = Graph::new();
        let x = placeholder(&g, Shape::unknown_dims(2));
        let axis =
            source::placeholder(&g, DType::I32, Shape::scalar(), Some("axis")).expect("axis");
        let parts: Vec<Tensor> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    x
                } else {
                    unary::sin(&g, x).expect("sin")
                }
            })
            .collect();
        let mut inputs = parts;
        inputs.push(axis);
        let c = g
            .add1(symgrad::ops::OpKind::ConcatV2, &inputs, Some("concat"))
            .expect("concat");
        let y = sq(&g, c);
        for a in [1i32, -2] {
            let mut checker = Checker::new(&g, x, y);
            checker.extra_feeds.push((axis, Value::scalar(a)));
            checker.check(&xv);
        }
    }
}

#[test]
fn concat_of_one_value_passes_the_gradient_through() {
    check_fn(Shape::unknown(), &value(&[2, 3], 11), |g, x| {
        concat_of(g, x, 1, 0)
    });
}

#[test]
fn concat_gradient_of_indexed_slices_picks_each_inputs_rows() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[2, 3]));
    let z = placeholder(&g, Shape::known(&[2, 3]));
    let y = array::concat(&g, &[x, z], 0).expect("concat");
    // Rows 3 and 0 of the concatenation: row 1 of z and row 0 of x.
    let values_v = value(&[2, 3], 12);
    let values = source::const_value(&g, values_v.clone(), None).expect("values");
    let indices = source::const_ints(&g, &[3, 0]).expect("indices");
    let seed = Grad::Sparse(IndexedSlices {
        values,
        indices,
        dense_shape: None,
    });
    let opts = GradientOptions {
        grad_ys: Some(vec![Some(seed)]),
        ..Default::default()
    };
    let grads = gradients(&g, &[y], &[x, z], &opts).expect("sparse");
    let dense: Vec<Tensor> = grads
        .into_iter()
        .map(|d| {
            assert!(matches!(d, Some(Grad::Sparse(_))), "{d:?}");
            symgrad::grad::densify(&g, d.expect("connected")).expect("dense")
        })
        .collect();
    let feed = vec![(x, value(&[2, 3], 1)), (z, value(&[2, 3], 2))];
    let out = Session::new(&g).run(&dense, &feed).expect("run");
    let rows = values_v.to_f64_vec();
    let (gx, gz) = (out[0].to_f64_vec(), out[1].to_f64_vec());
    assert_eq!(gx, [&rows[3..6], &[0.0; 3][..]].concat());
    assert_eq!(gz, [&[0.0; 3][..], &rows[0..3]].concat());

    // One value: the IndexedSlices passes through unchanged.
    let y1 = array::concat(&g, &[x], 0).expect("concat");
    let opts = GradientOptions {
        grad_ys: Some(vec![Some(seed)]),
        ..Default::default()
    };
    let gx = gradients(&g, &[y1], &[x], &opts).expect("one value");
    assert!(matches!(gx[0], Some(Grad::Sparse(_))), "{gx:?}");
}

// ----- Split / SplitV -----

#[test]
fn split_gradients() {
    let xv = value(&[2, 6], 13);
    for s in shapes(&[2, 6]) {
        check_fn(s.clone(), &xv, |g, x| {
            let p = array::split(g, x, 3, 1).expect("split");
            binary::add(g, binary::mul(g, p[0], p[2]).expect("mul"), sq(g, p[1])).expect("add")
        });
        // Only one output used: the others are zero-filled.
        check_fn(s, &xv, |g, x| {
            sq(g, array::split(g, x, 2, 0).expect("split")[1])
        });
    }
}

#[test]
fn split_v_gradients() {
    let xv = value(&[3, 5], 14);
    for s in shapes(&[3, 5]) {
        check_fn(s.clone(), &xv, |g, x| {
            let p = array::split_sizes(g, x, &[1, -1, 2], -1).expect("split");
            let a = array::reshape(g, binary::mul(g, p[0], p[2]).expect("mul"), &[-1])
                .expect("reshape");
            let b = array::reshape(g, sq(g, p[1]), &[-1]).expect("reshape");
            array::concat(g, &[a, b], 0).expect("concat")
        });
        check_fn(s, &xv, |g, x| {
            sq(g, array::split_sizes(g, x, &[2, 1], 0).expect("split")[0])
        });
    }
    // A single piece.
    check_fn(Shape::unknown(), &xv, |g, x| {
        sq(g, array::split_sizes(g, x, &[-1], 1).expect("split")[0])
    });
}

// ----- Unpack / Pack -----

#[test]
fn unpack_pack_gradients() {
    let xv = value(&[3, 2], 15);
    for s in shapes(&[3, 2]) {
        check_fn(s.clone(), &xv, |g, x| {
            let p = array::unstack(g, x, 2, 1).expect("unstack");
            sq(
                g,
                array::stack(g, &[p[1], unary::sin(g, p[0]).expect("sin"), p[0]], 0)
                    .expect("stack"),
            )
        });
        check_fn(s, &xv, |g, x| {
            sq(g, array::unstack(g, x, 3, -2).expect("unstack")[2])
        });
    }
}
