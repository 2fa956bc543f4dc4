"""Segment reductions: values and messages recorded from TF 2.21 (tf.compat.v1, graph mode),
and float64 finite-difference checks of first and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402

D = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
LOW, HIGH = np.finfo(np.float32).min, np.finfo(np.float32).max


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_sorted_segment_values_and_graph():
    with tf.Graph().as_default():
        ids = [0, 0, 3]
        ops = {"sum": tf.segment_sum(D, ids), "mean": tf.segment_mean(D, ids),
               "max": tf.math.segment_max(D, ids), "min": tf.segment_min(D, ids),
               "prod": tf.segment_prod(D, ids),
               "mean_int": tf.segment_mean(np.array([1, 2, 4], np.int32), [0, 0, 0])}
        s = ops["sum"]
        assert (s.op.type, s.op.name, s.shape.as_list()) == ("SegmentSum", "SegmentSum", [None, 2])
        assert s.op.get_attr("Tindices") == tf.int32
        out = _run(ops)
    empty = [[0, 0], [0, 0]]
    np.testing.assert_array_equal(out["sum"], [[4, 6], *empty, [5, 6]])
    np.testing.assert_array_equal(out["mean"], [[2, 3], *empty, [5, 6]])
    np.testing.assert_array_equal(out["max"], [[3, 4], *empty, [5, 6]])
    np.testing.assert_array_equal(out["min"], [[1, 2], *empty, [5, 6]])
    np.testing.assert_array_equal(out["prod"], [[3, 8], [1, 1], [1, 1], [5, 6]])
    np.testing.assert_array_equal(out["mean_int"], [2])
    assert out["mean_int"].dtype == np.int32


def test_unsorted_segment_values():
    with tf.Graph().as_default():
        ops = {"max": tf.unsorted_segment_max(D, [0, 0, 3], 5),
               "min": tf.math.unsorted_segment_min(D, [0, -1, 3], 5),
               "prod": tf.unsorted_segment_prod(D, [0, 0, 3], 5),
               "mean": tf.unsorted_segment_mean(D, [0, 0, 3], 5),
               "sqrt_n": tf.math.unsorted_segment_sqrt_n(D, [0, 0, 3], 5),
               "sum": tf.math.unsorted_segment_sum(D, [0, 0, 3], 5)}
        assert ops["max"].op.type == "UnsortedSegmentMax"
        assert ops["max"].shape.as_list() == [5, 2]
        assert ops["mean"].op.name == "UnsortedSegmentMean/truediv"
        out = _run(ops)
    np.testing.assert_array_equal(out["max"], [[3, 4], [LOW, LOW], [LOW, LOW], [5, 6], [LOW, LOW]])
    np.testing.assert_array_equal(out["min"], [[1, 2], [HIGH, HIGH], [HIGH, HIGH], [5, 6],
                                               [HIGH, HIGH]])
    np.testing.assert_array_equal(out["prod"], [[3, 8], [1, 1], [1, 1], [5, 6], [1, 1]])
    np.testing.assert_array_equal(out["mean"], [[2, 3], [0, 0], [0, 0], [5, 6], [0, 0]])
    np.testing.assert_allclose(out["sqrt_n"], [[4 / np.sqrt(2), 6 / np.sqrt(2)], [0, 0],
                                               [0, 0], [5, 6], [0, 0]], rtol=1e-6)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError) as e:
            tf.segment_sum(D, [[0, 0, 1]])
        assert str(e.value) == (
            "Shape must be rank 1 but is rank 2 for '{{node SegmentSum}} = SegmentSum[T=DT_FLOAT, "
            "Tindices=DT_INT32](SegmentSum/data, SegmentSum/segment_ids)' with input shapes: "
            "[3,2], [1,3].")
        for ids, message in [
                ([1, 0, 0], "segment ids are not increasing"),
                ([-1, 0, 0], "Segment id -1 out of range [0, 1), possibly because "
                             "'segment_ids' input is not sorted.")]:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                _run(tf.segment_sum(D, ids))
            assert message in str(e.value)
        ids = tf.placeholder(tf.int32, [None])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="segment_ids should be the same size as dimension 0 of input."):
            _run(tf.segment_sum(D, ids), {ids: [0, 0]})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"segment_ids\[2\] = 7 is out of range \[0, 5\)"):
            _run(tf.unsorted_segment_max(D, [0, 0, 7], 5))


def _check(build, values, tol=1e-5):
    with tf.Graph().as_default():
        xs = [tf.placeholder(tf.float64, v.shape, name=f"x{i}") for i, v in enumerate(values)]
        assert_gradients_close(xs, build(*xs), values, tol=tol)


# Distinct values, so each max/min is unique and the function is smooth around the point.
X = np.array([[1.5, -2.0, 0.7], [0.3, 2.5, -1.1], [-0.6, 1.2, 2.2], [0.9, -0.4, 1.7]])
SORTED = [0, 0, 2, 2]
UNSORTED = [2, -1, 0, 2]

GRAD_CASES = [
    ("segment_sum", lambda x: tf.segment_sum(x, SORTED)),
    ("segment_mean", lambda x: tf.segment_mean(x, SORTED)),
    ("segment_max", lambda x: tf.segment_max(x, SORTED)),
    ("segment_min", lambda x: tf.segment_min(x, SORTED)),
    ("segment_prod", lambda x: tf.segment_prod(x, SORTED)),
    ("unsorted_segment_max", lambda x: tf.unsorted_segment_max(x, UNSORTED, 3)),
    ("unsorted_segment_min", lambda x: tf.unsorted_segment_min(x, UNSORTED, 3)),
    ("unsorted_segment_prod", lambda x: tf.unsorted_segment_prod(x, UNSORTED, 3)),
    ("unsorted_segment_mean", lambda x: tf.unsorted_segment_mean(x, UNSORTED, 3)),
    ("unsorted_segment_sqrt_n", lambda x: tf.unsorted_segment_sqrt_n(x, UNSORTED, 3)),
]


@pytest.mark.parametrize("build", [c[1] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradients_and_second_derivatives(build):
    _check(build, [X])


def test_prod_gradient_with_zeros():
    """One zero in a segment: the other elements' product; two zeros: all zero."""
    x = X.copy()
    x[0, 0] = 0.0
    x[2, 1] = x[3, 1] = 0.0
    with tf.Graph().as_default():
        p = tf.constant(x)
        g_sorted = tf.gradients(tf.segment_prod(p, SORTED), p)[0]
        g_unsorted = tf.gradients(tf.unsorted_segment_prod(p, [0, 0, 2, 2], 3), p)[0]
        out = _run([g_sorted, g_unsorted])
    expected = np.array([[x[1, 0], x[1, 1], x[1, 2]], [0.0, x[0, 1], x[0, 2]],
                         [x[3, 0], 0.0, x[3, 2]], [x[2, 0], 0.0, x[2, 2]]])
    for g in out:
        np.testing.assert_allclose(g, expected)
