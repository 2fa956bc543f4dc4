"""Nested element structures as ``tf.data`` sees them, and the static spec of a component.

``tf.data`` has its own nesting rules (``tensorflow/python/data/util/nest.py``): tuples
(namedtuples included) and dicts are structure, a Python *list* is a value that converts to
one tensor. Dicts flatten in sorted-key order, as TF's ``nest`` does.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from .. import dtypes as _dtypes
from ..dtypes import DType
from ..tensor_shape import TensorShape, as_shape


class SparseSpec(tuple):  # type: ignore[type-arg]
    """A ``SparseTensor`` element's place in a structure: its three parts (indices, values,
    dense_shape), each a leaf of the flattened element."""


def is_structure(value: Any) -> bool:
    from ..sparse_tensor import SparseTensor
    return isinstance(value, (tuple, dict, SparseTensor))


def _children(value: Any) -> list[Any]:
    from ..sparse_tensor import SparseTensor
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, SparseTensor):
        return [value.indices, value.values, value.dense_shape]
    return list(value)


def flatten(value: Any) -> list[Any]:
    """The leaves of ``value`` in TF's order (iterative: structures can be deep)."""
    out: list[Any] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if is_structure(item):
            stack.extend(reversed(_children(item)))
        else:
            out.append(item)
    return out


def _sparse_rebuild(children: list[Any]) -> Any:
    """Graph tensors make a ``SparseTensor``, arrays a ``SparseTensorValue``, anything else
    (specs, dtypes, shapes) a ``SparseSpec``."""
    from ..framework import Tensor
    from ..sparse_tensor import SparseTensor, SparseTensorValue
    if all(isinstance(c, Tensor) for c in children):
        return SparseTensor(*children)
    if all(isinstance(c, np.ndarray) for c in children):
        return SparseTensorValue(*children)
    return SparseSpec(children)


def _rebuild(template: Any, children: list[Any]) -> Any:
    from ..sparse_tensor import SparseTensor
    if isinstance(template, (SparseSpec, SparseTensor)):
        return _sparse_rebuild(children)
    if isinstance(template, dict):
        by_key = dict(zip(sorted(template), children))
        return type(template)((k, by_key[k]) for k in template)
    if hasattr(template, "_fields"):  # a namedtuple
        return type(template)(*children)
    return tuple(children)


def pack(template: Any, leaves: list[Any]) -> Any:
    """``leaves`` put into the structure of ``template``."""
    it: Iterator[Any] = iter(leaves)

    def build(node: Any) -> Any:
        if not is_structure(node):
            return next(it)
        return _rebuild(node, [build(child) for child in _children(node)])

    return build(template)


def map_structure(func: Callable[[Any], Any], value: Any) -> Any:
    return pack(value, [func(leaf) for leaf in flatten(value)])


def map_elements(func: Callable[[Any], Any], value: Any) -> Any:
    """``func`` applied to each element of a spec structure: a ``ComponentSpec``, or a
    ``SparseSpec`` taken whole (what ``output_types`` and the like show)."""
    def build(node: Any) -> Any:
        if isinstance(node, SparseSpec) or not is_structure(node):
            return func(node)
        return _rebuild(node, [build(child) for child in _children(node)])

    return build(value)


def sparse_dense_shape(spec: SparseSpec) -> TensorShape:
    """The static dense shape of a sparse element: its rank, dimensions unknown."""
    rank = spec[2].shape[0] if spec[2].shape.rank == 1 else None
    return TensorShape(None if rank is None else [None] * rank)


def flatten_up_to(template: Any, value: Any) -> Optional[list[Any]]:
    """``value``'s parts at the places of ``template``'s leaves (what is below a leaf stays
    whole: ``((), (None,))`` gives two shapes for two components), or None when ``value``
    does not have ``template``'s structure."""
    out: list[Any] = []
    stack = [(template, value)]
    while stack:
        t, v = stack.pop()
        if not is_structure(t):
            out.append(v)
            continue
        if not is_structure(v) or isinstance(t, dict) != isinstance(v, dict):
            return None
        if _is_sparse(t) != _is_sparse(v):
            return None
        if isinstance(t, dict) and sorted(t) != sorted(v):
            return None
        ts, vs = _children(t), _children(v)
        if len(ts) != len(vs):
            return None
        stack.extend(reversed(list(zip(ts, vs))))
    return out


def _is_sparse(value: Any) -> bool:
    from ..sparse_tensor import SparseTensor, SparseTensorValue
    return isinstance(value, (SparseSpec, SparseTensor, SparseTensorValue))


def same_structure(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` nest the same way (leaf values are not compared)."""
    parts = flatten_up_to(a, b)
    return parts is not None and not any(is_structure(p) for p in parts)


class ComponentSpec:
    """One component's dtype and static shape (TF's ``TensorSpec`` of an element)."""

    __slots__ = ("dtype", "shape")

    def __init__(self, dtype: DType, shape: Any) -> None:
        self.dtype = dtype
        self.shape = as_shape(shape)


def spec_shape(shape: Any) -> TensorShape:
    """A shape given as TF's ``output_shapes`` leaves accept it: -1 means unknown."""
    if shape is None or isinstance(shape, TensorShape):
        return as_shape(shape)
    if isinstance(shape, (list, tuple)):
        return TensorShape([None if d is None or (isinstance(d, int) and d < 0) else d
                            for d in shape])
    return as_shape(shape)


def as_component(value: Any, dtype: DType) -> np.ndarray:
    """A run-time component as the array the executor expects for ``dtype``."""
    if dtype._is_string:
        array = np.asarray(value, dtype=object)
        flat = array.reshape(-1)
        for i, v in enumerate(flat):
            if isinstance(v, str):
                flat[i] = v.encode("utf-8")
        return array
    return np.asarray(value, dtype=dtype.as_numpy_dtype)


def dtype_of_array(array: np.ndarray) -> DType:
    if array.dtype == object or array.dtype.kind in ("S", "U"):
        return _dtypes.string
    return _dtypes.as_dtype(array.dtype)


def shape_text(shape: Optional[TensorShape]) -> str:
    return "<unknown>" if shape is None or shape.rank is None else str(shape)
