"""tf.graph_util: freezing variables into constants, extracting and pruning GraphDefs."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from symgrad.summary_pb2 import GraphDef


def _model():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        b = tf.get_variable("b", initializer=tf.constant([0.5, -0.5]))
        h = tf.identity(tf.matmul(x, w) + b, name="h")
        y = tf.nn.relu(tf.check_numerics(h, "bad", name="chk"), name="y")
        tf.Variable(3.0, name="unused")
    return g, w


def test_convert_variables_to_constants_freezes_the_session_values():
    g, w = _model()
    with g.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign_add([[1.0, 1.0], [1.0, 1.0]]))
        xv = np.array([[1.0, 0.5], [-1.0, 2.0]], np.float32)
        want = sess.run("y:0", {"x:0": xv})
        frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    ops = {n.name: n.op for n in frozen.node}
    assert ops["w"] == ops["b"] == "Const"
    assert "unused" not in ops and "w/Assign" not in ops
    reads = [n for n in frozen.node if n.input and n.input[0] in ("w", "b")]
    assert reads and all(n.op == "Identity" and "T" in n.attr and "dtype" not in n.attr
                         for n in reads)
    np.testing.assert_array_equal(
        tf.make_ndarray(frozen.node[[n.name for n in frozen.node].index("w")]
                        .attr["value"].tensor), [[2.0, 3.0], [4.0, 5.0]])
    # Serialized and loaded into a fresh graph, it computes what the session did.
    data = frozen.SerializeToString()
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(GraphDef.FromString(data), name="")
        np.testing.assert_allclose(sess.run("y:0", {"x:0": xv}), want)
        assert not tf.global_variables()


def test_white_and_blacklists_choose_the_variables():
    g, _ = _model()
    with g.as_default(), tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        graph_def = g.as_graph_def()
        only_b = tf.graph_util.convert_variables_to_constants(
            sess, graph_def, ["y"], variable_names_whitelist=["b"])
        not_b = tf.graph_util.convert_variables_to_constants(
            sess, graph_def, ["y"], variable_names_blacklist=["b"])
    assert {n.name: n.op for n in only_b.node if n.name in ("w", "b")} == {
        "w": "VarHandleOp", "b": "Const"}
    assert {n.name: n.op for n in not_b.node if n.name in ("w", "b")} == {
        "w": "Const", "b": "VarHandleOp"}


def test_extract_sub_graph_keeps_what_the_destinations_reach_in_order():
    g, _ = _model()
    graph_def = g.as_graph_def()
    sub = tf.graph_util.extract_sub_graph(graph_def, ["h"])
    names = [n.name for n in sub.node]
    everything = [n.name for n in graph_def.node]
    assert names == [n for n in everything if n in set(names)]
    assert "h" in names and "y" not in names and "chk" not in names and "unused" not in names
    assert {"x", "w", "b"} <= set(names)
    with pytest.raises(TypeError, match="graph_def must be a graph_pb2.GraphDef proto"):
        tf.graph_util.extract_sub_graph("graph", ["h"])
    with pytest.raises(TypeError, match="dest_nodes must be an iterable of strings"):
        tf.graph_util.extract_sub_graph(graph_def, "h")
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(graph_def, ["nope"])


def test_remove_training_nodes_splices_identities_and_drops_check_numerics():
    graph_def = GraphDef()
    for name, op, inputs in [("x", "Placeholder", []), ("i1", "Identity", ["x"]),
                             ("i2", "StopGradient", ["i1"]), ("sq", "Square", ["i2:0"]),
                             ("chk", "CheckNumerics", ["sq"]), ("out", "Relu", ["chk"]),
                             ("kept", "Identity", ["sq"]), ("ctl", "Identity", ["sq", "^x"]),
                             ("user", "Neg", ["kept", "ctl"])]:
        graph_def.node.add(name=name, op=op, input=inputs)
    pruned = tf.graph_util.remove_training_nodes(graph_def)
    # As in TF: an input naming a spliced node with its port ("i2:0") is left as it is,
    # and the input that named the removed CheckNumerics is dropped.
    assert [(n.name, list(n.input)) for n in pruned.node] == [
        ("x", []), ("sq", ["i2:0"]), ("out", []), ("ctl", ["sq", "^x"]),
        ("user", ["sq", "ctl"])]
    protected = tf.graph_util.remove_training_nodes(graph_def, protected_nodes=["i1"])
    assert [(n.name, list(n.input)) for n in protected.node][:3] == [
        ("x", []), ("i1", ["x"]), ("sq", ["i2:0"])]
    graph_def.node[3].input[0] = "i2"
    assert [list(n.input) for n in tf.graph_util.remove_training_nodes(graph_def).node
            if n.name == "sq"] == [["x"]]


def test_must_run_on_cpu_and_shapes_from_input_names():
    with tf.Graph().as_default() as g:
        c32 = tf.constant([1, 2], name="c32")
        cf = tf.constant([1.0], name="cf")
        cast = tf.cast(c32, tf.float32)
        v = tf.Variable(1.0, name="v")
    must = tf.graph_util.must_run_on_cpu
    assert must(c32.op) and not must(cf.op) and must(cast.op)
    nodes = g.as_graph_def().node
    assert not must(v.op) and must(nodes[0]) and not must(nodes[1])
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "c32").as_list() == [2]
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "cf:0").as_list() == [1]
