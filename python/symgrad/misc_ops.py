"""Smaller TF 1 entry points built from existing ops as TF builds them: variable updates
at n-d indices (``scatter_nd_update``/``_add``/``_sub``), ``count_up_to``,
``get_local_variable``, two initializers, ``clip_by_average_norm``, the deprecated
``op_scope``/``variable_op_scope``, checks over all variables or all float tensors,
``histogram_fixed_width_bins``, ``batch_gather``, ``guarantee_const``, ``timestamp``, and
in ``linalg``: ``cross``, ``normalize``, ``matrix_rank``, ``pinv``.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from .constant_op import convert_to_tensor
from .framework import Tensor, get_default_graph, name_scope

__all__ = [
    "scatter_nd_update", "scatter_nd_add", "scatter_nd_sub", "count_up_to",
    "get_local_variable", "uniform_unit_scaling_initializer", "clip_by_average_norm",
    "op_scope", "variable_op_scope", "convert_to_tensor_or_sparse_tensor",
    "assert_variables_initialized", "add_check_numerics_ops", "histogram_fixed_width_bins",
    "batch_gather", "guarantee_const", "timestamp", "is_symbolic_tensor",
]


# ----- variables -----

def _scatter_nd(kind: str, ref: Any, indices: Any, updates: Any, use_locking: Any,
                name: Optional[str]) -> Any:
    """The variable set to ``tensor_scatter_nd_<kind>`` of its value (TF's
    ``ResourceScatterNd*``: the update happens when the result runs)."""
    from .layout_ops import (tensor_scatter_nd_add, tensor_scatter_nd_sub,
                             tensor_scatter_nd_update)
    del use_locking
    scatter = {"update": tensor_scatter_nd_update, "add": tensor_scatter_nd_add,
               "sub": tensor_scatter_nd_sub}[kind]
    op_name = {"update": "ScatterNdUpdate", "add": "ScatterNdAdd", "sub": "ScatterNdSub"}[kind]
    with name_scope(name, op_name, [indices, updates]) as scope:
        value = scatter(ref.value(), indices, convert_to_tensor(updates, dtype=ref.dtype))
        return ref.assign(value, name=scope.rstrip("/") or None)


def scatter_nd_update(ref: Any, indices: Any, updates: Any, use_locking: bool = True,
                      name: Optional[str] = None) -> Any:
    """Sets the slices of the variable ``ref`` at the n-d ``indices`` to ``updates``."""
    return _scatter_nd("update", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                   name: Optional[str] = None) -> Any:
    """Adds ``updates`` to the slices of the variable ``ref`` at the n-d ``indices``."""
    return _scatter_nd("add", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref: Any, indices: Any, updates: Any, use_locking: bool = False,
                   name: Optional[str] = None) -> Any:
    """Subtracts ``updates`` from the slices of the variable ``ref`` at the n-d
    ``indices``."""
    return _scatter_nd("sub", ref, indices, updates, use_locking, name)


def count_up_to(ref: Any, limit: int, name: Optional[str] = None) -> Tensor:
    """The variable's value before adding one to it; ``OutOfRangeError`` "Reached limit of
    <limit>" once it has reached ``limit`` (TF's ``CountUpTo``)."""
    from .train.input import _count_up_to
    with name_scope(name, "CountUpTo", []):
        return _count_up_to(ref, int(limit))


def get_local_variable(name: str, shape: Any = None, dtype: Any = None,
                       initializer: Any = None, regularizer: Any = None,
                       trainable: bool = False, collections: Any = None,
                       caching_device: Any = None, partitioner: Any = None,
                       validate_shape: bool = True, use_resource: Any = None,
                       custom_getter: Any = None, constraint: Any = None,
                       synchronization: Any = None, aggregation: Any = None) -> Any:
    """``get_variable`` in the ``LOCAL_VARIABLES`` collection (not trainable)."""
    from .variables import GraphKeys, get_variable
    del trainable
    collections = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                        regularizer=regularizer, trainable=False, collections=collections,
                        caching_device=caching_device, partitioner=partitioner,
                        validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint,
                        synchronization=synchronization, aggregation=aggregation)


class uniform_unit_scaling_initializer:  # noqa: N801 - TF's name
    """Uniform values in ``[-sqrt(3 / fan_in) * factor, ...]``, ``fan_in`` the product of
    all dims but the last (TF 1's deprecated ``uniform_unit_scaling_initializer``)."""

    def __init__(self, factor: float = 1.0, seed: Optional[int] = None,
                 dtype: Any = _dtypes.float32) -> None:
        self.factor = factor
        self.seed = seed
        self.dtype = _dtypes.as_dtype(dtype)
        if not self.dtype.is_floating:
            raise ValueError("Expected floating point type, got %s." % self.dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from .random_ops import random_uniform
        dtype = self.dtype if dtype is None else _dtypes.as_dtype(dtype)
        dims = [int(d) for d in shape]
        scale_shape = dims
        if partition_info is not None:
            scale_shape = list(partition_info.full_shape)
        input_size = 1.0
        for d in scale_shape[:-1]:
            input_size *= float(d)
        input_size = max(input_size, 1.0)
        max_val = math.sqrt(3 / input_size) * self.factor
        return random_uniform(dims, -max_val, max_val, dtype, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "seed": self.seed, "dtype": self.dtype.name}


class identity_initializer:  # noqa: N801 - TF's name
    """``gain`` times the identity matrix, for 2-D shapes (``initializers.identity``)."""

    def __init__(self, gain: float = 1.0, dtype: Any = _dtypes.float32) -> None:
        self.gain = gain
        self.dtype = _dtypes.as_dtype(dtype)

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from .array_ops import slice as slice_
        from .linalg import eye
        dtype = self.dtype if dtype is None else _dtypes.as_dtype(dtype)
        full = [int(d) for d in (shape if partition_info is None
                                 else partition_info.full_shape)]
        if len(full) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices.")
        matrix = eye(full[0], full[1], dtype=dtype)
        if partition_info is not None:
            # This partition's block of the whole identity.
            matrix = slice_(matrix, list(partition_info.var_offset), [int(d) for d in shape])
        return self.gain * matrix

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "dtype": self.dtype.name}


# ----- clipping, scopes, conversions -----

def clip_by_average_norm(t: Any, clip_norm: Any, name: Optional[str] = None) -> Tensor:
    """``t`` scaled so that its L2 norm divided by its size is at most ``clip_norm``."""
    from .array_ops import identity, rank, size
    from .math_ops import cast, minimum, range as range_, reduce_sum, rsqrt
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        n_element = cast(size(t), _dtypes.float32)
        l2norm_inv = rsqrt(reduce_sum(t * t, range_(rank(t))))
        clipped = t * clip_norm * minimum(l2norm_inv * n_element,
                                          convert_to_tensor(1.0) / clip_norm)
        return identity(clipped, name=scope)


@contextlib.contextmanager
def op_scope(values: Any, name: Any, default_name: Optional[str] = None) -> Iterator[str]:
    """TF 1's deprecated ``op_scope``: ``name_scope(name, default_name, values)``."""
    with name_scope(name, default_name, values) as scope:
        yield scope


@contextlib.contextmanager
def variable_op_scope(values: Any, name_or_scope: Any, default_name: Optional[str] = None,
                      initializer: Any = None, regularizer: Any = None,
                      caching_device: Any = None, partitioner: Any = None,
                      custom_getter: Any = None, reuse: Any = None, dtype: Any = None,
                      use_resource: Any = None, constraint: Any = None) -> Iterator[Any]:
    """TF 1's deprecated ``variable_op_scope``: ``variable_scope`` with the values first."""
    from .variables import variable_scope
    with variable_scope(name_or_scope, default_name=default_name, values=values,
                        initializer=initializer, regularizer=regularizer,
                        caching_device=caching_device, partitioner=partitioner,
                        custom_getter=custom_getter, reuse=reuse, dtype=dtype,
                        use_resource=use_resource, constraint=constraint) as scope:
        yield scope


def convert_to_tensor_or_sparse_tensor(value: Any, dtype: Any = None,
                                       name: Optional[str] = None) -> Any:
    """A ``SparseTensor`` (or ``SparseTensorValue``) as a ``SparseTensor``, anything else
    as a tensor."""
    from .sparse_tensor import SparseTensor, SparseTensorValue
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype is not None and _dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Sparse dtype mismatch. Requested: {_dtypes.as_dtype(dtype)!r}, "
                             f" Actual: {value.dtype!r}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def is_symbolic_tensor(tensor: Any) -> bool:
    """Whether ``tensor`` is a graph tensor (not an eager one)."""
    return isinstance(tensor, Tensor) and not tensor._is_eager


# ----- checks over the whole graph -----

def assert_variables_initialized(var_list: Optional[Sequence[Any]] = None) -> Any:
    """An op that reads every variable (the global and local ones by default), so that
    running it fails while one is uninitialized: the ranks, stacked (None without
    variables)."""
    from .array_ops import rank, stack
    from .framework import colocate_with
    from .variables import global_variables, local_variables
    if var_list is None:
        var_list = global_variables() + local_variables()
    if not var_list:
        return None
    ranks = []
    for var in var_list:
        with colocate_with(var.op):
            ranks.append(rank(var.value() if hasattr(var, "value") else var))
    return ranks[0] if len(ranks) == 1 else stack(ranks)


def add_check_numerics_ops() -> Any:
    """A group of ``CheckNumerics`` over every float tensor of the default graph, chained
    by control dependencies (TF 1's debugging aid)."""
    from .check_ops import check_numerics
    from .control_flow_ops import group
    graph = get_default_graph()
    checks: list[Any] = []
    for op in graph.get_operations():
        if op.type == "CheckNumerics":
            continue
        for output in op.outputs:
            if output.dtype in (_dtypes.float16, _dtypes.float32, _dtypes.float64):
                message = f"{op.name}:{output.value_index}"
                with graph.control_dependencies(checks):
                    checks = [check_numerics(output, message=message)]
    return group(*checks)


# ----- values -----

def histogram_fixed_width_bins(values: Any, value_range: Any, nbins: Any = 100,
                               dtype: Any = _dtypes.int32, name: Optional[str] = None
                               ) -> Tensor:
    """The bin (0 .. nbins - 1) of each value among ``nbins`` equal bins over
    ``value_range``; values outside fall in the end bins."""
    from ._nn_math import clip_by_value
    from .array_ops import reshape, shape
    from .math_ops import cast, floor, truediv
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        shape_t = shape(values)
        values = reshape(values, [-1])
        value_range = convert_to_tensor(value_range, name="value_range")
        nbins = convert_to_tensor(nbins, dtype=_dtypes.int32, name="nbins")
        nbins_float = cast(nbins, values.dtype)
        scaled = truediv(values - value_range[0], value_range[1] - value_range[0],
                         name="scaled_values")
        indices = floor(nbins_float * scaled, name="indices")
        indices = cast(clip_by_value(indices, 0, nbins_float - 1), _dtypes.as_dtype(dtype))
        return reshape(indices, shape_t)


def batch_gather(params: Any, indices: Any, name: Optional[str] = None) -> Tensor:
    """``gather`` with every leading dim of ``indices`` but the last as batch dims."""
    from .array_ops import gather
    with name_scope(name, "BatchGather", [params, indices]):
        indices = convert_to_tensor(indices, name="indices")
        params = convert_to_tensor(params, name="params")
        if indices.shape.ndims is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        return gather(params, indices, batch_dims=indices.shape.ndims - 1)


def guarantee_const(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002
    """``input`` itself (TF's hint that it never changes during a run)."""
    from .array_ops import identity
    return identity(input, name=name or "GuaranteeConst")


def timestamp(name: Optional[str] = None) -> Tensor:
    """The time the op runs, in seconds since the epoch (float64), read on each run."""
    from .data.iterator_ops import _host_op

    def now(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(time.time(), dtype=np.float64)]

    with name_scope(name, "Timestamp", []) as scope:
        out: Tensor = _host_op("Timestamp", [], [_dtypes.float64], now,
                               scope=scope).outputs[0]
    out.set_shape([])
    return out
