"""``tf.compat.v1.disable_v2_behavior`` / ``enable_v2_behavior``.

symgrad has one behaviour for variables and control flow (TF 1's graph semantics); of
what TF switches, eager execution and the shapes' items (``Dimension``s in TF 1, ints in
TF 2: ``tensor_shape.disable_v2_tensorshape``) change.
"""

from __future__ import annotations

from .eager import disable_eager_execution, enable_eager_execution
from .tensor_shape import disable_v2_tensorshape, enable_v2_tensorshape

__all__ = ["disable_v2_behavior", "enable_v2_behavior", "resource_variables_enabled",
           "enable_resource_variables", "disable_resource_variables",
           "control_flow_v2_enabled", "enable_control_flow_v2", "disable_control_flow_v2",
           "enable_tensor_equality", "disable_tensor_equality",
           "executing_eagerly_outside_functions"]


def disable_v2_behavior() -> None:
    """Graph mode (symgrad's default already) and TF 1 shapes (``shape[i]`` is a
    ``Dimension``)."""
    disable_eager_execution()
    disable_v2_tensorshape()


def enable_v2_behavior() -> None:
    """Eager execution by default and TF 2 shapes; as TF, only at program start."""
    enable_eager_execution()
    enable_v2_tensorshape()


def resource_variables_enabled() -> bool:
    """True: symgrad's variables are always resource variables."""
    return True


def enable_resource_variables() -> None:
    """Nothing to switch: variables are resource variables already."""


def disable_resource_variables() -> None:
    """Kept for TF 1 programs; symgrad's variables stay resource variables (TF would build
    reference variables: the values are the same, the ops are not)."""


def control_flow_v2_enabled() -> bool:
    """False: symgrad builds TF 1's control flow (``Switch``/``Merge``, ``While`` frames)."""
    return False


def enable_control_flow_v2() -> None:
    """Kept for programs that call it; the control flow built stays TF 1's."""


def disable_control_flow_v2() -> None:
    """TF 1's control flow: what symgrad builds anyway."""


def enable_tensor_equality() -> None:
    """Kept for programs that call it: graph tensors compare by identity and hash by id, as
    TF's graph tensors do either way."""


def disable_tensor_equality() -> None:
    """Graph tensors compare by identity (they already do)."""


def executing_eagerly_outside_functions() -> bool:
    """Whether the program runs eagerly outside ``function``s (``enable_eager_execution``
    was called), even while a ``function`` is being traced."""
    from . import framework
    return framework._eager_default is not None
