"""The same meta-graph programs in TensorFlow and in symgrad: the exported collections,
the names after import, the restored variables and the values agree. Only the savers' own
ops differ (TF's SaveV2/RestoreV2 against symgrad's placeholders), and the optimizer's
updates (TF's fused ResourceApply ops). Skipped when tensorflow
is not importable (the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import os

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _save_and_import(tf, directory):
    out = {}
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.get_variable("w", initializer=tf.constant(np.arange(6.0, dtype=np.float32)
                                                         .reshape(3, 2)))
        b = tf.Variable(tf.zeros([2]), name="b")
        y = tf.add(tf.matmul(x, w), b, name="y")
        loss = tf.reduce_mean(tf.square(y))
        step = tf.train.get_or_create_global_step()
        train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
        tf.add_to_collection("ints", 3)
        tf.add_to_collection("floats", 1.5)
        tf.add_to_collection("strings", "s")
        tf.add_to_collection("outs", y)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                sess.run(train, {x: np.ones((2, 3))})
            out["trained"] = sess.run(y, {x: np.eye(3)})
            prefix = saver.save(sess, os.path.join(directory, "model"), global_step=step)
    out["files"] = sorted(f for f in os.listdir(directory) if f.endswith(".meta"))
    for scope in (None, "imp"):
        with tf.Graph().as_default() as g, tf.Session() as sess:
            restorer = tf.train.import_meta_graph(prefix + ".meta", import_scope=scope)
            restorer.restore(sess, prefix)
            p = "" if scope is None else scope + "/"
            # The optimizer's updates are fused ops in TF (ResourceApplyGradientDescent).
            out[scope, "ops"] = sorted(
                op.name for op in g.get_operations()
                if not op.name.startswith(("save", p + "save", p + "GradientDescent/update_")))
            out[scope, "keys"] = sorted(g.get_all_collection_keys())
            out[scope, "globals"] = [v.name for v in tf.global_variables()]
            out[scope, "trainable"] = [v.name for v in tf.trainable_variables()]
            out[scope, "train_op"] = [op.name for op in tf.get_collection("train_op")]
            out[scope, "values"] = (tf.get_collection("ints"), tf.get_collection("floats"),
                                    tf.get_collection("strings"),
                                    [t.name for t in tf.get_collection("outs")])
            out[scope, "y"] = sess.run(p + "y:0", {p + "x:0": np.eye(3)})
            out[scope, "step"] = sess.run(tf.train.get_global_step())
            sess.run(tf.get_collection("train_op")[0], {p + "x:0": np.ones((2, 3))})
            out[scope, "y2"] = sess.run(p + "y:0", {p + "x:0": np.eye(3)})
    return out


def test_save_then_import_meta_graph_agrees_with_tf(tmp_path):
    want = _save_and_import(tf1, str(tmp_path / "tf"))
    got = _save_and_import(symgrad, str(tmp_path / "sg"))
    assert got.keys() == want.keys()
    for key in want:
        if isinstance(want[key], np.ndarray):
            np.testing.assert_allclose(got[key], want[key], rtol=1e-5, err_msg=str(key))
        else:
            assert got[key] == want[key], key


def _scoped_export(tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        with tf.variable_scope("model"):
            w = tf.get_variable("w", initializer=tf.constant([[1.0, 2.0], [3.0, 4.0]]))
            z = tf.identity(tf.matmul(x, w) * 2.0, name="z")
        tf.add_to_collection("outs", z)
        tf.Variable(1.0, name="outside")
        meta = tf.train.export_meta_graph(export_scope="model", clear_devices=True)
        exported = (sorted(n.name for n in meta.graph_def.node),
                    sorted(meta.collection_def.keys()),
                    {n.name: list(n.input) for n in meta.graph_def.node},
                    list(meta.collection_def["unbound_inputs"].bytes_list.value))
    data = meta.SerializeToString()
    with tf.Graph().as_default():
        tf.placeholder(tf.float32, [None, 2], name="xin")
        with pytest.raises(ValueError) as error:
            tf.train.import_meta_graph(type(meta).FromString(data), import_scope="new")
    with tf.Graph().as_default() as g:
        xin = tf.placeholder(tf.float32, [None, 2], name="xin")
        tf.train.import_meta_graph(type(meta).FromString(data), import_scope="new",
                                   input_map={"$unbound_inputs_x": xin})
        names = sorted(op.name for op in g.get_operations() if not op.name.startswith("save"))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            value = sess.run(tf.get_collection("outs")[0], {xin: [[1.0, 1.0]]})
        imported = (names, [v.name for v in tf.global_variables()], value)
    return exported, str(error.value), imported


def test_export_scope_and_unbound_inputs_agree_with_tf():
    want = _scoped_export(tf1)
    got = _scoped_export(symgrad)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2][:2] == want[2][:2]
    np.testing.assert_array_equal(got[2][2], want[2][2])
