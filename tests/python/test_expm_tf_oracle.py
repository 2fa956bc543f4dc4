"""``linalg.expm`` against TensorFlow itself: values and gradients (in every Padé branch,
float32 and float64). Skipped when tensorflow is not importable (the normal test run); see
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


def _run(tf, a, dtype):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(dtype, a.shape)
        y = tf.linalg.expm(x)
        grad = tf.gradients(tf.reduce_sum(y * y), x)[0]
        with tf.Session(graph=graph) as sess:
            return sess.run([y, grad], {x: a})


@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.3, 1.0, 2.5, 20.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients(scale, dtype):
    a = (np.random.RandomState(int(scale * 100)).randn(2, 3, 3) * scale / 3).astype(dtype)
    want = _run(tf1, a, getattr(tf1, dtype))
    got = _run(symgrad, a, getattr(symgrad, dtype))
    rtol = 1e-10 if dtype == "float64" else 2e-5
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * np.abs(w).max())
