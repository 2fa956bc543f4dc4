"""``symgrad.nn`` functions TF builds from other ops: softsign, swish/silu (with TF's custom
gradient), crelu, relu_layer, xw_plus_b, log_poisson_loss, weighted_cross_entropy_with_logits
(TF1 signature), sufficient_statistics and normalize_moments."""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import create_tensor, op_scope
from .constant_op import constant, convert_to_tensor
from .framework import Tensor

__all__ = [
    "softsign", "swish", "silu", "crelu", "relu_layer", "xw_plus_b", "log_poisson_loss",
    "weighted_cross_entropy_with_logits", "sufficient_statistics", "normalize_moments",
    "weighted_moments",
]


def softsign(features: Any, name: Optional[str] = None) -> Tensor:
    """``features / (1 + |features|)`` (``Softsign``; gradient ``SoftsignGrad``)."""
    with op_scope(name, "Softsign", [features]) as scope:
        value = convert_to_tensor(features, name="features")
        return create_tensor("Softsign", [value], {}, scope)


def swish(features: Any, beta: Any = 1.0) -> Tensor:
    """``features * sigmoid(beta * features)`` with TF's custom gradient (no name argument,
    as TF)."""
    from .gradients_impl import custom_gradient
    from .math_ops import cast, reduce_sum, sigmoid, square

    tf_features = convert_to_tensor(features, name="features")
    tf_beta = cast(convert_to_tensor(beta, name="beta"), tf_features.dtype)

    @custom_gradient
    def swish_impl(x: Tensor, b: Tensor) -> Any:
        def grad(dy: Tensor) -> Any:
            from .framework import control_dependencies
            with control_dependencies([dy]):
                sigmoid_features = sigmoid(b * x)
            activation_grad = sigmoid_features * (
                1.0 + b * x * (1.0 - sigmoid_features))
            beta_grad = reduce_sum(
                dy * square(x) * sigmoid_features * (1.0 - sigmoid_features))
            return dy * activation_grad, beta_grad

        return x * sigmoid(b * x), grad

    return swish_impl(tf_features, tf_beta)


silu = swish


def crelu(features: Any, name: Optional[str] = None, axis: Any = -1) -> Tensor:
    """``relu(concat([features, -features], axis))``."""
    from .array_ops import concat
    from .nn import relu
    with op_scope(name, "CRelu", [features]) as scope:
        x = convert_to_tensor(features, name="features")
        c = concat([x, -x], axis, name=scope or None)
        return relu(c)


def xw_plus_b(x: Any, weights: Any, biases: Any, name: Optional[str] = None) -> Tensor:
    """``matmul(x, weights) + biases`` (a ``BiasAdd`` named after the scope)."""
    from .math_ops import matmul
    from .nn import bias_add
    with op_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        tx = convert_to_tensor(x, name="x")
        tw = convert_to_tensor(weights, name="weights")
        tb = convert_to_tensor(biases, name="biases")
        return bias_add(matmul(tx, tw), tb, name=scope or None)


def relu_layer(x: Any, weights: Any, biases: Any, name: Optional[str] = None) -> Tensor:
    """``relu(matmul(x, weights) + biases)`` (a ``Relu`` named after the scope)."""
    from .math_ops import matmul
    from .nn import bias_add, relu
    with op_scope(name, "relu_layer", [x, weights, biases]) as scope:
        tx = convert_to_tensor(x, name="x")
        tw = convert_to_tensor(weights, name="weights")
        tb = convert_to_tensor(biases, name="biases")
        return relu(bias_add(matmul(tx, tw), tb), name=scope or None)


def log_poisson_loss(targets: Any, log_input: Any, compute_full_loss: bool = False,
                     name: Optional[str] = None) -> Tensor:
    """``exp(log_input) - log_input * targets``, plus Stirling's term for targets > 1 when
    ``compute_full_loss``."""
    from .array_ops import ones_like, zeros_like
    from .math_ops import exp, greater_equal, less_equal, log, logical_and, where
    with op_scope(name, "log_poisson_loss", [log_input, targets]):
        log_x = convert_to_tensor(log_input, name="log_input")
        z = convert_to_tensor(targets, name="targets")
        if not z.shape.is_compatible_with(log_x.shape):
            raise ValueError("`log_input` and `targets` must have the same shape, received "
                             f"({log_x.shape} vs {z.shape}).")
        result = exp(log_x) - log_x * z
        if compute_full_loss:
            import math as _math
            point_five = constant(0.5, dtype=z.dtype)
            two_pi = constant(2 * _math.pi, dtype=z.dtype)
            stirling_approx = z * log(z) - z + point_five * log(two_pi * z)
            zeros = zeros_like(z, dtype=z.dtype)
            ones = ones_like(z, dtype=z.dtype)
            cond = logical_and(greater_equal(z, zeros), less_equal(z, ones))
            result += where(cond, zeros, stirling_approx)
        return result


def weighted_cross_entropy_with_logits(labels: Any = None, logits: Any = None,
                                       pos_weight: Any = None, name: Optional[str] = None,
                                       targets: Any = None) -> Tensor:
    """Sigmoid cross-entropy with positives weighted by ``pos_weight`` (TF1 signature:
    ``targets`` is the deprecated name of ``labels``)."""
    from .math_ops import _pick_deprecated, abs as _abs, add, exp, log1p
    from .nn import relu
    labels = _pick_deprecated("labels", labels, "targets", targets)
    with op_scope(name, "logistic_loss", [logits, labels]) as scope:
        tlogits = convert_to_tensor(logits, name="logits")
        tlabels = convert_to_tensor(labels, name="labels")
        if not tlabels.shape.is_compatible_with(tlogits.shape):
            raise ValueError("`logits` and `labels` must have the same shape, received "
                             f"({tlogits.shape} vs {tlabels.shape}).")
        log_weight = 1 + (pos_weight - 1) * tlabels
        softplus_neg_abs = log1p(exp(-_abs(tlogits)))
        return add((1 - tlabels) * tlogits, log_weight * (softplus_neg_abs + relu(-tlogits)),
                   name=scope or None)


def sufficient_statistics(x: Any, axes: Any, shift: Any = None, keep_dims: Any = None,
                          name: Optional[str] = None, keepdims: Any = None) -> Any:
    """``(count, sum(x - shift), sum((x - shift)^2), shift)`` over ``axes``."""
    from .array_ops import gather, rank as _rank, shape as _shape
    from .math_ops import _pick_deprecated, cast, reduce_prod, reduce_sum, square, \
        squared_difference, subtract
    axes = list(set(axes))
    keep = bool(_pick_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    with op_scope(name, "sufficient_statistics", [x, shift]):
        tx = convert_to_tensor(x, name="x")
        dims = tx.shape.as_list() if tx.shape.rank is not None else None
        if dims is not None and all(dims[d] is not None for d in axes):
            count = 1
            for d in axes:
                count *= dims[d]
            counts = constant(count, dtype=tx.dtype)
        else:
            r = _rank(tx)
            positive_axes = [axis + r if axis < 0 else axis for axis in axes]
            x_dims = gather(cast(_shape(tx), tx.dtype), positive_axes)
            counts = reduce_prod(x_dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift")
            m_ss = subtract(tx, shift)
            v_ss = squared_difference(tx, shift)
        else:
            m_ss = tx
            v_ss = square(tx)
        m_ss = reduce_sum(m_ss, axes, keepdims=keep, name="mean_ss")
        v_ss = reduce_sum(v_ss, axes, keepdims=keep, name="var_ss")
    return counts, m_ss, v_ss, shift


def normalize_moments(counts: Any, mean_ss: Any, variance_ss: Any, shift: Any,
                      name: Optional[str] = None) -> Any:
    """``(mean, variance)`` from ``sufficient_statistics``' sums."""
    from .math_ops import add, multiply, reciprocal, square, subtract
    with op_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = reciprocal(counts, name="divisor")
        if shift is not None:
            shifted_mean = multiply(mean_ss, divisor, name="shifted_mean")
            mean = add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = subtract(multiply(variance_ss, divisor), square(shifted_mean),
                            name="variance")
    return mean, variance


def weighted_moments(x: Any, axes: Any, frequency_weights: Any, name: Optional[str] = None,
                     keep_dims: Optional[bool] = None,
                     keepdims: Optional[bool] = None) -> tuple[Tensor, Tensor]:
    """The frequency-weighted mean and variance of ``x`` over ``axes``, op for op as TF
    builds them (two passes; a zero total weight gives 0 through ``DivNoNan``)."""
    from .array_ops import squeeze, zeros_like
    from .math_ops import cast, div_no_nan, reduce_sum, squared_difference
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with op_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        tx = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(frequency_weights, name="frequency_weights")
        if weights.dtype != tx.dtype:
            weights = cast(weights, tx.dtype)
        weighted_sum = reduce_sum(weights * tx, axes, name="weighted_input_sum",
                                  keepdims=True)
        broadcast_weights = weights + zeros_like(tx)
        sum_of_weights = reduce_sum(broadcast_weights, axes, name="sum_of_weights",
                                    keepdims=True)
        mean = div_no_nan(weighted_sum, sum_of_weights)
        distsq = reduce_sum(weights * squared_difference(tx, mean), axes,
                            name="weighted_distsq", keepdims=True)
        variance = div_no_nan(distsq, sum_of_weights)
        if not keep:
            mean = squeeze(mean, axis=axes)
            variance = squeeze(variance, axis=axes)
        return mean, variance
