"""tf.train.LooperThread, basic_train_loop and the maybe_* batching functions."""

from __future__ import annotations

import time

import numpy as np
import pytest

import symgrad as tf


def test_maybe_batch_keeps_what_keep_input_allows():
    with tf.Graph().as_default() as g:
        x = tf.train.range_input_producer(10, shuffle=False).dequeue()
        evens = tf.train.maybe_batch([x], tf.equal(x % 2, 0), 2)
        rows = tf.constant(np.arange(12).reshape(6, 2))
        kept = tf.train.maybe_batch([rows], [True, False, True, True, False, True], 3,
                                    enqueue_many=True)
        # A constant True enqueues plainly, as TF's smart_cond.
        plain = tf.train.maybe_shuffle_batch([tf.constant(1)], 2, 10, 1, True, seed=1)
        assert "batch_1/DynamicPartition" in {op.name for op in g.get_operations()}
        with pytest.raises(ValueError, match="cannot be a vector when `enqueue_many=False`"):
            tf.train.maybe_batch([x], [True], 2)
        with pytest.raises(ValueError, match="dimensions must be known"):
            tf.train.maybe_batch([x], tf.placeholder(tf.bool), 2)
        with pytest.raises(ValueError, match="must be 0 or 1 dimensions"):
            tf.train.maybe_batch([rows], [[True]], 2, enqueue_many=True)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            # A list of one tensor batches to one tensor, as in TF.
            assert list(sess.run(evens)) == [0, 2]
            assert list(sess.run(evens)) == [4, 6]
            np.testing.assert_array_equal(sess.run(kept), [[0, 1], [4, 5], [6, 7]])
            assert list(sess.run(plain)) == [1, 1]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)


def test_maybe_batch_join_and_shuffle_join():
    with tf.Graph().as_default():
        a, b = tf.constant(1), tf.constant(2)
        joined = tf.train.maybe_batch_join([[a], [b]], tf.constant(True), 4)
        shuffled = tf.train.maybe_shuffle_batch_join([[a], [b]], 4, 20, 2, True, seed=3)
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert set(sess.run(joined)) <= {1, 2}
            assert set(sess.run(shuffled)) <= {1, 2}
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)


class _Counting(tf.train.LooperThread):
    def __init__(self, coord):
        super().__init__(coord, None)
        self.events = []

    def start_loop(self):
        self.events.append("start")

    def run_loop(self):
        self.events.append("step")
        if len(self.events) > 3:
            self._coord.request_stop()

    def stop_loop(self):
        self.events.append("stop")


def test_looper_thread():
    coord = tf.train.Coordinator()
    calls = []
    looper = tf.train.LooperThread.loop(coord, 0.01, calls.append, args=(1,))
    assert looper.daemon
    time.sleep(0.1)
    coord.request_stop()
    coord.join([looper], stop_grace_period_secs=5)
    assert len(calls) >= 2 and set(calls) == {1}
    counting = _Counting(tf.train.Coordinator())
    counting.start()
    counting.join(5)
    assert counting.events == ["start", "step", "step", "step", "stop"]
    with pytest.raises(ValueError, match="require that you also pass 'target'"):
        tf.train.LooperThread(tf.train.Coordinator(), None, args=(1,))
    with pytest.raises(ValueError, match="'coord' argument must be a Coordinator"):
        tf.train.LooperThread("coord", None)
    # An exception in the target stops the coordinator, which reraises it on join.
    coord = tf.train.Coordinator()

    def fail():
        raise RuntimeError("boom")

    failing = tf.train.LooperThread.loop(coord, None, fail)
    with pytest.raises(RuntimeError, match="boom"):
        coord.join([failing], stop_grace_period_secs=5)


def test_basic_train_loop_runs_until_the_supervisor_stops(tmp_path):
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        increment = tf.assign_add(step, 1)
        sv = tf.train.Supervisor(logdir=None)
        seen = []

        def train_step(sess, scale, offset=0):
            seen.append(sess.run(increment) * scale + offset)
            if len(seen) == 4:
                sv.request_stop()

        tf.train.basic_train_loop(sv, train_step, args=[10], kwargs={"offset": 1})
    assert seen == [11, 21, 31, 41]
    assert sv.should_stop()
