"""Variables: resource ops, session state, assignments, gradients, scopes, initializers."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_graph_structure_matches_tf(fresh_graph):
    v = tf.Variable([1.0, 2.0], name="v")
    assert v.name == "v:0"
    assert v.op.type == "VarHandleOp"
    assert v.op.name == "v"
    assert v.initializer.name == "v/Assign"
    assert v.initializer.type == "AssignVariableOp"
    assert v._as_graph_element().name == "v/Read/ReadVariableOp:0"
    assert v.dtype == tf.float32 and v.shape.as_list() == [2]
    names = [op.name for op in fresh_graph.get_operations()]
    assert names == ["v/Initializer/initial_value", "v", "v/IsInitialized/VarIsInitializedOp",
                     "v/Assign", "v/Read/ReadVariableOp"]
    assert v.op.get_attr("shared_name") in ("v", b"v")
    w = tf.Variable(1.0)
    assert w.name == "Variable:0"
    assert tf.Variable(2.0).name == "Variable_1:0"
    assert repr(v) == "<tf.Variable 'v:0' shape=(2,) dtype=float32>"
    # Each use is a fresh read, named as TF names it.
    y = v * 2.0 + v
    assert [t.name for t in y.op.inputs[0].op.inputs] == ["ReadVariableOp:0", "mul/y:0"]
    assert y.op.inputs[1].name == "add/ReadVariableOp:0"


def test_uninitialized_read_is_failed_precondition():
    v = tf.Variable([1.0, 2.0], name="v")
    with tf.Session() as s:
        with pytest.raises(tf.errors.FailedPreconditionError, match="Could not find variable v"):
            s.run(v)
        assert not s.run(v.is_initialized())
        s.run(v.initializer)
        assert s.run(tf.is_variable_initialized(v))
        np.testing.assert_array_equal(s.run(v), [1.0, 2.0])


def test_values_live_per_session():
    v = tf.Variable(3.0, name="v")
    inc = v.assign_add(1.0)
    with tf.Session() as a, tf.Session() as b:
        a.run(tf.global_variables_initializer())
        b.run(tf.global_variables_initializer())
        a.run(inc)
        a.run(inc)
        assert a.run(v) == 5.0
        assert b.run(v) == 3.0


def test_assign_returns_updated_value_and_runs_once_per_run():
    v = tf.Variable([1.0, 2.0], name="v")
    a = tf.assign(v, [3.0, 4.0])
    b = v.assign_add([1.0, 1.0])
    c = tf.assign_sub(v, [0.5, 0.5])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        first, again = s.run([a, a])
        np.testing.assert_array_equal(first, [3.0, 4.0])
        np.testing.assert_array_equal(again, [3.0, 4.0])
        # Fetched twice, the update still runs once.
        x, y = s.run([b, b])
        np.testing.assert_array_equal(x, [4.0, 5.0])
        np.testing.assert_array_equal(y, [4.0, 5.0])
        np.testing.assert_array_equal(s.run(c), [3.5, 4.5])
        np.testing.assert_array_equal(s.run(v), [3.5, 4.5])


def test_control_dependency_orders_read_after_assign():
    v = tf.Variable(1.0, name="v")
    assign = v.assign(10.0, read_value=False)
    with tf.control_dependencies([assign]):
        after = v.read_value() * 2.0
    with tf.Session() as s:
        s.run(v.initializer)
        assert s.run(after) == 20.0


def test_variable_converts_in_ops_operators_and_fetches():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="v")
    x = tf.constant([[1.0], [1.0]])
    y = tf.matmul(v, x) + v * 2.0 - 1.0
    z = 3.0 * v
    neg = -v
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        val = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
        np.testing.assert_allclose(s.run(y), val @ np.ones((2, 1)) + val * 2 - 1)
        np.testing.assert_allclose(s.run(z), 3 * val)
        np.testing.assert_allclose(s.run(neg), -val)
        np.testing.assert_allclose(s.run({"v": v})["v"], val)
        np.testing.assert_allclose(v.eval(session=s), val)


def test_gradient_wrt_variable_sums_all_reads():
    v = tf.Variable([1.0, 2.0], name="v", dtype=tf.float64)
    y = tf.reduce_sum(v * v) + tf.reduce_sum(tf.sin(v))
    (g,) = tf.gradients(y, [v])
    w = tf.Variable(5.0, dtype=tf.float64)
    assert tf.gradients(y, w) == [None]
    (zero,) = tf.gradients(y, w, unconnected_gradients="zero")
    (ones,) = tf.gradients(v, v)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        vals = np.array([1.0, 2.0])
        np.testing.assert_allclose(s.run(g), 2 * vals + np.cos(vals))
        assert s.run(zero) == 0.0
        np.testing.assert_allclose(s.run(ones), [1.0, 1.0])


def test_gradient_wrt_variable_matches_finite_differences():
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(3, 2))
    v = tf.Variable(x0, name="v")
    y = tf.reduce_sum(tf.tanh(tf.matmul(v, tf.transpose(v))))
    (g,) = tf.gradients(y, v)
    (h,) = tf.gradients(tf.reduce_sum(g * g), v)
    ph = tf.placeholder(tf.float64, [3, 2])
    set_v = v.assign(ph, read_value=False)
    with tf.Session() as s:
        s.run(v.initializer)

        def f(x, t):
            s.run(set_v, {ph: x})
            return s.run(t)

        for t, fn in ((g, y), (h, tf.reduce_sum(g * g))):
            analytic = f(x0, t)
            num = np.zeros_like(x0)
            for i in np.ndindex(*x0.shape):
                e = np.zeros_like(x0)
                e[i] = 1e-6
                num[i] = (f(x0 + e, fn) - f(x0 - e, fn)) / 2e-6
            np.testing.assert_allclose(analytic, num, rtol=1e-5, atol=1e-6)


def test_assign_bad_arguments():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(TypeError):
        v.assign(tf.constant([1, 2]))
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError):
        tf.assign(tf.constant(1.0), 2.0)
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()


def test_assign_add_shape_mismatch_at_run_time():
    v = tf.Variable([1.0, 2.0], name="v", validate_shape=False)
    p = tf.placeholder(tf.float32, [None])
    upd = v.assign_add(p)
    with tf.Session() as s:
        s.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Cannot update variable"):
            s.run(upd, {p: np.ones(3, np.float32)})
    with pytest.raises(tf.errors.FailedPreconditionError):
        with tf.Session() as s:
            s.run(upd, {p: np.ones(2, np.float32)})


def test_unknown_dimension_variable():
    p = tf.placeholder(tf.float32, [None, 2])
    v = tf.Variable(p, name="v", validate_shape=False)
    assert v.shape.rank is None
    with tf.Session() as s:
        s.run(v.initializer, {p: np.ones((3, 2), np.float32)})
        assert s.run(v).shape == (3, 2)


def test_collections_and_initializers():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    assert tf.global_variables() == [a, b]
    assert tf.trainable_variables() == [a]
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) == [a, b]
    init_a = tf.variables_initializer([a])
    with tf.Session() as s:
        s.run(init_a)
        assert s.run(a) == 1.0
        assert not s.run(b.is_initialized())
        s.run(tf.global_variables_initializer())
        assert s.run(b) == 2.0


def test_get_variable_and_scopes():
    with tf.variable_scope("layer"):
        w = tf.get_variable("w", [2, 3], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [3], initializer=tf.constant_initializer(0.5))
        o = tf.get_variable("o", [2], initializer=tf.ones_initializer(), dtype=tf.float64)
    assert w.name == "layer/w:0" and b.name == "layer/b:0"
    with pytest.raises(ValueError, match="already exists"):
        with tf.variable_scope("layer"):
            tf.get_variable("w", [2, 3])
    with tf.variable_scope("layer", reuse=True):
        assert tf.get_variable("w", [2, 3]) is w
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("nope", [1])
        with pytest.raises(ValueError, match="shape"):
            tf.get_variable("w", [3, 3])
    with tf.variable_scope("layer", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("b") is b
        fresh = tf.get_variable("c", [1], initializer=tf.zeros_initializer())
    assert fresh.name == "layer/c:0"
    with pytest.raises(ValueError, match="fully defined"):
        tf.get_variable("u", [None, 2])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(s.run(w), np.zeros((2, 3)))
        np.testing.assert_array_equal(s.run(b), np.full(3, 0.5))
        assert s.run(o).dtype == np.float64


def test_random_initializers_statistics_and_seeds():
    fresh = tf.Graph()
    with fresh.as_default():
        fresh.seed = 1
        g1 = tf.get_variable("g", [200, 300], initializer=tf.glorot_uniform_initializer(seed=3))
        n1 = tf.get_variable("n", [500, 40],
                             initializer=tf.truncated_normal_initializer(stddev=0.5, seed=4))
        u1 = tf.get_variable("u", [1000], initializer=tf.random_uniform_initializer(-1, 2))
        d1 = tf.get_variable("d", [300, 200])  # default: glorot_uniform
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            gv, nv, uv, dv = s.run([g1, n1, u1, d1])
    limit = np.sqrt(6.0 / 500)
    assert np.abs(gv).max() <= limit and np.abs(gv).max() > 0.9 * limit
    assert np.abs(dv).max() <= limit
    assert np.abs(nv).max() <= 1.0 and abs(nv.std() - 0.5 * 0.88) < 0.03
    assert uv.min() >= -1 and uv.max() <= 2 and abs(uv.mean() - 0.5) < 0.1


def test_random_initializers_reproducible_with_graph_seed():
    def build():
        g = tf.Graph()
        with g.as_default():
            g.seed = 7
            v = tf.get_variable("v", [4, 4], initializer=tf.random_normal_initializer(seed=1))
            with tf.Session() as s:
                s.run(v.initializer)
                return s.run(v)

    np.testing.assert_array_equal(build(), build())


def test_hessians_wrt_variable_read_many_times():
    x0 = np.array([[0.5, -1.0], [2.0, 0.25]])
    v = tf.Variable(x0, name="v")
    y = tf.reduce_sum(v * v * v) + tf.reduce_sum(tf.matmul(v, v))
    (h,) = tf.hessians(y, v)
    assert h.shape.as_list() == [2, 2, 2, 2]
    # d2/dV[i,j]dV[k,l] of sum(V^3) + sum(V @ V) = 6 V[i,j] [ij == kl] + [k == j] + [l == i]
    expected = np.zeros((2, 2, 2, 2))
    for i, j, k, l in np.ndindex(2, 2, 2, 2):
        expected[i, j, k, l] = (6 * x0[i, j] * (i == k and j == l)) + (k == j) + (l == i)
    with tf.Session() as s:
        s.run(v.initializer)
        got = s.run(h)
    # Check symmetry and against finite differences of the gradient.
    np.testing.assert_allclose(got, got.transpose(2, 3, 0, 1), atol=1e-12)
    (g,) = tf.gradients(y, v)
    ph = tf.placeholder(tf.float64, [2, 2])
    set_v = v.assign(ph, read_value=False)
    num = np.zeros((2, 2, 2, 2))
    with tf.Session() as s:
        s.run(v.initializer)
        for k in range(2):
            for l in range(2):
                e = np.zeros((2, 2))
                e[k, l] = 1e-6
                s.run(set_v, {ph: x0 + e})
                up = s.run(g)
                s.run(set_v, {ph: x0 - e})
                down = s.run(g)
                num[:, :, k, l] = (up - down) / 2e-6
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_control_dependencies_on_a_variable():
    v = tf.Variable(1.0, name="v")
    c = tf.constant(2.0)
    with tf.control_dependencies([v]):
        y = tf.identity(c)
    assert [op.name for op in y.op.control_inputs] == ["v/Read/ReadVariableOp"]
    with tf.Session() as s:
        with pytest.raises(tf.errors.FailedPreconditionError):
            s.run(y)
        s.run(v.initializer)
        assert s.run(y) == 2.0
