"""Axis ops against TensorFlow as the oracle: forward values, gradients and second
derivatives of the same tf.compat.v1 program built with TF and with symgrad.

Skipped when tensorflow is not importable (the normal test run); see test_tf_oracle.py for
how to run it with a TF venv.
"""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402
from symgrad.math_ops import top_k as symgrad_top_k  # noqa: E402

tf1.disable_eager_execution()

X = np.random.RandomState(3).uniform(0.5, 2.0, size=(3, 4))
XZ = np.array([[0.0, 1.5, 0.0, 2.0], [0.7, 0.3, 1.2, 0.0], [1.1, 0.9, 0.8, 1.3]])


def top_k(tf, x, k):
    return (tf.nn.top_k if tf is tf1 else symgrad_top_k)(x, k)


PROGRAMS = {
    "reverse": lambda tf, x: tf.reverse(x, [1]) * tf.reverse(x, [0, 1]),
    "cumsum": lambda tf, x: tf.cumsum(x, 1, exclusive=True) ** 2,
    "cumsum_reverse": lambda tf, x: tf.cumsum(x, 0, reverse=True) ** 2,
    "cumprod": lambda tf, x: tf.cumprod(x, 1) ** 2,
    "cumprod_exclusive_reverse": lambda tf, x: tf.cumprod(x, 0, exclusive=True, reverse=True),
    "top_k": lambda tf, x: top_k(tf, x, 2)[0] ** 3,
    "sort": lambda tf, x: tf.sort(x, axis=0) ** 2 * tf.constant(np.arange(12.0).reshape(3, 4)),
    "reflect": lambda tf, x: tf.pad(x, [[1, 2], [2, 1]], mode="REFLECT") ** 3,
    "symmetric": lambda tf, x: tf.pad(x, [[2, 1], [0, 3]], mode="SYMMETRIC") ** 2,
    "einsum_matmul": lambda tf, x: tf.einsum("ij,kj->ik", x, x) ** 2,
    "einsum_outer": lambda tf, x: tf.einsum("ij,ik->ijk", x, x),
    "tensordot": lambda tf, x: tf.tensordot(x, tf.transpose(x), 1) ** 2,
    "prod": lambda tf, x: tf.reduce_prod(x, 1) ** 2,
}


def run(tf, program, value):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [3, 4])
        y = program(tf, x)
        (g,) = tf.gradients(y, x)
        (h,) = tf.gradients(tf.reduce_sum(g * g), x)
        with tf.Session(graph=graph) as sess:
            return sess.run([y, g, h], {x: value})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_and_derivatives_match_tf(name):
    want = run(tf1, PROGRAMS[name], X)
    got = run(symgrad, PROGRAMS[name], X)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-10)


def test_prod_with_zeros_first_derivative_matches_tf():
    program = PROGRAMS["prod"]
    want = run(tf1, program, XZ)
    got = run(symgrad, program, XZ)
    np.testing.assert_allclose(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1])


def test_forward_only_ops_match_tf():
    def build(tf):
        x = tf.constant(X)
        return [tf.argmax(x, 1), tf.argmin(x), tf.argsort(x, axis=0),
                tf.eye(3, 2, batch_shape=[2]), tf.linspace(-1.0, 3.0, 6)]
    values = {}
    for key, tf in (("tf", tf1), ("symgrad", symgrad)):
        with tf.Graph().as_default():
            out = build(tf)
            with tf.Session() as sess:
                values[key] = sess.run(out)
    for w, g in zip(values["tf"], values["symgrad"]):
        np.testing.assert_allclose(g, w)
