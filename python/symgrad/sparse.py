"""``tf.sparse`` (as ``tf.compat.v1.sparse``): sparse tensors and their dense form."""

from __future__ import annotations

from .sparse_tensor import SparseTensor, SparseTensorSpec, SparseTensorValue
from .sparse_tensor import sparse_placeholder as placeholder
from .sparse_tensor import sparse_tensor_to_dense as to_dense

__all__ = ["SparseTensor", "SparseTensorSpec", "SparseTensorValue", "placeholder", "to_dense"]
