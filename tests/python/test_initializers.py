"""Random initializers build in-graph random ops in the variable's Initializer scope, as
``tf.compat.v1`` does (op names and types observed with TF 2.21 in graph mode), with TF's
variance-scaling rules, and TF's seed rules for reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symgrad as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def _ops(graph, prefix):
    return [(op.name, op.type) for op in graph.get_operations() if op.name.startswith(prefix)]


# TF 2.21: tf.get_variable("w", [3, 4]) (default glorot_uniform).
TF_UNIFORM_OPS = [
    ("w/Initializer/random_uniform/shape", "Const"),
    ("w/Initializer/random_uniform/min", "Const"),
    ("w/Initializer/random_uniform/max", "Const"),
    ("w/Initializer/random_uniform/RandomUniform", "RandomUniform"),
    ("w/Initializer/random_uniform/sub", "Sub"),
    ("w/Initializer/random_uniform/mul", "Mul"),
    ("w/Initializer/random_uniform", "AddV2"),
    ("w", "VarHandleOp"),
    ("w/IsInitialized/VarIsInitializedOp", "VarIsInitializedOp"),
    ("w/Assign", "AssignVariableOp"),
    ("w/Read/ReadVariableOp", "ReadVariableOp"),
]


def _normal_ops(name, kind, op_type):
    return [
        (f"{name}/Initializer/{kind}/shape", "Const"),
        (f"{name}/Initializer/{kind}/mean", "Const"),
        (f"{name}/Initializer/{kind}/stddev", "Const"),
        (f"{name}/Initializer/{kind}/{op_type}", op_type),
        (f"{name}/Initializer/{kind}/mul", "Mul"),
        (f"{name}/Initializer/{kind}", "AddV2"),
    ]


def test_default_get_variable_initializer_ops_match_tf(fresh_graph):
    w = tf.get_variable("w", [3, 4])
    assert _ops(fresh_graph, "w") == TF_UNIFORM_OPS
    assert w.initializer.inputs[1].name == "w/Initializer/random_uniform:0"
    rnd = fresh_graph.get_operation_by_name("w/Initializer/random_uniform/RandomUniform")
    assert rnd.get_attr("seed") == 0 and rnd.get_attr("seed2") == 0
    assert w.initial_value.shape.as_list() == [3, 4]
    limit = math.sqrt(6.0 / 7.0)
    np.testing.assert_allclose(
        fresh_graph.get_operation_by_name("w/Initializer/random_uniform/max").get_attr("value"),
        limit, rtol=1e-6)
    np.testing.assert_allclose(
        fresh_graph.get_operation_by_name("w/Initializer/random_uniform/min").get_attr("value"),
        -limit, rtol=1e-6)


@pytest.mark.parametrize("name, init, kind, op_type", [
    ("n", lambda: tf.glorot_normal_initializer(), "truncated_normal", "TruncatedNormal"),
    ("r", lambda: tf.random_normal_initializer(1.0, 2.0), "random_normal",
     "RandomStandardNormal"),
    ("t", lambda: tf.truncated_normal_initializer(), "truncated_normal", "TruncatedNormal"),
    ("vs", lambda: tf.variance_scaling_initializer(distribution="untruncated_normal"),
     "random_normal", "RandomStandardNormal"),
    ("he", lambda: tf.initializers.he_normal(), "truncated_normal", "TruncatedNormal"),
])
def test_normal_initializer_ops_match_tf(fresh_graph, name, init, kind, op_type):
    v = tf.get_variable(name, [3, 4], initializer=init())
    assert _ops(fresh_graph, f"{name}/Initializer") == _normal_ops(name, kind, op_type)
    assert v.initializer.inputs[1].name == f"{name}/Initializer/{kind}:0"


@pytest.mark.parametrize("init", [
    lambda: tf.random_uniform_initializer(-1, 2),
    lambda: tf.random_uniform_initializer(),
    lambda: tf.variance_scaling_initializer(distribution="uniform"),
    lambda: tf.initializers.lecun_uniform(),
])
def test_uniform_initializer_ops_match_tf(fresh_graph, init):
    tf.get_variable("w", [3, 4], initializer=init())
    assert _ops(fresh_graph, "w") == TF_UNIFORM_OPS


def test_initializer_called_outside_a_variable(fresh_graph):
    # TF: tf.Variable(tf.glorot_uniform_initializer()([2, 2]), name="plain") builds the
    # random ops at the current scope (random_uniform/...), the variable assigns that.
    v = tf.Variable(tf.glorot_uniform_initializer()([2, 2]), name="plain")
    assert [n for n, _ in _ops(fresh_graph, "random_uniform")] == [
        "random_uniform/shape", "random_uniform/min", "random_uniform/max",
        "random_uniform/RandomUniform", "random_uniform/sub", "random_uniform/mul",
        "random_uniform"]
    assert v.initializer.inputs[1].name == "random_uniform:0"


def _init_values(seed, init_fn, shape=(50, 40), session_count=1):
    g = tf.Graph()
    with g.as_default():
        if seed is not None:
            g.seed = seed
        v = tf.get_variable("v", list(shape), initializer=init_fn())
        init = tf.global_variables_initializer()
        out = []
        for _ in range(session_count):
            with tf.Session() as s:
                s.run(init)
                out.append(s.run(v))
        return out


@pytest.mark.parametrize("init_fn", [
    lambda: None, tf.glorot_normal_initializer, tf.random_normal_initializer,
    tf.truncated_normal_initializer, tf.random_uniform_initializer,
    tf.variance_scaling_initializer,
])
def test_graph_seed_reproducible_across_sessions_and_graphs(init_fn):
    a, b = _init_values(5, init_fn, session_count=2)
    np.testing.assert_array_equal(a, b)
    (c,) = _init_values(5, init_fn)
    np.testing.assert_array_equal(a, c)
    (d,) = _init_values(6, init_fn)
    assert not np.array_equal(a, d)


def test_op_seeds_reproducible_and_distinct():
    def build(seed):
        g = tf.Graph()
        with g.as_default():
            v = tf.get_variable("v", [30, 30],
                                initializer=tf.random_normal_initializer(seed=seed))
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                return s.run(v)

    np.testing.assert_array_equal(build(1), build(1))
    assert not np.array_equal(build(1), build(2))


def test_unseeded_initializers_draw_afresh():
    v = tf.get_variable("v", [20, 20])
    with tf.Session() as s:
        s.run(v.initializer)
        first = s.run(v)
        s.run(v.initializer)
        second = s.run(v)
    assert not np.array_equal(first, second)


def test_same_seed_two_variables_differ_with_graph_seed(fresh_graph):
    fresh_graph.seed = 3
    a = tf.get_variable("a", [10, 10])
    b = tf.get_variable("b", [10, 10])
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        av, bv = s.run([a, b])
    assert not np.array_equal(av, bv)


def _sample(init, shape, dtype=tf.float32):
    g = tf.Graph()
    with g.as_default():
        g.seed = 11
        v = tf.get_variable("v", list(shape), initializer=init, dtype=dtype)
        with tf.Session() as s:
            s.run(v.initializer)
            return s.run(v)


def test_glorot_uniform_limits_and_fans():
    values = _sample(tf.glorot_uniform_initializer(), (3, 3, 20, 30))
    # receptive field 9: fan_in 180, fan_out 270
    limit = math.sqrt(6.0 / (180 + 270))
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.95 * limit
    assert abs(values.mean()) < 0.01 * limit * 10


@pytest.mark.parametrize("init, shape, std", [
    (tf.glorot_normal_initializer(), (300, 200), math.sqrt(2.0 / 500)),
    (tf.initializers.he_normal(), (200, 300), math.sqrt(2.0 / 200)),
    (tf.initializers.lecun_normal(), (200, 300), math.sqrt(1.0 / 200)),
    (tf.variance_scaling_initializer(3.0, "fan_out"), (100, 400), math.sqrt(3.0 / 400)),
    (tf.variance_scaling_initializer(2.0, "fan_avg", "untruncated_normal"), (300, 200),
     math.sqrt(2.0 / 250)),
])
def test_normal_statistics(init, shape, std):
    values = _sample(init, shape)
    assert abs(values.mean()) < 0.05 * std
    assert abs(values.std() - std) < 0.03 * std
    if init.distribution != "untruncated_normal":
        # truncated at two of the pre-correction standard deviations
        assert np.abs(values).max() <= 2 * std / 0.87962566103423978 * (1 + 1e-6)


@pytest.mark.parametrize("init, shape, limit", [
    (tf.initializers.he_uniform(), (250, 100), math.sqrt(6.0 / 250)),
    (tf.initializers.lecun_uniform(), (250, 100), math.sqrt(3.0 / 250)),
    (tf.variance_scaling_initializer(1.0, "fan_in", "uniform"), (7,), math.sqrt(3.0 / 7)),
])
def test_uniform_limits(init, shape, limit):
    values = _sample(init, shape)
    assert np.abs(values).max() <= limit
    if values.size > 100:
        assert np.abs(values).max() > 0.95 * limit
        assert abs(values.std() - limit / math.sqrt(3)) < 0.03 * limit


def test_random_normal_and_uniform_initializer_statistics():
    r = _sample(tf.random_normal_initializer(1.0, 2.0), (200, 200))
    assert abs(r.mean() - 1.0) < 0.05 and abs(r.std() - 2.0) < 0.05
    t = _sample(tf.truncated_normal_initializer(-1.0, 0.5), (200, 200))
    assert t.min() >= -2.0 and t.max() <= 0.0
    assert abs(t.mean() + 1.0) < 0.01 and abs(t.std() - 0.5 * 0.8796) < 0.01
    u = _sample(tf.random_uniform_initializer(-1, 2), (200, 200))
    assert u.min() >= -1 and u.max() < 2 and abs(u.mean() - 0.5) < 0.03


def test_float64_and_integer_dtypes():
    d = _sample(tf.glorot_uniform_initializer(), (10, 10), dtype=tf.float64)
    assert d.dtype == np.float64
    i = _sample(tf.random_uniform_initializer(0, 5, dtype=tf.int32), (100,), dtype=tf.int32)
    assert i.dtype == np.int32 and i.min() >= 0 and i.max() < 5


def test_argument_errors():
    with pytest.raises(ValueError, match="scale"):
        tf.variance_scaling_initializer(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        tf.variance_scaling_initializer(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        tf.variance_scaling_initializer(distribution="cauchy")
    with pytest.raises(ValueError, match="floating"):
        tf.random_normal_initializer(dtype=tf.int32)
    with pytest.raises(ValueError, match="floating"):
        tf.glorot_uniform_initializer(dtype=tf.int32)


def test_initializers_module_names():
    assert tf.initializers.glorot_uniform is tf.glorot_uniform_initializer
    assert tf.initializers.variance_scaling is tf.variance_scaling_initializer
    assert tf.initializers.global_variables is tf.global_variables_initializer
    init = tf.initializers.he_uniform(seed=3)
    assert (init.scale, init.mode, init.distribution, init.seed) == (2.0, "fan_in",
                                                                      "uniform", 3)


def test_random_uniform_op_names_match_tf(fresh_graph):
    # TF 2.21: random_uniform([2], 0, 3) scales with math_ops.multiply ("Mul"), and
    # random_uniform([2], -1.0, 2.0) uses operators ("sub", "mul") and names the sum.
    tf.random_uniform([2], 0, 3)
    tf.random_uniform([2], -1.0, 2.0)
    assert [(op.name, op.type) for op in fresh_graph.get_operations()] == [
        ("random_uniform/shape", "Const"), ("random_uniform/min", "Const"),
        ("random_uniform/max", "Const"), ("random_uniform/RandomUniform", "RandomUniform"),
        ("random_uniform/Mul", "Mul"),
        ("random_uniform_1/shape", "Const"), ("random_uniform_1/min", "Const"),
        ("random_uniform_1/max", "Const"), ("random_uniform_1/RandomUniform", "RandomUniform"),
        ("random_uniform_1/sub", "Sub"), ("random_uniform_1/mul", "Mul"),
        ("random_uniform_1", "AddV2")]
