"""RNN cells, static/dynamic RNNs and TensorArray beside TensorFlow 2.21 (skipped when TF is
not installed).

Each program is written once against the ``tf.compat.v1`` API and built with TF and with
symgrad; every variable is then loaded with the same values (seeded by its name), and the
variables' names and shapes, the outputs and the gradients are compared.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest

import symgrad as sg

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
tf1 = pytest.importorskip("tensorflow.compat.v1")


def _weights(name, shape):
    return np.random.RandomState(zlib.crc32(name.encode())).uniform(-0.5, 0.5, shape)


def _run(tf, program):
    with tf.Graph().as_default() as g:
        fetches, feed = program(tf)
        variables = tf.global_variables()
        facts = [(v.name, tuple(v.shape.as_list())) for v in variables]
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for v in variables:
                v.load(_weights(v.name, v.shape.as_list()), s)
            values = s.run(fetches, feed)
        del g
    return facts, values


def _compare(program, rtol=1e-9):
    tf_facts, tf_values = _run(tf1, program)
    sg_facts, sg_values = _run(sg, program)
    assert sg_facts == tf_facts
    flat_tf, flat_sg = _flat(tf_values), _flat(sg_values)
    assert len(flat_tf) == len(flat_sg)
    for i, (a, b) in enumerate(zip(flat_sg, flat_tf)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, (i, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=f"fetch {i}")


def _flat(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [x]


def _inputs(shape, key="x"):
    return np.random.RandomState(zlib.crc32(key.encode())).uniform(-1, 1, shape)


CELLS = {
    "basic_rnn": lambda tf: tf.nn.rnn_cell.BasicRNNCell(4),
    "basic_lstm": lambda tf: tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.5),
    "basic_lstm_concat": lambda tf: tf.nn.rnn_cell.BasicLSTMCell(3, state_is_tuple=False),
    "gru": lambda tf: tf.nn.rnn_cell.GRUCell(3),
    "lstm_peep_proj": lambda tf: tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.3,
                                                         num_proj=2, proj_clip=0.2),
    "multi": lambda tf: tf.nn.rnn_cell.MultiRNNCell(
        [tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.LSTMCell(2)]),
    "residual": lambda tf: tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(3)),
    "device": lambda tf: tf.nn.rnn_cell.DeviceWrapper(tf.nn.rnn_cell.GRUCell(2), "/cpu:0"),
}


def _state_sum(tf, state):
    if isinstance(state, (list, tuple)):
        return sum(_state_sum(tf, s) for s in state)
    return tf.reduce_sum(state * 0.25)


@pytest.mark.parametrize("cell_name", sorted(CELLS))
@pytest.mark.parametrize("lengths", [None, [3, 1]])
def test_dynamic_rnn(cell_name, lengths):
    def program(tf):
        x = tf.placeholder(tf.float64, [2, 3, 3], name="x")
        cell = CELLS[cell_name](tf)
        outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths,
                                           dtype=tf.float64)
        loss = tf.reduce_sum(tf.square(outputs)) + _state_sum(tf, state)
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        return [outputs, state, grads], {x: _inputs([2, 3, 3])}

    _compare(program)


@pytest.mark.parametrize("cell_name", ["basic_lstm", "gru", "multi"])
@pytest.mark.parametrize("lengths", [None, [2, 3]])
def test_static_rnn(cell_name, lengths):
    def program(tf):
        x = tf.placeholder(tf.float64, [2, 3, 3], name="x")
        cell = CELLS[cell_name](tf)
        outputs, state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1),
                                          sequence_length=lengths, dtype=tf.float64)
        loss = tf.reduce_sum(tf.square(tf.stack(outputs))) + _state_sum(tf, state)
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        return [outputs, state, grads], {x: _inputs([2, 3, 3])}

    _compare(program)


@pytest.mark.parametrize("lengths", [None, [3, 2]])
def test_bidirectional(lengths):
    def program(tf):
        x = tf.placeholder(tf.float64, [2, 3, 2], name="x")
        (fw, bw), states = tf.nn.bidirectional_dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(2), tf.nn.rnn_cell.BasicLSTMCell(2), x,
            sequence_length=lengths, dtype=tf.float64)
        outs, sfw, sbw = tf.nn.static_bidirectional_rnn(
            tf.nn.rnn_cell.BasicRNNCell(2), tf.nn.rnn_cell.BasicRNNCell(2),
            tf.unstack(x, axis=1), sequence_length=lengths, dtype=tf.float64)
        loss = (tf.reduce_sum(fw * bw) + _state_sum(tf, states)
                + tf.reduce_sum(tf.stack(outs)) + _state_sum(tf, [sfw, sbw]))
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        return [fw, bw, states, outs, sfw, sbw, grads], {x: _inputs([2, 3, 2])}

    _compare(program)


def test_time_major_initial_state():
    def program(tf):
        x = tf.placeholder(tf.float64, [3, 2, 2], name="x")
        h0 = tf.placeholder(tf.float64, [2, 3], name="h0")
        cell = tf.nn.rnn_cell.GRUCell(3)
        outputs, state = tf.nn.dynamic_rnn(cell, x, initial_state=h0, time_major=True,
                                           scope="enc")
        grads = tf.gradients(tf.reduce_sum(outputs) + tf.reduce_sum(state), [x, h0])
        return [outputs, state, grads], {x: _inputs([3, 2, 2]), h0: _inputs([2, 3], "h0")}

    _compare(program)


def test_tensor_array_in_while_loop():
    def program(tf):
        x = tf.placeholder(tf.float64, [4, 2], name="x")
        ta = tf.TensorArray(tf.float64, size=4)
        inp = tf.TensorArray(tf.float64, size=4).unstack(x)

        def body(i, acc, ta):
            acc = acc * 0.5 + tf.sin(inp.read(i))
            return i + 1, acc, ta.write(i, acc * acc)

        _, acc, ta = tf.while_loop(lambda i, *_: i < 4, body,
                                   [0, tf.zeros([2], tf.float64), ta])
        stacked = ta.stack()
        g = tf.gradients(tf.reduce_sum(stacked * x) + tf.reduce_sum(acc), x)
        return [stacked, acc, ta.size(), ta.read(2), g], {x: _inputs([4, 2])}

    _compare(program)


def test_tensor_array_in_nested_loops():
    def program(tf):
        x = tf.placeholder(tf.float64, [3], name="x")
        ta = tf.TensorArray(tf.float64, size=6)

        def outer(i, ta):
            def inner(j, ta):
                return j + 1, ta.write(i * 2 + j, x * tf.cast(i + j, tf.float64) + tf.sin(x))

            _, ta = tf.while_loop(lambda j, ta: j < 2, inner, [0, ta])
            return i + 1, ta

        _, ta = tf.while_loop(lambda i, ta: i < 3, outer, [0, ta])
        y = ta.stack()
        return [y, tf.gradients(tf.reduce_sum(y * y), x)], {x: [0.5, -1.0, 2.0]}

    _compare(program)


def test_raw_rnn():
    def program(tf):
        x = tf.placeholder(tf.float64, [3, 2, 2], name="x")
        lengths = tf.constant([3, 2])
        cell = tf.nn.rnn_cell.GRUCell(2)
        inputs_ta = tf.TensorArray(tf.float64, size=3).unstack(x)

        def loop_fn(time, cell_output, cell_state, loop_state):
            state = cell.zero_state(2, tf.float64) if cell_output is None else cell_state
            finished = time >= lengths
            next_input = tf.cond(tf.reduce_all(finished),
                                 lambda: tf.zeros([2, 2], tf.float64),
                                 lambda: inputs_ta.read(time))
            return finished, next_input, state, cell_output, None

        emit_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
        out = emit_ta.stack()
        grads = tf.gradients(tf.reduce_sum(out ** 2) + tf.reduce_sum(final_state),
                             [x] + tf.trainable_variables())
        return [out, final_state, grads], {x: _inputs([3, 2, 2])}

    _compare(program)
