"""tf.image helpers (flips, rotations, crops and pads, colour and dtype conversion, brightness
and contrast): values against numpy, graphs as TF 2.21 builds them (recorded below), float64
first and second derivatives against finite differences, and TF's errors.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

IMG3 = (np.arange(60) * 0.37 % 5).reshape(3, 5, 4)
IMG4 = (np.arange(120) * 0.53 % 7).reshape(2, 3, 5, 4)
U8 = (np.arange(60) * 37 % 256).reshape(4, 5, 3).astype(np.uint8)


def _run(fn, value, shape="static", dtype=None):
    """``fn`` applied to a placeholder of ``value``'s type: static or dynamic shape."""
    g = tf.Graph()
    with g.as_default():
        dims = {"static": list(value.shape), "dynamic": [None] * value.ndim,
                "unknown": None}[shape]
        x = tf.placeholder(tf.as_dtype(dtype or value.dtype), dims, name="x")
        y = fn(x)
        with tf.Session(graph=g) as sess:
            return sess.run(y, {x: value}), y


def _ops(fn, value, shape="static"):
    g = tf.Graph()
    with g.as_default():
        dims = list(value.shape) if shape == "static" else [None] * value.ndim
        fn(tf.placeholder(tf.as_dtype(value.dtype), dims, name="x"))
        return [(op.name, op.type) for op in g.get_operations()][1:]


def _rot90(image, k, batched):
    axes = (1, 2) if batched else (0, 1)
    return np.rot90(image, k, axes=axes)


SHAPES = ["static", "dynamic", "unknown"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("image", [IMG3, IMG4], ids=["3d", "4d"])
def test_flips_transpose_and_rotations(image, shape):
    if shape == "unknown" and image.ndim == 4:
        pytest.skip("an unknown rank is taken as 3-D by the static shape checks")
    batched = image.ndim == 4
    h, w = (1, 2) if batched else (0, 1)
    cases = [
        (tf.image.flip_left_right, np.flip(image, w)),
        (tf.image.flip_up_down, np.flip(image, h)),
        (tf.image.transpose, np.swapaxes(image, h, w)),
        (tf.image.rot90, _rot90(image, 1, batched)),
        (lambda x: tf.image.rot90(x, 2), _rot90(image, 2, batched)),
        (lambda x: tf.image.rot90(x, k=-1), _rot90(image, 3, batched)),
        (lambda x: tf.image.rot90(x, 4), image),
    ]
    for fn, expected in cases:
        got, _ = _run(fn, image, shape)
        np.testing.assert_array_equal(got, expected)


def test_static_shapes_follow_tf():
    x3 = tf.placeholder(tf.float32, [3, None, 4])
    assert tf.image.flip_left_right(x3).shape.as_list() == [3, None, 4]
    assert tf.image.rot90(x3).shape.as_list() == [None, None, 4]
    assert tf.image.transpose(x3).shape.as_list() == [None, 3, 4]
    x4 = tf.placeholder(tf.float32, [2, 3, 5, 4])
    assert tf.image.rot90(x4).shape.as_list() == [2, None, None, 4]
    assert tf.image.central_crop(x4, 0.5).shape.as_list() == [2, 3, 3, 4]
    assert tf.image.crop_to_bounding_box(x4, 1, 1, 2, 3).shape.as_list() == [2, 2, 3, 4]
    assert tf.image.pad_to_bounding_box(x4, 1, 1, 6, 7).shape.as_list() == [2, 6, 7, 4]
    assert tf.image.resize_image_with_crop_or_pad(x4, 2, 7).shape.as_list() == [2, 2, 7, 4]
    unknown = tf.placeholder(tf.float32)
    assert tf.image.flip_up_down(unknown).shape.ndims is None  # a cond of rank 3 and 4


# TF 2.21's graphs for a static [3, 5, 4] float32 image (placeholder "x" left out).
FLIP_OPS = [("flip_left_right/control_dependency", "Identity"),
            ("flip_left_right/ReverseV2/axis", "Const"),
            ("flip_left_right/ReverseV2", "ReverseV2")]
CROP_OPS = [
    ("crop_to_bounding_box/ExpandDims/dim", "Const"),
    ("crop_to_bounding_box/ExpandDims", "ExpandDims"),
    ("crop_to_bounding_box/control_dependency", "Identity"),
    ("crop_to_bounding_box/stack", "Const"),
    ("crop_to_bounding_box/Shape", "Const"),
    ("crop_to_bounding_box/strided_slice/stack", "Const"),
    ("crop_to_bounding_box/strided_slice/stack_1", "Const"),
    ("crop_to_bounding_box/strided_slice/stack_2", "Const"),
    ("crop_to_bounding_box/strided_slice", "StridedSlice"),
    ("crop_to_bounding_box/Shape_1", "Const"),
    ("crop_to_bounding_box/strided_slice_1/stack", "Const"),
    ("crop_to_bounding_box/strided_slice_1/stack_1", "Const"),
    ("crop_to_bounding_box/strided_slice_1/stack_2", "Const"),
    ("crop_to_bounding_box/strided_slice_1", "StridedSlice"),
    ("crop_to_bounding_box/stack_1/1", "Const"),
    ("crop_to_bounding_box/stack_1/2", "Const"),
    ("crop_to_bounding_box/stack_1", "Pack"),
    ("crop_to_bounding_box/Slice", "Slice"),
    ("crop_to_bounding_box/Squeeze", "Squeeze"),
]


GRAY_TO_RGB_OPS = [
    ("grayscale_to_rgb/control_dependency", "Identity"), ("grayscale_to_rgb/Rank", "Const"),
    ("grayscale_to_rgb/sub/y", "Const"), ("grayscale_to_rgb/sub", "Sub"),
    ("grayscale_to_rgb/ExpandDims/dim", "Const"), ("grayscale_to_rgb/ExpandDims", "ExpandDims"),
    ("grayscale_to_rgb/ones/Const", "Const"), ("grayscale_to_rgb/ones", "Fill"),
    ("grayscale_to_rgb/ExpandDims_1/input", "Const"),
    ("grayscale_to_rgb/ExpandDims_1/dim", "Const"),
    ("grayscale_to_rgb/ExpandDims_1", "ExpandDims"), ("grayscale_to_rgb/concat/axis", "Const"),
    ("grayscale_to_rgb/concat", "ConcatV2"), ("grayscale_to_rgb", "Tile")]
ADJUST_OPS = [("adjust_contrast/contrast_factor", "Const"), ("adjust_contrast", "AdjustContrastv2"),
              ("adjust_contrast/Identity", "Identity"), ("adjust_brightness/Cast/x", "Const"),
              ("adjust_brightness", "AddV2"), ("adjust_brightness/Identity", "Identity")]


def test_graphs_are_tfs():
    assert _ops(tf.image.flip_left_right, IMG3.astype(np.float32)) == FLIP_OPS
    gray = U8[..., :1].astype(np.float32)
    assert _ops(tf.image.grayscale_to_rgb, gray) == GRAY_TO_RGB_OPS
    adjust = _ops(lambda x: [tf.image.adjust_contrast(x, 1.7),
                             tf.image.adjust_brightness(x, 0.25)], IMG3.astype(np.float32))
    assert adjust == ADJUST_OPS
    crop = _ops(lambda x: tf.image.crop_to_bounding_box(x, 1, 1, 2, 3), IMG3.astype(np.float32))
    assert crop == CROP_OPS


@pytest.mark.parametrize("shape", ["static", "dynamic"])
@pytest.mark.parametrize("image", [IMG3, IMG4], ids=["3d", "4d"])
def test_crops_and_pads(image, shape):
    batched = image.ndim == 4
    lead = (slice(None),) if batched else ()

    def crop(h0, w0, h, w):
        return image[lead + (slice(h0, h0 + h), slice(w0, w0 + w))]

    got, _ = _run(lambda x: tf.image.crop_to_bounding_box(x, 1, 1, 2, 3), image, shape)
    np.testing.assert_array_equal(got, crop(1, 1, 2, 3))
    got, _ = _run(lambda x: tf.image.central_crop(x, 0.5), image, shape)
    h, w = image.shape[-3:-1]
    h0, w0 = int((h - h * 0.5) / 2), int((w - w * 0.5) / 2)
    np.testing.assert_array_equal(got, crop(h0, w0, h - 2 * h0, w - 2 * w0))
    got, _ = _run(lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 6, 8), image, shape)
    pads = [(1, 6 - 1 - h), (2, 8 - 2 - w), (0, 0)]
    np.testing.assert_array_equal(got, np.pad(image, ([(0, 0)] if batched else []) + pads))
    got, _ = _run(lambda x: tf.image.resize_with_crop_or_pad(x, 2, 7), image, shape)
    # Height 3 -> 2: crop from offset 0; width 5 -> 7: pad one column on each side.
    expected = np.pad(crop(0, 0, 2, 5), ([(0, 0)] if batched else []) + [(0, 0), (1, 1),
                                                                          (0, 0)])
    np.testing.assert_array_equal(got, expected)


def test_central_crop_with_fraction_one_is_the_image():
    x = tf.placeholder(tf.float32, [3, 5, 4])
    assert tf.image.central_crop(x, 1.0) is x


def test_bounding_box_errors():
    x = tf.placeholder(tf.float32, [3, 5, 4])
    with pytest.raises(ValueError, match="offset_width must be >= 0."):
        tf.image.crop_to_bounding_box(x, 0, -1, 2, 2)
    with pytest.raises(ValueError, match=r"width must be >= target \+ offset."):
        tf.image.crop_to_bounding_box(x, 0, 3, 2, 3)
    with pytest.raises(ValueError, match="target_height must be > 0."):
        tf.image.crop_to_bounding_box(x, 0, 0, 0, 3)
    with pytest.raises(ValueError, match="height must be <= target - offset"):
        tf.image.pad_to_bounding_box(x, 1, 0, 3, 5)
    with pytest.raises(ValueError, match="central_fraction must be within"):
        tf.image.central_crop(x, 1.5)
    with pytest.raises(ValueError, match="must have either 3 or 4 dimensions"):
        tf.image.flip_left_right(tf.placeholder(tf.float32, [1, 2, 3, 4, 5]))
    with pytest.raises(ValueError, match="must be at least three-dimensional"):
        tf.image.flip_left_right(tf.placeholder(tf.float32, [2, 3]))
    with pytest.raises(ValueError, match="inner 3 dims of 'image.shape' must be > 0"):
        tf.image.rot90(tf.placeholder(tf.float32, [3, 0, 2]))
    with pytest.raises(ValueError, match="Last dimension of a grayscale image should be size 1"):
        tf.image.grayscale_to_rgb(tf.placeholder(tf.float32, [3, 4, 2]))


def test_run_time_bounding_box_checks():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, None, 4])
        y = tf.image.crop_to_bounding_box(x, 1, 1, 2, 3)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"width must be >= target \+ offset."):
                sess.run(y, {x: IMG3[:, :3]})


def test_per_image_standardization():
    for image in (IMG3, IMG4):
        got, y = _run(tf.image.per_image_standardization, image.astype(np.float32))
        assert y.dtype == tf.float32 and y.op.name == "per_image_standardization"
        axes = (-1, -2, -3)
        mean = image.mean(axis=axes, keepdims=True)
        std = np.maximum(image.std(axis=axes, keepdims=True),
                         1 / np.sqrt(np.prod(image.shape[-3:])))
        np.testing.assert_allclose(got, (image - mean) / std, rtol=1e-5, atol=1e-5)
    got, y = _run(tf.image.per_image_standardization, U8)
    assert y.dtype == tf.float32
    np.testing.assert_allclose(got, (U8 - U8.mean()) / U8.std(), rtol=1e-5, atol=1e-5)


# TF 2.21 on U8: rgb_to_grayscale, adjust_brightness(0.5) and adjust_contrast(1.5) (the
# first 20 values of the last two).
RGB_TO_GRAY = [[30, 141, 72, 107, 189], [73, 184, 39, 150, 81], [116, 198, 82, 193, 48],
               [159, 90, 125, 207, 91]]
BRIGHTNESS_U8 = [127, 164, 201, 238, 255, 255, 255, 130, 167, 204, 241, 255, 255, 255, 133,
                 170, 207, 244, 255, 255]
CONTRAST_U8 = [0, 0, 52, 106, 162, 219, 255, 0, 1, 55, 111, 168, 222, 255, 0, 4, 60, 117,
               171, 227]
# TF 2.21: convert_image_dtype of [-0.1, 0.2, 0.5, 1.0, 1.2] (float32).
FLOATS = np.array([-0.1, 0.2, 0.5, 1.0, 1.2], np.float32)


def test_convert_image_dtype_scaling():
    got, _ = _run(lambda x: tf.image.convert_image_dtype(x, tf.float32), U8)
    np.testing.assert_allclose(got, U8 / 255.0, rtol=1e-6)
    got, _ = _run(lambda x: tf.image.convert_image_dtype(x, tf.int32), U8)
    # Integers scale by (2**31) // (2**8) one way, floordiv by it the other way.
    np.testing.assert_array_equal(got, U8.astype(np.int64) * 8388608)
    got, _ = _run(lambda x: tf.image.convert_image_dtype(x, tf.uint8),
                  U8.astype(np.int32) * 8388608 + 8388607)
    np.testing.assert_array_equal(got, U8)
    got, _ = _run(lambda x: tf.image.convert_image_dtype(x, tf.uint8, saturate=True), FLOATS)
    np.testing.assert_array_equal(got, [0, 51, 127, 255, 255])
    got, _ = _run(lambda x: tf.image.convert_image_dtype(x, tf.float64), FLOATS)
    assert got.dtype == np.float64
    same, y = _run(lambda x: tf.image.convert_image_dtype(x, tf.float32), FLOATS)
    assert y.op.type == "Identity"
    with pytest.raises(AttributeError, match="dtype must be either floating point or integer"):
        tf.image.convert_image_dtype(tf.constant(FLOATS), tf.bool)


def test_saturate_cast():
    got, y = _run(lambda x: tf.saturate_cast(x, tf.uint8),
                  np.array([-5.0, 3.7, 300.0], np.float32))
    np.testing.assert_array_equal(got, [0, 3, 255])
    assert y.op.type == "Cast" and y.op.name == "saturate_cast"


def test_grayscale_conversions():
    got, y = _run(tf.image.rgb_to_grayscale, U8)
    np.testing.assert_array_equal(got[..., 0], RGB_TO_GRAY)
    assert y.shape.as_list() == [4, 5, 1] and y.dtype == tf.uint8
    gray = U8[..., :1]
    for shape in ("static", "dynamic"):
        got, y = _run(tf.image.grayscale_to_rgb, gray, shape)
        np.testing.assert_array_equal(got, np.repeat(gray, 3, axis=-1))
    assert y.shape.as_list() == [None, None, 3]


def test_brightness_and_contrast():
    image = IMG4.astype(np.float32) / 7.0
    got, y = _run(lambda x: tf.image.adjust_brightness(x, 0.25), image)
    np.testing.assert_allclose(got, image + 0.25, rtol=1e-6)
    got, y = _run(lambda x: tf.image.adjust_contrast(x, 1.7), image)
    mean = image.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, (image - mean) * 1.7 + mean, rtol=1e-5, atol=1e-6)
    assert y.op.type == "Identity"
    assert y.op.inputs[0].op.type == "AdjustContrastv2"
    assert y.op.inputs[0].op.name == "adjust_contrast"
    got, _ = _run(lambda x: tf.image.adjust_brightness(x, 0.5), U8)
    np.testing.assert_array_equal(got.ravel()[:20], BRIGHTNESS_U8)
    got, _ = _run(lambda x: tf.image.adjust_contrast(x, 1.5), U8)
    np.testing.assert_array_equal(got.ravel()[:20], CONTRAST_U8)


def test_adjust_contrast_errors():
    with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 2"):
        tf.image.adjust_contrast(tf.placeholder(tf.float32, [3, 4]), 2.0)
    with pytest.raises(TypeError, match="Input 'contrast_factor' of 'AdjustContrastv2' Op has "
                                        "type float64 that does not match expected type of "
                                        "float32."):
        tf.image.adjust_contrast(tf.placeholder(tf.float32, [3, 4, 2]),
                                 tf.constant(2.0, tf.float64))
    x = tf.placeholder(tf.float32, [3, 4, 2])
    with pytest.raises(LookupError):
        tf.gradients(tf.image.adjust_contrast(x, 2.0), x)


def test_random_helpers():
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x3 = tf.constant(IMG3)
        x4 = tf.constant(IMG4)
        flips3 = [tf.image.random_flip_left_right(x3), tf.image.random_flip_up_down(x3)]
        flips4 = tf.image.random_flip_left_right(x4)
        crop = tf.random_crop(x4, [1, 2, 3, 4])
        bright = tf.image.random_brightness(x3, 0.3)
        contrast = tf.image.random_contrast(x3, 0.5, 1.5)
        with tf.Session() as sess:
            for _ in range(4):
                a, b, c, d, e, f = sess.run([*flips3, flips4, crop, bright, contrast])
                assert np.array_equal(a, IMG3) or np.array_equal(a, IMG3[:, ::-1])
                assert np.array_equal(b, IMG3) or np.array_equal(b, IMG3[::-1])
                for i in range(2):
                    assert (np.array_equal(c[i], IMG4[i])
                            or np.array_equal(c[i], IMG4[i, :, ::-1]))
                assert d.shape == (1, 2, 3, 4)
                assert np.abs(e - IMG3).max() <= 0.3 + 1e-6
                assert np.allclose(e - IMG3, (e - IMG3).flat[0], atol=1e-5)
                assert f.shape == IMG3.shape
    with pytest.raises(ValueError, match="upper must be > lower."):
        tf.image.random_contrast(tf.constant(IMG3), 1.0, 0.5)
    with pytest.raises(ValueError, match="max_delta must be non-negative."):
        tf.image.random_brightness(tf.constant(IMG3), -1.0)


def test_random_crop_checks_at_run_time():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [None, None])
        y = tf.random_crop(x, [3, 3])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="Need value.shape >= size"):
                sess.run(y, {x: np.zeros((2, 5))})


def test_total_variation():
    got, _ = _run(tf.image.total_variation, IMG3)
    expected = np.abs(np.diff(IMG3, axis=0)).sum() + np.abs(np.diff(IMG3, axis=1)).sum()
    np.testing.assert_allclose(got, expected)
    got, _ = _run(tf.image.total_variation, IMG4)
    expected = (np.abs(np.diff(IMG4, axis=1)).sum(axis=(1, 2, 3))
                + np.abs(np.diff(IMG4, axis=2)).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(got, expected)


GRADIENT_CASES = {
    "flip_left_right": tf.image.flip_left_right,
    "flip_up_down": tf.image.flip_up_down,
    "transpose": tf.image.transpose,
    "rot90": lambda x: tf.image.rot90(x, 3),
    "central_crop": lambda x: tf.image.central_crop(x, 0.6),
    "crop_to_bounding_box": lambda x: tf.image.crop_to_bounding_box(x, 1, 0, 2, 3),
    "pad_to_bounding_box": lambda x: tf.image.pad_to_bounding_box(x, 1, 1, 5, 6),
    "resize_with_crop_or_pad": lambda x: tf.image.resize_with_crop_or_pad(x, 4, 2),
    "per_image_standardization": lambda x: tf.cast(tf.image.per_image_standardization(x),
                                                   tf.float64),
    "total_variation": lambda x: tf.image.total_variation(x * x),
    "adjust_brightness": lambda x: tf.image.adjust_brightness(x, 0.2),
}


@pytest.mark.parametrize("shape", ["static", "dynamic"])
@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients(name, shape):
    rng = np.random.RandomState(len(name))
    value = rng.uniform(0.5, 1.5, (2, 3, 4, 2))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, list(value.shape) if shape == "static" else
                           [None, None, None, 2])
        y = GRADIENT_CASES[name](x)
        if name in ("per_image_standardization", "adjust_brightness"):
            # float32 inside: compare with a float32-sized step and tolerance.
            assert_gradients_close([x], y, [value], tol=2e-2, delta=1e-3, second_order=False)
        else:
            assert_gradients_close([x], y, [value], tol=1e-5)
