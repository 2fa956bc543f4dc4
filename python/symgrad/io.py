"""``tf.io``: only ``tf.io.gfile`` so far."""

from __future__ import annotations

from . import io_gfile as gfile

__all__ = ["gfile"]
