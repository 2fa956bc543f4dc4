"""Shared plumbing for the op functions: name scopes, input conversion, op creation.

Op functions follow TF's pattern: open ``name_scope(name, DefaultName, inputs)``, convert
non-tensor inputs inside it (so a constant for input ``y`` of ``add`` is named ``add/y``), then
create the op with the scope itself as its exact name (``add``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from .constant_op import convert_to_tensor
from .dtypes import DType
from .framework import Operation, Tensor, get_default_graph, name_scope

__all__ = ["op_scope", "convert_same_type", "create_op", "create_tensor", "exact_name"]

op_scope = name_scope


def exact_name(scope: str) -> Optional[str]:
    """The op name to pass for a scope from ``op_scope``: exact, or default at the root."""
    return scope if scope else None


def convert_same_type(op_type: str, named_values: Sequence[tuple[str, Any]],
                      dtype: Optional[DType] = None,
                      first_arg: Optional[str] = None) -> list[Tensor]:
    """Converts inputs that share one type attr, in order, with TF's mismatch error.

    The first input fixes the type (unless ``dtype`` is given: by an earlier input
    ``first_arg``, or by the caller); later non-tensors are converted to it, and a later
    input of another type raises TF's ``TypeError``.
    """
    out: list[Tensor] = []
    for arg_name, value in named_values:
        if dtype is None:
            tensor = convert_to_tensor(value, name=arg_name)
            dtype, first_arg = tensor.dtype, arg_name
        else:
            try:
                tensor = convert_to_tensor(value, dtype=dtype, name=arg_name)
            except (TypeError, ValueError):
                tensor = convert_to_tensor(value, name=arg_name)
            if tensor.dtype is not dtype:
                raise type_mismatch(op_type, arg_name, tensor.dtype, dtype, first_arg)
            if first_arg is None:
                first_arg = arg_name
        out.append(tensor)
    return out


def type_mismatch(op_type: str, arg_name: str, got: DType, want: DType,
                  first_arg: Optional[str]) -> TypeError:
    """TF's error for an input whose type is not its type attribute's: fixed by an earlier
    input ``first_arg``, or given (``None``)."""
    if first_arg is None:
        return TypeError(f"Input '{arg_name}' of '{op_type}' Op has type {got.name} that "
                         f"does not match expected type of {want.name}.")
    return TypeError(f"Input '{arg_name}' of '{op_type}' Op has type {got.name} that does "
                     f"not match type {want.name} of argument '{first_arg}'.")


def convert_list_same_type(op_type: str, arg_name: str, values: Sequence[Any],
                           dtype: Optional[DType] = None) -> list[Tensor]:
    """Converts a list input (``N * T``) with TF's "don't all match" error."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if dtype is None and tensors:
        dtype = tensors[0].dtype
    converted = [convert_to_tensor(v, dtype=dtype if not isinstance(v, Tensor) else None,
                                   name=f"{arg_name}_{i}") if not isinstance(v, Tensor) else v
                 for i, v in enumerate(values)]
    kinds = [t.dtype for t in converted]
    if any(k is not kinds[0] for k in kinds):
        names = ", ".join(k.name for k in kinds)
        raise TypeError(f"Tensors in list passed to '{arg_name}' of '{op_type}' Op have types "
                        f"[{names}] that don't all match.")
    return converted


def int_tensor(value: Any, name: str, dtype: DType = _dtypes.int32) -> Tensor:
    """An index-like input (axis, shape, perm...): tensors pass, Python values → int32 Const,
    or int64 when a value does not fit int32 (as TF infers ``Tshape``/``index_type``; a
    wrapped int32 would turn a huge shape into a small one)."""
    if isinstance(value, Tensor):
        return value
    if dtype is _dtypes.int32 and _exceeds_int32(value):
        dtype = _dtypes.int64
    return convert_to_tensor(value, dtype=dtype, name=name)


def _exceeds_int32(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError, NotImplementedError):
        return False  # holds symbolic tensors (whose __array__ raises) or is not numeric
    if array.dtype.kind not in "iu" or array.size == 0:
        return False
    return bool(array.max() > np.iinfo(np.int32).max or array.min() < np.iinfo(np.int32).min)


def create_op(op_type: str, inputs: Sequence[Tensor], attrs: Optional[dict[str, Any]],
              scope: str) -> Operation:
    """Creates an op in the graph of its inputs (or the default graph) named by ``scope``."""
    graph = inputs[0].graph if inputs and not inputs[0]._is_eager else get_default_graph()
    return graph._create_op(op_type, inputs, attrs, exact_name(scope))


def create_tensor(op_type: str, inputs: Sequence[Tensor], attrs: Optional[dict[str, Any]],
                  scope: str) -> Tensor:
    return create_op(op_type, inputs, attrs, scope).outputs[0]
