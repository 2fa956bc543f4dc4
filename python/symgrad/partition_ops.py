"""Partitioning, counting and searching: ``dynamic_partition``, ``unique``,
``unique_with_counts``, ``in_top_k``, ``bincount``, ``confusion_matrix``, ``searchsorted``
and ``zero_fraction``, built as TF 2.21's ``tf.compat.v1`` builds them."""

from __future__ import annotations

import collections
from typing import Any, Optional

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_op, create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor

__all__ = [
    "dynamic_partition", "dynamic_stitch", "unique", "unique_with_counts", "in_top_k", "bincount",
    "confusion_matrix", "searchsorted", "zero_fraction",
]

UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCountsOutput = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def dynamic_partition(data: Any, partitions: Any, num_partitions: int,
                      name: Optional[str] = None) -> list[Tensor]:
    """``DynamicPartition``: the elements (rows) of ``data`` split into ``num_partitions``
    lists by the int32 ``partitions`` (a prefix of ``data``'s shape)."""
    with op_scope(name, "DynamicPartition", [data, partitions]) as scope:
        data_t = convert_to_tensor(data, name="data")
        (parts,) = convert_same_type("DynamicPartition", [("partitions", partitions)],
                                     dtype=_dtypes.int32)
        op = create_op("DynamicPartition", [data_t, parts],
                       {"num_partitions": int(num_partitions)}, scope)
        return list(op.outputs)


def dynamic_stitch(indices: Any, data: Any, name: Optional[str] = None) -> Tensor:
    """``DynamicStitch``: interleaves the ``data`` tensors into one, ``data[m][i]`` going to
    row ``indices[m][i]`` (int32); a later list wins where indices repeat."""
    with op_scope(name, "DynamicStitch", [indices, data]) as scope:
        indices, data = list(indices), list(data)
        if not indices:
            raise ValueError("List argument 'indices' to 'dynamic_stitch' Op with length 0 "
                             "shorter than minimum length 1.")
        if len(data) != len(indices):
            raise ValueError(f"List argument 'data' to 'dynamic_stitch' Op with length "
                             f"{len(data)} must match length {len(indices)} of argument "
                             "'indices'.")
        index_ts = convert_same_type(
            "DynamicStitch", [("indices", i) for i in indices], dtype=_dtypes.int32)
        data_ts = convert_same_type("DynamicStitch", [("data", d) for d in data])
        return create_tensor("DynamicStitch", list(index_ts) + list(data_ts),
                             {"N": len(indices)}, scope)


def _unique(op_type: str, x: Any, out_idx: Any, name: Optional[str]) -> list[Tensor]:
    with op_scope(name, op_type, [x]) as scope:
        x_t = convert_to_tensor(x, name="x")
        out = _dtypes.as_dtype(out_idx).name
        return list(create_op(op_type, [x_t], {"out_idx": out}, scope).outputs)


def unique(x: Any, out_idx: Any = _dtypes.int32, name: Optional[str] = None) -> Any:
    """``Unique``: ``(y, idx)``, the distinct values of the 1-D ``x`` in order of first
    appearance and each element's index into ``y``."""
    return UniqueOutput(*_unique("Unique", x, out_idx, name))


def unique_with_counts(x: Any, out_idx: Any = _dtypes.int32,
                       name: Optional[str] = None) -> Any:
    """``UniqueWithCounts``: ``unique`` plus how often each value occurs."""
    return UniqueWithCountsOutput(*_unique("UniqueWithCounts", x, out_idx, name))


def in_top_k(predictions: Any, targets: Any, k: Any, name: Optional[str] = None) -> Tensor:
    """``InTopKV2`` (TF 1 argument order): whether each target class is among the ``k``
    highest float32 predictions of its row (ties count for the target; non-finite rows are
    False)."""
    with op_scope(name, "in_top_k"):
        with op_scope(name, "InTopKV2", [predictions, targets, k]) as scope:
            (preds,) = convert_same_type("InTopKV2", [("predictions", predictions)],
                                         dtype=_dtypes.float32)
            targets_t, k_t = convert_same_type(
                "InTopKV2", [("targets", targets), ("k", k)],
                dtype=targets.dtype if isinstance(targets, Tensor) else None)
            return create_tensor("InTopKV2", [preds, targets_t, k_t], {}, scope)


def bincount(arr: Any, weights: Any = None, minlength: Any = None, maxlength: Any = None,
             dtype: Any = _dtypes.int32, name: Optional[str] = None) -> Tensor:
    """TF 1's ``tf.math.bincount``: counts (or summed ``weights``) of each value of the
    non-negative ints ``arr``, over ``max(arr) + 1`` bins bounded by ``minlength`` and
    ``maxlength`` (a ``DenseBincount``)."""
    from .array_ops import reshape, size
    from .math_ops import add, cast, greater, maximum, minimum, multiply, reduce_max

    with op_scope(name or "bincount", None, []):
        arr = convert_to_tensor(arr, name="arr")
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
        if not arr.dtype.is_integer:
            arr = cast(arr, _dtypes.int32)
        nonempty = greater(size(arr), 0)
        output_size = multiply(cast(nonempty, arr.dtype), add(reduce_max(arr), 1))
        if minlength is not None:
            minlength = convert_to_tensor(minlength, name="minlength", dtype=arr.dtype)
            output_size = maximum(minlength, output_size)
        if maxlength is not None:
            maxlength = convert_to_tensor(maxlength, name="maxlength", dtype=arr.dtype)
            output_size = minimum(maxlength, output_size)
        if weights is not None:
            weights = reshape(weights, [-1])
        arr = reshape(arr, [-1])
        if weights is None:
            weights = convert_to_tensor([], dtype=_dtypes.as_dtype(dtype))
        with op_scope(None, "DenseBincount", []) as scope:
            return create_tensor("DenseBincount", [arr, output_size, weights],
                                 {"binary_output": False}, scope)


def _remove_squeezable_dimensions(labels: Tensor, predictions: Tensor) -> tuple[Tensor, Tensor]:
    """TF's ``remove_squeezable_dimensions`` for static ranks: a trailing size-1 dim of the
    one with rank one higher is squeezed."""
    from .array_ops import squeeze

    with op_scope(None, "remove_squeezable_dimensions", [labels, predictions]):
        p_shape, l_shape = predictions.get_shape(), labels.get_shape()
        if p_shape.ndims is None or l_shape.ndims is None:
            raise NotImplementedError("confusion_matrix needs labels and predictions of "
                                      "known rank in symgrad")
        diff = p_shape.ndims - l_shape.ndims
        if diff == 1 and p_shape.dims[-1].is_compatible_with(1):
            predictions = squeeze(predictions, [-1])
        elif diff == -1 and l_shape.dims[-1].is_compatible_with(1):
            labels = squeeze(labels, [-1])
        return labels, predictions


def confusion_matrix(labels: Any, predictions: Any, num_classes: Any = None,
                     dtype: Any = _dtypes.int32, name: Optional[str] = None,
                     weights: Any = None) -> Tensor:
    """TF 1's ``tf.math.confusion_matrix``: ``[num_classes, num_classes]`` counts (or summed
    ``weights``) of each (label, prediction) pair, with TF's non-negative and bound checks
    (an ``InvalidArgumentError`` when run)."""
    from .array_ops import ones_like, scatter_nd, stack
    from .check_ops import assert_less, assert_non_negative
    from .control_flow_ops import with_dependencies
    from .math_ops import add, cast, maximum, reduce_max

    with op_scope(name, "confusion_matrix", [predictions, labels, num_classes, weights]):
        labels, predictions = _remove_squeezable_dimensions(
            convert_to_tensor(labels, name="labels"),
            convert_to_tensor(predictions, name="predictions"))
        predictions = cast(predictions, _dtypes.int64)
        labels = cast(labels, _dtypes.int64)
        labels = with_dependencies(
            [assert_non_negative(labels, message="`labels` contains negative values")], labels)
        predictions = with_dependencies(
            [assert_non_negative(predictions,
                                 message="`predictions` contains negative values")],
            predictions)
        if num_classes is None:
            num_classes = add(maximum(reduce_max(predictions), reduce_max(labels)), 1)
        else:
            classes = cast(num_classes, _dtypes.int64)
            labels = with_dependencies(
                [assert_less(labels, classes, message="`labels` out of bound")], labels)
            predictions = with_dependencies(
                [assert_less(predictions, classes, message="`predictions` out of bound")],
                predictions)
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            predictions.get_shape().assert_is_compatible_with(weights.get_shape())
            weights = cast(weights, dtype)
        shape = stack([num_classes, num_classes])
        indices = stack([labels, predictions], axis=1)
        values = ones_like(predictions, dtype) if weights is None else weights
        return scatter_nd(indices=indices, updates=values, shape=cast(shape, _dtypes.int64))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left",
                 out_type: Any = _dtypes.int32, name: Optional[str] = None) -> Tensor:
    """``LowerBound`` (``side="left"``) or ``UpperBound`` (``"right"``) of each value in the
    innermost dimension of ``sorted_sequence``, batched over the leading dimensions."""
    from .array_ops import reshape, shape, stack

    sorted_t = convert_to_tensor(sorted_sequence)
    values_t = convert_to_tensor(values)
    sequence_size = shape(sorted_t)[-1]
    values_size = shape(values_t)[-1]
    sorted_2d = reshape(sorted_t, stack([-1, sequence_size]))
    values_2d = reshape(values_t, stack([-1, values_size]))
    if side == "right":
        op_type = "UpperBound"
    elif side == "left":
        op_type = "LowerBound"
    else:
        raise ValueError("Argument `side` must be either 'right' or 'left'. Received: "
                         f"`side` = '{side}'.")
    with op_scope(name, op_type, [sorted_2d, values_2d]) as scope:
        out = create_tensor(op_type, [sorted_2d, values_2d],
                            {"out_type": _dtypes.as_dtype(out_type).name}, scope)
    return reshape(out, shape(values_t))


def zero_fraction(value: Any, name: Optional[str] = None) -> Tensor:
    """The fraction of zeros in ``value``, float32: ``1 - count_nonzero / size``. TF picks
    an int32 or int64 count with a ``cond`` on the size; symgrad counts in int64 always."""
    from .array_ops import identity, size
    from .math_ops import cast, subtract, truediv
    from .special_math_ops import count_nonzero

    with op_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        total = size(value, out_type=_dtypes.int64)
        nonzero = count_nonzero(value, dtype=_dtypes.int64)
        with op_scope(None, "counts_to_fraction", []):
            zeros = cast(subtract(total, nonzero), _dtypes.float32)
            fraction = truediv(zeros, cast(total, _dtypes.float32))
        return identity(fraction, name="fraction")
