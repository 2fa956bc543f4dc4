"""``tf.compat.v1.logging``: TF 1's logging calls, on a standard-library logger.

The levels are the standard library's (``INFO`` is 20, as in TF), and messages go to the
``"symgrad"`` logger, which a program can configure like any other.
"""

from __future__ import annotations

import logging as _logging
import sys
from typing import Any

__all__ = [
    "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "set_verbosity", "get_verbosity", "debug", "info",
    "warn", "warning", "error", "fatal", "log", "log_first_n", "log_every_n", "log_if",
    "vlog", "flush", "TaskLevelStatusMessage", "get_logger",
]

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_logger = _logging.getLogger("symgrad")
_handler_checked = False


def _get_logger() -> _logging.Logger:
    """The logger, with a stderr handler added on first use when the program configured none.

    TF does the same for its "tensorflow" logger, so `tf.logging.info(...)` after
    `set_verbosity(INFO)` prints without any set-up; a program that configured logging keeps
    its own handlers.
    """
    global _handler_checked
    if not _handler_checked:
        _handler_checked = True
        if not _logging.getLogger().handlers and not _logger.handlers:
            handler = _logging.StreamHandler(sys.stderr)
            handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
            _logger.addHandler(handler)
    return _logger
_counts: dict[tuple[str, int, int], int] = {}  # (file, line, level) -> calls so far


def set_verbosity(v: int) -> None:
    _get_logger().setLevel(v)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().log(level, msg, *args, **kwargs)


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().debug(msg, *args, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().info(msg, *args, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().warning(msg, *args, **kwargs)


warn = warning


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().error(msg, *args, **kwargs)


def fatal(msg: Any, *args: Any, **kwargs: Any) -> None:
    _get_logger().critical(msg, *args, **kwargs)


def log_if(level: int, msg: Any, condition: Any, *args: Any) -> None:
    if condition:
        _get_logger().log(level, msg, *args)


def _call_count(level: int) -> int:
    """How many times the calling line has logged at `level` before (its call site)."""
    frame = sys._getframe(2)
    key = (frame.f_code.co_filename, frame.f_lineno, level)
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    return count


def log_every_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs on the 1st, (n+1)th, (2n+1)th, ... call from the same line, as TF does."""
    if _call_count(level) % max(int(n), 1) == 0:
        _get_logger().log(level, msg, *args)


def log_first_n(level: int, msg: Any, n: int, *args: Any) -> None:
    """Logs only the first `n` calls from the same line."""
    if _call_count(level) < n:
        _get_logger().log(level, msg, *args)


def vlog(level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
    """``log`` under TF's verbose-logging name."""
    _get_logger().log(level, msg, *args, **kwargs)


def flush() -> None:
    for handler in _get_logger().handlers:
        handler.flush()


def TaskLevelStatusMessage(msg: Any) -> None:  # noqa: N802 - TF's name
    """A status line, logged at ``ERROR`` as TF does."""
    error(msg)


def get_logger() -> _logging.Logger:
    """The logger symgrad's messages go to (``tf.get_logger``), ready to configure."""
    return _get_logger()
