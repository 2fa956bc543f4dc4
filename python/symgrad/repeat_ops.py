"""``tf.repeat``: each element repeated along an axis, built op for op as TF's
``repeat_with_axis`` (a scalar count tiles and reshapes; per-element counts tile to the
largest count and keep the wanted copies with a ``sequence_mask`` through
``boolean_mask``)."""

from __future__ import annotations

from typing import Any, Optional

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .array_ops import (boolean_mask, broadcast_to, concat, expand_dims, ones, rank, reshape,
                        shape, stack, tile)
from .constant_op import convert_to_tensor
from .embedding_ops import sequence_mask
from .framework import Tensor
from .math_ops import maximum, reduce_max, reduce_sum

__all__ = ["repeat"]


def repeat(input: Any, repeats: Any, axis: Optional[int] = None,
           name: Optional[str] = None) -> Tensor:
    """``input`` with each element repeated ``repeats`` times along ``axis`` (the flattened
    input when ``axis`` is None); ``repeats`` is a count or one count per element."""
    if axis is None:
        input = reshape(input, [-1])
        axis = 0
    return _repeat_with_axis(input, repeats, axis, name)


def _int_tensor(value: Any, name: str) -> Tensor:
    t = convert_to_tensor(value, name=name, preferred_dtype=_dtypes.int32)
    if not t.dtype.is_integer:
        raise TypeError(f"Argument `tensor` (name: {name}) must be of type integer. "
                        f"Received {t} with dtype {t.dtype}.")
    # TF casts even an int32 tensor, so the graph holds a Cast either way.
    return create_tensor("Cast", [t], {"DstT": "int32", "Truncate": False}, "Cast")


def _with_nonzero_rank(data: Tensor) -> Tensor:
    if data.shape.rank is not None:
        return stack([data]) if data.shape.rank == 0 else data
    data_shape = shape(data)
    data_ndims = rank(data)
    return reshape(data, concat([[1], data_shape], axis=0)[-data_ndims:])


def _tile_one_dimension(data: Tensor, axis: int, multiple: Any) -> Tensor:
    if data.shape.rank is not None:
        multiples: Any = [1] * data.shape.rank
        multiples[axis] = multiple
    else:
        ones_value = ones(rank(data), _dtypes.int32)
        multiples = concat([ones_value[:axis], [multiple], ones_value[axis + 1:]], axis=0)
    return tile(data, multiples)


def _repeat_with_axis(data: Any, repeats: Any, axis: int, name: Optional[str]) -> Tensor:
    if not isinstance(axis, int):
        raise TypeError(f"Argument `axis` must be an int. Received `axis` = {axis} of type "
                        f"{type(axis).__name__}")
    with op_scope(name, "Repeat", [data, repeats]):
        data = convert_to_tensor(data, name="data")
        repeats = _int_tensor(repeats, name="repeats")
        if repeats.shape.rank is not None and repeats.shape.rank > 1:
            raise ValueError(f"Shape {repeats.shape} must have rank at most 1")
        data = _with_nonzero_rank(data)
        data_shape = shape(data, out_type=repeats.dtype)
        ndims = data.shape.rank
        if axis < 0:
            if ndims is None:
                raise ValueError("axis may only be negative if rank(data) is statically "
                                 "known.")
            axis += ndims
        if ndims is not None and not 0 <= axis < ndims:
            raise ValueError(f"axis={axis} out of bounds: expected {-ndims}<=axis<{ndims}")
        if repeats.shape.num_elements() == 1:
            repeats = reshape(repeats, [])
            expanded = expand_dims(data, axis + 1)
            tiled = _tile_one_dimension(expanded, axis + 1, repeats)
            result_shape = concat([data_shape[:axis], [repeats * data_shape[axis]],
                                   data_shape[axis + 1:]], axis=0)
            return reshape(tiled, result_shape)
        if repeats.shape.rank == 1 and ndims is not None:
            data.shape[axis:axis + 1].assert_is_compatible_with(repeats.shape[:1])
        repeats = broadcast_to(repeats, [data_shape[axis]])
        repeats_original = repeats
        if repeats.shape.rank != axis + 1:
            repeats_shape = shape(repeats)
            repeats_ndims = rank(repeats)
            broadcast_shape = concat([data_shape[:axis + 1 - repeats_ndims], repeats_shape],
                                     axis=0)
            repeats = broadcast_to(repeats, broadcast_shape)
            repeats.set_shape([None] * (axis + 1))
        max_repeat = reduce_max(repeats)
        max_repeat = maximum(convert_to_tensor(0, name="zero", dtype=max_repeat.dtype),
                             max_repeat)
        mask = sequence_mask(repeats, max_repeat)
        expanded = expand_dims(data, axis + 1)
        tiled = _tile_one_dimension(expanded, axis + 1, max_repeat)
        masked = boolean_mask(tiled, mask)
        if axis == 0:
            result = masked
        else:
            # gen_math_ops._range / _sum in TF: ops named `Range` and `Sum`.
            limit = rank(repeats_original)
            with op_scope(None, "Range", []) as range_scope:
                start = convert_to_tensor(0, name="start")
                delta = convert_to_tensor(1, name="delta")
                indices = create_tensor("Range", [start, limit, delta], {}, range_scope)
            repeated_dim_size = reduce_sum(repeats_original, indices)
            result_shape = concat([data_shape[:axis], [repeated_dim_size],
                                   data_shape[axis + 1:]], axis=0)
            result = reshape(masked, result_shape)
        if ndims is not None:
            new_axis_size = 0 if repeats.shape[0] == 0 else None
            dims = data.shape.as_list()
            result.set_shape(dims[:axis] + [new_axis_size] + dims[axis + 1:])
        return result

