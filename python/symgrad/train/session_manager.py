"""``tf.compat.v1.train.SessionManager``: creates a session and makes its model ready, by
restoring a checkpoint or running init ops, and checks readiness with a ready op."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

import numpy as np

from .. import errors, logging
from ..framework import get_default_graph
from .saver import get_checkpoint_state

__all__ = ["SessionManager"]


def _ready(op: Any, sess: Any, what: str) -> tuple[bool, Optional[str]]:
    """(ready, message): ready when ``op`` reports no uninitialized variable names."""
    if op is None:
        return True, None
    try:
        value = sess.run(op)
    except errors.FailedPreconditionError as exc:
        if "uninitialized" not in str(exc):
            logging.warning("%s : error [%s]", what, str(exc))
            raise
        return False, str(exc)
    value = None if value is None else np.asarray(value)
    if value is None or value.dtype == np.int32 or value.size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v)
                      for v in value.ravel())
    return False, "Variables not initialized: " + names


def _op_name(op: Any) -> Any:
    return op.name if op is not None and hasattr(op, "name") else op


class SessionManager:
    """Makes sessions whose model is ready: restored, or initialized, then local-initialized
    and checked with ``ready_op``."""

    def __init__(self, local_init_op: Any = None, ready_op: Any = None,
                 ready_for_local_init_op: Any = None, graph: Any = None,
                 recovery_wait_secs: float = 30, local_init_run_options: Any = None,
                 local_init_feed_dict: Any = None) -> None:
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError("If you pass a ready_for_local_init_op you must also pass a "
                             "local_init_op , ready_for_local_init_op "
                             f"[{ready_for_local_init_op}]")

    def _restore_checkpoint(self, master: str, saver: Any, checkpoint_dir: Optional[str],
                            checkpoint_filename_with_path: Optional[str],
                            wait_for_checkpoint: bool, max_wait_secs: float,
                            config: Any) -> tuple[Any, bool]:
        from ..session import Session
        sess = Session(master, graph=self._graph, config=config)
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and "
                             "checkpoint_filename_with_path.")
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            saver.restore(sess, checkpoint_filename_with_path)
            return sess, True
        assert checkpoint_dir is not None
        waited = 0.0
        state = get_checkpoint_state(checkpoint_dir)
        while state is None or not state.model_checkpoint_path:
            if not wait_for_checkpoint or waited >= max_wait_secs:
                return sess, False
            logging.info("Waiting for checkpoint to be available.")
            time.sleep(self._recovery_wait_secs)
            waited += self._recovery_wait_secs
            state = get_checkpoint_state(checkpoint_dir)
        saver.restore(sess, state.model_checkpoint_path)
        saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
        return sess, True

    def _try_run_local_init_op(self, sess: Any) -> tuple[bool, Optional[str]]:
        if self._local_init_op is None:
            return True, None
        ready, message = _ready(self._ready_for_local_init_op, sess,
                                "Model not ready for local init")
        if not ready:
            return False, message
        logging.info("Running local_init_op.")
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict,
                 options=self._local_init_run_options)
        logging.info("Done running local_init_op.")
        return True, None

    def prepare_session(self, master: str, init_op: Any = None, saver: Any = None,
                        checkpoint_dir: Optional[str] = None,
                        checkpoint_filename_with_path: Optional[str] = None,
                        wait_for_checkpoint: bool = False, max_wait_secs: float = 7200,
                        config: Any = None, init_feed_dict: Any = None,
                        init_fn: Optional[Callable[[Any], Any]] = None) -> Any:
        """A session restored from the checkpoint, else initialized with ``init_op`` and
        ``init_fn``; then the local init op runs and ``ready_op`` must report nothing."""
        sess, restored = self._restore_checkpoint(master, saver, checkpoint_dir,
                                                  checkpoint_filename_with_path,
                                                  wait_for_checkpoint, max_wait_secs, config)
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or "
                                   "local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, message = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError("Init operations did not make model ready for local_init.  "
                               f"Init op: {_op_name(init_op)}, init fn: {init_fn}, error: "
                               f"{message}")
        ok, message = _ready(self._ready_op, sess, "Model not ready")
        if not ok:
            raise RuntimeError("Init operations did not make model ready.  Init op: "
                               f"{_op_name(init_op)}, init fn: {init_fn}, local_init_op: "
                               f"{self._local_init_op}, error: {message}")
        return sess

    def recover_session(self, master: str, saver: Any = None,
                        checkpoint_dir: Optional[str] = None,
                        checkpoint_filename_with_path: Optional[str] = None,
                        wait_for_checkpoint: bool = False, max_wait_secs: float = 7200,
                        config: Any = None) -> tuple[Any, bool]:
        """``(session, True)`` when a checkpoint was restored and made the model ready, else
        ``(session, False)`` (nothing initialized beyond the local init op)."""
        sess, restored = self._restore_checkpoint(master, saver, checkpoint_dir,
                                                  checkpoint_filename_with_path,
                                                  wait_for_checkpoint, max_wait_secs, config)
        ok, message = self._try_run_local_init_op(sess)
        if not restored:
            return sess, False
        source = checkpoint_dir or checkpoint_filename_with_path
        if not ok:
            logging.info("Restoring model from %s did not make model ready for local init: %s",
                         source, message)
            return sess, False
        ok, message = _ready(self._ready_op, sess, "Model not ready")
        if not ok:
            logging.info("Restoring model from %s did not make model ready: %s", source,
                         message)
            return sess, False
        logging.info("Restored model from %s", source)
        return sess, True

    def wait_for_session(self, master: str, config: Any = None,
                         max_wait_secs: float = float("Inf")) -> Any:
        """A session once another process made the model ready; symgrad sessions share no
        variables, so this waits for ``max_wait_secs`` unless the model needs no init."""
        from ..session import Session
        start = time.time()
        while True:
            sess = Session(master, graph=self._graph, config=config)
            ok, message = self._try_run_local_init_op(sess)
            if ok:
                ok, message = _ready(self._ready_op, sess, "Session Manager")
                if ok:
                    return sess
            sess.close()
            remaining = max_wait_secs - (time.time() - start)
            if remaining < self._recovery_wait_secs:
                raise errors.DeadlineExceededError(
                    None, None, "Session was not ready after waiting %d secs." % max_wait_secs)
            logging.info("Waiting for model to be ready.  Ready_for_local_init_op:  %s, "
                         "ready: %s", message, message)
            time.sleep(self._recovery_wait_secs)
