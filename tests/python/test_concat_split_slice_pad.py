"""concat, split (even and by sizes), slice and pad: values against numpy, first and second
derivatives against central differences (gradient_checker.py), op names and types against
TF 2.21 (hard-coded below, as observed with ``tf.compat.v1`` in graph mode), and errors."""

from __future__ import annotations


import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import check_on_placeholders as _check  # noqa: E402
from gradient_checker import run_once as _run  # noqa: E402
from gradient_checker import seeded_uniform as _v  # noqa: E402




def _ops(graph, start=0):
    return [(op.name, op.type, [t.name for t in op.inputs])
            for op in graph.get_operations()[start:]]


# ----- values -----

X = np.arange(6.0).reshape(2, 3)


def test_values_match_numpy():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        feed = {x: X}
        out = _run([tf.slice(x, [0, 1], [-1, 2]), tf.slice(x, [1, 0], [1, 3]),
                    tf.pad(x, [[1, 0], [0, 2]]), tf.pad(x, [[0, 1], [2, 0]], constant_values=-1.5),
                    tf.pad(x, [[1, 1], [1, 1]], mode="constant"),
                    tf.concat([x, x * 2.0], 0), tf.concat([x, x * 2.0], -1)], feed)
        np.testing.assert_array_equal(out[0], X[:, 1:3])
        np.testing.assert_array_equal(out[1], X[1:2, :])
        np.testing.assert_array_equal(out[2], np.pad(X, [[1, 0], [0, 2]]))
        np.testing.assert_array_equal(out[3], np.pad(X, [[0, 1], [2, 0]], constant_values=-1.5))
        np.testing.assert_array_equal(out[4], np.pad(X, 1))
        np.testing.assert_array_equal(out[5], np.concatenate([X, 2 * X], 0))
        np.testing.assert_array_equal(out[6], np.concatenate([X, 2 * X], -1))


def test_pad_of_ints_and_bools():
    with tf.Graph().as_default():
        i = tf.pad(np.arange(4, dtype=np.int32), [[1, 2]], constant_values=7)
        b = tf.pad(np.array([True]), [[1, 2]])
        iv, bv = _run([i, b])
        assert i.dtype == tf.int32 and i.op.type == "PadV2"
        np.testing.assert_array_equal(iv, [7, 0, 1, 2, 3, 7, 7])
        np.testing.assert_array_equal(bv, [False, True, False, False])
        assert b.op.type == "Pad"


@pytest.mark.parametrize("sizes,axis", [([1, 2], 1), ([1, -1], 1), ([2, 0], 0), ([3], -1),
                                        ([-1, 1, 1], 1)])
def test_split_by_sizes_matches_numpy(sizes, axis):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        parts = tf.split(x, sizes, axis=axis)
        dim = X.shape[axis]
        resolved = [dim - sum(s for s in sizes if s != -1) if s == -1 else s for s in sizes]
        expected = np.split(X, np.cumsum(resolved)[:-1], axis=axis)
        assert len(parts) == len(sizes)
        for got, want in zip(_run(parts, {x: X}), expected):
            np.testing.assert_array_equal(got, want)


def test_split_sizes_as_a_tensor_and_static_shapes():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3])
        parts = tf.split(x, tf.constant([2, 1]), 1, num=2)
        assert [p.shape.as_list() for p in parts] == [[2, 2], [2, 1]]
        parts = tf.split(x, [1, -1], 1)
        assert [p.shape.as_list() for p in parts] == [[2, 1], [2, 2]]
        s = tf.slice(x, [0, 1], [-1, 2])
        assert s.shape.as_list() == [2, 2]
        assert tf.pad(x, [[1, 0], [0, 2]]).shape.as_list() == [3, 5]
        u = tf.placeholder(tf.float64, [None, 3])
        assert tf.pad(u, [[1, 0], [0, 2]]).shape.as_list() == [None, 5]
        sizes = tf.placeholder(tf.int32, [2])
        assert [p.shape.as_list() for p in tf.split(u, sizes, 1)] == [[None, None]] * 2


# ----- errors -----

def test_errors():
    with tf.Graph().as_default():
        x = tf.constant(X)
        with pytest.raises(ValueError, match='expected to be one of "CONSTANT", "REFLECT", or '
                                             '"SYMMETRIC". Received `mode` = FOO'):
            tf.pad(x, [[1, 0], [0, 2]], mode="foo")
        for mode in ("REFLECT", "symmetric"):
            with pytest.raises(ValueError, match="MirrorPad"):
                tf.pad(x, [[3, 0], [0, 2]], mode=mode)
        with pytest.raises(ValueError, match="Paddings must be non-negative"):
            tf.pad(x, [[-1, 0], [0, 2]])
        with pytest.raises(ValueError, match="Rank-0 tensors are not supported"):
            tf.split(x, tf.constant(2), 1)
        with pytest.raises(ValueError, match="Cannot infer argument `num`"):
            tf.split(x, tf.placeholder(tf.int32, None), 1)
        with pytest.raises(ValueError, match="size_splits can only have one -1"):
            tf.split(x, [-1, -1], 1)
        with pytest.raises(ValueError, match=r"can't split axis of size 3 into pieces of size "
                                             r"\[1,1\]"):
            tf.split(x, [1, 1], 1)
        with pytest.raises(ValueError, match="Invalid value in tensor used for shape: -2"):
            tf.slice(x, [0, 1], [1, -2])
        with pytest.raises(TypeError):
            tf.slice(x, [0.0, 0.0], [1, 1])
        p = tf.placeholder(tf.float64, None)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Expected size\[1\] in \[0, 2\], but got 3"):
            _run(tf.slice(p, [0, 1], [1, 3]), {p: X})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Determined shape must either"):
            _run(tf.split(p, [1, 1], 1), {p: X})


# ----- gradients (first and second order) -----

GRADS = [
    ("slice", lambda x: tf.slice(x, [0, 1], [-1, 2]) ** 2, [None, 3], (2, 3)),
    ("slice_unknown_rank", lambda x: tf.sin(tf.slice(x, [1, 0], [1, -1])), None, (2, 3)),
    ("pad", lambda x: tf.pad(x, [[1, 0], [0, 2]]) ** 2, [None, 3], (2, 3)),
    ("pad_v2", lambda x: tf.exp(tf.pad(x, [[0, 1], [2, 1]], constant_values=0.5)), None,
     (2, 3)),
    ("concat0", lambda x: tf.concat([x, x * x], 0) ** 2, [None, 3], (2, 3)),
    ("concat1", lambda x: tf.concat([tf.sin(x), x, x * x], axis=1) ** 2, [2, 3], (2, 3)),
    ("concat-1", lambda x: tf.concat([x, tf.exp(x)], -1) ** 2, None, (2, 3)),
    ("concat20_0", lambda x: tf.concat([x * (i + 1.0) if i % 2 else tf.sin(x)
                                        for i in range(20)], 0) ** 2, [None, 2], (2, 2)),
    ("concat20_1", lambda x: tf.concat([x * (i + 1.0) if i % 2 else tf.sin(x)
                                        for i in range(20)], 1) ** 2, [2, 2], (2, 2)),
    ("concat20_-1", lambda x: tf.concat([x * (i + 1.0) if i % 2 else tf.sin(x)
                                         for i in range(20)], -1) ** 2, None, (2, 2)),
    ("split", lambda x: (lambda p: p[0] * p[2] + p[1])(tf.split(x, 3, axis=1)), [None, 3],
     (2, 3)),
    ("split_unused", lambda x: tf.split(x, 2, axis=0)[1] ** 2, [2, 3], (2, 3)),
    ("splitv", lambda x: (lambda p: p[0] * 2.0 + tf.reduce_sum(p[1] ** 2))(
        tf.split(x, [1, 2], axis=1)), [None, 3], (2, 3)),
    ("splitv_-1_unused", lambda x: tf.split(x, [-1, 1], axis=-1)[0] ** 3, None, (2, 3)),
    ("unstack_stack", lambda x: tf.stack(tf.unstack(x, axis=1)[::-1], axis=0) ** 2,
     [None, 3], (2, 3)),
]


@pytest.mark.parametrize("name,fn,shape,vshape", GRADS, ids=[g[0] for g in GRADS])
def test_gradients(name, fn, shape, vshape):
    _check(fn, [(shape, _v(vshape, name))])


def test_concat_of_two_placeholders():
    rng = np.random.RandomState(3)
    _check(lambda x, y: tf.concat([x, y * y], axis=1) ** 2,
           [([None, 3], rng.uniform(-2, 2, (2, 3))), ([2, None], rng.uniform(-2, 2, (2, 2)))])


# ----- names and op types against TF 2.21 -----

def test_concat_and_split_names_match_tf():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        y = tf.placeholder(tf.float32, [2, None], name="y")
        start = len(g.get_operations())
        c = tf.concat([x, y], 1)
        tf.concat([x], 1)
        tf.split(x, 3, axis=1)
        s2 = tf.split(x, [1, 2], axis=1)
        tf.split(x, [1, -1], 1, name="foo")
        assert _ops(g, start) == [
            ("concat/axis", "Const", []),
            ("concat", "ConcatV2", ["x:0", "y:0", "concat/axis:0"]),
            ("concat_1/concat_dim", "Const", []),
            ("concat_1/concat", "Identity", ["x:0"]),
            ("split/split_dim", "Const", []),
            ("split", "Split", ["split/split_dim:0", "x:0"]),
            ("Const", "Const", []),
            ("split_1/split_dim", "Const", []),
            ("split_1", "SplitV", ["x:0", "Const:0", "split_1/split_dim:0"]),
            ("Const_1", "Const", []),
            ("foo/split_dim", "Const", []),
            ("foo", "SplitV", ["x:0", "Const_1:0", "foo/split_dim:0"]),
        ]
        assert c.shape.as_list() == [2, None]
        assert c.op.get_attr("N") == 2
        assert s2[0].op.get_attr("num_split") == 2

        start = len(g.get_operations())
        tf.gradients(c, [x, y])
        p = "gradients/concat_grad/"
        assert _ops(g, start) == [
            ("gradients/Shape", "Shape", ["concat:0"]),
            ("gradients/grad_ys_0/Const", "Const", []),
            ("gradients/grad_ys_0", "Fill", ["gradients/Shape:0", "gradients/grad_ys_0/Const:0"]),
            (p + "Rank", "Const", []),
            (p + "mod", "FloorMod", ["concat/axis:0", p + "Rank:0"]),
            (p + "Shape", "Const", []),
            (p + "Shape_1", "Shape", ["y:0"]),
            (p + "ShapeN", "ShapeN", ["x:0", "y:0"]),
            (p + "ConcatOffset", "ConcatOffset", [p + "mod:0", p + "ShapeN:0", p + "ShapeN:1"]),
            (p + "Slice", "Slice", ["gradients/grad_ys_0:0", p + "ConcatOffset:0", p + "ShapeN:0"]),
            (p + "Slice_1", "Slice",
             ["gradients/grad_ys_0:0", p + "ConcatOffset:1", p + "ShapeN:1"]),
        ]
        start = len(g.get_operations())
        tf.gradients(s2[0], [x])
        assert _ops(g, start)[-2:] == [
            ("gradients_1/zeros_like", "ZerosLike", ["split_1:1"]),
            ("gradients_1/split_1_grad/concat", "ConcatV2",
             ["gradients_1/grad_ys_0:0", "gradients_1/zeros_like:0", "split_1/split_dim:0"]),
        ]


def test_slice_pad_and_large_concat_gradient_names_match_tf():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        sl = tf.slice(x, [0, 1], [-1, 2])
        p2 = tf.pad(x, [[1, 0], [0, 2]], constant_values=3.0)
        assert [op.name for op in g.get_operations()[1:]] == [
            "Slice/begin", "Slice/size", "Slice", "PadV2/paddings", "PadV2/constant_values",
            "PadV2"]
        start = len(g.get_operations())
        tf.gradients(sl, [x])
        q = "gradients/Slice_grad/"
        assert _ops(g, start)[3:] == [
            (q + "Rank", "Const", []),
            (q + "Shape", "Const", []),
            (q + "stack/1", "Const", []),
            (q + "stack", "Pack", [q + "Rank:0", q + "stack/1:0"]),
            (q + "Reshape", "Reshape", ["Slice/begin:0", q + "stack:0"]),
            (q + "Shape_1", "Const", []),
            (q + "sub", "Sub", [q + "Shape_1:0", q + "Shape:0"]),
            (q + "sub_1", "Sub", [q + "sub:0", "Slice/begin:0"]),
            (q + "Reshape_1", "Reshape", [q + "sub_1:0", q + "stack:0"]),
            (q + "concat/axis", "Const", []),
            (q + "concat", "ConcatV2", [q + "Reshape:0", q + "Reshape_1:0", q + "concat/axis:0"]),
            (q + "Pad", "Pad", ["gradients/grad_ys_0:0", q + "concat:0"]),
        ]
        start = len(g.get_operations())
        tf.gradients(p2, [x])
        q = "gradients_1/PadV2_grad/"
        assert _ops(g, start)[3:] == [
            (q + "Rank", "Const", []),
            (q + "stack/1", "Const", []),
            (q + "stack", "Pack", [q + "Rank:0", q + "stack/1:0"]),
            (q + "Slice/begin", "Const", []),
            (q + "Slice", "Slice", ["PadV2/paddings:0", q + "Slice/begin:0", q + "stack:0"]),
            (q + "Reshape/shape", "Const", []),
            (q + "Reshape", "Reshape", [q + "Slice:0", q + "Reshape/shape:0"]),
            (q + "Shape", "Const", []),
            (q + "Slice_1", "Slice", ["gradients_1/grad_ys_0:0", q + "Reshape:0", q + "Shape:0"]),
        ]
        xs = [tf.placeholder(tf.float32, [2, 1]) for _ in range(17)]
        c = tf.concat(xs, -1)
        start = len(g.get_operations())
        grads = tf.gradients(c, xs[:1])
        q = "gradients_2/concat_grad/"
        ops = _ops(g, start)
        assert [(n, t) for n, t, _ in ops[3:5]] == [(q + "Rank", "Const"), (q + "mod", "FloorMod")]
        assert [n for n, _, _ in ops[5:22]] == [q + "Shape"] + [f"{q}Shape_{i}" for i in
                                                               range(1, 17)]
        assert ops[22:] == [
            (q + "stack", "Pack", [f"{q}Shape{'' if i == 0 else f'_{i}'}:0" for i in range(17)]),
            (q + "Slice/begin/1", "Const", []),
            (q + "Slice/begin", "Pack", [q + "mod:0", q + "Slice/begin/1:0"]),
            (q + "Slice/size", "Const", []),
            (q + "Slice", "Slice", [q + "stack:0", q + "Slice/begin:0", q + "Slice/size:0"]),
            (q + "Squeeze", "Squeeze", [q + "Slice:0"]),
            (q + "split", "SplitV", ["gradients_2/grad_ys_0:0", q + "Squeeze:0", q + "mod:0"]),
        ]
        assert grads[0].shape.as_list() == [2, 1]
        assert g.get_operation_by_name(q + "split").get_attr("num_split") == 17
