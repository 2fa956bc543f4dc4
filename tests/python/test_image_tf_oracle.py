"""tf.image helpers, EuclideanNorm and the 3-D window ops against TensorFlow as the oracle.

Skipped when tensorflow is not importable (the normal test run). To run it:

    PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python -m pytest \
        tests/python/test_image_tf_oracle.py

Each program is written once against ``tf.compat.v1`` and built with TF and with symgrad;
the graphs (``(op.name, op.type)`` of every op, in creation order), the static shapes and
the values of the outputs and of their gradients must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

IMG3 = (np.arange(60) * 0.37 % 5).reshape(3, 5, 4).astype(np.float32)
IMG4 = (np.arange(120) * 0.53 % 7).reshape(2, 3, 5, 4).astype(np.float32)
U8 = (np.arange(60) * 37 % 256).reshape(4, 5, 3).astype(np.uint8)


def _graph_ops(g):
    # The forward graph: gradient graphs and the internals of run-time Asserts come from
    # the gradient and check_ops modules and are compared by their own oracle tests.
    return [(op.name, op.type) for op in g.get_operations()
            if not op.name.startswith("gradients") and "/assert_" not in op.name
            and "/Assert/" not in op.name]


def _build(tf, program, feeds, with_grad):
    g = tf.Graph()
    with g.as_default():
        placeholders = [tf.placeholder(tf.as_dtype(v.dtype), s, name=f"in{i}")
                        for i, (s, v) in enumerate(feeds)]
        out = program(tf, *placeholders)
        fetches = [out]
        if with_grad:
            grads = tf.gradients(tf.reduce_sum(out * out), placeholders[0])
            fetches += [grad for grad in grads if grad is not None]
        with tf.Session(graph=g) as sess:
            values = sess.run(fetches, {p: v for p, (_, v) in zip(placeholders, feeds)})
        return _graph_ops(g), out.shape.as_list() if out.shape.rank is not None else None, \
            values


def _compare(program, feeds, with_grad=False, same_graph=True, rtol=1e-5, atol=1e-5):
    ops_tf, shape_tf, values_tf = _build(tf1, program, feeds, with_grad)
    ops_sg, shape_sg, values_sg = _build(symgrad, program, feeds, with_grad)
    if same_graph:
        assert ops_sg == ops_tf
    assert shape_sg == shape_tf
    assert len(values_sg) == len(values_tf)
    for a, b in zip(values_sg, values_tf):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


STATIC3 = [([3, 5, 4], IMG3)]
STATIC4 = [([2, 3, 5, 4], IMG4)]
DYNAMIC3 = [([None, None, 4], IMG3)]
DYNAMIC4 = [([None, None, None, 4], IMG4)]
UNKNOWN = [(None, IMG3)]

PROGRAMS = {
    "flip_left_right": lambda tf, x: tf.image.flip_left_right(x),
    "flip_up_down": lambda tf, x: tf.image.flip_up_down(x),
    "transpose": lambda tf, x: tf.image.transpose(x),
    "rot90_1": lambda tf, x: tf.image.rot90(x),
    "rot90_3": lambda tf, x: tf.image.rot90(x, k=3),
    "per_image_standardization": lambda tf, x: tf.image.per_image_standardization(x),
    "central_crop": lambda tf, x: tf.image.central_crop(x, 0.5),
    "crop_to_bounding_box": lambda tf, x: tf.image.crop_to_bounding_box(x, 1, 1, 2, 3),
    "pad_to_bounding_box": lambda tf, x: tf.image.pad_to_bounding_box(x, 1, 2, 6, 8),
    "resize_with_crop_or_pad": lambda tf, x: tf.image.resize_image_with_crop_or_pad(x, 2, 7),
    "adjust_brightness": lambda tf, x: tf.image.adjust_brightness(x, 0.25),
    "adjust_contrast": lambda tf, x: tf.image.adjust_contrast(x, 1.7),
    "total_variation": lambda tf, x: tf.image.total_variation(x),
    "euclidean_norm": lambda tf, x: tf.math.reduce_euclidean_norm(x, axis=[0, 2]),
    "euclidean_norm_keep": lambda tf, x: tf.math.reduce_euclidean_norm(x, 1, keepdims=True),
}
# TF 2.21 builds `cond`/`case` as functional If ops; symgrad's graphs differ there.
USES_COND = {"rot90_1", "rot90_3"}
HAS_GRADIENT = {"flip_left_right", "flip_up_down", "transpose", "rot90_1", "rot90_3",
                "per_image_standardization", "central_crop", "crop_to_bounding_box",
                "pad_to_bounding_box", "resize_with_crop_or_pad", "adjust_brightness",
                "total_variation", "euclidean_norm", "euclidean_norm_keep"}


@pytest.mark.parametrize("feeds", [STATIC3, STATIC4, DYNAMIC3, DYNAMIC4],
                         ids=["static3", "static4", "dynamic3", "dynamic4"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_image_helper_matches_tf(name, feeds):
    _compare(PROGRAMS[name], feeds, with_grad=name in HAS_GRADIENT,
             same_graph=name not in USES_COND and feeds in (STATIC3, STATIC4))


@pytest.mark.parametrize("name", ["flip_left_right", "transpose", "rot90_1"])
def test_unknown_rank_matches_tf(name):
    _compare(PROGRAMS[name], UNKNOWN, with_grad=True, same_graph=False)


@pytest.mark.parametrize("target", [np.float32, np.float64, np.int32, np.uint8, np.int8,
                                    np.int16, np.int64])
@pytest.mark.parametrize("source", ["u8", "f32", "i32"])
@pytest.mark.parametrize("saturate", [False, True])
def test_convert_image_dtype_matches_tf(source, target, saturate):
    # Out-of-range floats only with saturate. TF's int64 clamp limit 2**63 is itself out of
    # range, and its Cast gives int64's minimum there; symgrad's Cast converts out-of-range
    # floats as TF's does (C++'s conversion), so the two agree on that too.
    floats = IMG3 / 4.0 - 0.1 if saturate else IMG3 / 5.0
    value = {"u8": U8, "f32": floats, "i32": (U8.astype(np.int32) - 100) * 9999999}
    feeds = [([None, None, value[source].shape[-1]], value[source])]
    # saturate: symgrad clamps with Minimum/Maximum where TF has ClipByValue (documented).
    _compare(lambda tf, x: tf.image.convert_image_dtype(x, tf.as_dtype(target),
                                                        saturate=saturate), feeds,
             same_graph=not saturate)


@pytest.mark.parametrize("name", ["rgb_to_grayscale", "grayscale_to_rgb", "adjust_brightness",
                                  "adjust_contrast"])
def test_colour_helpers_on_uint8_match_tf(name):
    image = U8[..., :1] if name == "grayscale_to_rgb" else U8
    fns = {
        "rgb_to_grayscale": lambda tf, x: tf.image.rgb_to_grayscale(x),
        "grayscale_to_rgb": lambda tf, x: tf.image.grayscale_to_rgb(x),
        "adjust_brightness": lambda tf, x: tf.image.adjust_brightness(x, 0.1),
        "adjust_contrast": lambda tf, x: tf.image.adjust_contrast(x, 1.5),
    }
    _compare(fns[name], [(list(image.shape), image)], same_graph=False)
    _compare(fns[name], [([None, None, image.shape[2]], image)], same_graph=False)


def test_random_helpers_build_tf_graphs():
    for fn in [lambda tf, x: tf.image.random_flip_left_right(tf.expand_dims(x, 0), seed=3),
               lambda tf, x: tf.image.random_flip_up_down(tf.expand_dims(x, 0), seed=3),
               lambda tf, x: tf.image.random_brightness(x, 0.2, seed=3),
               lambda tf, x: tf.image.random_contrast(x, 0.5, 1.5, seed=3),
               lambda tf, x: tf.random_crop(x, [2, 3, 4], seed=3)]:
        for feeds in (STATIC3, DYNAMIC3):
            ops_tf = _build(tf1, fn, feeds, False)[0]
            ops_sg = _build(symgrad, fn, feeds, False)[0]
            assert ops_sg == ops_tf


WINDOW_X = (np.arange(2 * 4 * 5 * 6 * 3) * 0.31 % 3).reshape(2, 4, 5, 6, 3).astype(np.float32)
FILTER = (np.arange(2 * 3 * 2 * 3 * 4) * 0.17 % 1.3 - 0.6).reshape(2, 3, 2, 3, 4).astype(
    np.float32)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("strides", [[1, 1, 1, 1, 1], [1, 2, 1, 3, 1]])
def test_conv3d_matches_tf(padding, strides):
    def program(tf, x):
        return tf.nn.conv3d(x, tf.constant(FILTER), strides, padding)
    _compare(program, [([None, 4, 5, 6, 3], WINDOW_X)], with_grad=True, rtol=1e-4,
             atol=1e-4)


@pytest.mark.parametrize("op", ["max_pool3d", "avg_pool3d"])
@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pool3d_matches_tf(op, padding):
    def program(tf, x):
        return getattr(tf.nn, op)(x, [1, 2, 3, 2, 1], [1, 2, 2, 1, 1], padding)
    _compare(program, [([None, 4, 5, 6, 3], WINDOW_X)], with_grad=True)
