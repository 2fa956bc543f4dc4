"""``tf.nn.rnn_cell``, ``static_rnn``/``dynamic_rnn`` and friends, and ``tf.TensorArray``.

Values are checked against numpy versions of TF's cell formulas (test_rnn_tf_oracle.py
checks the same programs against TF itself), gradients against central finite differences
(first and second derivatives, float64), names and errors against what TF 2.21 gives.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import symgrad as tf

rnn_cell = tf.nn.rnn_cell


def _values(shape, key, scale=0.5):
    return np.random.RandomState(zlib.crc32(key.encode())).uniform(-scale, scale, shape)


def _load_all(sess):
    sess.run(tf.global_variables_initializer())
    out = {}
    for v in tf.global_variables():
        value = _values(v.shape.as_list(), v.name)
        v.load(value, sess)
        out[v.name] = value
    return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_basic_lstm(x, state, kernel, bias, forget_bias=1.0):
    c, h = state
    i, j, f, o = np.split(np.concatenate([x, h], 1) @ kernel + bias, 4, axis=1)
    new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * _sigmoid(o)
    return new_h, (new_c, new_h)


def np_gru(x, h, gate_kernel, gate_bias, cand_kernel, cand_bias):
    r, u = np.split(_sigmoid(np.concatenate([x, h], 1) @ gate_kernel + gate_bias), 2, axis=1)
    c = np.tanh(np.concatenate([x, r * h], 1) @ cand_kernel + cand_bias)
    new_h = u * h + (1 - u) * c
    return new_h, new_h


def np_lstm_peephole_proj(x, state, w, cell_clip, proj_clip, forget_bias=1.0):
    c_prev, m_prev = state
    i, j, f, o = np.split(np.concatenate([x, m_prev], 1) @ w["kernel"] + w["bias"], 4, axis=1)
    c = (_sigmoid(f + forget_bias + w["w_f_diag"] * c_prev) * c_prev
         + _sigmoid(i + w["w_i_diag"] * c_prev) * np.tanh(j))
    c = np.clip(c, -cell_clip, cell_clip)
    m = _sigmoid(o + w["w_o_diag"] * c) * np.tanh(c)
    m = np.clip(m @ w["projection/kernel"], -proj_clip, proj_clip)
    return m, (c, m)


def np_dynamic_rnn(step, x, state, lengths=None):
    """TF's dynamic_rnn semantics in numpy: zero outputs and copied state past a length."""
    batch, time = x.shape[:2]
    outputs = []
    for t in range(time):
        out, new_state = step(x[:, t], state)
        if lengths is not None:
            done = (t >= np.asarray(lengths))[:, None]
            out = np.where(done, 0.0, out)
            flat_new = new_state if isinstance(new_state, tuple) else (new_state,)
            flat_old = state if isinstance(state, tuple) else (state,)
            merged = tuple(np.where(done, o, n) for o, n in zip(flat_old, flat_new))
            new_state = merged if isinstance(new_state, tuple) else merged[0]
        outputs.append(out)
        state = new_state
    return np.stack(outputs, 1), state


# ----- finite differences with variables and placeholders -----

def _set(sess, feed, p, value):
    if isinstance(p, tf.Variable):
        p.load(value, sess)
    else:
        feed[p] = value


def _numeric(sess, y, params, feed, delta=1e-6):
    out = []
    for p in params:
        v0 = np.array(feed[p] if p in feed else sess.run(p), dtype=np.float64)
        num = np.zeros_like(v0)
        flat = num.reshape(-1)
        for k in range(v0.size):
            sides = []
            for sign in (1.0, -1.0):
                v = v0.copy().reshape(-1)
                v[k] += sign * delta
                _set(sess, feed, p, v.reshape(v0.shape))
                sides.append(float(sess.run(y, feed)))
            flat[k] = (sides[0] - sides[1]) / (2 * delta)
        _set(sess, feed, p, v0)
        out.append(num)
    return out


def fd_check(sess, y, params, feed, tol=1e-6, second=True):
    """First (and second) derivatives of the scalar ``y`` with respect to ``params``
    (placeholders fed in ``feed``, or variables) against central differences."""
    grads = tf.gradients(y, params)
    assert all(g is not None for g in grads)
    for a, n in zip(sess.run(grads, feed), _numeric(sess, y, params, feed)):
        np.testing.assert_allclose(a, n, rtol=tol, atol=tol)
    if second:
        weights = [tf.constant(_values(g.shape.as_list(), f"w{i}") + 1.0, tf.float64)
                   for i, g in enumerate(grads)]
        s = tf.add_n([tf.reduce_sum(g * w) for g, w in zip(grads, weights)])
        grads2 = tf.gradients(s, params)
        for a, n in zip(sess.run(grads2, feed), _numeric(sess, s, params, feed)):
            np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-5)


# ----- cells: variables, shapes, initializers -----

def test_cells_make_tf_variable_names_shapes_and_initial_values():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, 3])
        cells = [rnn_cell.GRUCell(4), rnn_cell.LSTMCell(2, use_peepholes=True, num_proj=3)]
        multi = rnn_cell.MultiRNNCell(cells)
        outputs, state = tf.nn.dynamic_rnn(multi, x, dtype=tf.float32)
        lstm = rnn_cell.BasicLSTMCell(6, name="my_lstm")
        with tf.variable_scope("enc"):
            tf.nn.static_rnn(lstm, tf.unstack(x, axis=1), dtype=tf.float32)
        names = [(v.name, v.shape.as_list()) for v in tf.trainable_variables()]
        assert names == [
            ("rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel:0", [7, 8]),
            ("rnn/multi_rnn_cell/cell_0/gru_cell/gates/bias:0", [8]),
            ("rnn/multi_rnn_cell/cell_0/gru_cell/candidate/kernel:0", [7, 4]),
            ("rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias:0", [4]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/kernel:0", [7, 8]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/bias:0", [8]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/w_f_diag:0", [2]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/w_i_diag:0", [2]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/w_o_diag:0", [2]),
            ("rnn/multi_rnn_cell/cell_1/lstm_cell/projection/kernel:0", [2, 3]),
            ("enc/rnn/my_lstm/kernel:0", [9, 24]),
            ("enc/rnn/my_lstm/bias:0", [24]),
        ]
        assert [v.name for v in multi.trainable_weights] == [n for n, _ in names[:10]]
        assert [v.name for v in lstm.weights] == [n for n, _ in names[10:]]
        assert outputs.shape.as_list() == [None, 5, 3]
        assert isinstance(state[1], rnn_cell.LSTMStateTuple)
        assert state[1].c.shape.as_list() == [None, 2]
        assert state[1].h.shape.as_list() == [None, 3]
        assert multi.state_size == (4, rnn_cell.LSTMStateTuple(2, 3))
        assert multi.output_size == 3
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            by_name = {v.name: v for v in tf.global_variables()}
            gates_bias, cand_bias, lstm_bias = s.run([
                by_name["rnn/multi_rnn_cell/cell_0/gru_cell/gates/bias:0"],
                by_name["rnn/multi_rnn_cell/cell_0/gru_cell/candidate/bias:0"],
                by_name["enc/rnn/my_lstm/bias:0"]])
        np.testing.assert_array_equal(gates_bias, np.ones(8))
        np.testing.assert_array_equal(cand_bias, np.zeros(4))
        np.testing.assert_array_equal(lstm_bias, np.zeros(24))


def test_zero_state_and_state_tuple():
    with tf.Graph().as_default():
        cell = rnn_cell.BasicLSTMCell(3)
        zero = cell.zero_state(2, tf.float64)
        assert isinstance(zero, rnn_cell.LSTMStateTuple)
        assert zero.c.name == "BasicLSTMCellZeroState/zeros:0"
        assert zero.h.name == "BasicLSTMCellZeroState/zeros_1:0"
        assert zero.dtype == tf.float64 and zero.c.shape.as_list() == [2, 3]
        batch = tf.placeholder(tf.int32, [])
        dyn = rnn_cell.GRUCell(5).zero_state(batch, tf.float32)
        assert dyn.shape.as_list() == [None, 5]
        concat = rnn_cell.BasicLSTMCell(3, state_is_tuple=False)
        assert concat.state_size == 6
        with tf.Session() as s:
            assert s.run(dyn, {batch: 4}).shape == (4, 5)
        assert rnn_cell.LSTMStateTuple(1, 2)._fields == ("c", "h")


def test_same_functions_under_compat_v1():
    assert tf.compat.v1.nn.rnn_cell.BasicLSTMCell is rnn_cell.BasicLSTMCell
    assert tf.compat.v1.nn.dynamic_rnn is tf.nn.dynamic_rnn


# ----- values -----

def test_dynamic_rnn_lstm_matches_numpy_with_sequence_length():
    x_value = _values([2, 4, 3], "x", 1.0)
    lengths = [4, 2]
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 4, 3])
        cell = rnn_cell.BasicLSTMCell(5, forget_bias=0.7)
        outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float64)
        with tf.Session() as s:
            w = _load_all(s)
            out, st = s.run([outputs, state], {x: x_value})
    zero = (np.zeros((2, 5)), np.zeros((2, 5)))
    expected_out, expected_state = np_dynamic_rnn(
        lambda xt, st: np_basic_lstm(xt, st, w["rnn/basic_lstm_cell/kernel:0"],
                                     w["rnn/basic_lstm_cell/bias:0"], 0.7),
        x_value, zero, lengths)
    np.testing.assert_allclose(out, expected_out, rtol=1e-12)
    np.testing.assert_allclose(st.c, expected_state[0], rtol=1e-12)
    np.testing.assert_allclose(st.h, expected_state[1], rtol=1e-12)
    assert np.all(out[1, 2:] == 0)


def test_static_rnn_gru_matches_numpy_and_dynamic_rnn():
    x_value = _values([3, 4, 2], "x", 1.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3, 4, 2])
        cell = rnn_cell.GRUCell(3)
        outs, last = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float64)
        with tf.variable_scope("rnn", reuse=True):
            dyn, dyn_last = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        assert len(tf.trainable_variables()) == 4
        with tf.Session() as s:
            w = _load_all(s)
            outs_v, last_v, dyn_v, dyn_last_v = s.run([outs, last, dyn, dyn_last], {x: x_value})
    p = "rnn/gru_cell/"
    expected, expected_last = np_dynamic_rnn(
        lambda xt, h: np_gru(xt, h, w[p + "gates/kernel:0"], w[p + "gates/bias:0"],
                             w[p + "candidate/kernel:0"], w[p + "candidate/bias:0"]),
        x_value, np.zeros((3, 3)))
    np.testing.assert_allclose(np.stack(outs_v, 1), expected, rtol=1e-12)
    np.testing.assert_allclose(dyn_v, expected, rtol=1e-12)
    np.testing.assert_allclose(last_v, expected_last, rtol=1e-12)
    np.testing.assert_allclose(dyn_last_v, expected_last, rtol=1e-12)


def test_lstm_cell_peepholes_clipping_projection_match_numpy():
    x_value = _values([2, 3, 3], "x", 2.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 3])
        cell = rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.4, num_proj=2,
                                 proj_clip=0.3)
        outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64, time_major=False)
        with tf.Session() as s:
            w = _load_all(s)
            out, st = s.run([outputs, state], {x: x_value})
    weights = {k[len("rnn/lstm_cell/"):-2]: v for k, v in w.items()}
    expected, expected_state = np_dynamic_rnn(
        lambda xt, st: np_lstm_peephole_proj(xt, st, weights, 0.4, 0.3),
        x_value, (np.zeros((2, 4)), np.zeros((2, 2))))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    np.testing.assert_allclose(st.c, expected_state[0], rtol=1e-12)


def test_wrappers_residual_dropout_device():
    x_value = _values([2, 3, 3], "x", 1.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 3])
        base = rnn_cell.BasicRNNCell(3)
        res = rnn_cell.ResidualWrapper(rnn_cell.DeviceWrapper(base, "/cpu:0"))
        out_res, _ = tf.nn.dynamic_rnn(res, x, dtype=tf.float64, scope="res")
        with tf.variable_scope("res", reuse=True):
            out_plain, _ = tf.nn.dynamic_rnn(base, x, dtype=tf.float64)
        keep_all = rnn_cell.DropoutWrapper(base, input_keep_prob=1.0, output_keep_prob=1.0)
        with tf.variable_scope("res", reuse=True):
            out_keep, _ = tf.nn.dynamic_rnn(keep_all, x, dtype=tf.float64)
        dropped = rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(4), output_keep_prob=0.5,
                                          state_keep_prob=0.5, seed=3)
        out_drop, state_drop = tf.nn.dynamic_rnn(dropped, x, dtype=tf.float64, scope="drop")
        assert [v.name for v in tf.trainable_variables()] == [
            "res/basic_rnn_cell/kernel:0", "res/basic_rnn_cell/bias:0",
            "drop/basic_lstm_cell/kernel:0", "drop/basic_lstm_cell/bias:0"]
        with tf.Session() as s:
            _load_all(s)
            r, p, k, d = s.run([out_res, out_plain, out_keep, out_drop], {x: x_value})
    np.testing.assert_allclose(k, p, rtol=1e-12)
    # The residual is added to each step's output; the state is the wrapped cell's.
    assert r.shape == p.shape
    assert np.any(d == 0) and np.any(d != 0)


def test_variational_dropout_keeps_one_mask_per_sequence():
    with tf.Graph().as_default():
        x = tf.ones([2, 5, 3], tf.float64)
        cell = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(6), output_keep_prob=0.5,
                                       variational_recurrent=True, dtype=tf.float64, seed=1)
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            out = s.run(outputs)
    zero = out == 0
    assert np.all(zero == zero[:, :1, :])
    assert zero.any() and not zero.all()


# ----- gradients -----

def test_dynamic_rnn_gradients_match_finite_differences():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 2])
        h0 = tf.placeholder(tf.float64, [2, 2])
        cell = rnn_cell.GRUCell(2)
        outputs, state = tf.nn.dynamic_rnn(cell, x, initial_state=h0, sequence_length=[3, 2])
        loss = tf.reduce_sum(tf.square(outputs)) + tf.reduce_sum(tf.sin(state))
        with tf.Session() as s:
            _load_all(s)
            feed = {x: _values([2, 3, 2], "x", 1.0), h0: _values([2, 2], "h0", 1.0)}
            fd_check(s, loss, [x, h0] + cell.trainable_weights, feed)


def test_lstm_gradients_static_and_dynamic_agree():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 2])
        cell = rnn_cell.BasicLSTMCell(2)
        outs, st = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float64)
        with tf.variable_scope("rnn", reuse=True):
            dyn, dst = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        static_loss = tf.reduce_sum(tf.stack(outs, 1) ** 2) + tf.reduce_sum(st.c)
        dynamic_loss = tf.reduce_sum(dyn ** 2) + tf.reduce_sum(dst.c)
        params = [x] + cell.trainable_weights
        gs, gd = tf.gradients(static_loss, params), tf.gradients(dynamic_loss, params)
        with tf.Session() as s:
            _load_all(s)
            feed = {x: _values([2, 3, 2], "x", 1.0)}
            for a, b in zip(s.run(gs, feed), s.run(gd, feed)):
                np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
            fd_check(s, dynamic_loss, params, feed)


def test_bidirectional_dynamic_rnn_reverses_within_lengths():
    x_value = _values([2, 4, 2], "x", 1.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 4, 2])
        cell_fw, cell_bw = rnn_cell.BasicRNNCell(3), rnn_cell.BasicRNNCell(3)
        (fw, bw), (sfw, sbw) = tf.nn.bidirectional_dynamic_rnn(
            cell_fw, cell_bw, x, sequence_length=[4, 3], dtype=tf.float64)
        names = [v.name for v in tf.trainable_variables()]
        assert names == ["bidirectional_rnn/fw/basic_rnn_cell/kernel:0",
                         "bidirectional_rnn/fw/basic_rnn_cell/bias:0",
                         "bidirectional_rnn/bw/basic_rnn_cell/kernel:0",
                         "bidirectional_rnn/bw/basic_rnn_cell/bias:0"]
        with tf.Session() as s:
            w = _load_all(s)
            fw_v, bw_v, sbw_v = s.run([fw, bw, sbw], {x: x_value})
    k, b = (w["bidirectional_rnn/bw/basic_rnn_cell/kernel:0"],
            w["bidirectional_rnn/bw/basic_rnn_cell/bias:0"])
    for row, length in enumerate([4, 3]):
        h = np.zeros((1, 3))
        for t in reversed(range(length)):
            h = np.tanh(np.concatenate([x_value[row:row + 1, t], h], 1) @ k + b)
            np.testing.assert_allclose(bw_v[row, t], h[0], rtol=1e-12)
        np.testing.assert_allclose(sbw_v[row], h[0], rtol=1e-12)
    assert np.all(bw_v[1, 3] == 0) and np.all(fw_v[1, 3] == 0)


def test_static_bidirectional_rnn_concatenates_outputs():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 2])
        outs, sfw, sbw = tf.nn.static_bidirectional_rnn(
            rnn_cell.GRUCell(2), rnn_cell.GRUCell(3), tf.unstack(x, axis=1),
            dtype=tf.float64, sequence_length=[3, 1])
        assert len(outs) == 3 and outs[0].shape.as_list() == [2, 5]
        with tf.Session() as s:
            _load_all(s)
            values = s.run(outs, {x: _values([2, 3, 2], "x", 1.0)})
        assert np.all(values[2][1] == 0)


def test_raw_rnn_reproduces_dynamic_rnn():
    x_value = _values([3, 2, 2], "x", 1.0)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3, 2, 2])
        lengths = tf.constant([3, 2])
        cell = rnn_cell.BasicRNNCell(2)
        inputs_ta = tf.TensorArray(tf.float64, size=3).unstack(x)

        def loop_fn(time, cell_output, cell_state, loop_state):
            emit = cell_output
            state = cell.zero_state(2, tf.float64) if cell_output is None else cell_state
            finished = time >= lengths
            next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([2, 2], tf.float64),
                                 lambda: inputs_ta.read(time))
            return finished, next_input, state, emit, None

        emit_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
        raw = emit_ta.stack()
        with tf.variable_scope("rnn", reuse=True):
            dyn, dyn_state = tf.nn.dynamic_rnn(cell, x, sequence_length=[3, 2],
                                               time_major=True, dtype=tf.float64)
        g_raw = tf.gradients(tf.reduce_sum(raw ** 2), x)[0]
        g_dyn = tf.gradients(tf.reduce_sum(dyn ** 2), x)[0]
        with tf.Session() as s:
            _load_all(s)
            r, d, fs, ds, gr, gd = s.run([raw, dyn, final_state, dyn_state, g_raw, g_dyn],
                                         {x: x_value})
    np.testing.assert_allclose(r, d, rtol=1e-12)
    np.testing.assert_allclose(fs, ds, rtol=1e-12)
    np.testing.assert_allclose(gr, gd, rtol=1e-12)


# ----- errors -----

def test_rnn_errors_are_tfs():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3, 4])
        with pytest.raises(TypeError, match="The argument 'cell' .* is not an RNNCell: "
                                            "'output_size' property is missing"):
            tf.nn.dynamic_rnn(object(), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="If no initial_state is provided, argument "
                                             "`dtype` must be specified"):
            tf.nn.dynamic_rnn(rnn_cell.GRUCell(2), x)
        with pytest.raises(TypeError, match="Argument `inputs` must be a sequence"):
            tf.nn.static_rnn(rnn_cell.GRUCell(2), x, dtype=tf.float32)
        with pytest.raises(ValueError, match="Argument `inputs` must not be empty"):
            tf.nn.static_rnn(rnn_cell.GRUCell(2), [], dtype=tf.float32)
        with pytest.raises(ValueError, match="RNN cell only supports floating point inputs, "
                                             "but received dtype: <dtype: 'int32'>"):
            rnn_cell.BasicRNNCell(2, dtype=tf.int32)
        with pytest.raises(ValueError, match='Input 0 of layer "gru_cell" is incompatible with '
                                             "the layer: expected ndim=2, found ndim=3. Full "
                                             r"shape received: \(2, 3, 4\)"):
            rnn_cell.GRUCell(2)(x, tf.zeros([2, 2]))
        with pytest.raises(ValueError, match=r"Expected inputs.shape\[-1\] to be known, "
                                             r"received shape: \(2, None\)"):
            rnn_cell.GRUCell(2)(tf.placeholder(tf.float32, [2, None]), tf.zeros([2, 2]))
        with pytest.raises(ValueError, match="Must specify at least one cell"):
            rnn_cell.MultiRNNCell([])
        with pytest.raises(ValueError, match="Parameter input_keep_prob must be between 0 "
                                             "and 1. Received 2.0"):
            rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), input_keep_prob=2.0)
        u = tf.placeholder(tf.float32, [2, 3, None])
        with pytest.raises(ValueError, match="Input size \\(depth of inputs\\) must be "
                                             "accessible via shape inference"):
            tf.nn.dynamic_rnn(rnn_cell.GRUCell(2), u, dtype=tf.float32)


# ----- TensorArray -----

def test_tensor_array_outside_loops():
    with tf.Graph().as_default():
        ta = tf.TensorArray(tf.float32, size=3)
        ta = ta.write(0, [1.0, 2.0]).write(2, tf.constant([5.0, 6.0]))
        assert ta.element_shape.as_list() == [2]
        stacked = ta.stack()
        assert stacked.shape.as_list() == [3, 2]
        read = ta.read(2)
        assert read.shape.as_list() == [2]
        un = tf.TensorArray(tf.float32, size=0, dynamic_size=True).unstack(
            tf.reshape(tf.range(12.0), [4, 3]))
        gathered = un.gather([3, 1])
        concat = un.concat()
        split = tf.TensorArray(tf.float32, size=2).split(tf.range(6.0), [3, 3])
        scattered = tf.TensorArray(tf.float32, size=4).scatter([3, 0], [[1.0], [2.0]])
        grown = tf.TensorArray(tf.int32, size=1, dynamic_size=True).write(3, 7)
        with tf.Session() as s:
            values = s.run([stacked, read, ta.size(), gathered, concat, un.size(),
                            split.stack(), scattered.stack(), grown.stack(), grown.size()])
        np.testing.assert_array_equal(values[0], [[1, 2], [0, 0], [5, 6]])
        np.testing.assert_array_equal(values[1], [5, 6])
        assert values[2] == 3
        np.testing.assert_array_equal(values[3], [[9, 10, 11], [3, 4, 5]])
        np.testing.assert_array_equal(values[4], np.arange(12.0))
        assert values[5] == 4
        np.testing.assert_array_equal(values[6], [[0, 1, 2], [3, 4, 5]])
        np.testing.assert_array_equal(values[7], [[2], [0], [0], [1]])
        np.testing.assert_array_equal(values[8], [0, 0, 0, 7])
        assert values[9] == 4


def test_tensor_array_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Argument `size` must be provided if argument "
                                             "`flow` is not provided."):
            tf.TensorArray(tf.float32)
        ta = tf.TensorArray(tf.float32, size=2, element_shape=[3])
        with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(2,\) but expected "
                                             r"\(3,\)"):
            ta.write(0, [1.0, 2.0])
        with pytest.raises(TypeError):
            ta.write(0, tf.constant([1, 2, 3]))
        pending = tf.TensorArray(tf.float32, size=2)

        def body(i, t):
            return i + 1, t.write(i, t.read(0))

        with pytest.raises(NotImplementedError, match="TensorArray.read"):
            tf.while_loop(lambda i, t: i < 2, body, [0, pending])


def test_tensor_array_in_while_loop_collects_writes_and_differentiates():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [4, 2])
        inputs = tf.TensorArray(tf.float64, size=4).unstack(x)
        out = tf.TensorArray(tf.float64, size=4)
        grown = tf.TensorArray(tf.float64, size=0, dynamic_size=True)

        def body(i, acc, out, grown):
            acc = acc * 0.5 + tf.sin(inputs.read(i))
            return i + 1, acc, out.write(i, acc * acc), grown.write(3 - i, acc)

        _, acc, out, grown = tf.while_loop(lambda i, *_: i < 4, body,
                                           [0, tf.zeros([2], tf.float64), out, grown])
        assert isinstance(out, tf.TensorArray)
        stacked, grown_stacked = out.stack(), grown.stack()
        assert stacked.shape.as_list() == [4, 2]
        loss = tf.reduce_sum(stacked * x) + tf.reduce_sum(grown_stacked ** 3)
        x_value = _values([4, 2], "x", 1.0)
        with tf.Session() as s:
            st, gs = s.run([stacked, grown_stacked], {x: x_value})
            acc_v = np.zeros(2)
            expected = []
            for row in x_value:
                acc_v = acc_v * 0.5 + np.sin(row)
                expected.append(acc_v)
            np.testing.assert_allclose(st, np.square(expected), rtol=1e-12)
            np.testing.assert_allclose(gs, expected[::-1], rtol=1e-12)
            fd_check(s, loss, [x], {x: x_value})


def test_tensor_array_with_buffer_is_read_inside_the_loop():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        fib = tf.TensorArray(tf.float64, size=6).write(0, x).write(1, x * 2.0)

        def body(i, fib):
            return i + 1, fib.write(i, fib.read(i - 1) * fib.read(i - 2))

        _, fib = tf.while_loop(lambda i, f: i < 6, body, [2, fib])
        result = fib.stack()
        x_value = np.array([0.9, 1.1, -0.7])
        with tf.Session() as s:
            got = s.run(result, {x: x_value})
            rows = [x_value, 2 * x_value]
            for _ in range(4):
                rows.append(rows[-1] * rows[-2])
            np.testing.assert_allclose(got, rows, rtol=1e-12)
            fd_check(s, tf.reduce_sum(result), [x], {x: x_value})


def test_tensor_array_gradients_outside_loops():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3, 2])
        ta = tf.TensorArray(tf.float64, size=3).unstack(x)
        ta = ta.write(1, ta.read(0) * ta.read(2))
        y = tf.reduce_sum(tf.sin(ta.stack())) + tf.reduce_sum(ta.gather([2, 2]) ** 2)
        with tf.Session() as s:
            fd_check(s, y, [x], {x: _values([3, 2], "x", 1.0)})


# ----- TF 1 program patterns -----

class GetVariableCell(rnn_cell.RNNCell):
    """A TF 1 style custom cell: variables made with get_variable inside call."""

    def __init__(self, n):
        super().__init__()
        self._n = n

    @property
    def state_size(self):
        return self._n

    @property
    def output_size(self):
        return self._n

    def call(self, inputs, state):
        w = tf.get_variable("w", [inputs.shape[1] + self._n, self._n], dtype=inputs.dtype)
        return (tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w)),) * 2


def test_custom_cell_with_get_variable_in_a_loop_body():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2, 3, 2])
        cell = GetVariableCell(2)
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64)
        assert [v.name for v in tf.trainable_variables()] == ["rnn/get_variable_cell/w:0"]
        assert cell.trainable_weights == tf.trainable_variables()
        # The variable is made outside the loop: its initializer runs on its own.
        with tf.Session() as s:
            _load_all(s)
            fd_check(s, tf.reduce_sum(outputs ** 2), [x] + cell.trainable_weights,
                     {x: _values([2, 3, 2], "x", 1.0)})


def test_unknown_batch_and_time_train_with_an_optimizer():
    rng = np.random.RandomState(0)
    x_value = rng.randn(8, 5, 3)
    y_value = x_value.sum(axis=(1, 2))[:, None] * 0.1
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, None, 3])
        y = tf.placeholder(tf.float64, [None, 1])
        cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(6), rnn_cell.GRUCell(4)])
        outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64, scope="encoder")
        assert outputs.shape.as_list() == [None, None, 4]
        assert state[0].h.shape.as_list() == [None, 6]
        loss = tf.reduce_mean(tf.square(tf.layers.dense(state[1], 1) - y))
        train = tf.train.AdamOptimizer(0.02).minimize(loss)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            before = s.run(loss, {x: x_value, y: y_value})
            for _ in range(20):
                s.run(train, {x: x_value, y: y_value})
            assert s.run(loss, {x: x_value, y: y_value}) < 0.5 * before


def test_dynamic_rnn_executing_eagerly_matches_graph_mode():
    x_value = _values([2, 3, 2], "x", 1.0)
    with tf.Graph().as_default():
        cell = rnn_cell.GRUCell(3)
        outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(x_value), dtype=tf.float64,
                                           sequence_length=[3, 1])
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            weights = s.run(cell.weights)
            expected = s.run([outputs, state])
    with tf.eager_mode():
        cell = rnn_cell.GRUCell(3)
        cell(tf.constant(x_value[:, 0]), tf.zeros([2, 3], tf.float64))
        for v, w in zip(cell.weights, weights):
            v.assign(w)
        outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(x_value), dtype=tf.float64,
                                           sequence_length=[3, 1])
        np.testing.assert_allclose(outputs.numpy(), expected[0], rtol=1e-12)
        np.testing.assert_allclose(state.numpy(), expected[1], rtol=1e-12)


def test_tensor_array_written_in_nested_loops():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        ta = tf.TensorArray(tf.float64, size=6)

        def outer(i, ta):
            def inner(j, ta):
                value = x * tf.cast(i + j, tf.float64) + tf.sin(x)
                return j + 1, ta.write(i * 2 + j, value)

            _, ta = tf.while_loop(lambda j, ta: j < 2, inner, [0, ta])
            return i + 1, ta

        _, ta = tf.while_loop(lambda i, ta: i < 3, outer, [0, ta])
        y = ta.stack()
        x_value = np.array([0.5, -1.0, 2.0])
        with tf.Session() as s:
            expected = [x_value * (i + j) + np.sin(x_value) for i in range(3) for j in range(2)]
            np.testing.assert_allclose(s.run(y, {x: x_value}), expected, rtol=1e-12)
            fd_check(s, tf.reduce_sum(y * y), [x], {x: x_value})


def test_dynamic_rnn_dropout_gradient_uses_the_forward_masks():
    # A linear cell under output dropout: outputs_t = m_t * h_t with m_t in {0, 2}. The
    # gradient must use the masks the forward pass drew (read off outputs / h).
    T, B, D, U = 4, 2, 3, 5
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [B, T, D])
        cell = tf.nn.rnn_cell.BasicRNNCell(U, activation=tf.identity, dtype=tf.float64)
        dropped = tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=0.5)
        outputs, _ = tf.nn.dynamic_rnn(dropped, x, dtype=tf.float64)
        dx, = tf.gradients(tf.reduce_sum(outputs), x)
        kernel, bias = tf.trainable_variables()
        rng = np.random.default_rng(3)
        xv = rng.standard_normal((B, T, D))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                out, grad, k, b = sess.run([outputs, dx, kernel, bias], {x: xv})
                wx, wh = k[:D], k[D:]
                h = np.zeros((B, U))
                hs = []
                for t in range(T):
                    h = xv[:, t] @ wx + h @ wh + b
                    hs.append(h)
                masks = np.stack([out[:, t] / hs[t] for t in range(T)], axis=1)
                assert set(np.round(masks, 9).ravel()) <= {0.0, 2.0}
                back = np.zeros((B, U))
                expected = np.zeros_like(xv)
                for t in reversed(range(T)):
                    back = masks[:, t] + back @ wh.T
                    expected[:, t] = back @ wx.T
                np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-12)
