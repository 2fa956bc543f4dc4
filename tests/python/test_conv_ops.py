"""Convolution and pooling through ``symgrad.nn``: values against numpy references, first and
second derivatives against finite differences, TF1 names and errors, NCHW via transposes,
and a small CNN trained by plain gradient descent (with its step time printed)."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402


def _out_size(n: int, k: int, s: int, d: int, padding) -> tuple[int, int]:
    eff = (k - 1) * d + 1
    if padding == "VALID":
        return (n - eff) // s + 1, 0
    if padding == "SAME":
        out = -(-n // s)
        return out, max((out - 1) * s + eff - n, 0) // 2
    before, after = padding
    return (n + before + after - eff) // s + 1, before


def np_conv(x, w, strides=(1, 1), dilations=(1, 1), padding="SAME", depthwise=False):
    """A plain numpy NHWC convolution (padding: 'SAME', 'VALID' or ((t, b), (l, r)))."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    ph = padding if isinstance(padding, str) else padding[0]
    pw = padding if isinstance(padding, str) else padding[1]
    oh, pt = _out_size(h, kh, strides[0], dilations[0], ph)
    ow, pl = _out_size(wd, kw, strides[1], dilations[1], pw)
    oc = c * w.shape[3] if depthwise else w.shape[3]
    out = np.zeros((n, oh, ow, oc))
    for ky in range(kh):
        for kx in range(kw):
            for y in range(oh):
                iy = y * strides[0] + ky * dilations[0] - pt
                if not 0 <= iy < h:
                    continue
                for xx in range(ow):
                    ix = xx * strides[1] + kx * dilations[1] - pl
                    if not 0 <= ix < wd:
                        continue
                    patch = x[:, iy, ix, :]
                    if depthwise:
                        out[:, y, xx, :] += (patch[:, :, None] * w[ky, kx][None]).reshape(n, -1)
                    else:
                        out[:, y, xx, :] += patch @ w[ky, kx]
    return out


def np_pool(x, k, s, padding, op):
    n, h, wd, c = x.shape
    oh, pt = _out_size(h, k[0], s[0], 1, padding)
    ow, pl = _out_size(wd, k[1], s[1], 1, padding)
    out = np.zeros((n, oh, ow, c))
    for y in range(oh):
        for xx in range(ow):
            y0, x0 = y * s[0] - pt, xx * s[1] - pl
            win = x[:, max(y0, 0):min(y0 + k[0], h), max(x0, 0):min(x0 + k[1], wd), :]
            out[:, y, xx, :] = op(win, axis=(1, 2))
    return out


def run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


RNG = np.random.RandomState(7)


@pytest.mark.parametrize("padding", ["SAME", "VALID", [[0, 0], [1, 2], [2, 0], [0, 0]]])
@pytest.mark.parametrize("strides,dilations", [(1, 1), ([2, 1], 1), (1, [1, 2]), ([1, 2, 2, 1], 1)])
def test_conv2d_values(g, padding, strides, dilations):
    x = RNG.randn(2, 7, 6, 3)
    w = RNG.randn(3, 2, 3, 4)
    xp = tf.placeholder(tf.float64, [None, None, None, 3])
    y = tf.nn.conv2d(xp, w, strides=strides, padding=padding, dilations=dilations)
    s = strides if isinstance(strides, list) and len(strides) == 2 else (
        strides[1:3] if isinstance(strides, list) else [strides] * 2)
    d = dilations if isinstance(dilations, list) else [dilations] * 2
    pad = padding if isinstance(padding, str) else (tuple(padding[1]), tuple(padding[2]))
    np.testing.assert_allclose(run(y, {xp: x}), np_conv(x, w, s, d, pad), rtol=1e-10, atol=1e-12)
    assert y.shape.as_list()[3] == 4
    assert y.op.type == "Conv2D" and y.op.name == "Conv2D"
    assert y.op.get_attr("padding") == ("EXPLICIT" if isinstance(padding, list) else padding).encode() or \
        y.op.get_attr("padding") == ("EXPLICIT" if isinstance(padding, list) else padding)


def test_conv2d_float32_and_static_shape(g):
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    w = tf.constant(RNG.randn(5, 5, 1, 8).astype(np.float32))
    y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    assert y.shape.as_list() == [None, 14, 14, 8]
    assert y.dtype is tf.float32
    xv = RNG.randn(2, 28, 28, 1).astype(np.float32)
    np.testing.assert_allclose(run(y, {x: xv}), np_conv(xv, run(w), (2, 2)), rtol=1e-4, atol=1e-4)


def test_depthwise_values(g):
    x = RNG.randn(2, 6, 5, 3)
    w = RNG.randn(3, 3, 3, 2)
    y = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
    assert y.op.name == "depthwise" and y.op.type == "DepthwiseConv2dNative"
    assert y.shape.as_list() == [2, 6, 5, 6]
    np.testing.assert_allclose(run(y), np_conv(x, w, depthwise=True), rtol=1e-10)
    y2 = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID", rate=[2, 1])
    np.testing.assert_allclose(run(y2), np_conv(x, w, dilations=(2, 1), padding="VALID",
                                                depthwise=True), rtol=1e-10)
    y3 = tf.nn.depthwise_conv2d_native(x, w, [1, 2, 2, 1], "SAME")
    np.testing.assert_allclose(run(y3), np_conv(x, w, (2, 2), depthwise=True), rtol=1e-10)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("ksize,strides", [(2, 2), ([3, 2], [1, 2]), ([1, 3, 3, 1], [1, 2, 1, 1])])
def test_pool_values(g, padding, ksize, strides):
    x = RNG.randn(2, 7, 6, 3)
    k = [ksize] * 2 if isinstance(ksize, int) else (ksize if len(ksize) == 2 else ksize[1:3])
    s = [strides] * 2 if isinstance(strides, int) else (strides if len(strides) == 2 else strides[1:3])
    xp = tf.placeholder(tf.float64, [None, None, None, 3])
    m = tf.nn.max_pool(xp, ksize, strides, padding)
    a = tf.nn.avg_pool(xp, ksize, strides, padding)
    assert (m.op.name, a.op.name) == ("MaxPool", "AvgPool")
    mv, av = run([m, a], {xp: x})
    np.testing.assert_allclose(mv, np_pool(x, k, s, padding, np.max), rtol=1e-12)
    np.testing.assert_allclose(av, np_pool(x, k, s, padding, np.mean), rtol=1e-12)


def test_conv2d_transpose_is_backprop_input(g):
    x = RNG.randn(2, 3, 3, 4)
    w = RNG.randn(3, 3, 5, 4)
    y = tf.nn.conv2d_transpose(x, w, [2, 6, 6, 5], [1, 2, 2, 1], "SAME")
    assert (y.op.type, y.op.name) == ("Conv2DBackpropInput", "conv2d_transpose")
    assert y.op.inputs[0].op.name == "conv2d_transpose/input_sizes"
    assert y.shape.as_list() == [2, 6, 6, 5]
    # <conv2d(z, w), x> == <z, conv2d_transpose(x, w)> for every z: check the adjoint.
    z = RNG.randn(2, 6, 6, 5)
    lhs = np.sum(np_conv(z, w, (2, 2)) * x)
    rhs = np.sum(z * run(y))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 5 and 4"):
        tf.nn.conv2d_transpose(tf.placeholder(tf.float32, [2, 3, 3, 5]),
                               tf.placeholder(tf.float32, [3, 3, 3, 4]), [2, 5, 5, 3],
                               [1, 2, 2, 1])


def test_backprop_functions_match_gradients(g):
    x = tf.constant(RNG.randn(2, 5, 5, 3))
    w = tf.constant(RNG.randn(3, 3, 3, 2))
    y = tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    dy = tf.constant(RNG.randn(2, 3, 3, 2))
    gx, gw = tf.gradients(y, [x, w], grad_ys=dy)
    assert gx.op.type == "Conv2DBackpropInput" and gw.op.type == "Conv2DBackpropFilter"
    assert gx.op.inputs[0].op.type == "ShapeN"
    bx = tf.nn.conv2d_backprop_input([2, 5, 5, 3], w, dy, [1, 2, 2, 1], "SAME")
    bw = tf.nn.conv2d_backprop_filter(x, [3, 3, 3, 2], dy, [1, 2, 2, 1], "SAME")
    v = run([gx, gw, bx, bw])
    np.testing.assert_allclose(v[0], v[2])
    np.testing.assert_allclose(v[1], v[3])


def test_nchw_by_transposes(g):
    x = RNG.randn(2, 3, 6, 5)
    w = RNG.randn(3, 3, 3, 4)
    y = tf.nn.conv2d(x, w, [1, 1, 2, 1], "SAME", data_format="NCHW")
    want = np_conv(x.transpose(0, 2, 3, 1), w, (2, 1)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(run(y), want, rtol=1e-10)
    m = tf.nn.max_pool(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW")
    want = np_pool(x.transpose(0, 2, 3, 1), (2, 2), (2, 2), "VALID", np.max).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(run(m), want)


def _check(build, shapes_values, tol=1e-6):
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.float64, s) for s, _ in shapes_values]
        y = build(*xs)
        assert_gradients_close(xs, y, [v for _, v in shapes_values], tol=tol)


@pytest.mark.parametrize("padding", ["SAME", "VALID", [[0, 0], [1, 0], [0, 1], [0, 0]]])
def test_conv2d_gradients_both_orders(padding):
    x = RNG.randn(1, 4, 4, 2)
    w = RNG.randn(2, 2, 2, 2)
    _check(lambda a, b: tf.square(tf.nn.conv2d(a, b, [1, 2, 1, 1], padding)),
           [([None, None, None, 2], x), (None, w)])


def test_conv2d_dilated_gradients():
    _check(lambda a, b: tf.square(tf.nn.conv2d(a, b, 1, "SAME", dilations=2)),
           [([1, None, None, 1], RNG.randn(1, 5, 4, 1)), (None, RNG.randn(2, 2, 1, 2))])


def test_depthwise_gradients_both_orders():
    _check(lambda a, b: tf.square(tf.nn.depthwise_conv2d(a, b, [1, 2, 2, 1], "SAME")),
           [([None, 4, 4, 2], RNG.randn(1, 4, 4, 2)), (None, RNG.randn(2, 2, 2, 2))])


def test_conv2d_transpose_gradients():
    _check(lambda a, b: tf.square(tf.nn.conv2d_transpose(a, b, [1, 4, 4, 2], [1, 2, 2, 1])),
           [(None, RNG.randn(1, 2, 2, 3)), (None, RNG.randn(2, 2, 2, 3))])


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pool_gradients_both_orders(padding):
    x = RNG.permutation(50).reshape(1, 5, 5, 2) / 10.0  # distinct values: no ties
    _check(lambda a: tf.square(tf.nn.max_pool(a, 2, [1, 2, 1, 1], padding)), [(None, x)])
    _check(lambda a: tf.square(tf.nn.avg_pool(a, [3, 2], 2, padding)), [(None, x)])


def test_max_pool_grad_grad_and_third_order(g):
    # d/dx of the MaxPool gradient is MaxPoolGradGrad; its gradient is MaxPoolGrad.
    x = tf.constant(RNG.permutation(32).reshape(1, 4, 4, 2) / 7.0)
    y = tf.nn.max_pool(x, 2, 2, "VALID")
    dy = tf.placeholder(tf.float64, [1, 2, 2, 2])
    gx = tf.gradients(y, x, grad_ys=dy)[0]
    assert gx.op.type == "MaxPoolGrad"
    v = tf.placeholder(tf.float64, [1, 4, 4, 2])
    gdy = tf.gradients(gx, dy, grad_ys=v)[0]
    assert gdy.op.type == "MaxPoolGradGrad"
    u = tf.placeholder(tf.float64, [1, 2, 2, 2])
    gv = tf.gradients(gdy, v, grad_ys=u)[0]
    assert gv.op.type == "MaxPoolGrad"
    uv, vv = RNG.randn(1, 2, 2, 2), RNG.randn(1, 4, 4, 2)
    a, b, c = run([gx, gdy, gv], {dy: uv, v: vv, u: uv})
    np.testing.assert_allclose(a, c)  # MaxPoolGrad routes u to the argmax either way
    assert np.sum(a * vv) == pytest.approx(np.sum(uv * b))  # the two are adjoint


def test_errors(g):
    x = tf.placeholder(tf.float32, [None, 5, 5, 3])
    w = tf.placeholder(tf.float32, [3, 3, 3, 4])
    with pytest.raises(ValueError, match="Attr 'padding' of 'Conv2D' Op passed string 'FOO'"):
        tf.nn.conv2d(x, w, [1, 1, 1, 1], "FOO")
    with pytest.raises(ValueError, match=r"Depth of input \(3\) is not a multiple of input "
                                         r"depth of filter \(2\)"):
        tf.nn.conv2d(x, tf.placeholder(tf.float32, [3, 3, 2, 4]), 1, "SAME")
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 7 from 5"):
        tf.nn.conv2d(x, tf.placeholder(tf.float32, [7, 7, 3, 4]), 1, "VALID")
    with pytest.raises(ValueError, match="strides should be of length 1, 2 or 4"):
        tf.nn.conv2d(x, w, [1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="'EXPLICIT' is not a valid value for `padding`"):
        tf.nn.conv2d(x, w, 1, "EXPLICIT")
    with pytest.raises(ValueError, match="Attr 'padding' of 'MaxPool' Op passed string 'FOO'"):
        tf.nn.max_pool(x, 2, 2, "FOO")
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 7"):
        tf.nn.avg_pool(x, 7, 1, "VALID")
    with pytest.raises(ValueError, match="only supports equal length strides"):
        tf.nn.depthwise_conv2d(x, tf.placeholder(tf.float32, [3, 3, 3, 2]), [1, 1, 2, 1], "SAME")
    with pytest.raises(TypeError):
        tf.nn.conv2d(x, tf.placeholder(tf.float64, [3, 3, 3, 4]), 1, "SAME")
    y = tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")  # TF rejects batch strides at run time
    with pytest.raises(tf.errors.InvalidArgumentError, match="strides in the batch"):
        run(y, {x: np.zeros((1, 5, 5, 3)), w: np.zeros((3, 3, 3, 4))})
    z = tf.placeholder(tf.float32)
    y = tf.nn.conv2d(z, w, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Conv2D"):
        run(y, {z: np.zeros((1, 2, 2, 3)), w: np.zeros((3, 3, 3, 4))})


def _cnn(x, params):
    w1, b1, w2, b2, w3, b3 = params
    h = tf.nn.relu(tf.nn.conv2d(x, w1, 1, "SAME") + b1)
    h = tf.nn.max_pool(h, 2, 2, "SAME")
    h = tf.nn.relu(tf.nn.conv2d(h, w2, 1, "SAME") + b2)
    h = tf.reshape(h, [-1, 14 * 14 * 16])
    return tf.sigmoid(tf.matmul(h, w3) + b3)


def test_small_cnn_trains_and_prints_step_time(g):
    rng = np.random.RandomState(0)
    shapes = [(3, 3, 1, 8), (8,), (3, 3, 8, 16), (16,), (14 * 14 * 16, 1), (1,)]
    values = [(rng.randn(*s) * (0.3 if len(s) == 4 else 0.01)).astype(np.float32)
              if len(s) > 1 else np.zeros(s, np.float32) for s in shapes]
    params = [tf.placeholder(tf.float32, s) for s in shapes]
    x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    t = tf.placeholder(tf.float32, [None, 1])
    pred = _cnn(x, params)
    loss = tf.reduce_mean(tf.square(pred - t))
    grads = tf.gradients(loss, params)
    xs = rng.rand(32, 28, 28, 1).astype(np.float32)
    # A learnable target: is the image brighter in its left half?
    ts = (xs[:, :, :14].mean(axis=(1, 2, 3)) > xs[:, :, 14:].mean(axis=(1, 2, 3)))
    ts = ts.astype(np.float32)[:, None]
    losses, times = [], []
    with tf.Session() as s:
        for _ in range(8):
            feed = {x: xs, t: ts, **dict(zip(params, values))}
            start = time.perf_counter()
            out = s.run([loss] + grads, feed)
            times.append(time.perf_counter() - start)
            losses.append(float(out[0]))
            values = [v - 0.05 * gv for v, gv in zip(values, out[1:])]
    print(f"\nCNN batch 32 x 28x28: forward+backward {min(times) * 1000:.1f} ms; "
          f"losses {[round(v, 4) for v in losses]}")
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    assert all(np.isfinite(losses))


def test_pool_windows_given_as_constant_tensors():
    with tf.Graph().as_default():
        x = tf.constant(np.arange(16.0).reshape(1, 4, 4, 1))
        y = tf.nn.max_pool(x, tf.constant([1, 2, 2, 1]), tf.constant([1, 2, 2, 1]), "VALID")
        z = tf.nn.avg_pool(x, tf.constant([1, 2, 2, 1]), [1, 2, 2, 1], "VALID")
        dx = tf.gradients(tf.reduce_sum(y), x)[0]
        with tf.Session() as sess:
            yv, zv, dxv = sess.run([y, z, dx])
        np.testing.assert_array_equal(yv[0, :, :, 0], [[5.0, 7.0], [13.0, 15.0]])
        np.testing.assert_array_equal(zv[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
        assert dxv.sum() == 4.0 and dxv[0, 1, 1, 0] == 1.0
        with pytest.raises(NotImplementedError, match="ksize known while building"):
            tf.nn.max_pool(x, tf.placeholder(tf.int32, [4]), [1, 1, 1, 1], "VALID")
