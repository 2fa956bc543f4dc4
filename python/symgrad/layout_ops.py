"""Ops that rearrange elements (space/depth, space/batch, roll, reverse_sequence,
tensor_scatter_nd_*) and shape helpers (broadcast shapes, shape_n, unravel_index), with TF1's
signatures and default op names."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_op, create_tensor, int_tensor, op_scope
from .array_ops import stack
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "space_to_depth", "depth_to_space", "space_to_batch_nd", "batch_to_space_nd",
    "space_to_batch", "batch_to_space", "roll", "reverse_sequence", "tensor_scatter_nd_update",
    "tensor_scatter_nd_add", "tensor_scatter_nd_sub", "tensor_scatter_update",
    "tensor_scatter_add", "tensor_scatter_sub", "broadcast_dynamic_shape",
    "broadcast_static_shape", "shape_n", "parallel_stack", "unravel_index",
    "extract_image_patches",
]


def _block_op(op_type: str, input: Any, block_size: Any, name: Optional[str],
              data_format: str) -> Tensor:
    with op_scope(name, op_type, [input]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor(op_type, [value], {"block_size": int(block_size),
                                                 "data_format": data_format}, scope)


def space_to_depth(input: Any, block_size: Any, name: Optional[str] = None,
                   data_format: str = "NHWC") -> Tensor:
    return _block_op("SpaceToDepth", input, block_size, name, data_format)


def depth_to_space(input: Any, block_size: Any, name: Optional[str] = None,
                   data_format: str = "NHWC") -> Tensor:
    return _block_op("DepthToSpace", input, block_size, name, data_format)


def _space_batch(op_type: str, third: str, input: Any, block_shape: Any, amounts: Any,
                 name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [input, block_shape, amounts]) as scope:
        value = convert_to_tensor(input, name="input")
        block = _int64_or_int32(block_shape, "block_shape")
        pads = _int64_or_int32(amounts, third)
        return create_tensor(op_type, [value, block, pads], {}, scope)


def _int64_or_int32(value: Any, name: str, dtype: Optional[_dtypes.DType] = None) -> Tensor:
    """An index-like input: a numpy int64 value keeps its dtype (TF infers the type attr
    from it), other Python values become int32 (or ``dtype``)."""
    if dtype is None and isinstance(value, (np.ndarray, np.integer)) and value.dtype == np.int64:
        dtype = _dtypes.int64
    return int_tensor(value, name, dtype=dtype or _dtypes.int32)


def space_to_batch_nd(input: Any, block_shape: Any, paddings: Any,
                      name: Optional[str] = None) -> Tensor:
    return _space_batch("SpaceToBatchND", "paddings", input, block_shape, paddings, name)


def batch_to_space_nd(input: Any, block_shape: Any, crops: Any,
                      name: Optional[str] = None) -> Tensor:
    return _space_batch("BatchToSpaceND", "crops", input, block_shape, crops, name)


def _square_block(block_size: Any, block_shape: Any) -> np.ndarray:
    if block_size is not None and block_shape is not None:
        raise ValueError("Cannot specify both 'block_shape' and 'block_size'.")
    size = block_shape if block_size is None else block_size
    if size is None:
        raise TypeError("Missing required argument 'block_size'.")
    return np.array([size, size], dtype=np.int64)


def space_to_batch(input: Any, paddings: Any, block_size: Any = None,
                   name: Optional[str] = None, block_shape: Any = None) -> Tensor:
    """TF1's 4-D form: ``SpaceToBatchND`` with block ``[block_size, block_size]``."""
    result = space_to_batch_nd(input, _square_block(block_size, block_shape), paddings, name)
    result.set_shape(result.get_shape().with_rank(4))
    return result


def batch_to_space(input: Any, crops: Any, block_size: Any, name: Optional[str] = None,
                   block_shape: Any = None) -> Tensor:
    """TF1's 4-D form: ``BatchToSpaceND`` with block ``[block_size, block_size]``."""
    return batch_to_space_nd(input, _square_block(block_size, block_shape), crops, name)


def roll(input: Any, shift: Any, axis: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Roll", [input, shift, axis]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor("Roll", [value, _int64_or_int32(shift, "shift"),
                                      _int64_or_int32(axis, "axis")], {}, scope)


def _deprecated_pair(new: Any, new_name: str, old: Any, old_name: str) -> Any:
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
    return old if new is None else new


def reverse_sequence(input: Any, seq_lengths: Any, seq_axis: Any = None, batch_axis: Any = None,
                     name: Optional[str] = None, seq_dim: Any = None,
                     batch_dim: Any = None) -> Tensor:
    """``ReverseSequence``: reverses the first ``seq_lengths[b]`` elements along ``seq_axis``
    of each slice ``b`` along ``batch_axis`` (default 0)."""
    seq = _deprecated_pair(seq_axis, "seq_axis", seq_dim, "seq_dim")
    batch = _deprecated_pair(batch_axis, "batch_axis", batch_dim, "batch_dim")
    if seq is None:
        raise TypeError("reverse_sequence() missing required argument: 'seq_axis'")
    with op_scope(name, "ReverseSequence", [input, seq_lengths]) as scope:
        value = convert_to_tensor(input, name="input")
        lengths = _int64_or_int32(seq_lengths, "seq_lengths")
        attrs = {"seq_dim": int(seq), "batch_dim": 0 if batch is None else int(batch)}
        return create_tensor("ReverseSequence", [value, lengths], attrs, scope)


def _tensor_scatter(op_type: str, tensor: Any, indices: Any, updates: Any,
                    name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [tensor, indices, updates]) as scope:
        value, upd = convert_same_type(op_type, [("tensor", tensor), ("updates", updates)])
        return create_tensor(op_type, [value, _int64_or_int32(indices, "indices"), upd], {},
                             scope)


def tensor_scatter_nd_update(tensor: Any, indices: Any, updates: Any,
                             name: Optional[str] = None) -> Tensor:
    return _tensor_scatter("TensorScatterUpdate", tensor, indices, updates, name)


def tensor_scatter_nd_add(tensor: Any, indices: Any, updates: Any,
                          name: Optional[str] = None) -> Tensor:
    return _tensor_scatter("TensorScatterAdd", tensor, indices, updates, name)


def tensor_scatter_nd_sub(tensor: Any, indices: Any, updates: Any,
                          name: Optional[str] = None) -> Tensor:
    return _tensor_scatter("TensorScatterSub", tensor, indices, updates, name)


# TF 1's older names for the same functions.
tensor_scatter_update = tensor_scatter_nd_update
tensor_scatter_add = tensor_scatter_nd_add
tensor_scatter_sub = tensor_scatter_nd_sub


def broadcast_dynamic_shape(shape_x: Any, shape_y: Any) -> Tensor:
    """The broadcast of two shape vectors (``BroadcastArgs``)."""
    with op_scope(None, "BroadcastArgs", [shape_x, shape_y]) as scope:
        s0 = _int64_or_int32(shape_x, "s0")
        s1 = _int64_or_int32(shape_y, "s1", dtype=s0.dtype)
        return create_tensor("BroadcastArgs", [s0, s1], {}, scope)


def _broadcast_dim(x: Optional[int], y: Optional[int]) -> tuple[bool, Optional[int]]:
    """(compatible, broadcast dim) as TF's ``_broadcast_shape_helper``."""
    if x is not None and y is not None:
        if x == y or y == 1:
            return True, x
        if x == 1:
            return True, y
        return False, None
    known = x if y is None else y
    if known is not None and known != 1:
        return True, known
    return True, None


def broadcast_static_shape(shape_x: Any, shape_y: Any) -> TensorShape:
    """The broadcast of two static shapes; ``ValueError`` when they cannot broadcast."""
    sx, sy = as_shape(shape_x), as_shape(shape_y)
    if sx.rank is None or sy.rank is None:
        return TensorShape(None)
    dx, dy = sx.as_list(), sy.as_list()
    n = max(len(dx), len(dy))
    dx = [1] * (n - len(dx)) + dx
    dy = [1] * (n - len(dy)) + dy
    out: list[Optional[int]] = []
    for x, y in zip(dx, dy):
        ok, d = _broadcast_dim(x, y)
        if not ok:
            raise ValueError(
                "Incompatible shapes for broadcasting. Two shapes are compatible if for each "
                "dimension pair they are either equal or one of them is 1. Received: "
                f"{sx} and {sy}.")
        out.append(d)
    return TensorShape(out)


def shape_n(input: Sequence[Any], out_type: Any = _dtypes.int32,
            name: Optional[str] = None) -> list[Tensor]:
    """The shapes of several tensors from one ``ShapeN`` op."""
    with op_scope(name, "ShapeN", list(input)) as scope:
        values = [convert_to_tensor(v, name=f"input_{i}") for i, v in enumerate(input)]
        op = create_op("ShapeN", values, {"out_type": _dtypes.as_dtype(out_type).name}, scope)
        return list(op.outputs)


def parallel_stack(values: Sequence[Any], name: str = "parallel_stack") -> Tensor:
    """Stacks along a new first axis. TF builds ``ParallelConcat`` of ``ExpandDims``; symgrad
    builds ``Pack`` (the same value) under the same scope, and like TF requires each value's
    shape to be fully defined."""
    with name_scope(name):
        tensors = [convert_to_tensor(v) for v in values]
        for t in tensors:
            if not t.shape.is_fully_defined():
                raise ValueError(f"Cannot infer the shape of {t.name}: parallel_stack needs "
                                 "fully defined shapes")
        return stack(tensors, axis=0)


def unravel_index(indices: Any, dims: Any, name: Optional[str] = None) -> Tensor:
    """Flat indices into ``dims`` as coordinate columns (``UnravelIndex``)."""
    with op_scope(name, "UnravelIndex", [indices, dims]) as scope:
        idx = _int64_or_int32(indices, "indices")
        shape = _int64_or_int32(dims, "dims", dtype=idx.dtype)
        return create_tensor("UnravelIndex", [idx, shape], {}, scope)



def extract_image_patches(images: Any, ksizes: Any = None, strides: Any = None,
                          rates: Any = None, padding: Any = None, name: Optional[str] = None,
                          sizes: Any = None) -> Tensor:
    """``ExtractImagePatches``: each ``ksizes`` window (dilated by ``rates``, stepped by
    ``strides``) of an NHWC image flattened into the depth, ``[N, OH, OW, kr * kc * C]``."""
    if ksizes is not None and sizes is not None:
        raise ValueError("Cannot specify both 'sizes' and 'ksizes'")
    ksizes = sizes if ksizes is None else ksizes
    with op_scope(name, "ExtractImagePatches", [images]) as scope:
        value = convert_to_tensor(images, name="images")
        attrs = {"ksizes": [int(v) for v in ksizes], "strides": [int(v) for v in strides],
                 "rates": [int(v) for v in rates], "padding": padding}
        return create_tensor("ExtractImagePatches", [value], attrs, scope)
