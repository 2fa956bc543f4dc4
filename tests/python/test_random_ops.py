"""Random ops: distribution statistics, TF's seed rules, per-session streams, dropout."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from symgrad.random_ops import dropout, get_seed  # noqa: E402

N = 10000


def draw(build, runs=1, sessions=1):
    """Values of ``build()`` over ``runs`` runs in each of ``sessions`` fresh sessions."""
    graph = tf.Graph()
    with graph.as_default():
        out = build()
    result = []
    for _ in range(sessions):
        with tf.Session(graph=graph) as sess:
            result.append([sess.run(out) for _ in range(runs)])
    return result


def test_random_normal_statistics():
    [[x]] = draw(lambda: tf.random_normal([N], mean=2.0, stddev=3.0, seed=1))
    assert x.shape == (N,) and x.dtype == np.float32
    assert abs(x.mean() - 2.0) < 0.1 and abs(x.std() - 3.0) < 0.1


def test_truncated_normal_statistics():
    [[x]] = draw(lambda: tf.truncated_normal([100, 100], mean=-1.0, stddev=2.0, seed=3,
                                             dtype=tf.float64))
    assert x.dtype == np.float64
    assert np.all(np.abs(x + 1.0) <= 4.0)
    # A standard normal truncated to [-2, 2] has std 0.8796.
    assert abs(x.mean() + 1.0) < 0.06 and abs(x.std() - 2.0 * 0.8796) < 0.06


def test_random_uniform_float_statistics():
    [[x]] = draw(lambda: tf.random_uniform([N], minval=-2.0, maxval=4.0, seed=5))
    assert np.all(x >= -2.0) and np.all(x < 4.0)
    assert abs(x.mean() - 1.0) < 0.1 and abs(x.std() - 6.0 / np.sqrt(12)) < 0.1
    [[u]] = draw(lambda: tf.random_uniform([N], seed=5, dtype=tf.float64))
    assert np.all(u >= 0.0) and np.all(u < 1.0) and abs(u.mean() - 0.5) < 0.02


def test_random_uniform_int():
    [[x]] = draw(lambda: tf.random_uniform([N], minval=-3, maxval=7, dtype=tf.int64, seed=2))
    assert x.dtype == np.int64 and x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3)
    assert np.all(np.abs(counts - N / 10) < 5 * np.sqrt(N / 10))
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.random_uniform([3], maxval=None, dtype=tf.int32)
        with pytest.raises(ValueError):
            tf.random_uniform([3], minval=5, maxval=5, dtype=tf.int32)
        lo = tf.placeholder(tf.int32, [])
        bad = tf.random_uniform([3], minval=lo, maxval=5, dtype=tf.int32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(bad, {lo: 5})


def test_random_shuffle_is_a_permutation_of_rows():
    value = np.arange(40).reshape(20, 2)
    [[x]] = draw(lambda: tf.random_shuffle(value, seed=4))
    assert sorted(map(tuple, x)) == sorted(map(tuple, value))
    assert not np.array_equal(x, value)


def test_same_seeds_same_sequence_across_sessions():
    runs = draw(lambda: tf.random_normal([5], seed=7), runs=3, sessions=2)
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    # Each run continues the stream: the runs of one session differ.
    assert not np.array_equal(runs[0][0], runs[0][1])


def test_same_seeds_same_numbers_across_graphs():
    a = draw(lambda: tf.random_uniform([4], seed=11))[0][0]
    b = draw(lambda: tf.random_uniform([4], seed=11))[0][0]
    np.testing.assert_array_equal(a, b)


def test_different_op_seeds_differ():
    graph = tf.Graph()
    with graph.as_default():
        a = tf.random_normal([6], seed=1)
        b = tf.random_normal([6], seed=2)
        with tf.Session() as sess:
            va, vb = sess.run([a, b])
    assert not np.array_equal(va, vb)


def test_graph_seed():
    def build():
        tf.set_random_seed(1234)
        return [tf.random_normal([3]), tf.random_normal([3])]
    first = draw(build)[0][0]
    second = draw(build)[0][0]
    # Reproducible across graphs built the same way, and the two ops differ.
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])


def test_no_seed_is_nondeterministic():
    runs = draw(lambda: tf.random_normal([8]), sessions=2)
    assert not np.array_equal(runs[0][0], runs[1][0])


def test_get_seed_rules():
    with tf.Graph().as_default() as g:
        assert get_seed(None) == (None, None)
        assert get_seed(5) == (87654321, 5)
        tf.set_random_seed(3)
        assert g.seed == 3
        assert get_seed(5) == (3, 5)
        assert get_seed(None) == (3, g.version)
        tf.set_random_seed(0)
        assert get_seed(0) == (0, 2**31 - 1)
        op = tf.random_uniform([2], seed=9).op
        assert op.get_attr("seed") == 0 and op.get_attr("seed2") == 9


def test_op_structure_and_names():
    with tf.Graph().as_default():
        y = tf.random_normal([2, 3], seed=1)
        assert y.op.type == "AddV2" and y.op.name == "random_normal"
        assert y.shape.as_list() == [2, 3]
        names = [op.name for op in tf.get_default_graph().get_operations()]
        assert "random_normal/RandomStandardNormal" in names
        assert "random_normal/mul" in names
        u = tf.random_uniform([4])
        assert u.op.type == "RandomUniform" and u.op.name == "random_uniform/RandomUniform"
        t = tf.truncated_normal([4], name="tn")
        assert t.op.name == "tn"


def test_dynamic_shape():
    with tf.Graph().as_default():
        shape = tf.placeholder(tf.int32, [2])
        y = tf.random_uniform(shape, seed=1)
        assert y.shape.as_list() == [None, None]
        with tf.Session() as sess:
            assert sess.run(y, {shape: [3, 5]}).shape == (3, 5)
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(y, {shape: [3, -1]})


def test_random_ops_are_not_differentiable():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3])
        y = x * tf.random_normal([3], seed=1)
        g = tf.gradients(y, x)[0]
        assert tf.gradients(tf.random_shuffle(x, seed=1), x) == [None]
        with tf.Session() as sess:
            assert sess.run(g, {x: np.ones(3)}).shape == (3,)


def test_dropout_statistics_and_fed_keep_prob():
    with tf.Graph().as_default():
        x = tf.ones([N], dtype=tf.float64)
        keep = tf.placeholder(tf.float64, [])
        y = dropout(x, keep_prob=keep, seed=3)
        z = dropout(x, rate=0.25, seed=4)
        with tf.Session() as sess:
            vy = sess.run(y, {keep: 0.5})
            vz = sess.run(z)
    assert set(np.unique(vy)) <= {0.0, 2.0}
    assert abs((vy > 0).mean() - 0.5) < 0.03
    assert set(np.unique(vz)) <= {0.0, 1.0 / 0.75}
    assert abs((vz > 0).mean() - 0.75) < 0.03


def test_dropout_gradient_and_noise_shape():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [4, 6])
        y = dropout(x, keep_prob=0.5, noise_shape=[4, 1], seed=1)
        g = tf.gradients(tf.reduce_sum(y), x)[0]
        with tf.Session() as sess:
            vy, vg = sess.run([y, g], {x: np.ones((4, 6))})
    # Whole rows are kept or dropped, and the gradient is the same mask.
    for row in vy:
        assert len(set(row)) == 1
    np.testing.assert_array_equal(vg, vy)


def test_dropout_errors():
    with tf.Graph().as_default():
        x = tf.ones([3])
        with pytest.raises(ValueError):
            dropout(x)
        with pytest.raises(ValueError):
            dropout(x, keep_prob=0.5, rate=0.5)
        with pytest.raises(ValueError):
            dropout(x, rate=1.0)
        with pytest.raises(ValueError):
            dropout(tf.ones([3], dtype=tf.int32), rate=0.5)
        assert dropout(x, keep_prob=1.0) is x
