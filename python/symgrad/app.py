"""``tf.app`` (``tf.compat.v1.app``): ``app.flags`` and ``app.run``.

As TF's ``tf.app.flags``, ``app.flags`` holds every name of ``absl.flags`` when absl-py is
installed (so flags defined through absl and through ``tf.app.flags`` share one registry), and
of ``symgrad.flags`` otherwise; its ``FLAGS`` parses ``sys.argv`` on the first read of a flag,
as TF's wrapper does, where plain absl would raise ``UnparsedFlagAccessError``.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any, Callable, NoReturn, Optional, Sequence

__all__ = ["flags", "run"]


def _base_flags() -> ModuleType:
    try:
        # absl-py is optional: symgrad never depends on it.
        absl_flags = importlib.import_module("absl.flags")
    except ImportError:
        from . import _flags as own_flags
        return own_flags
    return absl_flags


class _FlagValuesWrapper:
    """TF's ``_FlagValuesWrapper``: the flag registry, parsed from ``sys.argv`` on first read."""

    def __init__(self, wrapped: Any) -> None:
        self.__dict__["__wrapped"] = wrapped

    def __getattribute__(self, name: str) -> Any:
        if name == "__dict__":
            return super().__getattribute__(name)
        return self.__dict__["__wrapped"].__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        wrapped = self.__dict__["__wrapped"]
        if not wrapped.is_parsed():
            wrapped(sys.argv)
        return wrapped.__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__["__wrapped"].__setattr__(name, value)

    def __getitem__(self, name: str) -> Any:
        return self.__dict__["__wrapped"][name]

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__["__wrapped"]

    def __iter__(self) -> Any:
        return iter(self.__dict__["__wrapped"])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["__wrapped"](*args, **kwargs)


def _tf_flags_module(base: ModuleType) -> ModuleType:
    module = ModuleType("symgrad.app.flags", base.__doc__)
    for name in dir(base):
        if not name.startswith("_"):
            setattr(module, name, getattr(base, name))
    module.FLAGS = _FlagValuesWrapper(base.FLAGS)  # type: ignore[attr-defined]
    return module


flags = _tf_flags_module(_base_flags())


def run(main: Optional[Callable[[list[str]], Any]] = None,
        argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Parses the known flags of ``argv`` (default ``sys.argv``), then exits with
    ``main(remaining_argv)`` (default: the ``main`` of ``__main__``), as TF's ``app.run``."""
    main = main or sys.modules["__main__"].main
    remaining = flags.FLAGS(list(sys.argv if argv is None else argv), known_only=True)
    sys.exit(main(remaining))
