"""TF 1 queue-based input: queues, readers, QueueRunner, Coordinator, input producers and
batching. Names, shapes and messages were checked against TensorFlow 2.21 (tf.compat.v1)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import symgrad as tf


def _message(error) -> str:
    return error.value.message.split("\n\t")[0]


# ----- queues ---------------------------------------------------------------------------------
def test_fifo_queue_graph_as_tf():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, [tf.float32, tf.int32], shapes=[[2], []], name="myq")
        assert q.name == "myq" and q.dtypes == [tf.float32, tf.int32]
        assert q.shapes == [tf.TensorShape([2]), tf.TensorShape([])] and q.names is None
        assert q.enqueue(([1.0, 2.0], 3)).name == "myq_enqueue"
        assert q.enqueue_many(([[1.0, 2.0]], [5])).name == "myq_EnqueueMany"
        d = q.dequeue()
        assert [t.name for t in d] == ["myq_Dequeue:0", "myq_Dequeue:1"]
        assert d[0].shape == [2] and d[1].shape == []
        dm = q.dequeue_many(2)
        assert dm[0].shape == [2, 2] and dm[1].shape == [2]
        du = q.dequeue_up_to(2)
        assert du[0].shape.as_list() == [None, 2] and du[0].op.name == "myq_DequeueUpTo"
        assert q.close().name == "myq_Close"
        assert q.close(cancel_pending_enqueues=True).name == "myq_Close_1"
        assert q.size().name == "myq_Size:0" and q.size().dtype == tf.int32
        assert q.is_closed().name == "myq_Is_Closed:0"
        named = tf.FIFOQueue(5, [tf.float32, tf.int32], shapes=[[], []], names=["a", "b"])
        assert named.enqueue({"a": 1.0, "b": 2}).name == "fifo_queue_enqueue"
        assert sorted(named.dequeue()) == ["a", "b"]
        assert tf.RandomShuffleQueue(10, 2, [tf.int32], shapes=[[]]).name == \
            "random_shuffle_queue"
        assert tf.PaddingFIFOQueue(10, [tf.int32], shapes=[[None]]).name == "padding_fifo_queue"


def test_fifo_queue_run_and_close():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, [tf.float32, tf.int32], shapes=[[2], []], name="myq")
        enqueue = q.enqueue(([1.0, 2.0], 3))
        enqueue_many = q.enqueue_many(([[1.0, 2.0], [3.0, 4.0]], [5, 6]))
        dequeue, dequeue_many, dequeue_up_to = q.dequeue(), q.dequeue_many(2), \
            q.dequeue_up_to(2)
        with tf.Session() as sess:
            sess.run(enqueue_many)
            assert sess.run(q.size()) == 2
            first = sess.run(dequeue)
            assert first[0].tolist() == [1.0, 2.0] and first[1] == 5
            sess.run(q.close())
            assert sess.run(q.is_closed())
            with pytest.raises(tf.errors.CancelledError) as e:
                sess.run(enqueue)
            label = _message(e)[:-len(" is closed.")]
            assert label.startswith("FIFOQueue '_") and label.endswith("_myq'")
            assert sess.run(dequeue)[1] == 6
            with pytest.raises(tf.errors.OutOfRangeError) as e:
                sess.run(dequeue)
            assert _message(e) == (f"{label} is closed and has insufficient elements "
                                   "(requested 1, current size 0)")
            for op in (dequeue_many, dequeue_up_to):
                with pytest.raises(tf.errors.OutOfRangeError) as e:
                    sess.run(op)
                assert _message(e).endswith("(requested 2, current size 0)")


def test_dequeue_up_to_returns_the_rest_once_closed():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(10, tf.int32, shapes=[[]])
        with tf.Session() as sess:
            sess.run(q.enqueue_many([[1, 2, 3]]))
            sess.run(q.close())
            assert sess.run(q.dequeue_up_to(2)).tolist() == [1, 2]
            assert sess.run(q.dequeue_up_to(2)).tolist() == [3]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(q.dequeue_up_to(2))


def test_queue_state_belongs_to_the_session():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(10, tf.int32, shapes=[[]])
        enqueue = q.enqueue(7)
        with tf.Session() as a, tf.Session() as b:
            a.run(enqueue)
            assert a.run(q.size()) == 1 and b.run(q.size()) == 0


def test_build_time_errors_as_tf():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, [tf.float32, tf.int32], shapes=[[2], []])
        with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
            q.enqueue(([1.0, 2.0, 3.0], 1))
        with pytest.raises(ValueError):
            q.enqueue([1.0])
        with pytest.raises(ValueError, match="Queue must have names to enqueue a dictionary"):
            q.enqueue({"a": 1.0, "b": 2})


def test_run_time_shape_errors():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(3, tf.float32, shapes=[[2]])
        x = tf.placeholder(tf.float32)
        enqueue = q.enqueue([x])
        unshaped = tf.FIFOQueue(3, tf.float32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(enqueue, {x: [1.0, 2.0, 3.0]})
            assert _message(e) == "Shape mismatch in tuple component 0. Expected [2], got [3]"
            sess.run(unshaped.enqueue(1.0))
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(unshaped.dequeue_many(1))
            assert _message(e) == ("FIFOQueue's DequeueMany and DequeueUpTo require the "
                                   "components to have specified shapes.")


def test_padding_fifo_queue_pads_batches():
    with tf.Graph().as_default():
        q = tf.PaddingFIFOQueue(10, [tf.int32, tf.string], shapes=[[None], []])
        with tf.Session() as sess:
            sess.run(q.enqueue(([1, 2, 3], "a")))
            sess.run(q.enqueue(([1], "b")))
            ints, strings = sess.run(q.dequeue_many(2))
    assert ints.tolist() == [[1, 2, 3], [1, 0, 0]] and strings.tolist() == [b"a", b"b"]


def test_random_shuffle_queue_keeps_min_after_dequeue():
    with tf.Graph().as_default():
        q = tf.RandomShuffleQueue(10, 2, tf.int32, shapes=[[]], seed=3)
        with tf.Session() as sess:
            sess.run(q.enqueue_many([np.arange(5)]))
            got = [int(sess.run(q.dequeue())) for _ in range(3)]
            assert sess.run(q.size()) == 2
            sess.run(q.close())
            got += sess.run(q.dequeue_up_to(5)).tolist()
    assert sorted(got) == [0, 1, 2, 3, 4]


def test_blocking_dequeue_waits_for_another_thread():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
        enqueue = q.enqueue_many([[1, 2, 3, 4, 5]])  # blocks while the queue is full
        dequeue = q.dequeue()
        with tf.Session() as sess:
            producer = threading.Thread(target=sess.run, args=(enqueue,))
            producer.start()
            got = [int(sess.run(dequeue)) for _ in range(5)]
            producer.join(10)
    assert got == [1, 2, 3, 4, 5] and not producer.is_alive()


def _run_in_thread(sess, fetch, caught: list) -> threading.Thread:
    def run() -> None:
        try:
            sess.run(fetch)
        except tf.errors.OpError as e:
            caught.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)
    return thread


def test_close_lets_a_pending_enqueue_finish():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
        with tf.Session() as sess:
            sess.run(q.enqueue(1))
            caught: list[BaseException] = []
            producer = _run_in_thread(sess, q.enqueue(2), caught)
            sess.run(q.close())
            with pytest.raises(tf.errors.CancelledError):
                sess.run(q.enqueue(3))
            assert [int(sess.run(q.dequeue())) for _ in range(2)] == [1, 2]
            producer.join(10)
            assert caught == []
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(q.dequeue())


def test_close_with_cancel_pending_enqueues_and_session_close():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
        enqueue = q.enqueue_many([[1, 2, 3]])
        dequeue = q.dequeue()
        blocked = tf.FIFOQueue(1, tf.int32, shapes=[[]]).dequeue()
        sess = tf.Session()
        caught: list[BaseException] = []
        producer = _run_in_thread(sess, enqueue, caught)
        sess.run(q.close(cancel_pending_enqueues=True))
        producer.join(10)
        assert isinstance(caught[0], tf.errors.CancelledError)
        consumer = _run_in_thread(sess, blocked, caught)
        assert int(sess.run(dequeue)) == 1
        sess.close()
        consumer.join(10)
        assert not consumer.is_alive()
        assert isinstance(caught[1], tf.errors.CancelledError)


# ----- Coordinator and QueueRunner ------------------------------------------------------------
def test_coordinator_reports_the_first_exception():
    coord = tf.train.Coordinator()
    assert not coord.should_stop()

    def work() -> None:
        with coord.stop_on_exception():
            raise ValueError("boom")

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="boom"):
        coord.join(threads)
    assert coord.should_stop() and coord.joined


def test_coordinator_clean_stop_and_registered_threads():
    coord = tf.train.Coordinator()
    stopper = threading.Thread(target=lambda: coord.request_stop(
        tf.errors.OutOfRangeError(None, None, "done")))
    waiter = threading.Thread(target=coord.wait_for_stop)
    coord.register_thread(waiter)
    waiter.start()
    stopper.start()
    coord.join([stopper])
    coord.raise_requested_exception()
    assert not waiter.is_alive()
    coord.clear_stop()
    assert not coord.should_stop()


def test_coordinator_straggler_and_raise_requested_exception():
    coord = tf.train.Coordinator()
    release = threading.Event()
    slow = threading.Thread(target=release.wait)
    slow.start()
    coord.request_stop()
    with pytest.raises(RuntimeError, match="Coordinator stopped with threads still running"):
        coord.join([slow], stop_grace_period_secs=0.1)
    release.set()
    slow.join()
    coord.clear_stop()
    coord.request_stop(KeyError("k"))
    with pytest.raises(KeyError):
        coord.raise_requested_exception()


def test_queue_runner_fills_and_closes():
    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.int32, shapes=[[]])
        counter = tf.train.range_input_producer(6, num_epochs=1, shuffle=False)
        qr = tf.train.QueueRunner(q, [q.enqueue(counter.dequeue())] * 2)
        assert qr.queue is q and len(qr.enqueue_ops) == 2 and qr.name == q.name
        tf.train.add_queue_runner(qr)
        assert qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = []
            with pytest.raises(tf.errors.OutOfRangeError):
                while True:
                    got.append(int(sess.run(q.dequeue())))
            coord.request_stop()
            coord.join(threads)
    assert sorted(got) == list(range(6))


def test_start_queue_runners_needs_a_session():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No default session is registered"):
            tf.train.start_queue_runners()


# ----- producers and readers ------------------------------------------------------------------
def test_string_input_producer_graph_as_tf():
    with tf.Graph().as_default() as g:
        q = tf.train.string_input_producer(["a", "b"], num_epochs=2, shuffle=False)
        names = [op.name for op in g.get_operations()]
        assert q.name == "input_producer"
        for expected in ("input_producer/Assert/Assert", "input_producer/limit_epochs/epochs",
                         "input_producer/limit_epochs", "input_producer",
                         "input_producer/input_producer_EnqueueMany",
                         "input_producer/fraction_of_32_full"):
            assert expected in names
        assert [v.op.name for v in tf.local_variables()] == [
            "input_producer/limit_epochs/epochs"]
        with pytest.raises(ValueError, match="requires a non-null input tensor"):
            tf.train.string_input_producer([])
        with pytest.raises(ValueError, match="num_epochs must be > 0 not 0."):
            tf.train.limit_epochs(tf.constant(1), 0)


def test_limit_epochs_needs_local_init_and_stops():
    with tf.Graph().as_default():
        x = tf.train.limit_epochs(tf.constant([1, 2]), num_epochs=2)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(x)
            sess.run(tf.local_variables_initializer())
            assert sess.run(x).tolist() == [1, 2]
            sess.run(x)
            with pytest.raises(tf.errors.OutOfRangeError) as e:
                sess.run(x)
            assert _message(e) == "Reached limit of 2"


def _drain(sess, fetch):
    out = []
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess, coord)
    try:
        while not coord.should_stop():
            out.append(sess.run(fetch))
    except tf.errors.OutOfRangeError:
        pass
    finally:
        coord.request_stop()
    coord.join(threads)
    return out


def test_readers(tmp_path):
    records = tmp_path / "a.tfr"
    with tf.io.TFRecordWriter(str(records)) as w:
        w.write(b"r0")
        w.write(b"r1")
    text = tmp_path / "b.txt"
    text.write_bytes(b"h\nl1\r\nl2\n")
    fixed = tmp_path / "c.bin"
    fixed.write_bytes(b"HHabcdefF")
    with tf.Graph().as_default():
        def keys_values(reader, path):
            queue = tf.train.string_input_producer([str(path)], num_epochs=1, shuffle=False)
            return reader.read(queue)

        tf_reader = tf.TFRecordReader()
        assert tf_reader.reader_ref.op.name == "TFRecordReaderV2"
        k1, v1 = keys_values(tf_reader, records)
        assert k1.op.name == "ReaderReadV2" and k1.shape == [] and v1.dtype == tf.string
        k2, v2 = keys_values(tf.TextLineReader(skip_header_lines=1), text)
        k3, v3 = keys_values(tf.FixedLengthRecordReader(3, header_bytes=2, footer_bytes=1),
                             fixed)
        k4, v4 = keys_values(tf.WholeFileReader(), fixed)
        produced = tf_reader.num_records_produced()
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert sess.run([k1, v1]) == [f"{records}:0".encode(), b"r0"]
            assert sess.run([k1, v1]) == [f"{records}:18".encode(), b"r1"]
            assert sess.run(produced) == 2
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(v1)
            assert sess.run([k2, v2]) == [f"{text}:2".encode(), b"l1"]
            assert sess.run([k2, v2]) == [f"{text}:3".encode(), b"l2"]
            assert sess.run([k3, v3]) == [f"{fixed}:0".encode(), b"abc"]
            assert sess.run([k3, v3]) == [f"{fixed}:1".encode(), b"def"]
            assert sess.run([k4, v4]) == [str(fixed).encode(), b"HHabcdefF"]
            coord.request_stop()
            coord.join(threads)


def test_read_up_to(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_bytes(b"a\nb\nc\n")
    with tf.Graph().as_default():
        queue = tf.train.string_input_producer([str(path)], num_epochs=1, shuffle=False)
        keys, values = tf.TextLineReader().read_up_to(queue, 2)
        assert values.shape.as_list() == [None]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = [v.tolist() for v in _drain(sess, values)]
    assert got == [[b"a", b"b"], [b"c"]]


def test_slice_range_and_batching():
    with tf.Graph().as_default():
        row, ten = tf.train.slice_input_producer([np.arange(4), np.arange(4) * 10],
                                                 num_epochs=1, shuffle=False)
        batch = tf.train.batch([row, ten], 3, allow_smaller_final_batch=True)
        assert [t.name for t in batch] == ["batch:0", "batch:1"]
        assert batch[0].shape.as_list() == [None]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = _drain(sess, batch)
    assert [b[0].tolist() for b in got] == [[0, 1, 2], [3]]
    assert [b[1].tolist() for b in got] == [[0, 10, 20], [30]]


def test_batch_shapes_dicts_and_full_batches_only():
    with tf.Graph().as_default():
        index = tf.train.range_input_producer(5, num_epochs=1, shuffle=False).dequeue()
        batch = tf.train.batch({"i": index, "v": tf.fill([2], index)}, 2)
        assert batch["i"].shape == [2] and batch["v"].shape == [2, 2]
        with pytest.raises(ValueError, match="All shapes must be fully defined"):
            tf.train.batch([tf.placeholder(tf.float32, [None])], 2)
        with pytest.raises(TypeError, match="does not take SparseTensors"):
            tf.train.batch([tf.SparseTensor([[0]], [1.0], [3])], 2)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = _drain(sess, batch)
    assert [b["i"].tolist() for b in got] == [[0, 1], [2, 3]]  # the last one is dropped


def test_dynamic_pad_and_enqueue_many():
    with tf.Graph().as_default():
        index = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue()
        padded = tf.train.batch([tf.range(index + 1)], 3, dynamic_pad=True)
        pairs = tf.train.batch([tf.constant([[1, 2], [3, 4]])], 2, enqueue_many=True)
        assert pairs.shape == [2, 2]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert sess.run(padded).tolist() == [[0, 0, 0], [0, 1, 0], [0, 1, 2]]
            assert sess.run(pairs).tolist() == [[1, 2], [3, 4]]
            coord.request_stop()
            coord.join(threads)


def test_shuffle_batch_and_joins():
    with tf.Graph().as_default():
        index = tf.train.range_input_producer(8, num_epochs=1, shuffle=True, seed=2).dequeue()
        shuffled = tf.train.shuffle_batch([index], 2, capacity=8, min_after_dequeue=2, seed=1,
                                          allow_smaller_final_batch=True)
        assert shuffled.name == "shuffle_batch:0"
        other = tf.train.range_input_producer(4, num_epochs=1, shuffle=False).dequeue()
        third = tf.train.range_input_producer(4, num_epochs=1, shuffle=False).dequeue()
        joined = tf.train.batch_join([[other], [third]], 2, allow_smaller_final_batch=True)
        assert joined.name == "batch_join:0"
        shuffled_join = tf.train.shuffle_batch_join([[other], [third]], 2, capacity=4,
                                                    min_after_dequeue=1)
        assert shuffled_join.name == "shuffle_batch_join:0"
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            got = _drain(sess, shuffled)
    assert sorted(int(v) for b in got for v in b) == list(range(8))


def test_classic_cifar_style_training_pipeline(tmp_path):
    """string_input_producer -> FixedLengthRecordReader -> decode_raw -> shuffle_batch ->
    a training loop under a Coordinator that ends on num_epochs with OutOfRangeError."""
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 3, size=12).astype(np.uint8)
    images = rng.randint(0, 255, size=(12, 4)).astype(np.uint8)
    paths = []
    for part in range(2):
        path = tmp_path / f"data_batch_{part}.bin"
        path.write_bytes(b"".join(bytes([labels[i]]) + images[i].tobytes()
                                  for i in range(part * 6, part * 6 + 6)))
        paths.append(str(path))
    with tf.Graph().as_default():
        filename_queue = tf.train.string_input_producer(paths, num_epochs=2, shuffle=True,
                                                        seed=4)
        _, value = tf.FixedLengthRecordReader(record_bytes=5).read(filename_queue)
        record = tf.decode_raw(value, tf.uint8)
        label = tf.cast(tf.strided_slice(record, [0], [1]), tf.int32)
        image = tf.cast(tf.strided_slice(record, [1], [5]), tf.float32) / 255.0
        label.set_shape([1])
        image.set_shape([4])
        image_batch, label_batch = tf.train.shuffle_batch(
            [image, label], batch_size=4, capacity=20, min_after_dequeue=4, num_threads=2,
            seed=7)
        weights = tf.Variable(tf.zeros([4, 3]))
        logits = tf.matmul(image_batch, weights)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.reshape(label_batch, [-1]), logits=logits))
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess=sess, coord=coord)
            steps = 0
            try:
                while not coord.should_stop():
                    sess.run(train_op)
                    steps += 1
            except tf.errors.OutOfRangeError:
                pass
            finally:
                coord.request_stop()
            coord.join(threads)
    assert steps == 6  # 2 epochs of 12 records in full batches of 4


def test_match_filenames_once_feeds_a_producer(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"1\n2\n")
    (tmp_path / "b.txt").write_bytes(b"3\n")
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "*.txt"))
        assert files.op.name == "matching_filenames"
        queue = tf.train.string_input_producer(files, num_epochs=1, shuffle=False)
        _, line = tf.TextLineReader().read(queue)
        assert tf.train.queue_runner.QueueRunner is tf.train.QueueRunner
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert [f.decode() for f in sess.run(files)] == [str(tmp_path / "a.txt"),
                                                             str(tmp_path / "b.txt")]
            assert [v.decode() for v in _drain(sess, line)] == ["1", "2", "3"]


def test_monitored_session_runs_the_queue_runners_under_its_coordinator():
    # As TF's MonitoredSession: queue runners start with the session, hooks see the
    # coordinator, and closing the session stops the runner threads.
    seen = []

    class Hook(tf.train.SessionRunHook):
        def after_create_session(self, session, coord):
            seen.append(coord)

    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.float32, shapes=[[]])
        counter = tf.Variable(0.0)
        step = tf.assign_add(counter, 1.0)
        tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue(step)]))
        taken = q.dequeue()
        with tf.train.MonitoredSession(hooks=[Hook()]) as sess:
            values = [sess.run(taken) for _ in range(5)]
        assert sorted(values) == values and len(set(values)) == 5 and values[0] >= 1.0
        assert isinstance(seen[0], tf.train.Coordinator)
        assert seen[0].should_stop()
        assert seen[0].joined
