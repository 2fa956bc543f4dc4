"""``linalg.expm``: the matrix exponential against a Taylor series with scaling and squaring
written here, every Padé branch (by the matrix's norm) in float32 and float64, batches and
shapes known only at run time, NaN for a non-finite matrix, and gradients through the
squaring loop against central differences. test_expm_tf_oracle.py compares with TF.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


def taylor_expm(a: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(a, 1)
    s = max(0, int(np.ceil(np.log2(norm))) + 4) if norm > 0 else 0
    x = a / 2.0 ** s
    term = result = np.eye(len(a))
    for k in range(1, 40):
        term = term @ x / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


# One norm in each Padé branch of float64 (bounds 0.015, 0.25, 0.95, 2.1, then squaring).
@pytest.mark.parametrize("scale", [1e-3, 0.05, 0.3, 1.0, 2.5, 20.0])
def test_values_in_every_branch(scale):
    a = np.random.RandomState(int(scale * 1000)).randn(4, 4) * scale / 4
    want = taylor_expm(a)
    with tf.Graph().as_default(), tf.Session() as sess:
        got64, got32 = sess.run([tf.linalg.expm(a), tf.linalg.expm(a.astype(np.float32))])
    np.testing.assert_allclose(got64, want, rtol=1e-12, atol=1e-13 * np.abs(want).max())
    np.testing.assert_allclose(got32, want, rtol=2e-5, atol=2e-6 * np.abs(want).max())


def test_batches_unknown_shapes_and_edges():
    a = np.random.RandomState(1).randn(2, 3, 3, 3)
    want = np.array([[taylor_expm(m) for m in batch] for batch in a])
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float64, [None, None, 3, 3])
        y = tf.linalg.expm(x)
        assert y.shape.as_list() == [None, None, 3, 3]
        np.testing.assert_allclose(sess.run(y, {x: a}), want, rtol=1e-12)
        static = tf.linalg.expm(tf.constant(a))
        assert static.shape.as_list() == [2, 3, 3, 3]
        bad = sess.run(tf.linalg.expm(np.array([[np.inf, 0.0], [0.0, 1.0]])))
        assert np.isnan(bad).all()
        np.testing.assert_allclose(sess.run(tf.linalg.expm(np.zeros((3, 3)))), np.eye(3))
    with pytest.raises(ValueError, match="does not support"):
        tf.linalg.expm(tf.constant([[1, 2], [3, 4]]))


@pytest.mark.parametrize("scale", [0.2, 3.0])
def test_gradients_through_the_squarings(scale):
    a = np.random.RandomState(2).randn(3, 3) * scale
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3, 3])
        assert_gradients_close([x], tf.linalg.expm(x), [a], tol=1e-6)
