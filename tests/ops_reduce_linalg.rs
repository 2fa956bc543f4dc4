//! Reductions and matrix products through the public API: forward values, build-time and
//! run-time errors, and first and second derivatives against central finite differences.

mod common;

use common::{check_fn, check_gradient, f64_value, grad_of, pattern, placeholder, Checker};
use symgrad::exec::Session;
use symgrad::ops::{binary, linalg, reduce, source, unary, ReduceOp};
use symgrad::{Code, DType, Error, Graph, Shape, Tensor, Value};

type R<T> = symgrad::Result<T>;

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

fn ints(g: &Graph, xs: &[i64]) -> Tensor {
    source::const_ints(g, xs).expect("const")
}

/// `square(op(x, axes))`: the square makes second derivatives non-trivial.
fn squared_reduce(g: &Graph, op: ReduceOp, x: Tensor, axes: Tensor, keep: bool) -> R<Tensor> {
    let r = reduce::reduce(g, op, x, axes, keep, None)?;
    unary::square(g, r)
}

fn run1(g: &Graph, t: Tensor, feeds: &[(Tensor, Value)]) -> R<Value> {
    Ok(Session::new(g).run(&[t], feeds)?.remove(0))
}

const AXES_CASES: &[(&[i64], bool)] = &[
    (&[0], false),
    (&[1], true),
    (&[-1], false),
    (&[0, 1, 2], false),
    (&[0, 1, 2], true),
    (&[0, 2], true),
    (&[2, 0], false),
    (&[], false),
];

// ----- forward -----

#[test]
fn forward_values_through_a_session() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::unknown());
    let s = reduce::sum(&g, x, &[1], true).expect("sum");
    let m = reduce::mean(&g, x, &[0], false).expect("mean");
    let p = reduce::prod(&g, x, &[0, 1], false).expect("prod");
    let xv = f64_value(&[2, 2], vec![1., 2., 3., 4.]);
    let out = Session::new(&g).run(&[s, m, p], &[(x, xv)]).expect("run");
    assert_eq!(out[0].shape(), &[2, 1]);
    assert_eq!(out[0].to_f64_vec(), vec![3., 7.]);
    assert_eq!(out[1].to_f64_vec(), vec![2., 3.]);
    assert_eq!(out[2].to_f64_vec(), vec![24.]);

    let a = placeholder(&g, Shape::unknown());
    let c = source::const_value(&g, f64_value(&[2, 1], vec![1., 1.]), None).expect("const");
    let mm = linalg::matmul(&g, a, c, false, false).expect("matmul");
    let out = run1(&g, mm, &[(a, f64_value(&[2, 2], vec![1., 2., 3., 4.]))]).expect("run");
    assert_eq!(out.to_f64_vec(), vec![3., 7.]);
}

#[test]
fn build_time_errors_are_value_errors() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[2, 3]));
    let e = reduce::sum(&g, x, &[5], false).expect_err("axis");
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("Invalid reduction dimension 5 for input with 2 dimensions"),
        "{e}"
    );
    let b = placeholder(&g, Shape::known(&[4, 5]));
    let e = linalg::matmul(&g, x, b, false, false).expect_err("inner");
    assert!(matches!(e, Error::InvalidArgument { .. }));
    let text = e.to_string();
    assert!(
        text.contains("Dimensions must be equal, but are 3 and 4") && text.contains("MatMul"),
        "{text}"
    );
    assert!(text.contains("[2,3], [4,5]"), "{text}");
}

#[test]
fn run_time_errors_are_invalid_argument() {
    let g = Graph::new();
    let a = placeholder(&g, Shape::unknown());
    let b = source::placeholder(&g, DType::F64, Shape::unknown(), Some("b")).expect("placeholder");
    let mm = linalg::matmul(&g, a, b, false, false).expect("matmul");
    let e = Session::new(&g)
        .run(&[mm], &[(a, value(&[2, 3], 1)), (b, value(&[4, 5], 2))])
        .expect_err("size-incompatible");
    match &e {
        Error::Op { code, message, .. } => {
            assert_eq!(*code, Code::InvalidArgument);
            assert!(
                message.contains("Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]"),
                "{message}"
            );
        }
        other => panic!("expected an op error, got {other:?}"),
    }
    let axes =
        source::placeholder(&g, DType::I32, Shape::unknown(), Some("axes")).expect("placeholder");
    let s = reduce::sum_t(&g, a, axes, false).expect("sum");
    let e = Session::new(&g)
        .run(
            &[s],
            &[
                (a, value(&[2, 3], 1)),
                (axes, Value::int_vector(DType::I32, &[2])),
            ],
        )
        .expect_err("bad axis");
    assert!(
        matches!(
            e,
            Error::Op {
                code: Code::InvalidArgument,
                ..
            }
        ),
        "{e:?}"
    );
}

// ----- Sum / Mean -----

#[test]
fn sum_and_mean_static_shapes() {
    let xv = value(&[2, 3, 4], 3);
    for op in [ReduceOp::Sum, ReduceOp::Mean] {
        for &(axes, keep) in AXES_CASES {
            check_fn(Shape::known(&[2, 3, 4]), &xv, |g, x| {
                squared_reduce(g, op, x, ints(g, axes), keep).expect("build")
            });
        }
    }
}

#[test]
fn sum_and_mean_partly_known_and_unknown_shapes() {
    let xv = value(&[2, 3, 4], 4);
    for static_shape in [Shape::from_dims(&[None, Some(3), None]), Shape::unknown()] {
        for op in [ReduceOp::Sum, ReduceOp::Mean] {
            for &(axes, keep) in AXES_CASES {
                check_fn(static_shape.clone(), &xv, |g, x| {
                    squared_reduce(g, op, x, ints(g, axes), keep).expect("build")
                });
            }
        }
    }
}

#[test]
fn sum_with_scalar_int64_and_fed_axes() {
    let xv = value(&[3, 4], 5);
    check_fn(Shape::known(&[3, 4]), &xv, |g, x| {
        let axis = source::const_value(g, Value::scalar(1i32), None).expect("const");
        squared_reduce(g, ReduceOp::Sum, x, axis, false).expect("build")
    });
    check_fn(Shape::unknown(), &xv, |g, x| {
        let axis = source::const_value(g, Value::scalar(-2i64), None).expect("const");
        squared_reduce(g, ReduceOp::Mean, x, axis, false).expect("build")
    });
    check_fn(Shape::known(&[3, 4]), &xv, |g, x| {
        let axes =
            source::const_value(g, Value::int_vector(DType::I64, &[0, 1]), None).expect("const");
        squared_reduce(g, ReduceOp::Sum, x, axes, true).expect("build")
    });
    // Axes known only at run time (int32 and int64), with and without keep_dims.
    for (dtype, keep) in [(DType::I32, false), (DType::I64, true), (DType::I32, true)] {
        for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Prod] {
            let g = Graph::new();
            let x = placeholder(&g, Shape::known(&[3, 4]));
            let axes = source::placeholder(&g, dtype, Shape::known(&[1]), Some("axes"))
                .expect("placeholder");
            let y = squared_reduce(&g, op, x, axes, keep).expect("build");
            let mut c = Checker::new(&g, x, y);
            c.extra_feeds = vec![(axes, Value::int_vector(dtype, &[-1]))];
            c.check(&xv);
        }
    }
}

#[test]
fn mean_gradient_values() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[2, 2]));
    let m = reduce::mean(&g, x, &[1], false).expect("mean");
    let dx = grad_of(&g, m, x);
    let out = run1(&g, dx, &[(x, value(&[2, 2], 1))]).expect("run");
    assert_eq!(out.to_f64_vec(), vec![0.5; 4]);
}

// ----- Max / Min -----

#[test]
fn max_and_min_gradients() {
    let xv = value(&[2, 3, 4], 6);
    for op in [ReduceOp::Max, ReduceOp::Min] {
        for &(axes, keep) in AXES_CASES {
            check_fn(Shape::known(&[2, 3, 4]), &xv, |g, x| {
                squared_reduce(g, op, x, ints(g, axes), keep).expect("build")
            });
            check_fn(Shape::unknown(), &xv, |g, x| {
                squared_reduce(g, op, x, ints(g, axes), keep).expect("build")
            });
        }
    }
}

#[test]
fn max_ties_share_the_gradient() {
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3]));
    let m = reduce::max(&g, x, &[0], false).expect("max");
    let dx = grad_of(&g, m, x);
    let out = run1(&g, dx, &[(x, f64_value(&[3], vec![1., 3., 3.]))]).expect("run");
    assert_eq!(out.to_f64_vec(), vec![0., 0.5, 0.5]);
    let n = reduce::min(&g, x, &[0], true).expect("min");
    let dn = grad_of(&g, n, x);
    let out = run1(&g, dn, &[(x, f64_value(&[3], vec![2., 2., 2.]))]).expect("run");
    let third = 1.0 / 3.0;
    assert_eq!(out.to_f64_vec(), vec![third, third, third]);
}

// ----- Prod -----

#[test]
fn prod_gradients_without_zeros() {
    let xv = value(&[2, 3, 4], 7);
    for &(axes, keep) in AXES_CASES {
        check_fn(Shape::known(&[2, 3, 4]), &xv, |g, x| {
            squared_reduce(g, ReduceOp::Prod, x, ints(g, axes), keep).expect("build")
        });
        check_fn(Shape::unknown(), &xv, |g, x| {
            squared_reduce(g, ReduceOp::Prod, x, ints(g, axes), keep).expect("build")
        });
    }
}

#[test]
fn prod_gradients_with_zeros() {
    // Row 0 has one zero, row 1 two zeros, row 2 none.
    let data = vec![0.5, 0.0, -2.0, 1.5, 0.0, 3.0, 0.0, 0.7, 1.1, -0.9, 2.0, 0.4];
    let xv = f64_value(&[3, 4], data);
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3, 4]));
    let p = reduce::prod(&g, x, &[1], false).expect("prod");
    let dx = grad_of(&g, p, x);
    let got = run1(&g, dx, &[(x, xv.clone())]).expect("run").to_f64_vec();
    let want = [
        0.0,
        -1.5,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        -0.9 * 2.0 * 0.4,
        1.1 * 2.0 * 0.4,
        1.1 * -0.9 * 0.4,
        1.1 * -0.9 * 2.0,
    ];
    for (a, b) in got.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{got:?} vs {want:?}");
    }
    // One zero per slice: first and second derivatives are exact (prod is multilinear, so
    // central differences are exact too).
    let one_zero = f64_value(&[2, 3], vec![0.0, 0.8, -1.2, 0.6, 0.0, 1.7]);
    check_fn(Shape::known(&[2, 3]), &one_zero, |g, x| {
        let p = reduce::prod(g, x, &[1], false).expect("prod");
        unary::square(g, p).expect("square")
    });
    check_fn(Shape::known(&[2, 3]), &one_zero, |g, x| {
        reduce::prod(g, x, &[1], true).expect("prod")
    });
    // Two zeros in a slice: with the rank and axes known, the gradient is TF's exclusive
    // cumprods, whose own gradient does not divide, so second derivatives are exact too.
    for shape in [
        Shape::known(&[3, 4]),
        Shape(Some(smallvec::smallvec![None, None])),
    ] {
        for (axes, keep) in [(&[1][..], false), (&[0, 1][..], true), (&[0][..], false)] {
            check_fn(shape.clone(), &xv, |g, x| {
                let p = reduce::prod(g, x, axes, keep).expect("prod");
                unary::square(g, p).expect("square")
            });
        }
    }
    // Unknown rank: the zero-counting fallback, exact in first derivatives.
    let g = Graph::new();
    let x = placeholder(&g, Shape::unknown());
    let y = reduce::prod(&g, x, &[1], false).expect("prod");
    let mut c = Checker::new(&g, x, y);
    c.second_order = false;
    c.check(&xv);
}

#[test]
fn prod_third_derivative_with_zeros() {
    // prod(x) over 3 elements: d3/dx0 dx1 dx2 = 1; summing the Hessian's gradient counts it.
    let g = Graph::new();
    let x = placeholder(&g, Shape::known(&[3]));
    let y = reduce::prod(&g, x, &[0], false).expect("prod");
    let d1 = grad_of(&g, y, x);
    let s1 = reduce::sum(&g, d1, &[0], false).expect("sum");
    let d2 = grad_of(&g, s1, x);
    let s2 = reduce::sum(&g, d2, &[0], false).expect("sum");
    let d3 = grad_of(&g, s2, x);
    let got = run1(&g, d3, &[(x, f64_value(&[3], vec![0.0, 0.0, 0.0]))])
        .expect("run")
        .to_f64_vec();
    assert_eq!(got, vec![2.0, 2.0, 2.0]);
}

// ----- MatMul -----

#[test]
fn matmul_gradients_all_transpose_cases() {
    let sq = value(&[3, 3], 8);
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        // x against itself: the Hessian is non-zero.
        check_fn(Shape::known(&[3, 3]), &sq, |g, x| {
            linalg::matmul(g, x, x, ta, tb).expect("matmul")
        });
        // Non-square operands, with a constant partner on either side.
        let a_shape: &[usize] = if ta { &[3, 2] } else { &[2, 3] };
        let b_shape: &[usize] = if tb { &[4, 3] } else { &[3, 4] };
        let av = value(a_shape, 9);
        check_fn(Shape::unknown(), &av, |g, x| {
            let b = source::const_value(g, value(b_shape, 10), None).expect("const");
            let y = linalg::matmul(g, x, b, ta, tb).expect("matmul");
            unary::square(g, y).expect("square")
        });
        let bv = value(b_shape, 11);
        check_fn(Shape::known(b_shape), &bv, |g, x| {
            let a = source::const_value(g, value(a_shape, 12), None).expect("const");
            let y = linalg::matmul(g, a, x, ta, tb).expect("matmul");
            unary::square(g, y).expect("square")
        });
    }
}

// ----- BatchMatMulV2 -----

#[test]
fn batch_matmul_gradients_same_batch() {
    let xv = value(&[2, 3, 3], 13);
    for (ax, ay) in [(false, false), (false, true), (true, false), (true, true)] {
        check_fn(Shape::known(&[2, 3, 3]), &xv, |g, x| {
            linalg::batch_matmul(g, x, x, ax, ay).expect("bmm")
        });
    }
}

#[test]
fn batch_matmul_gradients_broadcast_batch() {
    // x: [2,1,2,3] against a constant of batch [4] (and a rank-2 one): x's gradient is
    // summed over the broadcast axis.
    for (ax, ay) in [(false, false), (false, true), (true, false), (true, true)] {
        let x_shape: &[usize] = if ax { &[2, 1, 3, 2] } else { &[2, 1, 2, 3] };
        let y_shape: &[usize] = if ay { &[4, 5, 3] } else { &[4, 3, 5] };
        let xv = value(x_shape, 14);
        for static_shape in [
            Shape::known(x_shape),
            Shape::unknown(),
            Shape::from_dims(&[None, Some(1), None, None]),
        ] {
            check_fn(static_shape, &xv, |g, x| {
                let y = source::const_value(g, value(y_shape, 15), None).expect("const");
                let z = linalg::batch_matmul(g, x, y, ax, ay).expect("bmm");
                unary::square(g, z).expect("square")
            });
        }
        // The partner's gradient: y broadcast along x's batch [2,1].
        let yv = value(y_shape, 16);
        check_fn(Shape::unknown(), &yv, |g, y| {
            let x = source::const_value(g, value(x_shape, 17), None).expect("const");
            let z = linalg::batch_matmul(g, x, y, ax, ay).expect("bmm");
            unary::square(g, z).expect("square")
        });
        // Rank-2 partner: broadcast over every batch axis.
        let m_shape: &[usize] = if ay { &[5, 3] } else { &[3, 5] };
        let mv = value(m_shape, 18);
        check_fn(Shape::known(m_shape), &mv, |g, m| {
            let x = source::const_value(g, value(x_shape, 19), None).expect("const");
            let z = linalg::batch_matmul(g, x, m, ax, ay).expect("bmm");
            unary::square(g, z).expect("square")
        });
    }
}

#[test]
fn batch_matmul_self_broadcast_second_order() {
    // x [2,3,3] times its batch mean [3,3]: both paths of the product depend on x.
    let xv = value(&[2, 3, 3], 20);
    for static_shape in [Shape::known(&[2, 3, 3]), Shape::unknown()] {
        let g = Graph::new();
        let x = placeholder(&g, static_shape);
        let m = reduce::mean(&g, x, &[0], false).expect("mean");
        let z = linalg::batch_matmul(&g, x, m, false, true).expect("bmm");
        let y = binary::mul(&g, z, z).expect("mul");
        check_gradient(&g, x, y, &xv, 1e-6);
    }
}
