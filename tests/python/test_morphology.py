"""``nn.dilation2d`` and ``nn.erosion2d``: values against a direct numpy reference over
strides, rates and both paddings, integer and half dtypes, TF's routing of the gradient
to the first maximising tap, first derivatives against finite differences, TF's missing
second derivative, and shape errors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import compute_gradient  # noqa: E402


def reference(x, f, strides, rates, padding):
    """Dilation by the definition, positions outside the input left out."""
    batch, rows, cols, depth = x.shape
    k_rows, k_cols, _ = f.shape
    eff_r, eff_c = (k_rows - 1) * rates[1] + 1, (k_cols - 1) * rates[2] + 1
    if padding == "VALID":
        out_r, out_c = (rows - eff_r) // strides[1] + 1, (cols - eff_c) // strides[2] + 1
        top = left = 0
    else:
        out_r, out_c = -(-rows // strides[1]), -(-cols // strides[2])
        top = max(0, (out_r - 1) * strides[1] + eff_r - rows) // 2
        left = max(0, (out_c - 1) * strides[2] + eff_c - cols) // 2
    out = np.full((batch, out_r, out_c, depth), -np.inf)
    for y in range(out_r):
        for z in range(out_c):
            for i in range(k_rows):
                r = y * strides[1] + i * rates[1] - top
                if not 0 <= r < rows:
                    continue
                for j in range(k_cols):
                    q = z * strides[2] + j * rates[2] - left
                    if 0 <= q < cols:
                        out[:, y, z, :] = np.maximum(out[:, y, z, :], x[:, r, q, :] + f[i, j, :])
    return out


WINDOWS = [([1, 1, 1, 1], [1, 1, 1, 1]), ([1, 2, 1, 1], [1, 1, 2, 1]),
           ([1, 2, 3, 1], [1, 2, 1, 1])]


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("window", range(len(WINDOWS)))
def test_dilation_and_erosion_values(graph, padding, window):
    strides, rates = WINDOWS[window]
    rng = np.random.RandomState(window)
    x, f = rng.randn(2, 6, 7, 3), rng.randn(3, 2, 3)
    dil = tf.nn.dilation2d(tf.constant(x), tf.constant(f), strides, rates, padding)
    ero = tf.nn.erosion2d(tf.constant(x), tf.constant(f), strides, rates, padding)
    with tf.Session() as sess:
        d, e = sess.run([dil, ero])
    want = reference(x, f, strides, rates, padding)
    assert dil.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(d, want, rtol=1e-15)
    np.testing.assert_allclose(e, -reference(-x, f[::-1, ::-1], strides, rates, padding),
                               rtol=1e-15)


def test_integer_and_half_dtypes(graph):
    rng = np.random.RandomState(4)
    x, f = rng.randint(-50, 50, (1, 4, 4, 2)), rng.randint(-5, 5, (2, 2, 2))
    outs = [tf.nn.dilation2d(tf.constant(x.astype(t)), tf.constant(f.astype(t)),
                             [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
            for t in (np.int32, np.int8, np.int64, np.float16)]
    with tf.Session() as sess:
        got = sess.run(outs)
    want = reference(x.astype(float), f.astype(float), [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    for value, dtype in zip(got, (np.int32, np.int8, np.int64, np.float16)):
        assert value.dtype == dtype
        np.testing.assert_array_equal(value.astype(float), want)


def test_gradient_goes_to_the_first_maximum(graph):
    # Every tap ties: the gradient goes to the window's first tap, as TF's kernels route it.
    x = tf.constant(np.zeros((1, 3, 3, 1)))
    f = tf.constant(np.zeros((2, 2, 1)))
    y = tf.nn.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
    dx, df = tf.gradients(tf.reduce_sum(y), [x, f])
    with tf.Session() as sess:
        dx, df = sess.run([dx, df])
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(df[:, :, 0], [[4, 0], [0, 0]])


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_first_derivatives_match_finite_differences(padding):
    rng = np.random.RandomState(7)
    # Distinct values keep every maximum strict, so the function is smooth there.
    x_value = rng.permutation(60).reshape(1, 4, 5, 3) * 0.1
    f_value = rng.permutation(12).reshape(2, 2, 3) * 0.013
    for build in (tf.nn.dilation2d, tf.nn.erosion2d):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float64, x_value.shape)
            f = tf.placeholder(tf.float64, f_value.shape)
            y = tf.sin(build(x, f, [1, 2, 1, 1], [1, 1, 2, 1], padding))
            for pair in compute_gradient([x, f], y, [x_value, f_value], delta=1e-5):
                np.testing.assert_allclose(pair.theoretical, pair.numerical, atol=1e-6)


def test_second_derivative_is_missing_as_in_tf(graph):
    x = tf.constant(np.random.RandomState(0).randn(1, 3, 3, 1))
    f = tf.constant(np.zeros((2, 2, 1)))
    dx = tf.gradients(tf.reduce_sum(tf.nn.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1],
                                                     "SAME")), x)[0]
    with pytest.raises(LookupError, match="Dilation2DBackpropInput"):
        tf.gradients(tf.reduce_sum(dx * dx), x)


def test_errors(graph):
    x = tf.constant(np.ones((1, 3, 3, 2)))
    f = tf.constant(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.nn.dilation2d(x, tf.constant(np.ones((2, 2, 3))), [1, 1, 1, 1], [1, 1, 1, 1],
                         "SAME")
    with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
        tf.nn.dilation2d(tf.constant(np.ones((3, 3, 2))), f, [1, 1, 1, 1], [1, 1, 1, 1],
                         "SAME")
    with pytest.raises(ValueError, match="Negative dimension size caused by subtracting 5"):
        tf.nn.dilation2d(x, tf.constant(np.ones((3, 3, 2))), [1, 1, 1, 1], [1, 2, 2, 1],
                         "VALID")
    with pytest.raises(ValueError, match="requires the strides attribute to contain 4"):
        tf.nn.dilation2d(x, f, [1, 1, 1], [1, 1, 1, 1], "SAME")
    with pytest.raises(TypeError, match="Expected list for 'strides'"):
        tf.nn.dilation2d(x, f, 1, [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="Cannot specify both 'filter' and 'filters'"):
        tf.nn.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME", filters=f)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.nn.dilation2d(tf.constant([[[[True]]]]), tf.constant([[[True]]]), [1, 1, 1, 1],
                         [1, 1, 1, 1], "SAME")
    # Unknown spatial sizes leave the output's unknown.
    p = tf.placeholder(tf.float64, [None, None, None, 2])
    assert tf.nn.dilation2d(p, f, [1, 1, 1, 1], [1, 1, 1, 1], "SAME").shape.as_list() == \
        [None, None, None, 2]
    # An out_backprop of the wrong size fails at run time, as TF's kernel.
    bad = tf.raw_ops.Dilation2DBackpropInput(input=x, filter=f, out_backprop=tf.ones([1, 2, 2, 2],
                                             tf.float64), strides=[1, 1, 1, 1],
                                             rates=[1, 1, 1, 1], padding="SAME")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="out_backprop has incompatible size"):
        sess.run(bad)
