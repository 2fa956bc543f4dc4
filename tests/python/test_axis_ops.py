"""Ops along an axis: values against numpy, first and second derivatives against central
differences (float64, placeholders with unknown dims), and TF's error classes."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402
from symgrad.math_ops import top_k  # noqa: E402

RNG = np.random.RandomState(7)
X34 = RNG.uniform(0.5, 2.0, size=(3, 4))
X234 = RNG.uniform(0.5, 2.0, size=(2, 3, 4))


def run(build, *values, shapes=None, dtype=tf.float64):
    graph = tf.Graph()
    with graph.as_default():
        shapes = shapes or [[None] * np.ndim(v) for v in values]
        xs = [tf.placeholder(dtype, s) for s in shapes]
        out = build(*xs)
        with tf.Session() as sess:
            return sess.run(out, {x: v for x, v in zip(xs, values)})


def grad_check(build, *values, second_order=True, shapes=None):
    graph = tf.Graph()
    with graph.as_default():
        shapes = shapes or [[None] * np.ndim(v) for v in values]
        xs = [tf.placeholder(tf.float64, s) for s in shapes]
        y = build(*xs)
        assert_gradients_close(xs, y, list(values), tol=1e-5, second_order=second_order)


# ----- values -----
def test_reverse_values():
    np.testing.assert_array_equal(run(lambda x: tf.reverse(x, [0, 2]), X234),
                                  X234[::-1, :, ::-1])
    np.testing.assert_array_equal(run(lambda x: tf.reverse_v2(x, [-1]), X34), X34[:, ::-1])


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_cumprod_values(exclusive, reverse, axis):
    def ref(x, op, init):
        y = np.flip(x, axis) if reverse else x
        c = op(y, axis=axis)
        if exclusive:
            c = np.concatenate([np.full_like(np.take(c, [0], axis=axis), init),
                                np.delete(c, -1, axis=axis)], axis=axis)
        return np.flip(c, axis) if reverse else c
    got = run(lambda x: [tf.cumsum(x, axis, exclusive=exclusive, reverse=reverse),
                         tf.cumprod(x, axis, exclusive=exclusive, reverse=reverse)], X34)
    np.testing.assert_allclose(got[0], ref(X34, np.cumsum, 0.0))
    np.testing.assert_allclose(got[1], ref(X34, np.cumprod, 1.0))


def test_cumsum_int_dtypes():
    for dtype in (tf.int32, tf.int64, tf.float32):
        with tf.Graph().as_default():
            out = tf.cumsum(tf.constant([[1, 2, 3]], dtype=dtype), axis=1)
            with tf.Session() as sess:
                np.testing.assert_array_equal(sess.run(out), [[1, 3, 6]])


def test_argmax_argmin():
    x = np.array([[1.0, 5.0, 5.0], [7.0, -1.0, 0.0]])
    got = run(lambda t: [tf.argmax(t, 1), tf.argmin(t, 0, output_type=tf.int32),
                         tf.argmax(t)], x)
    np.testing.assert_array_equal(got[0], np.argmax(x, 1))
    assert got[0].dtype == np.int64
    np.testing.assert_array_equal(got[1], np.argmin(x, 0))
    assert got[1].dtype == np.int32
    np.testing.assert_array_equal(got[2], np.argmax(x, 0))


def test_argmax_static_shape_and_no_gradient():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, None, 5])
        a = tf.argmax(x, 1)
        assert a.shape.as_list() == [2, 5]
        assert a.op.type == "ArgMax"
        assert tf.gradients(tf.cast(a, tf.float32), x) == [None]


def test_top_k_values_and_ties():
    x = np.array([[1.0, 3.0, 3.0, 2.0], [0.0, -1.0, 4.0, 4.0]])
    values, indices = run(lambda t: list(top_k(t, 3)), x)
    np.testing.assert_array_equal(values, [[3, 3, 2], [4, 4, 0]])
    np.testing.assert_array_equal(indices, [[1, 2, 3], [2, 3, 0]])


def test_sort_argsort():
    x = RNG.normal(size=(3, 5, 4))
    for axis in (-1, 0, 1):
        got = run(lambda t: [tf.sort(t, axis=axis),
                             tf.sort(t, axis=axis, direction="DESCENDING"),
                             tf.argsort(t, axis=axis)], x)
        np.testing.assert_allclose(got[0], np.sort(x, axis=axis))
        np.testing.assert_allclose(got[1], -np.sort(-x, axis=axis))
        np.testing.assert_array_equal(got[2], np.argsort(x, axis=axis, kind="stable"))
    with pytest.raises(ValueError):
        tf.sort(tf.constant([1.0]), direction="UP")


def test_mirror_pad_values():
    paddings = [[1, 2], [2, 3]]
    for mode in ("REFLECT", "SYMMETRIC"):
        got = run(lambda t: tf.pad(t, paddings, mode=mode), X34)
        np.testing.assert_array_equal(got, np.pad(X34, paddings, mode.lower()))
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.pad(tf.constant(X34), [[3, 0], [0, 0]], mode="REFLECT")
        with pytest.raises(ValueError):
            tf.pad(tf.constant(X34), [[0, 0], [0, 0]], mode="WRAP")


def test_mirror_pad_runtime_error():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None])
        y = tf.pad(x, [[3, 0], [0, 0]], mode="REFLECT")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(y, {x: X34})


def test_linspace_and_eye():
    with tf.Graph().as_default():
        ls = tf.linspace(-1.0, 2.0, 7)
        one = tf.linspace(3.0, 5.0, 1)
        e = tf.eye(3)
        e2 = tf.eye(2, 4, batch_shape=[3], dtype=tf.float64)
        with tf.Session() as sess:
            r = sess.run([ls, one, e, e2])
        np.testing.assert_allclose(r[0], np.linspace(-1.0, 2.0, 7))
        np.testing.assert_allclose(r[1], [3.0])
        np.testing.assert_array_equal(r[2], np.eye(3))
        np.testing.assert_array_equal(r[3], np.broadcast_to(np.eye(2, 4), (3, 2, 4)))
        # TF 2.21's linspace_nd: num 0 gives an empty tensor; start and stop broadcast, and
        # the points run along `axis`.
        nd = tf.linspace([0.0, 1.0], [[2.0], [4.0]], 3, axis=-1)
        assert nd.shape.as_list() == [2, 2, 3]
        with tf.Session() as sess:
            empty, got, last = sess.run([tf.linspace(0.0, 1.0, 0), nd,
                                         tf.linspace(-1.0, 2.0, 7)[-1]])
        assert empty.shape == (0,)
        want = np.linspace(np.broadcast_to([0.0, 1.0], (2, 2)),
                           np.broadcast_to([[2.0], [4.0]], (2, 2)), 3, axis=-1)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert last == 2.0  # the stop itself


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("bi,bi->b", [(3, 4), (3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]),
    ("...ij,jk->...ik", [(2, 3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 2)]),
    ("ij...,jk...->ik...", [(3, 4, 2), (4, 2, 2)]),
    ("...i,...i->...", [(2, 3, 4), (3, 4)]),
    ("b...d,bd->b...", [(2, 3, 2, 4), (2, 4)]),
    ("...ij->...ji", [(2, 3, 4)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_values_and_gradients(equation, shapes):
    values = [RNG.uniform(-1, 1, size=s) for s in shapes]
    got = run(lambda *ts: tf.einsum(equation, *ts), *values)
    np.testing.assert_allclose(got, np.einsum(equation, *values), rtol=1e-12, atol=1e-12)
    # Static shapes, then unknown dims: the composite must work from dynamic shapes too.
    grad_check(lambda *ts: tf.einsum(equation, *ts) ** 2, *values,
               shapes=[list(v.shape) for v in values])
    grad_check(lambda *ts: tf.einsum(equation, *ts) ** 2, *values)


def test_einsum_errors():
    with tf.Graph().as_default():
        a = tf.constant(np.ones((2, 3)))
        with pytest.raises(ValueError):
            tf.einsum("ij,jk->ik", a)
        with pytest.raises(ValueError):
            tf.einsum("ii->i", a)
        with pytest.raises(ValueError):
            tf.einsum("ijk->i", a)
        # As TF: dims under an ellipsis must reach the output (the implicit output has none).
        b = tf.constant(np.ones((2, 3, 3)))
        with pytest.raises(ValueError, match="Shape must be at most rank 0 but is rank 1"):
            tf.einsum("...ij,...jk", b, b)
        with pytest.raises(ValueError, match="Shape must be at most rank 0 but is rank 1"):
            tf.einsum("...ij->ij", b)
        # Without an ellipsis the equation gives an operand of unknown rank its rank.
        y = tf.einsum("abc,cd->abd", tf.placeholder(tf.float32), tf.ones([4, 2]))
        assert y.shape.as_list() == [None, None, 2]


@pytest.mark.parametrize("axes", [1, [[0, 1], [1, 0]], [[0], [1]], [[1, 0], [0, 1]], 0])
def test_tensordot(axes):
    a = RNG.uniform(-1, 1, size=(3, 4))
    b = RNG.uniform(-1, 1, size=(4, 3))
    got = run(lambda x, y: tf.tensordot(x, y, axes), a, b, shapes=[[3, 4], [4, 3]])
    np.testing.assert_allclose(got, np.tensordot(a, b, axes), rtol=1e-12)
    grad_check(lambda x, y: tf.tensordot(x, y, axes) ** 2, a, b, shapes=[[3, 4], [4, 3]])


# ----- gradients (first and second order) -----
@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum_cumprod_gradients(exclusive, reverse):
    grad_check(lambda x: tf.cumsum(x, 1, exclusive=exclusive, reverse=reverse) ** 2, X34)
    grad_check(lambda x: tf.cumprod(x, 0, exclusive=exclusive, reverse=reverse) ** 2, X34)


def test_reverse_gradient():
    grad_check(lambda x: tf.reverse(x, [1]) * tf.reverse(x, [0, 1]), X34)


def test_top_k_gradient():
    x = np.array([[1.0, 3.5, 2.0, 0.5], [0.1, -1.0, 4.0, 2.5], [0.3, 0.2, 0.9, 0.8]])
    grad_check(lambda t: top_k(t, 2)[0] ** 3, x)
    grad_check(lambda t: tf.sort(t, axis=0) ** 2 * tf.constant(np.arange(12.0).reshape(3, 4)),
               x)


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC"])
def test_mirror_pad_gradient(mode):
    grad_check(lambda x: tf.pad(x, [[1, 2], [2, 1]], mode=mode) ** 3, X34)
    grad_check(lambda x: tf.pad(x, [[0, 1], [1, 0], [2, 2]], mode=mode) ** 2, X234)


def test_gradient_of_mirror_pad_grad():
    # Third order through MirrorPad -> MirrorPadGrad -> MirrorPad.
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None])
        y = tf.reduce_sum(tf.pad(x, [[1, 1], [1, 1]], mode="SYMMETRIC") ** 3)
        g = tf.gradients(y, x)[0]
        h = tf.gradients(tf.reduce_sum(g), x)[0]
        t = tf.gradients(tf.reduce_sum(h), x)[0]
        with tf.Session() as sess:
            third = sess.run(t, {x: X34})
        # y = sum_i c_i x_i^3 (c_i = times x_i is copied), so d3/dx3 summed = 6 c_i.
        counts = np.pad(np.ones((3, 4)), 1, "symmetric")
        folded = np.zeros((3, 4))
        idx = np.pad(np.arange(12).reshape(3, 4), 1, "symmetric")
        np.add.at(folded.reshape(-1), idx.reshape(-1), counts.reshape(-1))
        np.testing.assert_allclose(third, 6 * folded)


def test_axis_errors():
    with tf.Graph().as_default():
        x = tf.constant(X34)
        with pytest.raises(ValueError):
            tf.reverse(x, [2])
        with pytest.raises(ValueError):
            tf.cumsum(x, 3)
        with pytest.raises(ValueError):
            top_k(x, 5)
        with pytest.raises(TypeError):
            tf.cumsum(tf.constant([True]), 0)
        p = tf.placeholder(tf.float64, [None, None])
        k = tf.placeholder(tf.int32, [])
        v, _ = top_k(p, k)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(v, {p: X34, k: 9})
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(tf.argmax(p, 1), {p: np.zeros((2, 0))})


def test_linspace_is_differentiable_in_start_and_stop():
    with tf.Graph().as_default():
        start = tf.placeholder(tf.float64, [2])
        stop = tf.placeholder(tf.float64, [2])
        assert_gradients_close([start, stop], tf.linspace(start, stop, 5, axis=-1),
                               [np.array([0.5, -1.0]), np.array([2.0, 3.0])], tol=1e-8)
