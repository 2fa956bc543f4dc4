"""``tf.train.QueueRunner``: threads that run a queue's enqueue ops until its input ends."""

from __future__ import annotations

import threading
from typing import Any, Optional

from .. import errors
from ..framework import get_default_graph

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]

QUEUE_RUNNERS = "queue_runners"  # GraphKeys.QUEUE_RUNNERS


class QueueRunner:
    """Runs ``enqueue_ops`` (one thread each) in a loop. When the input ends
    (``OutOfRangeError`` or a closed queue) the last thread closes the queue, so that
    dequeues drain it and then raise ``OutOfRangeError``; other errors are reported to the
    coordinator."""

    def __init__(self, queue: Any = None, enqueue_ops: Any = None, close_op: Any = None,
                 cancel_op: Any = None, queue_closed_exception_types: Any = None,
                 queue_runner_def: Any = None, import_scope: Any = None) -> None:
        if queue_runner_def is not None:
            raise ValueError("symgrad builds QueueRunners from a queue and ops only")
        if queue is None or not enqueue_ops:
            raise ValueError("Queue and enqueue_ops must be provided.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else \
            queue.close(cancel_pending_enqueues=True)
        self._queue_closed_exception_types = tuple(
            queue_closed_exception_types or (errors.OutOfRangeError, errors.CancelledError))
        self._lock = threading.Lock()
        self._runs_per_session: dict[int, int] = {}
        self._exceptions_raised: list[BaseException] = []

    @property
    def queue(self) -> Any:
        return self._queue

    @property
    def enqueue_ops(self) -> list[Any]:
        return list(self._enqueue_ops)

    @property
    def close_op(self) -> Any:
        return self._close_op

    @property
    def cancel_op(self) -> Any:
        return self._cancel_op

    @property
    def queue_closed_exception_types(self) -> tuple[type, ...]:
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self) -> list[BaseException]:
        return list(self._exceptions_raised)

    @property
    def name(self) -> str:
        return str(self._queue.name)

    def _run(self, sess: Any, enqueue_op: Any, coord: Any) -> None:
        decremented = False
        try:
            while not (coord is not None and coord.should_stop()):
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[id(sess)] -= 1
                        decremented = True
                        if self._runs_per_session[id(sess)] == 0:
                            try:
                                sess.run(self._close_op)
                            except (errors.OpError, RuntimeError):
                                pass  # a closed session has nothing left to close
                    return
        except BaseException as e:  # noqa: BLE001 - reported to the coordinator, as TF
            if coord is not None:
                coord.request_stop(e)
            else:
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[id(sess)] -= 1

    def _close_on_stop(self, sess: Any, coord: Any) -> None:
        coord.wait_for_stop()
        if getattr(sess, "_closed", False):
            return
        try:
            sess.run(self._cancel_op)
        except (errors.OpError, RuntimeError):
            pass  # the session closed meanwhile

    def create_threads(self, sess: Any, coord: Any = None, daemon: bool = False,
                       start: bool = False) -> list[threading.Thread]:
        """The threads running the enqueue ops in ``sess`` (and, with a coordinator, one
        cancelling the queue when it stops)."""
        with self._lock:
            if self._runs_per_session.get(id(sess), 0) > 0:
                return []  # already running in this session, as TF
            self._runs_per_session[id(sess)] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon)
                   for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord),
                                            daemon=daemon))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads


def add_queue_runner(qr: QueueRunner, collection: str = QUEUE_RUNNERS) -> None:
    """Adds ``qr`` to the graph's queue runners, which ``start_queue_runners`` starts."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess: Any = None, coord: Any = None, daemon: bool = True,
                        start: bool = True, collection: str = QUEUE_RUNNERS
                        ) -> list[threading.Thread]:
    """Starts the threads of every queue runner in the graph's collection."""
    from ..session import get_default_session
    if sess is None:
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "tf.start_queue_runners(sess=sess)")
    threads: list[threading.Thread] = []
    with sess.graph.as_default():
        for qr in sess.graph.get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
