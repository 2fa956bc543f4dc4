"""Sparse (IndexedSlices) updates: ResourceScatter* ops and GradientDescent's sparse path."""

import numpy as np
import pytest

import symgrad as tf


def _rows():
    return np.arange(12, dtype=np.float32).reshape(6, 2)


def test_scatter_ops_on_variables():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(_rows(), name="v")
        add = tf.scatter_add(v, [1, 3, 1], np.ones((3, 2), np.float32))
        sub = v.scatter_sub(tf.IndexedSlices(tf.constant([[2.0, 2.0]]), tf.constant([0])))
        upd = tf.scatter_update(v, tf.constant([5]), tf.constant([[9.0, 9.0]]))
        bad = tf.scatter_add(v, [7], np.ones((1, 2), np.float32))
        with tf.Session() as s:
            s.run(v.initializer)
            want = _rows()
            want[1] += 2
            want[3] += 1
            np.testing.assert_allclose(s.run(add), want)
            want[0] -= 2
            np.testing.assert_allclose(s.run(sub), want)
            want[5] = 9
            np.testing.assert_allclose(s.run(upd), want)
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 7 is not in \[0, 6\)"):
                s.run(bad)
            assert {op.type for op in g.get_operations()} >= {
                "ResourceScatterAdd", "ResourceScatterSub", "ResourceScatterUpdate"}


def test_gradient_descent_sparse_embedding():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(_rows(), name="emb")
        ids = tf.constant([1, 4, 1], dtype=tf.int32)
        emb = tf.gather(v.value(), ids)
        w = tf.constant(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32))
        loss = tf.reduce_sum(emb * w)
        (grad, _), = tf.train.GradientDescentOptimizer(0.1).compute_gradients(loss, [v])
        assert isinstance(grad, tf.IndexedSlices)
        before = {op.name for op in g.get_operations()}
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, var_list=[v])
        new_ops = [op for op in g.get_operations() if op.name not in before]
        types = {op.type for op in new_ops}
        assert "ResourceScatterAdd" in types
        # Nothing densifies the IndexedSlices on the update path.
        assert not types & {"UnsortedSegmentSum", "ScatterNd", "AssignSubVariableOp",
                            "AssignAddVariableOp", "AssignVariableOp"}
        with tf.Session() as s:
            s.run(v.initializer)
            want = _rows()
            for _ in range(2):
                s.run(train)
                # Duplicate id 1 accumulates; the dense formula on the touched rows.
                want[1] -= 0.1 * np.array([6.0, 8.0])  # rows 0 and 2 of w
                want[4] -= 0.1 * np.array([3.0, 4.0])
            got = s.run(v)
            np.testing.assert_allclose(got, want, rtol=1e-6)
            untouched = [0, 2, 3, 5]
            np.testing.assert_array_equal(got[untouched], _rows()[untouched])
