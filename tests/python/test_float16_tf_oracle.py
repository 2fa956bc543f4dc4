"""float16 against TensorFlow as the oracle: the same tf.compat.v1 programs in half precision,
values and gradients, built with TF and with symgrad. Elementwise ops round once per op in
both, so their results agree to the last bit or one rounding; reductions and products may
differ by a few half ulps (TF's kernels round partial results more often).

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

tf1.disable_eager_execution()

RNG = np.random.RandomState(11)
X = (RNG.rand(2, 3, 4, 5) + 0.5).astype(np.float16)
Y = (RNG.rand(2, 3, 4, 5) + 0.5).astype(np.float16)

ELEMENTWISE = {
    "arithmetic": lambda tf, x, y: (x + y) * x / y - tf.squared_difference(x, y),
    "exp_log": lambda tf, x, y: tf.exp(x) * tf.log(y),
    "tanh_sigmoid": lambda tf, x, y: tf.tanh(x) + tf.sigmoid(y),
    "sqrt_rsqrt": lambda tf, x, y: tf.sqrt(x) * tf.rsqrt(y),
    "relu_family": lambda tf, x, y: tf.nn.relu(x - 1) + tf.nn.elu(y - 1) + tf.nn.softplus(x),
    "pow": lambda tf, x, y: tf.pow(x, y),
    "cast": lambda tf, x, y: tf.cast(tf.cast(x * 100, tf.int32), tf.float16) / 7,
}
REDUCING = {
    "sum_mean": lambda tf, x, y: tf.reduce_sum(x, [1, 2]) * tf.reduce_mean(y, [1, 2]),
    "softmax": lambda tf, x, y: tf.nn.softmax(x) * tf.nn.log_softmax(y),
    "matmul": lambda tf, x, y: tf.matmul(x, y, transpose_b=True),
    "conv2d": lambda tf, x, y: tf.nn.conv2d(x, tf.ones([2, 2, 5, 3], tf.float16) / 8,
                                            [1, 1, 1, 1], "SAME"),
    "xent": lambda tf, x, y: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.nn.softmax(y), logits=x),
}


def _run(tf, program, grads):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float16, X.shape)
        y = tf.placeholder(tf.float16, Y.shape)
        out = program(tf, x, y)
        fetch = [out]
        if grads:
            fetch = [g for g in tf.gradients(tf.reduce_sum(out), [x, y]) if g is not None]
        with tf.Session() as sess:
            return sess.run(fetch, {x: X, y: Y})


def _compare(name, program, grads, ulps):
    ours, theirs = _run(symgrad, program, grads), _run(tf1, program, grads)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype == np.float16, name
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        # One half ulp at each magnitude is 2**-10 relative.
        np.testing.assert_allclose(a64, b64, rtol=ulps * 2.0 ** -10,
                                   atol=ulps * 2.0 ** -10 * max(1.0, np.abs(b64).max()))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_values_and_gradients(name):
    _compare(name, ELEMENTWISE[name], False, 1)
    _compare(name, ELEMENTWISE[name], True, 2)


@pytest.mark.parametrize("name", sorted(REDUCING))
def test_reducing_values_and_gradients(name):
    _compare(name, REDUCING[name], False, 8)
    _compare(name, REDUCING[name], True, 8)
