//! Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool and their backprop ops: forward values
//! against naive reference loops written here, first and second derivatives against central
//! finite differences (squares make the linear ops' second derivatives non-trivial), shape
//! rules with unknown dims, and TF's errors.

mod common;

use common::{check_fn, f64_value, pattern, placeholder};
use symgrad::exec::Session;
use symgrad::ops::{source, unary};
use symgrad::{AttrValue, Attrs, Code, DType, Error, Graph, Shape, Tensor, Value};

fn value(shape: &[usize], seed: u64) -> Value {
    f64_value(shape, pattern(shape.iter().product(), seed))
}

fn conv_attrs(strides: [i64; 2], dil: [i64; 2], padding: &str, explicit: &[i64]) -> Attrs {
    Attrs::new()
        .with(
            "strides",
            AttrValue::Ints(vec![1, strides[0], strides[1], 1]),
        )
        .with("dilations", AttrValue::Ints(vec![1, dil[0], dil[1], 1]))
        .with("padding", AttrValue::Str(padding.into()))
        .with("explicit_paddings", AttrValue::Ints(explicit.to_vec()))
}

fn pool_attrs(k: [i64; 2], s: [i64; 2], padding: &str) -> Attrs {
    Attrs::new()
        .with("ksize", AttrValue::Ints(vec![1, k[0], k[1], 1]))
        .with("strides", AttrValue::Ints(vec![1, s[0], s[1], 1]))
        .with("padding", AttrValue::Str(padding.into()))
}

fn op(g: &Graph, ty: &str, inputs: &[Tensor], attrs: &Attrs) -> Tensor {
    g.add_op_def(ty, inputs, attrs, None).expect(ty).output(0)
}

fn run1(g: &Graph, t: Tensor, feeds: &[(Tensor, Value)]) -> Value {
    Session::new(g).run(&[t], feeds).expect("run").remove(0)
}

fn konst(g: &Graph, v: Value) -> Tensor {
    source::const_value(g, v, None).expect("const")
}

/// One padding configuration: (name, explicit list).
fn paddings() -> Vec<(&'static str, Vec<i64>)> {
    vec![
        ("VALID", vec![]),
        ("SAME", vec![]),
        ("EXPLICIT", vec![0, 0, 1, 2, 2, 0, 0, 0]),
    ]
}

/// Output size and leading padding of one dim, from TF's formulas.
fn geometry(
    input: usize,
    k: usize,
    s: usize,
    d: usize,
    padding: &str,
    explicit: (usize, usize),
) -> (usize, usize) {
    let eff = (k - 1) * d + 1;
    match padding {
        "VALID" => ((input - eff) / s + 1, 0),
        "SAME" => {
            let out = input.div_ceil(s);
            let total = ((out - 1) * s + eff).saturating_sub(input);
            (out, total / 2)
        }
        _ => ((input + explicit.0 + explicit.1 - eff) / s + 1, explicit.0),
    }
}

/// Naive convolution: out[n,y,x,o] = sum x[n, y*s+ky*d-p, ..., c] * f[ky,kx,c,o]; with
/// `depthwise`, channel c feeds outputs c*m..c*m+m only.
#[allow(clippy::too_many_arguments)]
fn reference_conv(
    x: &[f64],
    xd: [usize; 4],
    f: &[f64],
    fd: [usize; 4],
    s: [usize; 2],
    d: [usize; 2],
    padding: &str,
    explicit: &[i64],
    depthwise: bool,
) -> (Vec<usize>, Vec<f64>) {
    let e = |i: usize| explicit.get(i).copied().unwrap_or(0) as usize;
    let (oh, pt) = geometry(xd[1], fd[0], s[0], d[0], padding, (e(2), e(3)));
    let (ow, pl) = geometry(xd[2], fd[1], s[1], d[1], padding, (e(4), e(5)));
    let oc = if depthwise { xd[3] * fd[3] } else { fd[3] };
    let mut out = vec![0.0; xd[0] * oh * ow * oc];
    for n in 0..xd[0] {
        for y in 0..oh {
            for xx in 0..ow {
                for o in 0..oc {
                    let mut acc = 0.0;
                    for ky in 0..fd[0] {
                        for kx in 0..fd[1] {
                            let iy = (y * s[0] + ky * d[0]) as i64 - pt as i64;
                            let ix = (xx * s[1] + kx * d[1]) as i64 - pl as i64;
                            if iy < 0 || ix < 0 || iy >= xd[1] as i64 || ix >= xd[2] as i64 {
                                continue;
                            }
                            let (iy, ix) = (iy as usize, ix as usize);
                            let xi = |c: usize| ((n * xd[1] + iy) * xd[2] + ix) * xd[3] + c;
                            if depthwise {
                                let (c, m) = (o / fd[3], o % fd[3]);
                                acc += x[xi(c)] * f[((ky * fd[1] + kx) * fd[2] + c) * fd[3] + m];
                            } else {
                                for c in 0..xd[3] {
                                    acc +=
                                        x[xi(c)] * f[((ky * fd[1] + kx) * fd[2] + c) * fd[3] + o];
                                }
                            }
                        }
                    }
                    out[((n * oh + y) * ow + xx) * oc + o] = acc;
                }
            }
        }
    }
    (vec![xd[0], oh, ow, oc], out)
}

/// Naive pooling over in-image elements only.
fn reference_pool(
    x: &[f64],
    xd: [usize; 4],
    k: [usize; 2],
    s: [usize; 2],
    padding: &str,
    max: bool,
) -> (Vec<usize>, Vec<f64>) {
    let (oh, pt) = geometry(xd[1], k[0], s[0], 1, padding, (0, 0));
    let (ow, pl) = geometry(xd[2], k[1], s[1], 1, padding, (0, 0));
    let mut out = vec![];
    for n in 0..xd[0] {
        for y in 0..oh {
            for xx in 0..ow {
                for c in 0..xd[3] {
                    let mut vals = vec![];
                    for ky in 0..k[0] {
                        for kx in 0..k[1] {
                            let iy = (y * s[0] + ky) as i64 - pt as i64;
                            let ix = (xx * s[1] + kx) as i64 - pl as i64;
                            if iy >= 0 && ix >= 0 && iy < xd[1] as i64 && ix < xd[2] as i64 {
                                vals.push(
                                    x[((n * xd[1] + iy as usize) * xd[2] + ix as usize) * xd[3]
                                        + c],
                                );
                            }
                        }
                    }
                    out.push(if max {
                        vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        vals.iter().sum::<f64>() / vals.len() as f64
                    });
                }
            }
        }
    }
    (vec![xd[0], oh, ow, xd[3]], out)
}

fn assert_close(got: &Value, shape: &[usize], want: &[f64]) {
    assert_eq!(got.shape(), shape);
    for (i, (a, b)) in got.to_f64_vec().iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() < 1e-9 * (1.0 + b.abs()),
            "element {i}: {a} vs {b}"
        );
    }
}

#[test]
fn conv2d_and_depthwise_forward_match_reference() {
    for depthwise in [false, true] {
        let ty = if depthwise {
            "DepthwiseConv2dNative"
        } else {
            "Conv2D"
        };
        for (padding, explicit) in paddings() {
            for (s, d) in [
                ([1, 1], [1, 1]),
                ([2, 1], [1, 1]),
                ([1, 2], [1, 1]),
                ([1, 1], [2, 1]),
                ([2, 2], [1, 2]),
            ] {
                // TF's depthwise kernels take equal row and column strides only.
                if depthwise && s[0] != s[1] {
                    continue;
                }
                let xd = [2, 7, 6, 3];
                let fd = if depthwise {
                    [3, 2, 3, 2]
                } else {
                    [3, 2, 3, 4]
                };
                let (xv, fv) = (value(&xd, 1), value(&fd, 2));
                let g = Graph::new();
                let x = placeholder(&g, Shape::from_dims(&[None, None, None, Some(3)]));
                let f = konst(&g, fv.clone());
                let attrs = conv_attrs(
                    [s[0] as i64, s[1] as i64],
                    [d[0] as i64, d[1] as i64],
                    padding,
                    &explicit,
                );
                let y = op(&g, ty, &[x, f], &attrs);
                let (shape, want) = reference_conv(
                    &xv.to_f64_vec(),
                    xd,
                    &fv.to_f64_vec(),
                    fd,
                    s,
                    d,
                    padding,
                    &explicit,
                    depthwise,
                );
                assert_close(&run1(&g, y, &[(x, xv)]), &shape, &want);
                // Static shape: batch unknown, spatial unknown, channels known.
                let oc = shape[3];
                assert_eq!(
                    g.shape(y).expect("shape").dims().map(|d| d[3]),
                    Some(Some(oc))
                );
            }
        }
    }
}

#[test]
fn conv2d_f32_matches_f64() {
    let g = Graph::new();
    let xd = [1, 5, 5, 2];
    let fd = [3, 3, 2, 3];
    let x = konst(&g, value(&xd, 3).cast(symgrad::DType::F32));
    let f = konst(&g, value(&fd, 4).cast(symgrad::DType::F32));
    let y = op(
        &g,
        "Conv2D",
        &[x, f],
        &conv_attrs([1, 1], [1, 1], "SAME", &[]),
    );
    let got = run1(&g, y, &[]);
    assert_eq!(got.dtype(), symgrad::DType::F32);
    let (shape, want) = reference_conv(
        &value(&xd, 3).to_f64_vec(),
        xd,
        &value(&fd, 4).to_f64_vec(),
        fd,
        [1, 1],
        [1, 1],
        "SAME",
        &[],
        false,
    );
    assert_eq!(got.shape(), &shape[..]);
    for (a, b) in got.to_f64_vec().iter().zip(&want) {
        assert!((a - b).abs() < 1e-5);
    }
}

#[test]
fn static_shapes_follow_tf_formulas() {
    let g = Graph::new();
    let x = source::placeholder(
        &g,
        symgrad::DType::F32,
        Shape::from_dims(&[None, Some(28), Some(28), Some(1)]),
        None,
    )
    .expect("x");
    let f =
        source::placeholder(&g, symgrad::DType::F32, Shape::known(&[5, 5, 1, 8]), None).expect("f");
    let y = op(
        &g,
        "Conv2D",
        &[x, f],
        &conv_attrs([2, 2], [1, 1], "SAME", &[]),
    );
    assert_eq!(
        g.shape(y).expect("s"),
        Shape::from_dims(&[None, Some(14), Some(14), Some(8)])
    );
    let y = op(
        &g,
        "Conv2D",
        &[x, f],
        &conv_attrs([2, 2], [1, 1], "VALID", &[]),
    );
    assert_eq!(
        g.shape(y).expect("s"),
        Shape::from_dims(&[None, Some(12), Some(12), Some(8)])
    );
    let y = op(
        &g,
        "Conv2D",
        &[x, f],
        &conv_attrs([1, 1], [2, 2], "VALID", &[]),
    );
    assert_eq!(
        g.shape(y).expect("s"),
        Shape::from_dims(&[None, Some(20), Some(20), Some(8)])
    );
    let p = op(&g, "MaxPool", &[x], &pool_attrs([3, 3], [2, 2], "SAME"));
    assert_eq!(
        g.shape(p).expect("s"),
        Shape::from_dims(&[None, Some(14), Some(14), Some(1)])
    );
    let p = op(&g, "AvgPool", &[x], &pool_attrs([3, 3], [2, 2], "VALID"));
    assert_eq!(
        g.shape(p).expect("s"),
        Shape::from_dims(&[None, Some(13), Some(13), Some(1)])
    );
    let u = source::placeholder(&g, symgrad::DType::F32, Shape::unknown(), None).expect("u");
    let y = op(
        &g,
        "Conv2D",
        &[u, f],
        &conv_attrs([1, 1], [1, 1], "SAME", &[]),
    );
    assert_eq!(
        g.shape(y).expect("s"),
        Shape::from_dims(&[None, None, None, Some(8)])
    );
}

fn expect_value_error(r: symgrad::Result<symgrad::OpRef>, needle: &str) {
    match r {
        Err(Error::InvalidArgument { message }) => assert!(message.contains(needle), "{message}"),
        other => panic!("expected ValueError containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn build_time_errors() {
    let g = Graph::new();
    let x = source::placeholder(
        &g,
        symgrad::DType::F32,
        Shape::from_dims(&[None, Some(5), Some(5), Some(3)]),
        None,
    )
    .expect("x");
    let f = |shape: &[usize]| {
        source::placeholder(&g, symgrad::DType::F32, Shape::known(shape), None).expect("f")
    };
    let w = f(&[3, 3, 3, 4]);
    expect_value_error(
        g.add_op_def(
            "Conv2D",
            &[x, w],
            &conv_attrs([1, 1], [1, 1], "FOO", &[]),
            None,
        ),
        "Attr 'padding' of 'Conv2D' Op passed string 'FOO' not in",
    );
    expect_value_error(
        g.add_op_def(
            "Conv2D",
            &[x, f(&[3, 3, 2, 4])],
            &conv_attrs([1, 1], [1, 1], "SAME", &[]),
            None,
        ),
        "Depth of input (3) is not a multiple of input depth of filter (2)",
    );
    expect_value_error(
        g.add_op_def(
            "Conv2D",
            &[x, f(&[7, 7, 3, 4])],
            &conv_attrs([1, 1], [1, 1], "VALID", &[]),
            None,
        ),
        "Negative dimension size caused by subtracting 7 from 5",
    );
    expect_value_error(
        g.add_op_def(
            "AvgPool",
            &[x],
            &pool_attrs([2, 2], [1, 1], "EXPLICIT"),
            None,
        ),
        "Attr 'padding' of 'AvgPool' Op passed string 'EXPLICIT' not in: \"SAME\", \"VALID\".",
    );
    let bad = Attrs::new()
        .with("strides", AttrValue::Ints(vec![1, 1, 1]))
        .with("padding", AttrValue::Str("SAME".into()));
    expect_value_error(
        g.add_op_def("Conv2D", &[x, w], &bad, None),
        "strides attribute to contain 4 values",
    );
    expect_value_error(
        g.add_op_def(
            "DepthwiseConv2dNative",
            &[x, f(&[3, 3, 3, 2])],
            &conv_attrs([1, 2], [1, 1], "SAME", &[]),
            None,
        ),
        "only supports equal length strides in the row and column dimensions",
    );
    let r = g.add_op_def(
        "Conv2D",
        &[x, w],
        &conv_attrs([1, 1], [1, 1], "SAME", &[]).with("data_format", AttrValue::Str("NCHW".into())),
        None,
    );
    assert!(r.is_err());
}

#[test]
fn run_time_errors() {
    let g = Graph::new();
    let x = konst(&g, value(&[1, 5, 5, 3], 1));
    let w = konst(&g, value(&[3, 3, 3, 4], 2));
    let attrs = Attrs::new()
        .with("strides", AttrValue::Ints(vec![2, 1, 1, 1]))
        .with("padding", AttrValue::Str("SAME".into()));
    let y = op(&g, "Conv2D", &[x, w], &attrs);
    match Session::new(&g).run(&[y], &[]) {
        Err(Error::Op {
            code: Code::InvalidArgument,
            message,
            ..
        }) => {
            assert!(
                message.contains("strides in the batch and depth dimensions"),
                "{message}"
            )
        }
        other => panic!("expected InvalidArgumentError, got {other:?}"),
    }
    // A fed input smaller than the filter fails at run time.
    let p = source::placeholder(&g, symgrad::DType::F64, Shape::unknown(), None).expect("p");
    let y = op(
        &g,
        "Conv2D",
        &[p, w],
        &conv_attrs([1, 1], [1, 1], "VALID", &[]),
    );
    let r = Session::new(&g).run(&[y], &[(p, value(&[1, 2, 2, 3], 1))]);
    assert!(
        matches!(
            r,
            Err(Error::Op {
                code: Code::InvalidArgument,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn pooling_forward_matches_reference() {
    for max in [true, false] {
        for padding in ["VALID", "SAME"] {
            for (k, s) in [([2, 2], [2, 2]), ([3, 2], [1, 2]), ([3, 3], [2, 1])] {
                let xd = [2, 7, 6, 3];
                let xv = value(&xd, 5);
                let g = Graph::new();
                let x = placeholder(&g, Shape::unknown_dims(4));
                let y = op(
                    &g,
                    if max { "MaxPool" } else { "AvgPool" },
                    &[x],
                    &pool_attrs(
                        [k[0] as i64, k[1] as i64],
                        [s[0] as i64, s[1] as i64],
                        padding,
                    ),
                );
                let (shape, want) = reference_pool(&xv.to_f64_vec(), xd, k, s, padding, max);
                assert_close(&run1(&g, y, &[(x, xv)]), &shape, &want);
            }
        }
    }
}

fn sq(g: &Graph, t: Tensor) -> Tensor {
    unary::square(g, t).expect("square")
}

#[test]
fn conv2d_gradients_wrt_input_and_filter() {
    for (padding, explicit) in paddings() {
        for (s, d) in [([1, 1], [1, 1]), ([2, 1], [1, 1]), ([1, 1], [2, 1])] {
            let attrs = conv_attrs(s, d, padding, &explicit);
            let fv = value(&[2, 2, 2, 3], 7);
            // Input path: square(conv(x, w)) exercises Conv2DBackpropInput and its gradient.
            check_fn(
                Shape::from_dims(&[None, None, None, Some(2)]),
                &value(&[2, 5, 4, 2], 8),
                |g, x| {
                    let w = konst(g, fv.clone());
                    sq(g, op(g, "Conv2D", &[x, w], &attrs))
                },
            );
            // Filter path: Conv2DBackpropFilter and its gradient.
            let xv = value(&[2, 5, 4, 2], 9);
            check_fn(Shape::unknown(), &fv, |g, w| {
                let x = konst(g, xv.clone());
                sq(g, op(g, "Conv2D", &[x, w], &attrs))
            });
        }
    }
}

#[test]
fn conv2d_with_filter_from_the_input_mixes_both_paths() {
    // conv(x, reshape(x)): second derivatives include the input-filter cross terms.
    check_fn(
        Shape::known(&[1, 3, 3, 1]),
        &value(&[1, 3, 3, 1], 11),
        |g, x| {
            let shape = source::const_ints(g, &[3, 3, 1, 1]).expect("c");
            let w = symgrad::ops::array::reshape_t(g, x, shape).expect("reshape");
            op(
                g,
                "Conv2D",
                &[x, w],
                &conv_attrs([1, 1], [1, 1], "SAME", &[]),
            )
        },
    );
}

#[test]
fn backprop_ops_gradients() {
    let attrs = conv_attrs([2, 1], [1, 1], "SAME", &[]);
    // Conv2DBackpropInput (conv2d_transpose) as a function of out_backprop and of filter.
    let fv = value(&[2, 3, 2, 3], 12);
    check_fn(Shape::unknown(), &value(&[2, 3, 4, 3], 13), |g, dy| {
        let sizes = source::const_ints(g, &[2, 5, 4, 2]).expect("sizes");
        let f = konst(g, fv.clone());
        sq(g, op(g, "Conv2DBackpropInput", &[sizes, f, dy], &attrs))
    });
    let dyv = value(&[2, 3, 4, 3], 14);
    check_fn(Shape::unknown(), &fv, |g, f| {
        let sizes = source::const_ints(g, &[2, 5, 4, 2]).expect("sizes");
        let dy = konst(g, dyv.clone());
        sq(g, op(g, "Conv2DBackpropInput", &[sizes, f, dy], &attrs))
    });
    // Conv2DBackpropFilter as a function of its input and of out_backprop.
    let xv = value(&[2, 5, 4, 2], 15);
    check_fn(Shape::unknown(), &xv, |g, x| {
        let sizes = source::const_ints(g, &[2, 3, 2, 3]).expect("sizes");
        let dy = konst(g, dyv.clone());
        sq(g, op(g, "Conv2DBackpropFilter", &[x, sizes, dy], &attrs))
    });
    check_fn(Shape::unknown(), &dyv, |g, dy| {
        let sizes = source::const_ints(g, &[2, 3, 2, 3]).expect("sizes");
        let x = konst(g, xv.clone());
        sq(g, op(g, "Conv2DBackpropFilter", &[x, sizes, dy], &attrs))
    });
}

#[test]
fn depthwise_gradients() {
    for (padding, explicit) in paddings() {
        let attrs = conv_attrs([2, 2], [1, 1], padding, &explicit);
        let fv = value(&[2, 2, 2, 2], 16);
        check_fn(Shape::unknown_dims(4), &value(&[2, 4, 5, 2], 17), |g, x| {
            let w = konst(g, fv.clone());
            sq(g, op(g, "DepthwiseConv2dNative", &[x, w], &attrs))
        });
        let xv = value(&[2, 4, 5, 2], 18);
        check_fn(Shape::unknown(), &fv, |g, w| {
            let x = konst(g, xv.clone());
            sq(g, op(g, "DepthwiseConv2dNative", &[x, w], &attrs))
        });
    }
    let attrs = conv_attrs([1, 1], [2, 1], "SAME", &[]);
    let fv = value(&[2, 2, 2, 2], 19);
    let dyv = value(&[1, 4, 3, 4], 20);
    check_fn(Shape::unknown(), &dyv, |g, dy| {
        let sizes = source::const_ints(g, &[1, 4, 3, 2]).expect("sizes");
        let f = konst(g, fv.clone());
        sq(
            g,
            op(
                g,
                "DepthwiseConv2dNativeBackpropInput",
                &[sizes, f, dy],
                &attrs,
            ),
        )
    });
    let xv = value(&[1, 4, 3, 2], 21);
    check_fn(Shape::unknown(), &dyv, |g, dy| {
        let sizes = source::const_ints(g, &[2, 2, 2, 2]).expect("sizes");
        let x = konst(g, xv.clone());
        sq(
            g,
            op(
                g,
                "DepthwiseConv2dNativeBackpropFilter",
                &[x, sizes, dy],
                &attrs,
            ),
        )
    });
}

#[test]
fn pooling_gradients() {
    for padding in ["VALID", "SAME"] {
        for (k, s) in [([2, 2], [2, 2]), ([3, 2], [1, 2])] {
            let attrs = pool_attrs(k, s, padding);
            for ty in ["MaxPool", "AvgPool"] {
                check_fn(Shape::unknown_dims(4), &value(&[2, 5, 4, 2], 22), |g, x| {
                    sq(g, op(g, ty, &[x], &attrs))
                });
            }
            // MaxPoolGrad and MaxPoolGradGrad are linear in their gradient input; their
            // gradients (MaxPoolGradGrad and MaxPoolGrad) are checked through a square.
            let xv = value(&[2, 5, 4, 2], 23);
            let probe = Graph::new();
            let xc = konst(&probe, xv.clone());
            let yshape = run1(&probe, op(&probe, "MaxPool", &[xc], &attrs), &[])
                .shape()
                .to_vec();
            check_fn(Shape::unknown(), &value(&yshape, 24), |g, dy| {
                let x = konst(g, xv.clone());
                let y = op(g, "MaxPool", &[x], &attrs);
                sq(g, op(g, "MaxPoolGrad", &[x, y, dy], &attrs))
            });
            check_fn(Shape::unknown(), &value(&[2, 5, 4, 2], 25), |g, gg| {
                let x = konst(g, xv.clone());
                let y = op(g, "MaxPool", &[x], &attrs);
                sq(g, op(g, "MaxPoolGradGrad", &[x, y, gg], &attrs))
            });
            check_fn(Shape::unknown(), &value(&yshape, 26), |g, dy| {
                let sizes = source::const_ints(g, &[2, 5, 4, 2]).expect("sizes");
                sq(g, op(g, "AvgPoolGrad", &[sizes, dy], &attrs))
            });
        }
    }
}

#[test]
fn max_pool_ties_go_to_the_first_maximum() {
    let g = Graph::new();
    let x = konst(&g, f64_value(&[1, 2, 2, 1], vec![1.0, 1.0, 1.0, 0.0]));
    let attrs = pool_attrs([2, 2], [1, 1], "VALID");
    let y = op(&g, "MaxPool", &[x], &attrs);
    let dy = konst(&g, f64_value(&[1, 1, 1, 1], vec![5.0]));
    let dx = op(&g, "MaxPoolGrad", &[x, y, dy], &attrs);
    assert_eq!(run1(&g, dx, &[]).to_f64_vec(), vec![5.0, 0.0, 0.0, 0.0]);
}

#[test]
fn absurd_sizes_are_errors_not_crashes() {
    let g = Graph::new();
    let f = konst(&g, value(&[2, 2, 1, 1], 1));
    let dy = konst(&g, value(&[1, 1, 1, 1], 2));
    let attrs = conv_attrs([1 << 40, 1 << 40], [1, 1], "SAME", &[]);
    let sizes = konst(&g, Value::int_vector(DType::I64, &[1, 1 << 40, 1 << 40, 1]));
    let r = g.add_op_def("Conv2DBackpropInput", &[sizes, f, dy], &attrs, None);
    if let Ok(op) = r {
        let out = Session::new(&g).run(&[op.output(0)], &[]);
        assert!(matches!(out, Err(Error::Op { .. })), "{out:?}");
    }
    let sizes = konst(
        &g,
        Value::int_vector(DType::I64, &[1 << 40, 1 << 40, 1, 1 << 40]),
    );
    let x = konst(&g, value(&[1, 2, 2, 1], 3));
    let dy = konst(&g, value(&[1, 1, 1, 1], 4));
    let r = g.add_op_def(
        "DepthwiseConv2dNativeBackpropFilter",
        &[x, sizes, dy],
        &attrs,
        None,
    );
    if let Ok(op) = r {
        let out = Session::new(&g).run(&[op.output(0)], &[]);
        assert!(matches!(out, Err(Error::Op { .. })), "{out:?}");
    }
}
