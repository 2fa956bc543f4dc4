"""Learning-rate schedules of the global step (``tf.compat.v1.train.exponential_decay``)."""

from __future__ import annotations

from typing import Any, Optional

from ..constant_op import convert_to_tensor
from ..framework import Tensor, name_scope
from ..math_ops import cast, floor, multiply, pow as _pow, truediv

__all__ = ["exponential_decay"]


def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                      staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate * decay_rate ** (global_step / decay_steps)``; with ``staircase`` the
    exponent is floored, so the rate drops in steps."""
    if global_step is None:
        raise ValueError("global_step is required for exponential_decay.")
    with name_scope(name, "ExponentialDecay") as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = lr.dtype
        step = convert_to_tensor(global_step)
        step = step if step.dtype is dtype else cast(step, dtype)
        steps = cast(convert_to_tensor(decay_steps), dtype)
        rate = cast(convert_to_tensor(decay_rate), dtype)
        p = truediv(step, steps)
        if staircase:
            p = floor(p)
        return multiply(lr, _pow(rate, p), name=scope)
