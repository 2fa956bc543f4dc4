"""while_loop, map_fn, scan, foldl, foldr beside TensorFlow 2.21 (skipped when TF is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg

tf1 = pytest.importorskip("tensorflow.compat.v1")


def _build(tf, x_value):
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float64, [3], name="x")
        w = tf.constant([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6], [0.2, 0.1, 0.7]], tf.float64)

        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, w) + tf.gather(x, i))

        i, h = tf.while_loop(lambda i, h: i < 3, body,
                             [tf.constant(0), tf.reshape(x, [1, 3])], name="rnn")
        f = tf.foldl(lambda a, e: a * e + 1.0, x)
        m = tf.map_fn(lambda e: e * tf.reduce_sum(h), x)
        c = tf.scan(lambda a, e: a * e - 0.5, x, reverse=True)
        op = g.get_operation_by_name("rnn")
        # Before gradients(): TF then adds accumulator inputs, symgrad accumulator outputs.
        facts = (op.type, [t.name for t in op.inputs], h.name, f.name)
        loss = tf.reduce_sum(h) + f + tf.reduce_sum(m * c)
        (gx,) = tf.gradients(loss, x)
        with tf.Session() as s:
            values = s.run([h, f, m, c, gx], {x: x_value})
    return facts, values


def test_matches_tensorflow():
    x = np.array([0.3, -0.5, 0.8])
    tf_facts, tf_values = _build(tf1, x)
    sg_facts, sg_values = _build(sg, x)
    assert sg_facts == tf_facts
    for a, b in zip(sg_values, tf_values):
        assert np.allclose(a, b, rtol=1e-10)
