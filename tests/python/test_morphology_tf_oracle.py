"""``nn.dilation2d`` / ``nn.erosion2d`` against TensorFlow itself: the graphs built (op names
and types in creation order, the gradients' too) and the values of the results and of
their gradients, over strides, rates and both paddings. Skipped when tensorflow is not
importable (the normal test run); see test_tf_oracle.py for how to run it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

WINDOWS = [([1, 1, 1, 1], [1, 1, 1, 1]), ([1, 2, 1, 1], [1, 1, 2, 1]),
           ([1, 2, 3, 1], [1, 2, 1, 1])]


def _build(tf, dtype):
    rng = np.random.RandomState(0)
    x_value = rng.randn(2, 5, 6, 3).astype(dtype)
    f_value = rng.randn(3, 2, 3).astype(dtype)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(dtype, x_value.shape, name="x")
        f = tf.placeholder(dtype, f_value.shape, name="f")
        outs = []
        for padding in ("SAME", "VALID"):
            for strides, rates in WINDOWS:
                outs.append(tf.nn.dilation2d(x, f, strides, rates, padding))
                outs.append(tf.nn.erosion2d(x, f, strides, rates, padding))
        loss = tf.add_n([tf.reduce_sum(tf.sin(o)) for o in outs])
        grads = tf.gradients(loss, [x, f])
        ops = [(op.name, op.type) for op in graph.get_operations()]
        with tf.Session(graph=graph) as sess:
            values = sess.run(outs + grads, {x: x_value, f: f_value})
    return ops, values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_graph_and_values(dtype):
    want_ops, want = _build(tf1, dtype)
    got_ops, got = _build(symgrad, dtype)
    assert got_ops == want_ops
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
