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

from .nn_conv import __all__ as _conv_all, avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, conv2d_transpose, depthwise_conv2d, depthwise_conv2d_native, max_pool  # noqa: E402,F401,E501

__all__ += _conv_all
