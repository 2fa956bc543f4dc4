"""Optimizers: each update against its formula; training runs whose loss falls."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    g = tf.Graph()
    with g.as_default():
        yield g


X0 = np.array([1.0, -2.0, 0.5])
TARGET = np.array([0.3, 0.1, -0.7])


def _run(opt, steps=4, dtype=tf.float64, **minimize_kwargs):
    """Minimises sum((x - t)^3 ... ) style loss; returns the trajectory of x and the opt."""
    x = tf.Variable(X0.astype(dtype.as_numpy_dtype), name="x")
    t = tf.constant(TARGET.astype(dtype.as_numpy_dtype))
    loss = tf.reduce_sum(tf.square(x - t) * (x + 3.0))
    train = opt.minimize(loss, **minimize_kwargs)
    out = []
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for _ in range(steps):
            s.run(train)
            out.append(s.run(x))
    return out, opt, x


def _grad(x):
    return 2 * (x - TARGET) * (x + 3.0) + (x - TARGET) ** 2


def f(a):
    """A Python hyperparameter as the optimizer sees it: converted to a float32 tensor, then
    cast to the variable's dtype (as TF does)."""
    return float(np.float32(a))


def test_gradient_descent_formula():
    traj, _, _ = _run(tf.train.GradientDescentOptimizer(0.1))
    x = X0.copy()
    for got in traj:
        x = x - f(0.1) * _grad(x)
        np.testing.assert_allclose(got, x, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_formula(nesterov):
    traj, opt, xv = _run(tf.train.MomentumOptimizer(0.05, 0.9, use_nesterov=nesterov))
    x, acc = X0.copy(), np.zeros(3)
    for got in traj:
        g = _grad(x)
        acc = f(0.9) * acc + g
        x = x - (f(0.05) * g + f(0.05) * f(0.9) * acc if nesterov else f(0.05) * acc)
        np.testing.assert_allclose(got, x, rtol=1e-12)
    assert opt.get_slot(xv, "momentum").name == "x/Momentum:0"
    assert opt.get_slot_names() == ["momentum"]


def test_adam_formula_and_slot_names():
    traj, opt, xv = _run(tf.train.AdamOptimizer(0.1), steps=5)
    x, m, v = X0.copy(), np.zeros(3), np.zeros(3)
    b1p, b2p = 0.9, 0.999
    for got in traj:
        g = _grad(x)
        lr_t = f(0.1) * np.sqrt(1 - b2p) / (1 - b1p)
        m = f(0.9) * m + (1 - f(0.9)) * g
        v = f(0.999) * v + (1 - f(0.999)) * g * g
        x = x - lr_t * m / (np.sqrt(v) + f(1e-8))
        # The powers start at the exact betas and are multiplied by the float32 ones.
        b1p, b2p = b1p * f(0.9), b2p * f(0.999)
        np.testing.assert_allclose(got, x, rtol=1e-10)
    assert opt.get_slot(xv, "m").name == "x/Adam:0"
    assert opt.get_slot(xv, "v").name == "x/Adam_1:0"
    names = sorted(v.name for v in tf.global_variables())
    assert names == ["beta1_power:0", "beta2_power:0", "x/Adam:0", "x/Adam_1:0", "x:0"]
    assert tf.trainable_variables() == [xv]


@pytest.mark.parametrize("centered,momentum", [(False, 0.0), (True, 0.5)])
def test_rmsprop_formula(centered, momentum):
    traj, opt, xv = _run(tf.train.RMSPropOptimizer(0.01, decay=0.9, momentum=momentum,
                                                   epsilon=1e-10, centered=centered))
    x, ms, mg, mom = X0.copy(), np.ones(3), np.zeros(3), np.zeros(3)
    for got in traj:
        g = _grad(x)
        ms = f(0.9) * ms + (1 - f(0.9)) * g * g
        denom = ms
        if centered:
            mg = f(0.9) * mg + (1 - f(0.9)) * g
            denom = ms - mg * mg
        mom = f(momentum) * mom + f(0.01) * g / np.sqrt(denom + f(1e-10))
        x = x - mom
        np.testing.assert_allclose(got, x, rtol=1e-10)
    assert opt.get_slot(xv, "rms").name == "x/RMSProp:0"


def test_adagrad_formula():
    traj, opt, xv = _run(tf.train.AdagradOptimizer(0.2, initial_accumulator_value=0.1))
    x, acc = X0.copy(), np.full(3, 0.1)
    for got in traj:
        g = _grad(x)
        acc = acc + g * g
        x = x - f(0.2) * g / np.sqrt(acc)
        np.testing.assert_allclose(got, x, rtol=1e-12)
    assert opt.get_slot(xv, "accumulator").name == "x/Adagrad:0"


def test_float32_variables_and_global_step():
    step = tf.train.get_or_create_global_step()
    assert step.name == "global_step:0" and step.dtype == tf.int64
    assert tf.train.get_global_step() is step
    traj, _, _ = _run(tf.train.AdamOptimizer(0.1), steps=3, dtype=tf.float32,
                      global_step=step)
    assert traj[-1].dtype == np.float32
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        assert s.run(step) == 0


def test_global_step_increments_after_updates():
    step = tf.train.create_global_step()
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    x = tf.Variable(2.0, name="x")
    train = tf.train.GradientDescentOptimizer(0.5).minimize(tf.square(x), global_step=step)
    assert train.name == "GradientDescent"
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        for i in range(3):
            s.run(train)
            assert tf.train.global_step(s, step) == i + 1
        assert s.run(x) == 0.0  # 2 - 0.5 * 4 = 0 after one step, then stays


def test_compute_and_apply_gradients_with_clipping():
    x = tf.Variable([3.0, 4.0], name="x", dtype=tf.float64)
    loss = tf.reduce_sum(x * x) / 2.0
    opt = tf.train.GradientDescentOptimizer(1.0)
    gvs = opt.compute_gradients(loss)
    assert [v for _, v in gvs] == [x]
    grads, norm = tf.clip_by_global_norm([g for g, _ in gvs], 1.0)
    train = opt.apply_gradients(zip(grads, [x]))
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        assert s.run(norm) == pytest.approx(5.0)
        s.run(train)
        np.testing.assert_allclose(s.run(x), [3.0 - 0.6, 4.0 - 0.8])


def test_gate_graph_and_unused_variable():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(1.0, name="b")
    opt = tf.train.GradientDescentOptimizer(0.1)
    gvs = opt.compute_gradients(tf.square(a), var_list=[a, b],
                                gate_gradients=tf.train.Optimizer.GATE_GRAPH)
    assert gvs[1][0] is None and gvs[0][0] is not None
    train = opt.apply_gradients(gvs)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        s.run(train)
        assert s.run([a, b]) == [pytest.approx(0.8), 1.0]


def test_bad_arguments():
    x = tf.Variable(1.0, name="x")
    c = tf.constant(2.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    with pytest.raises(NotImplementedError, match="Trying to update a Tensor"):
        opt.compute_gradients(x * c, var_list=[c])
    with pytest.raises(ValueError, match="No variables to optimize"):
        opt.compute_gradients(x * c, var_list=[])
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.minimize(c * 2.0, var_list=[x])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])
    with pytest.raises(ValueError, match="dtype"):
        opt.apply_gradients([(tf.constant(1.0, tf.float64), x)])
    i = tf.Variable(1, name="i")
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.minimize(tf.cast(i, tf.float32), var_list=[i])
    with pytest.raises(ValueError, match="Invalid type int32"):
        opt.minimize(i * 2, var_list=[x])
    with pytest.raises(ValueError, match="gate_gradients"):
        opt.compute_gradients(x * c, gate_gradients=7)


def _logistic_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    w = np.array([1.5, -2.0, 0.5, 1.0])
    y = (X @ w + 0.3 > 0).astype(np.float64)
    return X, y[:, None]


@pytest.mark.parametrize("make_opt", [
    lambda: tf.train.GradientDescentOptimizer(0.5),
    lambda: tf.train.MomentumOptimizer(0.1, 0.9),
    lambda: tf.train.AdamOptimizer(0.05),
    lambda: tf.train.RMSPropOptimizer(0.05),
    lambda: tf.train.AdagradOptimizer(0.5),
], ids=["sgd", "momentum", "adam", "rmsprop", "adagrad"])
def test_logistic_regression_learns(make_opt):
    X, y = _logistic_data()
    xs = tf.placeholder(tf.float64, [None, 4])
    ys = tf.placeholder(tf.float64, [None, 1])
    w = tf.Variable(np.zeros((4, 1)), name="w")
    b = tf.Variable(np.zeros(1), name="b")
    p = tf.sigmoid(tf.matmul(xs, w) + b)
    eps = 1e-7
    loss = -tf.reduce_mean(ys * tf.log(p + eps) + (1.0 - ys) * tf.log(1.0 - p + eps))
    train = make_opt().minimize(loss)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        first = s.run(loss, {xs: X, ys: y})
        for _ in range(150):
            s.run(train, {xs: X, ys: y})
        last, probs = s.run([loss, p], {xs: X, ys: y})
    assert last < 0.5 * first
    assert ((probs > 0.5) == (y > 0.5)).mean() > 0.95


def test_mlp_learns_xor_like_problem():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(256, 2))
    y = ((X[:, 0] * X[:, 1]) > 0).astype(np.float32)[:, None]
    tf.get_default_graph().seed = 3
    xs = tf.placeholder(tf.float32, [None, 2])
    ys = tf.placeholder(tf.float32, [None, 1])
    with tf.variable_scope("hidden"):
        w1 = tf.get_variable("w", [2, 16])
        b1 = tf.get_variable("b", [16], initializer=tf.zeros_initializer())
    with tf.variable_scope("out"):
        w2 = tf.get_variable("w", [16, 1])
        b2 = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
    h = tf.tanh(tf.matmul(xs, w1) + b1)
    p = tf.sigmoid(tf.matmul(h, w2) + b2)
    loss = tf.reduce_mean(tf.square(p - ys))
    train = tf.train.AdamOptimizer(0.05).minimize(loss)
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        first = s.run(loss, {xs: X, ys: y})
        for _ in range(300):
            s.run(train, {xs: X, ys: y})
        last, probs = s.run([loss, p], {xs: X, ys: y})
    assert last < 0.3 * first
    assert ((probs > 0.5) == (y > 0.5)).mean() > 0.9


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.5, step, 10, 0.5, staircase=staircase)
    assert lr.op.name == "ExponentialDecay" and lr.dtype == tf.float32
    bump = step.assign_add(7)
    with tf.Session() as s:
        s.run(step.initializer)
        for k in range(1, 4):
            s.run(bump)
            p = 7 * k / 10
            expected = 0.5 * 0.5 ** (np.floor(p) if staircase else p)
            assert s.run(lr) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="None values not supported."):
        tf.train.exponential_decay(0.1, None, 10, 0.5)


def test_local_variables_initializer():
    v = tf.Variable(2.0, name="counter", collections=[tf.GraphKeys.LOCAL_VARIABLES],
                    trainable=False)
    assert tf.local_variables() == [v] and tf.global_variables() == []
    with tf.Session() as s:
        s.run(tf.local_variables_initializer())
        assert s.run(v) == 2.0
