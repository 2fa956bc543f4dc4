"""``linalg.sqrtm`` against TensorFlow itself: the forward graph, and the values of the root
and of its first and second derivatives (TF's linalg_grad_test squares a uniform matrix
first, so that the root exists; so does this). Skipped when tensorflow is not importable
(the normal test run); see test_tf_oracle.py for how to run it.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

CASES = {
    "square_of_uniform_5": ((5, 5), "square"),
    "square_of_uniform_batch": ((2, 3, 3), "square"),
    "symmetric_positive": ((4, 4), "gram"),
    "upper_triangular": ((3, 3), "upper"),
    "float32": ((4, 4), "square32"),
}


def _matrix(case):
    shape, kind = CASES[case]
    rng = np.random.RandomState(1)
    x = rng.uniform(-1.0, 1.0, shape)
    if kind in ("square", "square32"):
        return x @ x if x.ndim == 2 else np.matmul(x, x)
    if kind == "gram":
        return x @ x.T + 0.5 * np.eye(shape[-1])
    return np.triu(x) + 2 * np.eye(shape[-1])


def _build(tf, case):
    value = _matrix(case)
    dtype = tf.float32 if case == "float32" else tf.float64
    graph = tf.Graph()
    with graph.as_default():
        a = tf.placeholder(dtype, value.shape, name="a")
        root = tf.linalg.sqrtm(a)
        ops = [(op.name, op.type) for op in graph.get_operations()]
        first = tf.gradients(tf.reduce_sum(tf.sin(root)), a)[0]
        second = tf.gradients(tf.reduce_sum(first * first), a)[0]
        with tf.Session(graph=graph) as sess:
            values = sess.run([root, first, second], {a: value})
    return ops, values


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values(case):
    want_ops, want = _build(tf1, case)
    got_ops, got = _build(symgrad, case)
    assert got_ops == want_ops
    tol = 2e-4 if case == "float32" else 1e-8
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
