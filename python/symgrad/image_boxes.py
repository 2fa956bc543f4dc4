"""Boxes in ``tf.image``: non-max suppression (``non_max_suppression``,
``non_max_suppression_with_scores`` with soft-NMS, ``non_max_suppression_overlaps``) and
``crop_and_resize``.

Suppression selects greedily, highest score first, as TF's kernels: a candidate is dropped
when its overlap with a selected box exceeds the threshold (``iou`` of boxes whose corners
may come in either order); with ``soft_nms_sigma > 0`` every candidate is down-weighted
by ``exp(-iou^2 / (2 sigma))`` for each selected box and re-queued instead (TF's Soft-NMS,
which then ignores the threshold). It runs on the host
(indices carry no gradient, as in TF). ``crop_and_resize`` samples each box on a regular
grid with TF's coordinates, bilinearly or by nearest pixel, from existing ops, so its
gradients reach the image and the boxes (TF's ``CropAndResizeGradImage`` /
``CropAndResizeGradBoxes``).
"""

from __future__ import annotations

import heapq
import math
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope

__all__ = ["non_max_suppression", "non_max_suppression_with_scores",
           "non_max_suppression_overlaps", "crop_and_resize"]


def _iou(boxes: np.ndarray, i: int, j: int) -> float:
    a, b = boxes[i], boxes[j]
    ymin_a, ymax_a = min(a[0], a[2]), max(a[0], a[2])
    xmin_a, xmax_a = min(a[1], a[3]), max(a[1], a[3])
    ymin_b, ymax_b = min(b[0], b[2]), max(b[0], b[2])
    xmin_b, xmax_b = min(b[1], b[3]), max(b[1], b[3])
    area_a = (ymax_a - ymin_a) * (xmax_a - xmin_a)
    area_b = (ymax_b - ymin_b) * (xmax_b - xmin_b)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ymax_a, ymax_b) - max(ymin_a, ymin_b), 0.0) * \
        max(min(xmax_a, xmax_b) - max(xmin_a, xmin_b), 0.0)
    return float(inter / (area_a + area_b - inter))


def _select(similarity: Callable[[int, int], float], scores: np.ndarray, max_output: int,
            threshold: float, score_threshold: float, sigma: float
            ) -> tuple[list[int], list[float]]:
    """TF's greedy selection (``DoNonMaxSuppressionOp``): a candidate overlapping a
    selected box above ``threshold`` is dropped; with ``sigma > 0`` (Soft-NMS) it is
    down-weighted by every selected box instead and re-queued while above
    ``score_threshold``."""
    soft = sigma > 0
    scale = -0.5 / sigma if soft else 0.0
    # Highest score first; among equal scores the lower index, deterministically.
    queue = [(-float(s), i, 0) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(queue)
    selected: list[int] = []
    selected_scores: list[float] = []
    while queue and len(selected) < max_output:
        neg_score, index, begin = heapq.heappop(queue)
        original = score = -neg_score
        dropped = False
        for j in range(len(selected) - 1, begin - 1, -1):
            sim = similarity(index, selected[j])
            if not soft and sim > threshold:
                dropped = True
                break
            score *= math.exp(scale * sim * sim)
            if score <= score_threshold:
                break
        if dropped:
            continue
        begin = len(selected)
        if score == original:
            selected.append(index)
            selected_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(queue, (-score, index, begin))
    return selected, selected_scores


def _nms(op_name: str, inputs: list[Any], max_output_size: Any, threshold: Any,
         score_threshold: Any, sigma: Any, overlaps: bool, name: Optional[str],
         default_name: str, with_scores: bool) -> Any:
    from .data.iterator_ops import _host_op
    with name_scope(name, default_name) as scope:
        first = convert_to_tensor(inputs[0], dtype=_dtypes.float32,
                                  name="overlaps" if overlaps else "boxes")
        scores = convert_to_tensor(inputs[1], dtype=_dtypes.float32, name="scores")
        size = convert_to_tensor(max_output_size, dtype=_dtypes.int32, name="max_output_size")
        thr = convert_to_tensor(threshold, dtype=_dtypes.float32,
                                name="overlap_threshold" if overlaps else "iou_threshold")
        score_thr = convert_to_tensor(score_threshold, dtype=_dtypes.float32,
                                      name="score_threshold")
        soft = convert_to_tensor(sigma, dtype=_dtypes.float32, name="soft_nms_sigma")
        if first.shape.ndims not in (None, 2) or (not overlaps and first.shape.ndims == 2
                                                  and first.shape[1] not in (None, 4)):
            raise ValueError(f"Shape must be rank 2 with 4 columns for '{op_name}', got "
                             f"{first.shape}")
        if scores.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {scores.shape.ndims} for "
                             f"'{op_name}'")

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            matrix, values = np.asarray(arrays[0]), np.asarray(arrays[1]).reshape(-1)
            output, cut, floor, spread = (int(arrays[2]), float(arrays[3]),
                                          float(arrays[4]), float(arrays[5]))
            if not overlaps and not 0.0 <= cut <= 1.0:
                raise errors.InvalidArgumentError(None, None,
                                                  "iou_threshold must be in [0, 1]")
            if output < 0:
                raise errors.InvalidArgumentError(None, None,
                                                  "max_output_size must be non-negative")
            if spread < 0:
                raise errors.InvalidArgumentError(None, None,
                                                  "soft_nms_sigma must be non-negative")
            if len(matrix) != len(values):
                raise errors.InvalidArgumentError(
                    None, None, f"scores has incompatible shape: {len(values)} scores for "
                                f"{len(matrix)} boxes")
            similarity: Callable[[int, int], float] = (
                (lambda i, j: float(matrix[i, j])) if overlaps else
                (lambda i, j: _iou(matrix, i, j)))
            picked, picked_scores = _select(similarity, values, output, cut, floor, spread)
            return [np.asarray(picked, dtype=np.int32),
                    np.asarray(picked_scores, dtype=np.float32)]

        op = _host_op(op_name, [first, scores, size, thr, score_thr, soft],
                      [_dtypes.int32, _dtypes.float32], run, scope=scope + op_name + "/")
        indices, kept_scores = op.outputs
        indices.set_shape([None])
        kept_scores.set_shape([None])
        return (indices, kept_scores) if with_scores else indices


def non_max_suppression(boxes: Any, scores: Any, max_output_size: Any,
                        iou_threshold: Any = 0.5, score_threshold: Any = float("-inf"),
                        name: Optional[str] = None) -> Tensor:
    """The indices (int32, at most ``max_output_size``) of the boxes kept, highest score
    first: those above ``score_threshold`` whose IoU with every box kept before is at most
    ``iou_threshold``."""
    return _nms("NonMaxSuppressionV3", [boxes, scores], max_output_size, iou_threshold,
                score_threshold, 0.0, False, name, "non_max_suppression", False)


def non_max_suppression_with_scores(boxes: Any, scores: Any, max_output_size: Any,
                                    iou_threshold: Any = 0.5,
                                    score_threshold: Any = float("-inf"),
                                    soft_nms_sigma: Any = 0.0,
                                    name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``(selected_indices, selected_scores)``; with ``soft_nms_sigma > 0`` overlapping
    boxes are down-weighted (Soft-NMS) rather than dropped, and their scores returned."""
    return _nms("NonMaxSuppressionV5", [boxes, scores], max_output_size, iou_threshold,
                score_threshold, soft_nms_sigma, False, name,
                "non_max_suppression_with_scores", True)


def non_max_suppression_overlaps(overlaps: Any, scores: Any, max_output_size: Any,
                                 overlap_threshold: Any = 0.5,
                                 score_threshold: Any = float("-inf"),
                                 name: Optional[str] = None) -> Tensor:
    """``non_max_suppression`` with the pairwise overlaps given as a matrix."""
    return _nms("NonMaxSuppressionWithOverlaps", [overlaps, scores], max_output_size,
                overlap_threshold, score_threshold, 0.0, True, name,
                "non_max_suppression_overlaps", False)


def crop_and_resize(image: Any, boxes: Any, box_ind: Any = None, crop_size: Any = None,
                    method: str = "bilinear", extrapolation_value: float = 0.0,
                    name: Optional[str] = None, box_indices: Any = None) -> Tensor:
    """For each box (normalized ``[y1, x1, y2, x2]`` of image ``box_ind``), a
    ``crop_size`` grid sampled bilinearly (or at the nearest pixel), float32; points
    outside the image take ``extrapolation_value``."""
    from .array_ops import expand_dims, gather_nd, reshape, shape, stack, tile, zeros_like
    from .math_ops import (cast, ceil, floor, greater, less, logical_or, maximum, minimum,
                           range as range_, where_v2)
    if box_indices is not None:
        if box_ind is not None:
            raise ValueError("Cannot specify both 'box_ind' and 'box_indices'")
        box_ind = box_indices
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"method must be 'bilinear' or 'nearest', got {method!r}")
    with name_scope(name, "CropAndResize", [image, boxes]):
        img = cast(convert_to_tensor(image, name="image"), _dtypes.float32)
        bx = convert_to_tensor(boxes, dtype=_dtypes.float32, name="boxes")
        index = convert_to_tensor(box_ind, dtype=_dtypes.int32, name="box_ind")
        size = convert_to_tensor(crop_size, dtype=_dtypes.int32, name="crop_size")
        dims = shape(img)
        height, width = cast(dims[1], _dtypes.float32), cast(dims[2], _dtypes.float32)
        crop_h, crop_w = size[0], size[1]

        def coords(lo: Tensor, hi: Tensor, extent: Tensor, count: Tensor) -> Tensor:
            """The sample positions ``[boxes, count]`` along one axis (TF's formula)."""
            steps = cast(range_(count), _dtypes.float32)
            count_f = cast(count, _dtypes.float32)
            spacing = where_v2(greater(count_f, 1.0),
                               (hi - lo) * (extent - 1.0) / maximum(count_f - 1.0, 1.0),
                               zeros_like(lo))
            start = where_v2(greater(count_f, 1.0), lo * (extent - 1.0),
                             0.5 * (lo + hi) * (extent - 1.0))
            return expand_dims(start, 1) + expand_dims(spacing, 1) * expand_dims(steps, 0)

        in_y = coords(bx[:, 0], bx[:, 2], height, crop_h)
        in_x = coords(bx[:, 1], bx[:, 3], width, crop_w)
        outside_y = logical_or(less(in_y, 0.0), greater(in_y, height - 1.0))
        outside_x = logical_or(less(in_x, 0.0), greater(in_x, width - 1.0))
        batch = tile(reshape(index, [-1, 1, 1]), stack([1, crop_h, crop_w]))

        def pixels(ys: Tensor, xs: Tensor) -> Tensor:
            """``img[box image, ys, xs]`` for integer grids ``[boxes, h]`` and ``[boxes, w]``
            (clamped into the image), shape ``[boxes, h, w, depth]``."""
            yi = cast(minimum(maximum(ys, 0.0), height - 1.0), _dtypes.int32)
            xi = cast(minimum(maximum(xs, 0.0), width - 1.0), _dtypes.int32)
            grid_y = tile(expand_dims(yi, 2), stack([1, 1, crop_w]))
            grid_x = tile(expand_dims(xi, 1), stack([1, crop_h, 1]))
            return gather_nd(img, stack([batch, grid_y, grid_x], axis=-1))

        if method == "nearest":
            # C's roundf (halves away from zero; the positions used are >= 0).
            values = pixels(floor(in_y + 0.5), floor(in_x + 0.5))
        else:
            top, left = floor(in_y), floor(in_x)
            bottom, right = ceil(in_y), ceil(in_x)
            y_lerp = expand_dims(expand_dims(in_y - top, 2), 3)
            x_lerp = expand_dims(expand_dims(in_x - left, 1), 3)
            top_row = pixels(top, left) + (pixels(top, right) - pixels(top, left)) * x_lerp
            bottom_row = pixels(bottom, left) + (pixels(bottom, right)
                                                 - pixels(bottom, left)) * x_lerp
            values = top_row + (bottom_row - top_row) * y_lerp
        outside = logical_or(expand_dims(outside_y, 2), expand_dims(outside_x, 1))
        fill = zeros_like(values) + extrapolation_value
        return where_v2(expand_dims(outside, 3), fill, values)
