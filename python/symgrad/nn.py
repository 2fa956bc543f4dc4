"""``symgrad.nn``: neural-network activations (TF1 signatures and default op names)."""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor
from .math_ops import sigmoid, tanh

__all__ = ["relu", "softplus", "sigmoid", "tanh"]


def _activation(op_type: str, features: Any, name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [features]) as scope:
        value = convert_to_tensor(features, name="features")
        return create_tensor(op_type, [value], {}, scope)


def relu(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Relu", features, name)


def softplus(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Softplus", features, name)
