"""``tf.raw_ops``: ops by their TF names, keyword arguments only, TF's input conversion,
results shaped as TF's wrappers return them."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import check_on_placeholders  # noqa: E402


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(*fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(list(fetches), feed)


def test_every_listed_op_is_one_symgrad_builds(graph):
    names = dir(tf.raw_ops)
    assert len(names) > 300
    for name in ["AddV2", "MatMul", "Conv2D", "TopKV2", "Split", "BesselJ0", "SegmentSum"]:
        assert name in names
    for name in names:
        try:
            graph._native.add_op(name, [], {}, None)
        except Exception as error:  # noqa: BLE001 - only "not registered" is a failure
            assert "not registered" not in str(error), name
    assert "While" not in names and "PyFunc" not in names


def test_unknown_op_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchOp'"):
        tf.raw_ops.NoSuchOp  # noqa: B018
    with pytest.raises(AttributeError):
        tf.raw_ops.While  # noqa: B018 - built by while_loop, not by name


def test_keyword_arguments_only(graph):
    x = tf.constant([3.0, 1.0, 2.0])
    with pytest.raises(TypeError, match=r"top_kv2 only takes keyword args \(possible keys: "
                       r"\['input', 'k', 'sorted', 'index_type', 'name'\]\)"):
        tf.raw_ops.TopKV2(x, 1)
    with pytest.raises(TypeError, match=r"top_kv2\(\) missing 1 required positional "
                       r"argument: 'k'"):
        tf.raw_ops.TopKV2(input=x)
    with pytest.raises(TypeError, match=r"split\(\) missing 2 required positional arguments: "
                       r"'axis' and 'num_split'"):
        tf.raw_ops.Split(value=x)
    with pytest.raises(TypeError, match=r"top_kv2\(\) got an unexpected keyword argument 'T'"):
        tf.raw_ops.TopKV2(input=x, k=1, T=tf.float32)


def test_signatures_are_tfs():
    sig = inspect.signature(tf.raw_ops.TopKV2)
    assert str(sig) == "(input, k, sorted=True, index_type=tf.int32, name=None)"
    # Split's `split_dim` is `axis` in Python, as in TF's wrapper.
    assert str(inspect.signature(tf.raw_ops.Split)) == "(axis, value, num_split, name=None)"
    assert str(inspect.signature(tf.raw_ops.Cast)) == "(x, DstT, Truncate=False, name=None)"


def test_outputs_tensor_tuple_list_and_op(graph):
    x = tf.constant([3.0, 1.0, 2.0])
    top = tf.raw_ops.TopKV2(input=x, k=2)
    assert type(top).__name__ == "TopKV2" and top._fields == ("values", "indices")
    assert top.values.op.name == "TopKV2" and top.indices.dtype == tf.int32
    # The Python value `k` becomes a constant inside the op's scope, as in TF.
    assert [t.op.name for t in top.values.op.inputs] == ["Const", "TopKV2/k"]
    halves = tf.raw_ops.Split(axis=0, value=tf.reshape(tf.range(8.0), [4, 2]), num_split=2)
    assert isinstance(halves, list) and len(halves) == 2
    rows = tf.raw_ops.Unpack(value=tf.ones([3, 2]), num=3, axis=0)
    assert len(rows) == 3
    noop = tf.raw_ops.NoOp(name="nothing")
    assert isinstance(noop, tf.Operation) and noop.name == "nothing"
    values, indices, h0, h1 = run(top.values, top.indices, *halves)
    np.testing.assert_array_equal(values, [3.0, 2.0])
    np.testing.assert_array_equal(indices, [0, 2])
    np.testing.assert_array_equal(h0, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(h1, [[4, 5], [6, 7]])


def test_inputs_are_converted_as_tf_converts_them(graph):
    x = tf.constant([1.0, 2.0], tf.float64)
    # A Python scalar after a float64 tensor becomes float64.
    y = tf.raw_ops.Mul(x=x, y=3, name="m")
    assert y.dtype == tf.float64 and y.name == "m:0"
    # Before any tensor it takes Python's type, and the tensor after it then mismatches.
    with pytest.raises(TypeError, match="Input 'y' of 'Mul' Op has type float64 that does "
                       "not match type float32 of argument 'x'"):
        tf.raw_ops.Mul(x=1.0, y=x)
    # A type attribute's default types a Python value (TopKV2's Tk is int32).
    assert tf.raw_ops.TopKV2(input=x, k=1).values.op.inputs[1].dtype == tf.int32
    # Fixed-type inputs are converted to their type.
    assert tf.raw_ops.Split(axis=0, value=x, num_split=1)[0].op.inputs[0].dtype == tf.int32
    # A list argument shares one type; its length sets N.
    total = tf.raw_ops.AddN(inputs=[x, [1.0, 1.0], x])
    joined = tf.raw_ops.ConcatV2(values=[x, [5.0]], axis=0)
    assert total.op.get_attr("N") == 3
    with pytest.raises(TypeError, match="don't all match"):
        tf.raw_ops.AddN(inputs=[x, tf.constant([1, 2])])
    with pytest.raises(TypeError, match="Expected list for 'inputs'"):
        tf.raw_ops.AddN(inputs=x)
    got = run(y, total, joined)
    np.testing.assert_array_equal(got[0], [3.0, 6.0])
    np.testing.assert_array_equal(got[1], [3.0, 5.0])
    np.testing.assert_array_equal(got[2], [1.0, 2.0, 5.0])


def test_attributes(graph):
    x = tf.constant([[1.5, -2.5]])
    cast = tf.raw_ops.Cast(x=x, DstT=tf.int32)
    product = tf.raw_ops.MatMul(a=x, b=x, transpose_b=True)
    argmax = tf.raw_ops.ArgMax(input=x, dimension=1, output_type=np.int32)
    ph = tf.raw_ops.Placeholder(dtype=tf.float32, shape=tf.TensorShape([None, 2]))
    const = tf.raw_ops.Const(value=np.arange(3.0), dtype=tf.float64)
    draws = tf.raw_ops.RandomUniform(shape=[2, 3], dtype=tf.float64, seed=3, seed2=4)
    assert ph.shape.as_list() == [None, 2]
    assert argmax.dtype == tf.int32 and draws.dtype == tf.float64
    with pytest.raises(TypeError, match="Expected bool for argument 'transpose_a' not 1"):
        tf.raw_ops.MatMul(a=x, b=x, transpose_a=1)
    with pytest.raises(TypeError, match="Expected int for argument 'num_split'"):
        tf.raw_ops.Split(axis=0, value=x, num_split="two")
    with pytest.raises(TypeError, match="Expected string for argument 'padding'"):
        tf.raw_ops.MaxPool(input=tf.ones([1, 2, 2, 1]), ksize=[1, 1, 1, 1],
                           strides=[1, 1, 1, 1], padding=1)
    got = run(cast, product, argmax, const, draws, ph, feed={ph: [[1.0, 2.0]]})
    np.testing.assert_array_equal(got[0], [[1, -2]])
    np.testing.assert_allclose(got[1], [[8.5]])
    np.testing.assert_array_equal(got[2], [0])
    np.testing.assert_array_equal(got[3], [0.0, 1.0, 2.0])
    assert got[4].shape == (2, 3) and ((got[4] >= 0) & (got[4] < 1)).all()
    np.testing.assert_array_equal(got[5], [[1.0, 2.0]])


def test_variables_pass_their_handles(graph):
    v = tf.Variable([1.0, 2.0])
    add = tf.raw_ops.AssignAddVariableOp(resource=v, value=[1.0, 1.0])
    read = tf.raw_ops.ReadVariableOp(resource=v.handle, dtype=tf.float32)
    with pytest.raises(TypeError, match="expects a resource handle"):
        tf.raw_ops.ReadVariableOp(resource=[1.0], dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(add)
        np.testing.assert_array_equal(sess.run(read), [2.0, 3.0])


def test_raw_ops_are_differentiable():
    rng = np.random.RandomState(0)
    check_on_placeholders(lambda a, b: tf.raw_ops.BatchMatMulV2(x=a, y=b, adj_x=True),
                          [([3, 2], rng.randn(3, 2)), ([3, 4], rng.randn(3, 4))])
    check_on_placeholders(lambda x: tf.raw_ops.BesselJ1(x=x),
                          [([5], rng.uniform(0.5, 2.0, size=5))])
    check_on_placeholders(lambda x, y: tf.raw_ops.Xlogy(x=x, y=y),
                          [([4], rng.randn(4)), ([4], rng.uniform(0.5, 2.0, size=4))])
