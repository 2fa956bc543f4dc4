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


IDS = [1, 4, 1]
W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def _dense_grad():
    g = np.zeros((6, 2))
    for k, i in enumerate(IDS):
        g[i] += W[k]
    return g


def _reference(kind, steps):
    """The dense formulas in numpy (the touched rows get the summed duplicate gradients)."""
    var = _rows().astype(np.float64)
    g = _dense_grad()
    lr = 0.1
    if kind == "momentum":
        acc = np.zeros_like(var)
        for _ in range(steps):
            acc = acc * 0.9 + g
            var -= lr * acc
    elif kind == "nesterov":
        acc = np.zeros_like(var)
        for _ in range(steps):
            acc = acc * 0.9 + g
            var -= lr * g + lr * 0.9 * acc
    elif kind == "adagrad":
        acc = np.full_like(var, 0.1)
        for _ in range(steps):
            acc += g * g
            var -= lr * g / np.sqrt(acc)
    elif kind in ("rmsprop", "rmsprop_centered"):
        ms, mom, mg = np.ones_like(var), np.zeros_like(var), np.zeros_like(var)
        for _ in range(steps):
            ms = ms * 0.9 + g * g * 0.1
            denom = ms
            if kind == "rmsprop_centered":
                mg = mg * 0.9 + g * 0.1
                denom = ms - mg * mg
            mom = mom * 0.5 + lr * g / np.sqrt(denom + 1e-10)
            var -= mom
    elif kind == "adam":
        m, v = np.zeros_like(var), np.zeros_like(var)
        b1p, b2p = 0.9, 0.999
        for _ in range(steps):
            lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
            m = m * 0.9 + g * 0.1
            v = v * 0.999 + g * g * 0.001
            var -= lr_t * m / (np.sqrt(v) + 1e-8)
            b1p *= 0.9
            b2p *= 0.999
    return var


OPTIMIZERS = {
    "momentum": lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda: tf.train.AdagradOptimizer(0.1),
    "rmsprop": lambda: tf.train.RMSPropOptimizer(0.1, momentum=0.5),
    "rmsprop_centered": lambda: tf.train.RMSPropOptimizer(0.1, momentum=0.5, centered=True),
    "adam": lambda: tf.train.AdamOptimizer(0.1),
}


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_sparse_optimizers_match_dense_formula(kind):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(_rows(), name="emb")
        emb = tf.gather(v.value(), tf.constant(IDS))
        loss = tf.reduce_sum(emb * tf.constant(W.astype(np.float32)))
        opt = OPTIMIZERS[kind]()
        (grad, _), = opt.compute_gradients(loss, [v])
        assert isinstance(grad, tf.IndexedSlices)
        before = {op.name for op in g.get_operations()}
        train = opt.apply_gradients([(grad, v)])
        types = [op.type for op in g.get_operations()
                 if op.name not in before and "/update_" in op.name]
        # No op densifies the gradient; duplicates are summed over the unique indices as
        # TF's `_deduplicate_indexed_slices` does (Unique + UnsortedSegmentSum).
        assert "ScatterNd" not in types and "Unique" in types
        if kind != "adam":
            # Only the touched rows of var and slots are written.
            assert not {"AssignVariableOp", "AssignSubVariableOp",
                        "AssignAddVariableOp"} & set(types)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(3):
                s.run(train)
            got = s.run(v)
        want = _reference(kind, 3)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
        untouched = [0, 2, 3, 5]
        np.testing.assert_array_equal(got[untouched], _rows()[untouched])
