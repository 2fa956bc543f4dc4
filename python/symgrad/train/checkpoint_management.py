"""Checkpoint bookkeeping outside a ``Saver`` (``tf.compat.v1.train``'s
``generate_checkpoint_state_proto``, ``update_checkpoint_state``, ``get_checkpoint_mtimes``,
``remove_checkpoint``, ``checkpoints_iterator``), on symgrad's ``<prefix>.npz`` format."""

from __future__ import annotations

import os
import time
from typing import Callable, Iterator, Optional, Sequence

from .. import logging
from .saver import _SUFFIX, CheckpointState, SaverDef, _atomic_write, latest_checkpoint

__all__ = ["generate_checkpoint_state_proto", "update_checkpoint_state",
           "get_checkpoint_mtimes", "remove_checkpoint", "checkpoints_iterator"]


def generate_checkpoint_state_proto(save_dir: str, model_checkpoint_path: str,
                                    all_model_checkpoint_paths: Optional[list[str]] = None,
                                    all_model_checkpoint_timestamps: Optional[
                                        Sequence[float]] = None,
                                    last_preserved_timestamp: Optional[float] = None
                                    ) -> CheckpointState:
    """The state listing ``model_checkpoint_path`` last; paths relative to a relative
    ``save_dir`` are made relative to it, as TF does."""
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        logging.info("%s is not in all_model_checkpoint_paths. Manually adding it.",
                     model_checkpoint_path)
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and \
            len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError("Checkpoint timestamps, if provided, must match checkpoint paths "
                         f"(got paths {paths} and timestamps "
                         f"{all_model_checkpoint_timestamps})")
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    return CheckpointState(model_checkpoint_path, paths)


def update_checkpoint_state(save_dir: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths: Optional[list[str]] = None,
                            latest_filename: Optional[str] = None,
                            all_model_checkpoint_timestamps: Optional[Sequence[float]] = None,
                            last_preserved_timestamp: Optional[float] = None) -> None:
    """Writes the directory's ``checkpoint`` file (atomically)."""
    state = generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                            all_model_checkpoint_paths,
                                            all_model_checkpoint_timestamps,
                                            last_preserved_timestamp)
    state_file = os.path.join(save_dir, latest_filename or "checkpoint")
    if state_file == state.model_checkpoint_path:
        raise RuntimeError(f"Save path '{model_checkpoint_path}' conflicts with path used for "
                           "checkpoint state.  Please use a different save path.")
    text = repr(state)
    _atomic_write(state_file, lambda f: f.write(text.encode("utf-8")))


def get_checkpoint_mtimes(checkpoint_prefixes: Sequence[str]) -> list[float]:
    """The modification times (seconds) of the checkpoints that exist."""
    mtimes = []
    for prefix in checkpoint_prefixes:
        for path in (prefix + _SUFFIX, prefix):
            if os.path.isfile(path):
                mtimes.append(os.stat(path).st_mtime_ns / 1e9)
                break
    return mtimes


def remove_checkpoint(checkpoint_prefix: str,
                      checkpoint_format_version: int = SaverDef.V2,
                      meta_graph_suffix: str = "meta") -> None:
    """Deletes the checkpoint's files (the format version does not matter here)."""
    for path in (f"{checkpoint_prefix}.{meta_graph_suffix}", checkpoint_prefix + _SUFFIX):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def checkpoints_iterator(checkpoint_dir: str, min_interval_secs: float = 0,
                         timeout: Optional[float] = None,
                         timeout_fn: Optional[Callable[[], bool]] = None
                         ) -> Iterator[str]:
    """Each new newest checkpoint of ``checkpoint_dir`` as it appears (polling every
    second); ends after ``timeout`` seconds without one, unless ``timeout_fn()`` says to
    keep waiting."""
    last: Optional[str] = None
    while True:
        found = _wait_for_new_checkpoint(checkpoint_dir, last, timeout)
        if found:
            start = time.time()
            last = found
            yield found
            pause = start + min_interval_secs - time.time()
            if pause > 0:
                time.sleep(pause)
        elif timeout_fn is None:
            logging.info("Timed-out waiting for a checkpoint (without timeout_fn).")
            return
        if timeout_fn is not None and timeout_fn():
            logging.info("Done. No new checkpoints will be generated.")
            return


def _wait_for_new_checkpoint(checkpoint_dir: str, last: Optional[str],
                             timeout: Optional[float], seconds_to_sleep: float = 1
                             ) -> Optional[str]:
    logging.info("Waiting for new checkpoint at %s", checkpoint_dir)
    stop_time = None if timeout is None else time.time() + timeout
    while True:
        path = latest_checkpoint(checkpoint_dir)
        if path is not None and path != last:
            logging.info("Found new checkpoint at %s", path)
            return path
        if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
            return None
        time.sleep(seconds_to_sleep)
