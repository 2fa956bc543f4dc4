"""float16 (``tf.half``): stored as half, computed in f32 and rounded once per op, as TF's CPU
kernels do. Values of a wide set of ops against the same program in float32, gradients and
second derivatives against float64 at half's precision, training, variables, checkpoints and
the dtype's own surface."""

from __future__ import annotations

import numpy as np
import pytest
from gradient_checker import run_once

import symgrad as tf

RNG = np.random.RandomState(7)
A = (RNG.rand(2, 3, 4, 5) + 0.5).astype(np.float32)
B = (RNG.rand(2, 3, 4, 5) + 0.5).astype(np.float32)

# name -> f(x, y) for x, y of shape [2, 3, 4, 5].
PROGRAMS = {
    "arithmetic": lambda x, y: (x + y) * x / y - tf.squared_difference(x, y),
    "pow": lambda x, y: tf.pow(x, y),
    "unary": lambda x, y: tf.exp(x) + tf.log(y) + tf.tanh(x) + tf.sigmoid(y) + tf.rsqrt(x),
    "activations": lambda x, y: tf.nn.softplus(x) + tf.nn.elu(x - 1) + tf.nn.relu6(4 * y)
    + tf.nn.leaky_relu(x - 1) + tf.nn.selu(y - 1),
    "special": lambda x, y: tf.math.erf(x) + tf.lgamma(y) + tf.atan2(x, y),
    "reductions": lambda x, y: tf.reduce_sum(x, 1) + tf.reduce_mean(y, 1) + tf.reduce_max(x, 1)
    + tf.reduce_logsumexp(y, 1) + tf.reduce_prod(x, 1),
    "softmax": lambda x, y: tf.nn.softmax(x) + tf.nn.log_softmax(y),
    "layout": lambda x, y: tf.concat([tf.transpose(x, [0, 2, 1, 3])[:, :3, :3],
                                      tf.gather(y, [2, 0, 1], axis=2)], 3),
    "pad_tile": lambda x, y: tf.tile(tf.pad(x, [[0, 0], [1, 1], [0, 0], [2, 0]]), [1, 2, 1, 1]),
    "select": lambda x, y: tf.where(x > y, x, y) + tf.clip_by_value(x, 0.7, 1.2),
    "matmul": lambda x, y: tf.matmul(x, y, transpose_b=True),
    "conv_pool": lambda x, y: tf.nn.max_pool(
        tf.nn.conv2d(x, tf.ones([2, 2, 5, 3], x.dtype) / 10, [1, 1, 1, 1], "SAME"),
        [1, 2, 2, 1], [1, 1, 1, 1], "SAME") + tf.nn.avg_pool(
        tf.nn.conv2d(y, tf.ones([2, 2, 5, 3], y.dtype) / 10, [1, 1, 1, 1], "SAME"),
        [1, 2, 2, 1], [1, 1, 1, 1], "SAME"),
    "losses": lambda x, y: tf.nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.nn.softmax(y), logits=x) + tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y / 2, logits=x), -1),
    "normalization": lambda x, y: tf.nn.l2_normalize(x, 1) + tf.nn.batch_normalization(
        x, *tf.nn.moments(x, [0, 1, 2]), 0.5, 1.5, 1e-3) + tf.nn.lrn(y),
    "cumsum_einsum": lambda x, y: tf.cumsum(x, 1) + tf.einsum("abcd,abcd->abc", x, y)[..., None],
    "resize": lambda x, y: tf.image.resize_bilinear(x, [6, 8]),
    "linalg": lambda x, y: tf.matrix_inverse(x[0, 0, :4, :4] + 5 * tf.eye(4, dtype=x.dtype))
    + tf.cholesky(tf.matmul(y[0, 0, :4], y[0, 0, :4], transpose_b=True)
                  + tf.eye(4, dtype=y.dtype)),
}


# The reference dtype: float64, or float32 where TF's op takes no float64 (LRN).
WIDE = {"normalization": np.float32}


def _run(program, dtype, grads=False, second=False):
    with tf.Graph().as_default():
        x = tf.placeholder(dtype, A.shape)
        y = tf.placeholder(dtype, B.shape)
        out = program(x, y)
        fetch = out
        if grads:
            weight = tf.constant(np.linspace(0.5, 1.5, num=1), out.dtype)
            g = tf.gradients(tf.reduce_sum(out * weight), [x, y])
            fetch = [t for t in g if t is not None]
            if second:
                fetch = [t for t in tf.gradients(tf.reduce_sum(fetch[0] * fetch[0]), [x, y])
                         if t is not None]
        return run_once(fetch, {x: A.astype(dtype), y: B.astype(dtype)})


def _close(half, wide, scale=1.0):
    half = [half] if isinstance(half, np.ndarray) else half
    wide = [wide] if isinstance(wide, np.ndarray) else wide
    assert len(half) == len(wide)
    for h, w in zip(half, wide):
        assert h.dtype in (np.float16, np.float32)  # resize_bilinear returns float32, as TF
        w = np.asarray(w, np.float64)
        # Half keeps 11 significant bits: a few roundings along the program.
        tol = 1e-2 * scale * max(1.0, float(np.abs(w).max()))
        np.testing.assert_allclose(h.astype(np.float64), w, atol=tol, rtol=1e-2 * scale)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_match_the_wide_program(name):
    half = _run(PROGRAMS[name], np.float16)
    assert half.dtype == (np.float32 if name == "resize" else np.float16)
    _close(half, _run(PROGRAMS[name], WIDE.get(name, np.float64)))


@pytest.mark.parametrize("name", sorted(set(PROGRAMS) - {"select"}))
def test_gradients_match_float64(name):
    # `select` is left out: rounding to half makes ties where float64 has none.
    half = _run(PROGRAMS[name], np.float16, grads=True)
    assert all(g.dtype == np.float16 for g in half)
    _close(half, _run(PROGRAMS[name], WIDE.get(name, np.float64), grads=True), scale=3.0)


@pytest.mark.parametrize("name", ["arithmetic", "unary", "softmax", "matmul", "losses"])
def test_second_derivatives_match_float64(name):
    half = _run(PROGRAMS[name], np.float16, grads=True, second=True)
    _close(half, _run(PROGRAMS[name], np.float64, grads=True, second=True), scale=5.0)


def test_elementwise_values_are_rounded_once():
    x = np.array([0.1, 0.7, 1.3, 2.9, 5.5, -3.25], np.float16)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float16, [6])
        out = run_once([tf.exp(p) * p, tf.sqrt(tf.abs(p)), p / 3], {p: x})
    wide = x.astype(np.float32)
    np.testing.assert_array_equal(
        out[0], (np.exp(wide).astype(np.float16).astype(np.float32) * wide).astype(np.float16))
    np.testing.assert_array_equal(out[1], np.sqrt(np.abs(wide)).astype(np.float16))
    np.testing.assert_array_equal(out[2], (wide / 3).astype(np.float16))


def test_the_dtype():
    assert tf.float16 is tf.half is tf.dtypes.float16 is tf.as_dtype("half")
    assert tf.as_dtype(np.float16) is tf.float16 and tf.as_dtype(19) is tf.float16
    assert tf.float16.as_datatype_enum == 19 and tf.float16.size == 2
    assert tf.float16.is_floating and not tf.float16.is_integer
    assert (tf.float16.min, tf.float16.max) == (-65504.0, 65504.0)
    assert repr(tf.float16) == "tf.float16" and str(tf.half) == "<dtype: 'float16'>"
    with tf.Graph().as_default():
        c = tf.constant([1.5, 2.5], dtype=tf.half)
        assert c.dtype is tf.float16 and c.op.get_attr("dtype") is tf.float16
        assert tf.constant(np.float16(3)).dtype is tf.float16
        # 70000 is past half's largest value: infinity, as numpy and TF.
        big = tf.cast(tf.constant(70000.0), tf.float16)
        r = tf.range(tf.constant(0, tf.float16), 3)
        assert r.dtype is tf.float16
        got = run_once([c, big, r, tf.random_uniform([1000], dtype=tf.float16)])
    assert got[0].dtype == np.float16 and got[0].tolist() == [1.5, 2.5]
    assert got[1] == np.inf and got[2].tolist() == [0, 1, 2]
    assert got[3].dtype == np.float16 and 0 <= got[3].min() and got[3].max() < 1
    with pytest.raises(TypeError, match="not in list of allowed values: int32, int64, float32"):
        tf.bincount([1, 2], weights=tf.constant([1.0, 2.0], tf.float16))


def test_training_variables_and_checkpoints(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(np.array([1.0, 2.0], np.float16), name="v")
        w = tf.get_variable("w", [2], tf.float16, initializer=tf.ones_initializer())
        loss = tf.reduce_sum(tf.square(v * w - 3.0))
        assert loss.dtype is tf.float16
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        bump = v.assign_add([1.0, 1.0])
        scatter = tf.scatter_add(w, [0], [0.5])
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss)
            for _ in range(40):
                sess.run(train)
            last = sess.run(loss)
            v_now = sess.run(v)
            assert sess.run(bump).tolist() == (v_now + np.float16(1)).tolist()
            assert sess.run(scatter).dtype == np.float16
            path = saver.save(sess, str(tmp_path / "half"))
            kept = sess.run([v, w])
            sess.run(v.assign([0.0, 0.0]))
            saver.restore(sess, path)
            restored = sess.run([v, w])
    assert last < first / 4
    for a, b in zip(kept, restored):
        assert b.dtype == np.float16
        np.testing.assert_array_equal(a, b)


def test_graph_defs_carry_half_constants():
    with tf.Graph().as_default() as g:
        tf.constant([0.5, -1.25], tf.float16, name="h")
        tf.placeholder(tf.float16, [None], name="p")
        graph_def = g.as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        p = tf.get_default_graph().get_tensor_by_name("p:0")
        assert p.dtype is tf.float16
        got = run_once(tf.get_default_graph().get_tensor_by_name("h:0"))
    assert got.dtype == np.float16 and got.tolist() == [0.5, -1.25]
    # TF's own proto form keeps each half's bits in `half_val`.
    proto = tf.make_tensor_proto(np.float16(0.5))
    proto.ClearField("tensor_content")
    proto.half_val.append(int(np.float16(0.5).view(np.uint16)))
    assert tf.make_ndarray(proto) == np.float16(0.5)


def test_library_functions_take_half():
    x = (np.random.RandomState(3).rand(4, 6, 6, 3) + 0.5).astype(np.float16)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float16, x.shape)
        # As TF's FusedBatchNormV3 with T=half, U=float: y half, statistics float32.
        y, mean, var = tf.nn.fused_batch_norm(p, tf.ones([3]), tf.zeros([3]))
        assert (y.dtype, mean.dtype, var.dtype) == (tf.float16, tf.float32, tf.float32)
        # A Python kernel sees the half values the graph declares.
        doubled = tf.py_func(lambda a: a * np.float16(2), [p], tf.float16)
        hist = tf.summary.histogram("h", p)
        dense = tf.layers.dense(tf.reshape(p, [4, -1]), 5)
        assert dense.dtype is tf.float16
        rnn, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(4), tf.reshape(p, [4, 18, 6]),
                                   dtype=tf.float16)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([y, mean, doubled, hist, dense, rnn], {p: x})
    wide = x.astype(np.float64)
    mu = wide.mean(axis=(0, 1, 2))
    np.testing.assert_allclose(got[1], mu, rtol=1e-5)
    want_y = (wide - mu) / np.sqrt(wide.var(axis=(0, 1, 2)) + 1e-3)
    assert got[0].dtype == np.float16
    np.testing.assert_allclose(got[0].astype(np.float64), want_y, atol=5e-3)
    assert got[2].dtype == np.float16 and np.array_equal(got[2], x * np.float16(2))
    summary = tf.Summary.FromString(got[3])
    assert summary.value[0].histo.num == x.size
    assert got[4].dtype == np.float16 and got[5].dtype == np.float16
