"""Graphs exported by TensorFlow itself, imported into symgrad with import_graph_def: the
same op names and the same values when run. Skipped when tensorflow is not importable (the
normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def test_a_tf_graph_def_imports_and_runs_the_same():
    rng = np.random.RandomState(0)
    with tf1.Graph().as_default() as g:
        x = tf1.placeholder(tf1.float32, [None, 4], name="x")
        w = tf1.constant(rng.randn(4, 3).astype(np.float32), name="w")
        h = tf1.nn.relu(tf1.matmul(x, w) + tf1.constant([0.1, -0.2, 0.3]), name="h")
        with tf1.control_dependencies([h]):
            y = tf1.reduce_mean(tf1.nn.softmax(h), axis=1, name="y")
        b = tf1.strided_slice(tf1.shape(x), [0], [1], shrink_axis_mask=1, name="batch")
        c = tf1.concat([tf1.reshape(h, [-1]), tf1.zeros([2])], 0, name="c")
        data = g.as_graph_def().SerializeToString()
        names = [op.name for op in g.get_operations()]
        xv = rng.randn(5, 4).astype(np.float32)
        with tf1.Session() as sess:
            want = sess.run([y, h, b, c], {x: xv})
    gd = symgrad.GraphDef.FromString(data)
    with symgrad.Graph().as_default() as sg:
        got_t = symgrad.import_graph_def(gd, return_elements=["y:0", "h:0", "batch:0", "c:0"],
                                         name="")
        assert [op.name for op in sg.get_operations()] == names
        with symgrad.Session() as sess:
            got = sess.run(got_t, {"x:0": xv})
    for a, b in zip(want, got):
        np.testing.assert_allclose(b, a, rtol=1e-6)
