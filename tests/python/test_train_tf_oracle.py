"""Training utilities against TensorFlow itself (tf.compat.v1 graph mode) as the oracle.

Skipped when tensorflow is not importable (the normal test run). To run it:

    PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python -m pytest \
        tests/python/test_train_tf_oracle.py

Each program is written once against the ``tf.compat.v1`` API and run with ``tf`` =
TensorFlow and ``tf`` = symgrad; the values, and for schedules the result names, must agree.
"""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

BACKENDS = {"tf": tf1, "symgrad": symgrad}
STEPS = [0, 1, 2, 5, 9, 10, 11, 17, 40]

SCHEDULES = {
    "exponential": lambda tf, gs: tf.train.exponential_decay(0.3, gs, 7, 0.8, staircase=True),
    "piecewise": lambda tf, gs: tf.train.piecewise_constant(gs, [2, 9, 17],
                                                            [0.5, 0.4, 0.3, 0.2]),
    "polynomial": lambda tf, gs: tf.train.polynomial_decay(0.2, gs, 9, 0.02, power=3.0),
    "polynomial_cycle": lambda tf, gs: tf.train.polynomial_decay(0.2, gs, 9, cycle=True),
    "natural_exp": lambda tf, gs: tf.train.natural_exp_decay(0.2, gs, 4, 0.3),
    "inverse_time": lambda tf, gs: tf.train.inverse_time_decay(0.2, gs, 4, 0.3,
                                                               staircase=True),
    "cosine": lambda tf, gs: tf.train.cosine_decay(0.2, gs, 12, alpha=0.2),
    "restarts": lambda tf, gs: tf.train.cosine_decay_restarts(0.2, gs, 3, t_mul=2.5,
                                                              m_mul=0.5, alpha=0.1),
    "linear_cosine": lambda tf, gs: tf.train.linear_cosine_decay(0.2, gs, 12,
                                                                 num_periods=1.5, beta=0.1),
}


def _schedule(tf, build):
    graph = tf.Graph()
    with graph.as_default():
        gs = tf.placeholder(tf.int64, [], name="gs")
        out = build(tf, gs)
        with tf.Session(graph=graph) as sess:
            values = [sess.run(out, {gs: k}) for k in STEPS]
    return out.name, out.dtype.name, np.array(values)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule(name):
    want = _schedule(tf1, SCHEDULES[name])
    got = _schedule(symgrad, SCHEDULES[name])
    assert got[1] == want[1]
    np.testing.assert_allclose(got[2], want[2], rtol=2e-6)
    if name != "piecewise":
        assert got[0] == want[0]


OPTIMIZERS = {
    "adadelta": lambda tf, gs: tf.train.AdadeltaOptimizer(0.5, rho=0.8, epsilon=1e-4),
    "ftrl": lambda tf, gs: tf.train.FtrlOptimizer(0.3, l1_regularization_strength=0.02,
                                                  l2_regularization_strength=0.05),
    "ftrl_power": lambda tf, gs: tf.train.FtrlOptimizer(
        0.3, learning_rate_power=-0.3, l2_shrinkage_regularization_strength=0.1),
    "proximal_gd": lambda tf, gs: tf.train.ProximalGradientDescentOptimizer(
        0.05, l1_regularization_strength=0.1, l2_regularization_strength=0.1),
    "proximal_adagrad": lambda tf, gs: tf.train.ProximalAdagradOptimizer(
        0.2, l1_regularization_strength=0.05, l2_regularization_strength=0.1),
    "adagrad_da": lambda tf, gs: tf.train.AdagradDAOptimizer(
        0.2, gs, l1_regularization_strength=0.05, l2_regularization_strength=0.1),
}


def _train(tf, make, sparse):
    rng = np.random.RandomState(3)
    init = rng.randn(4, 3).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        gs = tf.train.get_or_create_global_step()
        x = tf.Variable(init, name="x")
        used = tf.gather(x, [3, 1, 3]) if sparse else x
        loss = tf.reduce_sum(tf.square(used - 0.25) * (used + 2.0))
        train = make(tf, gs).minimize(loss, global_step=gs)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            out = []
            for _ in range(5):
                sess.run(train)
                out.append(sess.run(x))
    return np.array(out)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer(name, sparse):
    np.testing.assert_allclose(_train(symgrad, OPTIMIZERS[name], sparse),
                               _train(tf1, OPTIMIZERS[name], sparse), rtol=2e-5, atol=1e-6)


def _moving_average(tf):
    graph = tf.Graph()
    with graph.as_default():
        step = tf.Variable(0, trainable=False, name="step")
        v = tf.Variable([1.0, -1.0], name="v")
        t = tf.identity(v * v, name="t")
        ema = tf.train.ExponentialMovingAverage(0.7, num_updates=step, zero_debias=True)
        apply = ema.apply([v, t])
        moves = [tf.assign_add(v, [0.5, 0.25]), tf.assign_add(step, 3)]
        names = sorted(ema.variables_to_restore())
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            out = []
            for _ in range(4):
                sess.run(apply)
                out.append(np.concatenate(sess.run([ema.average(v), ema.average(t)])))
                sess.run(moves)
    return names, np.array(out)


def test_exponential_moving_average():
    want_names, want = _moving_average(tf1)
    got_names, got = _moving_average(symgrad)
    assert got_names == want_names
    np.testing.assert_allclose(got, want, rtol=1e-6)


def _monitored_training(tf, directory):
    results = []
    for last_step in (4, 9):
        graph = tf.Graph()
        with graph.as_default():
            gs = tf.train.get_or_create_global_step()
            x = tf.Variable([1.0, -2.0, 0.5], name="x")
            loss = tf.reduce_sum(tf.square(x - 0.25))
            lr = tf.train.piecewise_constant(gs, [3, 6], [0.2, 0.1, 0.05])
            train = tf.train.MomentumOptimizer(lr, 0.5).minimize(loss, global_step=gs)
            final = tf.train.FinalOpsHook([x, gs])
            with tf.train.MonitoredTrainingSession(
                    checkpoint_dir=directory, save_checkpoint_steps=2,
                    save_summaries_steps=None, log_step_count_steps=None,
                    hooks=[tf.train.StopAtStepHook(last_step=last_step), final]) as sess:
                while not sess.should_stop():
                    sess.run(train)
            results.append((final.final_ops_values[0], int(final.final_ops_values[1])))
    return results


def test_monitored_training_with_restart(tmp_path):
    want = _monitored_training(tf1, str(tmp_path / "tf"))
    got = _monitored_training(symgrad, str(tmp_path / "symgrad"))
    for (gx, gstep), (wx, wstep) in zip(got, want):
        assert gstep == wstep
        np.testing.assert_allclose(gx, wx, rtol=1e-6)
