"""One-argument where (the Where op), boolean_mask and x[mask], logical_xor and ^, and the
IndexedSlices gradient of concat. Expected values were checked against TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import compute_gradient_error


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


@pytest.mark.parametrize("dtype", [np.bool_, np.float32, np.float64, np.int8, np.int16,
                                   np.int32, np.int64, np.uint8])
def test_where_coordinates_every_dtype(dtype) -> None:
    x = np.array([[1, 0, 3], [0, 5, 0]]).astype(dtype)
    w = tf.where(tf.constant(x))
    assert w.op.type == "Where" and w.dtype == tf.int64 and w.shape.as_list() == [None, 2]
    got = run(w)
    np.testing.assert_array_equal(got, np.argwhere(x))
    assert got.dtype == np.int64


def test_where_ranks_nan_and_empty() -> None:
    assert run(tf.where(tf.constant(True))).shape == (1, 0)
    assert run(tf.where(tf.constant(False))).shape == (0, 0)
    np.testing.assert_array_equal(run(tf.where(tf.constant([0.0, np.nan, -0.0, 2.0]))),
                                  [[1], [3]])
    cube = np.zeros((2, 3, 4), np.int32)
    cube[1, 2, 3] = cube[0, 1, 0] = 7
    np.testing.assert_array_equal(run(tf.where_v2(tf.constant(cube))), [[0, 1, 0], [1, 2, 3]])
    assert run(tf.where(tf.zeros([0, 3]))).shape == (0, 2)
    p = tf.placeholder(tf.bool)
    assert tf.where(p).shape.as_list() == [None, None]
    np.testing.assert_array_equal(run(tf.where(p), {p: [[True], [True]]}), [[0, 0], [1, 0]])
    with pytest.raises(ValueError, match="both be non-None"):
        tf.where(p, x=tf.constant(1.0))
    with pytest.raises(ValueError, match="both be non-None"):
        tf.where_v2(p, y=tf.constant(1.0))


def test_where_is_not_differentiable() -> None:
    x = tf.placeholder(tf.float32, [3])
    assert tf.gradients(tf.reduce_sum(tf.cast(tf.where(x), tf.float32)), [x]) == [None]


def test_boolean_mask_values_shapes_and_names() -> None:
    x = np.arange(24).reshape(2, 3, 4)
    m2 = np.array([[True, False, True], [False, True, True]])
    bm = tf.boolean_mask(tf.constant(x), tf.constant(m2))
    assert bm.op.name == "boolean_mask/GatherV2" and bm.shape.as_list() == [None, 4]
    np.testing.assert_array_equal(run(bm), x[m2])
    along = tf.boolean_mask(tf.constant(x), [True, False, True, True], axis=2)
    assert along.shape.as_list() == [2, 3, None]
    np.testing.assert_array_equal(run(along), x[:, :, [0, 2, 3]])
    np.testing.assert_array_equal(run(tf.constant(x)[tf.constant(m2)]), x[m2])
    np.testing.assert_array_equal(run(tf.constant(x)[np.array([False, True])]), x[[1]])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        tf.boolean_mask(tf.constant(x), True)
    with pytest.raises(ValueError, match="Number of mask dimensions must be specified"):
        tf.boolean_mask(tf.constant(x), tf.placeholder(tf.bool))
    with pytest.raises(ValueError):
        tf.boolean_mask(tf.constant(x), tf.constant([True, False]), axis=1)


def test_boolean_mask_gradient_and_fed_mask() -> None:
    x = tf.placeholder(tf.float64, [4, 2])
    m = tf.placeholder(tf.bool, [4])
    y = tf.reduce_sum(tf.boolean_mask(x, m) ** 3)
    (g,) = tf.gradients(y, [x])
    xv = np.arange(8.0).reshape(4, 2)
    mv = np.array([True, False, False, True])
    np.testing.assert_allclose(run(g, {x: xv, m: mv}), 3 * xv ** 2 * mv[:, None])
    masked = tf.boolean_mask(x, tf.constant([True, False, True, True]))
    assert compute_gradient_error(x, masked, xv) < 1e-7


def test_logical_xor_and_operator() -> None:
    a = tf.constant([True, True, False, False])
    b = tf.constant([True, False, True, False])
    x = tf.logical_xor(a, b)
    assert x.op.type == "LogicalAnd" and x.op.name == "LogicalXor"
    assert run(x).tolist() == [False, True, True, False]
    y = a ^ b
    assert y.op.name == "xor"
    assert run(y).tolist() == [False, True, True, False]
    assert run(True ^ b).tolist() == [False, True, False, True]
    assert tf.math.logical_xor is tf.logical_xor


@pytest.mark.parametrize("axis", [0, -2])
def test_concat_gradient_of_indexed_slices_along_axis_0(axis: int) -> None:
    rng = np.random.default_rng(1)
    av, bv = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    a, b = tf.placeholder(tf.float64, [3, 2]), tf.placeholder(tf.float64, [4, 2])
    ids = [0, 6, 3, 3, 1]
    y = tf.gather(tf.concat([a, b], axis), ids)
    ga, gb = tf.gradients(tf.reduce_sum(y * y), [a, b])
    assert isinstance(ga, tf.IndexedSlices) and isinstance(gb, tf.IndexedSlices)
    whole = np.zeros((7, 2))
    table = np.concatenate([av, bv])
    np.add.at(whole, ids, 2 * table[ids])
    feed = {a: av, b: bv}
    np.testing.assert_allclose(run(tf.convert_to_tensor(ga), feed), whole[:3])
    np.testing.assert_allclose(run(tf.convert_to_tensor(gb), feed), whole[3:])
    assert run(gb.indices, feed).tolist() == [3, 0, 0]  # shifted into b's own rows


def test_concat_gradient_of_indexed_slices_along_axis_1() -> None:
    a, c = tf.placeholder(tf.float64, [3, 2]), tf.placeholder(tf.float64, [3, 5])
    y = tf.gather(tf.concat([a, c], 1), [2, 0, 2])
    ga, gc = tf.gradients(tf.reduce_sum(y * 3.0), [a, c])
    assert isinstance(ga, tf.IndexedSlices)
    feed = {a: np.ones((3, 2)), c: np.ones((3, 5))}
    np.testing.assert_allclose(run(tf.convert_to_tensor(ga), feed), [[3, 3], [0, 0], [6, 6]])
    np.testing.assert_allclose(run(tf.convert_to_tensor(gc), feed),
                               [[3] * 5, [0] * 5, [6] * 5])


def test_concat_gradient_of_indexed_slices_needs_a_known_axis() -> None:
    a, b = tf.constant(np.ones((2, 2))), tf.constant(np.ones((2, 2)))
    axis = tf.placeholder(tf.int32, [])
    y = tf.gather(tf.concat([a, b], axis), [1])
    with pytest.raises(ValueError, match="statically-known concat_dim"):
        tf.gradients(y, [a])
