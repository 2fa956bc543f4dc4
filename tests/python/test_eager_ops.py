"""Eager ops and GradientTape against graph mode, op by op.

For each public function: the eager result equals the graph-mode result, and the tape's
gradient (seeded with a random ``output_gradients``) equals ``gradients()`` with the same
``grad_ys`` in graph mode. Both modes run the same Rust kernels and gradient functions, so
the values must agree to rounding.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


def _rng(key: str) -> np.random.RandomState:
    return np.random.RandomState(zlib.crc32(key.encode()))


def pos(shape):
    return lambda r: r.uniform(0.5, 2.0, shape)


def any_(shape):
    return lambda r: r.uniform(-2.0, 2.0, shape)


def unit(shape):
    return lambda r: r.uniform(-0.8, 0.8, shape)


def distinct(shape):
    # Values apart from each other so max/min/sort have no ties.
    n = int(np.prod(shape))
    return lambda r: (r.permutation(n).reshape(shape) * 0.37 + 0.1).astype(np.float64)


def spd(n):
    def make(r):
        a = r.uniform(-1, 1, (n, n))
        return a @ a.T + n * np.eye(n)
    return make


# (name, function of tensors, input samplers)
CASES = [
    ("add", lambda x, y: tf.add(x, y), [any_([2, 3]), any_([3])]),
    ("subtract", lambda x, y: tf.subtract(x, y), [any_([2, 3]), any_([2, 1])]),
    ("multiply", lambda x, y: tf.multiply(x, y), [any_([2, 3]), any_([2, 3])]),
    ("divide", lambda x, y: tf.divide(x, y), [any_([2, 3]), pos([3])]),
    ("truediv", lambda x, y: tf.truediv(x, y), [any_([3]), pos([3])]),
    ("realdiv", lambda x, y: tf.realdiv(x, y), [any_([3]), pos([3])]),
    ("pow", lambda x, y: tf.pow(x, y), [pos([2, 2]), any_([2, 2])]),
    ("maximum", lambda x, y: tf.maximum(x, y), [distinct([4]), any_([4])]),
    ("minimum", lambda x, y: tf.minimum(x, y), [distinct([4]), any_([4])]),
    ("squared_difference", lambda x, y: tf.squared_difference(x, y),
     [any_([3]), any_([2, 3])]),
    ("atan2", lambda x, y: tf.atan2(x, y), [any_([3]), pos([3])]),
    ("negative", tf.negative, [any_([3])]),
    ("abs", tf.abs, [distinct([4])]),
    ("square", tf.square, [any_([3])]),
    ("sqrt", tf.sqrt, [pos([3])]),
    ("rsqrt", tf.rsqrt, [pos([3])]),
    ("exp", tf.exp, [any_([3])]),
    ("expm1", tf.expm1, [any_([3])]),
    ("log", tf.log, [pos([3])]),
    ("log1p", tf.log1p, [pos([3])]),
    ("reciprocal", tf.reciprocal, [pos([3])]),
    ("sin", tf.sin, [any_([3])]),
    ("cos", tf.cos, [any_([3])]),
    ("tan", tf.tan, [unit([3])]),
    ("tanh", tf.tanh, [any_([3])]),
    ("sigmoid", tf.sigmoid, [any_([3])]),
    ("erf", tf.erf, [any_([3])]),
    ("sign", tf.sign, [distinct([3])]),
    ("floor", tf.floor, [distinct([3])]),
    ("round", tf.round, [distinct([3])]),
    ("relu", tf.nn.relu, [distinct([2, 3])]),
    ("relu6", tf.nn.relu6, [any_([2, 3])]),
    ("elu", tf.nn.elu, [distinct([2, 3])]),
    ("selu", tf.nn.selu, [distinct([2, 3])]),
    ("softplus", tf.nn.softplus, [any_([2, 3])]),
    ("gelu", tf.nn.gelu, [any_([2, 3])]),
    ("l2_loss", tf.nn.l2_loss, [any_([2, 3])]),
    ("moments", lambda x: tf.add_n(list(tf.nn.moments(x, axes=[0]))), [any_([3, 2])]),
    ("batch_normalization", lambda x, m, v: tf.nn.batch_normalization(
        x, m, v, None, None, 1e-3), [any_([2, 3]), any_([3]), pos([3])]),
    ("depthwise_conv2d", lambda x, w: tf.nn.depthwise_conv2d(
        x, w, [1, 1, 1, 1], "VALID"), [any_([1, 3, 3, 2]), any_([2, 2, 2, 1])]),
    ("conv2d_transpose", lambda x, w: tf.nn.conv2d_transpose(
        x, w, [1, 4, 4, 1], [1, 2, 2, 1], "SAME"), [any_([1, 2, 2, 2]), any_([2, 2, 1, 2])]),
    ("top_k", lambda x: tf.nn.top_k(x, 2)[0], [distinct([2, 4])]),
    ("leaky_relu", tf.nn.leaky_relu, [distinct([2, 3])]),
    ("softmax", tf.nn.softmax, [any_([2, 3])]),
    ("log_softmax", tf.nn.log_softmax, [any_([2, 3])]),
    ("l2_normalize", lambda x: tf.nn.l2_normalize(x, axis=1), [any_([2, 3])]),
    ("bias_add", tf.nn.bias_add, [any_([2, 3]), any_([3])]),
    ("softmax_xent", lambda x, y: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.nn.softmax(y), logits=x), [any_([2, 3]), any_([2, 3])]),
    ("sigmoid_xent", lambda x, y: tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.sigmoid(y), logits=x), [any_([2, 3]), any_([2, 3])]),
    ("sparse_softmax_xent", lambda x: tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant([2, 0]), logits=x), [any_([2, 3])]),
    ("reduce_sum", lambda x: tf.reduce_sum(x, axis=1), [any_([2, 3])]),
    ("reduce_sum_all", tf.reduce_sum, [any_([2, 3])]),
    ("reduce_mean", lambda x: tf.reduce_mean(x, axis=0, keepdims=True), [any_([2, 3])]),
    ("reduce_max", lambda x: tf.reduce_max(x, axis=1), [distinct([2, 3])]),
    ("reduce_min", lambda x: tf.reduce_min(x, axis=0), [distinct([2, 3])]),
    ("reduce_prod", lambda x: tf.reduce_prod(x, axis=1), [pos([2, 3])]),
    ("reduce_logsumexp", lambda x: tf.reduce_logsumexp(x, axis=1), [any_([2, 3])]),
    ("norm", tf.norm, [any_([2, 3])]),
    ("matmul", tf.matmul, [any_([2, 3]), any_([3, 4])]),
    ("matmul_t", lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
     [any_([3, 2]), any_([4, 3])]),
    ("batch_matmul", tf.matmul, [any_([2, 2, 3]), any_([2, 3, 2])]),
    ("einsum", lambda a, b: tf.einsum("ij,jk->ik", a, b), [any_([2, 3]), any_([3, 2])]),
    ("tensordot", lambda a, b: tf.tensordot(a, b, 1), [any_([2, 3]), any_([3, 2])]),
    ("add_n", lambda a, b, c: tf.add_n([a, b, c]), [any_([3]), any_([3]), any_([3])]),
    ("reshape", lambda x: tf.reshape(x, [3, 2]), [any_([2, 3])]),
    ("reshape_infer", lambda x: tf.reshape(x, [-1]), [any_([2, 3])]),
    ("transpose", tf.transpose, [any_([2, 3])]),
    ("transpose_perm", lambda x: tf.transpose(x, [1, 2, 0]), [any_([2, 3, 2])]),
    ("expand_dims", lambda x: tf.expand_dims(x, 1), [any_([2, 3])]),
    ("squeeze", tf.squeeze, [any_([2, 1, 3])]),
    ("identity", tf.identity, [any_([3])]),
    ("stop_gradient", lambda x: x * tf.stop_gradient(x), [any_([3])]),
    ("concat", lambda a, b: tf.concat([a, b], axis=1), [any_([2, 3]), any_([2, 2])]),
    ("stack", lambda a, b: tf.stack([a, b], axis=1), [any_([2, 3]), any_([2, 3])]),
    ("unstack", lambda x: tf.unstack(x)[1], [any_([2, 3])]),
    ("split", lambda x: tf.split(x, 3, axis=1)[2], [any_([2, 3])]),
    ("tile", lambda x: tf.tile(x, [2, 1]), [any_([2, 3])]),
    ("broadcast_to", lambda x: tf.broadcast_to(x, [2, 3]), [any_([3])]),
    ("slice", lambda x: tf.slice(x, [0, 1], [2, 2]), [any_([2, 3])]),
    ("strided_slice", lambda x: x[:, ::2], [any_([2, 3])]),
    ("getitem", lambda x: x[1], [any_([2, 3])]),
    ("pad", lambda x: tf.pad(x, [[1, 0], [0, 2]]), [any_([2, 3])]),
    ("gather", lambda x: tf.gather(x, [2, 0, 2]), [any_([3, 2])]),
    ("gather_axis1", lambda x: tf.gather(x, [1, 1], axis=1), [any_([2, 3])]),
    ("gather_nd", lambda x: tf.gather_nd(x, [[0, 1], [1, 2]]), [any_([2, 3])]),
    ("unsorted_segment_sum", lambda x: tf.unsorted_segment_sum(x, [0, 1, 0], 2),
     [any_([3, 2])]),
    ("reverse", lambda x: tf.reverse(x, [1]), [any_([2, 3])]),
    ("cumsum", lambda x: tf.cumsum(x, axis=1), [any_([2, 3])]),
    ("cumprod", lambda x: tf.cumprod(x, axis=1), [pos([2, 3])]),
    ("where", lambda x, y: tf.where(tf.constant([True, False, True]), x, y),
     [any_([3]), any_([3])]),
    ("clip_by_value", lambda x: tf.clip_by_value(x, -0.5, 0.5), [distinct([4])]),
    ("cast", lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64) * x, [any_([3])]),
    ("sort", lambda x: tf.sort(x), [distinct([5])]),
    ("conv2d", lambda x, w: tf.nn.conv2d(x, w, strides=[1, 1, 1, 1], padding="SAME"),
     [any_([1, 4, 4, 2]), any_([3, 3, 2, 2])]),
    ("max_pool", lambda x: tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
     [distinct([1, 4, 4, 1])]),
    ("avg_pool", lambda x: tf.nn.avg_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
     [any_([1, 4, 4, 1])]),
    ("operators", lambda x, y: (x + y) * x - y / (x * x + 1.0) + (-x) ** 2,
     [any_([3]), any_([3])]),
    ("matmul_op", lambda a, b: a @ b, [any_([2, 3]), any_([3, 2])]),
    ("global_norm", lambda a, b: tf.global_norm([a, b]), [any_([3]), any_([2])]),
]


def _graph_mode(fn, values, seed):
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.float64, v.shape) for v in values]
        y = fn(*xs)
        w = tf.placeholder(tf.float64, y.shape)
        # A sparse (gather) gradient is compared densely; the tape densifies it.
        grads = [None if g is None else tf.convert_to_tensor(g)
                 for g in tf.gradients(y, xs, grad_ys=w)]
        with tf.Session() as sess:
            feed = {x: v for x, v in zip(xs, values)}
            feed[w] = seed(tuple(y.shape.as_list()))
            fetch = [y] + [g for g in grads if g is not None]
            out = sess.run(fetch, feed)
    it = iter(out[1:])
    return out[0], [None if g is None else next(it) for g in grads]


def _eager_mode(fn, values, seed):
    with tf.eager_mode():
        xs = [tf.constant(v) for v in values]
        with tf.GradientTape() as tape:
            tape.watch(xs)
            y = fn(*xs)
        w = seed(tuple(y.shape.as_list()))
        grads = tape.gradient(y, xs, output_gradients=tf.constant(w))
        return y.numpy(), [None if g is None else g.numpy() for g in grads]


@pytest.mark.parametrize("name,fn,samplers", CASES, ids=[c[0] for c in CASES])
def test_eager_value_and_tape_gradient_match_graph_mode(name, fn, samplers):
    r = _rng(name)
    values = [s(r) for s in samplers]
    w_rng = _rng(name + "/w")
    cache = {}

    def seed(shape):
        if shape not in cache:
            cache[shape] = w_rng.uniform(-1, 1, shape)
        return cache[shape]

    y_graph, g_graph = _graph_mode(fn, values, seed)
    y_eager, g_eager = _eager_mode(fn, values, seed)
    np.testing.assert_allclose(y_eager, y_graph, rtol=1e-12, atol=1e-12)
    for i, (ge, gg) in enumerate(zip(g_eager, g_graph)):
        if gg is None:
            assert ge is None, f"input {i}: eager gradient should be None"
            continue
        assert ge is not None, f"input {i}: eager gradient is None"
        np.testing.assert_allclose(ge, gg, rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


def test_the_case_list_is_broad():
    assert len(CASES) >= 60


SECOND_ORDER = [c for c in CASES if c[0] in (
    "tanh", "sigmoid", "matmul", "reduce_prod", "softmax", "pow", "gather", "conv2d", "exp",
    "divide", "batch_matmul", "softmax_xent", "l2_normalize", "max_pool", "cumprod")]


@pytest.mark.parametrize("name,fn,samplers", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_nested_tapes_give_graph_mode_second_derivatives(name, fn, samplers):
    r = _rng(name + "/2")
    values = [s(r) for s in samplers]
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(tf.float64, v.shape) for v in values]
        g1 = [None if g is None else tf.convert_to_tensor(g)
              for g in tf.gradients(tf.reduce_sum(tf.sin(fn(*xs))), xs)]
        g2 = [None if g is None else tf.convert_to_tensor(g)
              for g in tf.gradients([tf.reduce_sum(g * g) for g in g1 if g is not None], xs)]
        with tf.Session() as sess:
            want = sess.run([g for g in g2 if g is not None],
                            {x: v for x, v in zip(xs, values)})
    with tf.eager_mode():
        xs = [tf.constant(v) for v in values]
        with tf.GradientTape() as outer:
            outer.watch(xs)
            with tf.GradientTape() as inner:
                inner.watch(xs)
                y = tf.reduce_sum(tf.sin(fn(*xs)))
            g1 = inner.gradient(y, xs)
            z = tf.add_n([tf.reduce_sum(g * g) for g in g1 if g is not None])
        g2 = outer.gradient(z, xs)
    got = [g.numpy() for g in g2 if g is not None]
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)
