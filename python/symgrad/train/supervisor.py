"""``tf.compat.v1.train.Supervisor``: TF 1's training harness. It finalizes the graph,
prepares a session through a ``SessionManager`` (restored from the latest checkpoint in
``logdir``, else initialized), and as the chief runs the standard services on threads under
one ``Coordinator``: summaries every ``save_summaries_secs``, a steps-per-second summary, and
a checkpoint every ``save_model_secs``; queue runners start with them.
``managed_session()`` stops the services and closes the session on the way out, and passes
an exception from the block to the coordinator, which raises it again on ``stop()`` (an
``OutOfRangeError`` ends the loop quietly).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import Any, Callable, Iterator, Optional, Sequence

from .. import errors, logging
from ..framework import get_default_graph
from ..summary_pb2 import SessionLog, Summary
from ..variables import GraphKeys
from .coordinator import Coordinator, LooperThread
from .monitored_session import USE_DEFAULT as _USE_DEFAULT
from .session_manager import SessionManager

__all__ = ["Supervisor", "basic_train_loop"]



def _first_in(graph: Any, key: str) -> Any:
    items = graph.get_collection(key)
    return items[0] if items else None


class Supervisor:
    """TF 1's ``tf.train.Supervisor`` (see the module docstring)."""

    USE_DEFAULT = _USE_DEFAULT

    def __init__(self, graph: Any = None, ready_op: Any = _USE_DEFAULT,
                 ready_for_local_init_op: Any = _USE_DEFAULT, is_chief: bool = True,
                 init_op: Any = _USE_DEFAULT, init_feed_dict: Any = None,
                 local_init_op: Any = _USE_DEFAULT, logdir: Optional[str] = None,
                 summary_op: Any = _USE_DEFAULT, saver: Any = _USE_DEFAULT,
                 global_step: Any = _USE_DEFAULT, save_summaries_secs: float = 120,
                 save_model_secs: float = 600, recovery_wait_secs: float = 30,
                 stop_grace_secs: float = 120, checkpoint_basename: str = "model.ckpt",
                 session_manager: Any = None, summary_writer: Any = _USE_DEFAULT,
                 init_fn: Optional[Callable[[Any], Any]] = None,
                 local_init_run_options: Any = None) -> None:
        from .. import control_flow_ops, summary, variables
        from .monitored_session import report_uninitialized_variables, tables_initializer
        from .optimizer import get_global_step
        from .saver import Saver
        graph = graph if graph is not None else get_default_graph()
        with graph.as_default():
            if ready_op is _USE_DEFAULT:
                ready_op = _first_in(graph, GraphKeys.READY_OP)
                if ready_op is None:
                    ready_op = report_uninitialized_variables()
                    graph.add_to_collection(GraphKeys.READY_OP, ready_op)
            if ready_for_local_init_op is _USE_DEFAULT:
                ready_for_local_init_op = _first_in(graph, GraphKeys.READY_FOR_LOCAL_INIT_OP)
                if ready_for_local_init_op is None:
                    ready_for_local_init_op = report_uninitialized_variables(
                        variables.global_variables())
                    graph.add_to_collection(GraphKeys.READY_FOR_LOCAL_INIT_OP,
                                            ready_for_local_init_op)
            if init_op is _USE_DEFAULT:
                init_op = _first_in(graph, GraphKeys.INIT_OP)
                if init_op is None:
                    init_op = variables.global_variables_initializer()
                    graph.add_to_collection(GraphKeys.INIT_OP, init_op)
            if local_init_op is _USE_DEFAULT:
                local_init_op = _first_in(graph, GraphKeys.LOCAL_INIT_OP)
                if local_init_op is None:
                    local_init_op = control_flow_ops.group(
                        variables.local_variables_initializer(), tables_initializer())
                    graph.add_to_collection(GraphKeys.LOCAL_INIT_OP, local_init_op)
            if saver is _USE_DEFAULT:
                saver = _first_in(graph, GraphKeys.SAVERS)
                if saver is None and variables.global_variables():
                    saver = Saver()
                    graph.add_to_collection(GraphKeys.SAVERS, saver)
            if summary_op is _USE_DEFAULT:
                summary_op = _first_in(graph, GraphKeys.SUMMARY_OP)
                if summary_op is None:
                    summary_op = summary.merge_all()
                    if summary_op is not None:
                        graph.add_to_collection(GraphKeys.SUMMARY_OP, summary_op)
            if global_step is _USE_DEFAULT:
                global_step = get_global_step(graph)
        self._graph = graph
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._local_init_op = local_init_op
        self._saver = saver
        self._summary_op = summary_op
        self._global_step = global_step
        self._is_chief = is_chief
        self._coord = Coordinator()
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_fn = init_fn
        # Only a chief writes checkpoints and events.
        self._logdir: Optional[str] = None
        self._save_summaries_secs: Optional[float] = None
        self._save_model_secs: Optional[float] = None
        self._save_path: Optional[str] = None
        self._summary_writer: Any = None
        self._graph_added_to_summary = False
        if is_chief:
            self._logdir = logdir
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            if logdir:
                self._save_path = os.path.join(logdir, checkpoint_basename)
            if summary_writer is _USE_DEFAULT:
                if logdir:
                    self._summary_writer = summary.FileWriter(logdir)
            else:
                self._summary_writer = summary_writer
        self._session_manager = session_manager if session_manager is not None else \
            SessionManager(local_init_op=local_init_op, ready_op=ready_op,
                           ready_for_local_init_op=ready_for_local_init_op, graph=graph,
                           recovery_wait_secs=recovery_wait_secs,
                           local_init_run_options=local_init_run_options)
        if not is_chief and logdir:
            raise ValueError("Only the chief supervisor can write to logdir")
        # The graph is not allowed to change anymore.
        graph.finalize()

    # ----- properties -----
    @property
    def is_chief(self) -> bool:
        return self._is_chief

    @property
    def session_manager(self) -> SessionManager:
        return self._session_manager

    @property
    def coord(self) -> Coordinator:
        return self._coord

    @property
    def init_op(self) -> Any:
        return self._init_op

    @property
    def init_feed_dict(self) -> Any:
        return self._init_feed_dict

    @property
    def ready_op(self) -> Any:
        return self._ready_op

    @property
    def ready_for_local_init_op(self) -> Any:
        return self._ready_for_local_init_op

    @property
    def summary_writer(self) -> Any:
        return self._summary_writer

    @property
    def summary_op(self) -> Any:
        return self._summary_op

    @property
    def save_summaries_secs(self) -> Optional[float]:
        return self._save_summaries_secs

    @property
    def global_step(self) -> Any:
        return self._global_step

    @property
    def saver(self) -> Any:
        return self._saver

    @property
    def save_model_secs(self) -> Optional[float]:
        return self._save_model_secs

    @property
    def save_path(self) -> Optional[str]:
        return self._save_path

    # ----- sessions and services -----
    def _current_step(self, sess: Any) -> Optional[int]:
        if self._global_step is None:
            return None
        from .optimizer import global_step
        return global_step(sess, self._global_step)

    def _write_graph(self) -> None:
        if self._is_chief and self._logdir:
            from ..event_file import write_graph
            write_graph(self._graph.as_graph_def(add_shapes=True), self._logdir,
                        "graph.pbtxt")
        if self._summary_writer and not self._graph_added_to_summary:
            self._summary_writer.add_graph(self._graph)
            self._graph_added_to_summary = True

    def prepare_or_wait_for_session(self, master: str = "", config: Any = None,
                                    wait_for_checkpoint: bool = False,
                                    max_wait_secs: float = 7200,
                                    start_standard_services: bool = True) -> Any:
        """A session with the model ready: the chief restores or initializes it and starts
        the standard services; another worker waits for the chief's."""
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver,
                checkpoint_dir=self._logdir, wait_for_checkpoint=wait_for_checkpoint,
                max_wait_secs=max_wait_secs, config=config,
                init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            self._write_graph()
            if start_standard_services:
                logging.info("Starting standard services.")
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config,
                                                          max_wait_secs=max_wait_secs)
        if start_standard_services:
            logging.info("Starting queue runners.")
            self.start_queue_runners(sess)
        return sess

    def start_standard_services(self, sess: Any) -> list[threading.Thread]:
        """Starts the summary, step-counter and checkpoint threads (those that have what
        they need: a logdir, a summary op, a global step, a saver)."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. Because "
                               "only chief supervisors can write events.")
        if not self._logdir:
            logging.warning("Standard services need a 'logdir' passed to the SessionManager")
            return []
        if self._global_step is not None and self._summary_writer:
            self._summary_writer.add_session_log(SessionLog(status=SessionLog.START),
                                                 self._current_step(sess))
        threads: list[threading.Thread] = []
        if self._save_summaries_secs and self._summary_writer:
            if self._summary_op is not None:
                threads.append(LooperThread(self._coord, self._save_summaries_secs,
                                            target=lambda: self._write_summaries(sess)))
            if self._global_step is not None:
                threads.append(self._step_counter(sess))
        if self._saver and self._save_model_secs:
            threads.append(LooperThread(self._coord, self._save_model_secs,
                                        target=lambda: self._checkpoint(sess)))
        for t in threads:
            t.start()
        return threads

    def _write_summaries(self, sess: Any) -> None:
        if self._coord.should_stop():
            return
        summary = sess.run(self._summary_op)
        if self._summary_writer:
            self._summary_writer.add_summary(summary, self._current_step(sess))

    def _step_counter(self, sess: Any) -> threading.Thread:
        """Writes ``global_step/sec`` every ``save_summaries_secs``."""
        state = {"step": self._current_step(sess) or 0, "time": time.time()}
        tag = f"{self._global_step.op.name}/sec" if hasattr(self._global_step, "op") \
            else "global_step/sec"

        def count() -> None:
            now = time.time()
            step = self._current_step(sess) or 0
            elapsed = now - state["time"]
            if elapsed > 0 and step > state["step"]:
                rate = (step - state["step"]) / elapsed
                self._summary_writer.add_summary(
                    Summary(value=[Summary.Value(tag=tag, simple_value=rate)]), step)
            state["step"], state["time"] = step, now

        return LooperThread(self._coord, self._save_summaries_secs, target=count)

    def _checkpoint(self, sess: Any) -> None:
        if self._coord.should_stop():
            return
        logging.info("Saving checkpoint to path %s", self._save_path)
        self._saver.save(sess, self._save_path, global_step=self._global_step)
        if self._summary_writer and self._global_step is not None:
            self._summary_writer.add_session_log(
                SessionLog(status=SessionLog.CHECKPOINT, checkpoint_path=self._save_path),
                self._current_step(sess))

    def start_queue_runners(self, sess: Any,
                            queue_runners: Optional[Sequence[Any]] = None) -> list[Any]:
        """The threads of the graph's queue runners (or ``queue_runners``), started under
        the supervisor's coordinator."""
        if queue_runners is None:
            queue_runners = self._graph.get_collection(GraphKeys.QUEUE_RUNNERS)
        threads: list[Any] = []
        for qr in queue_runners:
            threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True,
                                             start=True))
        return threads

    def loop(self, timer_interval_secs: Optional[float], target: Callable[..., Any],
             args: Optional[Sequence[Any]] = None,
             kwargs: Optional[dict[str, Any]] = None) -> threading.Thread:
        """A started thread calling ``target(*args, **kwargs)`` now and then every
        ``timer_interval_secs`` (back to back when None) until the supervisor stops."""
        return LooperThread.loop(self._coord, timer_interval_secs, target, args=args,
                                 kwargs=kwargs)

    def stop(self, threads: Optional[Sequence[threading.Thread]] = None,
             close_summary_writer: bool = True, ignore_live_threads: bool = False) -> None:
        """Stops the services and waits for their threads; an exception a thread (or the
        managed block) reported is raised again here."""
        self._coord.request_stop()
        try:
            self._coord.join(threads, stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(SessionLog(status=SessionLog.STOP))
                self._summary_writer.close()
                self._graph_added_to_summary = False

    def request_stop(self, ex: Any = None) -> None:
        self._coord.request_stop(ex)

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def stop_on_exception(self) -> Any:
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        self._coord.wait_for_stop()

    def summary_computed(self, sess: Any, summary: Any, global_step: Any = None) -> None:
        """Writes ``summary`` (a serialized ``Summary``) at ``global_step`` (by default
        the supervisor's global step's value)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = self._current_step(sess)
        self._summary_writer.add_summary(summary, global_step)

    @contextlib.contextmanager
    def managed_session(self, master: str = "", config: Any = None,
                        start_standard_services: bool = True,
                        close_summary_writer: bool = True) -> Iterator[Any]:
        """A prepared session for a ``with`` block; on leaving it the services stop and the
        session closes. An exception in the block goes to the coordinator and is raised
        again by ``stop()`` unless it is an ``OutOfRangeError``."""
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(
                master=master, config=config, start_standard_services=start_standard_services)
            yield sess
        except Exception as exc:  # noqa: BLE001 - handed to the coordinator, as TF does
            self.request_stop(exc)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    with contextlib.suppress(Exception):
                        sess.close()


def basic_train_loop(supervisor: Supervisor, train_step_fn: Callable[..., Any],
                     args: Optional[Sequence[Any]] = None,
                     kwargs: Optional[dict[str, Any]] = None, master: str = "") -> None:
    """Calls ``train_step_fn(sess, *args, **kwargs)`` in the supervisor's managed session
    until it should stop; an ``AbortedError`` starts a new session (TF's retry)."""
    call_args, call_kwargs = list(args or []), dict(kwargs or {})
    while True:
        try:
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *call_args, **call_kwargs)
            return
        except errors.AbortedError:
            continue
