"""dynamic_partition, unique, in_top_k, bincount, confusion_matrix, searchsorted,
zero_fraction: values and graphs as TF 2.21 gives them, TF's errors, and float64 first and
second derivatives of DynamicPartition."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import check_on_placeholders, run_once, seeded_uniform


def _run(fn):
    with tf.Graph().as_default():
        return run_once(fn())


def test_dynamic_partition_values_graph_and_dtypes():
    x = np.array([1., 2, 3, 4, 5, 6])
    with tf.Graph().as_default():
        parts = tf.dynamic_partition(x, [0, 1, 0, 2, 1, 0], 3)
        assert [p.op.name for p in parts] == ["DynamicPartition"] * 3
        assert parts[0].op.type == "DynamicPartition"
        assert parts[0].op.get_attr("num_partitions") == 3
        assert parts[0].shape.as_list() == [None]
        rows = tf.dynamic_partition(x.reshape(3, 2), [1, 0, 1], 2)
        assert rows[0].shape.as_list() == [None, 2]
        ints = tf.dynamic_partition(np.array([[1, 2], [3, 4]], np.int64), [[0, 1], [1, 1]], 2)
        flags = tf.dynamic_partition(np.array([True, False]), [1, 0], 2)
        out = run_once([parts, rows, ints, flags])
    np.testing.assert_array_equal(out[0][0], [1, 3, 6])
    np.testing.assert_array_equal(out[0][1], [2, 5])
    np.testing.assert_array_equal(out[0][2], [4])
    np.testing.assert_array_equal(out[1][0], [[3, 4]])
    np.testing.assert_array_equal(out[1][1], [[1, 2], [5, 6]])
    np.testing.assert_array_equal(out[2][0], [1])
    np.testing.assert_array_equal(out[2][1], [2, 3, 4])
    np.testing.assert_array_equal(out[3][0], [False])


def test_dynamic_partition_gradient_as_tf():
    # TF 2.21: d/d data of sum(2 * p0) + sum(p1 ** 2) for data [[1, 2], [3, 4], [5, 6]].
    with tf.Graph().as_default():
        d = tf.constant(np.arange(1., 7).reshape(3, 2))
        p = tf.dynamic_partition(d, [1, 0, 1], 2)
        g = tf.gradients([tf.reduce_sum(p[0] * 2.0), tf.reduce_sum(tf.square(p[1]))], d)[0]
        assert g.op.type == "Reshape"
        np.testing.assert_allclose(run_once(g), [[2, 4], [2, 2], [10, 12]])


def test_dynamic_partition_float64_first_and_second_derivatives():
    def build(x):
        a, b, c = tf.dynamic_partition(x, [[2, 0, 1], [0, 0, 2]], 3)
        return tf.concat([tf.square(a), a * tf.reduce_sum(b), tf.sin(c)], 0)
    check_on_placeholders(build, [([2, 3, 2], seeded_uniform([2, 3, 2], "dp"))])


def test_dynamic_partition_errors_as_tf():
    x = np.array([1., 2, 3, 4, 5, 6])
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 6 and 2 for "
                           r"'\{\{node DynamicPartition\}\} = DynamicPartition\[T=DT_DOUBLE, "
                           r"num_partitions=3\]\(DynamicPartition/data, "
                           r"DynamicPartition/partitions\)' with input shapes: \[6\], \[2\]\."):
            tf.dynamic_partition(x, [0, 1], 3)
        with pytest.raises(TypeError, match="Input 'partitions' of 'DynamicPartition' Op has "
                           "type int64 that does not match expected type of int32."):
            tf.dynamic_partition(x, tf.constant([0, 1, 0, 2, 1, 0], tf.int64), 3)
        bad = tf.dynamic_partition(x, [0, 1, 0, 2, 1, 5], 3)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"partitions\[5\] = 5 is not in \[0, 3\)"):
            run_once(bad)


def test_unique_all_dtypes_as_tf():
    with tf.Graph().as_default():
        u = tf.unique(np.array([3., 1, 3, np.nan, np.nan, -0.0, 0.0]))
        assert (u.y.op.type, u.y.op.name) == ("Unique", "Unique")
        assert u.y.shape.as_list() == [None] and u.idx.shape.as_list() == [7]
        i64 = tf.unique(np.array([5, 5, 2], np.int64), out_idx=tf.int64)
        assert i64.idx.dtype == tf.int64 and i64.y.op.get_attr("out_idx") == tf.int64
        c = tf.unique_with_counts(np.array([True, False, True]))
        f32 = tf.unique_with_counts(np.array([2.5, 2.5, 1.0], np.float32))
        out = run_once([u, i64, c, f32])
    # TF 2.21: NaN is never equal to itself; -0.0 and 0.0 are one value.
    np.testing.assert_array_equal(out[0][0], [3, 1, np.nan, np.nan, -0.0])
    np.testing.assert_array_equal(out[0][1], [0, 1, 0, 2, 3, 4, 4])
    np.testing.assert_array_equal(out[1][0], [5, 2])
    np.testing.assert_array_equal(out[1][1], [0, 0, 1])
    np.testing.assert_array_equal(out[2][0], [True, False])
    np.testing.assert_array_equal(out[2][2], [2, 1])
    np.testing.assert_array_equal(out[3][0], np.array([2.5, 1.0], np.float32))
    np.testing.assert_array_equal(out[3][2], [2, 1])
    # Strings, as TF's kernels take them.
    with tf.Graph().as_default():
        s = tf.unique_with_counts(tf.constant(["b", "a", "b", "", "a"]))
        out = run_once(s)
    assert list(out[0]) == [b"b", b"a", b""]
    np.testing.assert_array_equal(out[1], [0, 1, 0, 2, 1])
    np.testing.assert_array_equal(out[2], [2, 2, 1])
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Shape must be rank 1 but is rank 2 for "
                           r"'\{\{node Unique\}\} = Unique\[T=DT_DOUBLE, out_idx=DT_INT32\]"):
            tf.unique(np.zeros([2, 2]))


def test_in_top_k_as_tf():
    preds = np.array([[0.1, 0.9, 0.9], [0.8, 0.2, 0.1], [np.nan, 1, 2]], np.float32)
    with tf.Graph().as_default():
        r = tf.nn.in_top_k(preds, [1, 2, 2], 1)
        assert (r.op.name, r.op.type, r.dtype) == ("in_top_k/InTopKV2", "InTopKV2", tf.bool)
        assert r.op.get_attr("T") == tf.int32
        r2 = tf.math.in_top_k(preds[:2], tf.constant([2, 5], tf.int64), 2)
        out = run_once([r, r2])
    np.testing.assert_array_equal(out[0], [True, False, False])
    np.testing.assert_array_equal(out[1], [True, False])
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="Input 'predictions' of 'InTopKV2' Op has type "
                           "float64 that does not match expected type of float32."):
            tf.nn.in_top_k(tf.constant([[0.1, 0.9]], tf.float64), [1], 1)


def test_bincount_as_tf():
    with tf.Graph().as_default() as g:
        b = tf.math.bincount(np.array([1, 2, 2, 5], np.int32))
        assert (b.op.name, b.op.type, b.dtype) == ("bincount/DenseBincount", "DenseBincount",
                                                   tf.int32)
        assert b.op.get_attr("binary_output") is False
        w = tf.math.bincount(np.array([[1, 2], [2, 5]], np.int32),
                             weights=np.array([[1., 2], [3, 4]]), minlength=8)
        m = tf.bincount(np.array([1, 2, 2, 5], np.int32), maxlength=3, dtype=tf.float32)
        e = tf.math.bincount(np.array([], np.int32))
        neg = tf.math.bincount(np.array([1, -2], np.int32))
        out = run_once([b, w, m, e])
        assert "bincount_1/Maximum" in [o.name for o in g.get_operations()]
        with pytest.raises(tf.errors.InvalidArgumentError):
            run_once(neg)
    np.testing.assert_array_equal(out[0], [0, 1, 2, 0, 0, 1])
    np.testing.assert_array_equal(out[1], [0, 1, 5, 0, 0, 4, 0, 0])
    assert out[1].dtype == np.float64
    np.testing.assert_array_equal(out[2], np.array([0, 1, 2], np.float32))
    assert out[3].shape == (0,)


def test_confusion_matrix_as_tf():
    with tf.Graph().as_default():
        c = tf.confusion_matrix([0, 1, 2, 1], [0, 2, 2, 1])
        assert (c.op.name, c.op.type, c.dtype) == ("confusion_matrix/ScatterNd", "ScatterNd",
                                                   tf.int32)
        w = tf.math.confusion_matrix([0, 1], [1, 1], num_classes=4, weights=[0.5, 2.0],
                                     dtype=tf.float32)
        out = run_once([c, w])
        bad = tf.math.confusion_matrix([0, 1], [1, 5], num_classes=3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="`predictions` out of bound"):
            run_once(bad)
        neg = tf.math.confusion_matrix([0, -1], [1, 1])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="`labels` contains negative values"):
            run_once(neg)
    np.testing.assert_array_equal(out[0], [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    np.testing.assert_array_equal(out[1], [[0, 0.5, 0, 0], [0, 2, 0, 0], [0] * 4, [0] * 4])


def test_searchsorted_as_tf():
    with tf.Graph().as_default():
        a = tf.searchsorted([[1., 2, 3], [2, 4, 6]], [[2.5, 0.], [6, 7]])
        b = tf.searchsorted([1, 2, 2, 3], [2, 0, 4], side="right")
        c = tf.searchsorted(np.array([1, 2, 2, 3], np.int64), np.array([2, 0, 4], np.int64),
                            out_type=tf.int64)
        assert a.op.type == "Reshape" and a.op.inputs[0].op.type == "LowerBound"
        assert b.op.inputs[0].op.type == "UpperBound"
        out = run_once([a, b, c])
        with pytest.raises(ValueError, match="Argument `side` must be either 'right' or "
                           "'left'. Received: `side` = 'middle'."):
            tf.searchsorted([1, 2], [1], side="middle")
    np.testing.assert_array_equal(out[0], [[2, 0], [2, 3]])
    np.testing.assert_array_equal(out[1], [3, 0, 4])
    np.testing.assert_array_equal(out[2], [1, 0, 4])
    assert out[2].dtype == np.int64


def test_zero_fraction():
    with tf.Graph().as_default():
        z = tf.math.zero_fraction(np.array([[0, 1], [0, 2.]]))
        assert z.op.name == "zero_fraction/fraction" and z.dtype == tf.float32
        zi = tf.nn.zero_fraction(np.array([0, 1, 3], np.int32))
        out = run_once([z, zi])
    assert out[0] == 0.5
    np.testing.assert_allclose(out[1], 1 / 3, rtol=1e-6)
