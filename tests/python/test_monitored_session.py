"""Monitored training: hooks, Scaffold, MonitoredSession / MonitoredTrainingSession with
checkpoints and restarts, against TF 2.21's behaviour (values and messages from the oracle)."""

from __future__ import annotations

import glob
import logging as std_logging
import os

import numpy as np
import pytest

import symgrad as tf


def _model():
    step = tf.train.get_or_create_global_step()
    x = tf.Variable([1.0, -2.0], name="x")
    loss = tf.reduce_sum(tf.square(x - [0.5, 0.5]))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
    return step, x, loss, train


def _checkpoints(directory):
    with open(os.path.join(directory, "checkpoint")) as f:
        return f.read()


def test_train_stop_restart_and_continue(tmp_path):
    ckpt = str(tmp_path)
    with tf.Graph().as_default():
        step, x, loss, train = _model()
        final = tf.train.FinalOpsHook(x)
        losses = []
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=ckpt, save_checkpoint_steps=2, save_summaries_steps=None,
                log_step_count_steps=None,
                hooks=[tf.train.StopAtStepHook(last_step=5), final]) as sess:
            while not sess.should_stop():
                losses.append(float(sess.run([train, loss])[1]))
        assert sess.should_stop()
    # TF 2.21: five steps of x -= 0.2 (x - 0.5).
    np.testing.assert_allclose(losses, [6.5, 4.159999847412109, 2.662400245666504,
                                        1.703935980796814, 1.0905189514160156], rtol=1e-6)
    np.testing.assert_allclose(final.final_ops_values, [0.6638399958610535,
                                                        -0.31919991970062256], rtol=1e-6)
    # Saved when created (0), every 2 steps, and at the end (5).
    assert _checkpoints(ckpt).splitlines() == [
        'model_checkpoint_path: "model.ckpt-5"', 'all_model_checkpoint_paths: "model.ckpt-0"',
        'all_model_checkpoint_paths: "model.ckpt-2"',
        'all_model_checkpoint_paths: "model.ckpt-4"',
        'all_model_checkpoint_paths: "model.ckpt-5"']
    assert os.path.exists(os.path.join(ckpt, "graph.pbtxt"))
    assert glob.glob(os.path.join(ckpt, "events.out.tfevents.*"))

    with tf.Graph().as_default():
        step, x, loss, train = _model()
        with tf.train.MonitoredTrainingSession(
                checkpoint_dir=ckpt, save_checkpoint_steps=2, save_summaries_steps=None,
                log_step_count_steps=None,
                hooks=[tf.train.StopAtStepHook(num_steps=3)]) as sess:
            assert sess.run(step) == 5
            np.testing.assert_allclose(sess.run(x), final.final_ops_values)
            while not sess.should_stop():
                sess.run(train)
            got = sess._tf_sess().run(x)
    np.testing.assert_allclose(got, [0.5838860273361206, 0.08056963235139847], rtol=1e-6)
    # The restarted saver took over the old checkpoints: max_to_keep=5 dropped ckpt-0.
    assert _checkpoints(ckpt).splitlines() == [
        'model_checkpoint_path: "model.ckpt-8"', 'all_model_checkpoint_paths: "model.ckpt-2"',
        'all_model_checkpoint_paths: "model.ckpt-4"',
        'all_model_checkpoint_paths: "model.ckpt-5"',
        'all_model_checkpoint_paths: "model.ckpt-7"',
        'all_model_checkpoint_paths: "model.ckpt-8"']
    assert not os.path.exists(os.path.join(ckpt, "model.ckpt-0.npz"))


def test_out_of_range_from_a_dataset_ends_the_loop():
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        item = tf.data.Dataset.from_tensor_slices(np.arange(3.0)) \
            .make_one_shot_iterator().get_next()
        bump = tf.assign_add(step, 1)
        seen = []
        end = tf.train.FinalOpsHook(step)
        with tf.train.MonitoredSession(hooks=[end]) as sess:
            while not sess.should_stop():
                seen.append(float(sess.run([item, bump])[0]))
    assert seen == [0.0, 1.0, 2.0]
    # The hooks still end (TF treats the input's end as a normal stop).
    assert end.final_ops_values == 3


@pytest.mark.parametrize("build,message", [
    (lambda: tf.train.StopAtStepHook(), "One of num_steps or last_step must be specified."),
    (lambda: tf.train.StopAtStepHook(1, 2),
     "Only one of num_steps or last_step can be specified."),
    (lambda: tf.train.LoggingTensorHook(["a"]),
     "either at_end and/or exactly one of every_n_iter and every_n_secs must be provided."),
    (lambda: tf.train.LoggingTensorHook(["a"], every_n_iter=0), "invalid every_n_iter=0."),
    (lambda: tf.train.SummarySaverHook(save_steps=1),
     "Exactly one of scaffold or summary_op must be provided."),
    (lambda: tf.train.CheckpointSaverHook("/tmp/x"),
     "Either every_secs or every_steps should be provided."),
    (lambda: tf.train.SecondOrStepTimer(every_secs=1, every_steps=1),
     "Can not provide both every_secs and every_steps."),
    (lambda: tf.train.StepCounterHook(every_n_steps=None),
     "exactly one of every_n_steps and every_n_secs should be provided."),
    (lambda: tf.train.CheckpointSaverHook("/tmp/x", save_steps=1, saver=object(),
                                          scaffold=object()),
     "You cannot provide both saver and scaffold."),
])
def test_hook_argument_errors_as_tf(build, message):
    with pytest.raises(ValueError) as info:
        build()
    assert str(info.value) == message


def test_hooks_need_a_global_step():
    with tf.Graph().as_default():
        tf.Variable(1.0)
        with pytest.raises(RuntimeError,
                           match="^Global step should be created to use StopAtStepHook.$"):
            tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(1)])


def test_nan_tensor_hook(caplog):
    with tf.Graph().as_default():
        nan = tf.constant(float("nan"))
        with pytest.raises(tf.train.NanLossDuringTrainingError) as info:
            with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(nan)]) as sess:
                sess.run(nan)
        assert str(info.value) == "NaN loss during training."
        with tf.train.MonitoredSession(
                hooks=[tf.train.NanTensorHook(nan, fail_on_nan_loss=False)]) as sess:
            sess.run(nan)
            assert sess.should_stop()
            with pytest.raises(RuntimeError,
                               match="Run called even after should_stop requested."):
                sess.run(nan)


def test_logging_tensor_hook_logs_every_n_iter_and_at_end(caplog):
    with tf.Graph().as_default():
        counter = tf.Variable(0.0, name="counter")
        p = tf.placeholder(tf.float32, [], name="p")
        doubled = tf.identity(p * 2.0, name="doubled")
        hooks = [tf.train.LoggingTensorHook({"twice": doubled, "c": counter}, every_n_iter=2),
                 tf.train.LoggingTensorHook(["doubled:0"], every_n_iter=3,
                                            formatter=lambda v: f"custom {v['doubled:0']}"),
                 tf.train.LoggingTensorHook({"end": counter}, at_end=True)]
        caplog.set_level(std_logging.INFO, logger="symgrad")
        with tf.train.MonitoredSession(hooks=hooks) as sess:
            for i in range(4):
                sess.run(doubled, feed_dict={p: float(i)})
    messages = [r.getMessage() for r in caplog.records if r.name == "symgrad"]
    logged = [m for m in messages if m.startswith("c = ")]
    # Tags sorted; iterations 0 and 2.
    assert logged[0] == "c = 0.0, twice = 0.0"
    assert logged[1].startswith("c = 0.0, twice = 4.0 (") and logged[1].endswith(" sec)")
    assert len(logged) == 2
    assert [m for m in messages if m.startswith("end")] == ["end = 0.0"]
    assert [m for m in messages if m.startswith("custom")] == ["custom 0.0", "custom 6.0"]


def test_feed_fn_hook_and_feed_conflicts():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [])
        out = p * 2.0
        with tf.train.MonitoredSession(hooks=[tf.train.FeedFnHook(lambda: {p: 3.0})]) as sess:
            assert sess.run(out) == 6.0
            with pytest.raises(RuntimeError,
                               match="Same tensor is fed by a SessionRunHook and user."):
                sess.run(out, feed_dict={p: 1.0})


def test_summary_and_step_counter_hooks_write_events(tmp_path):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        bump = tf.assign_add(step, 1)
        tf.summary.scalar("step_value", tf.cast(step, tf.float32))
        scaffold = tf.train.Scaffold()
        hooks = [tf.train.SummarySaverHook(save_steps=2, output_dir=str(tmp_path),
                                           scaffold=scaffold),
                 tf.train.StepCounterHook(every_n_steps=2, output_dir=str(tmp_path))]
        with tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=scaffold),
                                       hooks=hooks) as sess:
            for _ in range(5):
                sess.run(bump)
        tf.summary.FileWriterCache.clear()
    tags = {}
    for path in glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*")):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    assert tags["step_value"] == [1, 3, 5]
    assert tags["global_step/sec"] == [3, 5]


def test_checkpoint_listener_and_run_step_fn(tmp_path):
    calls = []

    class Listener(tf.train.CheckpointSaverListener):
        def before_save(self, session, global_step_value):
            calls.append(("before", global_step_value))

        def after_save(self, session, global_step_value):
            calls.append(("after", global_step_value))
            return global_step_value >= 2

    with tf.Graph().as_default():
        step, x, loss, train = _model()
        hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2,
                                            listeners=[Listener()])
        saver = tf.train.Saver()
        tf.add_to_collection(tf.GraphKeys.SAVERS, saver)
        with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
            assert sess.raw_session().run(step) == 0
            while not sess.should_stop():
                sess.run_step_fn(lambda step_context: step_context.run_with_hooks(train))
        assert calls == [("before", 0), ("after", 0), ("before", 2), ("after", 2)]
        with tf.train.MonitoredSession() as sess:
            def step_fn(step_context):
                step_context.session.run(train)
                step_context.request_stop()
            sess.run_step_fn(step_fn)
            assert sess.should_stop()
            with pytest.raises(ValueError, match="`step_fn` may either have one"):
                sess.run_step_fn(lambda a, b: None)


def test_scaffold_defaults_and_tables_initializer():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        init = tf.tables_initializer()
        assert (init.name, init.type) == ("init_all_tables", "NoOp")
        scaffold = tf.train.Scaffold().finalize()
        assert scaffold.summary_op is None
        assert isinstance(scaffold.saver, tf.train.Saver)
        assert tf.get_collection(tf.GraphKeys.SAVERS) == [scaffold.saver]
        assert tf.get_collection(tf.GraphKeys.INIT_OP) == [scaffold.init_op]
        with tf.Session() as s:
            assert list(s.run(scaffold.ready_op)) == [b"v"]
            s.run(scaffold.init_op)
            assert list(s.run(scaffold.ready_op)) == []
            assert list(s.run(tf.report_uninitialized_variables([v]))) == []
        # A second scaffold takes the same ops from the collections.
        again = tf.train.Scaffold().finalize()
        assert again.init_op is scaffold.init_op and again.saver is scaffold.saver


def test_init_fn_runs_when_there_is_no_checkpoint():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        scaffold = tf.train.Scaffold(init_fn=lambda sc, sess: sess.run(v.assign(7.0)))
        with tf.train.SingularMonitoredSession(scaffold=scaffold) as sess:
            assert sess.run(v) == 7.0


def test_global_step_waiter_hook_waits_for_the_step():
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        bump = tf.assign_add(step, 1)
        with tf.train.MonitoredSession(hooks=[tf.train.GlobalStepWaiterHook(0)]) as sess:
            sess.run(bump)
        with tf.Session() as raw:
            raw.run(step.initializer)
            raw.run(step.assign(3))
            hook = tf.train.GlobalStepWaiterHook(2)
            hook.begin()
            context = tf.train.SessionRunContext(tf.train.SessionRunArgs(None), raw)
            assert hook.before_run(context) is None
            assert hook._worker_is_started


def test_session_manager_as_tf(tmp_path):
    d = str(tmp_path)
    with tf.Graph().as_default() as g:
        v = tf.Variable(2.0, name="v")
        w = tf.Variable(3.0, name="w")
        saver = tf.train.Saver()
        ready = tf.report_uninitialized_variables()
        sm = tf.train.SessionManager(ready_op=ready, graph=g)
        with pytest.raises(RuntimeError) as info:
            sm.prepare_session("")
        assert str(info.value) == ("Model is not initialized and no init_op or init_fn or "
                                   "local_init_op was given")
        with pytest.raises(RuntimeError) as info:
            sm.prepare_session("", init_op=v.initializer)
        assert str(info.value) == ("Init operations did not make model ready.  Init op: "
                                   "v/Assign, init fn: None, local_init_op: None, error: "
                                   "Variables not initialized: w")
        init = tf.global_variables_initializer()
        sess = sm.prepare_session("", init_op=init, saver=saver, checkpoint_dir=d)
        sess.run(v.assign(7.0))
        path = saver.save(sess, os.path.join(d, "m"))
        assert sm.prepare_session("", init_op=init, saver=saver, checkpoint_dir=d).run(v) == 7.0
        sess, restored = sm.recover_session("", saver=saver, checkpoint_dir=d)
        assert restored and sess.run(v) == 7.0
        sess, restored = sm.recover_session("", saver=saver, checkpoint_filename_with_path=path)
        assert restored and sess.run(v) == 7.0
        _, restored = sm.recover_session("", saver=saver,
                                         checkpoint_dir=os.path.join(d, "empty"))
        assert not restored
        with pytest.raises(ValueError, match="^Can not provide both checkpoint_dir and "
                                             "checkpoint_filename_with_path.$"):
            sm.prepare_session("", saver=saver, checkpoint_dir=d,
                               checkpoint_filename_with_path=path)
        with pytest.raises(ValueError, match="^If you pass a ready_for_local_init_op you must "
                                             "also pass a local_init_op , "):
            tf.train.SessionManager(ready_for_local_init_op=ready)
        waiting = tf.train.SessionManager(ready_op=ready, graph=g, recovery_wait_secs=0.05)
        with pytest.raises(tf.errors.DeadlineExceededError,
                           match="^Session was not ready after waiting 0 secs.$"):
            waiting.wait_for_session("", max_wait_secs=0.15)
        sess = sm.prepare_session("", init_fn=lambda s: s.run(init))
        assert sess.run(w) == 3.0


def test_workers_wait_for_a_ready_model():
    with tf.Graph().as_default():
        x = tf.constant(3.0)
        # Nothing to initialize: a worker's session is ready at once.
        with tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=1) as sess:
            assert sess.run(x) == 3.0
    with tf.Graph().as_default():
        tf.Variable(1.0)
        creator = tf.train.WorkerSessionCreator(max_wait_secs=0.01)
        with pytest.raises(tf.errors.DeadlineExceededError,
                           match="^Session was not ready after waiting 0 secs.$"):
            creator.create_session()


def test_piecewise_constant_decay_is_piecewise_constant():
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant
