"""The layout ops, LRN, max_pool_with_argmax and the nn compositions against TensorFlow
itself: values, gradients and gradient-graph op types. Skipped when tensorflow is not
importable (the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

X4 = np.random.RandomState(0).uniform(-1, 1, [2, 4, 6, 4]).astype(np.float32)

PROGRAMS = {
    "space_to_depth": lambda tf, x: tf.space_to_depth(x, 2),
    "depth_to_space": lambda tf, x: tf.depth_to_space(x, 2),
    "space_to_batch_nd": lambda tf, x: tf.space_to_batch_nd(x, [2, 3], [[1, 1], [0, 3]]),
    "batch_to_space_nd": lambda tf, x: tf.batch_to_space_nd(x, [2, 1], [[1, 2], [0, 1]]),
    "space_to_batch": lambda tf, x: tf.space_to_batch(x, [[0, 0], [1, 1]], block_size=2),
    "roll": lambda tf, x: tf.roll(x, [1, -3, 2], [1, 2, 1]),
    "reverse_sequence": lambda tf, x: tf.reverse_sequence(x, [3, 0, 6, 1], seq_axis=2,
                                                          batch_axis=3),
    "tensor_scatter_update": lambda tf, x: tf.tensor_scatter_nd_update(
        x, [[1, 2], [0, 3]], x[0, :2] * 3.0),
    "tensor_scatter_add": lambda tf, x: tf.tensor_scatter_nd_add(
        x, [[1, 2], [1, 2]], x[0, :2] * 3.0),
    "tensor_scatter_sub": lambda tf, x: tf.tensor_scatter_nd_sub(x, [[1, 2, 3]], x[0, 0, :1]),
    "extract_image_patches": lambda tf, x: tf.extract_image_patches(
        x, [1, 2, 3, 1], [1, 2, 1, 1], [1, 1, 2, 1], "SAME"),
    "lrn": lambda tf, x: tf.nn.lrn(x, 2, 0.5, 0.7, 0.6),
    "max_pool_with_argmax": lambda tf, x: tf.nn.max_pool_with_argmax(
        x, [1, 2, 3, 1], [1, 2, 2, 1], "SAME").output,
    "conv1d": lambda tf, x: tf.nn.conv1d(tf.reshape(x, [2, 24, 4]), tf.ones([3, 4, 2]) * 0.1,
                                         2, "SAME"),
    "separable_conv2d": lambda tf, x: tf.nn.separable_conv2d(
        x, tf.ones([2, 2, 4, 2]) * 0.3, tf.ones([1, 1, 8, 3]) * 0.2, [1, 1, 1, 1], "VALID"),
    "pool_1d": lambda tf, x: tf.nn.pool(tf.reshape(x, [2, 24, 4]), [3], "MAX", "SAME",
                                        strides=[2]),
    "pool_dilated": lambda tf, x: tf.nn.pool(x, [2, 2], "AVG", "VALID", dilation_rate=[2, 1]),
    "separable_conv2d_dilated": lambda tf, x: tf.nn.separable_conv2d(
        x, tf.ones([2, 2, 4, 1]) * 0.3, tf.ones([1, 1, 4, 3]) * 0.2, [1, 1, 1, 1], "SAME",
        rate=[2, 2]),
}


def _run(tf, program):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, X4.shape)
        y = program(tf, x)
        (g,) = tf.gradients(y * y, x)
        types = sorted(op.type for op in y.graph.get_operations()
                       if op.name.startswith("gradients/") and op.type != "Const")
        with tf.Session() as sess:
            yv, gv = sess.run([y, g], {x: X4})
    return yv, gv, types


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_against_tensorflow(name):
    want_y, want_g, want_types = _run(tf1, PROGRAMS[name])
    got_y, got_g, got_types = _run(symgrad, PROGRAMS[name])
    np.testing.assert_allclose(got_y, want_y, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(got_g, want_g, rtol=2e-4, atol=1e-5)
    # ExtractImagePatches' gradient reads the output's rows and columns by unstacking its
    # whole shape where TF slices it first (one StridedSlice fewer).
    if name != "extract_image_patches":
        assert got_types == want_types
