"""Small TF 1 entry points: n-d scatter updates of variables, count_up_to, local variables,
initializers, clip_by_average_norm, deprecated scopes, graph-wide checks, bins, batch
gathers, and linalg cross / normalize / matrix_rank / pinv (values and derivatives)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from gradient_checker import check_on_placeholders, run_once

import symgrad as tf


def test_variable_updates_and_counters():
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros((3, 2), np.float32), name="v")
        update = tf.scatter_nd_update(v, [[0], [2]], [[1.0, 2.0], [3.0, 4.0]])
        add = tf.scatter_nd_add(v, [[1, 1]], [5.0])
        sub = tf.scatter_nd_sub(v, [[0, 0]], [0.5])
        counter = tf.Variable(0, name="c")
        count = tf.count_up_to(counter, 2)
        local = tf.get_local_variable("lv", [2], initializer=tf.ones_initializer())
        assert local in tf.local_variables() and local not in tf.trainable_variables()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.local_variables_initializer())
            assert sess.run(update).tolist() == [[1, 2], [0, 0], [3, 4]]
            assert sess.run(add).tolist() == [[1, 2], [0, 5], [3, 4]]
            assert sess.run(sub).tolist() == [[0.5, 2], [0, 5], [3, 4]]
            assert [sess.run(count), sess.run(count)] == [0, 1]
            with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
                sess.run(count)
            assert sess.run(local).tolist() == [1.0, 1.0]
            assert sess.run(tf.assert_variables_initialized([v, counter])).tolist() == [2, 0]


def test_initializers():
    with tf.Graph().as_default():
        uniform = tf.uniform_unit_scaling_initializer(2.0, seed=1)([400, 5])
        ident = tf.initializers.identity(3.0)([2, 3])
        # One partition of a 4x4 identity: its rows 2-3.
        part = SimpleNamespace(full_shape=[4, 4], var_offset=[2, 0])
        block = tf.initializers.identity(2.0)([2, 4], partition_info=part)
        got_uniform, got_ident, got_block = run_once([uniform, ident, block])
    np.testing.assert_array_equal(got_block, [[0, 0, 2, 0], [0, 0, 0, 2]])
    limit = np.sqrt(3 / 400) * 2
    assert np.abs(got_uniform).max() <= limit and np.abs(got_uniform).max() > 0.9 * limit
    np.testing.assert_array_equal(got_ident, [[3, 0, 0], [0, 3, 0]])
    with pytest.raises(ValueError, match="can only be used for 2D matrices"):
        tf.initializers.identity()([2, 2, 2])


def test_clipping_scopes_and_conversions():
    with tf.Graph().as_default():
        clipped = tf.clip_by_average_norm(tf.constant([3.0, 4.0]), 1.0)
        assert clipped.name == "clip_by_average_norm:0"
        small = tf.clip_by_average_norm(tf.constant([0.3, 0.4]), 1.0)
        with tf.op_scope([clipped], "ops", "default") as scope:
            assert scope == "ops/"
        with tf.variable_op_scope([clipped], None, "vdefault") as vs:
            assert vs.name == "vdefault"
        sparse = tf.convert_to_tensor_or_sparse_tensor(tf.SparseTensorValue([[0]], [1.0], [2]))
        assert isinstance(sparse, tf.SparseTensor)
        assert isinstance(tf.convert_to_tensor_or_sparse_tensor([1.0]), tf.Tensor)
        assert tf.is_symbolic_tensor(clipped) and not tf.is_symbolic_tensor(3.0)
        got = run_once([clipped, small])
    # Average norm 5 / 2 > 1: scaled to 2 / 5 of itself; the small one is kept.
    np.testing.assert_allclose(got[0], [1.2, 1.6], rtol=1e-6)
    np.testing.assert_allclose(got[1], [0.3, 0.4], rtol=1e-6)


def test_graph_wide_checks_and_values():
    with tf.Graph().as_default():
        bins = tf.histogram_fixed_width_bins([-1.0, 0.0, 0.3, 0.5, 1.0, 2.0], [0.0, 1.0],
                                             nbins=4)
        gathered = tf.batch_gather(tf.constant([[1, 2, 3], [4, 5, 6]]),
                                   tf.constant([[2, 0], [1, 1]]))
        const = tf.guarantee_const(tf.constant(1.0))
        stamp = tf.timestamp()
        x = tf.placeholder(tf.float32)
        y = tf.log(x)
        checks = tf.add_check_numerics_ops()
        with tf.Session() as sess:
            got = sess.run([bins, gathered, const, stamp], {x: 1.0})
            sess.run([y, checks], {x: 2.0})
            with pytest.raises(tf.errors.InvalidArgumentError, match="Log:0 : Tensor had"):
                sess.run([y, checks], {x: 0.0})
    assert got[0].tolist() == [0, 0, 1, 2, 3, 3]
    assert got[1].tolist() == [[3, 1], [5, 5]]
    assert got[2] == 1.0 and got[3] > 1.7e9


def test_linalg_cross_normalize_rank_pinv():
    rng = np.random.RandomState(3)
    a_val = rng.rand(3, 4)
    with tf.Graph().as_default():
        crossed = tf.cross(tf.constant([[1.0, 0.0, 0.0], [0.0, 1.0, 2.0]]),
                           tf.constant([[0.0, 1.0, 0.0], [3.0, 1.0, 0.0]]))
        assert crossed.name == "Cross:0"
        unit, length = tf.linalg.normalize(tf.constant([[3.0, 4.0], [6.0, 8.0]]), axis=1)
        ranks = tf.linalg.matrix_rank(tf.constant([[[1.0, 2.0], [2.0, 4.0]],
                                                   [[1.0, 0.0], [0.0, 1.0]]]))
        inverse = tf.linalg.pinv(tf.constant(a_val))
        total = tf.linalg.global_norm([tf.constant([3.0, 4.0]), tf.constant([12.0])])
        got = run_once([crossed, unit, length, ranks, inverse, total])
    np.testing.assert_allclose(got[0], [[0, 0, 1], [-2, 6, -3]])
    np.testing.assert_allclose(got[1], [[0.6, 0.8], [0.6, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(got[2], [[5.0], [10.0]], rtol=1e-6)
    assert got[3].tolist() == [1, 2]
    np.testing.assert_allclose(got[4], np.linalg.pinv(a_val), rtol=1e-10, atol=1e-12)
    assert got[5] == pytest.approx(13.0)
    check_on_placeholders(lambda a, b: tf.reduce_sum(tf.cross(a, b) ** 2),
                          [([2, 3], rng.rand(2, 3)), ([2, 3], rng.rand(2, 3))])
    check_on_placeholders(lambda a: tf.reduce_sum(tf.linalg.pinv(a) * tf.constant(
        rng.rand(4, 3))), [([3, 4], a_val)], tol=1e-5)
