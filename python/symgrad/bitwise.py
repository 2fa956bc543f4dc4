"""``tf.bitwise``: elementwise bit operations on integer tensors (``BitwiseAnd``, ``BitwiseOr``,
``BitwiseXor``, ``LeftShift``, ``RightShift``, ``Invert``), plus ``population_count``
(``PopulationCount``, uint8 counts), which TF has in ``tensorflow.python.ops.bitwise_ops``
and ``tf.raw_ops`` only.

Shift amounts outside ``[0, bits)`` are clamped into it, as TF's kernels do. None of these
ops is differentiable (TF registers them ``NotDifferentiable``: their inputs get ``None``).
"""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor
from .math_ops import _binary

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift",
           "population_count"]


def bitwise_and(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("BitwiseAnd", "BitwiseAnd", x, y, name)


def bitwise_or(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("BitwiseOr", "BitwiseOr", x, y, name)


def bitwise_xor(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("BitwiseXor", "BitwiseXor", x, y, name)


def left_shift(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("LeftShift", "LeftShift", x, y, name)


def right_shift(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _binary("RightShift", "RightShift", x, y, name)


def _unary(op_type: str, x: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [x]) as scope:
        return create_tensor(op_type, [convert_to_tensor(x, name="x")], {}, scope)


def invert(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("Invert", x, name)


def population_count(x: Any, name: Optional[str] = None) -> Tensor:
    return _unary("PopulationCount", x, name)
