"""tf.image bicubic and area resizing: ResizeBicubic / ResizeBicubicGrad / ResizeArea.

Values and first gradients are TF 2.21's (recorded below; symgrad's kernels match them to the
bit); float64 first and second derivatives against finite differences; TF's graphs, its
missing ResizeArea gradient and its errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close, run_once, seeded_uniform

X = (np.arange(24) * 0.37 % 5).reshape(1, 3, 4, 2).astype(np.float32)

# TF 2.21: resize(X) and, for bicubic, d sum(resize(X) * w) / dX with
# w = (arange(n) % 7 - 3) in y's shape.
EXPECTED = {
    ('bicubic', (5, 7), 'legacy'): (
        [0.0, 0.37, 0.35156, 0.72156, 0.87784, 1.24784, 1.23594, 1.60594, 1.7565, 2.1265, 2.14033, 2.51033, 2.29766, 2.66765, 2.03048, 2.40048, 2.38204, 2.75204, 2.95536, 3.32536, 3.65986, 4.02986, 2.83616, 3.20616, 1.00751, 1.37751, 0.35295, 0.72295, 2.88486, 3.25486, 3.23642, 3.60642, 3.82283, 4.19283, 4.62378, 4.99378, 3.42582, 3.79582, 0.9812, 1.3512, 0.10061, 0.47061, 1.3506, 1.7206, 1.70215, 2.07215, 2.24153, 2.61153, 2.69602, 3.06602, 2.8425, 3.2125, 2.61063, 2.98063, 2.54202, 2.91202, 0.69975, 1.06975, 1.05131, 1.42131, 1.57054, 1.94054, 1.87665, 2.24665, 2.59892, 2.96892, 3.31474, 3.68474, 3.59388, 3.96388],
        [-4.60422, -2.56932, 1.79601, 1.37956, 1.10845, -4.17754, 1.69976, 5.3673, -6.28608, -3.50786, 2.45206, 1.88349, 1.51335, -5.70353, 2.32066, 7.3279, -7.2602, -4.05145, 2.83205, 2.17536, 1.74787, -6.58738, 2.68028, 8.46347]),
    ('bicubic', (5, 7), 'align'): (
        [0.0, 0.37, 0.30063, 0.67062, 0.74, 1.11, 1.11, 1.48, 1.48, 1.85, 1.91938, 2.28938, 2.22, 2.59, 1.67125, 2.04125, 1.97187, 2.34187, 2.41125, 2.78125, 3.05957, 3.42957, 3.15125, 3.52125, 2.10625, 2.47625, 0.9225, 1.2925, 2.96, 3.33, 3.26063, 3.63063, 3.7, 4.07, 4.53875, 4.90875, 4.44, 4.81, 2.37937, 2.74937, 0.18, 0.55, 2.2175, 2.5875, 2.51813, 2.88812, 2.9575, 3.3275, 3.60582, 3.97582, 3.6975, 4.0675, 2.6525, 3.0225, 1.46875, 1.83875, 0.92, 1.29, 1.22062, 1.59063, 1.66, 2.03, 2.03, 2.4, 2.4, 2.77, 2.83938, 3.20938, 3.14, 3.51],
        [-5.31738, -2.41699, 3.07617, 0.17578, -0.17578, -3.07617, 2.41699, 5.31738, -8.27148, -3.75977, 4.78516, 0.27344, -0.27344, -4.78516, 3.75977, 8.27148, -5.31738, -2.41699, 3.07617, 0.17578, -0.17578, -3.07617, 2.41699, 5.31738]),
    ('bicubic', (5, 7), 'half'): (
        [-0.28218, 0.08782, -0.02809, 0.34191, 0.46033, 0.83033, 0.86284, 1.23284, 1.32961, 1.69961, 2.06443, 2.43443, 2.46261, 2.83261, 1.07239, 1.44239, 1.32648, 1.69648, 1.8149, 2.1849, 2.36477, 2.73477, 2.5777, 2.9477, 1.77411, 2.14411, 1.2726, 1.6426, 2.90138, 3.27138, 3.15546, 3.52546, 3.64389, 4.01389, 4.3825, 4.7525, 4.27032, 4.64032, 1.49636, 1.86636, -0.15746, 0.21254, 1.71054, 2.08054, 1.96462, 2.33462, 2.45304, 2.82304, 3.00292, 3.37292, 3.21585, 3.58585, 2.41226, 2.78226, 1.91075, 2.28075, 0.70731, 1.07731, 0.96139, 1.33139, 1.44981, 1.81981, 1.85233, 2.22233, 2.3191, 2.68909, 3.05391, 3.42391, 3.45209, 3.82209],
        [-6.84834, -3.15848, 4.41944, 0.72958, -0.72958, -4.41944, 3.15848, 6.84834, -6.69145, -3.08612, 4.3182, 0.71287, -0.71286, -4.3182, 3.08612, 6.69145, -6.84834, -3.15848, 4.41944, 0.72958, -0.72958, -4.41944, 3.15848, 6.84834]),
    ('bicubic', (2, 3), 'legacy'): (
        [0.0, 0.37, 1.01387, 1.38387, 2.02835, 2.39835, 2.2175, 2.5875, 3.39606, 3.76606, 2.21066, 2.58066],
        [-3.19097, -1.72917, -0.70275, -0.03106, 0.06936, 0.73987, 0.73061, 1.30161, 1.91319, -1.71528, -0.94602, -0.50595, -0.4393, 0.0, 0.06588, 0.43998, 1.61111, -1.44444, -0.79665, -0.42606, -0.36994, 0.0, 0.05547, 0.37051]),
    ('bicubic', (2, 3), 'align'): (
        [0.0, 0.37, 1.11, 1.48, 2.22, 2.59, 0.92, 1.29, 2.03, 2.4, 3.14, 3.51],
        [-2.90625, -2.0, -0.59375, 0.0, -0.59375, 0.0, 1.09375, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.1875, -2.90625, -1.1875, -0.59375, -1.1875, -0.59375, 0.1875, 1.09375]),
    ('bicubic', (2, 3), 'half'): (
        [0.6827, 1.0527, 1.78257, 2.15257, 1.81247, 2.18247, 1.44825, 1.81825, 2.54812, 2.91812, 2.57802, 2.94802],
        [-2.16371, -1.37878, -0.75215, -0.19964, -0.3024, 0.22927, 0.76571, 1.41484, 0.03969, -0.92444, -0.35953, -0.25838, -0.33074, -0.02805, 0.22722, 0.57583, 2.31152, -2.06398, -0.5868, -0.76261, -0.92932, -0.33371, 0.08051, 0.72964]),
    ('area', (5, 7), 'legacy'): (
        [0.0, 0.37, 0.185, 0.555, 0.74, 1.11, 1.11, 1.48, 1.48, 1.85, 2.035, 2.405, 2.22, 2.59, 0.98667, 1.35667, 1.17167, 1.54167, 1.72667, 2.09667, 2.09667, 2.46667, 2.46667, 2.83667, 1.77167, 2.14167, 1.54, 1.91, 2.96, 3.33, 3.145, 3.515, 3.7, 4.07, 4.07, 4.44, 4.44, 4.81, 1.245, 1.615, 0.18, 0.55, 1.6, 1.97, 1.785, 2.155, 2.34, 2.71, 2.71, 3.08, 3.08, 3.45, 2.385, 2.755, 2.15333, 2.52333, 0.92, 1.29, 1.105, 1.475, 1.66, 2.03, 2.03, 2.4, 2.4, 2.77, 2.955, 3.325, 3.14, 3.51],
        None),
    ('area', (5, 7), 'align'): (
        [0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 2.96, 3.33, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 2.96, 3.33, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 0.92, 1.29, 0.92, 1.29, 1.66, 2.03, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51],
        None),
    ('area', (2, 3), 'legacy'): (
        [1.17167, 1.54167, 2.09667, 2.46667, 1.77167, 2.14167, 1.785, 2.155, 2.71, 3.08, 2.385, 2.755],
        None),
    ('area', (2, 3), 'align'): (
        [1.72667, 2.09667, 2.71333, 3.08333, 1.2, 1.57, 1.16667, 1.53667, 2.15333, 2.52333, 3.14, 3.51],
        None),
}


def _resize(op, x, size, mode):
    if op == "bicubic":
        return tf.image.resize_bicubic(x, size, align_corners=mode == "align",
                                       half_pixel_centers=mode == "half")
    return tf.image.resize_area(x, size, align_corners=mode == "align")


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_values_and_gradients_are_tf(key):
    op, size, mode = key
    want_y, want_g = EXPECTED[key]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, X.shape)
        y = _resize(op, x, size, mode)
        assert y.dtype is tf.float32 and y.shape.as_list() == [1, *size, 2]
        fetch = [y]
        if op == "bicubic":
            n = size[0] * size[1] * 2
            w = tf.constant((np.arange(n) % 7 - 3).reshape(1, *size, 2).astype(np.float32))
            g = tf.gradients(tf.reduce_sum(y * w), x)[0]
            assert g.op.type == "ResizeBicubicGrad"
            fetch.append(g)
        got = run_once(fetch, {x: X})
    np.testing.assert_allclose(got[0].reshape(-1), want_y, atol=1e-5)
    if want_g is not None:
        np.testing.assert_allclose(got[1].reshape(-1), want_g, atol=1e-5)


@pytest.mark.parametrize("mode", ["legacy", "align", "half"])
def test_bicubic_float64_first_and_second_derivatives(mode):
    # float32 kernels (as TF): a large step, on a function quadratic in x.
    value = seeded_uniform([2, 3, 4, 2], "bicubic")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 4, 2])
        y = tf.square(tf.cast(_resize("bicubic", x, [5, 6], mode), tf.float64))
        assert_gradients_close([x], y, [value], tol=2e-3, delta=1e-2)


def test_graphs_and_gradients_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 3, 4, 2])
        area = tf.image.resize_area(x, [2, 2], align_corners=True)
        assert area.op.node_def.attr.keys() == {"T", "align_corners"}
        cubic = tf.image.resize_bicubic(x, [6, 8], half_pixel_centers=True)
        assert cubic.op.get_attr("half_pixel_centers") is True
        # TF registers no gradient for ResizeArea.
        with pytest.raises(LookupError, match="ResizeArea"):
            tf.gradients(tf.reduce_sum(area), x)
        # Integer and half images get none from ResizeBicubic, as TF's float32/64 check.
        for dtype in (tf.int32, tf.float16):
            y = tf.image.resize_bicubic(tf.cast(x, dtype), [3, 3])
            assert tf.gradients(tf.reduce_sum(y), x) == [None]
        via_method = [tf.image.resize_images(x, [5, 5], method=m)
                      for m in (tf.image.ResizeMethod.BICUBIC, tf.image.ResizeMethod.AREA,
                                "bicubic", "area")]
        assert [t.op.type for t in via_method] == ["ResizeBicubic", "ResizeArea"] * 2
        assert via_method[0].op.name == "resize/ResizeBicubic"
        value = np.random.RandomState(0).rand(1, 3, 4, 2).astype(np.float32)
        got = run_once(via_method + [tf.image.resize_bicubic(x, [5, 5]),
                                     tf.image.resize_area(x, [5, 5])], {x: value})
    np.testing.assert_array_equal(got[0], got[4])
    np.testing.assert_array_equal(got[1], got[5])


def test_area_of_an_exact_downscale_is_the_block_mean():
    value = np.arange(32, dtype=np.float64).reshape(1, 4, 8, 1)
    got = run_once(tf.image.resize_area(value, [2, 2]))
    want = value.reshape(1, 2, 2, 2, 4, 1).mean(axis=(2, 4))
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_errors_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 3, 4, 2])
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3 for "
                           "'{{node ResizeBicubic}} = ResizeBicubic"):
            tf.image.resize_bicubic(x[0], [2, 2])
        with pytest.raises(TypeError, match="Input 'size' of 'ResizeArea' Op has type float32"):
            tf.image.resize_area(x, tf.constant([2.0, 2.0]))
        bad = tf.image.resize_bicubic(x, [2, 2], align_corners=True, half_pixel_centers=True)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="If half_pixel_centers is True, align_corners must be False."):
            run_once(bad, {x: np.zeros([1, 3, 4, 2])})
        p = tf.placeholder(tf.int32, [2])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="output dimensions must be positive"):
            run_once(tf.image.resize_area(x, p), {x: np.zeros([1, 3, 4, 2]), p: [0, 2]})
