"""``tf.signal``: the Fourier transforms against numpy's, for power-of-two and other lengths
(Bluestein), the inferred and explicit ``fft_length`` (cropping and zero padding), their
gradients against central differences, and the errors TF raises."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from symgrad import signal

RNG = np.random.RandomState(8)


def _c(*shape):
    return RNG.randn(*shape) + 1j * RNG.randn(*shape)


@pytest.mark.parametrize("dtype, tol", [(np.complex64, 2e-5), (np.complex128, 1e-12)])
@pytest.mark.parametrize("shape", [(3, 8), (2, 5), (4, 6, 7), (2, 3, 4, 5)])
def test_complex_transforms_match_numpy(shape, dtype, tol):
    x = _c(*shape).astype(dtype)
    cases = [(signal.fft, lambda v: np.fft.fft(v)), (signal.ifft, lambda v: np.fft.ifft(v)),
             (signal.fft2d, lambda v: np.fft.fft2(v)), (signal.ifft2d, lambda v: np.fft.ifft2(v))]
    if len(shape) >= 3:
        cases += [(signal.fft3d, lambda v: np.fft.fftn(v, axes=(-3, -2, -1))),
                  (signal.ifft3d, lambda v: np.fft.ifftn(v, axes=(-3, -2, -1)))]
    with tf.Session() as s:
        for ours, theirs in cases:
            got = s.run(ours(tf.constant(x)))
            assert got.dtype == dtype
            want = theirs(x.astype(np.complex128))
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("n", [1, 6, 7, 16])
def test_real_transforms_match_numpy(n, dtype, tol):
    x = RNG.randn(3, 4, n).astype(dtype)
    with tf.Session() as s:
        spectrum = s.run(signal.rfft(tf.constant(x)))
        assert spectrum.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
        np.testing.assert_allclose(spectrum, np.fft.rfft(x), rtol=tol, atol=tol * n)
        back = s.run(signal.irfft(tf.constant(np.fft.rfft(x)), [n]))
        np.testing.assert_allclose(back, x, rtol=tol, atol=tol)
        np.testing.assert_allclose(s.run(signal.rfft2d(tf.constant(x))), np.fft.rfft2(x),
                                   rtol=tol, atol=tol * 4 * n)
        np.testing.assert_allclose(
            s.run(signal.irfft2d(tf.constant(np.fft.rfft2(x)), [4, n])), x, rtol=tol, atol=tol)
        np.testing.assert_allclose(s.run(signal.rfft3d(tf.constant(x))),
                                   np.fft.rfftn(x, axes=(0, 1, 2)), rtol=tol, atol=tol * 12 * n)
        np.testing.assert_allclose(
            s.run(signal.irfft3d(tf.constant(np.fft.rfftn(x, axes=(0, 1, 2))), [3, 4, n])), x,
            rtol=tol, atol=tol)


def test_fft_length_crops_and_pads():
    x = RNG.randn(2, 6)
    with tf.Session() as s:
        for n in (3, 6, 9):
            np.testing.assert_allclose(s.run(signal.rfft(tf.constant(x), [n])),
                                       np.fft.rfft(x, n), atol=1e-12)
        spectrum = np.fft.rfft(x)
        for n in (4, 5, 10, 11):
            np.testing.assert_allclose(s.run(signal.irfft(tf.constant(spectrum), [n])),
                                       np.fft.irfft(spectrum, n), atol=1e-12)
        # The default length of an inverse is 2 * (bins - 1).
        assert s.run(signal.irfft(tf.constant(spectrum))).shape == (2, 6)


def test_static_shapes_and_op_types():
    x = tf.placeholder(tf.float32, [5, 6])
    y = signal.rfft(x)
    assert y.dtype == tf.complex64 and y.shape.as_list() == [5, 4] and y.op.type == "RFFT"
    z = signal.irfft(y, [7])
    assert z.dtype == tf.float32 and z.shape.as_list() == [5, 7]
    # A longer transform pads the input explicitly, as TF's wrapper does.
    assert signal.rfft(x, [8]).op.inputs[0].op.type == "Pad"
    w = signal.fft2d(tf.placeholder(tf.complex128, [None, 3, 4]))
    assert w.op.type == "FFT2D" and w.shape.as_list() == [None, 3, 4]
    assert tf.spectral.rfft is signal.rfft and tf.fft is signal.fft


def test_shifts_match_numpy():
    m = np.arange(15.0).reshape(3, 5)
    with tf.Session() as s:
        for axes in (None, 1, [0], [1, -2]):
            np_axes = tuple(axes) if isinstance(axes, list) else axes
            np.testing.assert_array_equal(s.run(signal.fftshift(tf.constant(m), axes)),
                                          np.fft.fftshift(m, np_axes))
            np.testing.assert_array_equal(s.run(signal.ifftshift(tf.constant(m), axes)),
                                          np.fft.ifftshift(m, np_axes))


def test_errors():
    with pytest.raises(TypeError, match="float32 not in list of allowed values: complex64"):
        signal.fft(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64"):
        signal.rfft(tf.constant([1j]))
    with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128"):
        signal.irfft(tf.constant([1.0], tf.float64))
    with pytest.raises(ValueError):
        signal.fft2d(tf.constant([1j, 2j]))
    x = tf.ones([2, 2, 2])
    with pytest.raises(LookupError):
        tf.gradients(tf.reduce_sum(tf.real(signal.rfft3d(x))), x)


def _grad_error(f, shape, seed=0):
    x = tf.placeholder(tf.float64, shape)
    y = f(x)
    with tf.Session():
        return tf.test.compute_gradient_error(
            x, list(shape), y, y.shape.as_list(),
            x_init_value=np.random.RandomState(seed).randn(*shape))


GRADIENT_CASES = {
    "fft": (lambda x: signal.fft(tf.complex(x, x * x)), (2, 5)),
    "ifft": (lambda x: signal.ifft(tf.complex(x, -x)), (2, 8)),
    "fft2d": (lambda x: signal.fft2d(tf.complex(x, x * 0.5)), (3, 4)),
    "ifft2d": (lambda x: signal.ifft2d(tf.complex(x * x, x)), (3, 5)),
    "fft3d": (lambda x: signal.fft3d(tf.complex(x, x)), (2, 3, 2)),
    "ifft3d": (lambda x: signal.ifft3d(tf.complex(x, x)), (2, 2, 3)),
    "rfft_even": (lambda x: signal.rfft(x), (2, 6)),
    "rfft_odd": (lambda x: signal.rfft(x), (2, 7)),
    "rfft_padded": (lambda x: signal.rfft(x, [8]), (5,)),
    "irfft_even": (lambda x: signal.irfft(tf.complex(x, x * x)), (2, 4)),
    "irfft_odd": (lambda x: signal.irfft(tf.complex(x, x * x), [7]), (2, 4)),
    "rfft2d": (lambda x: signal.rfft2d(x), (2, 3, 4)),
    "rfft2d_odd": (lambda x: signal.rfft2d(x), (3, 5)),
    "irfft2d": (lambda x: signal.irfft2d(tf.complex(x, x), [3, 4]), (3, 3)),
    "irfft2d_odd": (lambda x: signal.irfft2d(tf.complex(x, -x), [4, 5]), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_match_differences(name):
    f, shape = GRADIENT_CASES[name]
    assert _grad_error(f, shape) < 1e-8


def test_second_derivative():
    x = tf.placeholder(tf.float64, [6])
    loss = tf.reduce_sum(tf.square(tf.abs(signal.rfft(x * x))))
    g, = tf.gradients(loss, x)
    with tf.Session():
        error = tf.test.compute_gradient_error(
            x, [6], g, [6], x_init_value=np.random.RandomState(1).randn(6), delta=1e-5)
    assert error < 1e-6
