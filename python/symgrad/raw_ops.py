"""``tf.raw_ops``: every op type symgrad builds, called by its TF name with keyword arguments
only (``tf.raw_ops.TopKV2(input=x, k=2)``), as TF's generated wrappers take them.

The argument lists are TF's (``_raw_op_defs.py``, generated from TF's op registry): inputs
by their op-def names, then the attributes TF does not infer from the inputs, then ``name``.
Inputs are converted as TF's op-def library converts them: a type attribute is fixed by
the first input that carries it (a Python value before any tensor takes the attribute's
default type, or Python's), later inputs of that attribute must match it, inputs of a fixed
type are converted to it, and a list argument's values share one type. The result is the
op for an op without outputs, the tensor for one output, the list for one list output, and
a named tuple of the outputs (named after the op) otherwise.
"""

from __future__ import annotations

import collections as _collections
import inspect as _inspect
import re as _re
from typing import Any as _Any
from typing import Callable as _Callable
from typing import Optional as _Optional

import numpy as _np

from . import dtypes as _dtypes
from ._op_helpers import convert_list_same_type as _convert_list
from ._op_helpers import convert_same_type as _convert_same_type
from ._op_helpers import create_op as _create_op
from ._op_helpers import op_scope as _op_scope
from ._op_helpers import type_mismatch as _type_mismatch
from .constant_op import convert_to_tensor as _convert
from .framework import Tensor as _Tensor
from .tensor_shape import TensorShape as _TensorShape

# Ops whose attributes are functions or Python callbacks: built by `while_loop` and
# `py_func`, not by name.
_NOT_RAW = frozenset({"While", "StatelessWhile", "PyFunc", "PyFuncStateless"})

_CACHE: dict[str, _Callable[..., _Any]] = {}


def _snake(op_type: str) -> str:
    """TF's Python name of an op (``TopKV2`` -> ``top_kv2``), for its error messages."""
    out = []
    for i, c in enumerate(op_type):
        if c.isupper():
            prev_lower = i > 0 and op_type[i - 1].islower()
            next_lower = i + 1 < len(op_type) and op_type[i + 1].islower()
            if i > 0 and (prev_lower or (next_lower and op_type[i - 1] != "_")):
                out.append("_")
            out.append(c.lower())
        else:
            out.append(c)
    return _re.sub("_+", "_", "".join(out))


def _attr_value(kind: str, arg: str, value: _Any) -> _Any:
    """An attribute's value as ``Graph._create_op`` takes it, with TF's type errors."""
    if kind.startswith("list("):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"Expected list for '{arg}' argument, got {value!r} of type "
                            f"'{type(value).__name__}' instead.")
        return [_attr_value(kind[5:-1], arg, v) for v in value]
    if kind == "type":
        return _dtypes.as_dtype(value).name
    if kind == "shape":
        if value is None:
            return None
        shape = value if isinstance(value, _TensorShape) else _TensorShape(value)
        return None if shape.rank is None else shape.as_list()
    if kind == "int":
        if isinstance(value, (str, bytes)):
            raise TypeError(f"Expected int for argument '{arg}' not {value!r}.")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise TypeError(f"Expected int for argument '{arg}' not {value!r}.") from None
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float, _np.number)):
            raise TypeError(f"Expected float for argument '{arg}' not {value!r}.")
        return float(value)
    if kind == "bool":
        if not isinstance(value, (bool, _np.bool_)):
            raise TypeError(f"Expected bool for argument '{arg}' not {value!r}.")
        return bool(value)
    if kind == "string":
        if not isinstance(value, (str, bytes)):
            raise TypeError(f"Expected string for argument '{arg}' not {value!r}.")
        return value
    if kind == "tensor":
        return _np.asarray(value)
    raise TypeError(f"symgrad.raw_ops cannot pass a {kind} attribute ('{arg}')")


def _as_input(value: _Any) -> _Any:
    """A variable given where a resource is read stands for its handle."""
    handle = getattr(value, "handle", None)
    return handle if isinstance(handle, _Tensor) and not isinstance(value, _Tensor) else value


def _defs() -> _Any:
    """The generated table, imported on first use (it is large, and most programs never
    call a raw op)."""
    from . import _raw_op_defs
    return _raw_op_defs


def _make(op_type: str) -> _Callable[..., _Any]:
    defs = _defs()
    required_mark = defs.REQUIRED
    inputs, outputs, attrs, params = defs.OP_DEFS[op_type]
    snake = _snake(op_type)
    attr_kinds = {tf_name: kind for _, tf_name, kind, _, _ in attrs}
    attr_defaults = {tf_name: default for _, tf_name, _, default, _ in attrs}
    settable = [(py, tf_name, kind, default) for py, tf_name, kind, default, inferred in attrs
                if not inferred]
    keys = list(params)
    tuple_type = (_collections.namedtuple(op_type, [o[0] for o in outputs])
                  if len(outputs) > 1 else None)
    defaults: dict[str, _Any] = {
        py: (_dtypes.as_dtype(default) if kind == "type" else default)
        for py, _, kind, default in settable if default is not required_mark}
    defaults["name"] = None
    required = [k for k in keys if k not in defaults]

    def raw_op(*args: _Any, **kwargs: _Any) -> _Any:
        if args:
            raise TypeError(f"{snake} only takes keyword args (possible keys: {keys}). "
                            "Please pass these args as kwargs instead.")
        unknown = [k for k in kwargs if k not in keys]
        if unknown:
            raise TypeError(f"{snake}() got an unexpected keyword argument '{unknown[0]}'")
        missing = [k for k in required if k not in kwargs]
        if missing:
            s = "s" if len(missing) > 1 else ""
            quoted = [f"'{m}'" for m in missing]
            names = (quoted[0] if len(quoted) == 1 else " and ".join(quoted) if len(quoted) == 2
                     else ", ".join(quoted[:-1]) + ", and " + quoted[-1])
            raise TypeError(f"{snake}() missing {len(missing)} required positional "
                            f"argument{s}: {names}")
        given_attrs = {tf_name: _attr_value(kind, py, kwargs[py])
                       for py, tf_name, kind, _ in settable if kwargs.get(py) is not None}
        name = kwargs.get("name")
        values = [_as_input(kwargs[i[0]]) for i in inputs]
        with _op_scope(name, op_type, [v for v in values if isinstance(v, _Tensor)]) as scope:
            tensors = _convert_inputs(op_type, inputs, values, given_attrs, attr_defaults)
            op = _create_op(op_type, tensors, given_attrs, scope)
        return _results(op, outputs, tuple_type, attr_kinds)

    parameter = _inspect.Parameter
    raw_op.__signature__ = _inspect.Signature(  # type: ignore[attr-defined]
        [parameter(key, parameter.POSITIONAL_OR_KEYWORD,
                   default=defaults.get(key, parameter.empty)) for key in keys])
    raw_op.__name__ = op_type
    raw_op.__qualname__ = op_type
    raw_op.__doc__ = (f"TF's ``{op_type}`` op. Keyword arguments: "
                      f"{', '.join(keys)}.")
    return raw_op


def _convert_inputs(op_type: str, inputs: tuple, values: list, given_attrs: dict,
                    defaults: dict) -> list[_Tensor]:
    types: dict[str, _Any] = {}
    first_arg: dict[str, str] = {}
    flat: list[_Tensor] = []
    for (_, arg, dtype_rule, list_rule, _), value in zip(inputs, values):
        fixed = None
        type_attr = None
        if dtype_rule == ("fixed", "resource"):
            if not isinstance(value, _Tensor):
                raise TypeError(f"Input '{arg}' of '{op_type}' Op expects a resource handle "
                                f"(a variable or its handle), got {value!r}")
            flat.append(value)
            continue
        if dtype_rule is not None and dtype_rule[0] == "fixed":
            fixed = _dtypes.as_dtype(dtype_rule[1])
        elif dtype_rule is not None:
            type_attr = dtype_rule[1]
            if type_attr in given_attrs:
                fixed = _dtypes.as_dtype(given_attrs[type_attr])
            elif type_attr in types:
                fixed = types[type_attr]
        if list_rule is not None:
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"Expected list for '{arg}' argument to '{op_type}' Op, not "
                                f"{value!r}.")
            if list_rule[0] == "N":
                converted = _convert_list(op_type, arg, list(value), fixed)
                if fixed is not None and converted and converted[0].dtype is not fixed:
                    raise _type_mismatch(op_type, arg, converted[0].dtype, fixed,
                                         first_arg.get(type_attr) if type_attr else None)
            else:
                converted = [_convert(v, name=f"{arg}_{k}") for k, v in enumerate(value)]
            if type_attr is not None and converted:
                types.setdefault(type_attr, converted[0].dtype)
                first_arg.setdefault(type_attr, arg)
            flat.extend(converted)
            continue
        if fixed is not None:
            tensor = _convert_same_type(op_type, [(arg, value)], fixed,
                                        first_arg.get(type_attr) if type_attr else None)[0]
        else:
            default = defaults.get(type_attr) if type_attr else None
            preferred = (_dtypes.as_dtype(default)
                         if isinstance(default, str) and not isinstance(value, _Tensor)
                         else None)
            tensor = _convert(value, name=arg, preferred_dtype=preferred)
        if type_attr is not None:
            types.setdefault(type_attr, tensor.dtype)
            first_arg.setdefault(type_attr, arg)
        flat.append(tensor)
    return flat


def _results(op: _Any, outputs: tuple, tuple_type: _Any, attr_kinds: dict) -> _Any:
    if not outputs:
        return op
    if len(outputs) == 1:
        return list(op.outputs) if outputs[0][1] is not None else op.outputs[0]
    grouped: list[_Any] = []
    k = 0
    for _, list_rule in outputs:
        if list_rule is None:
            grouped.append(op.outputs[k])
            k += 1
            continue
        size = op.get_attr(list_rule[1])
        count = len(size) if attr_kinds.get(list_rule[1], "").startswith("list") else int(size)
        grouped.append(list(op.outputs[k:k + count]))
        k += count
    return tuple_type(*grouped)


def __getattr__(name: str) -> _Any:
    fn = _CACHE.get(name)
    if fn is not None:
        return fn
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _defs().OP_DEFS and name not in _NOT_RAW:
        fn = _CACHE[name] = _make(name)
        return fn
    raise AttributeError(f"module 'symgrad.raw_ops' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(_defs().OP_DEFS) - _NOT_RAW)
