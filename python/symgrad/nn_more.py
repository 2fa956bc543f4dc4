"""More of ``symgrad.nn``'s TF 1 entry points, each built from existing ops exactly as TF
builds it: ``convolution`` and ``atrous_conv2d`` (a dilated convolution becomes
SpaceToBatchND / Conv2D / BatchToSpaceND), the rank-dispatching ``max_pool_v2`` /
``avg_pool_v2`` and ``conv_transpose``, and the 1-D ``max_pool1d`` / ``avg_pool1d`` /
``conv1d_transpose`` (ExpandDims, the 2-D op, Squeeze)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._op_helpers import create_tensor, op_scope
from .array_ops import concat, expand_dims, squeeze
from .constant_op import constant, convert_to_tensor
from .framework import Tensor
from .nn_conv import _get_sequence, _lookup, avg_pool, conv2d, conv2d_transpose, max_pool
from .nn_conv3d import avg_pool3d, conv3d, conv3d_transpose, max_pool3d
from .nn_windows import _with_space_to_batch, conv1d, max_pool2d

__all__ = [
    "convolution", "atrous_conv2d", "max_pool_v2", "avg_pool_v2", "max_pool1d", "avg_pool1d",
    "conv1d_transpose", "conv_transpose", "dilation2d", "erosion2d",
]


def _spatial_rank(x: Tensor, data_format: Optional[str], what: str) -> int:
    if x.shape.rank is not None:
        return x.shape.rank - 2
    if data_format is not None:
        return len(data_format) - 2
    raise ValueError(f"`{what}` must have a static shape or a data format.")


def convolution(input: Any, filter: Any = None, padding: Any = None, strides: Any = None,
                dilation_rate: Any = None, name: Optional[str] = None,
                data_format: Optional[str] = None, filters: Any = None,
                dilations: Any = None) -> Tensor:
    """N-D convolution (N = 1, 2, 3) named ``convolution``: ``conv1d`` / ``Conv2D`` /
    ``Conv3D`` when undilated; with a dilation rate above 1 the input goes through
    SpaceToBatchND, a VALID convolution and BatchToSpaceND, as TF's ``Convolution`` does."""
    filter = _lookup("filters", filters, "filter", filter)
    dilation_rate = _lookup("dilations", dilations, "dilation_rate", dilation_rate)
    with op_scope(name, "convolution", [input, filter]) as scope:
        x = convert_to_tensor(input, name="input")
        f = convert_to_tensor(filter, name="filter")
        if x.shape.rank is not None:
            n = x.shape.rank - 2
        elif f.shape.rank is not None:
            n = f.shape.rank - 2
        else:
            raise ValueError("Rank of convolution must be known. Received: input.shape="
                             f"{x.shape} of rank {x.shape.rank} and filters.shape={f.shape} "
                             f"of rank {f.shape.rank}")
        if not 1 <= n <= 3:
            raise ValueError("`num_spatial_dims` must be 1, 2, or 3. Received: "
                             f"num_spatial_dims={n}.")
        channels_first = data_format is not None and data_format.startswith("NC")
        channel_index = 1 if channels_first else n + 1
        stride_list = _get_sequence(strides, n, channel_index, "strides")
        rate_list = _get_sequence(dilation_rate, n, channel_index, "dilations")
        if all(r == 1 for r in rate_list):
            if n == 1:
                fmt1 = None if data_format is None else ("NCW" if channels_first else "NWC")
                return conv1d(x, f, stride_list, padding, data_format=fmt1, name=scope,
                              dilations=rate_list)
            if n == 2:
                return conv2d(x, f, stride_list, padding, data_format=data_format or "NHWC",
                              dilations=rate_list, name=scope)
            return conv3d(x, f, stride_list, padding, data_format=data_format or "NDHWC",
                          dilations=rate_list, name=scope)
        inner = (lambda s: s[2:]) if channels_first else (lambda s: s[1:-1])
        strides_n, rate = inner(stride_list), inner(rate_list)
        if any(s != 1 for s in strides_n):
            raise ValueError("`strides` > 1 not supported in conjunction with `dilation_rate` "
                             f"> 1. Received: strides={strides_n} and dilation_rate={rate}")
        constant(np.array(rate, np.int32), name="dilation_rate")
        first_spatial = 2 if channels_first else 1
        spatial_dims = list(range(first_spatial, first_spatial + n))
        window = f.shape.as_list()[:n] if f.shape.rank is not None else None
        if window is None or any(k is None for k in window):
            raise ValueError("a dilated convolution needs the filter's spatial dims statically "
                             "in symgrad")
        ones = [1] * (n + 2)

        def build(inp: Tensor, pad: Any) -> Tensor:
            if n == 1:
                fmt1 = None if data_format is None else ("NCW" if channels_first else "NWC")
                return conv1d(inp, f, ones, pad, data_format=fmt1, name=scope)
            if n == 2:
                return conv2d(inp, f, ones, pad, data_format=data_format or "NHWC",
                              name=scope)
            return conv3d(inp, f, ones, pad, data_format=data_format or "NDHWC", name=scope)

        filter_shape = f.shape.as_list() if f.shape.is_fully_defined() else None
        return _with_space_to_batch(x, rate, padding, window, spatial_dims, build,
                                    filter_shape=filter_shape)


def atrous_conv2d(value: Any, filters: Any, rate: Any, padding: Any,
                  name: Optional[str] = None) -> Tensor:
    """A 2-D convolution dilated by ``rate`` in both spatial dims (``convolution``)."""
    rates = [int(r) for r in np.broadcast_to(rate, (2,))]
    return convolution(value, filters, padding, dilation_rate=rates, name=name)


def max_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: Optional[str] = None) -> Tensor:
    """``MaxPool`` over one spatial dim, named ``MaxPool1d``: ExpandDims, MaxPool, Squeeze."""
    return _pool1d(max_pool, "MaxPool1d", input, ksize, strides, padding, data_format, name)


def avg_pool1d(input: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NWC",
               name: Optional[str] = None) -> Tensor:
    """``AvgPool`` over one spatial dim, named ``AvgPool1D``: ExpandDims, AvgPool, Squeeze."""
    return _pool1d(avg_pool, "AvgPool1D", input, ksize, strides, padding, data_format, name)


def _pool1d(pool: Any, default: str, input: Any, ksize: Any, strides: Any, padding: Any,
            data_format: Optional[str], name: Optional[str]) -> Tensor:
    with op_scope(name, default, [input]) as scope:
        fmt = data_format or "NWC"
        channel_index = 1 if fmt.startswith("NC") else 2
        ks = [1] + _get_sequence(ksize, 1, channel_index, "ksize")
        st = [1] + _get_sequence(strides, 1, channel_index, "strides")
        expanding = 1 if fmt == "NWC" else 2
        x = expand_dims(convert_to_tensor(input, name="input"), expanding)
        pad = padding
        if isinstance(padding, (list, tuple)):
            pad = [[0, 0]] + [list(p) for p in padding]
        result = pool(x, ks, st, pad, data_format="NHWC" if fmt == "NWC" else "NCHW",
                      name=scope)
        return squeeze(result, [expanding])


def max_pool_v2(input: Any, ksize: Any, strides: Any, padding: Any,
                data_format: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """TF 2's N-D ``max_pool``: ``max_pool1d``, ``max_pool2d`` or ``max_pool3d`` by rank."""
    return _pool_v2("max", input, ksize, strides, padding, data_format, name)


def avg_pool_v2(input: Any, ksize: Any, strides: Any, padding: Any,
                data_format: Optional[str] = None, name: Optional[str] = None) -> Tensor:
    """TF 2's N-D ``avg_pool``: ``avg_pool1d``, ``AvgPool`` or ``avg_pool3d`` by rank."""
    return _pool_v2("avg", input, ksize, strides, padding, data_format, name)


def _pool_v2(kind: str, input: Any, ksize: Any, strides: Any, padding: Any,
             data_format: Optional[str], name: Optional[str]) -> Tensor:
    x = input if isinstance(input, Tensor) else convert_to_tensor(input)
    n = _spatial_rank(x, data_format, "input")
    if not 1 <= n <= 3:
        raise ValueError(f"`input.shape.rank` must be 3, 4 or 5. Received: "
                         f"input.shape={x.shape} of rank {n + 2}.")
    channel_index = n + 1 if data_format is None or not data_format.startswith("NC") else 1
    ks = _get_sequence(ksize, n, channel_index, "ksize")
    st = _get_sequence(strides, n, channel_index, "strides")
    if isinstance(padding, (list, tuple)) and n == 3:
        raise ValueError("Explicit padding is not supported with an input tensor of rank 5")
    if n == 1:
        pool1 = max_pool1d if kind == "max" else avg_pool1d
        return pool1(x, ks, st, padding, data_format=data_format or "NWC", name=name)
    if n == 2:
        if kind == "max":
            return max_pool2d(x, ks, st, padding, data_format=data_format or "NHWC", name=name)
        return avg_pool(x, ks, st, padding, data_format=data_format or "NHWC", name=name)
    pool3 = max_pool3d if kind == "max" else avg_pool3d
    return pool3(x, ks, st, padding, data_format=data_format or "NDHWC", name=name)


def conv1d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: str = "SAME", data_format: str = "NWC", dilations: Any = None,
                     name: Optional[str] = None) -> Tensor:
    """The transpose of ``conv1d`` as TF builds it: ExpandDims on the input and the filter,
    ``Conv2DBackpropInput`` named ``conv1d_transpose`` with a unit height spliced into
    ``output_shape``, Squeeze."""
    with op_scope(name, "conv1d_transpose", [input, filters, output_shape]) as scope:
        if data_format is None or data_format == "NWC":
            fmt, spatial_start, channel_index = "NHWC", 1, 2
        elif data_format == "NCW":
            fmt, spatial_start, channel_index = "NCHW", 2, 1
        else:
            raise ValueError("`data_format` must be 'NWC' or 'NCW'. "
                             f"Received: data_format={data_format}")
        st = [1] + _get_sequence(strides, 1, channel_index, "stride")
        dil = [1] + _get_sequence(dilations, 1, channel_index, "dilations")
        x = expand_dims(input, spatial_start)
        f = expand_dims(filters, 0)
        if isinstance(output_shape, Tensor):
            sizes = concat([output_shape[:spatial_start], [1], output_shape[spatial_start:]], 0)
        else:
            shape = list(output_shape)
            sizes = concat([shape[:spatial_start], [1], shape[spatial_start:]], 0)
        result = conv2d_transpose(x, f, sizes, st, padding, data_format=fmt, name=scope,
                                  dilations=dil)
        return squeeze(result, [spatial_start])


def conv_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                   padding: str = "SAME", data_format: Optional[str] = None,
                   dilations: Any = None, name: Optional[str] = None) -> Tensor:
    """The transpose of an N-D convolution, N from ``output_shape``'s length:
    ``conv1d_transpose``, ``conv2d_transpose`` or ``conv3d_transpose``, named
    ``conv_transpose``."""
    with op_scope(name, "conv_transpose", [input, filters, output_shape]) as scope:
        if isinstance(output_shape, Tensor):
            length = output_shape.shape.as_list()[0] if output_shape.shape.rank == 1 else None
            if length is None:
                raise ValueError("`output_shape` must have a static length")
        elif hasattr(output_shape, "__len__"):
            length = len(output_shape)
        else:
            raise ValueError("`output_shape` must be a tensor or sized collection")
        n = length - 2
        if not 1 <= n <= 3:
            raise ValueError("`output_shape` must be of length 3, 4 or 5. Received: "
                             f"output_shape={output_shape} of length {n + 2}.")
        if n == 1:
            return conv1d_transpose(input, filters, output_shape, strides, padding=padding,
                                    data_format=data_format or "NWC", dilations=dilations,
                                    name=scope)
        if n == 2:
            return conv2d_transpose(input, filters, output_shape, strides, padding,
                                    data_format=data_format or "NHWC", name=scope,
                                    dilations=dilations)
        return conv3d_transpose(input, filters, output_shape, strides, padding,
                                data_format=data_format or "NDHWC", name=scope,
                                dilations=dilations)



def _window_list(value: Any, arg: str, op: str) -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Expected list for '{arg}' argument to '{op}' Op, not {value!r}.")
    return [int(v) for v in value]


def dilation2d(input: Any, filter: Any = None, strides: Any = None,  # noqa: A002
               rates: Any = None, padding: Any = None, name: Optional[str] = None,
               filters: Any = None, dilations: Any = None) -> Tensor:
    """Grayscale dilation (``Dilation2D``): ``out[b, y, x, c]`` is the largest
    ``input[b, y·s + i·r, x·s + j·r, c] + filter[i, j, c]`` over the taps inside the
    (SAME- or VALID-padded) input. ``filters`` and ``dilations`` are TF 2's names for
    ``filter`` and ``rates``."""
    filter = _lookup("filters", filters, "filter", filter)
    rates = _lookup("dilations", dilations, "rates", rates)
    strides = _window_list(strides, "strides", "dilation2d")
    rates = _window_list(rates, "rates", "dilation2d")
    with op_scope(name, "Dilation2D", [input, filter]) as scope:
        x = convert_to_tensor(input, name="input")
        f = convert_to_tensor(filter, dtype=x.dtype, name="filter")
        return create_tensor("Dilation2D", [x, f],
                             {"strides": strides, "rates": rates, "padding": padding}, scope)


def erosion2d(value: Any, kernel: Any, strides: Any, rates: Any, padding: Any,
              name: Optional[str] = None) -> Tensor:
    """Grayscale erosion, by duality with dilation as TF builds it:
    ``-dilation2d(-value, reverse(kernel, [0, 1]))``."""
    from .array_ops import reverse
    from .math_ops import negative
    strides = _window_list(strides, "strides", "dilation2d")
    rates = _window_list(rates, "rates", "dilation2d")
    with op_scope(name, "erosion2d", [value, kernel]) as scope:
        x = negative(value)
        f = reverse(kernel, [0, 1])
        dilated = create_tensor("Dilation2D", [x, f],
                                {"strides": strides, "rates": rates, "padding": padding},
                                scope)
        return negative(dilated)
