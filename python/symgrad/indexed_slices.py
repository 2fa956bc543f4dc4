"""Sparse row gradients: ``IndexedSlices`` and its fetched value ``IndexedSlicesValue``."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple, Optional

import numpy as np

from .framework import Tensor
from .tensor_shape import TensorShape

__all__ = ["IndexedSlices", "IndexedSlicesValue"]


class IndexedSlicesValue(NamedTuple):
    """A fetched IndexedSlices: numpy ``values``, ``indices`` and ``dense_shape`` (or None)."""

    values: np.ndarray
    indices: np.ndarray
    dense_shape: Optional[np.ndarray]


class IndexedSlices:
    """Rows ``values[i]`` of a dense tensor of shape ``dense_shape`` at ``indices[i]``."""

    def __init__(self, values: Tensor, indices: Tensor, dense_shape: Optional[Tensor] = None
                 ) -> None:
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self) -> Tensor:
        return self._values

    @property
    def indices(self) -> Tensor:
        return self._indices

    @property
    def dense_shape(self) -> Optional[Tensor]:
        return self._dense_shape

    @property
    def name(self) -> str:
        return self._values.name

    @property
    def device(self) -> str:
        return self._values.device

    @property
    def op(self) -> Any:
        return self._values.op

    @property
    def dtype(self) -> Any:
        return self._values.dtype

    @property
    def graph(self) -> Any:
        return self._values.graph

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: exact when ``dense_shape`` is a Const, else partial."""
        if self._dense_shape is None:
            return TensorShape(None)
        if self._dense_shape._is_eager:
            return TensorShape(np.asarray(self._dense_shape).tolist())
        if self._dense_shape.op.type == "Const":
            return TensorShape(np.asarray(self._dense_shape.op.get_attr("value")).tolist())
        static = self._dense_shape.shape
        rank = static[0] if static.rank == 1 else None
        return TensorShape(None if rank is None else [None] * rank)

    def __neg__(self) -> "IndexedSlices":
        from .math_ops import negative
        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def __repr__(self) -> str:
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"


_LARGE_SPARSE_NUM_ELEMENTS = 100000000


def _indexed_slices_to_tensor(value: IndexedSlices, dtype: Any = None,
                              name: Optional[str] = None) -> Tensor:
    """TF's conversion: ``unsorted_segment_sum(values, indices, dense_shape[0])``, warning
    when the dense result may be large."""
    from .array_ops import unsorted_segment_sum
    if dtype is not None and dtype is not value.dtype:
        raise ValueError(f"Tensor conversion requested dtype {dtype.name} for IndexedSlices "
                         f"with dtype {value.dtype.name}: {value!r}")
    if value.dense_shape is None:
        raise ValueError("Tensor conversion requested for IndexedSlices without dense_shape: "
                         f"{value.name}")
    static = value.shape
    if not static.is_fully_defined():
        warnings.warn("Converting sparse IndexedSlices to a dense Tensor of unknown shape. "
                      "This may consume a large amount of memory.", stacklevel=3)
    else:
        num_elements = int(np.prod(static.as_list()))
        if num_elements >= _LARGE_SPARSE_NUM_ELEMENTS:
            warnings.warn(f"Converting sparse IndexedSlices({value}) to a dense Tensor with "
                          f"{num_elements} elements. This may consume a large amount of memory.",
                          stacklevel=3)
    return unsorted_segment_sum(value.values, value.indices, value.dense_shape[0], name=name)
