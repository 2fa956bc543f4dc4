"""Bicubic and area resizing against TensorFlow as the oracle: values and first gradients of
ResizeBicubic / ResizeArea over up- and downscales, every corner mode and several input
dtypes, which symgrad's kernels reproduce to the bit.

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

IMAGE = np.random.RandomState(5).uniform(-2, 3, size=(2, 5, 6, 3))
SIZES = [(9, 13), (2, 3), (5, 6), (3, 11), (1, 1)]
MODES = ["legacy", "align", "half"]


def _run(tf, op, dtype, size, mode):
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, IMAGE.shape)
        if op == "bicubic":
            y = tf.image.resize_bicubic(x, size, align_corners=mode == "align",
                                        half_pixel_centers=mode == "half")
        else:
            y = tf.image.resize_area(x, size, align_corners=mode == "align")
        fetch = [y]
        if op == "bicubic" and dtype in (np.float32, np.float64):
            weights = np.cos(np.arange(2 * size[0] * size[1] * 3)).reshape(2, *size, 3)
            fetch += tf.gradients(tf.reduce_sum(y * weights.astype(np.float32)), x)
        with tf.Session() as sess:
            return sess.run(fetch, {x: IMAGE.astype(dtype)})


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.uint8, np.int32])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("op,mode", [("bicubic", m) for m in MODES]
                         + [("area", "legacy"), ("area", "align")])
def test_matches_tf(op, mode, size, dtype):
    ours = _run(symgrad, op, dtype, size, mode)
    theirs = _run(tf1, op, dtype, size, mode)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
