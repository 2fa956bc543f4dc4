"""``tf.compat.v1.disable_v2_behavior`` / ``enable_v2_behavior``.

symgrad has one behaviour for variables and control flow (TF 1's graph semantics); of
what TF switches, eager execution and the shapes' items (``Dimension``s in TF 1, ints in
TF 2: ``tensor_shape.disable_v2_tensorshape``) change.
"""

from __future__ import annotations

from .eager import disable_eager_execution, enable_eager_execution
from .tensor_shape import disable_v2_tensorshape, enable_v2_tensorshape

__all__ = ["disable_v2_behavior", "enable_v2_behavior"]


def disable_v2_behavior() -> None:
    """Graph mode (symgrad's default already) and TF 1 shapes (``shape[i]`` is a
    ``Dimension``)."""
    disable_eager_execution()
    disable_v2_tensorshape()


def enable_v2_behavior() -> None:
    """Eager execution by default and TF 2 shapes; as TF, only at program start."""
    enable_eager_execution()
    enable_v2_tensorshape()
