"""The same SavedModel program in TensorFlow and in symgrad: the directories, tag sets,
signatures, collections and restored values agree (the variables' files differ: TF's
index/data pair against symgrad's variables.npz). Skipped when tensorflow is not importable
(the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import os

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _export_and_load(tf, d):
    out = {}
    asset = os.path.join(d, "vocab.txt")
    with open(asset, "w") as f:
        f.write("a\nb\n")
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="w")
        y = tf.matmul(x, w, name="y")
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign_add(tf.ones([2, 2])))
        tf.saved_model.simple_save(sess, os.path.join(d, "m1"), {"x": x}, {"y": y})
        b = tf.saved_model.Builder(os.path.join(d, "m2"))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"in": x}, {"out": y})
        out["sig"] = str(sig)
        out["info"] = str(tf.saved_model.utils.build_tensor_info(x))
        path = tf.constant(asset, name="asset_path")
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, path)
        b.add_meta_graph_and_variables(sess, ["serve", "extra"], signature_def_map={"sig": sig},
                                       assets_collection=[path],
                                       main_op=tf.saved_model.main_op.main_op())
        b.add_meta_graph([tf.saved_model.TRAINING])
        out["saved"] = os.path.basename(b.save())
    for m in ("m1", "m2"):
        out[m, "files"] = sorted(os.listdir(os.path.join(d, m)))
        for tags in ([["serve"]] if m == "m1" else [["extra", "serve"], ["train"]]):
            with tf.Graph().as_default() as g, tf.Session() as sess:
                meta = tf.saved_model.loader.load(sess, tags, os.path.join(d, m))
                key = (m, tuple(tags))
                out[key, "meta"] = (sorted(meta.signature_def), list(meta.meta_info_def.tags),
                                    sorted(meta.collection_def))
                out[key, "y"] = sess.run("y:0", {"x:0": [[1.0, 1.0]]})
                out[key, "vars"] = [v.name for v in tf.global_variables()]
                out[key, "ops"] = sorted(op.name for op in g.get_operations()
                                         if not op.name.startswith("save"))
    with tf.Graph().as_default(), tf.Session() as sess:
        try:
            tf.saved_model.loader.load(sess, ["nope"], os.path.join(d, "m1"))
        except RuntimeError as e:
            out["missing tags"] = str(e)
    return out


def test_saved_model_agrees_with_tf(tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "sg").mkdir()
    want = _export_and_load(tf1, str(tmp_path / "tf"))
    got = _export_and_load(symgrad, str(tmp_path / "sg"))
    assert got.keys() == want.keys()
    for key in want:
        if isinstance(want[key], np.ndarray):
            np.testing.assert_allclose(got[key], want[key], err_msg=str(key))
        else:
            assert got[key] == want[key], key
