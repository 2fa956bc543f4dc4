"""Constants and conversion of Python/numpy values to tensors (TF's rules)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from .dtypes import DType
from .framework import Operation, Tensor, _registered_conversion, get_default_graph

__all__ = ["constant", "convert_to_tensor", "convert_to_tensor_or_indexed_slices"]

_INT32 = np.iinfo(np.int32)
_INT64 = np.iinfo(np.int64)


def _flatten_python(value: Any, out: list[Any]) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            _flatten_python(item, out)
    else:
        out.append(value)


def _contains_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v) for v in value)
    return False


def _python_kind(v: Any) -> str:
    """'bool', 'int', 'float', 'string' or 'other' for one Python/numpy scalar."""
    if isinstance(v, (str, bytes)):
        return "string"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, np.integer)):
        return "int"
    if isinstance(v, (float, np.floating)):
        return "float"
    if isinstance(v, (complex, np.complexfloating)):
        return "complex"
    return "other"


def _infer_python_dtype(elements: list[Any], value: Any) -> DType:
    kinds = {_python_kind(v) for v in elements}
    if kinds == {"string"}:
        return _dtypes.string
    if "other" in kinds or "string" in kinds:
        bad = next((v for v in elements if _python_kind(v) == "other"), None)
        if bad is None and "other" in kinds:
            raise ValueError("None values not supported.")
        raise TypeError(
            f"Failed to convert elements of {value!r} to Tensor. Consider casting elements "
            "to a supported type. symgrad supports float16, float32, float64, complex64, "
            "complex128, int8, int16, int32, int64, uint8, bool and string.")
    if "complex" in kinds:
        return _dtypes.complex128
    if not kinds or "float" in kinds:
        return _dtypes.float32
    if "int" in kinds:
        ints = [int(v) for v in elements]
        if all(_INT32.min <= i <= _INT32.max for i in ints):
            return _dtypes.int32
        if all(_INT64.min <= i <= _INT64.max for i in ints):
            return _dtypes.int64
        raise ValueError(f"Can't convert Python int {value!r} to a symgrad integer type: "
                         "it is out of the int64 range.")
    return _dtypes.bool


def _check_python_elements(elements: list[Any], dtype: DType) -> None:
    """TF refuses Python floats for integer/bool tensors and non-bools for bool tensors."""
    for v in elements:
        kind = _python_kind(v)
        if v is None:
            raise ValueError("None values not supported.")
        ok = (kind in ("bool", "int", "float", "complex") if dtype.is_complex
              else kind in ("bool", "int", "float") if dtype.is_floating
              else kind in ("bool", "int") if dtype.is_integer
              else kind == "string" if dtype._is_string
              else kind == "bool")
        if not ok:
            shown = v if kind == "string" else repr(v)
            raise TypeError(
                f"Expected {dtype.name}, but got {shown} of type '{type(v).__name__}'.")


def to_numpy(value: Any, dtype: Optional[DType] = None) -> np.ndarray:
    """Converts a Python or numpy value to an ndarray of a supported dtype (TF's rules)."""
    if value is None:
        raise ValueError("None values not supported.")
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if dtype is not None:
            return array.astype(dtype.as_numpy_dtype)
        try:
            _dtypes.as_dtype(array.dtype)
        except TypeError:
            raise TypeError(
                f"Failed to convert elements of {value!r} to Tensor: numpy dtype "
                f"{array.dtype} is not supported by symgrad.") from None
        return array
    elements: list[Any] = []
    _flatten_python(value, elements)
    if any(isinstance(v, np.ndarray) for v in elements):
        # Lists of arrays convert as numpy does, keeping the arrays' dtype (as TF).
        return to_numpy(np.asarray(value), dtype)
    if dtype is None:
        dtype = _infer_python_dtype(elements, value)
    else:
        _check_python_elements(elements, dtype)
    if dtype._is_string:
        return _string_array(value)
    if dtype.is_integer:
        # Python ints wrap to the requested width, as TF does.
        wide = np.array(value, dtype=np.int64 if elements else np.int32)
        return wide.astype(dtype.as_numpy_dtype)
    return np.array(value, dtype=dtype.as_numpy_dtype)


def _string_array(value: Any) -> np.ndarray:
    """Nested lists of str/bytes as an object array of ``bytes`` (str as UTF-8, as TF)."""
    def encode(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [encode(item) for item in v]
        return v.encode("utf-8") if isinstance(v, str) else bytes(v)
    encoded = encode(value)
    # np.array would make fixed-width 'S' arrays and strip trailing NULs: fill an object
    # array of the nest's shape instead.
    shape = np.shape(np.array(encoded, dtype=object))
    array = np.empty(shape, dtype=object)
    flat: list[Any] = []
    _flatten_python(encoded, flat)
    array.reshape(-1)[:] = flat if flat else []
    return array


# Python scalars converted before, by (type, value, dtype): eager code converts the same
# few scalars (0.5, axes, 1) at every op. The arrays are never written to.
_SCALAR_ARRAYS: dict[tuple[Any, Any, Optional[DType]], np.ndarray] = {}


def _scalar_array(value: Any, target: Optional[DType]) -> np.ndarray:
    kind = type(value)
    # Zeros are left out: 0.0 == -0.0 would share an entry.
    if kind not in (float, int, bool) or not value:
        return to_numpy(value, target)
    key = (kind, value, target)
    array = _SCALAR_ARRAYS.get(key)
    if array is None:
        array = to_numpy(value, target)
        if len(_SCALAR_ARRAYS) >= 4096:
            _SCALAR_ARRAYS.clear()
        _SCALAR_ARRAYS[key] = array
    return array


def _reshape_for_constant(array: np.ndarray, shape: Any) -> np.ndarray:
    """TF1's ``constant(value, shape=...)``: same size, a scalar broadcast, or padding."""
    target = [int(d) for d in shape]
    want = int(np.prod(target, dtype=np.int64))
    have = array.size
    if have == want:
        return array.reshape(target)
    if have == 1:
        return np.full(target, array.reshape(()), dtype=array.dtype)
    if have > want:
        raise ValueError(f"Too many elements provided. Takes at most {want}, but got {have}.")
    if have == 0:
        raise ValueError(f"Expected {want} elements but got an empty value.")
    # Fewer values than the shape holds: TF fills the rest with the last value.
    flat = np.concatenate([array.reshape(-1), np.repeat(array.reshape(-1)[-1:], want - have)])
    return flat.reshape(target)


def _without_dimensions(value: Any) -> Any:
    """``value`` with each ``tensor_shape.Dimension`` (TF 1 shapes' items) as its int."""
    from .tensor_shape import Dimension
    if isinstance(value, Dimension):
        if value.value is None:
            raise TypeError(f"Failed to convert elements of {value} to Tensor. Consider "
                            "casting elements to a supported type. See "
                            "https://www.tensorflow.org/api_docs/python/tf/dtypes for "
                            "supported TF dtypes.")
        return value.value
    if isinstance(value, (list, tuple)) and any(
            isinstance(v, (Dimension, list, tuple)) for v in value):
        return type(value)(_without_dimensions(v) for v in value) \
            if not hasattr(value, "_fields") else type(value)(
                *(_without_dimensions(v) for v in value))
    return value


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str = "Const",
             verify_shape: bool = False) -> Tensor:
    """A ``Const`` op holding ``value`` (TF1 signature)."""
    target = _dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(value, Tensor):
        raise TypeError(f"Expected a constant value, got the symbolic tensor {value}")
    value = _without_dimensions(value)
    array = _scalar_array(value, target) if shape is None else to_numpy(value, target)
    if shape is not None:
        if verify_shape and tuple(array.shape) != tuple(shape):
            raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, but got {array.shape}.")
        array = _reshape_for_constant(array, shape)
    return _const_from_array(array, name)


def _const_from_array(array: np.ndarray, name: Optional[str]) -> Tensor:
    graph = get_default_graph()
    dtype = _dtypes.as_dtype(array.dtype)
    # (np.ascontiguousarray would turn a 0-d array into a 1-d one.)
    contiguous = array if array.flags.c_contiguous else array.copy(order="C")
    op = graph._create_op("Const", [], {"value": contiguous, "dtype": dtype.name}, name)
    return op.outputs[0]


def convert_to_tensor(value: Any, dtype: Any = None, name: Optional[str] = None,
                      preferred_dtype: Any = None, dtype_hint: Any = None) -> Tensor:
    """Converts Tensors, Python values and numpy arrays to a Tensor (TF's rules)."""
    target = _dtypes.as_dtype(dtype) if dtype is not None else None
    preferred = preferred_dtype if preferred_dtype is not None else dtype_hint
    if isinstance(value, Tensor):
        if target is not None and value.dtype is not target:
            raise ValueError(
                f"Tensor conversion requested dtype {target.name} for Tensor with dtype "
                f"{value.dtype.name}: {value!r}")
        return value
    if isinstance(value, Operation):
        raise TypeError(f"can't convert Operation {value.name!r} to Tensor")
    if value is None:
        raise ValueError("None values not supported.")
    hook = _registered_conversion(value)
    if hook is not None:
        converted = hook(value, dtype=target, name=name, as_ref=False)
        if converted is not NotImplemented:
            return convert_to_tensor(converted, dtype=target, name=name)
    if type(value).__name__ == "IndexedSlices":
        from .indexed_slices import _indexed_slices_to_tensor
        return _indexed_slices_to_tensor(value, target, name)
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        from .array_ops import _autopack
        return _autopack(value, target, name or "packed")
    if target is None and preferred is not None:
        try:
            return constant(value, dtype=preferred, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype=target, name=name or "Const")


def convert_to_tensor_or_indexed_slices(value: Any, dtype: Any = None,
                                        name: Optional[str] = None) -> Any:
    if type(value).__name__ == "IndexedSlices":
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_n_to_tensor(values: Any, dtype: Any = None, name: Optional[str] = None) -> list[Tensor]:
    return [convert_to_tensor(v, dtype=dtype, name=None if name is None else f"{name}_{i}")
            for i, v in enumerate(values)]


__all__ += ["convert_n_to_tensor", "to_numpy"]
