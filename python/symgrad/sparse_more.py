"""More ``SparseTensor`` operations of TF 1 (``tf.sparse_*`` / ``tf.sparse.*``): reshaping,
concatenating, splitting, slicing, transposing, filling empty rows, max/sum reductions to
dense or sparse results, softmax, indicators, merging, element-wise max/min, resetting the
shape, masking ``IndexedSlices``, ``eye``, ``expand_dims`` and the sparse segment
reductions.

As in ``sparse_ops``, the index bookkeeping (which entries go where) runs on the host as a
``PyFunc`` over numpy, with TF's run-time errors, and the values move with ``gather``,
``concat`` and segment ops, so gradients reach them (and a fill value) wherever TF has one.
The results are TF's: the same entries, in TF's order, with the same dense shapes.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .sparse_ops import _sparse
from .sparse_tensor import SparseTensor

__all__ = [
    "sparse_reshape", "sparse_concat", "sparse_split", "sparse_slice", "sparse_transpose",
    "sparse_fill_empty_rows", "sparse_reduce_max", "sparse_reduce_max_sparse",
    "sparse_reduce_sum_sparse", "sparse_softmax", "sparse_to_indicator", "sparse_merge",
    "sparse_maximum", "sparse_minimum", "sparse_reset_shape", "sparse_mask", "eye",
    "expand_dims", "sparse_segment_sum", "sparse_segment_mean", "sparse_segment_sqrt_n",
]

_I64 = _dtypes.int64


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _host(name: str, inputs: list[Tensor], outputs: int,
          func: Callable[..., tuple[np.ndarray, ...]], scope: Optional[str] = None
          ) -> list[Tensor]:
    """``func(*arrays)`` on the host, giving ``outputs`` int64 arrays."""
    from .data.iterator_ops import _host_op

    def call(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(a, dtype=np.int64) for a in func(*arrays)]

    return list(_host_op(name, inputs, [_I64] * outputs, call, scope=scope).outputs)


def _rows(indices: np.ndarray) -> np.ndarray:
    return np.asarray(indices, dtype=np.int64).reshape(-1, indices.shape[-1] if
                                                        indices.ndim == 2 else 0)


def _order(indices: np.ndarray) -> np.ndarray:
    """The permutation that sorts index rows lexicographically (stable)."""
    from .sparse_ops import _row_major_order
    return _row_major_order(indices)


def _with_shape(indices: Tensor, values: Tensor, dense_shape: Tensor,
                rank: Optional[int]) -> SparseTensor:
    indices.set_shape([None, rank])
    dense_shape.set_shape([rank])
    return SparseTensor(indices, values, dense_shape)


def _gather(values: Tensor, positions: Tensor) -> Tensor:
    """``values[positions]`` through ``GatherNd``, whose gradient is dense, as the
    gradients of TF's sparse kernels are."""
    from .array_ops import expand_dims, gather_nd
    return gather_nd(values, expand_dims(positions, -1))


def _rank(sp: SparseTensor) -> Optional[int]:
    shape = sp.dense_shape.shape
    return shape[0] if shape.rank == 1 else None


# ----- shape changes -----

def sparse_reshape(sp_input: Any, shape: Any, name: Optional[str] = None) -> SparseTensor:
    """The same entries under a new dense shape (one dim may be -1), as ``reshape`` of the
    dense tensor would place them."""
    from .array_ops import identity
    sp = _sparse(sp_input)
    with name_scope(name, "SparseReshape", [sp.indices, sp.values]) as scope:
        new_shape = convert_to_tensor(shape, dtype=_I64, name="shape")

        def reshape(indices: np.ndarray, dense: np.ndarray, target: np.ndarray):
            dense, target = dense.reshape(-1), target.reshape(-1).copy()
            total = int(np.prod(dense))
            unknown = np.flatnonzero(target == -1)
            if len(unknown) > 1:
                raise _invalid(f"only one output dimension may be -1, not both "
                               f"{unknown[0]} and {unknown[1]}")
            if np.any(target < -1):
                raise _invalid(f"size {int(np.flatnonzero(target < -1)[0])} must be "
                               f"non-negative, not {int(target[target < -1][0])}")
            known = int(np.prod(target[target >= 0]))
            if len(unknown) == 1:
                if known == 0 or total % known:
                    raise _invalid(f"Input to reshape is a SparseTensor with {total} dense "
                                   f"values, but the requested shape requires a multiple of "
                                   f"{known}. inputShape={dense.tolist()} "
                                   f"outputShape={target.tolist()}")
                target[unknown[0]] = total // known
            elif known != total:
                raise _invalid(f"Input to reshape is a tensor with {total} dense values, but "
                               f"the requested shape has {known}. inputShape="
                               f"{dense.tolist()} outputShape={target.tolist()}")
            rows = _rows(indices)
            flat = np.ravel_multi_index(rows.T, dense) if len(rows) and len(dense) else \
                np.zeros(len(rows), dtype=np.int64)
            out = np.stack(np.unravel_index(flat, target), axis=1) if len(target) else \
                np.zeros((len(rows), 0), dtype=np.int64)
            return out.reshape(len(rows), len(target)), target

        indices, dense_shape = _host("SparseReshape", [sp.indices, sp.dense_shape, new_shape],
                                     2, reshape, scope)
        rank = new_shape.shape[0] if new_shape.shape.rank == 1 else None
        dense_shape = _static_reshape(sp, shape, dense_shape)
        return _with_shape(indices, identity(sp.values), dense_shape, rank)


def _static_reshape(sp: SparseTensor, shape: Any, dense_shape: Tensor) -> Tensor:
    """TF's build-time checks of a reshape whose shapes are known, and the output's dense
    shape as a constant then."""
    from .constant_op import constant
    from .static_value import get_static_value
    requested = get_static_value(convert_to_tensor(shape, dtype=_I64))
    if requested is None or not sp.shape.is_fully_defined():
        return dense_shape
    requested = [int(d) for d in np.reshape(requested, -1)]
    if sum(d == -1 for d in requested) > 1:
        raise ValueError(f"At most one dimension can be inferred (-1). Found: "
                         f"{np.array(requested)}")
    known = [None if d == -1 else d for d in requested]
    size = int(np.prod(sp.shape.as_list()))
    implied = sum(d is None for d in known)
    if implied == 1 and 0 not in known:
        at = known.index(None)
        rest = known[:at] + known[at + 1:]
        known[at] = int(size // np.prod(rest))
    if implied == 0 or (implied == 1 and 0 not in known):
        new_size = int(np.prod(known))
        if new_size != size:
            shown = [None if d == -1 else d for d in requested]
            raise ValueError(f"Cannot reshape a tensor with {size} elements to shape "
                             f"{shown} ({new_size} elements).")
        return constant(known, dtype=_I64)
    return dense_shape


def sparse_transpose(sp_input: Any, perm: Any = None, name: Optional[str] = None
                     ) -> SparseTensor:
    """The entries with their index columns permuted by ``perm`` (default: reversed), in
    row-major order."""
    from .sparse_ops import sparse_reorder
    sp = _sparse(sp_input)
    with name_scope(name, "SparseTranspose", [sp.indices, sp.values]):
        rank = _rank(sp)
        if perm is None:
            if rank is None:
                raise ValueError("sparse_transpose needs perm when the rank is unknown")
            perm = list(range(rank))[::-1]
        perm_t = convert_to_tensor(perm, dtype=_dtypes.int32, name="perm")

        def transpose(indices: np.ndarray, dense: np.ndarray, order: np.ndarray):
            order = order.reshape(-1)
            if sorted(order.tolist()) != list(range(len(dense))):
                raise _invalid(f"{order.tolist()} is not a valid permutation of "
                               f"{len(dense)} dims")
            return _rows(indices)[:, order], dense.reshape(-1)[order]

        indices, dense_shape = _host("SparseTranspose", [sp.indices, sp.dense_shape, perm_t],
                                     2, transpose)
        return sparse_reorder(_with_shape(indices, sp.values, dense_shape, rank))


def expand_dims(sp_input: Any, axis: Any = None, name: Optional[str] = None) -> SparseTensor:
    """A size-1 dim inserted at ``axis`` (default -1, the end; negative counts from the end,
    as ``expand_dims``)."""
    from .array_ops import concat, ones, zeros
    sp = _sparse(sp_input)
    rank = _rank(sp)
    axis = -1 if axis is None else axis
    if rank is None:
        raise ValueError("symgrad's sparse.expand_dims needs a SparseTensor of known rank")
    axis = int(axis)
    if not -rank - 1 <= axis <= rank:
        raise ValueError(f"Axis {axis} out of range for a rank {rank} SparseTensor")
    if axis < 0:
        axis += rank + 1
    with name_scope(name, "expand_dims", [sp.indices, sp.values]):
        count = _shape_of(sp.indices)[:1]
        column = zeros(concat([count, [1]], 0), dtype=_I64)
        indices = concat([sp.indices[:, :axis], column, sp.indices[:, axis:]], 1)
        dense_shape = concat([sp.dense_shape[:axis], ones([1], _I64), sp.dense_shape[axis:]], 0)
        return _with_shape(indices, sp.values, dense_shape, rank + 1)


def _shape_of(t: Tensor) -> Tensor:
    from .array_ops import shape
    return shape(t, out_type=_I64)


def sparse_reset_shape(sp_input: Any, new_shape: Any = None) -> SparseTensor:
    """The same entries with dense shape ``new_shape``, which must be at least the input's
    in every dim (TF's ``ValueError`` when both are known, a run-time error otherwise), or
    the tightest shape that holds the entries when ``None``."""
    from .static_value import get_static_value
    sp = _sparse(sp_input)
    with name_scope(None, "SparseResetShape", [sp.indices, sp.values]):
        if new_shape is None:
            def tight(indices: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray]:
                rows = _rows(indices)
                rank = len(dense.reshape(-1))
                return (rows.max(axis=0) + 1 if len(rows) else np.zeros(rank, np.int64),)

            (dense_shape,) = _host("SparseResetShape", [sp.indices, sp.dense_shape], 1,
                                   tight)
            return _with_shape(sp.indices, sp.values, dense_shape, _rank(sp))
        target = convert_to_tensor(new_shape, dtype=_I64, name="new_shape")
        target.shape.assert_has_rank(1)
        rank = _rank(sp)
        if target.shape[0] is not None and rank is not None and target.shape[0] != rank:
            raise ValueError(f"Dimensions {rank} and {target.shape[0]} are not compatible")
        wanted = get_static_value(target)
        if wanted is not None and sp.shape.is_fully_defined():
            current = np.array(sp.shape.as_list())
            if not np.all(current <= wanted):
                # TF's text, which names the two shapes the other way round.
                raise ValueError("Requested new_shape should have dimension sizes >= "
                                 f"sp_input.shape.  Found new_shape ({current}), "
                                 f"sp_input.shape ({wanted}).")

        def check(dense: np.ndarray, requested: np.ndarray) -> tuple[np.ndarray]:
            dense, requested = dense.reshape(-1), requested.reshape(-1)
            if len(dense) != len(requested):
                raise _invalid("Condition x == y did not hold element-wise: the ranks of "
                               f"new_shape ({len(requested)}) and the input ({len(dense)})")
            if np.any(dense > requested):
                raise _invalid("Condition x <= y did not hold element-wise: new_shape "
                               f"{requested.tolist()} is smaller than the input's shape "
                               f"{dense.tolist()}")
            return (requested,)

        (dense_shape,) = _host("SparseResetShape", [sp.dense_shape, target], 1, check)
        return _with_shape(sp.indices, sp.values, dense_shape, rank)


# ----- concatenation, splits and slices -----

def sparse_concat(axis: Any, sp_inputs: Sequence[Any], name: Optional[str] = None,
                  expand_nonconcat_dim: bool = False, concat_dim: Any = None,
                  expand_nonconcat_dims: Any = None) -> SparseTensor:
    """The ``SparseTensor``s joined along ``axis``, entries in row-major order; the other
    dims must agree (or, with ``expand_nonconcat_dim``, grow to the largest)."""
    from .array_ops import concat
    if concat_dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'concat_dim' and 'axis'")
        axis = concat_dim
    expand = expand_nonconcat_dim or bool(expand_nonconcat_dims)
    sps = [_sparse(s, "sp_inputs") for s in sp_inputs]
    if not sps:
        raise ValueError("sparse_concat needs at least one SparseTensor")
    with name_scope(name, "SparseConcat", [s.values for s in sps]) as scope:
        axis = int(axis)
        inputs = [s.indices for s in sps] + [s.dense_shape for s in sps]
        n = len(sps)

        def join(*arrays: np.ndarray):
            shapes = [a.reshape(-1) for a in arrays[n:]]
            rank = len(shapes[0])
            dim = axis + rank if axis < 0 else axis
            if not 0 <= dim < rank:
                raise _invalid(f"Concat dimension must be in range [{-rank}, {rank}), got "
                               f"{axis}")
            for position, s in enumerate(shapes[1:], start=1):
                if len(s) != rank:
                    raise _invalid("Ranks of all input tensors must match: expected "
                                   f"{rank} but got {len(s)} at position {position}")
            out_shape = shapes[0].copy()
            out_shape[dim] = sum(int(s[dim]) for s in shapes)
            for j in range(rank):
                if j == dim:
                    continue
                sizes = [int(s[j]) for s in shapes]
                if expand:
                    out_shape[j] = max(sizes)
                    continue
                for position, other in enumerate(sizes):
                    if other != sizes[0]:
                        raise _invalid(f"Input shapes must match: expected {sizes[0]} for "
                                       f"dimension {j} but got {other} at position "
                                       f"{position}")
            parts, offset = [], 0
            for a, s in zip(arrays[:n], shapes):
                rows = _rows(a).copy()
                rows[:, dim] += offset
                offset += int(s[dim])
                parts.append(rows)
            rows = np.concatenate(parts, 0) if parts else np.zeros((0, rank), np.int64)
            order = _order(rows)
            return rows[order], order, out_shape

        indices, order, dense_shape = _host("SparseConcat", inputs, 3, join, scope)
        values = _gather(concat([s.values for s in sps], 0), order)
        return _with_shape(indices, values, dense_shape, _rank(sps[0]))


def sparse_split(keyword_required: Any = None, sp_input: Any = None,
                 num_split: Optional[int] = None, axis: Any = None,
                 name: Optional[str] = None, split_dim: Any = None) -> list[SparseTensor]:
    """``num_split`` ``SparseTensor``s cut along ``axis``: the first ``size % num_split``
    parts one longer than the rest, as TF's ``SparseSplit``."""
    if keyword_required is not None:
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if split_dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'split_dim' and 'axis'")
        axis = split_dim
    if axis is None:
        raise ValueError("axis is required")
    sp = _sparse(sp_input)
    num_split = int(num_split)
    with name_scope(name, "SparseSplit", [sp.indices, sp.values]):
        axis_value = int(axis)

        def split(indices: np.ndarray, dense: np.ndarray):
            dense = dense.reshape(-1)
            rank = len(dense)
            dim = axis_value + rank if axis_value < 0 else axis_value
            if not 0 <= dim < rank:
                raise _invalid(f"Input split_dim should be between {-rank} and {rank}, got "
                               f"{axis_value}")
            size = int(dense[dim])
            if num_split < 1 or num_split > size:
                raise _invalid(f"Input num_split should be between 1 and the splitting "
                               f"dimension size ({size}), got {num_split}")
            base, extra = divmod(size, num_split)
            starts = [k * base + min(k, extra) for k in range(num_split + 1)]
            rows = _rows(indices)
            outputs: list[np.ndarray] = []
            for k in range(num_split):
                inside = np.flatnonzero((rows[:, dim] >= starts[k])
                                        & (rows[:, dim] < starts[k + 1]))
                part = rows[inside].copy()
                part[:, dim] -= starts[k]
                shape = dense.copy()
                shape[dim] = starts[k + 1] - starts[k]
                outputs += [part, inside, shape]
            return tuple(outputs)

        parts = _host("SparseSplit", [sp.indices, sp.dense_shape], 3 * num_split, split)
        rank = _rank(sp)
        return [_with_shape(parts[3 * k], _gather(sp.values, parts[3 * k + 1]),
                            parts[3 * k + 2], rank) for k in range(num_split)]


def sparse_slice(sp_input: Any, start: Any, size: Any, name: Optional[str] = None
                 ) -> SparseTensor:
    """The entries in the box ``[start, start + size)`` (clipped to the dense shape),
    indexed from ``start``."""
    sp = _sparse(sp_input)
    with name_scope(name, "SparseSlice", [sp.indices, sp.values]):
        start_t = convert_to_tensor(start, dtype=_I64, name="start")
        size_t = convert_to_tensor(size, dtype=_I64, name="size")

        def cut(indices: np.ndarray, dense: np.ndarray, begin: np.ndarray, extent: np.ndarray):
            dense, begin, extent = dense.reshape(-1), begin.reshape(-1), extent.reshape(-1)
            for what, vector in (("start", begin), ("size", extent)):
                if len(vector) != len(dense):
                    raise _invalid(f"Expected {what} to be a vector of length {len(dense)} "
                                   f"but got length {len(vector)}")
            end = np.minimum(begin + extent, dense)
            shape = np.maximum(end - begin, 0)
            rows = _rows(indices)
            inside = np.flatnonzero(np.all((rows >= begin) & (rows < end), axis=1)) \
                if len(rows) else np.zeros(0, np.int64)
            return rows[inside] - begin, inside, shape

        indices, kept, dense_shape = _host("SparseSlice",
                                           [sp.indices, sp.dense_shape, start_t, size_t], 3,
                                           cut)
        return _with_shape(indices, _gather(sp.values, kept), dense_shape, _rank(sp))


# ----- filling, reductions, softmax -----

def sparse_fill_empty_rows(sp_input: Any, default_value: Any, name: Optional[str] = None
                           ) -> tuple[SparseTensor, Tensor]:
    """``(sp_output, empty_row_indicator)``: each empty row of a ``SparseTensor`` (first
    index) gets one entry ``[row, 0, ...]`` holding ``default_value``; entries end up in row
    order (stable within a row)."""
    from .array_ops import concat, fill, reshape
    from .math_ops import cast
    sp = _sparse(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp.indices, sp.values]):
        default = convert_to_tensor(default_value, dtype=sp.dtype, name="default_value")

        def fill_rows(indices: np.ndarray, dense: np.ndarray):
            dense = dense.reshape(-1)
            rows = _rows(indices)
            num_rows = int(dense[0]) if len(dense) else 0
            if len(rows) and (rows[:, 0].min() < 0 or rows[:, 0].max() >= num_rows):
                bad = int(np.flatnonzero((rows[:, 0] < 0) | (rows[:, 0] >= num_rows))[0])
                raise _invalid(f"indices({bad}, 0) is invalid: {int(rows[bad, 0])} >= "
                               f"{num_rows}")
            present = np.zeros(num_rows, dtype=bool)
            present[rows[:, 0]] = True
            empty = np.flatnonzero(~present)
            filler = np.zeros((len(empty), rows.shape[1]), dtype=np.int64)
            filler[:, 0] = empty
            every = np.concatenate([rows, filler], 0)
            # Stable by row: the original entries keep their order within a row.
            order = np.argsort(every[:, 0], kind="stable").astype(np.int64)
            return every[order], order, ~present, np.asarray(len(empty), dtype=np.int64)

        indices, order, empty, count = _host("SparseFillEmptyRows",
                                             [sp.indices, sp.dense_shape], 4, fill_rows)
        defaults = fill(reshape(count, [1]), default)
        values = _gather(concat([sp.values, defaults], 0), order)
        empty_rows = cast(empty, _dtypes.bool)
        empty_rows.set_shape([None])
        return _with_shape(indices, values, sp.dense_shape, _rank(sp)), empty_rows


def _groups(sp: SparseTensor, axis: Any, keep: bool
            ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """For a reduction over ``axis`` (all when ``None``): each entry's group, the groups'
    indices and count in the output (kept dims as size 1 with ``keep``), and the output's
    dense shape."""
    axes = None if axis is None else convert_to_tensor(axis, dtype=_dtypes.int32)
    inputs = [sp.indices, sp.dense_shape] + ([] if axes is None else [axes])

    def group(indices: np.ndarray, dense: np.ndarray, *reduced: np.ndarray):
        dense = dense.reshape(-1)
        rank = len(dense)
        picked = range(rank) if not reduced else [
            int(a) + rank if a < 0 else int(a) for a in reduced[0].reshape(-1)]
        for a in picked:
            if not 0 <= a < rank:
                raise _invalid(f"Invalid reduction dimension {a} for input with {rank} "
                               "dimensions.")
        kept = [j for j in range(rank) if j not in set(picked)]
        rows = _rows(indices)
        keys = rows[:, kept]
        if keep:
            out_rows = np.zeros((len(rows), rank), dtype=np.int64)
            out_rows[:, kept] = keys
            out_shape = dense.copy()
            out_shape[list(picked)] = 1
        else:
            out_rows, out_shape = keys, dense[kept]
        unique, segment = np.unique(out_rows, axis=0, return_inverse=True) if len(rows) else \
            (np.zeros((0, out_rows.shape[1]), np.int64), np.zeros(0, np.int64))
        return segment.reshape(-1), unique, np.asarray(len(unique)), out_shape

    return tuple(_host("SparseReduce", inputs, 4, group))  # type: ignore[return-value]


def _reduce_sparse(sp_input: Any, axis: Any, keepdims: Any, reduction_axes: Any,
                   keep_dims: Any, segment_fn: Callable[..., Tensor], op_name: str
                   ) -> SparseTensor:
    sp = _sparse(sp_input)
    axis = axis if axis is not None else reduction_axes
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(None, op_name, [sp.indices, sp.values]):
        segment, indices, count, dense_shape = _groups(sp, axis, keep)
        values = segment_fn(sp.values, segment, count)
        return _with_shape(indices, values, dense_shape, None)


def sparse_reduce_max_sparse(sp_input: Any, axis: Any = None, keepdims: Any = None,
                             reduction_axes: Any = None, keep_dims: Any = None
                             ) -> SparseTensor:
    """The max of the present entries of each group, as a ``SparseTensor`` of the groups
    that have any."""
    from .segment_ops import unsorted_segment_max
    return _reduce_sparse(sp_input, axis, keepdims, reduction_axes, keep_dims,
                          unsorted_segment_max, "SparseReduceMaxSparse")


def sparse_reduce_sum_sparse(sp_input: Any, axis: Any = None, keepdims: Any = None,
                             reduction_axes: Any = None, keep_dims: Any = None
                             ) -> SparseTensor:
    """The sum of the entries of each group, as a ``SparseTensor``."""
    from .array_ops import unsorted_segment_sum
    return _reduce_sparse(sp_input, axis, keepdims, reduction_axes, keep_dims,
                          unsorted_segment_sum, "SparseReduceSumSparse")


def sparse_reduce_max(sp_input: Any, axis: Any = None, keepdims: Any = None,
                      reduction_axes: Any = None, keep_dims: Any = None) -> Tensor:
    """The max of the present entries over ``axis`` (all when ``None``), dense; a group
    with no entries holds 0, as in TF."""
    from .sparse_tensor import sparse_to_dense
    sp = _sparse(sp_input)
    if axis is None and reduction_axes is None and not (keepdims or keep_dims):
        from .math_ops import reduce_max
        return reduce_max(sp.values)
    reduced = sparse_reduce_max_sparse(sp, axis, keepdims, reduction_axes, keep_dims)
    return sparse_to_dense(reduced.indices, reduced.dense_shape, reduced.values,
                           default_value=convert_to_tensor(0, dtype=sp.dtype),
                           validate_indices=False)


def sparse_softmax(sp_input: Any, name: Optional[str] = None) -> SparseTensor:
    """The softmax of the present entries of each innermost row (all index columns but
    the last), as a ``SparseTensor`` with the same indices; differentiable."""
    from .array_ops import gather, stop_gradient, unsorted_segment_sum
    from .math_ops import exp, subtract, truediv
    from .segment_ops import unsorted_segment_max
    sp = _sparse(sp_input)
    with name_scope(name, "SparseSoftmax", [sp.indices, sp.values]):
        rank = _rank(sp)
        axis = -1 if rank is None else rank - 1
        segment, _, count, _ = _groups(sp, [axis], False)
        peak = stop_gradient(unsorted_segment_max(sp.values, segment, count))
        shifted = exp(subtract(sp.values, gather(peak, segment)))
        total = unsorted_segment_sum(shifted, segment, count)
        return SparseTensor(sp.indices, truediv(shifted, gather(total, segment)),
                            sp.dense_shape)


# ----- indicators, merging, element-wise max/min -----

def sparse_to_indicator(sp_input: Any, vocab_size: Any, name: Optional[str] = None) -> Tensor:
    """A dense bool tensor ``[..., vocab_size]`` that is True at each entry's row and the id
    its value holds (an int ``SparseTensor``): TF's ``sparse_merge`` of all-True values."""
    from .array_ops import ones_like
    from .sparse_tensor import sparse_to_dense
    sp = _sparse(sp_input)
    with name_scope(name, "SparseToIndicator", [sp.indices, sp.values]):
        flags = SparseTensor(sp.indices, ones_like(sp.values, _dtypes.bool), sp.dense_shape)
        merged = sparse_merge(sp, flags, vocab_size)
        return sparse_to_dense(merged.indices, merged.dense_shape, True, False,
                               validate_indices=False)


def sparse_merge(sp_ids: Any, sp_values: Any, vocab_size: Any, name: Optional[str] = None,
                 already_sorted: bool = False) -> SparseTensor:
    """A ``SparseTensor`` ``[..., vocab_size]`` holding each entry of ``sp_values`` at its
    row and the id that ``sp_ids`` gives it (in row-major order unless
    ``already_sorted``)."""
    from .array_ops import concat
    from .math_ops import cast
    from .sparse_ops import sparse_reorder
    ids, weights = _sparse(sp_ids, "sp_ids"), _sparse(sp_values, "sp_values")
    with name_scope(name, "SparseMerge", [ids.indices, weights.values]):
        vocab = convert_to_tensor(vocab_size, dtype=_I64, name="vocab_size")
        indices = concat([ids.indices[:, :-1], cast(ids.values, _I64)[:, None]], 1)
        dense_shape = concat([ids.dense_shape[:-1], vocab[None]], 0)
        merged = SparseTensor(indices, weights.values, dense_shape)
        return merged if already_sorted else sparse_reorder(merged)


def _sparse_cwise(sp_a: Any, sp_b: Any, name: Optional[str], op_name: str,
                  pick: Callable[[Tensor, Tensor], Tensor]) -> SparseTensor:
    """``pick`` of the two operands at each index either has (a missing entry counts as
    0), in row-major order."""
    from .array_ops import concat, zeros
    a, b = _sparse(sp_a, "sp_a"), _sparse(sp_b, "sp_b")
    if a.dtype != b.dtype:
        raise TypeError(f"Input 'b_values' of '{op_name}' Op has type {b.dtype.name} that "
                        f"does not match type {a.dtype.name} of argument 'a_values'.")
    with name_scope(name, op_name, [a.values, b.values]):
        def union(ia: np.ndarray, ib: np.ndarray, sa: np.ndarray, sb: np.ndarray):
            if not np.array_equal(sa.reshape(-1), sb.reshape(-1)):
                raise _invalid(f"Operands' shapes do not match: A.shape = {sa.tolist()} vs. "
                               f"B.shape = {sb.tolist()}")
            ra, rb = _rows(ia), _rows(ib)
            every = np.concatenate([ra, rb], 0)
            unique, inverse = np.unique(every, axis=0, return_inverse=True) if len(every) \
                else (every, np.zeros(0, np.int64))
            inverse = inverse.reshape(-1)
            n = len(unique)
            # Positions into [a values, b values, 0]: the missing side reads the zero.
            from_a = np.full(n, len(ra) + len(rb), dtype=np.int64)
            from_b = from_a.copy()
            from_a[inverse[:len(ra)]] = np.arange(len(ra))
            from_b[inverse[len(ra):]] = np.arange(len(ra), len(ra) + len(rb))
            return unique, from_a, from_b

        indices, from_a, from_b = _host(op_name, [a.indices, b.indices, a.dense_shape,
                                                  b.dense_shape], 3, union)
        pool = concat([a.values, b.values, zeros([1], a.dtype)], 0)
        values = pick(_gather(pool, from_a), _gather(pool, from_b))
        return _with_shape(indices, values, a.dense_shape, _rank(a))


def sparse_maximum(sp_a: Any, sp_b: Any, name: Optional[str] = None) -> SparseTensor:
    """The element-wise max of two ``SparseTensor``s of one shape (a missing entry is 0)."""
    from .math_ops import maximum
    return _sparse_cwise(sp_a, sp_b, name, "SparseSparseMaximum", maximum)


def sparse_minimum(sp_a: Any, sp_b: Any, name: Optional[str] = None) -> SparseTensor:
    """The element-wise min of two ``SparseTensor``s of one shape (a missing entry is 0)."""
    from .math_ops import minimum
    return _sparse_cwise(sp_a, sp_b, name, "SparseSparseMinimum", minimum)


# ----- IndexedSlices, eye, segment reductions -----

def sparse_mask(a: Any, mask_indices: Any, name: Optional[str] = None) -> Any:
    """The ``IndexedSlices`` ``a`` without its slices at ``mask_indices``."""
    from .array_ops import gather
    from .indexed_slices import IndexedSlices
    from .math_ops import setdiff1d
    with name_scope(name, "sparse_mask", [a, mask_indices]):
        indices = a.indices
        out_indices, to_gather = setdiff1d(indices, mask_indices)
        out_values = gather(a.values, to_gather, name="gather")
        return IndexedSlices(out_values, out_indices, a.dense_shape)


def eye(num_rows: Any, num_columns: Any = None, dtype: Any = _dtypes.float32,
        name: Optional[str] = None) -> SparseTensor:
    """A sparse identity matrix ``[num_rows, num_columns]`` (square by default)."""
    from .array_ops import ones, stack
    from .math_ops import cast, minimum, range as range_
    with name_scope(name, "eye", [num_rows, num_columns]):
        rows = cast(convert_to_tensor(num_rows), _I64)
        cols = rows if num_columns is None else cast(convert_to_tensor(num_columns), _I64)
        diag = range_(minimum(rows, cols))
        indices = stack([diag, diag], axis=1)
        values = ones(_shape_of(diag), dtype=_dtypes.as_dtype(dtype))
        return _with_shape(indices, values, stack([rows, cols]), 2)


def _segment(data: Any, indices: Any, segment_ids: Any, num_segments: Any, name: Optional[str],
             op_name: str, combine: str) -> Tensor:
    from .array_ops import (concat, expand_dims, gather, ones, ones_like, rank, reshape,
                            shape, unsorted_segment_sum)
    from .math_ops import maximum, reduce_max, sqrt, truediv
    with name_scope(name, op_name, [data, indices, segment_ids]):
        rows = gather(convert_to_tensor(data, name="data"),
                      convert_to_tensor(indices, name="indices"))
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        count = (reduce_max(ids) + 1) if num_segments is None else \
            convert_to_tensor(num_segments, dtype=ids.dtype)
        if num_segments is None:
            count = maximum(count, 0)
        total = unsorted_segment_sum(rows, ids, count)
        if combine == "sum":
            return total
        n = unsorted_segment_sum(ones_like(ids, dtype=rows.dtype), ids, count)
        n = maximum(n, 1) if combine == "mean" else sqrt(maximum(n, 1))
        # One count per segment, broadcast over the rest of each row (any rank).
        trailing = ones(expand_dims(rank(rows) - 1, 0), dtype=_dtypes.int32)
        return truediv(total, reshape(n, concat([shape(n), trailing], 0)))


def sparse_segment_sum(data: Any, indices: Any, segment_ids: Any, name: Optional[str] = None,
                       num_segments: Any = None) -> Tensor:
    """The rows ``data[indices]`` summed per segment (``segment_ids``, sorted; or any order
    with ``num_segments``)."""
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentSum", "sum")


def sparse_segment_mean(data: Any, indices: Any, segment_ids: Any, name: Optional[str] = None,
                        num_segments: Any = None) -> Tensor:
    """The mean of the rows ``data[indices]`` per segment (0 for an empty segment)."""
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentMean",
                    "mean")


def sparse_segment_sqrt_n(data: Any, indices: Any, segment_ids: Any,
                          name: Optional[str] = None, num_segments: Any = None) -> Tensor:
    """The sum of the rows ``data[indices]`` per segment over the square root of its
    size."""
    return _segment(data, indices, segment_ids, num_segments, name, "SparseSegmentSqrtN",
                    "sqrt_n")
