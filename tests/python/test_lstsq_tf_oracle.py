"""``linalg.lstsq`` / ``matrix_solve_ls`` against TensorFlow itself: the ops built (names and
types in creation order, the gradient's too) and the values of the solution and of its
gradients. Skipped when tensorflow is not importable (the normal test run); see
test_tf_oracle.py for how to run it.
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
    "tall": ((4, 3), (4, 2), 0.0),
    "wide": ((2, 5), (2, 3), 0.0),
    "tall_regularized": ((6, 3), (6, 1), 0.3),
    "wide_regularized_batch": ((2, 3, 4), (2, 3, 2), 0.5),
}


def _build(tf, shape_a, shape_b, l2):
    graph = tf.Graph()
    rng = np.random.RandomState(sum(shape_a))
    a_value, b_value = rng.randn(*shape_a), rng.randn(*shape_b)
    with graph.as_default():
        a = tf.placeholder(tf.float64, shape_a, name="a")
        b = tf.placeholder(tf.float64, shape_b, name="b")
        x = tf.matrix_solve_ls(a, b, l2_regularizer=l2)
        grads = tf.gradients(tf.reduce_sum(tf.square(x)), [a, b])
        ops = [(op.name, op.type) for op in graph.get_operations()]
        with tf.Session(graph=graph) as sess:
            values = sess.run([x] + grads, {a: a_value, b: b_value})
    return ops, values


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values(case):
    want_ops, want = _build(tf1, *CASES[case])
    got_ops, got = _build(symgrad, *CASES[case])
    if CASES[case][2] == 0.0:
        # With a regularizer TF adds `eye`, which symgrad builds from other ops (see eye).
        forward = [op for op in want_ops if not op[0].startswith("gradients")]
        assert [op for op in got_ops if not op[0].startswith("gradients")] == forward
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)
