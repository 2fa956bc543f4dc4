"""Graphs, names, Tensor/Operation identity and attributes (needs the native module)."""

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def test_default_graph_nesting():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        assert tf.get_default_graph() is g1
        with g2.as_default():
            assert tf.get_default_graph() is g2
        assert tf.get_default_graph() is g1


def test_reset_default_graph_inside_nesting_fails(g):
    with pytest.raises(AssertionError, match="Do not use tf.reset_default_graph"):
        tf.reset_default_graph()


def test_reset_default_graph_replaces_global():
    before = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not before


def test_operator_default_names(g):
    x = tf.placeholder(tf.float32, [2, 3])
    y = tf.constant(1.0)
    names = [t.op.name for t in [
        x + y, tf.add(x, y), x * y, tf.multiply(x, y), x - y, tf.subtract(x, y), x / y,
        tf.divide(x, y), tf.truediv(x, y), x // y, tf.floordiv(x, y), x % y, tf.mod(x, y),
        x ** y, tf.pow(x, y), -x, abs(x), x < y, x <= y, x > y, x >= y, tf.maximum(x, y),
        tf.squared_difference(x, y)]]
    assert names == ["add", "Add_1", "mul", "Mul_1", "sub", "Sub_1", "truediv", "truediv_1",
                     "truediv_2", "floordiv", "floordiv_1", "mod", "FloorMod", "pow", "Pow_1",
                     "Neg", "Abs", "Less", "LessEqual", "Greater", "GreaterEqual", "Maximum",
                     "SquaredDifference"]


def test_op_types(g):
    x = tf.placeholder(tf.float32, [2, 2])
    assert (x + x).op.type == "AddV2"
    assert (x / x).op.type == "RealDiv"
    assert (x % x).op.type == "FloorMod"
    assert tf.matmul(x, x).op.type == "MatMul"
    assert tf.matmul(tf.ones([2, 2, 2]), tf.ones([2, 2, 2])).op.type == "BatchMatMulV2"
    assert tf.where(x > 0, x, x).op.type == "Select"


def test_python_constant_names(g):
    x = tf.placeholder(tf.float32, [3], name="x")
    a = x + 1
    b = 1 + x
    assert [i.op.name for i in a.op.inputs] == ["x", "add/y"]
    assert [i.op.name for i in b.op.inputs] == ["add_1/x", "x"]
    m = tf.placeholder(tf.float32, [2, 3])
    assert (m @ tf.ones([3, 2])).op.name == "matmul"


def test_name_scopes(g):
    x = tf.placeholder(tf.float32, name="x")
    with tf.name_scope("sc") as scope:
        assert scope == "sc/"
        assert (x + 1).name == "sc/add:0"
        with tf.name_scope("sc"):
            assert (x + 1).name == "sc/sc/add:0"
    with tf.name_scope("sc/"):
        assert (x + 1).name == "sc/add_1:0"
    assert tf.identity(x, name="a/b").name == "a/b:0"


def test_unique_op_names(g):
    a = tf.placeholder(tf.float32, name="x")
    b = tf.placeholder(tf.float32, name="x")
    assert (a.name, b.name) == ("x:0", "x_1:0")
    assert g.unique_name("foo") == "foo"
    assert g.unique_name("foo") == "foo_1"


def test_identity_of_elements(g):
    x = tf.placeholder(tf.float32, [2], name="x")
    y = x * 2.0
    assert y.op is y.op
    assert y.op.outputs[0] is y
    assert g.get_tensor_by_name("x:0") is x
    assert g.get_operation_by_name("x") is x.op
    assert y.op.inputs[0] is x
    assert x.graph is g
    assert {x: 1}[g.get_tensor_by_name("x:0")] == 1
    assert x in [x] and (x == x) is True and (x != y) is True


def test_lookup_errors(g):
    tf.placeholder(tf.float32, name="x")
    with pytest.raises(KeyError, match="The name 'y:0' refers to a Tensor which does not "
                                       "exist. The operation, 'y', does not exist in the graph."):
        g.get_tensor_by_name("y:0")
    with pytest.raises(KeyError, match="exists but only has 1 outputs"):
        g.get_tensor_by_name("x:1")
    with pytest.raises(ValueError, match="The name 'x' refers to an Operation, not a Tensor."):
        g.get_tensor_by_name("x")
    with pytest.raises(KeyError, match="The name 'y' refers to an Operation not in the graph."):
        g.get_operation_by_name("y")
    with pytest.raises(ValueError, match="Name 'x:0' appears to refer to a Tensor"):
        g.get_operation_by_name("x:0")
    with pytest.raises(TypeError, match="Tensor names are strings"):
        g.get_tensor_by_name(3)


def test_reprs(g):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    assert repr(x) == "<symgrad.Tensor 'x:0' shape=(2, 3) dtype=float32>"
    assert str(x) == 'Tensor("x:0", shape=(2, 3), dtype=float32)'
    assert str(tf.placeholder(tf.float32, name="p")) == 'Tensor("p:0", dtype=float32)'
    assert repr(x.op) == "<symgrad.Operation 'x' type=Placeholder>"


def test_tensor_attributes(g):
    x = tf.placeholder(tf.float32, [2, None], name="x")
    assert x.value_index == 0
    assert x.dtype is tf.float32
    assert x.shape == [2, None] and x.get_shape().as_list() == [2, None]
    x.set_shape([2, 5])
    assert x.shape == [2, 5]
    with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 2 "
                                         r"and 3. Shapes are \[2,5\] and \[3,5\]."):
        x.set_shape([3, 5])
    y = x + 1
    assert x.consumers() == [y.op]
    assert x.op.get_attr("dtype") is tf.float32
    assert x.op.colocation_groups() == [b"loc:@x"]
    with pytest.raises(ValueError, match="Operation 'x' has no attr named 'nope'."):
        x.op.get_attr("nope")


def test_bool_and_iteration_rejected(g):
    x = tf.placeholder(tf.float32, [2])
    with pytest.raises(TypeError, match="as a Python `bool` is not allowed"):
        bool(x)
    with pytest.raises(TypeError, match="Iterating over a symbolic `tf.Tensor`"):
        iter(x)


def test_numpy_on_the_left_defers(g):
    x = tf.placeholder(tf.float32, [3])
    z = np.ones(3) + x
    assert isinstance(z, tf.Tensor) and z.dtype is tf.float32


def test_device_colocation_and_control_dependencies(g):
    x = tf.placeholder(tf.float32, name="x")
    with tf.device("/cpu:0"):
        d = tf.identity(x)
    assert d.device.lower().endswith("cpu:0")
    with tf.colocate_with(d):
        c = tf.identity(x)
    assert c.op.colocation_groups() == [b"loc:@Identity"]
    with tf.control_dependencies([d]):
        e = tf.identity(x)
    assert e.op.control_inputs == [d.op]


def test_gradient_override_map_sets_attr(g):
    x = tf.placeholder(tf.float32)
    with g.gradient_override_map({"Square": "CustomSquare"}):
        s = tf.square(x)
    assert s.op.get_attr("_gradient_op_type") == b"CustomSquare"
    with pytest.raises(TypeError, match="op_type_map must be a dictionary mapping strings"):
        with g.gradient_override_map([("a", "b")]):
            pass


def test_finalize(g):
    g.finalize()
    assert g.finalized
    with pytest.raises(RuntimeError):
        tf.constant(1.0)


def test_get_operations_in_creation_order(g):
    a = tf.constant(1.0, name="a")
    b = tf.identity(a, name="b")
    assert [op.name for op in g.get_operations()] == ["a", "b"]
    assert g.get_operations()[1] is b.op
