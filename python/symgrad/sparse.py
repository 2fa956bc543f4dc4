"""``tf.sparse`` (as ``tf.compat.v1.sparse``): sparse tensors and their dense form."""

from __future__ import annotations

from .sparse_tensor import SparseTensor, SparseTensorSpec, SparseTensorValue
from .sparse_ops import from_dense
from .sparse_ops import sparse_add as add
from .sparse_ops import sparse_reduce_sum as reduce_sum
from .sparse_ops import sparse_reorder as reorder
from .sparse_ops import sparse_retain as retain
from .sparse_ops import sparse_tensor_dense_matmul as matmul
from .sparse_ops import sparse_tensor_dense_matmul as sparse_dense_matmul
from .sparse_tensor import sparse_placeholder as placeholder
from .sparse_tensor import sparse_tensor_to_dense as to_dense

__all__ = ["SparseTensor", "SparseTensorSpec", "SparseTensorValue", "placeholder", "to_dense",
           "add", "from_dense", "matmul", "reduce_sum", "reorder", "retain",
           "sparse_dense_matmul"]

from .sparse_more import (eye, expand_dims, sparse_concat, sparse_fill_empty_rows,  # noqa: E402
                          sparse_mask, sparse_maximum, sparse_merge, sparse_minimum,
                          sparse_reduce_max, sparse_reduce_max_sparse,
                          sparse_reduce_sum_sparse, sparse_reset_shape, sparse_reshape,
                          sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum,
                          sparse_slice, sparse_softmax, sparse_split, sparse_to_indicator,
                          sparse_transpose)

concat = sparse_concat
fill_empty_rows = sparse_fill_empty_rows
mask = sparse_mask
maximum = sparse_maximum
minimum = sparse_minimum
merge = sparse_merge
reduce_max = sparse_reduce_max
reduce_max_sparse = sparse_reduce_max_sparse
reduce_sum_sparse = sparse_reduce_sum_sparse
reset_shape = sparse_reset_shape
reshape = sparse_reshape
segment_mean = sparse_segment_mean
segment_sqrt_n = sparse_segment_sqrt_n
segment_sum = sparse_segment_sum
slice = sparse_slice  # noqa: A001 - TF's name
softmax = sparse_softmax
split = sparse_split
to_indicator = sparse_to_indicator
transpose = sparse_transpose

__all__ += ["concat", "eye", "expand_dims", "fill_empty_rows", "mask", "maximum", "merge",
            "minimum", "reduce_max", "reduce_max_sparse", "reduce_sum_sparse", "reset_shape",
            "reshape", "segment_mean", "segment_sqrt_n", "segment_sum", "slice", "softmax",
            "split", "to_indicator", "transpose"]
