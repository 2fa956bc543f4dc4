"""Operations on ``SparseTensor``s that TF 1 programs use with parsed or fed sparse data:
``sparse_tensor_dense_matmul``, ``sparse_retain``, ``sparse_reorder``, ``sparse_reduce_sum``,
``sparse_add``, ``sparse.from_dense``, ``nn.embedding_lookup_sparse`` and ``SparseTensor``
times / divided by a dense tensor.

Each is built from existing differentiable ops (``gather``, ``unsorted_segment_sum``,
``gather_nd``, ``SparseToDense``...), so gradients flow to the sparse values and the dense
operands, to any order, with TF's values; the op types in the graph are those building
blocks rather than TF's fused kernels (``SparseTensorDenseMatMul``, ``SparseReorder``...).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .sparse_tensor import SparseTensor, SparseTensorValue, _constant_value

__all__ = ["sparse_tensor_dense_matmul", "sparse_retain", "sparse_reorder",
           "sparse_reduce_sum", "sparse_add", "from_dense", "embedding_lookup_sparse"]


def _sparse(value: Any, what: str = "sp_input") -> SparseTensor:
    if isinstance(value, SparseTensor):
        return value
    if isinstance(value, SparseTensorValue):
        return SparseTensor.from_value(value)
    raise TypeError(f"Input must be a SparseTensor, received {what}={type(value).__name__}")


def _column(indices: Tensor, j: int) -> Tensor:
    from .array_ops import strided_slice
    return strided_slice(indices, [0, j], [0, j + 1], shrink_axis_mask=2, begin_mask=1,
                         end_mask=1)


def _static_dim(dense_shape: Tensor, j: int) -> Optional[int]:
    value = _constant_value(dense_shape)
    if value is None or value.reshape(-1)[j] < 0:
        return None
    return int(value.reshape(-1)[j])


def sparse_tensor_dense_matmul(sp_a: Any, b: Any, adjoint_a: bool = False,
                               adjoint_b: bool = False, name: Optional[str] = None) -> Tensor:
    """``sp_a @ b`` for a rank-2 ``SparseTensor`` ``sp_a`` (duplicate indices add up), with
    ``adjoint_a``/``adjoint_b`` transposing an operand first."""
    from .array_ops import expand_dims, gather, transpose
    from .array_ops import unsorted_segment_sum
    sp = _sparse(sp_a, "sp_a")
    with name_scope(name, "SparseTensorDenseMatMul", [sp.indices, sp.values]):
        dense = convert_to_tensor(b, name="b")
        if dense.dtype != sp.dtype:
            raise TypeError(f"Input 'b' of 'SparseTensorDenseMatMul' Op has type "
                            f"{dense.dtype.name} that does not match type {sp.dtype.name} of "
                            "argument 'a_values'.")
        if adjoint_b:
            dense = transpose(dense)
        rows, cols = _column(sp.indices, 0), _column(sp.indices, 1)
        out_dim, inner_dim = (1, 0) if adjoint_a else (0, 1)
        if adjoint_a:
            rows, cols = cols, rows
        inner = _static_dim(sp.dense_shape, inner_dim)
        b_rows = dense.shape[0] if dense.shape.rank == 2 else None
        if inner is not None and b_rows is not None and inner != b_rows:
            raise ValueError(f"Dimensions must be equal, but are {inner} and {b_rows} for "
                             "'SparseTensorDenseMatMul'")
        from .array_ops import strided_slice
        num_rows = strided_slice(sp.dense_shape, [out_dim], [out_dim + 1], shrink_axis_mask=1)
        weighted = expand_dims(sp.values, 1) * gather(dense, cols)
        out = unsorted_segment_sum(weighted, rows, num_rows)
        b_cols = dense.shape[1] if dense.shape.rank == 2 else None
        out.set_shape([_static_dim(sp.dense_shape, out_dim), b_cols])
        return out


def sparse_retain(sp_input: Any, to_retain: Any) -> SparseTensor:
    """The entries of ``sp_input`` whose flag in the boolean vector ``to_retain`` is set."""
    from .array_ops import gather, identity, reshape
    from .math_ops import where
    sp = _sparse(sp_input)
    keep = convert_to_tensor(to_retain, dtype=_dtypes.bool, name="to_retain")
    if keep.shape.rank not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {keep.shape.rank}")
    where_true = reshape(where(keep), [-1])
    return SparseTensor(gather(sp.indices, where_true), gather(sp.values, where_true),
                        identity(sp.dense_shape))


def _row_major_order(indices: np.ndarray) -> np.ndarray:
    """The permutation that sorts index rows lexicographically (stable)."""
    if indices.size == 0:
        return np.zeros([0], dtype=np.int64)
    return np.lexsort(indices.reshape(len(indices), -1).T[::-1]).astype(np.int64)


def sparse_reorder(sp_input: Any, name: Optional[str] = None) -> SparseTensor:
    """``sp_input`` with its entries in row-major order of their indices."""
    from .array_ops import gather
    from .data.iterator_ops import _host_op
    sp = _sparse(sp_input)

    def order(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [_row_major_order(np.asarray(arrays[0], dtype=np.int64))]

    with name_scope(name, "SparseReorder", [sp.indices, sp.values]) as scope:
        permutation = _host_op("SparseReorder", [sp.indices], [_dtypes.int64], order,
                               scope=scope).outputs[0]
        permutation.set_shape([sp.indices.shape[0]] if sp.indices.shape.rank == 2 else [None])
        indices = gather(sp.indices, permutation)
        values = gather(sp.values, permutation)
    return SparseTensor(indices, values, sp.dense_shape)


def sparse_reduce_sum(sp_input: Any, axis: Any = None, keepdims: Any = None,
                      reduction_axes: Any = None, keep_dims: Any = None) -> Tensor:
    """The sum of the entries of ``sp_input`` over ``axis`` (all when ``None``), dense."""
    from .math_ops import reduce_sum
    from .sparse_tensor import sparse_tensor_to_dense
    sp = _sparse(sp_input)
    axis = axis if axis is not None else reduction_axes
    keep = bool(keepdims if keepdims is not None else keep_dims)
    if axis is None and not keep:
        return reduce_sum(sp.values)
    return reduce_sum(sparse_tensor_to_dense(sp, validate_indices=False), axis=axis,
                      keepdims=keep)


def from_dense(tensor: Any, name: Optional[str] = None) -> SparseTensor:
    """The non-zero (non-empty) entries of a dense tensor as a ``SparseTensor``."""
    from .array_ops import gather_nd, shape, zeros_like
    from .math_ops import not_equal, where
    with name_scope(name, "dense_to_sparse", [tensor] if isinstance(tensor, Tensor) else []):
        dense = convert_to_tensor(tensor)
        indices = where(not_equal(dense, zeros_like(dense)))
        return SparseTensor(indices, gather_nd(dense, indices),
                            shape(dense, out_type=_dtypes.int64))


def _merge_duplicates(indices: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
    """Sorted unique indices, and the values summed per index (differentiable in values)."""
    from .array_ops import unsorted_segment_sum
    from .data.iterator_ops import _host_op

    def group(arrays: list[np.ndarray]) -> list[np.ndarray]:
        rows = np.asarray(arrays[0], dtype=np.int64)
        rank = rows.shape[1] if rows.ndim == 2 else 1
        unique, inverse = np.unique(rows.reshape(-1, rank), axis=0, return_inverse=True)
        return [unique.astype(np.int64).reshape(-1, rank),
                inverse.reshape(-1).astype(np.int64),
                np.asarray(len(unique), dtype=np.int64)]

    op = _host_op("SparseAdd", [indices], [_dtypes.int64, _dtypes.int64, _dtypes.int64], group)
    unique, segment, count = op.outputs
    unique.set_shape([None, indices.shape[1] if indices.shape.rank == 2 else None])
    segment.set_shape([None])
    count.set_shape([])
    return unique, unsorted_segment_sum(values, segment, count)


def sparse_add(a: Any, b: Any, threshold: Any = None, thresh: Any = None) -> Any:
    """``a + b``: dense when one operand is dense, else a ``SparseTensor`` whose equal
    indices are summed, dropping sums whose magnitude is below ``threshold``."""
    from .array_ops import boolean_mask, concat
    from .math_ops import abs as abs_, add, greater_equal
    from .sparse_tensor import sparse_tensor_to_dense
    a_sparse = isinstance(a, (SparseTensor, SparseTensorValue))
    b_sparse = isinstance(b, (SparseTensor, SparseTensorValue))
    if not a_sparse and not b_sparse:
        raise TypeError("At least one input should be SparseTensor; do you mean to use "
                        "tf.add()?")
    if not (a_sparse and b_sparse):
        sp, dense = (_sparse(a), b) if a_sparse else (_sparse(b), a)
        return add(convert_to_tensor(dense, dtype=sp.dtype),
                   sparse_tensor_to_dense(sp, validate_indices=False))
    sa, sb = _sparse(a, "a"), _sparse(b, "b")
    limit = threshold if threshold is not None else thresh
    with name_scope(None, "SparseAdd", [sa.values, sb.values]):
        indices, values = _merge_duplicates(concat([sa.indices, sb.indices], 0),
                                            concat([sa.values, sb.values], 0))
        if limit is not None:
            keep = greater_equal(abs_(values), convert_to_tensor(limit, dtype=values.dtype))
            indices, values = boolean_mask(indices, keep), boolean_mask(values, keep)
    return SparseTensor(indices, values, sa.dense_shape)


def _cwise(sp: SparseTensor, dense: Any, op: Any) -> SparseTensor:
    """``op(values, dense at the indices)``, the dense operand broadcast to the dense shape
    (TF's ``SparseDenseCwise*``)."""
    from .array_ops import broadcast_to, gather_nd
    other = convert_to_tensor(dense, dtype=sp.dtype)
    if other.shape.rank == 0:
        return SparseTensor(sp.indices, op(sp.values, other), sp.dense_shape)
    picked = gather_nd(broadcast_to(other, sp.dense_shape), sp.indices)
    return SparseTensor(sp.indices, op(sp.values, picked), sp.dense_shape)


def sparse_dense_cwise(sp: SparseTensor, dense: Any, divide: bool) -> SparseTensor:
    """``sp * dense`` or ``sp / dense`` (``SparseTensor``'s operators)."""
    from .math_ops import multiply, truediv
    return _cwise(sp, dense, truediv if divide else multiply)


def embedding_lookup_sparse(params: Any, sp_ids: Any, sp_weights: Any,
                            partition_strategy: str = "mod", name: Optional[str] = None,
                            combiner: Optional[str] = None, max_norm: Any = None) -> Tensor:
    """TF's ``nn.embedding_lookup_sparse``: per row of ``sp_ids``, the ``combiner``
    ("sum", "mean" or "sqrtn", default "mean") of the embeddings of its ids, weighted by
    ``sp_weights`` (``None``: all 1)."""
    from .array_ops import gather, identity, ones_like, reshape
    from .embedding_ops import embedding_lookup
    from .math_ops import cast, div_no_nan, multiply, sqrt, square
    from .partition_ops import unique
    from .segment_ops import segment_sum
    if combiner is None:
        combiner = "mean"
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    ids_sp = _sparse(sp_ids, "sp_ids")
    weights_sp = None if sp_weights is None else _sparse(sp_weights, "sp_weights")
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    with name_scope(name, "embedding_lookup_sparse", shards + [ids_sp.indices]) as scope:
        segment_ids = cast(_column(ids_sp.indices, 0), _dtypes.int32)
        ids, idx = unique(ids_sp.values)
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy,
                                      max_norm=max_norm)
        # Without weights every id weighs 1: the same sums, means and sqrt-n means.
        weights = ones_like(ids_sp.values, dtype=embeddings.dtype) if weights_sp is None \
            else weights_sp.values
        if weights.dtype != embeddings.dtype:
            weights = cast(weights, embeddings.dtype)
        embeddings = gather(embeddings, idx)
        rank = embeddings.shape.rank
        extra = 1 if rank is None else rank - 1
        weights = reshape(weights, [-1] + [1] * extra)
        total = segment_sum(multiply(embeddings, weights), segment_ids)
        if combiner == "sum":
            return identity(total, name=scope.rstrip("/"))
        if combiner == "sqrtn":
            weight_sum = sqrt(segment_sum(square(weights), segment_ids))
        else:
            weight_sum = segment_sum(weights, segment_ids)
        return div_no_nan(total, weight_sum, name=scope.rstrip("/"))
