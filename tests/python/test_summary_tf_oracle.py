"""tf.summary against TensorFlow itself; skipped when TF is not importable.

Run as test_tf_oracle.py says (a TF venv with this tree's python/ on PYTHONPATH). Checks
that the summary kernels' bytes equal TF's, that ops are named and tagged alike, that TF's
``summary_iterator`` reads symgrad's event files and symgrad's reads TF's.
"""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _program(tf):
    x = tf.constant([0.5, -2.0, 3.0, 3.0, 1e-13, 0.0, -7e5])
    with tf.name_scope("outer"):
        s = tf.summary.scalar("loss", tf.reduce_mean(x))
        f = tf.summary.scalar("loss", 2, family="fam")
    return {
        "scalar": s,
        "scalar_family": f,
        "scalar_int": tf.summary.scalar("count", tf.constant(7, tf.int64)),
        "hist": tf.summary.histogram("w", x),
        "hist_int": tf.summary.histogram("i", tf.constant([[1, 2], [2, 900]])),
        "hist_empty": tf.summary.histogram("e", tf.zeros([0], tf.float64)),
        "text": tf.summary.text("notes", tf.constant([["a", "bc"], ["", "d"]])),
        "tensor": tf.summary.tensor_summary("t", tf.constant([[1.5, 2.0]], tf.float64),
                                            summary_description="desc", display_name="dn"),
        "audio": tf.summary.audio("snd", tf.constant([[[0.5, 0.1], [-1.0, 0.0]],
                                                      [[2.0, -3.0], [0.25, 1e-5]]]),
                                  8000.5, max_outputs=3),
        "audio_one": tf.summary.audio("mono", tf.constant([[0.5, -0.75, 0.0]]), 100.0,
                                      max_outputs=1),
        "merged": tf.summary.merge_all(),
        "merged_named": tf.summary.merge([s, f], name="some"),
    }


def _run(tf, graph_factory):
    with graph_factory().as_default():
        tensors = _program(tf)
        meta = {k: (t.op.name, t.op.type, [i.op.name for i in t.op.inputs])
                for k, t in tensors.items()}
        with tf.Session() as sess:
            values = sess.run(tensors)
    return meta, values


def test_summary_ops_match_tf_names_and_bytes():
    want_meta, want = _run(tf1, tf1.Graph)
    got_meta, got = _run(symgrad, symgrad.Graph)
    assert got_meta == want_meta
    for key in want:
        assert got[key] == want[key], key


def _images(tf, data, max_outputs):
    with tf.Graph().as_default():
        s = tf.summary.image("img", tf.constant(data), max_outputs=max_outputs)
        with tf.Session() as sess:
            return tf.Summary.FromString(sess.run(s)).value


def _decode_png(data):
    with tf1.Graph().as_default(), tf1.Session() as sess:
        return sess.run(tf1.image.decode_png(data))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_image_summary_pixels_match_tf(dtype):
    rng = np.random.RandomState(0)
    data = (rng.uniform(-3, 9, size=(3, 4, 5, 3)) * (1 if dtype != np.uint8 else 20))
    data = data.astype(dtype)
    if dtype != np.uint8:
        data[1, 2, 3, 1] = np.nan
        data[2] = np.abs(data[2])
    want = _images(tf1, data, 2)
    got = _images(symgrad, data, 2)
    assert [v.tag for v in got] == [v.tag for v in want]
    for g, w in zip(got, want):
        assert (g.image.height, g.image.width, g.image.colorspace) == \
            (w.image.height, w.image.width, w.image.colorspace)
        pixels = [_decode_png(v.image.encoded_image_string) for v in (g, w)]
        np.testing.assert_array_equal(pixels[0], pixels[1])


def test_tf_reads_symgrad_event_files_and_symgrad_reads_tf_files(tmp_path):
    def write(tf, logdir):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None])
            tf.summary.scalar("mean", tf.reduce_mean(x))
            tf.summary.histogram("x", x)
            merged = tf.summary.merge_all()
            with tf.Session() as sess:
                writer = tf.summary.FileWriter(logdir, sess.graph)
                for step in range(3):
                    writer.add_summary(sess.run(merged, {x: [step, 2.0 * step]}), step)
                writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="m",
                                                                      simple_value=0.25)]), 7)
                writer.add_session_log(tf.SessionLog(status=tf.SessionLog.STOP), 8)
                writer.close()
        [path] = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
        return path

    def read(iterator, path):
        out = []
        for e in iterator(path):
            kind = e.WhichOneof("what")
            if kind == "summary":
                for v in e.summary.value:
                    detail = v.simple_value if v.WhichOneof("value") == "simple_value" \
                        else (v.histo.num, v.histo.sum, list(v.histo.bucket))
                    out.append((e.step, v.tag, detail))
            elif kind == "session_log":
                out.append((e.step, "log", e.session_log.status))
            elif kind == "file_version":
                out.append((e.step, "version", e.file_version))
            else:
                out.append((e.step, kind))
        return out

    ours = write(symgrad, str(tmp_path / "ours"))
    theirs = write(tf1, str(tmp_path / "theirs"))
    want = read(tf1.train.summary_iterator, theirs)
    assert read(tf1.train.summary_iterator, ours) == want
    assert read(symgrad.train.summary_iterator, theirs) == want
    # TF parses the graph symgrad wrote.
    for e in tf1.train.summary_iterator(ours):
        if e.WhichOneof("what") == "graph_def":
            graph_def = tf1.GraphDef.FromString(e.graph_def)
            assert [n.op for n in graph_def.node][0] == "Placeholder"
