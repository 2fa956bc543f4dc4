"""IndexedSlices end to end: gather's gradient is an IndexedSlices (TF's names and values),
all-sparse contributions concatenate (duplicates kept), mixed ones densify, Identity passes
slices through, Session.run returns IndexedSlicesValue, IndexedSlices seeds, conversion to a
dense tensor, and the aggregation methods."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402

PV = np.arange(10, dtype=np.float64).reshape(5, 2)


def _dense(value, shape):
    out = np.zeros(shape)
    np.add.at(out, np.asarray(value.indices), np.asarray(value.values))
    return out


def test_gather_gradient_is_indexed_slices_with_tf_names():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [5, 2])
        loss = tf.reduce_sum(tf.gather(p, [0, 2]))
        (g,) = tf.gradients(loss, p)
        assert isinstance(g, tf.IndexedSlices)
        assert g.values.name == "gradients/GatherV2_grad/Reshape:0"
        assert g.indices.name == "gradients/GatherV2_grad/Reshape_1:0"
        assert g.dense_shape.name == "gradients/GatherV2_grad/Shape:0"
        assert g.shape.as_list() == [5, 2]
        # Static shapes as TF's shape inference gives them.
        assert g.values.shape.as_list() == [2, 2] and g.indices.shape.as_list() == [2]
        with tf.Session() as sess:
            v = sess.run(g, {p: PV})
        assert isinstance(v, tf.IndexedSlicesValue)
        np.testing.assert_array_equal(v.indices, [0, 2])
        np.testing.assert_array_equal(v.values, np.ones((2, 2)))
        np.testing.assert_array_equal(v.dense_shape, [5, 2])


def test_all_sparse_contributions_concatenate_with_duplicates():
    for method in [None, tf.AggregationMethod.ADD_N, tf.AggregationMethod.EXPERIMENTAL_TREE]:
        with tf.Graph().as_default():
            p = tf.placeholder(tf.float64, [5, 2])
            y = tf.reduce_sum(tf.gather(p, [0, 2])) + tf.reduce_sum(tf.gather(p, [2, 2]) * 3.0)
            (g,) = tf.gradients(y, p, aggregation_method=method)
            assert isinstance(g, tf.IndexedSlices)
            v = tf.Session().run(g, {p: PV})
            np.testing.assert_array_equal(v.indices, [0, 2, 2, 2])
            expected = np.zeros((5, 2))
            expected[0] = 1
            expected[2] = 7
            np.testing.assert_array_equal(_dense(v, (5, 2)), expected)


def test_sparse_and_dense_contributions_densify():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [5, 2])
        y = tf.reduce_sum(tf.gather(p, [1, 1])) + tf.reduce_sum(tf.square(p))
        (g,) = tf.gradients(y, p)
        assert isinstance(g, tf.Tensor)
        expected = 2 * PV
        expected[1] += 2
        np.testing.assert_allclose(tf.Session().run(g, {p: PV}), expected)


def test_identity_passes_slices_through_and_unknown_shapes():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [None, None])
        y = tf.reduce_sum(tf.identity(tf.gather(p, [3, 0])) * 2.0)
        (g,) = tf.gradients(y, p)
        assert isinstance(g, tf.IndexedSlices)
        v = tf.Session().run(g, {p: PV})
        np.testing.assert_array_equal(v.indices, [3, 0])
        np.testing.assert_array_equal(v.values, np.full((2, 2), 2.0))
        np.testing.assert_array_equal(v.dense_shape, [5, 2])


def test_convert_to_tensor_densifies_with_warning():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [None, 2])
        (g,) = tf.gradients(tf.reduce_sum(tf.gather(p, [4, 4, 1])), p)
        with pytest.warns(UserWarning, match="unknown shape"):
            dense = tf.convert_to_tensor(g)
        assert dense.op.type == "UnsortedSegmentSum"
        expected = np.zeros((5, 2))
        expected[4] = 2
        expected[1] = 1
        np.testing.assert_array_equal(tf.Session().run(dense, {p: PV}), expected)
        # An op taking a dense tensor accepts the slices.
        total = tf.reduce_sum(tf.multiply(g, 2.0)) if False else tf.add_n([g, g])
        np.testing.assert_array_equal(tf.Session().run(total, {p: PV}), 2 * expected)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [5, 2])
        (g,) = tf.gradients(tf.reduce_sum(tf.gather(p, [1])), p)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tf.convert_to_tensor(g)


def test_indexed_slices_grad_ys_and_second_derivative():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [5, 2])
        y = tf.identity(p * 3.0)
        seed = tf.IndexedSlices(tf.constant(np.ones((2, 2))), tf.constant([1, 1]),
                                tf.constant([5, 2]))
        (g,) = tf.gradients(y, p, grad_ys=seed)
        expected = np.zeros((5, 2))
        expected[1] = 6.0
        np.testing.assert_allclose(tf.Session().run(tf.convert_to_tensor(g), {p: PV}), expected)
        # Second derivative through the sparse gradient of gather.
        loss = tf.reduce_sum(tf.square(tf.gather(p, [0, 3, 3])))
        (g1,) = tf.gradients(loss, p)
        (h,) = tf.gradients(tf.reduce_sum(tf.convert_to_tensor(g1) * PV), p)
        hv = tf.Session().run(h, {p: PV})
        hv = _dense(hv, (5, 2)) if isinstance(hv, tf.IndexedSlicesValue) else hv
        expected = np.zeros((5, 2))
        expected[0] = 2 * PV[0]
        expected[3] = 4 * PV[3]
        np.testing.assert_allclose(hv, expected)
