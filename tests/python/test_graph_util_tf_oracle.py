"""tf.graph_util in TensorFlow and in symgrad on the same program: the frozen, extracted and
pruned GraphDefs have the same nodes, inputs and attributes, and the frozen graph computes
the same values. Skipped when tensorflow is not importable (the normal test run); see
test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

# Attributes TF 2.21 exports that symgrad's GraphDefs leave out: MatMul's grad_a and grad_b,
# and a VarHandleOp's allowed_devices, debug_name and its colocation with itself.
_EXTRA_TF_ATTRS = {"grad_a", "grad_b", "allowed_devices", "debug_name", "_class"}


def _listing(graph_def):
    return [(n.name, n.op, list(n.input), sorted(set(n.attr) - _EXTRA_TF_ATTRS))
            for n in graph_def.node]


def _freeze(tf):
    out = {}
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        b = tf.get_variable("b", initializer=tf.constant([0.5, -0.5]))
        h = tf.identity(tf.nn.sigmoid(tf.matmul(x, w) + b), name="h")
        tf.nn.relu(tf.check_numerics(h, "bad", name="chk"), name="y")
        tf.Variable(3.0, name="unused")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(w.assign_add([[1.0, -1.0], [0.5, 0.5]]))
            graph_def = g.as_graph_def()
            frozen = tf.graph_util.convert_variables_to_constants(sess, graph_def, ["y"])
            out["frozen"] = _listing(frozen)
            out["w"] = tf.make_ndarray(
                [n for n in frozen.node if n.name == "w"][0].attr["value"].tensor)
            out["only_b"] = _listing(tf.graph_util.convert_variables_to_constants(
                sess, graph_def, ["y"], variable_names_whitelist=["b"]))
            out["not_b"] = _listing(tf.graph_util.convert_variables_to_constants(
                sess, graph_def, ["y"], variable_names_blacklist=["b"]))
        out["sub"] = _listing(tf.graph_util.extract_sub_graph(graph_def, ["h"]))
        out["pruned"] = _listing(tf.graph_util.remove_training_nodes(frozen))
        out["protected"] = _listing(tf.graph_util.remove_training_nodes(frozen, ["h"]))
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(type(frozen).FromString(frozen.SerializeToString()), name="")
        out["y"] = sess.run("y:0", {"x:0": [[1.0, -1.0], [0.25, 2.0]]})
    return out


def test_graph_util_agrees_with_tf():
    want = _freeze(tf1)
    got = _freeze(symgrad)
    for key in want:
        if isinstance(want[key], np.ndarray):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-6, err_msg=key)
        else:
            assert got[key] == want[key], key
