"""MetaGraphDefs: Saver's .meta files, tf.train.export_meta_graph / import_meta_graph, and
Variables and Savers rebuilt from their protos."""

from __future__ import annotations

import os

import numpy as np
import pytest

import symgrad as tf
from symgrad.summary_pb2 import MetaGraphDef, VariableDef


def _train_and_save(directory, saver_args=None, steps=3):
    """A small regression model trained a few steps and saved; returns the checkpoint
    prefix and the model's output for a fixed input."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        w = tf.get_variable("w", [3, 2], initializer=tf.random_normal_initializer(seed=1))
        b = tf.Variable(tf.zeros([2]), name="b")
        y = tf.add(tf.matmul(x, w), b, name="y")
        loss = tf.reduce_mean(tf.square(y - 1.0))
        step = tf.train.get_or_create_global_step()
        tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        tf.add_to_collection("my_ints", 3)
        tf.add_to_collection("my_floats", 0.5)
        tf.add_to_collection("my_strings", "hello")
        tf.add_to_collection("my_outputs", y)
        saver = tf.train.Saver(**(saver_args or {}))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            train = tf.get_collection(tf.GraphKeys.TRAIN_OP)[0]
            for _ in range(steps):
                sess.run(train, {x: np.ones((4, 3))})
            want = sess.run(y, {x: np.eye(3)})
            prefix = saver.save(sess, os.path.join(directory, "model"), global_step=step)
    return prefix, want


def test_save_writes_a_meta_graph_that_rebuilds_the_model(tmp_path):
    prefix, want = _train_and_save(str(tmp_path))
    assert prefix.endswith("model-3")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model-3.meta", "model-3.npz"]
    with tf.Graph().as_default() as g, tf.Session() as sess:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
        x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
        np.testing.assert_allclose(sess.run(y, {x: np.eye(3)}), want, rtol=1e-6)
        assert [v.name for v in tf.trainable_variables()] == ["w:0", "b:0"]
        assert [v.name for v in tf.global_variables()] == ["w:0", "b:0", "global_step:0"]
        assert all(isinstance(v, tf.Variable) for v in tf.global_variables())
        assert tf.get_collection("my_ints") == [3]
        assert tf.get_collection("my_floats") == [0.5]
        assert tf.get_collection("my_strings") == [b"hello"]
        assert tf.get_collection("my_outputs") == [y]
        # The global step comes back as the Variable, so training goes on from it.
        step = tf.train.get_global_step()
        assert isinstance(step, tf.Variable) and sess.run(step) == 3
        train = tf.get_collection(tf.GraphKeys.TRAIN_OP)[0]
        assert train.name == "GradientDescent"
        sess.run(train, {x: np.ones((4, 3))})
        assert sess.run(step) == 4
        assert not np.allclose(sess.run(y, {x: np.eye(3)}), want)
        again = saver.save(sess, os.path.join(str(tmp_path), "model"), global_step=step)
    assert again.endswith("model-4")
    assert os.path.exists(again + ".meta")


def test_import_scope_prefixes_names_and_restores_by_original_keys(tmp_path):
    prefix, want = _train_and_save(str(tmp_path))
    with tf.Graph().as_default() as g, tf.Session() as sess:
        saver = tf.train.import_meta_graph(prefix + ".meta", import_scope="imported")
        assert [v.name for v in tf.global_variables()] == [
            "imported/w:0", "imported/b:0", "imported/global_step:0"]
        saver.restore(sess, prefix)
        got = sess.run("imported/y:0", {"imported/x:0": np.eye(3)})
        np.testing.assert_allclose(got, want, rtol=1e-6)
        assert g.get_collection("my_outputs")[0].name == "imported/y:0"


def test_a_var_list_dict_keeps_its_keys_through_the_saver_def(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver({"renamed": v})
        with tf.Session() as sess:
            sess.run(v.initializer)
            sess.run(v.assign([5.0, 6.0]))
            prefix = saver.save(sess, str(tmp_path / "ckpt"))
    assert list(np.load(prefix + ".npz").files) == ["renamed"]
    with tf.Graph().as_default(), tf.Session() as sess:
        restored = tf.train.import_meta_graph(prefix + ".meta")
        restored.restore(sess, prefix)
        np.testing.assert_array_equal(sess.run("v/Read/ReadVariableOp:0"), [5.0, 6.0])


def _save_steps(prefix, max_to_keep, steps, suffix="meta", then_plain=None):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        saver = tf.train.Saver(max_to_keep=max_to_keep)
        with tf.Session() as sess:
            sess.run(v.initializer)
            for step in range(steps):
                saver.save(sess, str(prefix), global_step=step, meta_graph_suffix=suffix)
            if then_plain is not None:
                saver.save(sess, str(then_plain), write_meta_graph=False)


def test_max_to_keep_deletes_old_meta_files_and_write_meta_graph_false_writes_none(tmp_path):
    _save_steps(tmp_path / "m", 2, 4, then_plain=tmp_path / "plain")
    # The checkpoint without a meta graph still counts among the two kept.
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m-3.meta", "m-3.npz", "plain.npz"]
    # Another suffix: the old meta graphs named with it go too.
    _save_steps(tmp_path / "other" / "m", 1, 3, suffix="graph")
    assert sorted(os.listdir(tmp_path / "other")) == ["checkpoint", "m-2.graph", "m-2.npz"]


def test_saver_def_and_export_meta_graph(tmp_path):
    with tf.Graph().as_default() as g:
        v = tf.Variable(1.0, name="v")
        saver = tf.train.Saver(max_to_keep=7, keep_checkpoint_every_n_hours=2.0)
        saver_def = saver.saver_def
        assert saver_def.restore_op_name == "save/restore_all"
        assert saver_def.max_to_keep == 7
        assert saver_def.keep_checkpoint_every_n_hours == 2.0
        assert saver_def.version == tf.train.SaverDef.V2
        tf.add_to_collection(tf.GraphKeys.SAVERS, saver)
        path = str(tmp_path / "g.meta")
        meta = saver.export_meta_graph(path)
        assert isinstance(meta, MetaGraphDef)
        with open(path, "rb") as f:
            assert MetaGraphDef.FromString(f.read()) == meta
        assert meta.saver_def == saver_def
        assert sorted(meta.collection_def) == ["savers", "trainable_variables", "variables"]
        var_def = VariableDef.FromString(meta.collection_def["variables"].bytes_list.value[0])
        assert (var_def.variable_name, var_def.initializer_name, var_def.snapshot_name,
                var_def.initial_value_name) == (
            "v:0", "v/Assign", "v/Read/ReadVariableOp:0", "v/Initializer/initial_value:0")
        assert var_def.is_resource and var_def.trainable
        assert v.to_proto() == var_def
        assert v.to_proto(export_scope="other") is None
        # One node per op, with their shapes as TF's export adds them.
        assert [n.name for n in meta.graph_def.node] == [op.name for op in g.get_operations()]
        assert [n.name for n in meta.graph_def.node if "_output_shapes" in n.attr] == [
            op.name for op in g.get_operations() if op.outputs]
        text = str(tf.train.export_meta_graph(str(tmp_path / "t.meta"), as_text=True))
        assert (tmp_path / "t.meta").read_text() == text
    with tf.Graph().as_default():
        tf.train.import_meta_graph(meta)
        savers = tf.get_collection(tf.GraphKeys.SAVERS)
        assert len(savers) == 1 and savers[0].saver_def.max_to_keep == 7


def test_variable_from_proto_wraps_the_imported_ops():
    with tf.Graph().as_default():
        v = tf.Variable([[1.0, 2.0]], name="v", trainable=False)
        proto = v.to_proto()
        w = tf.Variable.from_proto(proto)
        assert (w.name, w.dtype, w.shape.as_list(), w.trainable) == (
            "v:0", tf.float32, [1, 2], False)
        assert w.initializer is v.initializer
        with tf.Session() as sess:
            sess.run(w.initializer)
            np.testing.assert_array_equal(sess.run(w), [[1.0, 2.0]])
            assert sess.run(w.is_initialized())
        with pytest.raises(ValueError, match="mutually exclusive"):
            tf.Variable(1.0, variable_def=proto)
        with pytest.raises(TypeError, match="VariableDef"):
            tf.Variable(variable_def="v:0")


def test_export_scope_leaves_unbound_inputs_for_input_map():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        with tf.variable_scope("model"):
            w = tf.get_variable("w", initializer=tf.constant([[1.0, 2.0], [3.0, 4.0]]))
            z = tf.identity(tf.matmul(x, w) * 2.0, name="z")
        tf.add_to_collection("outs", z)
        tf.Variable(0.0, name="outside")
        meta = tf.train.export_meta_graph(export_scope="model")
    assert sorted(n.name for n in meta.graph_def.node if n.name.startswith("w")) == [
        "w", "w/Assign", "w/IsInitialized/VarIsInitializedOp", "w/Read/ReadVariableOp"]
    assert list(meta.collection_def["unbound_inputs"].bytes_list.value) == [
        b"$unbound_inputs_x"]
    assert list(meta.collection_def["outs"].node_list.value) == ["z:0"]
    with tf.Graph().as_default():
        tf.placeholder(tf.float32, [None, 2], name="xin")
        with pytest.raises(ValueError, match=r"Graph contains unbound inputs: "
                                             r"\$unbound_inputs_x\. Must provide"):
            tf.train.import_meta_graph(meta, import_scope="new")
    with tf.Graph().as_default() as g:
        xin = tf.placeholder(tf.float32, [None, 2], name="xin")
        saver = tf.train.import_meta_graph(meta, import_scope="new",
                                           input_map={"$unbound_inputs_x": xin})
        assert saver is not None
        assert [v.name for v in tf.global_variables()] == ["new/w:0"]
        assert g.get_collection("unbound_inputs") == []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(
                sess.run(tf.get_collection("outs")[0], {xin: [[1.0, 1.0]]}), [[8.0, 12.0]])


def test_import_options_and_errors(tmp_path):
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            tf.constant(1.0, name="c")
        tf.add_to_collection("keep", 1)
        tf.add_to_collection("drop", 2)
        meta = tf.train.export_meta_graph()
    with tf.Graph().as_default() as g:
        # No variables and no SaverDef: no Saver.
        assert tf.train.import_meta_graph(
            meta, clear_devices=True,
            restore_collections_predicate=lambda key: key != "drop") is None
        assert g.get_operation_by_name("c").device == ""
        assert g.get_collection("keep") == [1] and g.get_collection("drop") == []
    with pytest.raises(OSError, match="File does not exist. Received: .*missing.meta"):
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))
    (tmp_path / "bad.meta").write_bytes(b"\xff\xff\xff")
    with pytest.raises(OSError, match="Cannot parse file"):
        tf.train.import_meta_graph(str(tmp_path / "bad.meta"))


def test_string_variables_save_and_restore(tmp_path):
    with tf.Graph().as_default():
        words = tf.Variable([b"alpha", b"\xff\x00beta", b""], name="words")
        with tf.Session() as sess:
            sess.run(words.initializer)
            prefix = tf.train.Saver().save(sess, str(tmp_path / "s"))
            sess.run(words.assign([b"x", b"y", b"z"]))
            tf.train.Saver().restore(sess, prefix)
            assert list(sess.run(words)) == [b"alpha", b"\xff\x00beta", b""]
