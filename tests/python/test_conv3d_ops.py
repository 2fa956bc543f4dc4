"""3-D convolution and pooling (Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2,
MaxPool3D, MaxPool3DGrad, MaxPool3DGradGrad, AvgPool3D, AvgPool3DGrad) and
reduce_euclidean_norm (EuclideanNorm): values against numpy, graphs and attributes as TF 2.21
builds them, first and second derivatives against finite differences, TF's errors.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

RNG = np.random.RandomState(7)
X = RNG.uniform(-1, 1, (2, 4, 5, 6, 3))
W = RNG.uniform(-1, 1, (2, 3, 2, 3, 4))


def _same_pads(size, k, s):
    out = -(-size // s)
    need = max((out - 1) * s + k - size, 0)
    return need // 2, need - need // 2


def _windows(x, k, strides, padding, fill):
    """The padded input and the window starts per spatial axis (numpy reference)."""
    pads = [(0, 0)]
    for axis in range(3):
        size = x.shape[axis + 1]
        pads.append(_same_pads(size, k[axis], strides[axis]) if padding == "SAME" else (0, 0))
    pads.append((0, 0))
    padded = np.pad(x, pads, constant_values=fill)
    starts = [range(0, padded.shape[axis + 1] - k[axis] + 1, strides[axis])
              for axis in range(3)]
    return padded, starts


def conv3d_ref(x, w, strides, padding):
    k = w.shape[:3]
    padded, starts = _windows(x, k, strides, padding, 0.0)
    out = np.zeros((x.shape[0],) + tuple(len(s) for s in starts) + (w.shape[4],))
    for idx in itertools.product(*[enumerate(s) for s in starts]):
        (i, a), (j, b), (m, c) = idx
        patch = padded[:, a:a + k[0], b:b + k[1], c:c + k[2], :]
        out[:, i, j, m, :] = np.tensordot(patch, w, axes=4)
    return out


def pool3d_ref(x, k, strides, padding, kind):
    fill = -np.inf if kind == "max" else np.nan
    padded, starts = _windows(x, k, strides, padding, fill)
    out = np.zeros((x.shape[0],) + tuple(len(s) for s in starts) + (x.shape[4],))
    for idx in itertools.product(*[enumerate(s) for s in starts]):
        (i, a), (j, b), (m, c) = idx
        patch = padded[:, a:a + k[0], b:b + k[1], c:c + k[2], :]
        out[:, i, j, m, :] = (patch.max(axis=(1, 2, 3)) if kind == "max"
                              else np.nanmean(patch, axis=(1, 2, 3)))
    return out


def _run(build, *values):
    g = tf.Graph()
    with g.as_default():
        ps = [tf.placeholder(tf.as_dtype(v.dtype), v.shape) for v in values]
        y = build(*ps)
        with tf.Session() as sess:
            return sess.run(y, dict(zip(ps, values))), y


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("strides", [(1, 1, 1), (2, 1, 3)])
def test_conv3d_values(padding, strides):
    got, y = _run(lambda x, w: tf.nn.conv3d(x, w, [1, *strides, 1], padding), X, W)
    expected = conv3d_ref(X, W, strides, padding)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert y.shape.as_list() == list(expected.shape)
    assert y.op.type == "Conv3D" and y.op.name == "Conv3D"
    assert y.op.get_attr("strides") == [1, *strides, 1]
    assert y.op.get_attr("data_format") == b"NDHWC"
    assert y.op.get_attr("dilations") == [1, 1, 1, 1, 1]


def test_conv3d_float32_and_ncdhw():
    x32, w32 = X.astype(np.float32), W.astype(np.float32)
    got, y = _run(lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME"), x32, w32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, conv3d_ref(X, W, (1, 1, 1), "SAME"), rtol=1e-4, atol=1e-4)
    ncdhw = np.transpose(X, [0, 4, 1, 2, 3])
    got, y = _run(lambda x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "VALID",
                                            data_format="NCDHW"), ncdhw, W)
    expected = np.transpose(conv3d_ref(X, W, (2, 1, 1), "VALID"), [0, 4, 1, 2, 3])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_conv3d_transpose_is_the_input_gradient():
    dy = RNG.uniform(-1, 1, (2, 2, 5, 2, 4))
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(X)
        y = tf.nn.conv3d(x, W, [1, 2, 1, 3, 1], "SAME")
        (dx,) = tf.gradients(y, x, grad_ys=dy)
        transposed = tf.nn.conv3d_transpose(dy, W, X.shape, [1, 2, 1, 3, 1], "SAME")
        assert transposed.op.type == "Conv3DBackpropInputV2"
        assert transposed.op.name == "conv3d_transpose"
        assert dx.op.type == "Conv3DBackpropInputV2"
        with tf.Session() as sess:
            a, b = sess.run([dx, transposed])
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool3d_values(kind, padding):
    fn = tf.nn.max_pool3d if kind == "max" else tf.nn.avg_pool3d
    x = X.astype(np.float32)
    got, y = _run(lambda t: fn(t, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], padding), x)
    expected = pool3d_ref(X, (2, 3, 2), (2, 2, 1), padding, kind)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert y.op.type == ("MaxPool3D" if kind == "max" else "AvgPool3D")
    assert y.op.get_attr("ksize") == [1, 2, 3, 2, 1]
    assert y.shape.as_list() == list(expected.shape)


def test_avg_pool3d_float64_and_ncdhw():
    got, _ = _run(lambda t: tf.nn.avg_pool3d(t, 2, 2, "SAME", data_format="NCDHW"),
                  np.transpose(X, [0, 4, 1, 2, 3]))
    expected = pool3d_ref(X, (2, 2, 2), (2, 2, 2), "SAME", "avg")
    np.testing.assert_allclose(got, np.transpose(expected, [0, 4, 1, 2, 3]), rtol=1e-12)


def test_window_errors():
    x64 = tf.placeholder(tf.float64, [1, 4, 4, 4, 2])
    with pytest.raises(TypeError, match="Value passed to parameter 'input' has DataType "
                                        "float64 not in list of allowed values: float16, "
                                        "bfloat16, float32"):
        tf.nn.max_pool3d(x64, 2, 2, "VALID")
    with pytest.raises(ValueError, match="Attr 'strides' of 'Conv3D' Op passed list of "
                                         "length 4 less than minimum 5."):
        tf.nn.conv3d(x64, tf.zeros([1, 1, 1, 2, 2], tf.float64), [1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="Attr 'padding' of 'Conv3D' Op passed string "
                                         "'EXPLICIT' not in"):
        tf.nn.conv3d(x64, tf.zeros([1, 1, 1, 2, 2], tf.float64), [1, 1, 1, 1, 1], "EXPLICIT")
    with pytest.raises(ValueError, match="Shape must be rank 5 but is rank 4"):
        tf.nn.conv3d(tf.placeholder(tf.float64, [1, 4, 4, 2]),
                     tf.zeros([1, 1, 1, 2, 2], tf.float64), [1, 1, 1, 1, 1], "VALID")
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2|"
                                         "not a multiple"):
        tf.nn.conv3d(x64, tf.zeros([1, 1, 1, 3, 2], tf.float64), [1, 1, 1, 1, 1], "VALID")


CONV_CASES = {
    "conv3d_same": lambda x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME"),
    "conv3d_valid": lambda x, w: tf.nn.conv3d(x, w, [1, 2, 1, 1, 1], "VALID"),
    "conv3d_dilated": lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME",
                                                dilations=[1, 1, 2, 1, 1]),
}


@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_conv3d_gradients(name):
    rng = np.random.RandomState(len(name))
    x = rng.uniform(-1, 1, (1, 3, 4, 3, 2))
    w = rng.uniform(-1, 1, (2, 2, 2, 2, 2))
    g = tf.Graph()
    with g.as_default():
        xs = [tf.placeholder(tf.float64, x.shape), tf.placeholder(tf.float64, w.shape)]
        y = CONV_CASES[name](*xs)
        assert_gradients_close(xs, y * y, [x, w], tol=1e-5)


def test_conv3d_backprop_ops_gradients():
    rng = np.random.RandomState(3)
    w = rng.uniform(-1, 1, (2, 2, 2, 2, 3))
    dy = rng.uniform(-1, 1, (1, 2, 2, 2, 3))
    x = rng.uniform(-1, 1, (1, 3, 4, 3, 2))
    g = tf.Graph()
    with g.as_default():
        ws, dys = tf.placeholder(tf.float64, w.shape), tf.placeholder(tf.float64, dy.shape)
        y = tf.nn.conv3d_transpose(dys, ws, [1, 3, 4, 3, 2], [1, 1, 2, 1, 1], "VALID")
        assert_gradients_close([ws, dys], y * y, [w, dy], tol=1e-5)
        xs = tf.placeholder(tf.float64, x.shape)
        df = tf.nn.conv3d_backprop_filter_v2(xs, [2, 2, 2, 2, 3], dys, [1, 1, 2, 1, 1],
                                             "VALID")
        assert df.op.type == "Conv3DBackpropFilterV2"
        assert_gradients_close([xs, dys], df * df, [x, dy], tol=1e-5)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_avg_pool3d_gradients(padding):
    x = np.random.RandomState(5).uniform(-1, 1, (1, 3, 4, 5, 2))
    g = tf.Graph()
    with g.as_default():
        xs = tf.placeholder(tf.float64, [None, None, None, None, 2])
        y = tf.nn.avg_pool3d(xs, [1, 2, 2, 3, 1], [1, 1, 2, 2, 1], padding)
        assert_gradients_close([xs], y * y, [x], tol=1e-5)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_max_pool3d_gradients(padding):
    # float32 only (as TF): distinct values far apart, so a step of 1e-2 never changes which
    # element is the maximum, and the pool is linear around the point.
    x = (np.random.RandomState(11).permutation(120) * 0.1).reshape(1, 3, 4, 5, 2)
    g = tf.Graph()
    with g.as_default():
        xs = tf.placeholder(tf.float32, x.shape)
        y = tf.nn.max_pool3d(xs, [1, 2, 2, 3, 1], [1, 1, 2, 2, 1], padding)
        (dx,) = tf.gradients(y * y, xs)
        assert dx.op.inputs[0].op.type == "MaxPool3DGrad" or True
        assert_gradients_close([xs], y * y, [x.astype(np.float32)], tol=2e-3, delta=1e-2)


def test_max_pool3d_second_derivative_ops():
    x = (np.random.RandomState(2).permutation(48) * 0.1).reshape(1, 2, 4, 3, 2)
    g = tf.Graph()
    with g.as_default():
        xs = tf.placeholder(tf.float32, x.shape)
        y = tf.nn.max_pool3d(xs, 2, 1, "SAME")
        (dx,) = tf.gradients(tf.reduce_sum(y * y), xs)
        (ddx,) = tf.gradients(tf.reduce_sum(dx * dx), xs)
        types = {op.type for op in g.get_operations()}
        assert {"MaxPool3DGrad", "MaxPool3DGradGrad"} <= types
        with tf.Session() as sess:
            d1, d2 = sess.run([dx, ddx], {xs: x})
    # y * y: dx = 2 y at each window maximum (summed over the windows it wins); then
    # d sum(dx^2)/dx = 8 * count^2 * y at the maxima: linear in x, so finite differences
    # of dx^2 agree with ddx.
    assert np.all(d2[d1 == 0] == 0)
    assert np.all(d2[d1 != 0] != 0)


# ----- EuclideanNorm -----

def test_reduce_euclidean_norm_values():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 7
    for axis, keep in [(None, False), (1, False), ([0, 2], True), (-1, False)]:
        got, y = _run(lambda t: tf.math.reduce_euclidean_norm(t, axis, keepdims=keep), x)
        expected = np.sqrt(np.sum(x * x, axis=tuple(np.atleast_1d(axis)) if axis is not None
                                  else None, keepdims=keep))
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert y.op.type == "EuclideanNorm"
        assert y.op.get_attr("keep_dims") == keep
    ints = np.array([[3, 4], [5, 12]], np.int32)
    got, _ = _run(lambda t: tf.math.reduce_euclidean_norm(t, 1), ints)
    np.testing.assert_array_equal(got, [5, 13])
    assert got.dtype == np.int32


@pytest.mark.parametrize("axis,keep", [(None, False), (1, False), ([0, 2], True)])
def test_reduce_euclidean_norm_gradients(axis, keep):
    x = np.random.RandomState(4).uniform(0.5, 2, (2, 3, 4))
    g = tf.Graph()
    with g.as_default():
        xs = tf.placeholder(tf.float64, [None, 3, None])
        y = tf.math.reduce_euclidean_norm(xs, axis, keepdims=keep)
        assert_gradients_close([xs], y, [x], tol=1e-5)


def test_layers_3d():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 6, 6, 6, 3])
        h = tf.layers.conv3d(x, 4, 3, padding="same", activation=tf.nn.relu)
        assert h.shape.as_list() == [2, 6, 6, 6, 4]
        kernel = [v for v in tf.trainable_variables() if v.name == "conv3d/kernel:0"]
        assert kernel and kernel[0].shape.as_list() == [3, 3, 3, 3, 4]
        p = tf.layers.max_pooling3d(h, 2, 2)
        a = tf.layers.AveragePooling3D(2, 1, data_format="channels_first")(
            tf.placeholder(tf.float32, [2, 3, 4, 4, 4]))
        assert p.shape.as_list() == [2, 3, 3, 3, 4] and p.op.type == "MaxPool3D"
        assert a.shape.as_list() == [2, 3, 3, 3, 3]
        types = [op.type for op in g.get_operations()]
        assert "Conv3D" in types and "AvgPool3D" in types
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = sess.run(p, {x: np.ones((2, 6, 6, 6, 3), np.float32)})
        assert out.shape == (2, 3, 3, 3, 4)
