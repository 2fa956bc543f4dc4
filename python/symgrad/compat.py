"""``tf.compat``: ``symgrad.compat.v1`` is symgrad itself.

Scripts written for TF 2 often say ``tf.compat.v1.placeholder(...)``, or
``import tensorflow.compat.v1 as tf``; symgrad's top level already is the ``tf.compat.v1``
surface, so ``v1`` names the package rather than a copy of it.
"""

from __future__ import annotations

import datetime
import numbers
import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator, Union

import numpy as np

__all__ = ["v1", "as_bytes", "as_text", "as_str", "as_str_any", "path_to_str",
           "dimension_value", "dimension_at_index", "bytes_or_text_types", "integral_types",
           "real_types", "complex_types", "forward_compatible", "forward_compatibility_horizon"]

v1 = sys.modules[__package__]

bytes_or_text_types = (bytes, str)
integral_types = (numbers.Integral, np.integer)
real_types = (numbers.Real, np.integer, np.floating)
complex_types = (numbers.Complex, np.number)


def as_bytes(bytes_or_text: Union[bytes, bytearray, str], encoding: str = "utf-8") -> bytes:
    """``bytes`` as they are, ``str`` encoded; anything else is a ``TypeError``."""
    if isinstance(bytes_or_text, bytearray):
        return bytes(bytes_or_text)
    if isinstance(bytes_or_text, str):
        return bytes_or_text.encode(encoding)
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


def as_text(bytes_or_text: Union[bytes, str], encoding: str = "utf-8") -> str:
    """``str`` as it is, ``bytes`` decoded; anything else is a ``TypeError``."""
    if isinstance(bytes_or_text, str):
        return bytes_or_text
    if isinstance(bytes_or_text, bytes):
        return bytes_or_text.decode(encoding)
    raise TypeError(f"Expected binary or unicode string, got {bytes_or_text!r}")


as_str = as_text


def as_str_any(value: Any, encoding: str = "utf-8") -> str:
    """``bytes`` decoded, anything else through ``str()``."""
    if isinstance(value, bytes):
        return as_str(value, encoding=encoding)
    return str(value)


def path_to_str(path: Any) -> Any:
    """An ``os.PathLike`` as its string; anything else unchanged."""
    if isinstance(path, os.PathLike):
        return as_str_any(os.fspath(path))
    return path


def dimension_value(dimension: Any) -> Any:
    """A ``Dimension``'s value (an int or ``None``); anything else unchanged."""
    from .tensor_shape import Dimension
    if isinstance(dimension, Dimension):
        return dimension.value
    return dimension


def dimension_at_index(shape: Any, index: int) -> Any:
    """Dimension ``index`` of ``shape`` as a ``Dimension`` (unknown when the rank is)."""
    from .tensor_shape import Dimension, as_shape
    shape = as_shape(shape)
    if shape.rank is None:
        return Dimension(None)
    return shape.dims[index]


# TF 2.21's forward-compatibility date: graphs may use ops and attributes added up to it.
_HORIZON = datetime.date(2026, 1, 16)
_horizon_override: list[datetime.date] = []


def forward_compatible(year: int, month: int, day: int) -> bool:
    """Whether the compatibility horizon lies past the given date."""
    horizon = _horizon_override[-1] if _horizon_override else _HORIZON
    return horizon > datetime.date(year, month, day)


@contextmanager
def forward_compatibility_horizon(year: int, month: int, day: int) -> Iterator[None]:
    """Moves the horizon ``forward_compatible`` compares against, inside the block."""
    _horizon_override.append(datetime.date(year, month, day))
    try:
        yield
    finally:
        _horizon_override.pop()
