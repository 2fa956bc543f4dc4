"""nn.convolution, atrous_conv2d, max_pool_v2/avg_pool_v2, max_pool1d/avg_pool1d,
conv1d_transpose and conv_transpose: TF 2.21's values (sums recorded from TF on the same
inputs), its graphs op for op, and first and second derivatives against finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

RNG = np.random.RandomState(0)
X = RNG.randn(2, 9, 9, 3)
W = RNG.randn(3, 3, 3, 4)
X1 = RNG.randn(2, 9, 3)
WT = RNG.randn(3, 3, 5, 3)

# (build, TF 2.21's output shape, the sum of its values, its op types but Consts)
CASES = {
    "atrous_same": (lambda: tf.nn.atrous_conv2d(X, W, 2, "SAME"), (2, 9, 9, 4), 89.623,
                    ["SpaceToBatchND", "Conv2D", "BatchToSpaceND"]),
    "atrous_valid": (lambda: tf.nn.atrous_conv2d(X, W, 2, "VALID"), (2, 5, 5, 4), 24.4305,
                     ["SpaceToBatchND", "Conv2D", "BatchToSpaceND"]),
    "convolution": (lambda: tf.nn.convolution(X, W, "SAME"), (2, 9, 9, 4), 67.36667,
                    ["Conv2D"]),
    "convolution_strided": (lambda: tf.nn.convolution(X, W, "SAME", strides=[2, 2]),
                            (2, 5, 5, 4), 12.17481, ["Conv2D"]),
    "max_pool_v2": (lambda: tf.nn.max_pool_v2(X, 2, 2, "SAME"), (2, 5, 5, 3), 117.00862,
                    ["MaxPool"]),
    "avg_pool_v2": (lambda: tf.nn.avg_pool_v2(X, [2, 2], [2, 1], "VALID"), (2, 4, 8, 3),
                    -3.99901, ["AvgPool"]),
    "max_pool1d": (lambda: tf.nn.max_pool1d(X1, 2, 2, "SAME"), (2, 5, 3), 6.90383,
                   ["ExpandDims", "MaxPool", "Squeeze"]),
    "avg_pool1d": (lambda: tf.nn.avg_pool1d(X1, 3, 1, "VALID"), (2, 7, 3), -5.72487,
                   ["ExpandDims", "AvgPool", "Squeeze"]),
    "conv_transpose": (lambda: tf.nn.conv_transpose(X, WT, [2, 18, 18, 5], 2, "SAME"),
                       (2, 18, 18, 5), -54.65269, ["Conv2DBackpropInput"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_graph_as_tf(name):
    build, shape, total, types = CASES[name]
    with tf.Graph().as_default() as g:
        y = build()
        assert tuple(y.shape.as_list()) == shape
        assert [op.type for op in g.get_operations() if op.type != "Const"] == types
        with tf.Session() as sess:
            v = sess.run(y)
    assert v.shape == shape
    np.testing.assert_allclose(v.sum(), total, atol=5e-5)


def test_names_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 9, 9, 3])
        w = tf.placeholder(tf.float64, [3, 3, 3, 4])
        assert tf.nn.atrous_conv2d(x, w, 2, "SAME").name == "convolution/BatchToSpaceND:0"
        assert tf.nn.convolution(x, w, "SAME").name == "convolution_1:0"
        assert tf.nn.max_pool_v2(x, 2, 2, "SAME").name == "MaxPool2d:0"
        assert tf.nn.avg_pool_v2(x, 2, 2, "SAME").name == "AvgPool:0"
        assert tf.nn.max_pool_v2(x[:, 0], 2, 2, "SAME").name == "MaxPool1d/Squeeze:0"
        assert tf.nn.avg_pool1d(x[:, 0], 2, 2, "SAME").name == "AvgPool1D/Squeeze:0"
        t = tf.nn.conv1d_transpose(x[:, 0], tf.constant(RNG.randn(3, 5, 3)), [2, 18, 5], 2)
        assert t.name == "conv1d_transpose/Squeeze:0" and t.shape.as_list() == [2, 18, 5]
        g = tf.get_default_graph()
        assert [op.name for op in g.get_operations() if op.name.startswith("convolution/")][:4] == [
            "convolution/dilation_rate", "convolution/filter_shape", "convolution/stack",
            "convolution/required_space_to_batch_paddings/input_shape"]


def test_errors_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 9, 9, 3])
        with pytest.raises(ValueError, match="strides.*not supported in conjunction"):
            tf.nn.convolution(x, W, "SAME", strides=[2, 2], dilation_rate=[2, 2])
        with pytest.raises(ValueError, match="must be 3, 4 or 5"):
            tf.nn.max_pool_v2(tf.placeholder(tf.float64, [2, 3]), 2, 2, "SAME")
        with pytest.raises(ValueError, match="must be of length 3, 4 or 5"):
            tf.nn.conv_transpose(x, WT, [2, 18], 2)


@pytest.mark.parametrize("build,shapes", [
    (lambda x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"), ([1, 5, 5, 2], [2, 2, 2, 2])),
    (lambda x, w: tf.nn.convolution(x, w, "VALID", dilation_rate=[2]), ([1, 7, 2], [2, 2, 3])),
    (lambda x, w: tf.nn.conv1d_transpose(x, w, [1, 8, 3], 2), ([1, 4, 2], [2, 3, 2])),
    (lambda x, w: tf.nn.avg_pool1d(x * w[0, 0], 2, 1, "VALID"), ([1, 5, 2], [1, 1])),
])
def test_gradients(build, shapes):
    values = [RNG.randn(*s) for s in shapes]
    with tf.Graph().as_default():
        xs = [tf.placeholder(tf.float64, s) for s in shapes]
        assert_gradients_close(xs, build(*xs), values)
