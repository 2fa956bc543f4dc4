"""Sparse row gradients: ``IndexedSlices`` and its fetched value ``IndexedSlicesValue``."""

from __future__ import annotations

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


def _indexed_slices_to_tensor(value: IndexedSlices, dtype: Any, name: Optional[str]) -> Tensor:
    raise NotImplementedError(
        "Converting IndexedSlices to a dense tensor needs the UnsortedSegmentSum op, which "
        "symgrad does not implement yet")
