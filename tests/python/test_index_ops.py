"""Indexing ops: ``x[...]`` against numpy's indexing, gather / gather_nd / scatter_nd /
unsorted_segment_sum / one_hot / strided_slice values, first and second derivatives against
central differences, TF's op names, and errors."""

from __future__ import annotations


import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import check_on_placeholders as _check  # noqa: E402
from gradient_checker import run_once as _run  # noqa: E402
from gradient_checker import seeded_uniform as _v  # noqa: E402




X = np.arange(60, dtype=np.float64).reshape(3, 4, 5)

KEYS = [
    1, -1, (0, 1), (slice(None), 2), (slice(1, None),), (slice(None, None, -1),),
    (slice(None, None, 2), slice(1, 3)), (Ellipsis, 1), (Ellipsis, None, slice(-2, None)),
    (None, 0, Ellipsis), (1, Ellipsis, slice(None, None, -2)), (slice(-1, -4, -1), None, 2),
    (slice(0, 100), slice(-100, 2)), (2, 3, 4), (slice(3, 1),), (Ellipsis,),
    (slice(None), None, slice(None), 0), (0, slice(None, None, 3), Ellipsis),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_getitem_matches_numpy(key):
    for shape in [X.shape, [None, 4, None], None]:
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float64, shape)
            y = x[key]
            expected = X[key]
            if shape is not None and None not in shape:
                assert y.shape.as_list() == list(expected.shape)
            got = _run(y, {x: X})
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("key", [(1,), (slice(None, None, -1), 2), (Ellipsis, None, 1),
                                 (slice(1, 3), slice(None, None, 2))], ids=repr)
def test_getitem_gradients(key):
    _check(lambda x: tf.square(x[key]) * x[key], [((3, 4, 5), _v((3, 4, 5), repr(key)))])
    _check(lambda x: tf.sin(x[key]), [((None, None, None), _v((3, 4, 5), "u" + repr(key)))])


def test_getitem_tensor_index_and_names():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [5, 4])
        i = tf.placeholder(tf.int32, [])
        a = x[1:3, ::2]
        b = x[i, 1:]
        assert a.op.name == "strided_slice" and a.op.type == "StridedSlice"
        assert [t.name for t in a.op.inputs] == [
            "Placeholder:0", "strided_slice/stack:0", "strided_slice/stack_1:0",
            "strided_slice/stack_2:0"]
        assert a.op.get_attr("begin_mask") == 2 and a.op.get_attr("end_mask") == 2
        assert b.op.name == "strided_slice_1"
        assert b.op.get_attr("shrink_axis_mask") == 1
        assert b.shape.as_list() == [None]  # as TF: the packed begin is not constant
        assert g.get_operation_by_name("strided_slice_1/stack").type == "Pack"
        xv = np.arange(20, dtype=np.float32).reshape(5, 4)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(b, {x: xv, i: 3}), xv[3, 1:])
            with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
                sess.run(b, {x: xv, i: 7})
        with pytest.raises(TypeError, match="Only integers, slices"):
            x[1.5]
        with pytest.raises(ValueError, match="out of bounds"):
            x[7]


def test_strided_slice_function():
    with tf.Graph().as_default():
        x = tf.constant(np.arange(12.0).reshape(3, 4))
        y = tf.strided_slice(x, [0, 1], [2, 3])
        assert y.op.name == "StridedSlice"
        np.testing.assert_array_equal(_run(y), np.arange(12.0).reshape(3, 4)[0:2, 1:3])
        z = tf.strided_slice(x, [0, 3], [0, 0], [1, -1], begin_mask=1, end_mask=3,
                             shrink_axis_mask=0)
        np.testing.assert_array_equal(_run(z), np.arange(12.0).reshape(3, 4)[:, ::-1])
    _check(lambda x: tf.square(tf.strided_slice(x, [2, 0], [0, 4], [-1, 2])),
           [((3, 4), _v((3, 4), "ss"))])


def test_gather_values_names_errors():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [5, 3])
        y = tf.gather(p, [0, 2, 2])
        assert y.op.name == "GatherV2"
        assert [t.name for t in y.op.inputs] == ["Placeholder:0", "GatherV2/indices:0",
                                                 "GatherV2/axis:0"]
        assert y.shape.as_list() == [3, 3]
        pv = _v((5, 3), "gather")
        np.testing.assert_array_equal(_run(y, {p: pv}), pv[[0, 2, 2]])
        y1 = tf.gather(p, [[1], [0]], axis=1)
        np.testing.assert_array_equal(_run(y1, {p: pv}), np.take(pv, [[1], [0]], axis=1))
        bad = tf.gather(p, [1, 7])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 7 is not in \[0, 5\)"):
            _run(bad, {p: pv})
        yb = tf.gather(p, [[2], [0], [1], [1], [0]], batch_dims=1)
        np.testing.assert_array_equal(_run(yb, {p: pv}),
                                      pv[np.arange(5)[:, None], [[2], [0], [1], [1], [0]]])


def test_gather_gradients():
    _check(lambda p: tf.square(tf.gather(p, [3, 1, 3])), [((4, 3), _v((4, 3), "g1"))])
    _check(lambda p: tf.square(tf.gather(p, [2, 0], axis=1)), [((4, 3), _v((4, 3), "g2"))])
    _check(lambda p: tf.sin(tf.gather(p, [[2, 0], [1, 1]], axis=2, batch_dims=1)),
           [((2, 3, 3), _v((2, 3, 3), "g3"))])
    _check(lambda p: tf.square(tf.gather(p, [1, 1])), [((None, None), _v((3, 2), "g4"))])


def test_gather_nd_scatter_nd():
    pv = _v((3, 4), "nd")
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [3, 4])
        y = tf.gather_nd(p, [[2, 1], [0, 3]])
        np.testing.assert_array_equal(_run(y, {p: pv}), pv[[2, 0], [1, 3]])
        rows = tf.gather_nd(p, [[1], [1]])
        np.testing.assert_array_equal(_run(rows, {p: pv}), pv[[1, 1]])
        s = tf.scatter_nd([[0], [2], [0]], tf.constant([1.0, 2.0, 3.0]), [4])
        np.testing.assert_array_equal(_run(s), [4.0, 0.0, 2.0, 0.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into"):
            _run(tf.gather_nd(p, [[3, 0]]), {p: pv})
    _check(lambda p: tf.square(tf.gather_nd(p, [[2, 1], [0, 3], [2, 1]])), [((3, 4), pv)])
    _check(lambda p: tf.square(tf.gather_nd(p, [[1], [2], [1]])), [((3, 4), pv)])
    _check(lambda u: tf.square(tf.scatter_nd([[1], [0], [1]], u, [3, 2])),
           [((3, 2), _v((3, 2), "sc"))])


def test_unsorted_segment_sum():
    dv = _v((4, 2), "uss")
    with tf.Graph().as_default():
        d = tf.placeholder(tf.float64, [4, 2])
        y = tf.unsorted_segment_sum(d, [2, 0, 2, -1], 3)
        assert y.shape.as_list() == [3, 2]
        expected = np.zeros((3, 2))
        np.add.at(expected, [2, 0, 2], dv[:3])
        np.testing.assert_allclose(_run(y, {d: dv}), expected)
        with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
            _run(tf.unsorted_segment_sum(d, [0, 5, 0, 0], 3), {d: dv})
    _check(lambda d: tf.square(tf.unsorted_segment_sum(d, [2, 0, 2, -1], 3)), [((4, 2), dv)])


def test_one_hot():
    with tf.Graph().as_default():
        y = tf.one_hot([0, 2, -1], 3)
        assert y.op.name == "one_hot" and y.dtype == tf.float32
        np.testing.assert_array_equal(_run(y), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
        z = tf.one_hot([[1], [0]], 2, on_value=5, off_value=-1, axis=0)
        assert z.dtype == tf.int32 and z.shape.as_list() == [2, 2, 1]
        np.testing.assert_array_equal(_run(z), np.array([[[-1], [5]], [[5], [-1]]]))
        x = tf.placeholder(tf.float32, [])
        w = tf.one_hot([1], 2, on_value=x)
        assert tf.gradients(w, x) == [None]


def _new_ops(graph, start):
    return [(op.name, op.type) for op in graph.get_operations()[start:]]


def test_gradient_graph_names_match_tf():
    """Op names and types of the gradient graphs as TF 2.21 builds them (observed with the
    oracle in graph mode)."""
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [5, 4])
        y = tf.reduce_sum(x[1:3, 2])
        n = len(g.get_operations())
        tf.gradients(y, x)
        ops = _new_ops(g, n)
        assert ops[-6:] == [
            ("gradients/strided_slice_grad/Shape", "Const"),
            ("gradients/strided_slice_grad/StridedSliceGrad/shape", "Const"),
            ("gradients/strided_slice_grad/StridedSliceGrad/begin", "Const"),
            ("gradients/strided_slice_grad/StridedSliceGrad/end", "Const"),
            ("gradients/strided_slice_grad/StridedSliceGrad/strides", "Const"),
            ("gradients/strided_slice_grad/StridedSliceGrad", "StridedSliceGrad"),
        ]
        p = tf.placeholder(tf.float32, [4, 3])
        s = tf.reduce_sum(tf.unsorted_segment_sum(p, [0, 1, 0, 1], 2))
        n = len(g.get_operations())
        tf.gradients(s, p)
        prefix = "gradients_1/UnsortedSegmentSum_grad/"
        ops = [(name[len(prefix):], kind) for name, kind in _new_ops(g, n)
               if name.startswith(prefix)]
        assert ops == [
            ("zeros_like", "Const"), ("Maximum", "Maximum"), ("GatherV2/axis", "Const"),
            ("GatherV2", "GatherV2"), ("GreaterEqual/y", "Const"),
            ("GreaterEqual", "GreaterEqual"), ("Shape", "Const"), ("Rank", "Const"),
            ("Rank_1", "Const"), ("sub", "Sub"), ("ones/packed", "Pack"),
            ("ones/Const", "Const"), ("ones", "Fill"), ("concat/axis", "Const"),
            ("concat", "ConcatV2"), ("Reshape", "Reshape"),
            ("ones_like/Shape/shape_as_tensor", "Const"), ("ones_like/Const", "Const"),
            ("ones_like", "Fill"), ("and", "LogicalAnd"), ("zeros_like_1", "Const"),
            ("SelectV2", "SelectV2"),
        ]
