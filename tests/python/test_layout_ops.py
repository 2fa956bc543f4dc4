"""Element-rearranging ops (SpaceToDepth, DepthToSpace, SpaceToBatchND, BatchToSpaceND, Roll,
ReverseSequence, TensorScatter*) and shape helpers (BroadcastArgs, broadcast_static_shape,
ShapeN, parallel_stack, UnravelIndex): values, graphs, errors as TF 2.21 gives them, and
float64 first and second derivatives against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import check_on_placeholders, run_once, seeded_uniform


def _attrs(op, names):
    return {n: op.get_attr(n) for n in names}


# ----- numpy references (checked against TF in test_layout_tf_oracle.py) -----
def np_space_to_depth(x, b):
    n, h, w, c = x.shape
    y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


def np_depth_to_space(x, b):
    n, h, w, c = x.shape
    y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


def np_space_to_batch(x, block, pads):
    m = len(block)
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - m - 1))
    n = x.shape[0]
    spatial = padded.shape[1:m + 1]
    rest = padded.shape[m + 1:]
    shape = [n]
    for s, b in zip(spatial, block):
        shape += [s // b, b]
    y = padded.reshape(shape + list(rest))
    # -> block offsets first, then batch, then the reduced spatial dims.
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    y = y.transpose(perm)
    return y.reshape([n * int(np.prod(block))] + [s // b for s, b in zip(spatial, block)]
                     + list(rest))


def np_reverse_sequence(x, lengths, seq, batch):
    out = x.copy()
    for b, length in enumerate(lengths):
        src = [slice(None)] * x.ndim
        src[batch] = b
        src[seq] = slice(0, length)
        dst = list(src)
        out[tuple(dst)] = np.flip(x[tuple(src)], axis=seq - (1 if batch < seq else 0))
    return out


# ----- SpaceToDepth / DepthToSpace -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, bool])
def test_space_to_depth_and_back_values(dtype):
    x = (np.arange(2 * 4 * 6 * 3) % 7).reshape(2, 4, 6, 3).astype(dtype)
    with tf.Graph().as_default():
        y = tf.space_to_depth(x, 2)
        assert y.op.type == "SpaceToDepth" and y.op.name == "SpaceToDepth"
        assert y.shape.as_list() == [2, 2, 3, 12]
        assert _attrs(y.op, ["block_size", "data_format"]) == {"block_size": 2,
                                                               "data_format": b"NHWC"}
        z = tf.depth_to_space(y, 2)
        assert z.op.type == "DepthToSpace" and z.shape.as_list() == [2, 4, 6, 3]
        yv, zv = run_once([y, z])
    np.testing.assert_array_equal(yv, np_space_to_depth(x, 2))
    np.testing.assert_array_equal(zv, x)
    np.testing.assert_array_equal(np_depth_to_space(np_space_to_depth(x, 2), 2), x)


def test_nn_aliases_are_the_same_functions():
    assert tf.nn.space_to_depth is tf.space_to_depth
    assert tf.nn.depth_to_space is tf.depth_to_space
    assert tf.nn.space_to_batch is tf.space_to_batch
    assert tf.manip.roll is tf.roll


def test_space_to_depth_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 2 "
                                             "but is 5"):
            tf.space_to_depth(tf.placeholder(tf.float32, [2, 5, 6, 3]), 2)
        with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 4 "
                                             "but is 3"):
            tf.depth_to_space(tf.placeholder(tf.float32, [2, 5, 6, 3]), 2)
        with pytest.raises(ValueError, match="Attr 'block_size' of 'SpaceToDepth' Op passed 1 "
                                             "less than minimum 2."):
            tf.space_to_depth(tf.placeholder(tf.float32, [2, 4, 6, 3]), 1)
        with pytest.raises(ValueError, match="Shape must be rank 4 but is rank 3"):
            tf.space_to_depth(tf.placeholder(tf.float32, [4, 6, 3]), 2)
        x = tf.placeholder(tf.float32, [None, None, None, 3])
        y = tf.space_to_depth(x, 2)
        assert y.shape.as_list() == [None, None, None, 12]
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Image height 3 and width 4 should be divisible by "
                                 "block_size: 2"):
            run_once(y, {x: np.zeros([1, 3, 4, 3])})


def test_space_depth_gradients():
    x = seeded_uniform([1, 4, 2, 2], "s2d")
    check_on_placeholders(lambda t: tf.square(tf.space_to_depth(t, 2)), [([1, 4, 2, 2], x)])
    check_on_placeholders(lambda t: tf.square(tf.depth_to_space(t, 2)),
                          [([1, 2, 1, 8], seeded_uniform([1, 2, 1, 8], "d2s"))])


# ----- SpaceToBatchND / BatchToSpaceND -----
def test_space_to_batch_nd_values_and_graph():
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    with tf.Graph().as_default():
        y = tf.space_to_batch_nd(x, [2, 3], [[1, 0], [1, 1]])
        assert y.op.type == "SpaceToBatchND"
        assert [i.name for i in y.op.inputs][1:] == ["SpaceToBatchND/block_shape:0",
                                                    "SpaceToBatchND/paddings:0"]
        assert _attrs(y.op, ["T", "Tblock_shape", "Tpaddings"]) == {
            "T": tf.float32, "Tblock_shape": tf.int32, "Tpaddings": tf.int32}
        assert y.shape.as_list() == [12, 2, 2, 2]
        z = tf.batch_to_space_nd(y, [2, 3], [[1, 0], [1, 1]])
        assert z.op.type == "BatchToSpaceND" and z.shape.as_list() == [2, 3, 4, 2]
        assert z.op.get_attr("Tcrops") == tf.int32
        yv, zv = run_once([y, z])
    np.testing.assert_array_equal(yv, np_space_to_batch(x, [2, 3], [[1, 0], [1, 1]]))
    np.testing.assert_array_equal(zv, x)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int64, np.int8, bool])
def test_space_to_batch_nd_dtypes_and_rest_dims(dtype):
    x = (np.arange(1 * 4 * 3 * 2) % 5).reshape(1, 4, 3, 2).astype(dtype)
    with tf.Graph().as_default():
        y = tf.space_to_batch_nd(x, [2], [[0, 2]])  # one block dim; dims 2, 3 ride along
        assert y.shape.as_list() == [2, 3, 3, 2]
        yv, zv = run_once([y, tf.batch_to_space_nd(y, [2], [[0, 2]])])
    np.testing.assert_array_equal(yv, np_space_to_batch(x, [2], [[0, 2]]))
    np.testing.assert_array_equal(zv, x)


def test_space_to_batch_v1_forms():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    with tf.Graph().as_default():
        y = tf.space_to_batch(x, [[0, 0], [0, 0]], block_size=2)
        assert y.op.type == "SpaceToBatchND" and y.op.get_attr("Tblock_shape") == tf.int64
        z = tf.batch_to_space(y, [[0, 0], [0, 0]], 2)
        assert z.op.get_attr("Tblock_shape") == tf.int64
        yv, zv = run_once([y, z])
    np.testing.assert_array_equal(yv, np_space_to_batch(x, [2, 2], [[0, 0], [0, 0]]))
    np.testing.assert_array_equal(zv, x)


def test_space_to_batch_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 4, 6, 3])
        with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 3 "
                                             "but is 4"):
            tf.space_to_batch_nd(x, [3, 3], [[0, 0], [0, 0]])
        with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 6 "
                                             "but is 7"):
            tf.batch_to_space_nd(tf.placeholder(tf.float32, [7, 2, 2, 3]), [2, 3],
                                 [[0, 0], [0, 0]])
        block = tf.placeholder(tf.int32, [2])
        y = tf.space_to_batch_nd(x, block, [[0, 0], [0, 0]])
        assert y.shape.as_list() == [None, None, None, 3]
        with pytest.raises(tf.errors.InvalidArgumentError, match="padded_shape\\[0\\]=4 is not "
                                                                 "divisible by block_shape"):
            run_once(y, {block: [3, 3], x: np.zeros([2, 4, 6, 3])})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="All values in block_shape must be positive"):
            run_once(y, {block: [0, 1], x: np.zeros([2, 4, 6, 3])})


def test_space_batch_gradients():
    check_on_placeholders(
        lambda t: tf.square(tf.space_to_batch_nd(t, [2, 2], [[1, 1], [0, 2]])),
        [([2, 2, 2, 1], seeded_uniform([2, 2, 2, 1], "s2b"))])
    check_on_placeholders(
        lambda t: tf.square(tf.batch_to_space_nd(t, [2, 1], [[1, 0], [0, 0]])),
        [([4, 2, 2, 1], seeded_uniform([4, 2, 2, 1], "b2s"))])


# ----- Roll -----
def test_roll_values_graph_and_dtypes():
    x = np.arange(24).reshape(2, 3, 4)
    with tf.Graph().as_default():
        y = tf.roll(x, [1, -2, 5], [1, 2, 1])  # repeated axes add their shifts
        assert y.op.type == "Roll" and y.shape.as_list() == [2, 3, 4]
        assert [i.name for i in y.op.inputs][1:] == ["Roll/shift:0", "Roll/axis:0"]
        assert _attrs(y.op, ["T", "Tshift", "Taxis"]) == {
            "T": tf.int64, "Tshift": tf.int32, "Taxis": tf.int32}
        f = tf.roll(x.astype(np.float32), 1, -1)
        yv, fv = run_once([y, f])
    np.testing.assert_array_equal(yv, np.roll(x, (6, -2), (1, 2)))
    np.testing.assert_array_equal(fv, np.roll(x, 1, -1))


def test_roll_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are "
                                             "1 and 2"):
            tf.roll([1, 2, 3], [1], [0, 1])
        axis = tf.placeholder(tf.int32, [])
        y = tf.roll([1, 2, 3], 1, axis)
        with pytest.raises(tf.errors.InvalidArgumentError, match="axis 3 is out of range"):
            run_once(y, {axis: 3})


def test_roll_gradient():
    check_on_placeholders(lambda t: tf.square(tf.roll(t, [2, -1], [0, 1])),
                          [([3, 4], seeded_uniform([3, 4], "roll"))])
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [4])
        (g,) = tf.gradients(tf.roll(x, 1, 0), x)
        assert g.op.type == "Roll"
        assert g.op.inputs[1].op.type == "Neg"


# ----- ReverseSequence -----
def test_reverse_sequence_values_and_graph():
    x = np.arange(2 * 4 * 3).reshape(2, 4, 3).astype(np.float32)
    with tf.Graph().as_default():
        y = tf.reverse_sequence(x, [3, 1], seq_axis=1, batch_axis=0)
        assert y.op.type == "ReverseSequence"
        assert _attrs(y.op, ["seq_dim", "batch_dim", "Tlen"]) == {
            "seq_dim": 1, "batch_dim": 0, "Tlen": tf.int32}
        z = tf.reverse_sequence(x, np.array([2, 0, 4], np.int64), seq_dim=1, batch_dim=2)
        assert z.op.get_attr("Tlen") == tf.int64
        yv, zv = run_once([y, z])
    np.testing.assert_array_equal(yv, np_reverse_sequence(x, [3, 1], 1, 0))
    np.testing.assert_array_equal(zv, np_reverse_sequence(x, [2, 0, 4], 1, 2))


def test_reverse_sequence_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="seq_lengths\\(0\\) = 4 > input.dims\\(1\\) = 3"):
            run_once(tf.reverse_sequence([[1, 2, 3]], [4], seq_axis=1, batch_axis=0))
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal"):
            tf.reverse_sequence([[1, 2, 3]], [1, 2], seq_axis=1, batch_axis=0)
        with pytest.raises(ValueError, match="seq_dim must be < input rank"):
            tf.reverse_sequence([[1, 2, 3]], [1], seq_axis=2, batch_axis=0)


def test_reverse_sequence_gradient():
    check_on_placeholders(
        lambda t: tf.square(tf.reverse_sequence(t, [2, 3, 0], seq_axis=0, batch_axis=1)),
        [([3, 3], seeded_uniform([3, 3], "revseq"))])


# ----- TensorScatterUpdate / Add / Sub -----
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
def test_tensor_scatter_values(dtype):
    t = np.arange(12).reshape(4, 3).astype(dtype)
    u = np.array([[1, 2, 3], [4, 5, 6]], dtype)
    with tf.Graph().as_default():
        up = tf.tensor_scatter_nd_update(t, [[1], [3]], u)
        ad = tf.tensor_scatter_nd_add(t, [[1], [1]], u)  # duplicates accumulate
        sb = tf.tensor_scatter_nd_sub(t, [[0, 2], [2, 1]], np.array([1, 2], dtype))
        assert [up.op.type, ad.op.type, sb.op.type] == [
            "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterSub"]
        assert _attrs(up.op, ["T", "Tindices", "bad_indices_policy"]) == {
            "T": tf.as_dtype(dtype), "Tindices": tf.int32, "bad_indices_policy": b""}
        values = run_once([up, ad, sb])
    want_up = t.copy()
    want_up[[1, 3]] = u
    want_ad = t.copy()
    want_ad[1] += u[0] + u[1]
    want_sb = t.copy()
    want_sb[0, 2] -= 1
    want_sb[2, 1] -= 2
    for got, want in zip(values, [want_up, want_ad, want_sb]):
        np.testing.assert_array_equal(got, want)


def test_tensor_scatter_update_bool_and_aliases():
    assert tf.tensor_scatter_update is tf.tensor_scatter_nd_update
    assert tf.tensor_scatter_add is tf.tensor_scatter_nd_add
    assert tf.tensor_scatter_sub is tf.tensor_scatter_nd_sub
    with tf.Graph().as_default():
        y = tf.tensor_scatter_nd_update([False, False, True], [[0]], [True])
        np.testing.assert_array_equal(run_once(y), [True, False, True])
        with pytest.raises(TypeError):
            tf.tensor_scatter_nd_add([False, True], [[0]], [True])


def test_tensor_scatter_errors():
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [4, 3])
        with pytest.raises(ValueError, match="must equal indices.shape"):
            tf.tensor_scatter_nd_add(t, [[1], [2]], tf.ones([2, 4]))
        with pytest.raises(TypeError, match="Input 'updates' of 'TensorScatterAdd' Op has type "
                                            "int32 that does not match type float32"):
            tf.tensor_scatter_nd_add(t, [[1]], tf.ones([1, 3], tf.int32))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="indices\\[0\\] = \\[5\\] does not index into shape \\[3\\]"):
            run_once(tf.tensor_scatter_nd_update([1, 2, 3], [[5]], [1]))


@pytest.mark.parametrize("fn", [tf.tensor_scatter_nd_update, tf.tensor_scatter_nd_add,
                                tf.tensor_scatter_nd_sub])
def test_tensor_scatter_gradients(fn):
    def build(t, u):
        y = fn(t, [[2], [0]], u)
        return y * y * y
    check_on_placeholders(build, [([3, 2], seeded_uniform([3, 2], "ts-t")),
                                  ([2, 2], seeded_uniform([2, 2], "ts-u"))])


def test_tensor_scatter_update_gradient_graph():
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [4, 3])
        u = tf.placeholder(tf.float32, [2, 3])
        y = tf.tensor_scatter_nd_update(t, [[1], [3]], u)
        gt, gu = tf.gradients(y, [t, u])
        assert gt.op.type == "TensorScatterUpdate" and gu.op.type == "GatherNd"
        gtv, guv = run_once([gt, gu], {t: np.zeros([4, 3]), u: np.zeros([2, 3])})
    np.testing.assert_array_equal(gtv, [[1] * 3, [0] * 3, [1] * 3, [0] * 3])
    np.testing.assert_array_equal(guv, np.ones([2, 3]))


# ----- shape helpers -----
def test_broadcast_dynamic_shape():
    with tf.Graph().as_default():
        s = tf.broadcast_dynamic_shape([2, 1], [3])
        assert s.op.type == "BroadcastArgs" and s.op.name == "BroadcastArgs"
        assert [i.name for i in s.op.inputs] == ["BroadcastArgs/s0:0", "BroadcastArgs/s1:0"]
        assert s.shape.as_list() == [2] and s.dtype == tf.int32
        np.testing.assert_array_equal(run_once(s), [2, 3])
        s64 = tf.broadcast_dynamic_shape(np.array([5, 1, 4], np.int64),
                                         np.array([3, 1], np.int64))
        assert s64.dtype == tf.int64
        np.testing.assert_array_equal(run_once(s64), [5, 3, 4])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Incompatible shapes: \\[2,2\\] vs. \\[3\\]"):
            run_once(tf.broadcast_dynamic_shape([2, 2], [3]))


def test_broadcast_static_shape():
    assert tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3])) == [2, 3]
    assert tf.broadcast_static_shape(tf.TensorShape([None, 1]),
                                     tf.TensorShape([4, 5])).as_list() == [4, 5]
    assert tf.broadcast_static_shape(tf.TensorShape([None]),
                                     tf.TensorShape([1])).as_list() == [None]
    assert tf.broadcast_static_shape(tf.TensorShape(None), tf.TensorShape([1])).rank is None
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting. Two shapes are "
                                         "compatible if for each dimension pair they are either "
                                         "equal or one of them is 1. Received: \\(2, 2\\) and "
                                         "\\(3,\\)."):
        tf.broadcast_static_shape(tf.TensorShape([2, 2]), tf.TensorShape([3]))


def test_shape_n():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        a, b = tf.shape_n([x, tf.zeros([4, 5, 6])])
        assert a.op is b.op and a.op.type == "ShapeN" and a.op.name == "ShapeN"
        c, = tf.shape_n([x], out_type=tf.int64)
        assert c.dtype == tf.int64
        av, bv = run_once([a, b], {x: np.zeros([7, 3])})
    np.testing.assert_array_equal(av, [7, 3])
    np.testing.assert_array_equal(bv, [4, 5, 6])


def test_parallel_stack():
    with tf.Graph().as_default():
        y = tf.parallel_stack([[1.0, 2.0], [3.0, 4.0]])
        assert y.op.name.startswith("parallel_stack/") and y.shape.as_list() == [2, 2]
        np.testing.assert_array_equal(run_once(y), [[1, 2], [3, 4]])
        with pytest.raises(ValueError):
            tf.parallel_stack([tf.placeholder(tf.float32, [None])])


def test_unravel_index():
    with tf.Graph().as_default():
        y = tf.unravel_index([1, 5], [2, 3])
        assert y.op.type == "UnravelIndex" and y.shape.as_list() == [2, 2]
        assert y.op.get_attr("Tidx") == tf.int32
        s = tf.unravel_index(4, [2, 3])
        assert s.shape.as_list() == [2]
        yv, sv = run_once([y, s])
        np.testing.assert_array_equal(yv, [[0, 1], [1, 2]])
        np.testing.assert_array_equal(sv, [1, 1])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="index is out of bound as with dims"):
            run_once(tf.unravel_index([7], [2, 3]))


def test_int_ops_have_no_gradient_path():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2])
        s = tf.broadcast_dynamic_shape(tf.shape(x), [1])
        assert tf.gradients(tf.cast(s, tf.float32), x) == [None]


# ----- ExtractImagePatches (TF 2.21's values) -----
def test_extract_image_patches_values_and_graph():
    x = np.arange(1 * 4 * 5 * 2, dtype=np.float32).reshape(1, 4, 5, 2)
    with tf.Graph().as_default():
        y = tf.extract_image_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 2, 1], "SAME")
        assert (y.op.name, y.op.type) == ("ExtractImagePatches", "ExtractImagePatches")
        assert y.shape.as_list() == [1, 2, 3, 8]
        assert _attrs(y.op, ["ksizes", "strides", "rates", "padding"]) == {
            "ksizes": [1, 2, 2, 1], "strides": [1, 2, 2, 1], "rates": [1, 1, 2, 1],
            "padding": b"SAME"}
        y2 = tf.image.extract_patches(x, [1, 3, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        assert y2.shape.as_list() == [1, 2, 4, 12]
        yi = tf.extract_image_patches(x.astype(np.int32), sizes=[1, 3, 2, 1],
                                      strides=[1, 1, 1, 1], rates=[1, 1, 1, 1],
                                      padding="VALID")
        yv, y2v, yiv = run_once([y, y2, yi])
    np.testing.assert_array_equal(yv.ravel(), [
        0, 0, 2, 3, 0, 0, 12, 13, 2, 3, 6, 7, 12, 13, 16, 17, 6, 7, 0, 0, 16, 17, 0, 0, 0, 0,
        22, 23, 0, 0, 32, 33, 22, 23, 26, 27, 32, 33, 36, 37, 26, 27, 0, 0, 36, 37, 0, 0])
    # VALID 3x2 windows: patch (i, j) holds rows i..i+2, cols j..j+1, channel fastest.
    want = np.stack([np.stack([x[0, i:i + 3, j:j + 2].ravel() for j in range(4)])
                     for i in range(2)])[None]
    np.testing.assert_array_equal(y2v, want)
    np.testing.assert_array_equal(yiv, want.astype(np.int32))


def test_extract_image_patches_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 4, 5, 2])
        with pytest.raises(ValueError, match="Negative dimension size"):
            tf.extract_image_patches(x, [1, 5, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(ValueError, match="batch nor depth"):
            tf.extract_image_patches(x, [2, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")
        with pytest.raises(ValueError, match="Shape must be rank 4"):
            tf.extract_image_patches(tf.zeros([4, 5, 2]), [1, 2, 2, 1], [1, 1, 1, 1],
                                     [1, 1, 1, 1], "VALID")


def test_extract_image_patches_gradients():
    check_on_placeholders(
        lambda t: tf.square(tf.extract_image_patches(t, [1, 2, 2, 1], [1, 1, 2, 1],
                                                     [1, 2, 1, 1], "SAME")),
        [([2, 3, 4, 1], seeded_uniform([2, 3, 4, 1], "eip"))])
    # Unknown spatial sizes: the gradient reads every size at run time.
    check_on_placeholders(
        lambda t: tf.square(tf.extract_image_patches(t, [1, 2, 1, 1], [1, 1, 1, 1],
                                                     [1, 1, 1, 1], "VALID")),
        [([None, None, None, 2], seeded_uniform([1, 3, 2, 2], "eip2"))])
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [1, 4, 5, 2])
        (g,) = tf.gradients(tf.extract_image_patches(x, [1, 2, 2, 1], [1, 1, 1, 1],
                                                     [1, 1, 1, 1], "SAME"), x)
        assert g.op.type == "Transpose"
        assert "UnsortedSegmentSum" in [o.type for o in g.graph.get_operations()]
