"""Math added with the ``nn`` family: erf, atan2, the logical and log-sum-exp reductions,
clip_by_value, norm and l2_normalize (TF1 signatures and default op names)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._op_helpers import convert_same_type, create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor
from .math_ops import (_pick_deprecated, _reduce, abs as _abs, add, equal, exp, log, maximum,
                       minimum, multiply, pow as _pow, reduce_max, reduce_sum, rsqrt, sqrt,
                       subtract, where_v2)

__all__ = ["erf", "atan2", "reduce_any", "reduce_all", "reduce_logsumexp", "clip_by_value",
           "norm", "l2_normalize"]


def erf(x: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Erf", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        return create_tensor("Erf", [tx], {}, scope)


def atan2(y: Any, x: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Atan2", [y, x]) as scope:
        ty, tx = convert_same_type("Atan2", [("y", y), ("x", x)])
        return create_tensor("Atan2", [ty, tx], {}, scope)


def reduce_any(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: Optional[str] = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: Optional[str] = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                     name: Optional[str] = None, reduction_indices: Any = None,
                     keep_dims: Any = None) -> Tensor:
    axis = _pick_deprecated("axis", axis, "reduction_indices", reduction_indices)
    keepdims = bool(_pick_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    from .array_ops import reshape, stop_gradient
    from .special_math_ops import is_finite
    with op_scope(name, "ReduceLogSumExp", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis=axis, keepdims=True)
        # TF 2.21's ops: the max only where it is finite, else 0 (`SelectV2/e`).
        my_max = stop_gradient(where_v2(is_finite(raw_max), raw_max, 0))
        result = log(reduce_sum(exp(subtract(x, my_max)), axis=axis, keepdims=keepdims))
        if not keepdims:
            # `gen_array_ops.shape`: a `Shape` op even when the shape is static.
            with op_scope(None, "Shape", [result]) as shape_scope:
                result_shape = create_tensor("Shape", [result], {"out_type": "int32"},
                                             shape_scope)
            my_max = reshape(my_max, result_shape)
        return add(result, my_max, name=scope or None)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: Optional[str] = None) -> Tensor:
    with op_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        values = convert_to_tensor(t, name="t")
        t_min = minimum(values, clip_value_max)
        if not values.shape.is_compatible_with(t_min.shape):
            raise ValueError(f"Shapes {values.shape} and {t_min.shape} are incompatible")
        t_max = maximum(t_min, clip_value_min, name=scope or None)
        if not values.shape.is_compatible_with(t_max.shape):
            raise ValueError(f"Shapes {values.shape} and {t_max.shape} are incompatible")
        return t_max


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Any = None,
         name: Optional[str] = None, keep_dims: Any = None) -> Tensor:
    keepdims = bool(_pick_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    if isinstance(axis, (list, tuple)) and len(axis) == 2:
        if ord not in ("euclidean", "fro", 1, np.inf):
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, "
                             f"2, inf], got {ord}")
    elif not (ord in ("euclidean", "fro") or
              (isinstance(ord, (int, float)) and ord > 0)):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    from .array_ops import squeeze
    with op_scope(name, "norm", [tensor]):
        x = convert_to_tensor(tensor)
        if ord in ("euclidean", "fro", 2, 2.0):
            result = sqrt(reduce_sum(x * x, axis, keepdims=True))
        elif ord == 1:
            result = reduce_sum(_abs(x), axis, keepdims=True)
        elif ord == np.inf:
            result = reduce_max(_abs(x), axis, keepdims=True)
        else:
            result = _pow(reduce_sum(_pow(_abs(x), ord), axis, keepdims=True), 1.0 / ord)
        if not keepdims:
            result = squeeze(result, axis)
        return result


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: Optional[str] = None,
                 dim: Any = None) -> Tensor:
    axis = _pick_deprecated("axis", axis, "dim", dim)
    with op_scope(name, "l2_normalize", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        from .math_ops import square
        square_sum = reduce_sum(square(tx), axis, keepdims=True)
        x_inv_norm = rsqrt(maximum(square_sum, epsilon))
        return multiply(tx, x_inv_norm, name=scope or None)
