"""tf.import_graph_def, make_ndarray and make_tensor_proto: a graph exported with
as_graph_def (and through its serialized bytes) is rebuilt op for op under a name scope, with
input_map, return_elements, control inputs and devices; TF's errors. Graphs exported by
TensorFlow itself are imported in test_import_graph_def_tf_oracle.py."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf


def _source():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        with tf.device("/cpu:0"):
            h = tf.nn.relu(tf.matmul(x, tf.constant(np.eye(3, dtype=np.float32) * 2)) - 1.0,
                           name="h")
        y = tf.reduce_sum(h, axis=1, name="y")
        with tf.control_dependencies([h]):
            tf.identity(tf.shape(x)[0], name="batch")
    return g, tf.GraphDef.FromString(g.as_graph_def().SerializeToString())


def test_round_trip_values_names_and_structure():
    src, gd = _source()
    xv = np.array([[1.0, 2.0, 3.0], [0.0, 0.5, -1.0]], np.float32)
    with tf.Graph().as_default() as g:
        assert tf.import_graph_def(gd) is None
        x = g.get_tensor_by_name("import/x:0")
        y = g.get_tensor_by_name("import/y:0")
        assert [op.name for op in g.get_operations()] == [
            "import/" + op.name for op in src.get_operations()]
        controls = {op.name: [c.name for c in op.control_inputs] for op in src.get_operations()}
        assert any(controls.values())
        for op in g.get_operations():
            assert [c.name for c in op.control_inputs] == [
                "import/" + c for c in controls[op.name[len("import/"):]]]
        assert g.get_operation_by_name("import/h").device == "/cpu:0"
        assert y.shape.as_list() == [None]
        with tf.Session() as sess:
            got = sess.run([y, g.get_tensor_by_name("import/batch:0")], {x: xv})
        dx = tf.gradients(y, x)[0]
        with tf.Session() as sess:
            gx = sess.run(dx, {x: xv})
    np.testing.assert_allclose(got[0], np.maximum(2 * xv - 1, 0).sum(1))
    assert got[1] == 2
    np.testing.assert_allclose(gx, 2.0 * (2 * xv - 1 > 0))


def test_input_map_return_elements_and_scopes():
    _, gd = _source()
    with tf.Graph().as_default() as g:
        z = tf.placeholder(tf.float32, [4, 3], name="z")
        y, h_op = tf.import_graph_def(gd, input_map={"x": z}, return_elements=["y:0", "h"],
                                      name="net")
        assert y.name == "net/y:0" and h_op.name == "net/h"
        assert y.shape.as_list() == [4]
        y2 = tf.import_graph_def(gd, return_elements=["y:0"], name="net")[0]
        assert y2.name == "net_1/y:0"
        assert tf.import_graph_def(gd, return_elements=["y:0"], name="")[0].name == "y:0"
        with tf.Session() as sess:
            got = sess.run(y, {z: np.ones([4, 3], np.float32)})
    np.testing.assert_allclose(got, [3.0] * 4)


def test_errors_as_tf():
    _, gd = _source()
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float32, [None, 3], name="x")
        with pytest.raises(ValueError, match="Requested return tensor 'zz:0' not found"):
            tf.import_graph_def(gd, return_elements=["zz:0"])
        with pytest.raises(ValueError, match="Requested return node 'zz' not found"):
            tf.import_graph_def(gd, return_elements=["zz"])
        with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found "
                                             r"in graph_def: \[q:0\]"):
            tf.import_graph_def(gd, input_map={"q:0": a})
        with pytest.raises(ValueError, match="already exists"):
            tf.import_graph_def(gd, name="")
        with pytest.raises(TypeError, match="GraphDef"):
            tf.import_graph_def(b"not a graph def")
        broken = tf.GraphDef()
        node = broken.node.add()
        node.name, node.op = "n", "Identity"
        node.input.append("missing:0")
        with pytest.raises(ValueError, match="Node 'n': Unknown input node 'missing:0'"):
            tf.import_graph_def(broken)
        unknown = tf.GraphDef()
        node = unknown.node.add()
        node.name, node.op = "n", "NoSuchOp"
        with pytest.raises(ValueError, match="Op type not registered 'NoSuchOp'"):
            tf.import_graph_def(unknown)


def test_nodes_in_any_order():
    _, gd = _source()
    shuffled = tf.GraphDef()
    for node in reversed(list(gd.node)):
        shuffled.node.append(node)
    with tf.Graph().as_default() as g:
        tf.import_graph_def(shuffled, name="")
        with tf.Session() as sess:
            got = sess.run("y:0", {"x:0": np.ones([1, 3], np.float32)})
    np.testing.assert_allclose(got, [3.0])
    assert len(g.get_operations()) == len(gd.node)


def test_tensor_proto_helpers():
    proto = tf.make_tensor_proto([[1, 2], [3, 4]])
    np.testing.assert_array_equal(tf.make_ndarray(proto), [[1, 2], [3, 4]])
    assert tf.make_ndarray(proto).dtype == np.int64 or tf.make_ndarray(proto).dtype == np.int32
    filled = tf.make_tensor_proto(1.5, shape=[2, 2])
    np.testing.assert_array_equal(tf.make_ndarray(filled), np.full([2, 2], 1.5, np.float32))
    assert tf.make_ndarray(filled).dtype == np.float32
    typed = tf.make_tensor_proto([1, 2], dtype=tf.float64)
    assert tf.make_ndarray(typed).dtype == np.float64
    with pytest.raises(ValueError, match="Too many elements provided"):
        tf.make_tensor_proto([1, 2, 3], shape=[2])
