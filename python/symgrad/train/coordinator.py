"""``tf.train.Coordinator``: lets threads stop together and report the first exception."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any, Iterable, Iterator, Optional

from .. import errors

__all__ = ["Coordinator", "LooperThread"]


class Coordinator:
    """Threads call ``should_stop()`` in their loop and ``request_stop(ex)`` on failure; the
    main thread ``join``s them, which re-raises the first reported exception. Exceptions of
    ``clean_stop_exception_types`` (``OutOfRangeError`` by default) stop without being
    reported."""

    def __init__(self, clean_stop_exception_types: Optional[Iterable[type]] = None) -> None:
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise: Any = None
        self._joined = False
        self._registered_threads: set[threading.Thread] = set()

    def _filter_exception(self, ex: Any) -> Any:
        """The exc_info to report for ``ex`` (an exception or an exc_info triple), or None
        for a clean stop."""
        exception = ex[1] if isinstance(ex, tuple) else ex
        if isinstance(exception, self._clean_stop_exception_types):
            return None
        return ex

    def request_stop(self, ex: Any = None) -> None:
        """Asks the threads to stop; ``ex`` (an exception or exc_info) is reported by
        ``join`` unless it is a clean stop or an earlier one was."""
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined:
                if isinstance(ex, tuple):
                    _, value, tb = ex
                    raise value.with_traceback(tb)
                if ex is not None:
                    raise ex
            if ex is not None and self._exc_info_to_raise is None:
                if isinstance(ex, tuple):
                    if not isinstance(ex[1], BaseException):
                        raise ValueError(f"ex must be a tuple or sys.exc_info must return the "
                                         f"current exception: {ex}")
                    self._exc_info_to_raise = ex
                else:
                    exc_info = sys.exc_info()
                    if exc_info[1] is not ex:
                        try:
                            raise ex
                        except BaseException:  # noqa: BLE001 - records ex with a traceback
                            exc_info = sys.exc_info()
                    self._exc_info_to_raise = exc_info
            self._stop_event.set()

    def clear_stop(self) -> None:
        """Forgets the stop request and the reported exception."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            if self._stop_event.is_set():
                self._stop_event.clear()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self) -> Iterator[None]:
        """A context in which an exception requests a stop (and is reported) instead of
        propagating."""
        try:
            yield
        except:  # noqa: E722 - as TF, every exception stops the coordinator
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout: Optional[float] = None) -> bool:
        """Waits until a stop is requested; whether one was."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        """Makes ``join`` wait for ``thread`` too."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads: Optional[Iterable[threading.Thread]] = None,
             stop_grace_period_secs: float = 120, ignore_live_threads: bool = False) -> None:
        """Waits for the threads (and the registered ones) to end after a stop request;
        ``RuntimeError`` if some are still running ``stop_grace_period_secs`` after it, then
        re-raises the first reported exception."""
        with self._lock:
            threads = set(self._registered_threads) | set(threads or [])
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.time() + stop_grace_period_secs
        for t in threads:
            remaining = deadline - time.time()
            if remaining <= 0:
                break
            t.join(remaining)
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                _, value, tb = self._exc_info_to_raise
                raise value.with_traceback(tb)
        if stragglers and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: "
                               f"{' '.join(stragglers)}")

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self) -> None:
        """Raises the reported exception, if any."""
        with self._lock:
            if self._exc_info_to_raise:
                _, value, tb = self._exc_info_to_raise
                raise value.with_traceback(tb)


class LooperThread(threading.Thread):
    """A daemon thread that calls ``run_loop()`` (by default ``target(*args, **kwargs)``) at
    once and then every ``timer_interval_secs`` seconds (back to back when None) until the
    coordinator stops, with ``start_loop()``/``stop_loop()`` around the loop; an exception
    is reported to the coordinator (TF's ``tf.train.LooperThread``)."""

    def __init__(self, coord: Coordinator, timer_interval_secs: Optional[float],
                 target: Any = None, args: Any = None, kwargs: Any = None) -> None:
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__(daemon=True)
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if target:
            self._args, self._kwargs = tuple(args or ()), dict(kwargs or {})
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass "
                             "'target'")
        coord.register_thread(self)

    @staticmethod
    def loop(coord: Coordinator, timer_interval_secs: Optional[float], target: Any,
             args: Any = None, kwargs: Any = None) -> "LooperThread":
        """A started ``LooperThread`` calling ``target``."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args,
                              kwargs=kwargs)
        looper.start()
        return looper

    def run(self) -> None:
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(max(next_time - time.time(), 0.0)):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        """Called once before the loop (override to set up)."""

    def stop_loop(self) -> None:
        """Called once after the loop (override to clean up)."""

    def run_loop(self) -> None:
        """One step: ``target(*args, **kwargs)`` when a target was given."""
        if self._target:
            self._target(*self._args, **self._kwargs)
