"""The tf.compat.v1 namespaces and helpers TF 1 programs reach for: compat.v1, math, random,
logging, nn.embedding_lookup, sequence_mask, clip_by_norm. Values are checked against numpy,
gradients against finite differences, graph structure against what TF 2.21 builds."""

from __future__ import annotations

import logging as std_logging

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import compute_gradient_error, compute_second_order_error


def run(fetches, feed=None):
    with tf.Session() as s:
        return s.run(fetches, feed)


def test_compat_v1_is_the_package() -> None:
    assert tf.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder
    x = tf.compat.v1.placeholder(tf.float32, [2])
    assert run(x * 2.0, {x: [1.0, 2.0]}).tolist() == [2.0, 4.0]


def test_math_namespace_is_the_same_functions() -> None:
    for name in tf.math.__all__:
        fn = getattr(tf.math, name)
        if name == "special":  # the submodule tf.math.special
            assert fn.__name__ == "symgrad.math_special"
            continue
        assert callable(fn), name
        if name in tf.__all__:
            assert fn is getattr(tf, name), name
        elif name in tf.nn.__all__:
            assert fn is getattr(tf.nn, name), name
    assert tf.math.reduce_sum is tf.reduce_sum and tf.math.softplus is tf.nn.softplus


def test_log_sigmoid_is_stable_and_differentiable() -> None:
    x = tf.placeholder(tf.float64, [5])
    y = tf.math.log_sigmoid(x)
    assert y.op.name == "LogSigmoid" and y.op.type == "Neg"
    xs = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    got = run(y, {x: xs})
    want = -np.logaddexp(0.0, -xs)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    (g,) = tf.gradients(tf.reduce_sum(y), [x])
    np.testing.assert_allclose(run(g, {x: xs}), np.exp(-np.logaddexp(0.0, xs)), rtol=1e-12)
    assert compute_gradient_error(x, y, np.array([-2.0, -0.5, 0.0, 0.7, 3.0])) < 1e-7
    assert compute_second_order_error(x, y, np.array([-2.0, -0.5, 0.0, 0.7, 3.0])) < 1e-5


def test_random_namespace() -> None:
    assert tf.random.set_random_seed is tf.set_random_seed
    g = tf.Graph()
    with g.as_default():
        tf.random.set_random_seed(7)
        n = tf.random.normal([1000], mean=1.0, stddev=2.0)
        u = tf.random.uniform([1000], minval=-1.0, maxval=3.0)
        t = tf.random.truncated_normal([1000])
        sh = tf.random.shuffle(tf.range(10))
        with tf.Session(graph=g) as s:
            nv, uv, tv, shv = s.run([n, u, t, sh])
    assert abs(nv.mean() - 1.0) < 0.3 and abs(nv.std() - 2.0) < 0.3
    assert uv.min() >= -1.0 and uv.max() < 3.0
    assert np.abs(tv).max() <= 2.0
    assert sorted(shv.tolist()) == list(range(10))


def test_logging(caplog: pytest.LogCaptureFixture) -> None:
    old = tf.logging.get_verbosity()
    try:
        tf.logging.set_verbosity(tf.logging.INFO)
        assert tf.logging.get_verbosity() == tf.logging.INFO == 20
        with caplog.at_level(std_logging.DEBUG, logger="symgrad"):
            tf.logging.set_verbosity(tf.logging.INFO)
            tf.logging.info("step %d", 3)
            tf.logging.debug("hidden")
            tf.logging.warn("careful")
            for i in range(5):
                tf.logging.log_every_n(tf.logging.INFO, "every %d", 2, i)
            for i in range(5):
                tf.logging.log_first_n(tf.logging.INFO, "first %d", 2, i)
        messages = [r.getMessage() for r in caplog.records if r.name == "symgrad"]
        assert messages == ["step 3", "careful", "every 0", "every 2", "every 4",
                            "first 0", "first 1"]
    finally:
        tf.logging.set_verbosity(old)


def test_embedding_lookup_single_table_values_names_and_sparse_gradient() -> None:
    table = np.arange(20, dtype=np.float64).reshape(10, 2)
    params = tf.placeholder(tf.float64, [10, 2])
    ids = tf.constant([[1, 9], [1, 3]])
    e = tf.nn.embedding_lookup(params, ids)
    assert e.op.type == "GatherV2" and e.op.name == "embedding_lookup"
    assert e.shape.as_list() == [2, 2, 2]
    np.testing.assert_array_equal(run(e, {params: table}), table[[[1, 9], [1, 3]]])
    (g,) = tf.gradients(tf.reduce_sum(e * e), [params])
    assert isinstance(g, tf.IndexedSlices)
    dense = np.zeros_like(table)
    np.add.at(dense, [1, 9, 1, 3], 2 * table[[1, 9, 1, 3]])
    np.testing.assert_allclose(run(tf.convert_to_tensor(g), {params: table}), dense)


@pytest.mark.parametrize("strategy", ["mod", "div"])
@pytest.mark.parametrize("rows", [9, 10, 11])
def test_embedding_lookup_shards_match_the_whole_table(strategy: str, rows: int) -> None:
    table = np.random.default_rng(rows).standard_normal((rows, 3))
    n = 3
    if strategy == "mod":
        pieces = [table[i::n] for i in range(n)]
    else:
        sizes = [rows // n + (1 if i < rows % n else 0) for i in range(n)]
        bounds = np.cumsum([0] + sizes)
        pieces = [table[bounds[i]:bounds[i + 1]] for i in range(n)]
    shards = [tf.placeholder(tf.float64, p.shape) for p in pieces]
    ids_value = np.array([[rows - 1, 0], [4, 2], [rows // 2, 1]])
    e = tf.nn.embedding_lookup(shards, tf.constant(ids_value), partition_strategy=strategy)
    feed = dict(zip(shards, pieces))
    np.testing.assert_allclose(run(e, feed), table[ids_value])
    grads = tf.gradients(tf.reduce_sum(e * 3.0), shards)
    counts = np.zeros(rows)
    np.add.at(counts, ids_value.ravel(), 1.0)
    expected = np.repeat(counts[:, None] * 3.0, 3, axis=1)
    whole = (np.concatenate if strategy == "div" else None)
    got = [run(tf.convert_to_tensor(g), feed) for g in grads]
    if whole is not None:
        np.testing.assert_allclose(np.concatenate(got), expected)
    else:
        for i in range(n):
            np.testing.assert_allclose(got[i], expected[i::n])


def test_embedding_lookup_errors() -> None:
    with pytest.raises(ValueError, match="params must be specified"):
        tf.nn.embedding_lookup(None, [0])
    with pytest.raises(ValueError, match="Need at least one param"):
        tf.nn.embedding_lookup([], [0])
    with pytest.raises(ValueError, match="Unrecognized partition strategy"):
        tf.nn.embedding_lookup([tf.zeros([2, 2])] * 2, [0], partition_strategy="x")
    with pytest.raises(tf.errors.InvalidArgumentError):
        run(tf.nn.embedding_lookup(tf.zeros([3, 2]), [5]))
    # An id no shard holds fails in a shard's gather, for both strategies.
    for strategy, bad in [("mod", 7), ("mod", -1), ("div", 6), ("div", -1)]:
        e = tf.nn.embedding_lookup([tf.zeros([3, 2]), tf.zeros([3, 2])], [0, bad],
                                   partition_strategy=strategy)
        with pytest.raises(tf.errors.InvalidArgumentError):
            run(e)


def test_embedding_lookup_shards_of_unknown_size() -> None:
    a, b = tf.placeholder(tf.float32, [None, 2]), tf.placeholder(tf.float32, [None, 2])
    ids = tf.placeholder(tf.int64, [None])
    e = tf.nn.embedding_lookup([a, b], ids, partition_strategy="div")
    table = np.arange(10, dtype=np.float32).reshape(5, 2)
    got = run(e, {a: table[:3], b: table[3:], ids: [4, 0, 3, 2]})
    np.testing.assert_array_equal(got, table[[4, 0, 3, 2]])


def test_embedding_lookup_max_norm_clips_each_row() -> None:
    table = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    e = tf.nn.embedding_lookup(tf.constant(table), tf.constant([0, 1, 2]), max_norm=1.0)
    np.testing.assert_allclose(run(e), [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]], rtol=1e-12)


def test_sequence_mask() -> None:
    m = tf.sequence_mask([1, 3, 0], 4)
    assert m.dtype == tf.bool and m.shape.as_list() == [3, 4]
    assert run(m).tolist() == [[True, False, False, False], [True, True, True, False],
                               [False, False, False, False]]
    lengths = tf.placeholder(tf.int32, [2, 2])
    m2 = tf.sequence_mask(lengths, dtype=tf.float32)
    got = run(m2, {lengths: [[1, 3], [2, 0]]})
    np.testing.assert_array_equal(got, np.arange(3) < np.array([[1, 3], [2, 0]])[..., None])
    assert got.dtype == np.float32
    assert run(tf.sequence_mask(tf.zeros([2], tf.int32))).shape == (2, 0)
    with pytest.raises(ValueError, match="must be scalar"):
        tf.sequence_mask([1, 2], [3, 4])


def test_clip_by_norm_values_graph_and_gradient() -> None:
    x = tf.placeholder(tf.float64, [2, 2])
    y = tf.clip_by_norm(x, 2.0)
    assert y.op.type == "Identity" and y.op.name == "clip_by_norm"
    big = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(run(y, {x: big}), big * 2.0 / 5.0)
    small = np.array([[0.3, 0.4], [0.1, 0.0]])
    np.testing.assert_allclose(run(y, {x: small}), small)
    rows = tf.clip_by_norm(x, 1.0, axes=[1])
    np.testing.assert_allclose(run(rows, {x: big}), [[0.6, 0.8], [0.0, 0.0]])
    (g,) = tf.gradients(tf.reduce_sum(rows), [x])
    assert np.all(np.isfinite(run(g, {x: big})))  # the zero row takes the safe branch
    assert compute_gradient_error(x, y, np.array([[3.0, 4.0], [1.0, -2.0]])) < 1e-7
    assert compute_second_order_error(x, y, np.array([[3.0, 4.0], [1.0, -2.0]])) < 1e-5
    sl = tf.IndexedSlices(tf.constant([[3.0, 4.0]]), tf.constant([1]), tf.constant([3, 2]))
    clipped = tf.clip_by_norm(sl, 1.0)
    assert isinstance(clipped, tf.IndexedSlices)
    np.testing.assert_allclose(run(clipped.values), [[0.6, 0.8]], rtol=1e-6)
