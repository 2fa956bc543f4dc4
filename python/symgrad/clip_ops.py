"""Gradient clipping by global norm (``tf.clip_by_global_norm``, ``tf.global_norm``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .constant_op import convert_to_tensor
from .framework import Tensor, name_scope
from .indexed_slices import IndexedSlices
from .math_ops import add_n, cast, minimum, reduce_sum, sqrt, square

__all__ = ["global_norm", "clip_by_global_norm", "clip_by_norm"]


def _values(t: Any) -> Tensor:
    return t.values if isinstance(t, IndexedSlices) else convert_to_tensor(t)


def global_norm(t_list: Sequence[Any], name: Optional[str] = None) -> Tensor:
    """``sqrt(sum_i sum(t_i ** 2))`` over the non-None entries."""
    if isinstance(t_list, (str, bytes)) or not hasattr(t_list, "__iter__"):
        raise TypeError("t_list should be a sequence")
    present = [t for t in t_list if t is not None]
    with name_scope(name, "global_norm"):
        if not present:
            raise ValueError("global_norm needs at least one tensor")
        squares = [reduce_sum(square(_values(t))) for t in present]
        return sqrt(add_n(squares), name="global_norm")


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: Optional[str] = None) -> tuple[list[Any], Tensor]:
    """Scales every tensor by ``clip_norm / max(global_norm, clip_norm)``; returns the
    clipped list (None entries stay None) and the global norm."""
    if isinstance(t_list, (str, bytes)) or not hasattr(t_list, "__iter__"):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else convert_to_tensor(use_norm)
    with name_scope(name, "clip_by_global_norm"):
        clip = convert_to_tensor(clip_norm, dtype=norm.dtype, name="clip_norm")
        # min(1/norm, 1/clip) * clip, as TF computes it: an infinite norm gives NaNs.
        scale = clip * minimum(1.0 / norm, 1.0 / clip)
        out: list[Any] = []
        for t in t_list:
            if t is None:
                out.append(None)
                continue
            values = _values(t)
            s = scale if values.dtype is scale.dtype else cast(scale, values.dtype)
            clipped = values * s
            out.append(IndexedSlices(clipped, t.indices, t.dense_shape)
                       if isinstance(t, IndexedSlices) else clipped)
        return out, norm


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: Optional[str] = None) -> Any:
    """Rescales `t` so its L2 norm over `axes` (default all) is at most `clip_norm`.

    Built as TF builds it: ``t * clip_norm / maximum(l2norm, clip_norm)``, where a zero norm
    takes the `where` branches that keep the gradient finite. An IndexedSlices clips its values.
    """
    import numpy as np

    from .array_ops import identity, ones_like
    from .math_ops import maximum, where

    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        values = convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t, name="t")
        if np.isscalar(clip_norm):
            clip_norm = max(clip_norm, 0)
        else:
            clip_norm = cast(maximum(clip_norm, 0), dtype=values.dtype)
        l2sum = reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        l2sum_safe = where(pred, l2sum, ones_like(l2sum))
        l2norm = where(pred, sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        clipped = identity(intermediate / maximum(l2norm, clip_norm), name=scope or None)
        if isinstance(t, IndexedSlices):
            return IndexedSlices(clipped, t.indices, t.dense_shape)
        return clipped
