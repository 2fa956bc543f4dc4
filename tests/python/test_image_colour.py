"""Colour spaces and image quality: RGBToHSV/HSVToRGB/AdjustHue/AdjustSaturation kernels
against colorsys and closed forms, RGBToHSV's gradient against finite differences (first
and second order), the composed image functions, tensordot with dynamic shapes and
setdiff1d."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
from gradient_checker import assert_gradients_close, run_once

import symgrad as tf


def _pixels(seed=0, n=(2, 4, 5)):
    rng = np.random.RandomState(seed)
    img = rng.rand(*n, 3)
    img[0, 0, 0] = [0.5, 0.5, 0.5]   # grey: hue and saturation 0
    img[0, 0, 1] = [0.0, 0.0, 0.0]   # black
    img[0, 0, 2] = [0.9, 0.2, 0.9]   # red and blue tie for the largest
    return img


def _colorsys(img, f):
    return np.apply_along_axis(lambda p: np.array(f(*p)), -1, img)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rgb_hsv_round_trip_matches_colorsys(dtype):
    img = _pixels().astype(dtype)
    with tf.Graph().as_default():
        hsv = tf.image.rgb_to_hsv(img)
        back = tf.image.hsv_to_rgb(hsv)
        assert hsv.dtype.as_numpy_dtype == dtype and hsv.shape.as_list() == [2, 4, 5, 3]
        got_hsv, got_back = run_once([hsv, back])
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got_hsv, _colorsys(img.astype(np.float64), colorsys.rgb_to_hsv),
                               atol=tol * 10)
    np.testing.assert_allclose(got_back, img, atol=tol * 10)


def test_adjust_hue_and_saturation_match_colorsys():
    img = _pixels(1)
    hsv = _colorsys(img, colorsys.rgb_to_hsv)
    turned = hsv.copy()
    turned[..., 0] = (turned[..., 0] + 0.3) % 1.0
    saturated = hsv.copy()
    saturated[..., 1] = np.clip(saturated[..., 1] * 1.7, 0, 1)
    with tf.Graph().as_default():
        x = tf.constant(img.astype(np.float32))
        hue = tf.image.adjust_hue(x, 0.3)
        hue_back = tf.image.adjust_hue(x, -0.7)
        sat = tf.image.adjust_saturation(x, 1.7)
        u8 = tf.image.adjust_saturation(tf.constant((img * 255).astype(np.uint8)), 1.0)
        assert hue.op.type == "Identity" and hue.op.inputs[0].op.type == "AdjustHue"
        got = run_once([hue, hue_back, sat, u8])
    np.testing.assert_allclose(got[0], _colorsys(turned, colorsys.hsv_to_rgb), atol=2e-6)
    np.testing.assert_allclose(got[1], got[0], atol=2e-6)
    np.testing.assert_allclose(got[2], _colorsys(saturated, colorsys.hsv_to_rgb), atol=2e-6)
    assert got[3].dtype == np.uint8
    np.testing.assert_array_equal(got[3], (img * 255).astype(np.uint8))


def test_rgb_to_hsv_gradient_first_and_second_order():
    rng = np.random.RandomState(3)
    # Away from ties and from zero range, where the derivative exists.
    img = rng.uniform(0.1, 0.9, (3, 2, 3))
    img[0, 0] = [0.8, 0.3, 0.5]   # red largest
    img[0, 1] = [0.2, 0.7, 0.4]   # green largest
    img[1, 0] = [0.3, 0.1, 0.9]   # blue largest
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3, 2, 3])
        weights = tf.constant(rng.uniform(-1, 1, (3, 2, 3)))
        y = tf.reduce_sum(tf.image.rgb_to_hsv(x) * weights)
        assert_gradients_close([x], y, [img], tol=1e-6)


def test_colour_ops_check_shapes_and_types():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension must be 3 but is 4"):
            tf.image.rgb_to_hsv(tf.zeros([2, 4]))
        with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
            tf.image.hsv_to_rgb(1.0)
        with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
            tf.image.adjust_hue(tf.zeros([4, 3]), 0.1)
        with pytest.raises(TypeError, match="not in list of allowed values"):
            tf.image.rgb_to_hsv(tf.zeros([2, 3], tf.int32))
        p = tf.placeholder(tf.float32)
        hsv = tf.image.rgb_to_hsv(p)
        assert hsv.shape.ndims is None
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError,
                               match="input must have 3 channels but input only has 2"):
                sess.run(hsv, {p: np.zeros((4, 2))})
            # AdjustHue checks its channels when it runs, after the delta, as TF.
            q4 = tf.placeholder(tf.float32, [1, 1, None])
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="input must have 3 channels but instead has 4"):
                sess.run(tf.image.adjust_hue(q4, 0.1), {q4: np.zeros((1, 1, 4))})
        # HSVToRGB has no gradient (None, as TF marks it); AdjustHue none at all.
        q = tf.placeholder(tf.float32, [1, 1, 1, 3])
        assert tf.gradients(tf.image.hsv_to_rgb(q), q) == [None]
        with pytest.raises(LookupError, match="AdjustHue"):
            tf.gradients(tf.image.adjust_hue(q, 0.2), q)
        with pytest.raises(ValueError, match="max_delta must be <= 0.5."):
            tf.image.random_hue(q, 0.6)
        with pytest.raises(ValueError, match="upper must be > lower."):
            tf.image.random_saturation(q, 2.0, 1.0)


def test_random_hue_and_saturation_stay_in_range():
    img = _pixels(2).astype(np.float32)
    with tf.Graph().as_default():
        hue = tf.image.random_hue(img, 0.2, seed=1)
        sat = tf.image.random_saturation(img, 0.5, 1.5, seed=2)
        got_hue, got_sat = run_once([hue, sat])
    v = img.max(-1)
    # Hue and saturation changes keep each pixel's value (its largest channel).
    np.testing.assert_allclose(got_hue.max(-1), v, atol=1e-6)
    np.testing.assert_allclose(got_sat.max(-1), v, atol=1e-6)
    # ... and do change the image (a delta drawn in [-0.2, 0.2), a factor in [0.5, 1.5)).
    assert np.abs(got_hue - img).max() > 1e-3 and np.abs(got_sat - img).max() > 1e-3


def test_gamma_yiq_yuv_and_gradients_of_images():
    img = _pixels(4)
    with tf.Graph().as_default():
        x = tf.constant(img)
        gamma = tf.image.adjust_gamma(tf.constant(img.astype(np.float32)), 2.0, 0.5)
        yiq = tf.image.rgb_to_yiq(x)
        round_trip = tf.image.yiq_to_rgb(yiq)
        yuv_trip = tf.image.yuv_to_rgb(tf.image.rgb_to_yuv(x))
        dy, dx = tf.image.image_gradients(x)
        sobel = tf.image.sobel_edges(x)
        got = run_once([gamma, yiq, round_trip, yuv_trip, dy, dx, sobel])
        with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
            tf.image.adjust_gamma(x, -1.0)
        with pytest.raises(ValueError, match="image_gradients expects a 4D tensor"):
            tf.image.image_gradients(x[0])
    np.testing.assert_allclose(got[0], 0.5 * img ** 2, rtol=1e-6)
    np.testing.assert_allclose(got[1][..., 0], img @ [0.299, 0.587, 0.114], rtol=1e-12)
    # TF's colour matrices are inverse to about 1e-4 (their constants' precision).
    np.testing.assert_allclose(got[2], img, atol=1e-4)
    np.testing.assert_allclose(got[3], img, atol=1e-4)
    want_dy = np.concatenate([img[:, 1:] - img[:, :-1], np.zeros_like(img[:, :1])], 1)
    want_dx = np.concatenate([img[:, :, 1:] - img[:, :, :-1], np.zeros_like(img[:, :, :1])], 2)
    np.testing.assert_allclose(got[4], want_dy)
    np.testing.assert_allclose(got[5], want_dx)
    padded = np.pad(img, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    vertical = (padded[:, 2:, :-2] + 2 * padded[:, 2:, 1:-1] + padded[:, 2:, 2:]
                - padded[:, :-2, :-2] - 2 * padded[:, :-2, 1:-1] - padded[:, :-2, 2:])
    assert got[6].shape == img.shape + (2,)
    np.testing.assert_allclose(got[6][..., 0], vertical, atol=1e-12)


def test_psnr_and_ssim():
    rng = np.random.RandomState(5)
    a = rng.rand(2, 16, 16, 3)
    b = np.clip(a + 0.05 * rng.randn(*a.shape), 0, 1)
    with tf.Graph().as_default():
        psnr = tf.image.psnr(a, b, 1.0)
        same = tf.image.ssim(tf.constant(a), tf.constant(a), 1.0)
        ssim = tf.image.ssim(tf.constant(a), tf.constant(b), 1.0, filter_size=7)
        ms = tf.image.ssim_multiscale(tf.constant(np.tile(a, (1, 4, 4, 1))),
                                      tf.constant(np.tile(b, (1, 4, 4, 1))), 1.0,
                                      filter_size=3)
        got = run_once([psnr, same, ssim, ms])
        with pytest.raises(ValueError, match="must have rank at least 3"):
            tf.image.ssim(tf.zeros([2, 2]), tf.zeros([2, 2]), 1.0)
        with pytest.raises(ValueError, match="Invalid reduction dimension -3"):
            tf.image.psnr(tf.zeros([2, 2]), tf.zeros([2, 2]), 1.0)
    mse = ((a.astype(np.float32) - b.astype(np.float32)) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(got[0], 10 * np.log10(1.0 / mse), rtol=1e-4)
    np.testing.assert_allclose(got[1], [1.0, 1.0], rtol=1e-5)
    assert np.all((got[2] > 0.5) & (got[2] < 1.0))
    assert np.all((got[3] > 0.5) & (got[3] < 1.0))


def test_tensordot_with_static_dynamic_and_unknown_shapes():
    rng = np.random.RandomState(6)
    a_val, b_val = rng.rand(2, 3, 4), rng.rand(4, 3, 5)
    want = np.tensordot(a_val, b_val, [[2], [0]])
    with tf.Graph().as_default():
        a = tf.constant(a_val)
        b = tf.constant(b_val)
        dynamic = tf.placeholder(tf.float64, [None, 3, 4])
        unknown = tf.placeholder(tf.float64)
        static = tf.tensordot(a, b, 1)
        d = tf.tensordot(dynamic, b, [[2], [0]])
        u = tf.tensordot(unknown, b, [[-1], [0]])
        t = tf.tensordot(a, b, tf.constant([[1, 2], [1, 0]]))
        assert static.name == "Tensordot:0" and static.shape.as_list() == [2, 3, 3, 5]
        assert d.shape.as_list() == [None, 3, 3, 5] and u.shape.ndims is None
        assert "ListDiff" in {op.type for op in u.graph.get_operations()}
        got = run_once([static, d, u, t], {dynamic: a_val, unknown: a_val})
        with pytest.raises(ValueError, match="`axes` must be at least 0"):
            tf.tensordot(a, b, -1)
    for v in got[:3]:
        np.testing.assert_allclose(v, want, rtol=1e-12)
    np.testing.assert_allclose(got[3], np.tensordot(a_val, b_val, [[1, 2], [1, 0]]),
                               rtol=1e-12)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64)
        y = tf.reduce_sum(tf.tensordot(x, tf.constant(b_val), [[2], [0]]) ** 2)
        assert_gradients_close([x], y, [a_val], tol=1e-6)


def test_setdiff1d():
    with tf.Graph().as_default():
        out, idx = tf.setdiff1d([1, 5, 3, 5, 7, 9], [5, 9, 2])
        floats = tf.setdiff1d(tf.constant([1.0, -0.0, np.nan, 3.0]), [0.0, np.nan],
                              index_dtype=tf.int64)
        assert out.shape.as_list() == [None] and floats.idx.dtype is tf.int64
        words = tf.setdiff1d(["to", "be", "or", "not", "to", "be"], ["be", "xx"])
        got = run_once([out, idx, floats.out, floats.idx, words.out, words.idx])
        with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
            tf.setdiff1d([[1]], [1])
        p = tf.placeholder(tf.int32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="x should be a 1D vector"):
                sess.run(tf.setdiff1d(p, [1]).out, {p: [[1, 2]]})
    np.testing.assert_array_equal(got[0], [1, 3, 7])
    np.testing.assert_array_equal(got[1], [0, 2, 4])
    # -0.0 equals 0.0; NaN never equals itself, so it stays.
    np.testing.assert_array_equal(got[2], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(got[3], [0, 2, 3])
    assert list(got[4]) == [b"to", b"or", b"not", b"to"]
    np.testing.assert_array_equal(got[5], [0, 2, 3, 4])
