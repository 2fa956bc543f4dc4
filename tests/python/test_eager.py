"""Eager mode, GradientTape semantics, eager variables and optimizers, and ``function``."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from symgrad.errors import InvalidArgumentError  # noqa: E402


@pytest.fixture(autouse=True)
def eager():
    with tf.eager_mode():
        yield


# ----- modes -----
def test_graph_mode_is_the_default_and_modes_nest():
    with tf.graph_mode():
        assert not tf.executing_eagerly()
        with tf.eager_mode():
            assert tf.executing_eagerly()
            with tf.Graph().as_default():
                assert not tf.executing_eagerly()
        assert not tf.executing_eagerly()
    assert tf.executing_eagerly()


def test_enable_and_disable_eager_execution():
    with tf.Graph().as_default():
        pass
    # Outside every context manager the switch decides.
    import symgrad.framework as fw
    stack = list(fw._default_graph_stack())
    fw._thread_state.graph_stack = []
    try:
        assert not tf.executing_eagerly()
        tf.reset_default_graph()
        tf.constant(1.0)
        with pytest.raises(ValueError, match="must be called at program startup"):
            tf.enable_eager_execution()
        tf.reset_default_graph()
        tf.enable_eager_execution()
        assert tf.executing_eagerly()
        assert float(tf.constant(2.0) * 3.0) == 6.0
        tf.disable_eager_execution()
        assert not tf.executing_eagerly()
    finally:
        tf.disable_eager_execution()
        fw._thread_state.graph_stack = stack


# ----- eager tensors -----
def test_eager_tensor_protocol():
    x = tf.constant([1.0, 2.0])
    assert isinstance(x, tf.EagerTensor) and isinstance(x, tf.Tensor)
    np.testing.assert_array_equal(x.numpy(), np.array([1.0, 2.0], np.float32))
    assert x.dtype is tf.float32
    assert x.shape == tf.TensorShape([2])
    assert len(x) == 2
    assert [float(v) for v in x] == [1.0, 2.0]
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    assert float(tf.constant(2.5)) == 2.5
    assert int(tf.constant(7)) == 7
    assert [10, 20, 30][tf.constant(1)] == 20
    assert bool(tf.constant(1.0)) and not bool(tf.constant(0.0))
    with pytest.raises(ValueError):
        bool(x)
    with pytest.raises(TypeError):
        len(tf.constant(1.0))


def test_eager_tensor_repr_and_str_as_tf():
    x = tf.constant([1.0, 2.0])
    assert repr(x) == ("<tf.Tensor: shape=(2,), dtype=float32, "
                       "numpy=array([1., 2.], dtype=float32)>")
    assert str(x) == "tf.Tensor([1. 2.], shape=(2,), dtype=float32)"
    assert repr(tf.constant(3.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=3.0>"
    assert str(tf.constant(3)) == "tf.Tensor(3, shape=(), dtype=int32)"
    assert str(tf.constant(3.0)) == "tf.Tensor(3.0, shape=(), dtype=float32)"
    assert repr(tf.constant([[1, 2], [3, 4]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\narray([[1, 2],\n       [3, 4]], "
        "dtype=int32)>")


def test_graph_only_attributes_raise_as_tf():
    x = tf.constant(1.0)
    with pytest.raises(AttributeError, match="Tensor.op is undefined"):
        x.op
    with pytest.raises(AttributeError, match="Tensor.name is undefined"):
        x.name
    with pytest.raises(NotImplementedError, match="eval is not supported"):
        x.eval()
    with pytest.raises(RuntimeError, match="placeholder\\(\\) is not compatible"):
        tf.placeholder(tf.float32)


def test_eager_op_errors_are_raised_at_the_op():
    with pytest.raises(InvalidArgumentError, match=r"\[Op:MatMul\]"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(InvalidArgumentError, match=r"\[Op:Reshape\]"):
        tf.reshape(tf.ones([2, 3]), [4])
    with pytest.raises(InvalidArgumentError):
        tf.gather(tf.ones([3]), [5])
    with pytest.raises(TypeError):
        tf.add(tf.constant(1.0), tf.constant(1))
    with pytest.raises(InvalidArgumentError) as info:
        tf.concat([tf.ones([2, 3]), tf.ones([3, 2])], axis=0)
    assert info.value.op is None


def test_integer_and_bool_ops_run_eagerly():
    a = tf.constant([3, 1, 2])
    np.testing.assert_array_equal(tf.argmax(tf.constant([[1.0, 5.0], [7.0, 2.0]]), 1), [1, 0])
    np.testing.assert_array_equal((a * 2 + 1).numpy(), [7, 3, 5])
    np.testing.assert_array_equal(tf.logical_and(a > 1, a < 3).numpy(), [False, False, True])
    np.testing.assert_array_equal(tf.shape(tf.zeros([2, 5])).numpy(), [2, 5])
    np.testing.assert_array_equal(tf.range(4).numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(tf.one_hot([0, 2], 3).numpy(), [[1, 0, 0], [0, 0, 1]])
    assert tf.random_normal([3, 2]).shape == tf.TensorShape([3, 2])


def test_random_ops_draw_fresh_numbers_each_call():
    a = tf.random_uniform([4], seed=3).numpy()
    b = tf.random_uniform([4], seed=3).numpy()
    assert not np.array_equal(a, b)


def test_eager_tensors_used_in_a_graph_become_constants():
    c = tf.constant([1.0, 2.0])
    g = tf.Graph()
    with g.as_default():
        y = tf.placeholder(tf.float32, [2]) * c
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {y.op.inputs[0]: [3.0, 4.0]}), [3, 8])


# ----- GradientTape -----
def test_tape_basic_gradient_and_structure():
    x = tf.constant(3.0)
    y = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch([x, y])
        z = x * x * tf.reduce_sum(y)
    grads = tape.gradient(z, {"a": x, "b": [y]})
    assert float(grads["a"]) == pytest.approx(18.0)
    np.testing.assert_allclose(grads["b"][0].numpy(), [9.0, 9.0])


def test_unwatched_and_unconnected_sources():
    x = tf.constant(2.0)
    u = tf.constant(5.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 3.0
    assert tape.gradient(y, u) is None
    assert float(tape.gradient(y, u, unconnected_gradients=tf.UnconnectedGradients.ZERO)) == 0
    assert float(tape.gradient(y, u, unconnected_gradients="zero")) == 0
    z = tf.constant(1.0)
    with tf.GradientTape() as tape2:
        w = z * 2.0  # not watched
    assert tape2.gradient(w, z) is None


def test_output_gradients_and_multiple_targets():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        a = x * x
        b = 3.0 * x
    g = tape.gradient([a, b], x, output_gradients=[tf.constant([1.0, 10.0]),
                                                  tf.constant([2.0, 0.0])])
    np.testing.assert_allclose(g.numpy(), [2 * 1 * 1 + 6, 2 * 2 * 10 + 0])


def test_non_persistent_tape_used_twice_raises():
    x = tf.constant(1.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="A non-persistent GradientTape can only be used"):
        tape.gradient(y, x)


def test_persistent_tape_many_gradients():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == pytest.approx(108.0)
    assert float(tape.gradient(y, x)) == pytest.approx(6.0)
    assert float(tape.gradient(z, y)) == pytest.approx(18.0)


def test_third_derivative_through_three_tapes():
    x = tf.constant(0.7, dtype=tf.float64)
    with tf.GradientTape() as t3:
        t3.watch(x)
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.sin(x) * x
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    v = 0.7
    assert float(d1) == pytest.approx(np.cos(v) * v + np.sin(v), rel=1e-12)
    assert float(d2) == pytest.approx(-np.sin(v) * v + 2 * np.cos(v), rel=1e-12)
    assert float(d3) == pytest.approx(-np.cos(v) * v - 3 * np.sin(v), rel=1e-12)


def test_persistent_tape_records_its_own_gradient_for_higher_order():
    x = tf.constant(2.0, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 3
        dy = tape.gradient(y, x)
    assert float(tape.gradient(dy, x)) == pytest.approx(12.0)


def test_stop_recording_and_reset_and_reentry():
    x = tf.constant(4.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with tape.stop_recording():
            y = x ** 2
        z = x * 3.0
    assert tape.gradient(y, x) is None
    assert float(tape.gradient(z, x)) == 3.0
    with tf.GradientTape() as t:
        t.watch(x)
        a = x * x
        t.reset()
        t.watch(x)
        b = x * 5.0
    assert t.gradient(a, x) is None if False else True  # a was recorded before reset
    with tf.GradientTape() as t:
        t.watch(x)
        t.reset()
        t.watch(x)
        b = x * 5.0
    assert float(t.gradient(b, x)) == 5.0
    tape2 = tf.GradientTape()
    with pytest.raises(RuntimeError, match="not recording"):
        with tape2.stop_recording():
            pass
    with tape2:
        with pytest.raises(ValueError, match="Tape is still recording"):
            tape2.__enter__()


def test_watch_rejects_non_tensors_and_target_none():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError):
            tape.watch("x")
    with pytest.raises(TypeError, match="received None"):
        tape.gradient(None, tf.constant(1.0))


def test_integer_sources_get_no_gradient():
    x = tf.constant(3)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(x, tf.float32) * 2.0
    assert tape.gradient(y, x) is None


def test_jacobian_and_batch_jacobian():
    x = tf.constant([1.0, 2.0, 3.0], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    j = tape.jacobian(y, x)
    np.testing.assert_allclose(j.numpy(), np.diag([2.0, 4.0, 6.0]))
    w = tf.constant(np.arange(6.0).reshape(3, 2))
    xb = tf.constant(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xb)
        yb = tf.sin(tf.matmul(xb, w))
    bj = tape.batch_jacobian(yb, xb)
    full = tape.jacobian(yb, xb)
    assert bj.shape == tf.TensorShape([2, 2, 3])
    for b in range(2):
        np.testing.assert_allclose(bj.numpy()[b], full.numpy()[b, :, b, :], rtol=1e-12)
    with pytest.raises(RuntimeError, match="non-persistent"):
        t = tf.GradientTape()
        with t:
            t.watch(x)
            y = x * 2.0
        t.jacobian(y, x)
        t.jacobian(y, x)


def test_custom_registered_gradient_is_used_by_the_tape():
    @tf.RegisterGradient("EagerTestDoubleGrad")
    def _double(op, grad):
        return [grad * 2.0]

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        with tf.get_default_graph().gradient_override_map({"Identity": "EagerTestDoubleGrad"}):
            y = tf.identity(x) * 1.0
        z = tf.identity(x)
    np.testing.assert_allclose(tape.gradient([y, z], x).numpy(), [3.0, 3.0])


def test_custom_gradient_decorator_in_eager_mode():
    @tf.custom_gradient
    def clip_grad(x):
        def grad(dy):
            return tf.clip_by_value(dy, -0.1, 0.1)
        return tf.identity(x), grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clip_grad(x) * 5.0
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.1, 0.1])


def test_gradients_and_hessians_raise_in_eager_mode():
    x = tf.constant(1.0)
    msg = ("symgrad.gradients is not supported when eager execution is enabled. "
           "Use symgrad.GradientTape instead.")
    with pytest.raises(RuntimeError) as info:
        tf.gradients(x, x)
    assert str(info.value) == msg
    with pytest.raises(RuntimeError, match="not supported when eager execution"):
        tf.hessians(x, x)


def test_session_in_eager_mode_has_an_empty_graph():
    sess = tf.Session()
    with pytest.raises(RuntimeError, match="The Session graph is empty"):
        sess.run(tf.constant(1.0))


# ----- variables and optimizers -----
def test_eager_variable_reads_writes_and_tape():
    v = tf.Variable([1.0, 2.0], name="w")
    assert v.name == "w:0"
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert repr(v) == ("<tf.Variable 'w:0' shape=(2,) dtype=float32, "
                       "numpy=array([1., 2.], dtype=float32)>")
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub([0.5, 0.5])
    np.testing.assert_array_equal(v.numpy(), [3.5, 4.5])
    v.scatter_add(tf.IndexedSlices(tf.constant([10.0]), tf.constant([1])))
    np.testing.assert_array_equal(v.read_value().numpy(), [3.5, 14.5])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v * v)
    assert tape.watched_variables() == (v,)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [7.0, 29.0])
    w = tf.Variable([1.0, 2.0], name="w")  # eager variables may share a name
    assert w.name == v.name and w._unique_id != v._unique_id
    assert tf.trainable_variables() == []


def test_watch_accessed_variables_false_and_untrainable():
    v = tf.Variable(2.0)
    u = tf.Variable(3.0, trainable=False)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        y = v * u
    assert tape.gradient(y, v) is None
    with tf.GradientTape(persistent=True) as tape:
        y = v * u
    assert float(tape.gradient(y, v)) == 3.0
    assert tape.gradient(y, u) is None
    with tf.GradientTape() as tape:
        tape.watch(u)
        y = v * u
    assert float(tape.gradient(y, u)) == 2.0


def test_get_variable_in_eager_mode_creates_variables():
    a = tf.get_variable("gv", shape=[2], initializer=tf.zeros_initializer())
    b = tf.get_variable("gv", shape=[2], initializer=tf.ones_initializer())
    np.testing.assert_array_equal(a.numpy(), [0, 0])
    np.testing.assert_array_equal(b.numpy(), [1, 1])


@pytest.mark.parametrize("make", [
    lambda: tf.train.GradientDescentOptimizer(0.1),
    lambda: tf.train.MomentumOptimizer(0.05, 0.9),
    lambda: tf.train.AdamOptimizer(0.1),
    lambda: tf.train.RMSPropOptimizer(0.05),
    lambda: tf.train.AdagradOptimizer(0.5),
], ids=["sgd", "momentum", "adam", "rmsprop", "adagrad"])
def test_training_loop_with_tape_and_optimizer_lowers_the_loss(make):
    rng = np.random.RandomState(0)
    xs = rng.uniform(-1, 1, (32, 3)).astype(np.float32)
    ys = xs @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
    w = tf.Variable(tf.zeros([3, 1]))
    b = tf.Variable(0.0)
    opt = make()
    losses = []
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(xs, w) + b - ys))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0]


def test_minimize_takes_a_callable_loss_in_eager_mode():
    w = tf.Variable(5.0)
    opt = tf.train.GradientDescentOptimizer(0.1)
    for _ in range(50):
        opt.minimize(lambda: (w - 2.0) ** 2)
    assert float(w) == pytest.approx(2.0, abs=1e-3)
    with pytest.raises(RuntimeError, match="should be a function"):
        opt.minimize(tf.constant(1.0))


def test_sparse_gradient_from_gather_trains():
    emb = tf.Variable(np.ones((4, 2), np.float32))
    opt = tf.train.GradientDescentOptimizer(1.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(emb, [0, 2, 2]))
    (g,) = tape.gradient(loss, [emb])
    np.testing.assert_array_equal(np.asarray(g), [[1, 1], [0, 0], [2, 2], [0, 0]])
    opt.apply_gradients([(g, emb)])
    np.testing.assert_array_equal(emb.numpy(), [[0, 0], [1, 1], [-1, -1], [1, 1]])


# ----- function -----
def _chain(x, n=200):
    for i in range(n):
        x = tf.tanh(x * 0.9 + 0.01 * i)
    return x


def test_function_matches_eager_and_traces_once_per_signature():
    traces = []

    @tf.function
    def f(x, scale):
        traces.append(1)
        return tf.reduce_sum(x * scale), x + 1.0

    x = tf.constant([1.0, 2.0])
    s, y = f(x, 2.0)
    assert float(s) == 6.0
    np.testing.assert_array_equal(y.numpy(), [2.0, 3.0])
    f(tf.constant([5.0, 6.0]), 2.0)
    assert len(traces) == 1
    f(tf.constant([5.0, 6.0]), 3.0)  # a new Python value retraces
    f(tf.constant([5.0, 6.0, 7.0]), 3.0)  # a new shape retraces
    assert len(traces) == 3
    g = tf.function(lambda a: a * a)
    assert float(g(tf.constant(3.0))) == 9.0


def test_function_with_input_signature():
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        return tf.reduce_sum(x)

    assert float(f(tf.constant([1.0, 2.0]))) == 3.0
    assert float(f(tf.constant([1.0, 2.0, 3.0]))) == 6.0
    assert len(f._cache) == 1
    with pytest.raises(ValueError):
        f(tf.constant([1, 2]))


def test_function_output_equals_eager_on_the_chain_and_is_faster():
    x0 = tf.constant(np.linspace(-1, 1, 4).astype(np.float32))
    chain = tf.function(_chain)
    np.testing.assert_allclose(chain(x0).numpy(), _chain(x0).numpy(), rtol=1e-6)
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        _chain(x0)
    eager_s = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    for _ in range(reps):
        chain(x0)
    function_s = (time.perf_counter() - t0) / reps
    ops = 200 * 3
    print(f"\neager: {eager_s * 1e6 / ops:.2f} us/op over {ops} ops; function: "
          f"{function_s * 1e6:.0f} us per call; speed-up {eager_s / function_s:.1f}x")


def test_gradients_work_inside_function_and_tape_through_function():
    @tf.function
    def grad_of_cube(x):
        y = x * x * x
        return tf.gradients(y, x)[0]

    assert float(grad_of_cube(tf.constant(2.0))) == pytest.approx(12.0)

    @tf.function
    def f(x):
        return tf.sin(x) * x

    x = tf.constant(0.5, dtype=tf.float64)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        d1 = inner.gradient(y, x)
    d2 = outer.gradient(d1, x)
    assert float(d1) == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5), rel=1e-12)
    assert float(d2) == pytest.approx(-np.sin(0.5) * 0.5 + 2 * np.cos(0.5), rel=1e-12)


def test_function_captures_eager_tensors_as_inputs():
    c = tf.constant([1.0, 2.0])

    @tf.function
    def f(x):
        return tf.reduce_sum(x * c)

    x = tf.constant([3.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(c)
        y = f(x)
    assert float(y) == 11.0
    np.testing.assert_array_equal(tape.gradient(y, c).numpy(), [3.0, 4.0])


def test_function_reads_and_updates_eager_variables():
    v = tf.Variable(1.0)

    @tf.function
    def bump(d):
        v.assign_add(d)
        return v.read_value() * 1.0

    assert float(bump(tf.constant(2.0))) == 3.0  # the read follows the update
    assert float(v) == 3.0
    assert float(bump(tf.constant(2.0))) == 5.0
    assert float(v) == 5.0

    @tf.function
    def loss_fn():
        return v * v

    with tf.GradientTape() as tape:
        loss = loss_fn()
    assert float(tape.gradient(loss, v)) == pytest.approx(10.0)


def test_train_step_inside_function():
    rng = np.random.RandomState(1)
    xs = tf.constant(rng.uniform(-1, 1, (16, 2)).astype(np.float32))
    ys = tf.constant((rng.uniform(-1, 1, (16, 2)) @ np.zeros((2, 1)) + 1.0).astype(np.float32))
    w = tf.Variable(tf.zeros([2, 1]))
    b = tf.Variable(tf.zeros([1]))
    opt = tf.train.MomentumOptimizer(0.1, 0.5)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
        return loss

    first = float(step(xs, ys))
    for _ in range(40):
        last = float(step(xs, ys))
    assert last < 0.05 * first
