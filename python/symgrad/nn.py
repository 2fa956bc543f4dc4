"""``symgrad.nn``: activations, softmax, cross-entropies, bias_add, losses and normalization
(TF1 signatures and default op names)."""

from __future__ import annotations

from typing import Any, Optional

from . import dtypes as _dtypes
from ._nn_math import l2_normalize
from ._op_helpers import create_op, create_tensor, op_scope
from .array_ops import reshape, shape as _shape, squeeze, stop_gradient, transpose
from .constant_op import convert_to_tensor
from .framework import Tensor
from .math_ops import (add, cast, log1p, exp, pow as _pow, reduce_mean, rsqrt,
                       sigmoid, squared_difference, tanh, where)
from .special_math_ops import erfc

__all__ = [
    "relu", "softplus", "sigmoid", "tanh", "relu6", "elu", "selu", "leaky_relu", "gelu",
    "softmax", "log_softmax", "bias_add", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits", "l2_loss", "moments", "batch_normalization",
    "l2_normalize",
]


def _activation(op_type: str, features: Any, name: Optional[str],
                attrs: Optional[dict[str, Any]] = None) -> Tensor:
    with op_scope(name, op_type, [features]) as scope:
        value = convert_to_tensor(features, name="features")
        return create_tensor(op_type, [value], attrs or {}, scope)


def relu(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Relu", features, name)


def softplus(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Softplus", features, name)


def relu6(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Relu6", features, name)


def elu(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Elu", features, name)


def selu(features: Any, name: Optional[str] = None) -> Tensor:
    return _activation("Selu", features, name)


def leaky_relu(features: Any, alpha: float = 0.2, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "LeakyRelu", [features, alpha]) as scope:
        value = convert_to_tensor(features, name="features")
        if value.dtype.is_integer:
            # TF computes integer inputs in float32.
            value = cast(value, _dtypes.float32)
        return create_tensor("LeakyRelu", [value], {"alpha": float(alpha)}, scope)


def gelu(features: Any, approximate: bool = False, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "Gelu", [features]):
        x = convert_to_tensor(features, name="features")
        if not x.dtype.is_floating:
            raise ValueError("`features.dtype` must be a floating point tensor."
                             f"Received:features.dtype={x.dtype}")
        if approximate:
            coeff = cast(0.044715, x.dtype)
            return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + coeff * _pow(x, 3))))
        # TF's erfc(-x / sqrt(2)), not 1 + erf(x / sqrt(2)): for large negative x the sum
        # cancels to 0 where erfc keeps the tiny value (gelu(-10) = -7.6e-23).
        return 0.5 * x * erfc(-x * cast(0.7071067811865476, x.dtype))


def _pick(new_name: str, new: Any, old_name: str, old: Any) -> Any:
    if new is not None and old is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'.")
    return new if new is not None else old


def _softmax_family(op_type: str, logits: Any, axis: Any, name: Optional[str],
                    dim: Any) -> Tensor:
    axis = _pick("axis", axis, "dim", dim)
    if axis is None:
        axis = -1
    x = convert_to_tensor(logits)
    ndims = x.shape.rank
    if axis == -1 or (ndims is not None and axis == ndims - 1):
        with op_scope(name, op_type, [x]) as scope:
            return create_tensor(op_type, [x], {}, scope)
    if ndims is None:
        raise NotImplementedError(f"{op_type} over a non-last axis needs a known rank")
    if not -ndims <= axis < ndims:
        from .errors import InvalidArgumentError
        raise InvalidArgumentError(
            None, None,
            f"`dim` must be in the range [{-ndims}, {ndims}) where {ndims} is the number "
            f"of dimensions in the input. Received: dim={axis}")
    # As TF: swap the axis with the last one, apply the op, swap back.
    axis %= ndims
    perm = list(range(ndims))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    swapped = transpose(x, perm)
    out = create_tensor(op_type, [swapped], {}, op_type)
    return transpose(out, perm, name=name or "transpose")


def softmax(logits: Any, axis: Any = None, name: Optional[str] = None,
            dim: Any = None) -> Tensor:
    return _softmax_family("Softmax", logits, axis, name, dim)


def log_softmax(logits: Any, axis: Any = None, name: Optional[str] = None,
                dim: Any = None) -> Tensor:
    return _softmax_family("LogSoftmax", logits, axis, name, dim)


def bias_add(value: Any, bias: Any, data_format: Optional[str] = None,
             name: Optional[str] = None) -> Tensor:
    with op_scope(name, "BiasAdd", [value, bias]) as scope:
        if data_format is None or data_format.startswith("NHWC") or (
                data_format.startswith("N") and data_format.endswith("C")):
            fmt = "NHWC"
        elif data_format.startswith("NC"):
            fmt = "NCHW"
        else:
            raise ValueError("data_format must be of the form `N...C` or `NC...`")
        tv = convert_to_tensor(value, name="input")
        tb = convert_to_tensor(bias, dtype=tv.dtype, name="bias")
        return create_tensor("BiasAdd", [tv, tb], {"data_format": fmt}, scope)


def l2_loss(t: Any, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "L2Loss", [t]) as scope:
        value = convert_to_tensor(t, name="t")
        return create_tensor("L2Loss", [value], {}, scope)


def _require_named(fn: str, sentinel: Any, labels: Any, logits: Any) -> None:
    if sentinel is not None or labels is None or logits is None:
        raise ValueError(f"Only call `{fn}` with named arguments (labels=..., logits=..., ...). "
                         f"Received unnamed argument: {sentinel}")


def _flatten_outer_dims(t: Tensor) -> Tensor:
    """TF's ``_flatten_outer_dims``: ``[-1, last]``, with the static shape set when the
    outer dims are all known."""
    from .array_ops import concat, rank, slice as _slice
    from .math_ops import subtract
    t_rank = rank(t)
    last = _slice(_shape(t), [subtract(t_rank, 1)], [1])
    out = reshape(t, concat([[-1], last], 0))
    dims = t.shape.as_list() if t.shape.rank is not None else None
    if dims is not None and all(d is not None for d in dims[:-1]):
        product = 1
        for d in dims[:-1]:
            product *= d
        out.set_shape([product, dims[-1]])
    return out


def _xent_v2(labels: Any, logits: Any, axis: int, name: Optional[str]) -> Tensor:
    """TF's ``softmax_cross_entropy_with_logits_v2_helper``, op for op: the class axis moved
    to the end, both flattened to 2-D, the fused op, the loss reshaped to the outer dims.
    Half-precision logits are computed in float32."""
    from .array_ops import concat, rank, slice as _slice
    from .math_ops import range as _range, subtract
    with op_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        tlogits = convert_to_tensor(logits, name="logits")
        tlabels = convert_to_tensor(labels, name="labels")
        half = tlogits.dtype.name in ("float16", "bfloat16")
        precise = cast(tlogits, _dtypes.float32) if half else tlogits
        tlabels = cast(tlabels, precise.dtype)
        ndims = tlogits.shape.rank
        if ndims == 0:
            raise ValueError("logits must have rank >= 1")
        input_rank = rank(precise)
        if axis != -1:
            # TF leaves a negative axis as it is; taken modulo a known rank it means what
            # it says instead of building an invalid permutation.
            at = axis % ndims if ndims is not None else axis

            def to_end(t: Tensor) -> Tensor:
                return transpose(t, concat([_range(at), _range(at + 1, input_rank), [at]], 0))
            precise, tlabels = to_end(precise), to_end(tlabels)
        input_shape = _shape(precise)
        flat_logits = _flatten_outer_dims(precise)
        flat_labels = _flatten_outer_dims(tlabels)
        op = create_op("SoftmaxCrossEntropyWithLogits", [flat_logits, flat_labels], {}, scope)
        output_shape = _slice(input_shape, [0], [subtract(input_rank, 1)])
        cost = reshape(op.outputs[0], output_shape)
        if ndims is not None:
            dims = tlogits.shape.as_list()
            del dims[axis]
            cost.set_shape(dims)
        return cast(cost, tlogits.dtype) if half else cost


def softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None, dim: int = -1,
                                      name: Optional[str] = None,
                                      axis: Optional[int] = None) -> Tensor:
    """TF1's deprecated form: no gradient flows into ``labels``."""
    _require_named("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    axis = _pick("axis", axis, "dim", dim if dim != -1 else None)
    with op_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = stop_gradient(labels, name="labels_stop_gradient")
    return _xent_v2(labels, logits, -1 if axis is None else axis, scope)


def softmax_cross_entropy_with_logits_v2(labels: Any, logits: Any, axis: Optional[int] = None,
                                         name: Optional[str] = None,
                                         dim: Optional[int] = None) -> Tensor:
    axis = _pick("axis", axis, "dim", dim)
    return _xent_v2(labels, logits, -1 if axis is None else axis, name)


def sparse_softmax_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                             logits: Any = None,
                                             name: Optional[str] = None) -> Tensor:
    """TF 2.21's, op for op: 2-D logits go straight to the fused op; others are checked
    against the labels' shape at run time when not statically, flattened to 2-D, and the
    loss is reshaped to the labels' shape. The fused op is named ``name`` (default
    ``SparseSoftmaxCrossEntropyWithLogits``) inside the scope of the same name."""
    _require_named("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    from .array_ops import rank
    from .check_ops import assert_equal
    from .control_flow_ops import control_dependencies
    with op_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        tlabels = convert_to_tensor(labels)
        tlogits = convert_to_tensor(logits)
        half = tlogits.dtype.name == "float16"
        precise = cast(tlogits, _dtypes.float32) if half else tlogits
        labels_static = tlabels.shape
        labels_shape = _shape(tlabels)
        logits_static = tlogits.shape
        outer = logits_static[:-1] if logits_static.rank is not None else logits_static
        fully_defined = labels_static.is_fully_defined() and outer.is_fully_defined()
        if logits_static.rank == 0:
            raise ValueError(f"`logits` cannot be a scalar. Received logits={tlogits}`")
        if (logits_static.rank is not None and labels_static.rank is not None
                and labels_static.rank != logits_static.rank - 1):
            raise ValueError(
                "`labels.shape.rank` must equal `logits.shape.rank - 1`. "
                f"Received: labels.shape={labels_static} of rank {labels_static.rank} "
                f"and logits.shape={logits_static} of rank {logits_static.rank}")
        if fully_defined and labels_static != outer:
            raise ValueError(
                "`labels.shape` must equal `logits.shape` except for the last dimension. "
                f"Received: labels.shape={labels_static} and logits.shape={logits_static}")
        op_name = name or "SparseSoftmaxCrossEntropyWithLogits"
        if logits_static.rank == 2:
            cost = create_op("SparseSoftmaxCrossEntropyWithLogits", [precise, tlabels], {},
                             op_name).outputs[0]
            return cast(cost, _dtypes.float16) if half else cost
        checks = []
        if not fully_defined:
            checks.append(assert_equal(_shape(tlabels), _shape(tlogits)[:-1]))
        with control_dependencies(checks):
            num_classes = _shape(tlogits)[rank(tlogits) - 1]
            flat_logits = reshape(precise, [-1, num_classes])
            flat_labels = reshape(tlabels, [-1])
            cost = create_op("SparseSoftmaxCrossEntropyWithLogits",
                             [flat_logits, flat_labels], {}, op_name).outputs[0]
            cost = reshape(cost, labels_shape)
            cost.set_shape(labels_static)
            return cast(cost, _dtypes.float16) if half else cost


def sigmoid_cross_entropy_with_logits(_sentinel: Any = None, labels: Any = None,
                                      logits: Any = None,
                                      name: Optional[str] = None) -> Tensor:
    _require_named("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with op_scope(name, "logistic_loss", [logits, labels]) as scope:
        tlogits = convert_to_tensor(logits, name="logits")
        tlabels = convert_to_tensor(labels, dtype=tlogits.dtype, name="labels")
        if not tlogits.shape.is_compatible_with(tlabels.shape):
            raise ValueError("logits and labels must have the same shape "
                             f"({tlogits.shape} vs {tlabels.shape})")
        # max(x, 0) - x * z + log(1 + exp(-abs(x))), stable for either sign of x.
        from .array_ops import zeros_like
        zeros = zeros_like(tlogits)
        cond = tlogits >= zeros
        relu_logits = where(cond, tlogits, zeros)
        neg_abs_logits = where(cond, -tlogits, tlogits)
        return add(relu_logits - tlogits * tlabels, log1p(exp(neg_abs_logits)),
                   name=scope or None)


def moments(x: Any, axes: Any, shift: Any = None, name: Optional[str] = None,
            keep_dims: Optional[bool] = None, keepdims: Optional[bool] = None
            ) -> tuple[Tensor, Tensor]:
    keep = _pick("keepdims", keepdims, "keep_dims", keep_dims)
    keep = bool(keep)
    with op_scope(name, "moments", [x, axes]):
        y = convert_to_tensor(x)
        mean = reduce_mean(y, axes, keepdims=True, name="mean")
        # Sample variance around a mean that the variance does not differentiate through
        # (its gradient there is zero anyway), as TF.
        variance = reduce_mean(squared_difference(y, stop_gradient(mean)), axes,
                               keepdims=True, name="variance")
        if not keep:
            mean = squeeze(mean, axes)
            variance = squeeze(variance, axes)
        return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: Optional[str] = None) -> Tensor:
    with op_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        tx = convert_to_tensor(x)
        inv = rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv = inv * scale
        # In TF's order: the scaled input first, then the shift.
        scaled = tx * cast(inv, tx.dtype)
        shift = offset - mean * inv if offset is not None else -mean * inv
        return scaled + cast(shift, tx.dtype)
from .nn_conv import __all__ as _conv_all, avg_pool, conv2d, conv2d_backprop_filter, conv2d_backprop_input, conv2d_transpose, depthwise_conv2d, depthwise_conv2d_native, max_pool  # noqa: E402,F401,E501

__all__ += _conv_all

from .random_ops import dropout  # noqa: E402
from .math_ops import top_k  # noqa: E402

__all__ += ["dropout", "top_k"]

from .embedding_ops import embedding_lookup  # noqa: E402

__all__ += ["embedding_lookup"]

from .nn_windows import (__all__ as _windows_all, avg_pool2d, conv1d, depth_to_space,  # noqa: E402,F401,E501
                         local_response_normalization, lrn, max_pool2d, max_pool_with_argmax,
                         pool, separable_conv2d,
                         space_to_batch, space_to_depth)

__all__ += _windows_all
from .nn_extra import __all__ as _extra_all  # noqa: E402
from .nn_extra import (crelu, log_poisson_loss, normalize_moments, relu_layer,  # noqa: E402,F401
                       silu, softsign, sufficient_statistics, swish,
                       weighted_cross_entropy_with_logits, weighted_moments, xw_plus_b)

__all__ += _extra_all
from .nn_more import __all__ as _more_all  # noqa: E402
from .nn_more import (atrous_conv2d, avg_pool1d, avg_pool_v2, conv1d_transpose,  # noqa: E402,F401
                      conv_transpose, convolution, dilation2d, erosion2d, max_pool1d,
                      max_pool_v2)

__all__ += _more_all
from .candidate_sampling import __all__ as _sampling_all  # noqa: E402
from .candidate_sampling import (compute_accidental_hits,  # noqa: E402,F401
                                 log_uniform_candidate_sampler, nce_loss,
                                 sampled_softmax_loss, uniform_candidate_sampler)

__all__ += _sampling_all

from .partition_ops import in_top_k, zero_fraction  # noqa: E402,F401

__all__ += ["in_top_k", "zero_fraction"]

from .nn_batchnorm import __all__ as _batchnorm_all  # noqa: E402
from .nn_batchnorm import (batch_norm_with_global_normalization,  # noqa: E402,F401
                           compute_average_loss, fused_batch_norm, scale_regularization_loss)

__all__ += _batchnorm_all

from .nn_conv3d import __all__ as _conv3d_all  # noqa: E402
from .nn_conv3d import (avg_pool3d, conv3d, conv3d_backprop_filter_v2,  # noqa: E402,F401
                        conv3d_transpose, max_pool3d)

__all__ += _conv3d_all

from . import rnn_cell  # noqa: E402
from .rnn import (bidirectional_dynamic_rnn, dynamic_rnn, raw_rnn,  # noqa: E402,F401
                  static_bidirectional_rnn, static_rnn)

__all__ += ["rnn_cell", "static_rnn", "static_bidirectional_rnn", "dynamic_rnn",
            "bidirectional_dynamic_rnn", "raw_rnn"]

from .sparse_ops import embedding_lookup_sparse  # noqa: E402,F401

__all__ += ["embedding_lookup_sparse"]
