"""Colour, image-quality, tensordot and setdiff1d programs in TensorFlow and in symgrad:
the same values, tensor names and static shapes. Skipped when tensorflow is not importable
(the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _images():
    rng = np.random.RandomState(0)
    img = rng.rand(2, 5, 6, 3).astype(np.float32)
    img[0, 0, 0] = [0.5, 0.5, 0.5]
    img[0, 0, 1] = [0.2, 0.7, 0.7]
    img[0, 0, 2] = [0.9, 0.9, 0.1]
    img[0, 0, 3] = [0.0, 0.0, 0.0]
    img2 = np.clip(img + 0.05 * rng.randn(*img.shape), 0, 1).astype(np.float32)
    return img, img2, rng


def _colour_program(tf):
    img, img2, rng = _images()
    u8 = (img * 255).astype(np.uint8)
    with tf.Graph().as_default():
        x = tf.constant(img)
        outs = {
            "hsv": tf.image.rgb_to_hsv(x), "rgb": tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(x)),
            "hue": tf.image.adjust_hue(x, 0.3), "hue_neg": tf.image.adjust_hue(x, -0.45),
            "hue_u8": tf.image.adjust_hue(u8, 0.2), "sat": tf.image.adjust_saturation(x, 1.7),
            "sat0": tf.image.adjust_saturation(x, 0.3),
            "sat_u8": tf.image.adjust_saturation(u8, 2.0),
            "gamma": tf.image.adjust_gamma(x, 2.2, 0.9),
            "gamma_u8": tf.image.adjust_gamma(u8, 0.5),
            "yiq": tf.image.rgb_to_yiq(x), "yuv_back": tf.image.yuv_to_rgb(x),
            "sobel": tf.image.sobel_edges(x), "psnr": tf.image.psnr(x, tf.constant(img2), 1.0),
            "psnr_u8": tf.image.psnr(u8, (img2 * 255).astype(np.uint8), 255),
            "ssim": tf.image.ssim(tf.constant(np.tile(img, (1, 3, 3, 1))),
                                  tf.constant(np.tile(img2, (1, 3, 3, 1))), 1.0),
            "ssim_map": tf.image.ssim(x, tf.constant(img2), 1.0, filter_size=3,
                                      return_index_map=True),
            "msssim": tf.image.ssim_multiscale(tf.constant(np.tile(img, (1, 35, 30, 1))),
                                               tf.constant(np.tile(img2, (1, 35, 30, 1))),
                                               1.0, filter_size=5),
        }
        outs["dy"], outs["dx"] = tf.image.image_gradients(x)
        hsv64 = tf.image.rgb_to_hsv(tf.constant(img.astype(np.float64)))
        weights = tf.constant(rng.rand(2, 5, 6, 3))
        grad = tf.gradients(tf.reduce_sum(hsv64 * weights), hsv64.op.inputs[0])[0]
        names = {k: (v.name, v.shape.as_list()) for k, v in outs.items()}
        with tf.Session() as sess:
            values = sess.run(outs)
            values["grad"] = sess.run(grad)
    return names, values


def _assert_agree(program, rtol, atol=0.0):
    want_names, want = program(tf1)
    got_names, got = program(symgrad)
    assert got_names == want_names
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, atol=atol, err_msg=key)


def test_colour_and_quality_agree_with_tf():
    _assert_agree(_colour_program, rtol=2e-5, atol=2e-5)


def _tensordot_program(tf):
    rng = np.random.RandomState(1)
    a_val, b_val = rng.rand(2, 3, 4).astype(np.float32), rng.rand(4, 3, 5).astype(np.float32)
    with tf.Graph().as_default() as g:
        a, b = tf.constant(a_val), tf.constant(b_val)
        dynamic = tf.placeholder(tf.float32, [None, 3, 4])
        unknown = tf.placeholder(tf.float32)
        outs = {"int": tf.tensordot(a, b, 1), "pairs": tf.tensordot(a, b, [[1, 2], [1, 0]]),
                "outer": tf.tensordot(a[0, 0], b[0, 0], 0),
                "dynamic": tf.tensordot(dynamic, b, [[2], [0]]),
                "unknown": tf.tensordot(unknown, b, [[2], [0]]),
                "unknown_int": tf.tensordot(unknown, b, 1),
                "tensor_axes": tf.tensordot(a, b, tf.constant([[2], [0]]))}
        diff = tf.setdiff1d([1, 5, 3, 5, 7, 9], [5, 9, 2])
        names = {k: (v.name, v.shape.as_list() if v.shape.ndims is not None else None)
                 for k, v in outs.items()}
        names["ops"] = [(op.name, op.type) for op in g.get_operations()]
        names["diff"] = (diff.out.name, diff.idx.name)
        with tf.Session() as sess:
            values = sess.run(outs, {dynamic: a_val, unknown: a_val})
            values["diff"] = sess.run(diff.out)
            values["diff_idx"] = sess.run(diff.idx)
    return names, values


def test_tensordot_and_setdiff1d_agree_with_tf():
    _assert_agree(_tensordot_program, rtol=1e-6)
