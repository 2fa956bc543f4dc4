"""complex64/complex128 against TensorFlow as the oracle: the same tf.compat.v1 programs,
values and gradients (with a complex ``grad_ys``), built with TF and with symgrad, and the
op types each builds.

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

RNG = np.random.RandomState(13)
X = (RNG.randn(3, 4) + 1j * RNG.randn(3, 4))
Y = (RNG.randn(3, 4) + 1j * RNG.randn(3, 4))
SEED = (RNG.randn(3, 4) + 1j * RNG.randn(3, 4))

PROGRAMS = {
    "arithmetic": lambda tf, x, y: (x + y) * x / y - x * 2.0,
    "exp_log": lambda tf, x, y: tf.exp(x) * tf.log(y) + tf.expm1(x) - tf.log1p(y),
    "trig": lambda tf, x, y: tf.sin(x) * tf.cos(y) + tf.tan(x) + tf.tanh(y),
    "sigmoid": lambda tf, x, y: tf.sigmoid(x) * y,
    "hyperbolic": lambda tf, x, y: tf.sinh(x) * tf.cosh(y) + tf.asinh(x) - tf.acosh(y)
    + tf.atanh(x * 0.5),
    "inverse_trig": lambda tf, x, y: tf.asin(x * 0.5) + tf.acos(y * 0.5) * tf.atan(x),
    "xlogy_family": lambda tf, x, y: (tf.math.xlogy(x, y) + tf.math.xdivy(x, y)
                                      + tf.math.xlog1py(x, y) + tf.math.multiply_no_nan(x, y)),
    "sqrt_rsqrt_reciprocal": lambda tf, x, y: tf.sqrt(x) * tf.rsqrt(y) + tf.reciprocal(x),
    "square_neg": lambda tf, x, y: tf.square(x) - tf.negative(y),
    "pow": lambda tf, x, y: tf.pow(x, y),
    "squared_difference": lambda tf, x, y: tf.squared_difference(x, y),
    "div_no_nan": lambda tf, x, y: tf.div_no_nan(x, y),
    "parts": lambda tf, x, y: tf.complex(tf.real(x) * tf.imag(y), tf.abs(x) + tf.angle(y)),
    "conj": lambda tf, x, y: tf.conj(x) * y,
    "reductions": lambda tf, x, y: (tf.reduce_sum(x, 1, keepdims=True) * tf.reduce_mean(y, 0)
                                    + tf.reduce_prod(x, 1, keepdims=True)),
    "matmul": lambda tf, x, y: tf.matmul(tf.matmul(x, y, adjoint_b=True), x),
    "matmul_transpose": lambda tf, x, y: tf.matmul(x, tf.matmul(x, y, transpose_a=True)),
    "batch_matmul": lambda tf, x, y: tf.reshape(
        tf.matmul(tf.reshape(x, [3, 2, 2]), tf.reshape(y, [3, 2, 2]), adjoint_a=True), [3, 4]),
    "cumsum": lambda tf, x, y: tf.cumsum(x, 1, exclusive=True) * tf.cumsum(y, 0, reverse=True),
    "layout": lambda tf, x, y: tf.concat(
        [tf.reverse(x, [0])[:2], tf.transpose(tf.transpose(y)[:, 1:])], 0),
    "conjugate_transpose": lambda tf, x, y: tf.matmul(tf.transpose(x, conjugate=True), y)
    + tf.linalg.adjoint(tf.transpose(y) * 2.0)[0],
    "cast": lambda tf, x, y: tf.cast(tf.cast(x, tf.float64), x.dtype) * y,
}


def _run(tf, program, dtype, grads):
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, X.shape)
        y = tf.placeholder(dtype, Y.shape)
        out = program(tf, x, y)
        types = sorted(op.type for op in tf.get_default_graph().get_operations())
        fetch = [out]
        if grads:
            seed = tf.constant(np.resize(SEED, out.shape.as_list()).astype(dtype.as_numpy_dtype))
            fetch = [g for g in tf.gradients(out, [x, y], grad_ys=seed) if g is not None]
        with tf.Session() as sess:
            values = sess.run(fetch, {x: X.astype(dtype.as_numpy_dtype),
                                      y: Y.astype(dtype.as_numpy_dtype)})
        return values, types


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_gradients_and_ops(name, dtype):
    program = PROGRAMS[name]
    rtol = 2e-5 if dtype == "complex64" else 1e-12
    for grads in (False, True):
        ours, our_types = _run(symgrad, program, symgrad.as_dtype(dtype), grads)
        theirs, their_types = _run(tf1, program, tf1.as_dtype(dtype), grads)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a.dtype == b.dtype, name
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max()))
        assert our_types == their_types, name
