"""``linalg.tridiagonal_solve`` / ``tridiagonal_matmul`` against TensorFlow itself: the
forward graph (op names and types in creation order) and the values of the results and of
their first and second derivatives. Skipped when tensorflow is not importable (the normal
test run); see test_tf_oracle.py for how to run it.

The gradient graphs are not compared: TF builds its row shifts from run-time paddings
(`Rank`, `zeros`, `concat`) even for static shapes, symgrad from constant paddings.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _diagonals(seed, shape, dominant=True):
    d = np.random.RandomState(seed).randn(*shape)
    if dominant:
        d[..., 1, :] += 4.0 * np.sign(d[..., 1, :])
    return d


CASES = {
    "solve": dict(kind="solve", d=(3, 5), rhs=(5, 2), kwargs={}),
    "solve_batch_thomas": dict(kind="solve", d=(2, 3, 4), rhs=(2, 4, 3),
                               kwargs={"partial_pivoting": False}),
    "solve_vector_rhs": dict(kind="solve", d=(2, 3, 4), rhs=(2, 4), kwargs={}),
    "solve_transpose_rhs": dict(kind="solve", d=(2, 3, 4), rhs=(2, 3, 4),
                                kwargs={"transpose_rhs": True}),
    "solve_pivots": dict(kind="solve", d=(3, 6), rhs=(6, 2), kwargs={}, dominant=False),
    "solve_perturbed": dict(kind="solve", d=(3, 6), rhs=(6, 2),
                            kwargs={"perturb_singular": True}, dominant=False),
    "solve_matrix_format": dict(kind="solve", d=(2, 3, 4), rhs=(2, 4, 1),
                                kwargs={"diagonals_format": "matrix"}),
    "solve_sequence_format": dict(kind="solve", d=(3, 4), rhs=(4, 2),
                                  kwargs={"diagonals_format": "sequence"}),
    "matmul": dict(kind="matmul", d=(2, 3, 4), rhs=(2, 4, 3), kwargs={}),
    "matmul_sequence": dict(kind="matmul", d=(3, 5), rhs=(5, 2),
                            kwargs={"diagonals_format": "sequence"}),
    "matmul_matrix": dict(kind="matmul", d=(3, 4), rhs=(4, 2),
                          kwargs={"diagonals_format": "matrix"}),
}


def _dense(compact):
    m = compact.shape[-1]
    out = np.zeros(compact.shape[:-2] + (m, m))
    idx = np.arange(m)
    out[..., idx, idx] = compact[..., 1, :]
    out[..., idx[:-1], idx[1:]] = compact[..., 0, :-1]
    out[..., idx[1:], idx[:-1]] = compact[..., 2, 1:]
    return out


def _build(tf, case):
    spec = CASES[case]
    d_value = _diagonals(len(case), spec["d"], spec.get("dominant", True))
    rhs_value = np.random.RandomState(len(case) + 1).randn(*spec["rhs"])
    fmt = spec["kwargs"].get("diagonals_format", "compact")
    graph = tf.Graph()
    with graph.as_default():
        d = tf.placeholder(tf.float64, d_value.shape, name="d")
        rhs = tf.placeholder(tf.float64, rhs_value.shape, name="rhs")
        if fmt == "matrix":
            arg = tf.placeholder(tf.float64, _dense(d_value).shape, name="a")
            feed_d = (arg, _dense(d_value))
        elif fmt == "sequence":
            arg = [d[..., 0, :-1], d[..., 1, :], d[..., 2, 1:]] if spec["kind"] == "solve" \
                else [d[..., 0, :], d[..., 1, :], d[..., 2, :]]
            feed_d = (d, d_value)
        else:
            arg, feed_d = d, (d, d_value)
        fn = (tf.linalg.tridiagonal_solve if spec["kind"] == "solve"
              else tf.linalg.tridiagonal_matmul)
        y = fn(arg, rhs, **spec["kwargs"])
        ops = [(op.name, op.type) for op in graph.get_operations()]
        xs = [feed_d[0], rhs]
        loss = tf.reduce_sum(tf.sin(y))
        first = tf.gradients(loss, xs)
        second = tf.gradients(tf.reduce_sum(first[0] * first[0]) + tf.reduce_sum(first[1]),
                              xs)
        with tf.Session(graph=graph) as sess:
            values = sess.run([y] + first + second, {feed_d[0]: feed_d[1], rhs: rhs_value})
    return ops, values


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values(case):
    want_ops, want = _build(tf1, case)
    got_ops, got = _build(symgrad, case)
    assert got_ops == want_ops
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
