"""String ops and tf.print against TensorFlow itself; skipped when TF is not importable.

Run as test_tf_oracle.py says (a TF venv with this tree's python/ on PYTHONPATH).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _program(tf):
    a = tf.constant([[b"a", b"bc"], [b"d", b""]])
    f = tf.constant([1.5, -2.0, 3.14159e10, float("nan"), float("inf")])
    i = tf.constant([1, -20, 300])
    return {
        "join": tf.strings.join([a, "x", a], separator="-"),
        "as_f": tf.as_string(f, precision=3, width=12),
        "as_sci": tf.as_string(f, scientific=True, fill="+"),
        "as_short": tf.as_string(tf.cast(f, tf.float64), shortest=True),
        "as_i": tf.as_string(i, width=6, fill="-"),
        "len": tf.strings.length(tf.constant(["héllo", ""]), unit="UTF8_CHAR"),
        "substr": tf.strings.substr(tf.constant(["hello", "ab"]), -2, 5),
        "fmt": tf.strings.format("{} and {}", (tf.reshape(tf.range(60), [3, 4, 5]), a),
                                 summarize=2),
        "select": tf.where(tf.equal(a, "a"), a, tf.fill([2, 2], "z")),
        "concat": tf.concat([a, tf.transpose(a)], 0)[1:, :1],
    }


def _run(tf, graph_factory):
    with graph_factory().as_default():
        tensors = _program(tf)
        meta = {k: (t.op.name, t.op.type, t.dtype.name) for k, t in tensors.items()}
        with tf.Session() as sess:
            values = sess.run(tensors)
    return meta, values


def test_string_ops_match_tf():
    want_meta, want = _run(tf1, tf1.Graph)
    got_meta, got = _run(symgrad, symgrad.Graph)
    assert got_meta == want_meta
    for key in want:
        assert np.asarray(got[key]).tolist() == np.asarray(want[key]).tolist(), key


def test_print_matches_tf(capfd):
    outputs = []
    for tf, graph_factory in ((tf1, tf1.Graph), (symgrad, symgrad.Graph)):
        with graph_factory().as_default():
            x = tf.constant([[1.5, 2.0], [3.0, 4.0]])
            op = tf.print("x:", x, {"k": [x, 3]}, sep=";", summarize=1,
                          output_stream=sys.stdout)
            template = op.inputs[0].op.get_attr("template")
            with tf.Session() as sess:
                capfd.readouterr()
                sess.run(op)
                outputs.append((template, capfd.readouterr().out))
    assert outputs[0] == outputs[1]
