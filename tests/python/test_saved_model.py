"""tf.saved_model (TF 1's API): simple_save, Builder with several tag sets, signatures,
assets and main ops, and loader.load restoring the model into a fresh graph."""

from __future__ import annotations

import os

import numpy as np
import pytest

import symgrad as tf
from symgrad.summary_pb2 import SavedModel


def _model(sess_fn):
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        y = tf.matmul(x, w, name="y")
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign_add(tf.ones([2, 2])))
        return sess_fn(sess, x, y)


def test_simple_save_then_load_restores_the_variables(tmp_path):
    export_dir = str(tmp_path / "model")
    _model(lambda sess, x, y: tf.saved_model.simple_save(sess, export_dir, {"x": x}, {"y": y}))
    assert sorted(os.listdir(export_dir)) == ["saved_model.pb", "variables"]
    assert os.listdir(os.path.join(export_dir, "variables")) == ["variables.npz"]
    assert tf.saved_model.contains_saved_model(export_dir)
    assert not tf.saved_model.contains_saved_model(str(tmp_path))
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING],
                                          export_dir)
        signature = meta.signature_def[tf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
        assert signature.method_name == "tensorflow/serving/predict"
        assert list(meta.meta_info_def.tags) == ["serve"]
        x = tf.saved_model.utils.get_tensor_from_tensor_info(signature.inputs["x"])
        y = tf.saved_model.get_tensor_from_tensor_info(signature.outputs["y"], g)
        assert (x.name, y.name) == ("x:0", "y:0")
        np.testing.assert_array_equal(sess.run(y, {x: [[1.0, 1.0]]}), [[6.0, 8.0]])
        assert [v.name for v in tf.global_variables()] == ["w:0"]


def test_builder_tag_sets_assets_and_main_op(tmp_path):
    export_dir = str(tmp_path / "built")
    asset = tmp_path / "vocab.txt"
    asset.write_text("a\nb\n")

    def build(sess, x, y):
        b = tf.saved_model.Builder(export_dir)
        signature = tf.saved_model.signature_def_utils.predict_signature_def(
            {"in": x}, {"out": y})
        assert tf.saved_model.is_valid_signature(signature)
        path = tf.constant(str(asset), name="asset_path")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, path)
        seen = tf.Variable(b"", name="seen_asset", trainable=False)
        sess.run(seen.initializer)
        with tf.control_dependencies([tf.saved_model.main_op.main_op()]):
            init = seen.assign(path).op
        b.add_meta_graph_and_variables(sess, ["serve", "extra"],
                                       signature_def_map={"sig": signature},
                                       assets_collection=[path], main_op=init)
        b.add_meta_graph([tf.saved_model.TRAINING])
        with pytest.raises(AssertionError, match="has already been saved"):
            b.add_meta_graph_and_variables(sess, ["other"])
        return b.save()

    assert _model(build) == os.path.join(export_dir, "saved_model.pb").encode()
    assert sorted(os.listdir(export_dir)) == ["assets", "saved_model.pb", "variables"]
    assert (tmp_path / "built" / "assets" / "vocab.txt").read_text() == "a\nb\n"
    with open(os.path.join(export_dir, "saved_model.pb"), "rb") as f:
        saved = SavedModel.FromString(f.read())
    assert saved.saved_model_schema_version == 1
    assert [list(m.meta_info_def.tags) for m in saved.meta_graphs] == [
        ["serve", "extra"], ["train"]]
    with tf.Graph().as_default() as g, tf.Session() as sess:
        meta = tf.saved_model.load(sess, ["extra", "serve"], export_dir)
        assert sorted(meta.collection_def) == [
            "asset_filepaths", "saved_model_assets", "saved_model_main_op",
            "trainable_variables", "variables"]
        # The main op ran with the asset tensor fed the copy's path.
        assert sess.run("seen_asset/Read/ReadVariableOp:0") == os.path.join(
            export_dir, "assets", "vocab.txt").encode()
        # The main op initializes every variable again after the restore, as in TF (hence
        # main_op_with_restore): w is back to its initial value.
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[1.0, 0.0]]}), [[1.0, 2.0]])
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.saved_model.loader.load(sess, ["train"], export_dir)
        # The graph's main-op collection still holds the main op: it ran here too.
        np.testing.assert_array_equal(sess.run("y:0", {"x:0": [[0.0, 1.0]]}), [[3.0, 4.0]])
        with pytest.raises(RuntimeError, match=r"MetaGraphDef associated with tags 'nope' "
                                               r"could not be found in SavedModel"):
            tf.saved_model.loader.load(sess, ["nope"], export_dir)


def test_builder_and_loader_errors(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    with pytest.raises(AssertionError, match="already exists, and isn't empty"):
        tf.saved_model.Builder(str(tmp_path / "full"))
    b = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "fresh"))
    assert os.path.isdir(tmp_path / "fresh")
    with pytest.raises(AssertionError, match="has not been saved yet"):
        b.add_meta_graph(["serve"])
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(OSError, match="SavedModel file does not exist at"):
            tf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "fresh"))


def test_signatures_and_tensor_infos():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        examples = tf.placeholder(tf.string, [None], name="examples")
        info = tf.saved_model.build_tensor_info(x)
        assert (info.name, info.dtype) == ("x:0", tf.float32.as_datatype_enum)
        assert [d.size for d in info.tensor_shape.dim] == [-1, 3]
        with pytest.raises(ValueError, match="Prediction `inputs` cannot be None or empty."):
            tf.saved_model.predict_signature_def({}, {"y": x})
        with pytest.raises(ValueError, match="Prediction `outputs` cannot be None or empty."):
            tf.saved_model.predict_signature_def({"x": x}, None)
        scores = tf.saved_model.classification_signature_def(examples, None, x)
        assert scores.method_name == "tensorflow/serving/classify"
        assert sorted(scores.outputs) == ["scores"]
        assert tf.saved_model.is_valid_signature(scores)
        regress = tf.saved_model.regression_signature_def(examples, x)
        assert tf.saved_model.is_valid_signature(regress)
        # TF takes float32 scores and regressions only.
        x64 = tf.placeholder(tf.float64, [None, 3])
        assert not tf.saved_model.is_valid_signature(
            tf.saved_model.regression_signature_def(examples, x64))
        assert not tf.saved_model.is_valid_signature(
            tf.saved_model.classification_signature_def(examples, None, x64))
        assert not tf.saved_model.is_valid_signature(
            tf.saved_model.build_signature_def({"a": info}, {}, "made/up"))
        with pytest.raises(ValueError, match="must be a string Tensor"):
            tf.saved_model.classification_signature_def(x, None, x)
        sparse = tf.sparse_placeholder(tf.float32, name="sp")
        sparse_info = tf.saved_model.build_tensor_info(sparse)
        assert sparse_info.WhichOneof("encoding") == "coo_sparse"
        back = tf.saved_model.get_tensor_from_tensor_info(sparse_info)
        assert back.values.name == sparse.values.name
