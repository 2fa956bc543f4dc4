//! The layout family through the public Rust API: values of each rearrangement, first and
//! second derivatives against central differences (known and unknown static shapes), and
//! run-time errors with TF's codes.

mod common;

use common::{check_fn, f64_value, pattern};
use symgrad::exec::Session;
use symgrad::ops::layout::{self, ScatterMode};
use symgrad::ops::{source, unary};
use symgrad::{AttrValue, Attrs, Code, Error, Graph, Shape, Tensor, Value};

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

fn ints(g: &Graph, shape: &[usize], xs: Vec<i32>) -> Tensor {
    source::const_value(g, Value::from_vec(shape, xs).expect("ints"), None).expect("const")
}

fn square(g: &Graph, t: Tensor) -> Tensor {
    unary::square(g, t).expect("square")
}

#[test]
fn layout_values() {
    let g = Graph::new();
    let x = source::const_value(&g, value(&[1, 2, 2, 2], 1), None).expect("x");
    let s2d = layout::space_to_depth_op(&g, x, 2).expect("s2d");
    let back = layout::depth_to_space_op(&g, s2d, 2).expect("d2s");
    let v = source::const_value(
        &g,
        Value::from_vec(&[2, 3], vec![1i32, 2, 3, 4, 5, 6]).expect("v"),
        None,
    )
    .expect("v");
    let rolled = layout::roll(&g, v, ints(&g, &[], vec![1]), ints(&g, &[], vec![1])).expect("r");
    let rev = layout::reverse_sequence(&g, v, ints(&g, &[2], vec![2, 3]), 1, 0).expect("rs");
    let upd = layout::tensor_scatter(
        &g,
        ScatterMode::Add,
        v,
        ints(&g, &[2, 2], vec![0, 1, 0, 1]),
        ints(&g, &[2], vec![10, 20]),
    )
    .expect("scatter");
    let out = Session::new(&g)
        .run(&[x, s2d, back, rolled, rev, upd], &[])
        .expect("run");
    // Each 2x2 block of one batch element becomes its depth: (y, x, c) order.
    assert_eq!(out[1].shape(), &[1, 1, 1, 8]);
    assert_eq!(out[1].to_f64_vec(), out[0].to_f64_vec());
    assert_eq!(out[2].to_f64_vec(), out[0].to_f64_vec());
    assert_eq!(out[3].to_i64_vec().expect("i"), vec![3, 1, 2, 6, 4, 5]);
    assert_eq!(out[4].to_i64_vec().expect("i"), vec![2, 1, 3, 6, 5, 4]);
    assert_eq!(out[5].to_i64_vec().expect("i"), vec![1, 32, 3, 4, 5, 6]);
}

#[test]
fn layout_gradients_first_and_second_order() {
    for shape in [Shape::known(&[2, 4, 2, 1]), Shape::unknown()] {
        let xv = value(&[2, 4, 2, 1], 7);
        check_fn(shape.clone(), &xv, |g, x| {
            square(g, layout::space_to_depth_op(g, x, 2).expect("s2d"))
        });
        check_fn(shape.clone(), &xv, |g, x| {
            let block = ints(g, &[2], vec![2, 1]);
            let pads = ints(g, &[2, 2], vec![1, 1, 0, 1]);
            square(
                g,
                layout::space_to_batch_nd(g, x, block, pads).expect("s2b"),
            )
        });
        check_fn(shape.clone(), &xv, |g, x| {
            let block = ints(g, &[1], vec![2]);
            let crops = ints(g, &[1, 2], vec![1, 0]);
            square(
                g,
                layout::batch_to_space_nd(g, x, block, crops).expect("b2s"),
            )
        });
        check_fn(shape.clone(), &xv, |g, x| {
            let shift = ints(g, &[2], vec![1, -3]);
            let axis = ints(g, &[2], vec![0, 1]);
            square(g, layout::roll(g, x, shift, axis).expect("roll"))
        });
        check_fn(shape.clone(), &xv, |g, x| {
            let lens = ints(g, &[2], vec![3, 1]);
            square(g, layout::reverse_sequence(g, x, lens, 1, 0).expect("rs"))
        });
        for mode in [ScatterMode::Update, ScatterMode::Add, ScatterMode::Sub] {
            check_fn(shape.clone(), &xv, |g, x| {
                let idx = ints(g, &[2, 2], vec![1, 2, 0, 0]);
                let upd = source::const_value(g, value(&[2, 2, 1], 3), None).expect("u");
                let y = layout::tensor_scatter(g, mode, x, idx, upd).expect("scatter");
                square(g, y)
            });
        }
    }
    let xv = value(&[1, 1, 2, 4], 5);
    check_fn(Shape::known(&[1, 1, 2, 4]), &xv, |g, x| {
        square(g, layout::depth_to_space_op(g, x, 2).expect("d2s"))
    });
}

#[test]
fn layout_runtime_errors() {
    let g = Graph::new();
    let x = source::const_value(&g, value(&[3], 1), None).expect("x");
    let axis = source::placeholder(&g, symgrad::DType::I32, Shape::scalar(), None).expect("p");
    let rolled = layout::roll(&g, x, ints(&g, &[], vec![1]), axis).expect("roll");
    let err = Session::new(&g)
        .run(&[rolled], &[(axis, Value::scalar(5i32))])
        .expect_err("axis out of range");
    match err {
        Error::Op { code, message, .. } => {
            assert_eq!(code, Code::InvalidArgument);
            assert!(message.contains("axis 5 is out of range"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn patches(g: &Graph, x: Tensor, k: [i64; 2], s: [i64; 2], r: [i64; 2], pad: &str) -> Tensor {
    let four = |v: [i64; 2]| AttrValue::Ints(vec![1, v[0], v[1], 1]);
    let attrs = Attrs::new()
        .with("ksizes", four(k))
        .with("strides", four(s))
        .with("rates", four(r))
        .with("padding", AttrValue::Str(pad.to_string()));
    g.add_op_def("ExtractImagePatches", &[x], &attrs, None)
        .expect("patches")
        .output(0)
}

#[test]
fn extract_image_patches_values_and_gradients() {
    let g = Graph::new();
    let xv = f64_value(&[1, 3, 3, 1], (1..=9).map(f64::from).collect());
    let x = source::const_value(&g, xv, None).expect("x");
    let y = patches(&g, x, [2, 2], [2, 2], [1, 1], "SAME");
    let out = Session::new(&g).run(&[y], &[]).expect("run");
    assert_eq!(out[0].shape(), &[1, 2, 2, 4]);
    // Windows at (0,0), (0,2), (2,0), (2,2); cells past the image are zero.
    assert_eq!(
        out[0].to_f64_vec(),
        vec![1., 2., 4., 5., 3., 0., 6., 0., 7., 8., 0., 0., 9., 0., 0., 0.]
    );
    for shape in [Shape::known(&[2, 3, 4, 2]), Shape::unknown()] {
        check_fn(shape, &value(&[2, 3, 4, 2], 11), |g, x| {
            square(g, patches(g, x, [2, 2], [1, 2], [2, 1], "SAME"))
        });
    }
}
