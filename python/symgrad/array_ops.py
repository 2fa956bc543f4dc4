"""Tensor-making and shape ops: placeholders, identity, reshape, concat, zeros, ..."""

from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from ._op_helpers import (convert_list_same_type, create_op, create_tensor, int_tensor,
                          op_scope)
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, get_default_graph
from .tensor_shape import TensorShape, as_shape

__all__ = [
    "placeholder", "placeholder_with_default", "identity", "identity_n", "stop_gradient",
    "reshape", "transpose", "invert_permutation", "expand_dims", "squeeze", "shape", "size",
    "rank", "fill", "zeros", "ones", "zeros_like", "ones_like", "split", "unstack", "stack",
    "concat", "tile", "broadcast_to", "newaxis", "slice", "pad", "reverse", "reverse_v2",
    "gather", "gather_nd", "scatter_nd", "one_hot", "unsorted_segment_sum", "strided_slice",
]

newaxis = None


def _shape_attr(shape: Any) -> Optional[list[int]]:
    """A shape for an attr: None for unknown rank, else dims with -1 for unknown ones."""
    static = as_shape(shape)
    if static.rank is None:
        return None
    return [-1 if d is None else d for d in static.as_list()]


def placeholder(dtype: Any, shape: Any = None, name: Optional[str] = None) -> Tensor:
    attrs: dict[str, Any] = {"dtype": _dtypes.as_dtype(dtype).name}
    shape_attr = _shape_attr(shape)
    if shape_attr is not None:
        attrs["shape"] = shape_attr
    return get_default_graph()._create_op("Placeholder", [], attrs, name).outputs[0]


def ensure_shape(x: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """``x`` unchanged, its static shape merged with ``shape``; a value whose shape does not
    fit ``shape`` fails the run (``EnsureShape``, gradient the identity)."""
    with op_scope(name, "EnsureShape", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        attrs: dict[str, Any] = {}
        shape_attr = _shape_attr(shape)
        if shape_attr is not None:
            attrs["shape"] = shape_attr
        return create_tensor("EnsureShape", [value], attrs, scope)


def placeholder_with_default(input: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "PlaceholderWithDefault", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        attrs: dict[str, Any] = {"dtype": value.dtype.name}
        shape_attr = _shape_attr(shape)
        if shape_attr is not None:
            attrs["shape"] = shape_attr
        return create_tensor("PlaceholderWithDefault", [value], attrs, scope)


def _unary(op_type: str, value: Any, name: Optional[str], arg: str = "input") -> Tensor:
    with op_scope(name, op_type, [value]) as scope:
        tensor = convert_to_tensor(value, name=arg)
        return create_tensor(op_type, [tensor], {}, scope)


def identity(input: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Identity", input, name)


def stop_gradient(input: Any, name: Optional[str] = None) -> Tensor:
    return _unary("StopGradient", input, name)


def identity_n(input: Sequence[Any], name: Optional[str] = None) -> list[Tensor]:
    with op_scope(name, "IdentityN", list(input)) as scope:
        tensors = [convert_to_tensor(v, name=f"input_{i}") for i, v in enumerate(input)]
        return create_op("IdentityN", tensors, {}, scope).outputs


def reshape(tensor: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Reshape", [tensor, shape]) as scope:
        value = convert_to_tensor(tensor, name="tensor")
        new_shape = int_tensor(shape, "shape")
        return create_tensor("Reshape", [value, new_shape], {}, scope)


def invert_permutation(x: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "InvertPermutation", [x]) as scope:
        return create_tensor("InvertPermutation", [int_tensor(x, "x")], {}, scope)


def transpose(a: Any, perm: Any = None, name: str = "transpose", conjugate: bool = False
              ) -> Tensor:
    """Transpose; ``perm=None`` reverses the dims (built dynamically when rank is unknown)."""
    from .math_ops import subtract
    with op_scope(name, "transpose", [a]) as scope:
        value = convert_to_tensor(a, name="a")
        if perm is None:
            rank_ = value.shape.rank
            if rank_ is not None:
                perm_tensor = constant(np.arange(rank_ - 1, -1, -1, dtype=np.int32), name="perm")
            else:
                # TF: range(rank - 1, -1, -1) built from Rank, Sub and Range.
                dynamic_rank = create_tensor("Rank", [value], {}, "")
                top = subtract(dynamic_rank, 1, name="sub")
                with op_scope(None, "Range", []) as range_scope:
                    limit = constant(-1, name="limit")
                    delta = constant(-1, name="delta")
                    perm_tensor = create_tensor("Range", [top, limit, delta], {}, range_scope)
        else:
            perm_tensor = int_tensor(perm, "perm")
        op_type = "ConjugateTranspose" if conjugate and value.dtype.is_complex else "Transpose"
        return create_tensor(op_type, [value, perm_tensor], {}, scope)


def expand_dims(input: Any, axis: Any = None, name: Optional[str] = None, dim: Any = None
                ) -> Tensor:
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'dim' and 'axis'.")
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    with op_scope(name, "ExpandDims", [input, axis]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor("ExpandDims", [value, int_tensor(axis, "dim")], {}, scope)


def squeeze(input: Any, axis: Any = None, name: Optional[str] = None, squeeze_dims: Any = None
            ) -> Tensor:
    if axis is not None and squeeze_dims is not None:
        raise ValueError("Cannot specify both 'squeeze_dims' and 'axis'.")
    axis = squeeze_dims if axis is None else axis
    if axis is None:
        axis = []
    elif isinstance(axis, int):
        axis = [axis]
    with op_scope(name, "Squeeze", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor("Squeeze", [value], {"squeeze_dims": [int(a) for a in axis]},
                             scope)


def shape(input: Any, name: Optional[str] = None, out_type: Any = None) -> Tensor:
    """The shape as a 1-D tensor: a folded ``Const`` when static, else a ``Shape`` op."""
    out_dtype = _dtypes.as_dtype(out_type) if out_type is not None else _dtypes.int32
    with op_scope(name, "Shape", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        static = value.shape
        if static.is_fully_defined():
            return constant(static.as_list(), dtype=out_dtype, name=scope)
        return create_tensor("Shape", [value], {"out_type": out_dtype.name}, scope)


def size(input: Any, name: Optional[str] = None, out_type: Any = None) -> Tensor:
    out_dtype = _dtypes.as_dtype(out_type) if out_type is not None else _dtypes.int32
    with op_scope(name, "Size", [input]) as scope:
        value = convert_to_tensor(input)  # a Python value becomes `Size/Const`, as in TF
        count = value.shape.num_elements()
        if count is not None:
            return constant(count, dtype=out_dtype, name=scope)
        return create_tensor("Size", [value], {"out_type": out_dtype.name}, scope)


def rank(input: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Rank", [input]) as scope:
        value = convert_to_tensor(input)
        static_rank = value.shape.rank
        if static_rank is not None:
            return constant(static_rank, dtype=_dtypes.int32, name=scope)
        return create_tensor("Rank", [value], {}, scope)


def fill(dims: Any, value: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Fill", [dims, value]) as scope:
        dims_tensor = int_tensor(dims, "dims")
        value_tensor = convert_to_tensor(value, name="value")
        return create_tensor("Fill", [dims_tensor, value_tensor], {}, scope)


# Below this many elements, zeros/ones with a static shape fold into one Const (as TF).
_SMALL_CONSTANT_LIMIT = 1000


def _filled(fill_value: Any, default_name: str, shape_value: Any, dtype: Any,
            name: Optional[str]) -> Tensor:
    target = _dtypes.as_dtype(dtype)
    scalar: np.ndarray = np.array(fill_value).astype(target.as_numpy_dtype)
    if target._is_string:
        # TF's zero string is the empty one; a string tensor has no "one".
        if fill_value != 0:
            raise TypeError(f"Expected string, but got {fill_value} of type "
                            f"'{type(fill_value).__name__}'.")
        scalar = np.array(b"", dtype=object)
    with op_scope(name, default_name, [shape_value]) as scope:
        if not isinstance(shape_value, Tensor):
            static: Optional[list[int]] = None
            if isinstance(shape_value, TensorShape):
                shape_value = shape_value.as_list()
            if not _holds_tensor(shape_value):
                try:
                    static = [int(d) for d in np.reshape(shape_value, -1)]
                except (TypeError, ValueError):
                    static = None
            if static is not None:
                if int(np.prod(static, dtype=np.int64)) < _SMALL_CONSTANT_LIMIT:
                    return constant(np.full(static, scalar), dtype=target, name=scope)
                shape_value = constant(np.array(static, dtype=np.int32), name="shape_as_tensor")
            else:
                shape_value = convert_to_tensor(shape_value, dtype=_dtypes.int32)
        fill_scalar = constant(scalar, dtype=target)
        return create_tensor("Fill", [shape_value, fill_scalar], {}, scope)


def zeros(shape: Any, dtype: Any = _dtypes.float32, name: Optional[str] = None) -> Tensor:
    return _filled(0, "zeros", shape, dtype, name)


def ones(shape: Any, dtype: Any = _dtypes.float32, name: Optional[str] = None) -> Tensor:
    return _filled(1, "ones", shape, dtype, name)


def zeros_like(tensor: Any, dtype: Any = None, name: Optional[str] = None,
               optimize: bool = True) -> Tensor:
    with op_scope(name, "zeros_like", [tensor]) as scope:
        value = convert_to_tensor(tensor, name="tensor")
        target = _dtypes.as_dtype(dtype) if dtype is not None else value.dtype
        static = value.shape
        if optimize and static.is_fully_defined():
            return zeros(static.as_list(), dtype=target, name=scope)
        if target is not value.dtype:
            return zeros(_dynamic_shape(value), dtype=target, name=scope)
        return create_tensor("ZerosLike", [value], {}, scope)


def _dynamic_shape(value: Tensor) -> Tensor:
    return create_tensor("Shape", [value], {"out_type": "int32"}, "")


def ones_like(tensor: Any, dtype: Any = None, name: Optional[str] = None,
              optimize: bool = True) -> Tensor:
    """``Fill(shape, 1)``: the shape folds to a Const when static (TF's ops and names)."""
    with op_scope(name, "ones_like", [tensor]) as scope:
        value = convert_to_tensor(tensor, name="tensor")
        target = _dtypes.as_dtype(dtype) if dtype is not None else value.dtype
        static = value.shape
        if optimize and static.is_fully_defined():
            with op_scope(None, "Shape", []):
                shape_tensor = constant(np.array(static.as_list(), dtype=np.int32),
                                        name="shape_as_tensor")
        else:
            shape_tensor = create_tensor("Shape", [value], {"out_type": "int32"}, "")
        one = constant(np.array(1).astype(target.as_numpy_dtype), dtype=target)
        return create_tensor("Fill", [shape_tensor, one], {}, scope)


def split(value: Any, num_or_size_splits: Any, axis: Any = 0, num: Any = None,
          name: str = "split") -> list[Tensor]:
    """An int splits evenly (``Split``); a 1-D list or tensor of sizes, one of which may be
    -1, splits by size (``SplitV``, with the sizes converted first, outside the op's scope)."""
    if isinstance(num_or_size_splits, (int, np.integer)) \
            and not isinstance(num_or_size_splits, bool):
        with op_scope(name, "split", [value]) as scope:
            split_dim = int_tensor(axis, "split_dim")
            tensor = convert_to_tensor(value, name="value")
            return create_op("Split", [split_dim, tensor],
                             {"num_split": int(num_or_size_splits)}, scope).outputs
    size_splits = convert_to_tensor(num_or_size_splits)
    if size_splits.shape.rank == 0:
        raise ValueError("Rank-0 tensors are not supported as the num_or_size_splits argument "
                         f"to split. Argument provided: {num_or_size_splits}")
    if num is None:
        static = size_splits.shape
        num = static[0] if static.rank is not None else None
        if num is None:
            raise ValueError(f"Cannot infer argument `num` from shape {num_or_size_splits}")
    with op_scope(name, "SplitV", [value, size_splits, axis]) as scope:
        tensor = convert_to_tensor(value, name="value")
        split_dim = int_tensor(axis, "split_dim")
        return create_op("SplitV", [tensor, size_splits, split_dim], {"num_split": int(num)},
                         scope).outputs


def _check_axis(axis: int, rank_: Optional[int]) -> int:
    if rank_ is not None and not -rank_ <= axis < rank_:
        raise ValueError(f"Argument `axis` = {axis} not in range [{-rank_}, {rank_})")
    return axis


def unstack(value: Any, num: Any = None, axis: int = 0, name: str = "unstack"
            ) -> list[Tensor]:
    with op_scope(name, "unstack", [value]) as scope:
        tensor = convert_to_tensor(value, name="value")
        static = tensor.shape
        _check_axis(axis, static.rank)
        if num is None:
            num = static[axis] if static.rank is not None else None
            if num is None:
                raise ValueError(f"Cannot infer argument `num` from shape {static}")
        return create_op("Unpack", [tensor], {"num": int(num), "axis": int(axis)},
                         scope).outputs


def stack(values: Sequence[Any], axis: int = 0, name: str = "stack") -> Tensor:
    if axis == 0 and isinstance(values, (list, tuple)) and values \
            and not get_default_graph()._is_eager:
        # TF first converts the whole list: constants become one Const, a list mixing
        # tensors and constants is auto-packed (its constants named by position).
        if _is_plain_constant(values):
            return convert_to_tensor(values, name=name)
        if builtins.all(isinstance(v, Tensor) or _is_plain_constant(v) for v in values) \
                and not builtins.all(isinstance(v, Tensor) for v in values):
            return _autopack(values, None, name)
    with op_scope(name, "stack", list(values)) as scope:
        tensors = convert_list_same_type("Pack", "values", list(values))
        rank_ = tensors[0].shape.rank if tensors else None
        if rank_ is not None:
            _check_axis(axis, rank_ + 1)
        return create_tensor("Pack", tensors, {"axis": int(axis)}, scope)


def _is_plain_constant(value: Any) -> bool:
    """True for numbers and (nested) lists of numbers: values TF converts to one Const."""
    if isinstance(value, Tensor):
        return False
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, NotImplementedError):
        return False
    return array.dtype.kind in "biuf"


def _autopack(value: Any, dtype: Optional[_dtypes.DType], name: str) -> Tensor:
    """Converts a (nested) list holding tensors with ``Pack`` ops, as TF's auto-packing."""
    with op_scope(name, "packed", []) as scope:
        elements = []
        tensors = [v for v in value if isinstance(v, Tensor)]
        element_dtype = dtype or (tensors[0].dtype if tensors else None)
        for i, item in enumerate(value):
            if isinstance(item, Tensor):
                elements.append(item)
            elif isinstance(item, (list, tuple)) and _holds_tensor(item):
                elements.append(_autopack(item, element_dtype, str(i)))
            else:
                elements.append(convert_to_tensor(item, dtype=element_dtype, name=str(i)))
        converted = convert_list_same_type("Pack", "values", elements)
        return create_tensor("Pack", converted, {"axis": 0}, scope)


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (list, tuple)) and builtins.any(_holds_tensor(v) for v in value)


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    if not isinstance(values, (list, tuple)):
        values = [values]
    if len(values) == 1:
        # TF: no op for one value, just an Identity (the axis is still checked).
        with op_scope(name, None, []):
            convert_to_tensor(axis, dtype=_dtypes.int32, name="concat_dim")
            return identity(values[0], name=name)
    with op_scope(name, "concat", list(values)) as scope:
        tensors = convert_list_same_type("ConcatV2", "values", list(values))
        axis_tensor = int_tensor(axis, "axis")
        return create_tensor("ConcatV2", tensors + [axis_tensor], {}, scope)


def slice(input_: Any, begin: Any, size: Any, name: Optional[str] = None) -> Tensor:
    """``Slice``: ``size[i] = -1`` takes the rest of dimension i."""
    with op_scope(name, "Slice", [input_, begin, size]) as scope:
        value = convert_to_tensor(input_, name="input")
        begin_tensor = int_tensor(begin, "begin")
        size_tensor = int_tensor(size, "size", dtype=begin_tensor.dtype)
        return create_tensor("Slice", [value, begin_tensor, size_tensor], {}, scope)


def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", name: Optional[str] = None,
        constant_values: Any = 0) -> Tensor:
    """Constant padding: ``Pad`` for a Python zero, else ``PadV2`` (as TF chooses)."""
    mode = mode.upper()
    if mode in ("REFLECT", "SYMMETRIC"):
        # TF: ``MirrorPad`` named "MirrorPad" (no scope of its own), paddings "MirrorPad/paddings".
        with op_scope(name, "MirrorPad", [tensor, paddings]) as scope:
            value = convert_to_tensor(tensor, name="input")
            paddings_tensor = int_tensor(paddings, "paddings")
            return create_tensor("MirrorPad", [value, paddings_tensor], {"mode": mode}, scope)
    if mode != "CONSTANT":
        raise ValueError('Value of argument `mode` expected to be one of "CONSTANT", '
                         f'"REFLECT", or "SYMMETRIC". Received `mode` = {mode}')
    zero = (not isinstance(constant_values, Tensor) and np.ndim(constant_values) == 0
            and constant_values == np.zeros_like(constant_values))
    op_type = "Pad" if zero else "PadV2"
    with op_scope(name, op_type, [tensor, paddings, constant_values]) as scope:
        value = convert_to_tensor(tensor, name="input")
        paddings_tensor = int_tensor(paddings, "paddings")
        inputs = [value, paddings_tensor]
        if not zero:
            inputs.append(convert_to_tensor(constant_values, dtype=value.dtype,
                                            name="constant_values"))
        return create_tensor(op_type, inputs, {}, scope)


def tile(input: Any, multiples: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Tile", [input, multiples]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor("Tile", [value, int_tensor(multiples, "multiples")], {}, scope)


def broadcast_to(input: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "BroadcastTo", [input, shape]) as scope:
        value = convert_to_tensor(input, name="input")
        return create_tensor("BroadcastTo", [value, int_tensor(shape, "shape")], {}, scope)


def gather(params: Any, indices: Any, validate_indices: Any = None, name: Optional[str] = None,
           axis: Any = None, batch_dims: int = 0) -> Tensor:
    """``GatherV2``: slices of ``params`` along ``axis`` (default ``batch_dims``) at ``indices``."""
    del validate_indices  # deprecated in TF; indices are always checked
    if axis is None:
        axis = batch_dims
    with op_scope(name, "GatherV2", [params, indices, axis]) as scope:
        params_t = convert_to_tensor(params, name="params")
        indices_t = int_tensor(indices, "indices")
        axis_t = int_tensor(axis, "axis")
        return create_tensor("GatherV2", [params_t, indices_t, axis_t],
                             {"batch_dims": int(batch_dims)}, scope)


def gather_nd(params: Any, indices: Any, name: Optional[str] = None,
              batch_dims: int = 0) -> Tensor:
    """``GatherNd``: ``indices[..., :]`` are index tuples into the leading dims of params."""
    if batch_dims != 0:
        raise NotImplementedError("gather_nd with batch_dims != 0 is not implemented in symgrad")
    with op_scope(name, "GatherNd", [params, indices]) as scope:
        params_t = convert_to_tensor(params, name="params")
        indices_t = int_tensor(indices, "indices")
        return create_tensor("GatherNd", [params_t, indices_t], {}, scope)


def scatter_nd(indices: Any, updates: Any, shape: Any, name: Optional[str] = None) -> Tensor:
    """``ScatterNd``: zeros of ``shape`` with ``updates`` summed in at ``indices``."""
    with op_scope(name, "ScatterNd", [indices, updates, shape]) as scope:
        indices_t = int_tensor(indices, "indices")
        updates_t = convert_to_tensor(updates, name="updates")
        shape_t = int_tensor(shape, "shape", dtype=indices_t.dtype)
        return create_tensor("ScatterNd", [indices_t, updates_t, shape_t], {}, scope)


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any,
                         name: Optional[str] = None) -> Tensor:
    """``UnsortedSegmentSum``: row sums of ``data`` by segment id (negative ids dropped)."""
    with op_scope(name, "UnsortedSegmentSum", [data, segment_ids, num_segments]) as scope:
        data_t = convert_to_tensor(data, name="data")
        ids = int_tensor(segment_ids, "segment_ids")
        num = int_tensor(num_segments, "num_segments")
        return create_tensor("UnsortedSegmentSum", [data_t, ids, num], {}, scope)


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: Any = None, dtype: Any = None, name: Optional[str] = None) -> Tensor:
    """``OneHot``: ``on_value`` where the index matches, ``off_value`` elsewhere."""
    with op_scope(name, "one_hot", [indices, depth, on_value, off_value, axis, dtype]) as scope:
        known = [v.dtype for v in (on_value, off_value) if isinstance(v, Tensor)]
        if dtype is not None:
            target = _dtypes.as_dtype(dtype)
        elif known:
            target = known[0]
        elif on_value is not None or off_value is not None:
            sample = on_value if on_value is not None else off_value
            # TF's constant rules: Python ints are int32, floats float32.
            if isinstance(sample, builtins.bool):
                target = _dtypes.bool
            elif isinstance(sample, int):
                target = _dtypes.int32
            elif isinstance(sample, float):
                target = _dtypes.float32
            else:
                target = _dtypes.as_dtype(np.asarray(sample).dtype.name)
        else:
            target = _dtypes.float32
        for v in known:
            if v is not target:
                raise TypeError(f"dtype {target.name} of on_value/off_value does not match "
                                f"dtype {v.name}")
        on_t = convert_to_tensor(1 if on_value is None else on_value, dtype=target,
                                 name="on_value")
        off_t = convert_to_tensor(0 if off_value is None else off_value, dtype=target,
                                  name="off_value")
        indices_t = convert_to_tensor(indices, name="indices")
        if indices_t.dtype not in (_dtypes.uint8, _dtypes.int32, _dtypes.int64):
            raise TypeError(f"Value passed to parameter 'indices' has DataType "
                            f"{indices_t.dtype.name} not in list of allowed values: uint8, "
                            "int32, int64")
        depth_t = int_tensor(depth, "depth")
        attrs = {"axis": -1 if axis is None else int(axis)}
        return create_tensor("OneHot", [indices_t, depth_t, on_t, off_t], attrs, scope)


def strided_slice(input_: Any, begin: Any, end: Any, strides: Any = None, begin_mask: int = 0,
                  end_mask: int = 0, ellipsis_mask: int = 0, new_axis_mask: int = 0,
                  shrink_axis_mask: int = 0, var: Any = None,
                  name: Optional[str] = None) -> Tensor:
    """``StridedSlice`` with TF's five bit masks; ``strides`` defaults to ones."""
    del var  # variables are sliced as tensors
    if strides is None:
        strides = ones_like(begin)
    with op_scope(name, "StridedSlice", [input_, begin, end, strides]) as scope:
        value = convert_to_tensor(input_, name="input")
        begin_t = int_tensor(begin, "begin")
        end_t = int_tensor(end, "end", dtype=begin_t.dtype)
        strides_t = int_tensor(strides, "strides", dtype=begin_t.dtype)
        attrs = {"begin_mask": int(begin_mask), "end_mask": int(end_mask),
                 "ellipsis_mask": int(ellipsis_mask), "new_axis_mask": int(new_axis_mask),
                 "shrink_axis_mask": int(shrink_axis_mask)}
        return create_tensor("StridedSlice", [value, begin_t, end_t, strides_t], attrs, scope)


_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                     "scalar tf.int32/tf.int64 tensors are valid indices")


def _check_index(idx: Any) -> None:
    if isinstance(idx, (int, np.integer)) and not isinstance(idx, bool):
        return
    if isinstance(idx, Tensor) and idx.dtype in (_dtypes.int16, _dtypes.int32, _dtypes.int64) \
            and idx.shape.rank in (0, None):
        return
    raise TypeError(_SLICE_TYPE_ERROR + f", got {idx!r}")


def _pack_spec(values: list[Any], name: str) -> Tensor:
    """TF's ``stack(begin)``: one Const when all are Python ints, else an autopacked Pack."""
    if builtins.any(isinstance(v, Tensor) for v in values):
        return _autopack(values, None, name)
    return constant([int(v) for v in values], dtype=_dtypes.int32, name=name)


def _slice_helper(tensor: Tensor, key: Any) -> Tensor:
    """``tensor[key]`` as TF's ``_slice_helper``: one ``StridedSlice`` named strided_slice."""
    if (isinstance(key, bool) or (isinstance(key, Tensor) and key.dtype is _dtypes.bool)
            or (isinstance(key, np.ndarray) and key.dtype == np.bool_)):
        return boolean_mask(tensor, key)
    spec = list(key) if isinstance(key, (list, tuple)) else [key]
    begin: list[Any] = []
    end: list[Any] = []
    strides: list[Any] = []
    masks = {"begin_mask": 0, "end_mask": 0, "ellipsis_mask": 0, "new_axis_mask": 0,
             "shrink_axis_mask": 0}
    for index, s in enumerate(spec):
        bit = 1 << index
        if isinstance(s, builtins.slice):
            for part, out, mask, default in ((s.start, begin, "begin_mask", 0),
                                             (s.stop, end, "end_mask", 0),
                                             (s.step, strides, None, 1)):
                if part is None:
                    out.append(default)
                    if mask is not None:
                        masks[mask] |= bit
                else:
                    _check_index(part)
                    out.append(part)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["ellipsis_mask"] |= bit
        elif s is newaxis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            masks["new_axis_mask"] |= bit
        else:
            _check_index(s)
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            masks["shrink_axis_mask"] |= bit
    with op_scope(None, "strided_slice", [tensor]) as scope:
        if begin:
            packed = [_pack_spec(begin, "stack"), _pack_spec(end, "stack_1"),
                      _pack_spec(strides, "stack_2")]
            if builtins.any(p.dtype is _dtypes.int64 for p in packed):
                from .math_ops import cast
                packed = [p if p.dtype is _dtypes.int64 else cast(p, _dtypes.int64)
                          for p in packed]
        else:
            empty = constant([], dtype=_dtypes.int32)
            packed = [empty, empty, empty]
        value = convert_to_tensor(tensor, name="input")
        return create_tensor("StridedSlice", [value] + packed, masks, scope)


# ----- along an axis -----
def reverse(tensor: Any, axis: Any, name: Optional[str] = None) -> Tensor:
    """``ReverseV2``: reverses ``tensor`` along each dimension in ``axis``."""
    with op_scope(name, "ReverseV2", [tensor, axis]) as scope:
        value = convert_to_tensor(tensor, name="tensor")
        return create_tensor("ReverseV2", [value, int_tensor(axis, "axis")], {}, scope)


reverse_v2 = reverse


def boolean_mask(tensor: Any, mask: Any, name: str = "boolean_mask", axis: Any = None) -> Tensor:
    """The elements (or slices) of `tensor` where `mask` is true, as TF builds it: the masked
    dimensions flattened to one, then a gather at ``Where(mask)``."""
    from .math_ops import reduce_prod, where_v2
    from .tensor_shape import as_shape

    with get_default_graph().name_scope(name):
        ttensor = convert_to_tensor(tensor, name="tensor")
        tmask = convert_to_tensor(mask, name="mask")
        shape_mask = tmask.shape
        ndims_mask = shape_mask.ndims
        shape_tensor = ttensor.shape
        if ndims_mask == 0:
            raise ValueError("mask cannot be scalar.")
        if ndims_mask is None:
            raise ValueError(
                "Number of mask dimensions must be specified, even if some dimensions are "
                "None.  E.g. shape=[None] is ok, but shape=None is not.")
        axis = 0 if axis is None else axis
        axis_value = _constant_int(axis)
        if axis_value is not None:
            axis = axis_value
            shape_tensor[axis:axis + ndims_mask].assert_is_compatible_with(shape_mask)
        dynamic = shape(ttensor)
        leading_size = reduce_prod(dynamic[axis:axis + ndims_mask], [0])
        ttensor = reshape(ttensor, concat(
            [shape(ttensor)[:axis], [leading_size], shape(ttensor)[axis + ndims_mask:]], 0))
        if axis_value is not None and shape_tensor.ndims is not None:
            first_dim = shape_tensor[axis:axis + ndims_mask].num_elements()
            ttensor.set_shape(as_shape(shape_tensor[:axis]).concatenate([first_dim])
                              .concatenate(shape_tensor[axis + ndims_mask:]))
        flat_mask = reshape(tmask, [-1])
        indices = squeeze(where_v2(flat_mask), axis=[1])
        return gather(ttensor, indices, axis=axis)


def _constant_int(value: Any) -> Optional[int]:
    """`value` as a Python int when it is known while building (TF's constant_value)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Tensor) and value.op.type == "Const":
        return int(value.op.get_attr("value"))
    return None
