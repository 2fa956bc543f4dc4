"""``tf.compat.v1.disable_v2_behavior`` / ``enable_v2_behavior``.

symgrad has one behaviour for tensor shapes, variables and control flow (TF 1's graph
semantics), so of everything TF switches only eager execution changes.
"""

from __future__ import annotations

from .eager import disable_eager_execution, enable_eager_execution

__all__ = ["disable_v2_behavior", "enable_v2_behavior"]


def disable_v2_behavior() -> None:
    """Graph mode (symgrad's default already)."""
    disable_eager_execution()


def enable_v2_behavior() -> None:
    """Eager execution by default; as TF, only at program start."""
    enable_eager_execution()
