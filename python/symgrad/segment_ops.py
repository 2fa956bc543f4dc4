"""Segment reductions: ``tf.segment_*`` (sorted ids) and ``tf.unsorted_segment_*``, with
``unsorted_segment_mean`` and ``unsorted_segment_sqrt_n`` composed as TF composes them."""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import create_tensor, int_tensor, op_scope
from .array_ops import concat, ones, rank, reshape, shape, unsorted_segment_sum
from .constant_op import convert_to_tensor
from .framework import Tensor
from .math_ops import maximum, sqrt

__all__ = [
    "segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod",
    "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod",
    "unsorted_segment_mean", "unsorted_segment_sqrt_n",
]


def _sorted(op_type: str, data: Any, segment_ids: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [data, segment_ids]) as scope:
        data_t = convert_to_tensor(data, name="data")
        ids = int_tensor(segment_ids, "segment_ids")
        return create_tensor(op_type, [data_t, ids], {}, scope)


def segment_sum(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
    """``SegmentSum``: row sums by sorted segment id (empty segments give 0)."""
    return _sorted("SegmentSum", data, segment_ids, name)


def segment_mean(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
    """``SegmentMean`` (integer division for integer data, as TF)."""
    return _sorted("SegmentMean", data, segment_ids, name)


def segment_max(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
    """``SegmentMax`` (empty segments give 0)."""
    return _sorted("SegmentMax", data, segment_ids, name)


def segment_min(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
    """``SegmentMin`` (empty segments give 0)."""
    return _sorted("SegmentMin", data, segment_ids, name)


def segment_prod(data: Any, segment_ids: Any, name: Optional[str] = None) -> Tensor:
    """``SegmentProd`` (empty segments give 1)."""
    return _sorted("SegmentProd", data, segment_ids, name)


def _unsorted(op_type: str, data: Any, segment_ids: Any, num_segments: Any,
              name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [data, segment_ids, num_segments]) as scope:
        data_t = convert_to_tensor(data, name="data")
        ids = int_tensor(segment_ids, "segment_ids")
        num = int_tensor(num_segments, "num_segments")
        return create_tensor(op_type, [data_t, ids, num], {}, scope)


def unsorted_segment_max(data: Any, segment_ids: Any, num_segments: Any,
                         name: Optional[str] = None) -> Tensor:
    """``UnsortedSegmentMax``: empty segments give the dtype's lowest value."""
    return _unsorted("UnsortedSegmentMax", data, segment_ids, num_segments, name)


def unsorted_segment_min(data: Any, segment_ids: Any, num_segments: Any,
                         name: Optional[str] = None) -> Tensor:
    """``UnsortedSegmentMin``: empty segments give the dtype's highest value."""
    return _unsorted("UnsortedSegmentMin", data, segment_ids, num_segments, name)


def unsorted_segment_prod(data: Any, segment_ids: Any, num_segments: Any,
                          name: Optional[str] = None) -> Tensor:
    """``UnsortedSegmentProd``: empty segments give 1."""
    return _unsorted("UnsortedSegmentProd", data, segment_ids, num_segments, name)


def _segment_counts(data: Tensor, segment_ids: Tensor, num_segments: Any) -> Tensor:
    """TF's ``_unsorted_segment_N``: rows per segment (at least 1), shaped to broadcast
    against the segment sums."""
    num = convert_to_tensor(num_segments)
    counts = unsorted_segment_sum(ones(shape(segment_ids), dtype=data.dtype), segment_ids, num)
    trailing = ones([rank(data) - rank(segment_ids)], dtype=num.dtype)
    counts = reshape(counts, concat([num[None], trailing], axis=0))
    return maximum(counts, 1)


def unsorted_segment_mean(data: Any, segment_ids: Any, num_segments: Any,
                          name: Optional[str] = None) -> Tensor:
    """Segment sums over segment sizes (empty segments give 0)."""
    with op_scope(name, "UnsortedSegmentMean", []):
        data_t = convert_to_tensor(data)
        ids = convert_to_tensor(segment_ids)
        counts = _segment_counts(data_t, ids, num_segments)
        return unsorted_segment_sum(data_t, ids, num_segments) / counts


def unsorted_segment_sqrt_n(data: Any, segment_ids: Any, num_segments: Any,
                            name: Optional[str] = None) -> Tensor:
    """Segment sums over the square roots of the segment sizes."""
    with op_scope(name, "UnsortedSegmentSqrtN", []):
        data_t = convert_to_tensor(data)
        ids = convert_to_tensor(segment_ids)
        counts = _segment_counts(data_t, ids, num_segments)
        return unsorted_segment_sum(data_t, ids, num_segments) / sqrt(counts)
