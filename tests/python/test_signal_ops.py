"""tf.signal's framing, windows, STFT, mel and MFCC, DCT and MDCT (signal_ops.py), against
numpy formulas written here, with gradients checked against central differences (first and
second order), and the gradient of a gather along an axis known only at run time, which
framing a signal of unknown shape needs. test_signal_ops_tf_oracle.py compares with TF.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close


def run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def np_frame(x, length, step, pad_end=False, pad_value=0.0):
    n = x.shape[-1]
    if pad_end:
        count = -(-n // step)
        extra = max(0, length + step * (count - 1) - n)
        x = np.concatenate([x, np.full(x.shape[:-1] + (extra,), pad_value)], -1)
    else:
        count = max(0, 1 + (n - length) // step)
    return np.stack([x[..., i * step:i * step + length] for i in range(count)], -2)


def np_periodic_hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def np_dct(x, kind, ortho=False):
    n = x.shape[-1]
    k = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    if kind == 1:
        m = 2 * np.cos(np.pi * k * j / (n - 1))
        m[:, 0] = 1
        m[:, -1] = (-1.0) ** np.arange(n)
        return x @ m.T
    if kind == 2:
        m = 2 * np.cos(np.pi * k * (2 * j + 1) / (2 * n))
        out = x @ m.T
        if ortho:
            out[..., 0] *= np.sqrt(1 / (4 * n))
            out[..., 1:] *= np.sqrt(1 / (2 * n))
        return out
    if kind == 3:
        w = np.full(n, 2.0)
        w[0] = 1.0
        m = w[None, :] * np.cos(np.pi * j * (2 * k + 1) / (2 * n))
        if ortho:
            return x @ (m.T * np.where(np.arange(n) == 0, np.sqrt(1 / n), np.sqrt(2 / n))[:, None]
                        / w[:, None])
        return x @ m.T
    m = 2 * np.cos(np.pi * (2 * k + 1) * (2 * j + 1) / (4 * n))
    out = x @ m.T
    return out * np.sqrt(1 / (2 * n)) if ortho else out


@pytest.mark.parametrize("length,step,pad_end", [(8, 3, False), (8, 4, True), (6, 6, False),
                                                 (5, 2, True), (7, 3, True)])
def test_frame_against_numpy(length, step, pad_end):
    x = np.random.RandomState(length * step).randn(2, 3, 40)
    with tf.Graph().as_default():
        y = tf.signal.frame(tf.constant(x), length, step, pad_end=pad_end, pad_value=1.5)
        want = np_frame(x, length, step, pad_end, 1.5)
        assert y.shape.as_list() == list(want.shape)
        np.testing.assert_array_equal(run(y), want)
        # along another axis, and with the signal's shape unknown while building
        ph = tf.placeholder(tf.float64, [None, None, None])
        z = tf.signal.frame(ph, length, step, pad_end=pad_end, pad_value=1.5, axis=-1)
        np.testing.assert_array_equal(run(z, {ph: x}), want)
        w = tf.signal.frame(tf.constant(np.moveaxis(x, -1, 0)), length, step, pad_end=pad_end,
                            pad_value=1.5, axis=0)
        np.testing.assert_array_equal(run(w), np.moveaxis(want, [-2, -1], [0, 1]))


@pytest.mark.parametrize("frames,length,step", [(5, 8, 3), (4, 6, 6), (6, 4, 5), (3, 9, 2)])
def test_overlap_and_add_against_numpy(frames, length, step):
    x = np.random.RandomState(frames).randn(2, frames, length)
    want = np.zeros((2, length + step * (frames - 1)))
    for i in range(frames):
        want[:, i * step:i * step + length] += x[:, i]
    with tf.Graph().as_default():
        np.testing.assert_allclose(run(tf.signal.overlap_and_add(tf.constant(x), step)), want,
                                   rtol=1e-14, atol=1e-14)
        ph = tf.placeholder(tf.float64, [None, frames, length])
        got = run(tf.signal.overlap_and_add(ph, step), {ph: x})
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)


def test_windows():
    with tf.Graph().as_default():
        n = np.arange(9)
        np.testing.assert_allclose(run(tf.signal.hann_window(9, periodic=False,
                                                             dtype=tf.float64)),
                                   0.5 - 0.5 * np.cos(2 * np.pi * n / 8), atol=1e-15)
        np.testing.assert_allclose(run(tf.signal.hamming_window(8, dtype=tf.float64)),
                                   0.54 - 0.46 * np.cos(2 * np.pi * np.arange(8) / 8),
                                   atol=1e-15)
        np.testing.assert_allclose(run(tf.signal.kaiser_window(9, beta=5.0, dtype=tf.float64)),
                                   np.kaiser(9, 5.0), rtol=1e-12)
        vorbis = run(tf.signal.vorbis_window(8, dtype=tf.float64))
        np.testing.assert_allclose(vorbis, np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(8) + 0.5)
                                                                     / 8) ** 2), atol=1e-15)
        kbd = run(tf.signal.kaiser_bessel_derived_window(8, beta=4.0, dtype=tf.float64))
        # Princen-Bradley: w[n]^2 + w[n + N/2]^2 = 1
        np.testing.assert_allclose(kbd[:4] ** 2 + kbd[4:] ** 2, 1.0, rtol=1e-13)
        assert run(tf.signal.hann_window(1)).tolist() == [1.0]
        length = tf.placeholder(tf.int32, [])
        hann = tf.signal.hann_window(length)
        np.testing.assert_allclose(run(hann, {length: 6}), np_periodic_hann(6), atol=3e-7)
        assert run(hann, {length: 1}).tolist() == [1.0]
        with pytest.raises(ValueError, match="floating point"):
            tf.signal.hann_window(4, dtype=tf.int32)


def test_stft_and_its_inverse():
    x = np.random.RandomState(1).randn(2, 500)
    with tf.Graph().as_default():
        s = tf.signal.stft(tf.constant(x), 60, 20)
        assert s.dtype == tf.complex128 and s.shape.as_list() == [2, 23, 33]
        want = np.fft.rfft(np_frame(x, 60, 20) * np_periodic_hann(60), 64)
        np.testing.assert_allclose(run(s), want, rtol=1e-12, atol=1e-12)
        back = tf.signal.inverse_stft(s, 60, 20,
                                      window_fn=tf.signal.inverse_stft_window_fn(20))
        got = run(back)
        # away from the ends (where fewer frames overlap) the signal comes back
        np.testing.assert_allclose(got[:, 60:-60], x[:, 60:got.shape[1] - 60], atol=1e-12)


def test_mel_matrix_and_mfccs():
    with tf.Graph().as_default():
        m = run(tf.signal.linear_to_mel_weight_matrix(10, 65, 16000, 100.0, 7000.0,
                                                      dtype=tf.float64))
        assert m.shape == (65, 10) and (m >= 0).all() and (m[0] == 0).all()

        def mel(f):
            return 1127.0 * np.log(1 + f / 700.0)
        edges = np.linspace(mel(100.0), mel(7000.0), 12)
        bins = mel(np.linspace(0, 8000, 65))[1:, None]
        lo, c, hi = edges[:-2], edges[1:-1], edges[2:]
        want = np.maximum(0, np.minimum((bins - lo) / (c - lo), (hi - bins) / (hi - c)))
        np.testing.assert_allclose(m[1:], want, rtol=1e-12, atol=1e-14)
        with pytest.raises(ValueError, match="Nyquist"):
            tf.signal.linear_to_mel_weight_matrix(10, 65, 8000, 100.0, 7000.0)
        logmel = np.random.RandomState(2).randn(3, 4, 10)
        mfcc = run(tf.signal.mfccs_from_log_mel_spectrograms(tf.constant(logmel)))
        np.testing.assert_allclose(mfcc, np_dct(logmel, 2) / np.sqrt(2 * 10), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("kind,ortho", [(1, False), (2, False), (2, True), (3, False),
                                        (3, True), (4, False), (4, True)])
def test_dct_against_its_definition(kind, ortho):
    x = np.random.RandomState(kind).randn(3, 8)
    norm = "ortho" if ortho else None
    with tf.Graph().as_default():
        got = run(tf.signal.dct(tf.constant(x), type=kind, norm=norm))
        np.testing.assert_allclose(got, np_dct(x, kind, ortho), rtol=1e-11, atol=1e-11)
        if ortho:
            inverse = run(tf.signal.idct(tf.signal.dct(tf.constant(x), type=kind, norm=norm),
                                         type=kind, norm=norm))
            np.testing.assert_allclose(inverse, x, atol=1e-12)
    with pytest.raises(ValueError):
        tf.signal.dct(tf.constant(x), type=5)


def test_mdct_reconstructs_perfectly():
    x = np.random.RandomState(3).randn(2, 64)
    with tf.Graph().as_default():
        padded = tf.pad(tf.constant(x), [[0, 0], [8, 8]])
        back = run(tf.signal.inverse_mdct(tf.signal.mdct(padded, 16)))
        np.testing.assert_allclose(back[:, 8:72], x, atol=1e-12)
        ortho = run(tf.signal.inverse_mdct(tf.signal.mdct(padded, 16, norm="ortho"),
                                           norm="ortho"))
        np.testing.assert_allclose(ortho[:, 8:72], x, atol=1e-12)
        with pytest.raises(ValueError, match="multiple of 4"):
            tf.signal.mdct(padded, 10)


# ----- gradients -----
GRADIENT_CASES = {
    "frame": lambda x: tf.signal.frame(x, 5, 2, pad_end=True),
    "overlap_and_add": lambda x: tf.signal.overlap_and_add(tf.reshape(x, [4, 5]), 3),
    "stft_power": lambda x: tf.abs(tf.signal.stft(x, 8, 4, fft_length=8)) ** 2,
    "mfcc": lambda x: tf.signal.mfccs_from_log_mel_spectrograms(tf.reshape(x, [4, 5])),
    "dct4": lambda x: tf.signal.dct(tf.reshape(x, [5, 4]), type=4, norm="ortho"),
    "mdct": lambda x: tf.signal.mdct(x, 8),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_first_and_second_order(name):
    values = np.random.RandomState(len(name)).randn(2, 20) if name in (
        "frame", "stft_power", "mdct") else np.random.RandomState(len(name)).randn(20)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, values.shape)
        assert_gradients_close([x], GRADIENT_CASES[name](x), [values], tol=1e-6,
                               second_order=True)


def test_framing_a_signal_of_unknown_shape_is_differentiable():
    values = np.random.RandomState(4).randn(3, 30)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None])
        assert_gradients_close([x], tf.signal.frame(x, 6, 4), [values], tol=1e-6,
                               second_order=True)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_gather_gradient_along_a_fed_axis(axis):
    values = np.random.RandomState(5).randn(3, 4, 3)
    indices = [[1, 0], [2, 2]]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, None)
        ax = tf.placeholder(tf.int32, [])
        grad = tf.gradients(tf.reduce_sum(tf.gather(x, indices, axis=ax) ** 2), x)[0]
        got = run(grad, {x: values, ax: axis})
    want = np.zeros_like(values)
    a = axis % 3
    taken = np.take(values, indices, axis=a)
    moved_want = np.moveaxis(want, a, 0)
    moved_taken = np.moveaxis(taken, [a, a + 1], [0, 1])
    for i, row in enumerate(indices):
        for j, k in enumerate(row):
            moved_want[k] += 2 * moved_taken[i, j]
    np.testing.assert_allclose(got, want, rtol=1e-14)
