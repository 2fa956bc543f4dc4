"""``symgrad.image``: the part of TF 1's ``tf.image`` that symgrad has."""

from __future__ import annotations

from typing import Any, Optional

from .framework import Tensor
from .layout_ops import extract_image_patches

__all__ = ["extract_image_patches", "extract_patches"]


def extract_patches(images: Any, sizes: Any, strides: Any, rates: Any, padding: Any,
                    name: Optional[str] = None) -> Tensor:
    """``ExtractImagePatches`` with TF 2's argument names."""
    return extract_image_patches(images, sizes, strides, rates, padding, name=name)
