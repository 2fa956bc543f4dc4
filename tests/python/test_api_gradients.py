"""gradients()/hessians() argument handling and values, registry, custom_gradient (native)."""

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_square_gradient_value_and_names(g):
    x = tf.constant(3.0, name="x")
    y = tf.square(x, name="y")
    (dx,) = tf.gradients(y, x)
    assert isinstance(dx, tf.Tensor)
    assert dx.name.startswith("gradients/y_grad/")
    assert run(dx) == 6.0


def test_list_shape_of_result(g):
    x = tf.constant(1.0)
    z = tf.constant(2.0)
    y = x * 2.0
    grads = tf.gradients([y], [x, z])
    assert isinstance(grads, list) and len(grads) == 2 and grads[1] is None
    assert tf.gradients(y, []) == []
    assert tf.gradients([], [x]) == [None]


def test_argument_errors(g):
    x = tf.constant(1.0, name="x")
    y = x * 2.0
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'op'"):
        tf.gradients(None, x)
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'op'"):
        tf.gradients(y, [None])
    with pytest.raises(TypeError, match="can't convert Operation 'x' to Tensor"):
        tf.gradients(y, [x.op])
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: "
                                         "'nonsense'"):
        tf.gradients(y, x, unconnected_gradients="nonsense")
    with pytest.raises(ValueError, match="Length mismatch. Passed 2 grad_ys for 1 ys"):
        tf.gradients(y, x, grad_ys=[1.0, 2.0])
    with pytest.raises(AttributeError, match="'Operation' object has no attribute 'op'"):
        tf.gradients(y, x, stop_gradients=[y.op])


def test_cross_graph_error(g):
    y = tf.constant(1.0, name="y") * 1.0
    other = tf.Graph()
    with other.as_default():
        x2 = tf.constant(1.0, name="x2")
    with pytest.raises(ValueError, match=r'Tensor\("x2:0", shape=\(\), dtype=float32\) must '
                                         r"be from the same graph as Tensor\(\"mul:0\""):
        tf.gradients(y, x2)


def test_non_tensor_xs_give_none(g):
    x = tf.constant(1.0)
    assert tf.gradients(x * 2.0, 3.0) == [None]


def test_unconnected_zero(g):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    z = tf.constant(1.0)
    for mode in ("zero", tf.UnconnectedGradients.ZERO):
        (dz,) = tf.gradients(z * 2.0, x, unconnected_gradients=mode)
        np.testing.assert_array_equal(run(dz), [[0, 0], [0, 0]])
    assert tf.gradients(z * 2.0, x, unconnected_gradients="none") == [None]


def test_grad_ys_and_stop_gradients(g):
    x = tf.constant(1.0)
    y = 2.0 * x
    z = x + y
    assert run(tf.gradients(z, [x, y])) == [3.0, 1.0]
    assert run(tf.gradients(z, [x, y], stop_gradients=[x, y])) == [1.0, 1.0]
    assert run(tf.gradients(y, x, grad_ys=[5.0])) == [10.0]
    assert run(tf.gradients([y, y], x)) == [4.0]


def test_gradient_of_self_is_seed(g):
    x = tf.constant(2.0)
    (seed,) = tf.gradients(x, x)
    assert seed.op.type == "Fill" and seed.name == "gradients/grad_ys_0:0"
    assert run(seed) == 1.0


def test_integer_path_is_none(g):
    x = tf.constant(2.5)
    y = tf.cast(tf.cast(x, tf.int32), tf.float32)
    assert tf.gradients(y, x) == [None]


def test_hessians_of_quadratic_form(g):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    x = tf.constant([1.0, -1.0])
    f = tf.reduce_sum(x * tf.squeeze(tf.matmul(tf.constant(a), tf.expand_dims(x, 1)), 1))
    (h,) = tf.hessians(f, x)
    np.testing.assert_allclose(run(h), a + a.T)


def test_second_order(g):
    x = tf.constant(2.0)
    y = x * x * x
    (d1,) = tf.gradients(y, x)
    (d2,) = tf.gradients(d1, x)
    (d3,) = tf.gradients(d2, x)
    assert run([d1, d2, d3]) == [12.0, 12.0, 6.0]


_counter = [0]


def _fresh(name):
    _counter[0] += 1
    return f"{name}{_counter[0]}"


def test_register_gradient_and_override(g):
    name = _fresh("DoubleGrad")

    @tf.RegisterGradient(name)
    def _double(op, grad):
        return grad * 2.0 * op.inputs[0] * 2.0  # 4 x instead of 2 x

    with pytest.raises(KeyError, match=f"Registering two gradient with name '{name}'!"):
        tf.RegisterGradient(name)(_double)
    with pytest.raises(TypeError, match="op_type must be a string"):
        tf.RegisterGradient(3)
    x = tf.constant(3.0)
    with g.gradient_override_map({"Square": name}):
        y = tf.square(x)
    assert run(tf.gradients(y, x)) == [12.0]


def test_gradient_function_may_return_python_numbers(g):
    name = _fresh("ConstGrad")

    @tf.RegisterGradient(name)
    def _const(op, grad):
        return 7.0

    x = tf.constant(3.0)
    with g.gradient_override_map({"Square": name}):
        y = tf.square(x)
    assert run(tf.gradients(y, x)) == [7.0]


def test_not_differentiable(g):
    name = _fresh("NoGradType")
    tf.NotDifferentiable(name)
    x = tf.constant(3.0)
    with g.gradient_override_map({"Square": name}):
        y = tf.square(x)
    assert tf.gradients(y, x) == [None]


def test_gradient_function_errors_propagate(g):
    name = _fresh("RaisingGrad")

    @tf.RegisterGradient(name)
    def _boom(op, grad):
        raise RuntimeError("boom")

    x = tf.constant(3.0)
    with g.gradient_override_map({"Square": name}):
        y = tf.square(x)
    with pytest.raises(RuntimeError, match="boom"):
        tf.gradients(y, x)


def test_custom_gradient(g):
    @tf.custom_gradient
    def clipped_identity(v):
        def grad(dy):
            return dy * 0.5
        return tf.identity(v), grad

    x = tf.constant([1.0, 2.0])
    y = clipped_identity(x) * 3.0
    np.testing.assert_allclose(run(tf.gradients(y, x)[0]), [1.5, 1.5])
    np.testing.assert_allclose(run(y), [3.0, 6.0])


def test_aggregation_and_gate_options(g):
    x = tf.constant(1.0)
    y = x * 3.0 + tf.sin(x) + x * x
    expected = 3.0 + np.cos(1.0) + 2.0
    for method in (None, tf.AggregationMethod.ADD_N, tf.AggregationMethod.EXPERIMENTAL_TREE,
                   tf.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N):
        (d,) = tf.gradients(y, x, aggregation_method=method, gate_gradients=True)
        assert abs(run(d) - expected) < 1e-5
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N == 0
    assert tf.UnconnectedGradients("zero") is tf.UnconnectedGradients.ZERO


def test_indexed_slices_cross_the_trampoline_and_fetch(g):
    name = _fresh("SparseRows")

    @tf.RegisterGradient(name)
    def _rows(op, grad):
        return tf.IndexedSlices(grad, tf.constant([0, 2, 1]), tf.shape(op.inputs[0]))

    p = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with g.gradient_override_map({"Identity": name}):
        y = tf.identity(p)
    (d,) = tf.gradients(y, p)
    assert isinstance(d, tf.IndexedSlices)
    assert d.shape == [3, 2]
    value = run(d)
    assert isinstance(value, tf.IndexedSlicesValue)
    np.testing.assert_array_equal(value.indices, [0, 2, 1])
    np.testing.assert_array_equal(value.values, np.ones((3, 2)))
    np.testing.assert_array_equal(value.dense_shape, [3, 2])


def test_trampoline_gives_python_objects(g):
    name = _fresh("Spy")
    seen = []

    @tf.RegisterGradient(name)
    def _spy(op, grad):
        seen.append((op, grad))
        return grad

    x = tf.constant(2.0)
    with g.gradient_override_map({"Identity": name}):
        y = tf.identity(x)
    (d,) = tf.gradients(y, x)
    assert seen[0][0] is y.op
    assert isinstance(seen[0][1], tf.Tensor) and seen[0][1].graph is g
    assert d is seen[0][1]


def test_gradients_use_the_tensors_graph(g):
    x = tf.constant(3.0)
    y = x * x
    with tf.Graph().as_default():
        (d,) = tf.gradients(y, x)
    assert d.graph is g
    assert run(d) == 6.0
