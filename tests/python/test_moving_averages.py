"""tf.train.ExponentialMovingAverage: names, values (TF 2.21 literals), zero_debias,
num_updates, and restoring averages into the model through variables_to_restore."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf


def test_apply_names_and_values_match_tf():
    with tf.Graph().as_default() as g:
        v = tf.Variable([1.0, 2.0], name="v")
        w = tf.Variable(np.array([3.0], np.float64), name="w")
        t = tf.identity(v * 2.0, name="t")
        step = tf.Variable(0, name="step", trainable=False)
        ema = tf.train.ExponentialMovingAverage(0.9, num_updates=step, zero_debias=True)
        assert ema.name == "ExponentialMovingAverage"
        assert ema.average_name(v) == "v/ExponentialMovingAverage"
        assert ema.average(v) is None
        op = ema.apply([v, w, t])
        assert (op.name, op.type) == ("ExponentialMovingAverage", "NoOp")
        assert ema.average(v).name == "v/ExponentialMovingAverage:0"
        assert ema.average(w).dtype == tf.float64
        assert ema.average_name(t) == "t/ExponentialMovingAverage"
        assert [x.name for x in tf.global_variables()] == [
            "v:0", "w:0", "step:0", "v/ExponentialMovingAverage:0",
            "w/ExponentialMovingAverage:0", "t/ExponentialMovingAverage:0",
            "t/ExponentialMovingAverage/biased:0", "t/ExponentialMovingAverage/local_step:0"]
        assert [x.name for x in tf.trainable_variables()] == ["v:0", "w:0"]
        assert [x.name for x in tf.moving_average_variables()] == ["v:0", "w:0"]
        assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == [v, w]
        assert sorted((k, x.name) for k, x in ema.variables_to_restore().items()) == [
            ("step", "step:0"), ("t/ExponentialMovingAverage", "t/ExponentialMovingAverage:0"),
            ("t/ExponentialMovingAverage/biased", "t/ExponentialMovingAverage/biased:0"),
            ("t/ExponentialMovingAverage/local_step",
             "t/ExponentialMovingAverage/local_step:0"),
            ("v/ExponentialMovingAverage", "v:0"), ("w/ExponentialMovingAverage", "w:0")]
        ops = {o.name: o.type for o in g.get_operations()}
        assert ops["ExponentialMovingAverage/decay"] == "Const"
        assert ops["ExponentialMovingAverage/num_updates"] == "Cast"
        assert ops["ExponentialMovingAverage/Minimum"] == "Minimum"
        assert ops["ExponentialMovingAverage/AssignMovingAvg/AssignSubVariableOp"] == \
            "AssignSubVariableOp"
        assert ops["ExponentialMovingAverage/AssignMovingAvg_1/Cast"] == "Cast"
        assert ops["ExponentialMovingAverage/AssignMovingAvg_2"] == "AssignVariableOp"
        upd = [tf.assign_add(v, [1.0, -1.0]), tf.assign(w, w * 2.0), tf.assign_add(step, 1)]
        averages = [ema.average(v), ema.average(w), ema.average(t)]
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            init = s.run(averages)
            assert [x.tolist() for x in init] == [[1.0, 2.0], [3.0], [0.0, 0.0]]
            got = []
            for _ in range(4):
                s.run(op)
                got.append([x.tolist() for x in s.run(averages)])
                s.run(upd)
    # TF 2.21's values.
    expected = [
        [[1.0, 2.0], [3.0], [2.0, 4.0]],
        [[1.8181817531585693, 1.1818182468414307], [5.454545438289642],
         [3.723076820373535, 2.3692307472229004]],
        [[2.704545497894287, 0.29545456171035767], [10.36363635957241],
         [5.485714435577393, 0.5818181037902832]],
        [[3.6013987064361572, -0.6013985872268677], [19.804196053034776],
         [7.2651190757751465, -1.2193207740783691]]]
    for got_step, want_step in zip(got, expected):
        for a, b in zip(got_step, want_step):
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_plain_decay_second_apply_and_dtype_error():
    with tf.Graph().as_default():
        v = tf.Variable(5.0, name="v")
        ema = tf.train.ExponentialMovingAverage(0.5)
        op = ema.apply()
        with pytest.raises(TypeError, match=r"^The variables must be half, float, or double: "
                                            r"i:0$"):
            ema.apply([tf.Variable(1, name="i")])
        # A second apply reuses the average (TF 2 no longer refuses it).
        again = ema.apply([v])
        assert again.name == "ExponentialMovingAverage_1"
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(v.assign(1.0))
            s.run(op)
            assert s.run(ema.average(v)) == 3.0
            s.run(again)
            assert s.run(ema.average(v)) == 2.0


def test_scopes_as_tf():
    with tf.Graph().as_default():
        with tf.variable_scope("scope"):
            x = tf.Variable(1.0, name="x")
            ema2 = tf.train.ExponentialMovingAverage(0.5, name="EMA2")
            op2 = ema2.apply([x])
        assert (op2.name, ema2.average(x).name) == ("scope/EMA2", "scope/scope/x/EMA2:0")
        with tf.name_scope("ns"):
            ema3 = tf.train.ExponentialMovingAverage(0.5)
            op3 = ema3.apply([x])
        assert (op3.name, ema3.average(x).name) == ("ns/ExponentialMovingAverage",
                                                     "scope/x/ExponentialMovingAverage:0")


def test_average_starts_at_the_trained_value_when_created_late():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        with tf.Session() as s:
            s.run(v.initializer)
            s.run(v.assign(4.0))
            ema = tf.train.ExponentialMovingAverage(0.5)
            op = ema.apply([v])
            s.run(ema.average(v).initializer)
            assert s.run(ema.average(v)) == 4.0
            s.run(op)
            assert s.run(ema.average(v)) == 4.0


def test_tensor_needs_a_defined_shape():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [None])
        with pytest.raises(ValueError, match="must be fully defined"):
            tf.train.ExponentialMovingAverage(0.5).apply([p])


def test_saver_from_variables_to_restore_loads_the_averages(tmp_path):
    prefix = str(tmp_path / "model")
    with tf.Graph().as_default():
        x = tf.Variable([1.0, 1.0], name="x")
        loss = tf.reduce_sum(tf.square(x))
        train = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
        ema = tf.train.ExponentialMovingAverage(0.5)
        with tf.control_dependencies([train]):
            train_and_average = ema.apply([x])
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(3):
                s.run(train_and_average)
            averaged = s.run(ema.average(x))
            trained = s.run(x)
            saver.save(s, prefix)
    # x halves each step: 0.5, 0.25, 0.125; the average 0.75, 0.5, 0.3125.
    np.testing.assert_allclose(trained, [0.125, 0.125])
    np.testing.assert_allclose(averaged, [0.3125, 0.3125])
    with tf.Graph().as_default():
        x = tf.Variable([0.0, 0.0], name="x")
        ema = tf.train.ExponentialMovingAverage(0.5)
        restorer = tf.train.Saver(ema.variables_to_restore())
        with tf.Session() as s:
            restorer.restore(s, prefix)
            np.testing.assert_allclose(s.run(x), averaged)
