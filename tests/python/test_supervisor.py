"""tf.train.Supervisor as TF 1 programs use it: the graph finalized, a managed session
initialized or restored from logdir's checkpoint, the standard services writing checkpoints,
summaries and the graph, OutOfRangeError ending the block quietly and other errors raised
again, loop() threads, and the properties."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import symgrad as tf


def _build():
    g = tf.Graph()
    with g.as_default():
        step = tf.train.get_or_create_global_step()
        w = tf.Variable(3.0, name="w")
        loss = tf.square(w - 1.0)
        tf.summary.scalar("loss", loss)
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return g, train, w, step


def test_managed_session_trains_checkpoints_and_restores(tmp_path):
    logdir = str(tmp_path)
    g, train, w, step = _build()
    sv = tf.train.Supervisor(graph=g, logdir=logdir, save_model_secs=1, save_summaries_secs=1)
    assert g.finalized and sv.is_chief and sv.save_path == os.path.join(logdir, "model.ckpt")
    assert sv.init_op.name == "init" and sv.summary_op is not None
    assert sv.global_step is step and sv.saver is not None
    with sv.managed_session() as sess:
        for _ in range(30):
            if sv.should_stop():
                break
            sess.run(train)
            time.sleep(0.05)
        trained = sess.run(w)
        assert sess.run(step) == 30
    np.testing.assert_allclose(trained, 1.0 + 2.0 * 0.8 ** 30, rtol=1e-5)
    files = os.listdir(logdir)
    assert "checkpoint" in files and "graph.pbtxt" in files
    assert any(f.startswith("events.out.tfevents") for f in files)
    # A new supervisor on the same logdir restores the latest checkpoint instead of
    # initializing.
    g, train, w, step = _build()
    sv = tf.train.Supervisor(graph=g, logdir=logdir, save_model_secs=0)
    with sv.managed_session() as sess:
        assert sess.run(step) > 0
        assert sess.run(w) < 3.0


def test_errors_in_the_block():
    g, _, _, _ = _build()
    sv = tf.train.Supervisor(graph=g, logdir=None)
    with sv.managed_session():
        raise tf.errors.OutOfRangeError(None, None, "input exhausted")
    g, _, _, _ = _build()
    sv = tf.train.Supervisor(graph=g, logdir=None)
    with pytest.raises(ValueError, match="boom"):
        with sv.managed_session():
            raise ValueError("boom")
    with pytest.raises(RuntimeError, match="finalized"):
        with g.as_default():
            tf.constant(1)


def test_prepare_or_wait_loop_and_stop():
    g, train, w, step = _build()
    sv = tf.train.Supervisor(graph=g, logdir=None, summary_op=None, saver=None)
    sess = sv.prepare_or_wait_for_session()
    calls = []
    sv.loop(0.01, lambda: calls.append(sess.run(w)))
    time.sleep(0.2)
    sv.request_stop()
    assert sv.should_stop()
    sv.stop()
    assert len(calls) >= 2 and calls[0] == 3.0
    with pytest.raises(RuntimeError, match="requires a summary writer"):
        sv.summary_computed(sess, b"")
    sess.close()


def test_not_chief_and_user_ops():
    g, train, w, step = _build()
    with g.as_default():
        init = tf.variables_initializer([w, step], name="my_init")
    sv = tf.train.Supervisor(graph=g, init_op=init, summary_op=None, global_step=None,
                             is_chief=True)
    assert sv.init_op is init and sv.global_step is None and sv.summary_writer is None
    with sv.managed_session() as sess:
        assert sess.run(w) == 3.0
    g2, _, _, _ = _build()
    with pytest.raises(RuntimeError, match="Only chief supervisor"):
        tf.train.Supervisor(graph=g2, is_chief=False).start_standard_services(None)
