"""tf.image resizing: ResizeBilinear / ResizeNearestNeighbor and their gradient ops.

Values and first gradients are TF 2.21's (recorded below); graphs as TF builds them; float64
first and second derivatives against finite differences; TF's error classes and texts.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close, check_on_placeholders, run_once, \
    seeded_uniform

X = (np.arange(24) * 0.37 % 5).reshape(1, 3, 4, 2).astype(np.float32)

# TF 2.21: resize(X) and d sum(resize(X) * w) / dX, w = (arange(n) % 7 - 3) in y's shape.
EXPECTED = {
    ('bilinear', (5, 7), 'legacy'): (
        [0.0, 0.37, 0.42286, 0.79286, 0.84571, 1.21571, 1.26857, 1.63857, 1.69143, 2.06143, 2.11429, 2.48429, 2.22, 2.59, 1.776, 2.146, 2.19886, 2.56886, 2.62171, 2.99171, 3.04457, 3.41457, 2.61029, 2.98029, 1.31886, 1.68886, 0.996, 1.366, 2.552, 2.922, 2.97486, 3.34486, 3.39771, 3.76771, 3.82057, 4.19057, 3.10057, 3.47057, 1.23771, 1.60771, 0.772, 1.142, 1.328, 1.698, 1.75086, 2.12086, 2.17371, 2.54371, 2.59657, 2.96657, 2.73371, 3.10371, 2.58514, 2.95514, 2.548, 2.918, 0.92, 1.29, 1.34286, 1.71286, 1.76571, 2.13571, 2.18857, 2.55857, 2.61143, 2.98143, 3.03429, 3.40429, 3.14, 3.51],
        [-4.8, -2.8, 1.6, 1.2, 1.2, -3.4, 2.0, 5.0, -5.48571, -3.2, 1.82857, 1.37143, 1.37143, -3.88571, 2.28571, 5.71429, -6.85714, -4.0, 2.28571, 1.71429, 1.71429, -4.85714, 2.85714, 7.14286]),
    ('bilinear', (5, 7), 'align'): (
        [0.0, 0.37, 0.37, 0.74, 0.74, 1.11, 1.11, 1.48, 1.48, 1.85, 1.85, 2.22, 2.22, 2.59, 1.48, 1.85, 1.85, 2.22, 2.22, 2.59, 2.59, 2.96, 2.96, 3.33, 2.08, 2.45, 1.2, 1.57, 2.96, 3.33, 3.33, 3.7, 3.7, 4.07, 4.07, 4.44, 4.44, 4.81, 2.31, 2.68, 0.18, 0.55, 1.94, 2.31, 2.31, 2.68, 2.68, 3.05, 3.05, 3.42, 3.42, 3.79, 2.54, 2.91, 1.66, 2.03, 0.92, 1.29, 1.29, 1.66, 1.66, 2.03, 2.03, 2.4, 2.4, 2.77, 2.77, 3.14, 3.14, 3.51],
        [-5.25, -3.0, 3.0, 0.75, -0.75, -3.0, 3.0, 5.25, -7.0, -4.0, 4.0, 1.0, -1.0, -4.0, 4.0, 7.0, -5.25, -3.0, 3.0, 0.75, -0.75, -3.0, 3.0, 5.25]),
    ('bilinear', (5, 7), 'half'): (
        [0.0, 0.37, 0.26429, 0.63429, 0.68714, 1.05714, 1.11, 1.48, 1.53286, 1.90286, 1.95571, 2.32571, 2.22, 2.59, 1.184, 1.554, 1.44829, 1.81829, 1.87114, 2.24114, 2.294, 2.664, 2.574, 2.944, 1.854, 2.224, 1.404, 1.774, 2.96, 3.33, 3.22429, 3.59429, 3.64714, 4.01714, 4.07, 4.44, 4.13571, 4.50571, 1.70143, 2.07143, 0.18, 0.55, 1.736, 2.106, 2.00029, 2.37029, 2.42314, 2.79314, 2.846, 3.216, 3.126, 3.496, 2.406, 2.776, 1.956, 2.326, 0.92, 1.29, 1.18429, 1.55429, 1.60714, 1.97714, 2.03, 2.4, 2.45286, 2.82286, 2.87571, 3.24571, 3.14, 3.51],
        [-5.71429, -2.97143, 3.31429, 0.57143, -0.57143, -3.31429, 2.97143, 5.71429, -6.42857, -3.34286, 3.72857, 0.64286, -0.64286, -3.72857, 3.34286, 6.42857, -5.71429, -2.97143, 3.31429, 0.57143, -0.57143, -3.31429, 2.97143, 5.71429]),
    ('bilinear', (2, 3), 'legacy'): (
        [0.0, 0.37, 0.98667, 1.35667, 1.97333, 2.34333, 1.94, 2.31, 2.92667, 3.29667, 2.24667, 2.61667],
        [-3.0, -2.0, -0.66667, 0.0, -0.0, 0.66667, 0.66667, 1.33333, 1.5, -1.5, -0.66667, -0.33333, -0.33333, -0.0, 0.0, 0.33333, 1.5, -1.5, -0.66667, -0.33333, -0.33333, -0.0, 0.0, 0.33333]),
    ('bilinear', (2, 3), 'align'): (
        [0.0, 0.37, 1.11, 1.48, 2.22, 2.59, 0.92, 1.29, 2.03, 2.4, 3.14, 3.51],
        [-3.0, -2.0, -0.5, 0.0, -0.5, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, -3.0, -1.0, -0.5, -1.0, -0.5, 0.0, 1.0]),
    ('bilinear', (2, 3), 'half'): (
        [0.86333, 1.23333, 1.85, 2.22, 1.795, 2.165, 1.55333, 1.92333, 2.54, 2.91, 2.485, 2.855],
        [-1.875, -1.25, -0.75, -0.25, -0.25, 0.25, 0.625, 1.25, 0.0, -1.04167, -0.375, -0.33333, -0.33333, -0.0, 0.20833, 0.625, 1.875, -1.875, -0.375, -0.75, -0.75, -0.25, 0.0, 0.625]),
    ('nearest', (5, 7), 'legacy'): (
        [0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 2.96, 3.33, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 2.96, 3.33, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 0.92, 1.29, 0.92, 1.29, 1.66, 2.03, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51],
        [-8.0, -4.0, 8.0, -2.0, -4.0, 0.0, 4.0, 6.0, -8.0, -4.0, 8.0, -2.0, -4.0, 0.0, 4.0, 6.0, -4.0, -2.0, 4.0, -1.0, -2.0, 0.0, 2.0, 3.0]),
    ('nearest', (5, 7), 'align'): (
        [0.0, 0.37, 0.74, 1.11, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 2.22, 2.59, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 0.18, 0.55, 2.96, 3.33, 3.7, 4.07, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 0.18, 0.55, 0.92, 1.29, 1.66, 2.03, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51, 3.14, 3.51, 0.92, 1.29, 1.66, 2.03, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51, 3.14, 3.51],
        [-3.0, -2.0, 0.0, 2.0, 1.0, -4.0, 2.0, 4.0, -6.0, -4.0, 0.0, 4.0, 2.0, -8.0, 4.0, 8.0, -6.0, -4.0, 0.0, 4.0, 2.0, -8.0, 4.0, 8.0]),
    ('nearest', (5, 7), 'half'): (
        [0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 2.22, 2.59, 0.0, 0.37, 0.0, 0.37, 0.74, 1.11, 1.48, 1.85, 1.48, 1.85, 2.22, 2.59, 2.22, 2.59, 2.96, 3.33, 2.96, 3.33, 3.7, 4.07, 4.44, 4.81, 4.44, 4.81, 0.18, 0.55, 0.18, 0.55, 0.92, 1.29, 0.92, 1.29, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51, 3.14, 3.51, 0.92, 1.29, 0.92, 1.29, 1.66, 2.03, 2.4, 2.77, 2.4, 2.77, 3.14, 3.51, 3.14, 3.51],
        [-8.0, -4.0, 2.0, 4.0, 2.0, -8.0, 4.0, 8.0, -4.0, -2.0, 1.0, 2.0, 1.0, -4.0, 2.0, 4.0, -8.0, -4.0, 2.0, 4.0, 2.0, -8.0, 4.0, 8.0]),
    ('nearest', (2, 3), 'legacy'): (
        [0.0, 0.37, 0.74, 1.11, 1.48, 1.85, 2.96, 3.33, 3.7, 4.07, 4.44, 4.81],
        [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 3.0, -3.0, -2.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ('nearest', (2, 3), 'align'): (
        [0.0, 0.37, 1.48, 1.85, 2.22, 2.59, 0.92, 1.29, 2.4, 2.77, 3.14, 3.51],
        [-3.0, -2.0, 0.0, 0.0, -1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, -3.0, 0.0, 0.0, -2.0, -1.0, 0.0, 1.0]),
    ('nearest', (2, 3), 'half'): (
        [0.0, 0.37, 1.48, 1.85, 2.22, 2.59, 0.92, 1.29, 2.4, 2.77, 3.14, 3.51],
        [-3.0, -2.0, 0.0, 0.0, -1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, -3.0, 0.0, 0.0, -2.0, -1.0, 0.0, 1.0]),
}


def _resize(op, x, size, mode):
    fn = tf.image.resize_bilinear if op == "bilinear" else tf.image.resize_nearest_neighbor
    return fn(x, size, align_corners=mode == "align", half_pixel_centers=mode == "half")


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: "-".join(map(str, k)))
def test_values_and_gradients_as_tf(key):
    op, size, mode = key
    want_y, want_g = EXPECTED[key]
    with tf.Graph().as_default():
        x = tf.constant(X)
        y = _resize(op, x, size, mode)
        assert y.shape.as_list() == [1, *size, 2] and y.dtype == tf.float32
        w = (np.arange(y.shape.num_elements()) % 7 - 3).reshape(y.shape.as_list())
        gx = tf.gradients(tf.reduce_sum(y * w.astype(np.float32)), x)[0]
        grad_type = "ResizeBilinearGrad" if op == "bilinear" else "ResizeNearestNeighborGrad"
        assert gx.op.type == grad_type
        assert gx.op.get_attr("align_corners") == (mode == "align")
        assert gx.op.get_attr("half_pixel_centers") == (mode == "half")
        yv, gv = run_once([y, gx])
    np.testing.assert_allclose(yv.ravel(), want_y, atol=2e-5)
    np.testing.assert_allclose(gv.ravel(), want_g, atol=2e-5)


def test_graphs_as_tf():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 4, 5, 3], name="x")
        a = tf.image.resize_bilinear(x, [8, 10])
        b = tf.image.resize_nearest_neighbor(x, [8, 10], align_corners=True)
        c = tf.image.resize_images(x, [8, 10])
        d = tf.image.resize(x, [8, 10], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
        e = tf.image.resize_images(x[0], [3, 5], method="nearest")
        same = tf.image.resize_images(x, [4, 5])
        ops = [(o.name, o.type) for o in g.get_operations()]
    assert ("ResizeBilinear/size", "Const") in ops
    assert (a.op.name, b.op.name, c.op.name, d.op.name) == (
        "ResizeBilinear", "ResizeNearestNeighbor", "resize/ResizeBilinear",
        "resize_1/ResizeNearestNeighbor")
    assert a.op.get_attr("T") == tf.float32
    assert (a.op.get_attr("align_corners"), a.op.get_attr("half_pixel_centers")) == (False,
                                                                                   False)
    assert b.op.get_attr("align_corners") is True
    assert a.shape.as_list() == [2, 8, 10, 3]
    assert e.op.type == "Squeeze" and e.shape.as_list() == [3, 5, 3]
    assert same is x  # already the requested size: returned as it is


def test_dtypes():
    img = np.arange(2 * 3 * 4).reshape(2, 3, 4, 1)
    with tf.Graph().as_default():
        outs = {}
        for dt in (np.uint8, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64):
            outs[dt] = (tf.image.resize_bilinear(img.astype(dt), [4, 5]),
                        tf.image.resize_nearest_neighbor(img.astype(dt), [4, 5]))
        values = run_once(outs)
    ref_b, ref_n = values[np.float32]
    for dt, (b, n) in values.items():
        assert b.dtype == np.float32 and n.dtype == dt
        np.testing.assert_array_equal(b, ref_b)
        np.testing.assert_array_equal(n, ref_n.astype(dt))
    # TF 2.21's nearest-neighbor resize of this uint8 image to [4, 5], first image.
    np.testing.assert_array_equal(
        values[np.uint8][1][0, :, :, 0],
        [[0, 0, 1, 2, 3], [0, 0, 1, 2, 3], [4, 4, 5, 6, 7], [8, 8, 9, 10, 11]])


def test_unknown_shapes_and_dynamic_size():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None, None, 3])
        size = tf.placeholder(tf.int32, [2])
        y = tf.image.resize_bilinear(x, size)
        assert y.shape.as_list() == [None, None, None, 3] and y.dtype == tf.float32
        z = tf.image.resize_nearest_neighbor(x, [-1, 4])
        assert z.shape.as_list() == [None, None, 4, 3] and z.dtype == tf.float64
        gy = tf.gradients(tf.reduce_sum(y), x)[0]
        gz = tf.gradients(tf.reduce_sum(tf.image.resize_nearest_neighbor(x, size)), x)[0]
        v = np.ones([1, 2, 2, 3])
        out = run_once([y, gy, gz], {x: v, size: [3, 4]})
    assert out[0].shape == (1, 3, 4, 3)
    # Each output pixel's weights sum to one; nearest rows [0, 0, 1], columns [0, 0, 1, 1].
    np.testing.assert_allclose(out[1].sum(axis=(1, 2)), np.full([1, 3], 12.0), rtol=1e-6)
    np.testing.assert_allclose(out[2][0, :, :, 0], [[4, 4], [2, 2]])


@pytest.mark.parametrize("mode", ["legacy", "align", "half"])
@pytest.mark.parametrize("size", [(5, 7), (2, 3)])
def test_bilinear_float64_first_and_second_derivatives(mode, size):
    # The op computes in float32 (as TF's kernel): the output is float32, so the finite
    # differences use a large step; the function is quadratic in x, where central
    # differences are exact up to rounding.
    value = seeded_uniform([2, 3, 4, 2], "bil")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 4, 2])
        y = tf.square(tf.cast(_resize("bilinear", x, size, mode), tf.float64))
        assert_gradients_close([x], y, [value], tol=2e-3, delta=1e-2)


@pytest.mark.parametrize("mode", ["legacy", "align", "half"])
@pytest.mark.parametrize("size", [(5, 7), (2, 3)])
def test_nearest_float64_first_and_second_derivatives(mode, size):
    check_on_placeholders(lambda x: tf.square(_resize("nearest", x, size, mode)),
                          [([2, 3, 4, 2], seeded_uniform([2, 3, 4, 2], "nn"))])


def test_gradient_op_gradients_are_the_forward_resize():
    # symgrad differentiates ResizeBilinearGrad / ResizeNearestNeighborGrad (TF does not):
    # both are linear in grads, with the forward resize as adjoint.
    value = seeded_uniform([1, 3, 4, 2], "adj")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [1, 3, 4, 2])
        for op in ("bilinear", "nearest"):
            r = _resize(op, x, [5, 3], "half")
            seed = tf.square(tf.cast(r, tf.float32) if op == "bilinear" else r)
            gx = tf.gradients(seed, x)[0]
            assert_gradients_close([x], gx, [value], tol=2e-3, delta=1e-2, second_order=False)


def test_integer_images_have_no_gradient():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 2, 2, 1])
        y = tf.image.resize_bilinear(tf.cast(x, tf.int32), [3, 3])
        assert tf.gradients(tf.reduce_sum(y), x) == [None]


def _raises(cls, text, fn, feed=None):
    with tf.Graph().as_default():
        with pytest.raises(cls) as info:
            y = fn()
            run_once(y, feed)
    assert text in str(info.value), str(info.value)


def test_errors_as_tf():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1)
    _raises(ValueError, "Shape must be rank 4 but is rank 3 for '{{node ResizeBilinear}} = "
            "ResizeBilinear[T=DT_FLOAT, align_corners=false, half_pixel_centers=false]"
            "(ResizeBilinear/images, ResizeBilinear/size)' with input shapes: [3,4,1], [2].",
            lambda: tf.image.resize_bilinear(x[0], [2, 2]))
    _raises(ValueError, "Dimension must be 2 but is 3 for '{{node ResizeNearestNeighbor}} = "
            "ResizeNearestNeighbor[T=DT_FLOAT, align_corners=false, half_pixel_centers=false]"
            "(ResizeNearestNeighbor/images, ResizeNearestNeighbor/size)' with input shapes: "
            "[2,3,4,1], [3].", lambda: tf.image.resize_nearest_neighbor(x, [2, 2, 2]))
    _raises(ValueError, "Shape must be rank 1 but is rank 2",
            lambda: tf.image.resize_bilinear(x, [[2, 2]]))
    _raises(TypeError, "Input 'size' of 'ResizeBilinear' Op has type int64 that does not match "
            "expected type of int32.",
            lambda: tf.image.resize_bilinear(x, tf.constant([2, 2], tf.int64)))
    _raises(TypeError, "Value passed to parameter 'images' has DataType bool not in list of "
            "allowed values: int8, uint8, int16, uint16, int32, int64, bfloat16, float16, "
            "float32, float64, bfloat16",
            lambda: tf.image.resize_bilinear(x.astype(bool), [2, 2]))
    _raises(TypeError, "Value passed to parameter 'images' has DataType bool not in list of "
            "allowed values: int8, uint8, int16, uint16, int32, int64, float16, float32, "
            "float64, bfloat16",
            lambda: tf.image.resize_nearest_neighbor(x.astype(bool), [2, 2]))
    _raises(tf.errors.InvalidArgumentError,
            "If half_pixel_centers is True, align_corners must be False.",
            lambda: tf.image.resize_bilinear(x, [2, 2], align_corners=True,
                                             half_pixel_centers=True))
    _raises(tf.errors.InvalidArgumentError, "output dimensions must be positive",
            lambda: tf.image.resize_bilinear(x, [0, 2]))
    _raises(tf.errors.InvalidArgumentError, "output dimensions must be positive",
            lambda: tf.image.resize_nearest_neighbor(x, [-1, 2]))
    _raises(tf.errors.InvalidArgumentError, "input image must be of non-zero size",
            lambda: tf.image.resize_bilinear(np.zeros([1, 0, 2, 1], np.float32), [2, 2]))


def test_resize_images_errors_as_tf():
    x = np.zeros([2, 3, 4, 1], np.float32)
    _raises(ValueError, "Resize method is not implemented: 7",
            lambda: tf.image.resize_images(x, [2, 2], method=7))
    _raises(ValueError, "'size' must be a 1-D Tensor of 2 elements: new_height, new_width",
            lambda: tf.image.resize_images(x, [2, 2, 2]))
    _raises(ValueError, "'images' must have either 3 or 4 dimensions.",
            lambda: tf.image.resize_images(x[0, 0], [2, 2]))
    _raises(ValueError, "'images' contains no shape.",
            lambda: tf.image.resize_images(tf.placeholder(tf.float32), [2, 2]))
    _raises(ValueError, "'size' must be a 1-D int32 Tensor",
            lambda: tf.image.resize_images(x, "a"))


def test_resize_images_unchanged_and_aspect_ratio():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1)
    with tf.Graph().as_default():
        same = tf.image.resize_images(x, [3, 4])
        assert same.op.type == "Const"
        kept = tf.image.resize_images(x, [6, 6], preserve_aspect_ratio=True)
        # TF's shape inference runs the small constant subgraph computing the new size.
        assert kept.shape.as_list() == [2, 4, 6, 1]
        v = run_once(kept)
    # TF 2.21: size [6, 6] with aspect ratio kept is [4, 6]; first row of the first image.
    assert v.shape == (2, 4, 6, 1)
    np.testing.assert_allclose(v[0, 0, :, 0], [0, 2 / 3, 4 / 3, 2, 8 / 3, 3], rtol=1e-6)
