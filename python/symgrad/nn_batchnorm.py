"""``nn.fused_batch_norm``, ``nn.batch_norm_with_global_normalization`` and TF 2's loss
scaling helpers ``nn.compute_average_loss`` / ``nn.scale_regularization_loss`` (one replica).

``fused_batch_norm`` computes what TF's ``FusedBatchNormV3`` kernel computes, composed from
existing ops: in training, the batch mean and biased variance normalize ``x``, and the
returned variance is Bessel-corrected (``n / (n - 1)``), blended into the running one by
``exponential_avg_factor``; in inference, the given statistics are used and passed through.
As TF's gradient (which reads only the gradient of ``y``), the returned statistics carry no
gradient back.
"""

from __future__ import annotations

from typing import Any, Optional

from . import dtypes as _dtypes
from ._op_helpers import op_scope
from .array_ops import rank, reshape, shape, stop_gradient
from .check_ops import assert_greater_equal
from .constant_op import convert_to_tensor
from .control_flow_ops import with_dependencies
from .math_ops import (cast, div_no_nan, maximum, multiply, reduce_mean, reduce_sum, rsqrt,
                       square, where_v2)
from .nn import batch_normalization
from .nn_conv import _lookup
from .framework import Tensor

__all__ = ["fused_batch_norm", "batch_norm_with_global_normalization", "compute_average_loss",
           "scale_regularization_loss"]

_CHANNEL_AXIS = {"NHWC": 3, "NCHW": 1, "NDHWC": 4, "NCDHW": 1}


def fused_batch_norm(x: Any, scale: Any, offset: Any, mean: Any = None, variance: Any = None,
                     epsilon: float = 0.001, data_format: str = "NHWC",
                     is_training: bool = True, name: Optional[str] = None,
                     exponential_avg_factor: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """``(y, running_mean, running_var)``: ``x`` (4-D, or 5-D with ``NDHWC``/``NCDHW``)
    normalized per channel and scaled by ``scale``, shifted by ``offset``."""
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError("Both `mean` and `variance` must be a 1D tensor when `is_training` is "
                         "False or `exponential_avg_factor` != 1.0. Received: `mean` "
                         f"{mean!r} and `variance` {variance!r}")
    if data_format not in _CHANNEL_AXIS:
        raise ValueError(f"Invalid data format: {data_format}")
    with op_scope(name, "FusedBatchNormV3", [x, scale, offset, mean, variance]):
        x = convert_to_tensor(x, name="input")
        scale = convert_to_tensor(scale, name="scale")
        offset = convert_to_tensor(offset, name="offset")
        # TF's op takes half `x` with float32 parameters and statistics (`U`): the work is
        # done in float32 and only `y` is half.
        half_input = x.dtype == _dtypes.float16
        if half_input:
            x = cast(x, _dtypes.float32)
        want_rank = len(data_format)
        if x.shape.ndims is not None and x.shape.ndims != want_rank:
            raise ValueError(f"Shape must be rank {want_rank} but is rank {x.shape.ndims} for "
                             f"'FusedBatchNormV3' with data_format {data_format}")
        channel = _CHANNEL_AXIS[data_format]
        axes = [a for a in range(want_rank) if a != channel]
        # The per-channel vectors broadcast along the channel axis.
        broadcast = [1] * want_rank
        broadcast[channel] = -1

        def per_channel(v: Tensor) -> Tensor:
            return reshape(v, broadcast)

        if is_training:
            batch_mean = reduce_mean(x, axes)
            centered = x - per_channel(batch_mean)
            batch_var = reduce_mean(square(centered), axes)
            y = batch_normalization(x, per_channel(batch_mean), per_channel(batch_var),
                                    per_channel(offset), per_channel(scale), epsilon)
            if half_input:
                y = cast(y, _dtypes.float16)
            # Bessel's correction for the running variance, as TF's kernel (1 for n = 1).
            count = cast(_product(shape(x), axes), x.dtype)
            adjust = where_v2(count > 1.0, count / maximum(count - 1.0, 1.0), 1.0)
            new_mean, new_var = batch_mean, batch_var * adjust
            if exponential_avg_factor != 1.0:
                factor = exponential_avg_factor
                old_mean = convert_to_tensor(mean, dtype=x.dtype, name="mean")
                old_var = convert_to_tensor(variance, dtype=x.dtype, name="variance")
                new_mean = (1.0 - factor) * old_mean + factor * new_mean
                new_var = (1.0 - factor) * old_var + factor * new_var
            return y, stop_gradient(new_mean), stop_gradient(new_var)
        est_mean = convert_to_tensor(mean, dtype=x.dtype, name="mean")
        est_var = convert_to_tensor(variance, dtype=x.dtype, name="variance")
        inv = rsqrt(est_var + epsilon) * scale
        y = (x - per_channel(est_mean)) * per_channel(inv) + per_channel(offset)
        if half_input:
            y = cast(y, _dtypes.float16)
        return y, stop_gradient(est_mean), stop_gradient(est_var)


def _product(dims: Tensor, axes: list[int]) -> Tensor:
    """The product of the dims at ``axes`` of a shape vector."""
    from .math_ops import reduce_prod
    from .array_ops import gather
    return reduce_prod(gather(dims, axes))


def batch_norm_with_global_normalization(t: Any = None, m: Any = None, v: Any = None,
                                         beta: Any = None, gamma: Any = None,
                                         variance_epsilon: Any = None,
                                         scale_after_normalization: Any = None,
                                         name: Optional[str] = None, input: Any = None,
                                         mean: Any = None, variance: Any = None) -> Tensor:
    """TF 1's ``batch_normalization`` with the global mean and variance (``gamma`` used only
    with ``scale_after_normalization``)."""
    t = _lookup("input", input, "t", t)
    m = _lookup("mean", mean, "m", m)
    v = _lookup("variance", variance, "v", v)
    return batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                               variance_epsilon, name)


def compute_average_loss(per_example_loss: Any, sample_weight: Any = None,
                         global_batch_size: Any = None) -> Tensor:
    """The summed (weighted) per-example loss divided by the global batch size (by default
    the batch dimension: symgrad has one replica)."""
    from .array_ops import shape as shape_op
    from .check_ops import assert_integer, assert_non_negative, assert_scalar
    with op_scope(None, "compute_average_loss", [per_example_loss]):
        per_example_loss = convert_to_tensor(per_example_loss)
        input_dtype = per_example_loss.dtype
        loss_rank = per_example_loss.shape.ndims
        if loss_rank == 0:
            raise ValueError("Invalid value passed for `per_example_loss`. Expected a tensor "
                             "with at least rank 1. Received per_example_loss="
                             f"{per_example_loss} with rank {loss_rank}")
        if loss_rank is None:
            check = assert_greater_equal(
                rank(per_example_loss), cast(1, _dtypes.int32),
                message="Invalid value passed for `per_example_loss`. Expected a tensor with "
                        "at least rank 1.")
            per_example_loss = with_dependencies([check], per_example_loss)
        if sample_weight is not None:
            from .metrics import _remove_squeezable_dimensions
            losses = cast(per_example_loss, _dtypes.float32)
            weights = cast(convert_to_tensor(sample_weight), _dtypes.float32)
            losses, _, weights = _remove_squeezable_dimensions(losses, None, weights)
            per_example_loss = multiply(losses, weights)
        per_example_loss = cast(per_example_loss, input_dtype)
        if global_batch_size is None:
            # The per-replica batch times the replicas in sync: one here, kept as TF's Mul.
            global_batch_size = shape_op(per_example_loss)[0] * 1
        # As in TF's graph mode the checks are ops of their own that nothing depends on:
        # wrong static types and ranks raise here, a negative size only if they are run.
        assert_scalar(global_batch_size, message="global_batch_size must be scalar.")
        assert_integer(global_batch_size, message="global_batch_size must be an integer.")
        assert_non_negative(global_batch_size,
                            message="global_batch_size must be non-negative.")
        loss = reduce_sum(per_example_loss)
        return div_no_nan(loss, cast(global_batch_size, input_dtype))


def scale_regularization_loss(regularization_loss: Any) -> Tensor:
    """The summed regularization loss divided by the number of replicas (one here)."""
    # TF divides by `num_replicas_in_sync` (a Python int): the same RealDiv by 1.
    return reduce_sum(regularization_loss) / 1
