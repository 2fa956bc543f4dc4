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
