"""Element types (``tf.dtypes``): the twelve dtypes symgrad supports, as ``DType`` singletons."""

from __future__ import annotations

import builtins
from typing import Any, Union

import numpy as np

__all__ = [
    "DType", "as_dtype", "float16", "half", "float32", "float64", "double", "int8", "int16",
    "int32", "int64", "uint8", "bool", "string", "complex64", "complex128",
]


class DType:
    """One element type. Use the module singletons (``float32``...) or ``as_dtype``."""

    __slots__ = ("_name", "_np_type", "_enum")

    def __init__(self, name: str, np_type: type, enum: int) -> None:
        self._name = name
        self._np_type = np_type
        self._enum = enum

    @property
    def name(self) -> str:
        return self._name

    @property
    def as_numpy_dtype(self) -> type:
        return self._np_type

    @property
    def as_datatype_enum(self) -> int:
        return self._enum

    @property
    def base_dtype(self) -> "DType":
        return self  # symgrad has no reference dtypes

    @property
    def real_dtype(self) -> "DType":
        """The type of a complex type's parts (``float32`` for ``complex64``)."""
        return {"complex64": float32, "complex128": float64}.get(self._name, self)

    @property
    def is_floating(self) -> builtins.bool:
        return issubclass(self._np_type, np.floating)

    @property
    def is_integer(self) -> builtins.bool:
        return issubclass(self._np_type, np.integer)

    @property
    def is_bool(self) -> builtins.bool:
        return self._np_type is np.bool_

    @property
    def is_complex(self) -> builtins.bool:
        return issubclass(self._np_type, np.complexfloating)

    @property
    def is_quantized(self) -> builtins.bool:
        return False

    @property
    def is_unsigned(self) -> builtins.bool:
        return issubclass(self._np_type, np.unsignedinteger)

    @property
    def is_numpy_compatible(self) -> builtins.bool:
        return True

    @property
    def _is_string(self) -> builtins.bool:
        return self._np_type is object

    @property
    def size(self) -> int:
        if self._is_string:
            return 0  # as TF: a string element has no fixed size
        return int(np.dtype(self._np_type).itemsize)

    @property
    def min(self) -> Any:
        if self.is_floating:
            return np.finfo(self._np_type).min
        if self.is_integer:
            return int(np.iinfo(self._np_type).min)
        raise TypeError(f"Cannot find minimum value of {self} with type {self}.")

    @property
    def max(self) -> Any:
        if self.is_floating:
            return np.finfo(self._np_type).max
        if self.is_integer:
            return int(np.iinfo(self._np_type).max)
        raise TypeError(f"Cannot find maximum value of {self} with type {self}.")

    @property
    def limits(self) -> tuple[Any, Any]:
        if self.is_bool:
            return (False, True)
        return (self.min, self.max)

    def is_compatible_with(self, other: Any) -> builtins.bool:
        return self.__eq__(other)

    def __eq__(self, other: Any) -> builtins.bool:
        if isinstance(other, DType):
            return self is other
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other: Any) -> builtins.bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        # TF prints ``tf.float32``; programs that print dtypes read the same.
        return f"tf.{self._name}"

    def __str__(self) -> str:
        return f"<dtype: '{self._name}'>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (as_dtype, (self._name,))


float16 = DType("float16", np.float16, 19)
half = float16
float32 = DType("float32", np.float32, 1)
float64 = DType("float64", np.float64, 2)
double = float64
int32 = DType("int32", np.int32, 3)
uint8 = DType("uint8", np.uint8, 4)
int16 = DType("int16", np.int16, 5)
int8 = DType("int8", np.int8, 6)
int64 = DType("int64", np.int64, 9)
bool = DType("bool", np.bool_, 10)  # noqa: A001 - TF's public name shadows the builtin
complex64 = DType("complex64", np.complex64, 8)
complex128 = DType("complex128", np.complex128, 18)
# As TF: string tensors are fetched as numpy object arrays of ``bytes``.
string = DType("string", object, 7)

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool, string, complex64,
        complex128)

_BY_NAME: dict[str, DType] = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16})
_BY_ENUM: dict[int, DType] = {d.as_datatype_enum: d for d in _ALL}
_BY_NUMPY: dict[np.dtype[Any], DType] = {np.dtype(d.as_numpy_dtype): d for d in _ALL}

# TF dtypes symgrad does not implement: named in the error so the reason is clear.
_UNSUPPORTED_NAMES = frozenset({
    "bfloat16", "uint16", "uint32",
    "uint64", "qint8", "quint8", "qint16", "quint16", "qint32", "resource", "variant",
})

DTypeLike = Union[DType, str, type, np.dtype, int, None]


def _cannot_convert(value: Any, why: str = "") -> TypeError:
    return TypeError(
        f"Cannot convert the argument `type_value`: {value!r} to a TensorFlow DType.{why}")


def as_dtype(type_value: Any) -> DType:
    """Converts a DType, a numpy dtype or type, a TF type name or a Python type to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        found = _BY_NAME.get(type_value)
        if found is not None:
            return found
        if type_value in _UNSUPPORTED_NAMES:
            raise _cannot_convert(type_value, f" ({type_value} is not supported by symgrad)")
        raise _cannot_convert(type_value)
    # Python's own types: float and bool map as in TF; int is rejected, as TF rejects it.
    if type_value is float:
        return float32
    if type_value is builtins.bool:
        return bool
    if type_value is complex:
        return complex128
    if isinstance(type_value, int) and not isinstance(type_value, builtins.bool):
        found = _BY_ENUM.get(type_value)
        if found is not None:
            return found
        raise _cannot_convert(type_value)
    try:
        np_dtype = np.dtype(type_value)
    except TypeError:
        raise _cannot_convert(type_value) from None
    if type_value is int:
        raise _cannot_convert(type_value)
    if np_dtype.kind in "OSU":
        return string
    found = _BY_NUMPY.get(np_dtype)
    if found is not None:
        return found
    raise _cannot_convert(type_value, f" ({np_dtype.name} is not supported by symgrad)")
