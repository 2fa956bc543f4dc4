"""More of ``symgrad.nn``: functions TF builds from other ops (``conv1d`` as ExpandDims +
Conv2D + Squeeze, ``separable_conv2d`` as depthwise then pointwise Conv2D, ``pool``,
``max_pool2d`` / ``avg_pool2d``) and the LRN and MaxPoolWithArgmax ops, with TF1's
signatures and op names."""

from __future__ import annotations

import collections
from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from .array_ops import expand_dims, shape as _shape, squeeze, stack
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, name_scope
from .layout_ops import (batch_to_space_nd, depth_to_space, space_to_batch, space_to_batch_nd,
                         space_to_depth)
from .math_ops import floormod
from .nn_conv import _get_sequence, _lookup, avg_pool, conv2d, depthwise_conv2d_native, max_pool
from ._op_helpers import create_op, create_tensor, op_scope

__all__ = [
    "conv1d", "separable_conv2d", "pool", "max_pool2d", "avg_pool2d", "space_to_depth",
    "depth_to_space", "space_to_batch", "lrn", "local_response_normalization",
    "max_pool_with_argmax",
]


def conv1d(value: Any = None, filters: Any = None, stride: Any = None, padding: Any = None,
           use_cudnn_on_gpu: Any = None, data_format: Optional[str] = None,
           name: Optional[str] = None, input: Any = None, dilations: Any = None) -> Tensor:
    """A 1-D convolution as TF builds it: the input gets a unit height (``ExpandDims``), the
    filter a unit leading dim, a ``Conv2D`` named ``conv1d`` runs, and a ``Squeeze`` drops the
    unit dim again. ``filters`` is ``[width, in_channels, out_channels]``."""
    value = _lookup("input", input, "value", value)
    with op_scope(name, "conv1d", [value, filters]) as scope:
        if data_format is None or data_format in ("NHWC", "NWC"):
            data_format, spatial_start_dim, channel_index = "NHWC", -3, 2
        elif data_format in ("NCHW", "NCW"):
            data_format, spatial_start_dim, channel_index = "NCHW", -2, 1
        else:
            raise ValueError("`data_format` must be 'NWC' or 'NCW'. "
                             f"Received: data_format={data_format}")
        strides = [1] + _get_sequence(stride, 1, channel_index, "stride")
        dilation_list = [1] + _get_sequence(dilations, 1, channel_index, "dilations")
        value = expand_dims(value, spatial_start_dim)
        filters = expand_dims(filters, 0)
        result = conv2d(value, filters, strides, padding,
                        use_cudnn_on_gpu=True if use_cudnn_on_gpu is None else use_cudnn_on_gpu,
                        data_format=data_format, dilations=dilation_list, name=scope)
        return squeeze(result, [spatial_start_dim])


def separable_conv2d(input: Any, depthwise_filter: Any, pointwise_filter: Any, strides: Any,
                     padding: Any, rate: Any = None, name: Optional[str] = None,
                     data_format: Optional[str] = None, dilations: Any = None) -> Tensor:
    """A depthwise convolution (``separable_conv2d/depthwise``) followed by a 1x1 ``Conv2D``
    named ``separable_conv2d``. A ``rate`` above 1 wraps the depthwise op in
    SpaceToBatchND/BatchToSpaceND as TF does (with a depthwise filter of unknown size it
    becomes the op's dilations instead)."""
    rate = _lookup("dilations", dilations, "rate", rate)
    with op_scope(name, "separable_conv2d",
                  [input, depthwise_filter, pointwise_filter]) as scope:
        x = convert_to_tensor(input, name="tensor_in")
        dw = convert_to_tensor(depthwise_filter, name="depthwise_filter")
        pw = convert_to_tensor(pointwise_filter, name="pointwise_filter")
        pw_shape = pw.get_shape().with_rank(4)
        for i in (0, 1):
            d = pw_shape.as_list()[i]
            if d is not None and d != 1:
                raise ValueError(f"Dimensions {d} and 1 are not compatible")
        rate = [1, 1] if rate is None else list(rate)
        if len(rate) != 2:
            raise ValueError(f"rate must be of length 2. Received: rate={rate}")
        if any(int(r) != 1 for r in rate) and any(int(s) != 1 for s in _get_sequence(
                strides, 2, 1 if (data_format or "NHWC").startswith("NC") else 3, "strides")):
            raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
        fmt = data_format or "NHWC"
        window = dw.shape.as_list()[:2] if dw.shape.rank is not None else [None, None]
        if any(int(r) != 1 for r in rate) and None in window:
            # Without a static window the SAME padding cannot be computed here.
            depthwise = depthwise_conv2d_native(x, dw, strides, padding, data_format=fmt,
                                                dilations=_dilation_attr(rate, data_format),
                                                name="depthwise")
        else:
            spatial_dims = [2, 3] if fmt.startswith("NC") else [1, 2]
            depthwise = _with_space_to_batch(
                x, [int(r) for r in rate], padding, window, spatial_dims,
                lambda inp, pad: depthwise_conv2d_native(inp, dw, strides, pad,
                                                         data_format=fmt, name="depthwise"))
        return conv2d(depthwise, pw, [1, 1, 1, 1], padding="VALID",
                      data_format=data_format or "NHWC", name=scope)


def _required_paddings(spatial: Any, block: list[int], base: list[list[int]],
                       base_const: bool = True) -> tuple[Any, Any]:
    """TF's ``required_space_to_batch_paddings``: pad each spatial dim by ``base`` and then at
    the end up to a multiple of its block; the crops undo the extra end padding. Folded to
    numpy values for a static spatial shape (TF also leaves the unused Consts behind), else
    tensors built from the shape tensor."""
    with name_scope("required_space_to_batch_paddings"):
        if all(isinstance(d, int) for d in spatial):
            constant(spatial, dtype=_dtypes.int32, name="input_shape")
            if base_const:
                constant(base, dtype=_dtypes.int32, name="base_paddings")
            starts = np.array([b[0] for b in base])
            ends = np.array([b[1] for b in base])
            full = np.array(spatial) + starts + ends
            extra = (np.array(block) - full % np.array(block)) % np.array(block)
            paddings = np.stack([starts, ends + extra], axis=1).astype(np.int32)
            crops = np.stack([np.zeros_like(extra), extra], axis=1).astype(np.int32)
            constant(paddings, name="paddings")
            constant(crops, name="crops")
            return paddings, crops
        rows, crop_rows = [], []
        for i, (b, (start, end)) in enumerate(zip(block, base)):
            full = spatial[i] + (start + end)
            extra = floormod(b - floormod(full, b), b)
            rows.append(stack([constant(start), end + extra]))
            crop_rows.append(stack([constant(0), extra]))
        return stack(rows, name="paddings"), stack(crop_rows, name="crops")


def _with_space_to_batch(x: Tensor, rate: list[int], padding: Any, window: list[int],
                         spatial_dims: list[int], build: Any,
                         filter_shape: Optional[list[int]] = None) -> Tensor:
    """TF's ``with_space_to_batch``: ``build(input, padding)`` directly when every rate is
    1; else the dilation becomes a SpaceToBatchND / BatchToSpaceND pair around a VALID
    ``build`` (SAME padding is added to the SpaceToBatchND paddings first)."""
    if all(r == 1 for r in rate):
        return build(x, padding)
    if padding == "SAME":
        base = []
        for k, r in zip(window, rate):
            pad = (k - 1) * r
            base.append([pad // 2, pad - pad // 2])
        if filter_shape is not None:
            # TF's nn.convolution passes the filter's static shape: its SAME base paddings
            # are folded to a Const `stack` next to `filter_shape`.
            constant(filter_shape, dtype=_dtypes.int32, name="filter_shape")
            constant(base, dtype=_dtypes.int32, name="stack")
    elif padding == "VALID":
        base = [[0, 0] for _ in rate]
    else:
        raise ValueError(f"Invalid padding method {padding!r}")
    # Dims between the batch and the first spatial dim (channels first) get block 1, as
    # TF's `_with_space_to_batch_adjust` gives them.
    lead = spatial_dims[0] - 1
    rate, base = [1] * lead + rate, [[0, 0]] * lead + base
    spatial_dims = list(range(1, spatial_dims[-1] + 1))
    dims = x.shape.as_list() if x.shape.rank is not None else None
    if dims is not None and all(dims[i] is not None for i in spatial_dims):
        spatial: Any = [dims[i] for i in spatial_dims]
    else:
        full_shape = _shape(x)
        spatial = [full_shape[i] for i in spatial_dims]
    paddings, crops = _required_paddings(
        spatial, rate, base, base_const=not (padding == "SAME" and filter_shape is not None))
    converted = space_to_batch_nd(x, rate, paddings)
    result = build(converted, "VALID")
    return batch_to_space_nd(result, rate, crops)


def _dilation_attr(rate: list[Any], data_format: Optional[str]) -> list[int]:
    r = [int(v) for v in rate]
    return [1, 1] + r if (data_format or "NHWC").startswith("NC") else [1] + r + [1]


def pool(input: Any, window_shape: Any, pooling_type: str, padding: Any,
         dilation_rate: Any = None, strides: Any = None, name: Optional[str] = None,
         data_format: Optional[str] = None, dilations: Any = None) -> Tensor:
    """N-D pooling for N = 1 or 2 (``MaxPool`` / ``AvgPool``; 1-D through ``ExpandDims`` and
    ``Squeeze`` as TF); ``dilation_rate`` above 1 wraps the pool in SpaceToBatchND /
    BatchToSpaceND as TF does."""
    dilation_rate = _lookup("dilations", dilations, "dilation_rate", dilation_rate)
    with op_scope(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        x = convert_to_tensor(input)
        window = [int(w) for w in window_shape]
        n = len(window)
        if n < 1 or n > 3:
            raise ValueError("`len(window_shape)` must be 1, 2, or 3. Received: "
                             f"window_shape={window_shape} of length {n}")
        x.get_shape().with_rank(n + 2)
        stride_list = [1] * n if strides is None else [int(s) for s in strides]
        rate = [1] * n if dilation_rate is None else [int(r) for r in dilation_rate]
        if len(stride_list) != n or len(rate) != n:
            raise ValueError(f"strides and dilation_rate must have length {n}")
        if any(r > 1 for r in rate) and any(s > 1 for s in stride_list):
            raise ValueError("strides > 1 not supported in conjunction with dilation_rate > 1")
        if padding == "SAME" and any(r > 1 for r in rate):
            raise ValueError("pooling with 'SAME' padding is not implemented for `dilation_rate` "
                             f"> 1. Received: padding={padding} and dilation_rate={rate}")
        if any(s > w for s, w in zip(stride_list, window)):
            raise ValueError("`strides` > `window_shape` not supported due to inconsistency "
                             f"between CPU and GPU implementations. Received: "
                             f"strides={stride_list} and window_shape={window}")
        pools = {"MAX": max_pool, "AVG": avg_pool}
        if pooling_type not in pools or n == 3:
            raise ValueError(f"{n}-D {pooling_type} pooling is not supported.")
        channels_first = data_format is not None and data_format.startswith("NC")
        if channels_first:
            ksize, pool_strides, first_spatial = [1, 1] + window, [1, 1] + stride_list, 2
        else:
            ksize, pool_strides, first_spatial = [1] + window + [1], [1] + stride_list + [1], 1
        if n == 1:
            if data_format is None or data_format == "NWC":
                fmt = "NHWC"
            elif data_format == "NCW":
                fmt = "NCHW"
            else:
                raise ValueError("data_format must be either 'NWC' or 'NCW'. "
                                 f"Received: data_format={data_format}")
            ksize, pool_strides = [1] + ksize, [1] + pool_strides
        else:
            fmt = data_format or "NHWC"

        def build(inp: Tensor, pad: Any) -> Tensor:
            if n == 1:
                inp = expand_dims(inp, first_spatial)
            out = pools[pooling_type](inp, ksize, pool_strides, pad, data_format=fmt,
                                      name=scope)
            return squeeze(out, [first_spatial]) if n == 1 else out

        spatial_dims = list(range(first_spatial, first_spatial + n))
        return _with_space_to_batch(x, rate, padding, window, spatial_dims, build)


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
               name: Optional[str] = None) -> Tensor:
    """``MaxPool`` named ``MaxPool2d`` by default (TF's 2-D name for ``max_pool``)."""
    return max_pool(input, ksize, strides, padding, data_format=data_format,
                    name=name or "MaxPool2d")


# TF 1's `tf.nn.avg_pool2d` is `avg_pool` itself; `space_to_depth`, `depth_to_space` and
# `space_to_batch` are re-exported from layout_ops.
avg_pool2d = avg_pool


def local_response_normalization(input: Any, depth_radius: int = 5, bias: float = 1,
                                 alpha: float = 1, beta: float = 0.5,
                                 name: Optional[str] = None) -> Tensor:
    """``LRN`` over the last dim: ``input / (bias + alpha * sqr_sum) ** beta`` where
    ``sqr_sum`` sums the squares within ``depth_radius``; float32 only, as TF's kernels."""
    with op_scope(name, "LRN", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        attrs = {"depth_radius": int(depth_radius), "bias": float(bias), "alpha": float(alpha),
                 "beta": float(beta)}
        return create_tensor("LRN", [value], attrs, scope)


lrn = local_response_normalization


MaxPoolWithArgmax = collections.namedtuple("MaxPoolWithArgmax", ["output", "argmax"])


def max_pool_with_argmax(input: Any, ksize: Any, strides: Any, padding: Any,
                         data_format: str = "NHWC", Targmax: Any = None,
                         name: Optional[str] = None, output_dtype: Any = None,
                         include_batch_in_index: bool = False) -> Any:
    """``MaxPoolWithArgmax``: ``(output, argmax)`` where ``argmax`` holds each maximum's flat
    NHWC index (within its batch element unless ``include_batch_in_index``)."""
    if data_format != "NHWC":
        raise ValueError("`data_format` values other  than 'NHWC' are not supported. "
                         f"Received: data_format={data_format}")
    targmax = _lookup("output_dtype", output_dtype, "Targmax", Targmax)
    targmax = _dtypes.int64 if targmax is None else _dtypes.as_dtype(targmax)
    with op_scope(name, "MaxPoolWithArgmax", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        attrs = {"ksize": _get_sequence(ksize, 2, 3, "ksize"),
                 "strides": _get_sequence(strides, 2, 3, "strides"), "padding": padding,
                 "Targmax": targmax.name, "include_batch_in_index": bool(include_batch_in_index)}
        op = create_op("MaxPoolWithArgmax", [value], attrs, scope)
        return MaxPoolWithArgmax(op.outputs[0], op.outputs[1])
