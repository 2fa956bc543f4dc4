"""``tf.signal`` against TensorFlow as the oracle: the same programs built with TF and with
symgrad give the same values, gradients and op types (the real transforms' gradients are
built in Python from the same ops as TF's).

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

RNG = np.random.RandomState(21)
X = RNG.randn(2, 4, 6)

PROGRAMS = {
    "fft": lambda tf, x: tf.signal.fft(tf.complex(x, x * x)),
    "ifft": lambda tf, x: tf.signal.ifft(tf.complex(x, -x)),
    "fft2d": lambda tf, x: tf.signal.fft2d(tf.complex(x * x, x)),
    "ifft3d": lambda tf, x: tf.signal.ifft3d(tf.complex(x, x)),
    "rfft": lambda tf, x: tf.signal.rfft(x),
    "rfft_padded": lambda tf, x: tf.signal.rfft(x, [9]),
    "irfft": lambda tf, x: tf.signal.irfft(tf.complex(x, x)),
    "irfft_odd": lambda tf, x: tf.signal.irfft(tf.complex(x, x * x), [11]),
    "rfft2d": lambda tf, x: tf.signal.rfft2d(x),
    "irfft2d": lambda tf, x: tf.signal.irfft2d(tf.complex(x, -x), [4, 11]),
    "shifts": lambda tf, x: tf.signal.fftshift(x, axes=[1, 2]) + tf.signal.ifftshift(x),
}


def _run(tf, program, dtype):
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, X.shape)
        out = program(tf, x)
        types = sorted(op.type for op in tf.get_default_graph().get_operations())
        seed = np.resize(RNG.randn(out.shape.num_elements()), out.shape.as_list())
        loss = tf.reduce_sum(tf.real(out) * seed + tf.imag(out) * seed[..., ::-1])
        grads = tf.gradients(loss, x)
        with tf.Session() as sess:
            values = sess.run([out, grads[0]], {x: X.astype(dtype.as_numpy_dtype)})
        return values, types


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_gradients_and_ops(name, dtype):
    state = RNG.get_state()
    ours, our_types = _run(symgrad, PROGRAMS[name], symgrad.as_dtype(dtype))
    RNG.set_state(state)
    theirs, their_types = _run(tf1, PROGRAMS[name], tf1.as_dtype(dtype))
    tol = 1e-4 if dtype == "float32" else 1e-11
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max()))
    assert our_types == their_types, name
