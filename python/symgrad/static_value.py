"""``tf.get_static_value``: TF's Python ``tensor_util.constant_value``, the value of a tensor
when the graph alone determines it (a ``Const``, a static ``Shape``/``Size``/``Rank``, and
``Range``, ``Cast``, ``Concat``, ``Pack``, ``Unpack``, ``Fill``, ``Equal``, ``NotEqual`` and
identities of such values). Unlike shape inference, it runs no other op. A tensor whose
value it returns can no longer be fed, as in TF."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .framework import Tensor

__all__ = ["get_static_value"]

# TF's recursion follows the expression; a deeper one is not a constant worth finding.
_MAX_DEPTH = 256


def get_static_value(tensor: Any, partial: bool = False) -> Any:
    """The value of ``tensor`` as a numpy array, or ``None`` when it is not known while
    building; anything not a tensor is returned as it is. With ``partial``, a ``Pack`` of
    partly known scalars gives an object array with ``None`` for the unknown ones."""
    from .framework import is_tensor
    if not is_tensor(tensor):
        return tensor
    if not isinstance(tensor, Tensor):
        return None
    value = _constant_value(tensor, partial, 0)
    if value is not None:
        tensor.graph.prevent_feeding(tensor)
    return value


def _np_dtype(t: Tensor) -> Any:
    return t.dtype.as_numpy_dtype


def _constant_value(t: Tensor, partial: bool, depth: int) -> Optional[np.ndarray]:
    if depth > _MAX_DEPTH:
        return None
    op = t.op
    kind = op.type

    def inner(i: int, p: bool = False) -> Optional[np.ndarray]:
        return _constant_value(op.inputs[i], p, depth + 1)

    if kind == "Const":
        return np.asarray(op.get_attr("value"))
    if kind in ("Shape", "Size", "Rank"):
        shape = op.inputs[0].shape
        if kind == "Rank":
            return None if shape.rank is None else np.asarray(shape.rank, dtype=np.int32)
        if not shape.is_fully_defined():
            return None
        if kind == "Shape":
            return np.asarray(shape.as_list(), dtype=_np_dtype(t))
        return np.asarray(shape.num_elements(), dtype=_np_dtype(t))
    if kind == "Range":
        start, limit, delta = inner(0), inner(1), inner(2)
        if start is None or limit is None or delta is None:
            return None
        return np.arange(start, limit, delta, dtype=_np_dtype(t))
    if kind == "Cast":
        pre = inner(0)
        return None if pre is None else pre.astype(_np_dtype(t))
    if kind in ("Concat", "ConcatV2"):
        axis_at = 0 if kind == "Concat" else len(op.inputs) - 1
        axis = inner(axis_at)
        if axis is None:
            return None
        parts = [inner(i) for i in range(len(op.inputs)) if i != axis_at]
        if any(p is None for p in parts):
            return None
        return np.concatenate(parts, axis=int(axis))
    if kind == "Pack":
        values = []
        for i in range(len(op.inputs)):
            v = inner(i)
            if v is None:
                if not partial:
                    return None
                values.append(None)
            else:
                values.append(v)
        if any(v is None for v in values):
            out = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):
                out[i] = v
            return out
        return np.array(values)
    if kind == "Unpack":
        if op.get_attr("axis") != 0:
            return None
        value = inner(0)
        return None if value is None else value[t.value_index]
    if kind == "Fill":
        shape = t.shape
        fill = inner(1)
        if shape.is_fully_defined() and fill is not None:
            return np.full(shape.as_list(), fill, dtype=fill.dtype)
        return None
    if kind in ("Equal", "NotEqual"):
        a, b = inner(0), inner(1)
        if a is None or b is None:
            return None
        return np.equal(a, b) if kind == "Equal" else np.not_equal(a, b)
    if kind == "StopGradient":
        return inner(0, partial)
    if kind in ("CheckNumericsV2", "DebugIdentityV2", "Identity"):
        return inner(0)
    return None

