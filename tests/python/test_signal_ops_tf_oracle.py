"""tf.signal's framing, windows, STFT, mel, MFCC, DCT and MDCT against TensorFlow itself:
the ops built (names and types in creation order) and the values of outputs and gradients.
Skipped when tensorflow is not importable (the normal test run); see test_tf_oracle.py for
how to run it.
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
    "frame": ([3, 50], lambda tf, x: tf.signal.frame(x, 8, 3)),
    "frame_pad": ([3, 50], lambda tf, x: tf.signal.frame(x, 8, 4, pad_end=True, pad_value=1.5)),
    "frame_axis0": ([50, 3], lambda tf, x: tf.signal.frame(x, 6, 4, axis=0)),
    "frame_unknown_shape": ([None, None], lambda tf, x: tf.signal.frame(x, 8, 3)),
    "overlap_and_add": ([3, 7, 8], lambda tf, x: tf.signal.overlap_and_add(x, 3)),
    "overlap_and_add_fast_path": ([7, 4], lambda tf, x: tf.signal.overlap_and_add(x, 4)),
    "overlap_and_add_unknown_batch": ([None, 7, 8],
                                      lambda tf, x: tf.signal.overlap_and_add(x, 3)),
    "stft": ([2, 300], lambda tf, x: tf.signal.stft(x, 64, 32)),
    "stft_padded_hamming": ([2, 300], lambda tf, x: tf.signal.stft(
        x, 60, 25, fft_length=64, pad_end=True, window_fn=tf.signal.hamming_window)),
    "inverse_stft": ([2, 300], lambda tf, x: tf.signal.inverse_stft(
        tf.signal.stft(x, 64, 16), 64, 16, window_fn=tf.signal.inverse_stft_window_fn(16))),
    "mel": ([2, 5, 129], lambda tf, x: tf.tensordot(x, tf.signal.linear_to_mel_weight_matrix(
        20, 129, 8000, 125., 3800., dtype=tf.float64), 1)),
    "mfcc": ([2, 5, 20], lambda tf, x: tf.signal.mfccs_from_log_mel_spectrograms(x)),
    "dct1": ([3, 9], lambda tf, x: tf.signal.dct(x, type=1)),
    "dct2_ortho": ([3, 9], lambda tf, x: tf.signal.dct(x, type=2, norm="ortho")),
    "dct3": ([3, 9], lambda tf, x: tf.signal.dct(x, type=3)),
    "dct4_ortho": ([3, 8], lambda tf, x: tf.signal.dct(x, type=4, norm="ortho")),
    "idct2_n": ([3, 9], lambda tf, x: tf.signal.idct(x, type=2, n=12)),
    "mdct": ([2, 64], lambda tf, x: tf.signal.mdct(x, 16)),
    "inverse_mdct": ([2, 5, 8], lambda tf, x: tf.signal.inverse_mdct(x)),
    "kaiser": ([5], lambda tf, x: x * tf.signal.kaiser_window(5, beta=8.0, dtype=tf.float64)),
    "kaiser_bessel_derived": ([8], lambda tf, x: x * tf.signal.kaiser_bessel_derived_window(
        8, dtype=tf.float64)),
    "vorbis": ([8], lambda tf, x: x * tf.signal.vorbis_window(8, dtype=tf.float64)),
    "hann_symmetric": ([9], lambda tf, x: x * tf.signal.hann_window(9, periodic=False,
                                                                       dtype=tf.float64)),
}
# Where symgrad's slicing with a tensor bound (`x[:n]`, `x[axis]`) builds its index ops
# differently from TF's; the values and gradients are still compared.
# `mel`: TF 2.21's `linspace` is a composition of ~30 ops (`linspace_nd`), symgrad's one
# `LinSpace` op.
OPS_DIFFER = {"frame_unknown_shape", "overlap_and_add_unknown_batch", "inverse_stft", "mel"}
# The forward ops are compared op for op; the gradient ops only where no gather along an
# inner axis (a frame) is differentiated: symgrad's GatherV2 gradient there builds the same
# function from fewer ops than TF's.
FRAMED = {"frame", "frame_pad", "frame_axis0", "stft", "stft_padded_hamming", "mdct",
          "mel"}


def _build(tf, fn, shape):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, shape, name="x")
        y = fn(tf, x)
        power = tf.square(tf.abs(y)) if y.dtype.is_complex else tf.square(y)
        grad = tf.gradients(tf.reduce_sum(power), x)[0]
        ops = [(op.name, op.type) for op in graph.get_operations()]
        value = np.random.RandomState(0).randn(*[d or 7 for d in shape])
        with tf.Session(graph=graph) as sess:
            out = sess.run([y, grad], {x: value})
    static = y.shape.as_list() if y.shape.ndims is not None else None
    return ops, out, static


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values(case):
    shape, fn = CASES[case]
    want_ops, want, want_shape = _build(tf1, fn, shape)
    got_ops, got, got_shape = _build(symgrad, fn, shape)
    assert got_shape == want_shape
    if case not in OPS_DIFFER:
        if case in FRAMED:
            want_ops = [op for op in want_ops if not op[0].startswith("gradients")]
            got_ops = [op for op in got_ops if not op[0].startswith("gradients")]
        assert got_ops == want_ops
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
