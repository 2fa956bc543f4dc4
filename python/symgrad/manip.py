"""``symgrad.manip``: TF 1's ``tf.manip`` namespace."""

from __future__ import annotations

from .array_ops import gather_nd, reshape, reverse, scatter_nd, tile
from .layout_ops import batch_to_space_nd, roll, space_to_batch_nd

__all__ = ["batch_to_space_nd", "gather_nd", "reshape", "reverse", "roll", "scatter_nd",
           "space_to_batch_nd", "tile"]
