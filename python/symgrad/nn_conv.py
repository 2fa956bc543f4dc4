"""Convolution and pooling functions of ``symgrad.nn`` (TF1 signatures and default op names).

The Rust kernels are NHWC only. ``data_format="NCHW"`` is accepted by transposing the input
to NHWC, running the NHWC op, and transposing the result back (TF's CPU kernels have no
NCHW path either), so such graphs hold two extra ``Transpose`` ops.
"""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import convert_same_type, create_tensor, int_tensor, op_scope
from .array_ops import transpose
from .constant_op import convert_to_tensor
from .framework import Tensor

__all__ = [
    "conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", "conv2d_transpose",
    "depthwise_conv2d", "depthwise_conv2d_native", "max_pool", "avg_pool",
]

_TO_NHWC = [0, 2, 3, 1]
_TO_NCHW = [0, 3, 1, 2]


def _channel_index(data_format: Optional[str]) -> int:
    return 1 if (data_format or "NHWC").startswith("NC") else 3


def _get_sequence(value: Any, n: int, channel_index: int, name: str) -> list[int]:
    """A window attribute from an int or a list of length 1, n or n + 2 (TF's rule)."""
    if value is None:
        return [1] * (n + 2)
    if isinstance(value, Tensor):
        # TF takes a tensor window as MaxPoolV2's input; symgrad folds it into the op's
        # attribute when its value is known while building.
        from .static_value import get_static_value
        static = get_static_value(value)
        if static is None:
            raise NotImplementedError(
                f"symgrad needs {name} known while building the graph (a constant); got "
                f"{value}, known only at run time (TF's MaxPoolV2 takes it as an input)")
        value = [int(v) for v in static.ravel()]
    if isinstance(value, (int, str)) or not hasattr(value, "__len__"):
        seq = [value]
    else:
        seq = list(value)
    if len(seq) == n + 2:
        return [int(v) for v in seq]
    if len(seq) == 1:
        seq = seq * n
    elif len(seq) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2}. "
                         f"Received: {name}={seq} of length {len(seq)}")
    inner = [int(v) for v in seq]
    return [1, 1] + inner if channel_index == 1 else [1] + inner + [1]


def _convert_padding(padding: Any) -> tuple[Any, list[int]]:
    """``(padding, explicit_paddings)`` from a string or a list of four pairs (TF's rule)."""
    explicit: list[int] = []
    if isinstance(padding, str) and padding == "EXPLICIT":
        raise ValueError("'EXPLICIT' is not a valid value for `padding`. To use explicit "
                         "padding, `padding` must be a list.")
    if isinstance(padding, (list, tuple)):
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)):
                raise ValueError("When `padding` is a list, each element of `padding` must be "
                                 f"a list/tuple of size 2. Received: padding={padding} with "
                                 f"element at index {i} of type {type(pair)}")
            if len(pair) != 2:
                raise ValueError("When `padding` is a list, each element of `padding` must be "
                                 f"a list/tuple of size 2. Received: padding={padding} with "
                                 f"element at index {i} of size {len(pair)}")
            explicit.extend(int(p) for p in pair)
        if len(padding) != 4:
            raise ValueError(f"When padding is a list, it must be of size 4. Received: "
                             f"padding={padding} of size {len(padding)}")
        padding = "EXPLICIT"
    return padding, explicit


def _nhwc_list(values: list[int], nchw: bool) -> list[int]:
    """A per-dimension attribute (4 values) reordered from NCHW to NHWC."""
    return [values[i] for i in _TO_NHWC] if nchw else values


def _nhwc_paddings(explicit: list[int], nchw: bool) -> list[int]:
    if not nchw or not explicit:
        return explicit
    pairs = [explicit[2 * i:2 * i + 2] for i in range(4)]
    return [p for i in _TO_NHWC for p in pairs[i]]


def _check_format(data_format: Optional[str]) -> bool:
    """True for NCHW; raises TF's error for other layouts."""
    fmt = data_format or "NHWC"
    if fmt not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {fmt!r} (symgrad supports "
                         "those two for 2-D convolution and pooling)")
    return fmt == "NCHW"


def _window_op(op_type: str, data: Tensor, others: list[Tensor], attrs: dict[str, Any],
               nchw: bool, scope: str, data_first: bool = True,
               perms: tuple[list[int], list[int]] = (_TO_NHWC, _TO_NCHW)) -> Tensor:
    """Creates the channels-last op named ``scope``; for channels-first data wraps it in
    transposes (``perms``: to channels-last and back)."""
    if nchw:
        data = transpose(data, perms[0])
    inputs = [data, *others] if data_first else [*others, data]
    if not nchw:
        return create_tensor(op_type, inputs, attrs, scope)
    # The op keeps the requested name; the back-transpose is its consumer.
    out = create_tensor(op_type, inputs, attrs, scope)
    return transpose(out, perms[1])


def _conv_attrs(strides: Any, padding: Any, dilations: Any, data_format: Optional[str],
                nchw: bool, use_cudnn: Optional[bool] = None) -> dict[str, Any]:
    channel_index = _channel_index(data_format)
    pad, explicit = _convert_padding(padding)
    attrs: dict[str, Any] = {
        "strides": _nhwc_list(_get_sequence(strides, 2, channel_index, "strides"), nchw),
        "padding": pad,
        "explicit_paddings": _nhwc_paddings(explicit, nchw),
        "dilations": _nhwc_list(_get_sequence(dilations, 2, channel_index, "dilations"), nchw),
        "data_format": "NHWC",
    }
    if use_cudnn is not None:
        attrs["use_cudnn_on_gpu"] = bool(use_cudnn)
    return attrs


def _sizes_to_nhwc(sizes: Any, nchw: bool) -> Tensor:
    """An NCHW shape vector reordered to NHWC: in Python for values, by slicing for tensors."""
    if not nchw:
        return int_tensor(sizes, "input_sizes")
    if not isinstance(sizes, Tensor):
        dims = [int(d) for d in sizes]
        return int_tensor([dims[i] for i in _TO_NHWC], "input_sizes")
    from .array_ops import concat, slice as slice_
    return concat([slice_(sizes, [0], [1]), slice_(sizes, [2], [2]), slice_(sizes, [1], [1])],
                  0)


def conv2d(input: Any, filter: Any = None, strides: Any = None, padding: Any = None,
           use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
           dilations: Any = [1, 1, 1, 1], name: Optional[str] = None,
           filters: Any = None) -> Tensor:
    """``Conv2D``: ``filter`` is ``[height, width, in_channels, out_channels]``."""
    filter = _lookup("filters", filters, "filter", filter)
    nchw = _check_format(data_format)
    attrs = _conv_attrs(strides, padding, dilations, data_format, nchw, use_cudnn_on_gpu)
    with op_scope(name, "Conv2D", [input, filter]) as scope:
        x, w = convert_same_type("Conv2D", [("input", input), ("filter", filter)])
        return _window_op("Conv2D", x, [w], attrs, nchw, scope)


def conv2d_backprop_input(input_sizes: Any, filter: Any = None, out_backprop: Any = None,
                          strides: Any = None, padding: Any = None,
                          use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
                          dilations: Any = [1, 1, 1, 1], name: Optional[str] = None,
                          filters: Any = None) -> Tensor:
    """``Conv2DBackpropInput``: the gradient of ``conv2d`` with respect to its input."""
    filter = _lookup("filters", filters, "filter", filter)
    nchw = _check_format(data_format)
    attrs = _conv_attrs(strides, padding, dilations, data_format, nchw, use_cudnn_on_gpu)
    with op_scope(name, "Conv2DBackpropInput", [input_sizes, filter, out_backprop]) as scope:
        return _backprop_input("Conv2DBackpropInput", input_sizes, filter, out_backprop, attrs,
                               nchw, scope)


def _backprop_input(op_type: str, input_sizes: Any, filter: Any, out_backprop: Any,
                    attrs: dict[str, Any], nchw: bool, scope: str) -> Tensor:
    sizes = _sizes_to_nhwc(input_sizes, nchw)
    w, dy = convert_same_type(op_type, [("filter", filter), ("out_backprop", out_backprop)])
    return _window_op(op_type, dy, [sizes, w], attrs, nchw, scope, data_first=False)


def conv2d_backprop_filter(input: Any, filter_sizes: Any, out_backprop: Any, strides: Any,
                           padding: Any, use_cudnn_on_gpu: bool = True,
                           data_format: str = "NHWC", dilations: Any = [1, 1, 1, 1],
                           name: Optional[str] = None) -> Tensor:
    """``Conv2DBackpropFilter``: the gradient of ``conv2d`` with respect to its filter."""
    nchw = _check_format(data_format)
    attrs = _conv_attrs(strides, padding, dilations, data_format, nchw, use_cudnn_on_gpu)
    with op_scope(name, "Conv2DBackpropFilter", [input, filter_sizes, out_backprop]) as scope:
        x, dy = convert_same_type("Conv2DBackpropFilter",
                                  [("input", input), ("out_backprop", out_backprop)])
        sizes = int_tensor(filter_sizes, "filter_sizes")
        if nchw:
            x, dy = transpose(x, _TO_NHWC), transpose(dy, _TO_NHWC)
        # The filter layout is HWIO in both formats, so no transpose of the result.
        return create_tensor("Conv2DBackpropFilter", [x, sizes, dy], attrs, scope)


def conv2d_transpose(value: Any = None, filter: Any = None, output_shape: Any = None,
                     strides: Any = None, padding: Any = "SAME", data_format: str = "NHWC",
                     name: Optional[str] = None, input: Any = None, filters: Any = None,
                     dilations: Any = None) -> Tensor:
    """The transpose of ``conv2d``: a ``Conv2DBackpropInput`` named ``conv2d_transpose``."""
    value = _lookup("input", input, "value", value)
    filter = _lookup("filters", filters, "filter", filter)
    with op_scope(name, "conv2d_transpose", [value, filter, output_shape]) as scope:
        nchw = _check_format(data_format)
        attrs = _conv_attrs(strides, padding, dilations, data_format, nchw, True)
        return _backprop_input("Conv2DBackpropInput", output_shape, filter, value, attrs, nchw,
                               scope)


def depthwise_conv2d_native(input: Any, filter: Any, strides: Any, padding: Any,
                            data_format: str = "NHWC", dilations: Any = [1, 1, 1, 1],
                            name: Optional[str] = None) -> Tensor:
    """``DepthwiseConv2dNative``: ``filter`` is ``[height, width, in_channels, multiplier]``."""
    nchw = _check_format(data_format)
    attrs = _conv_attrs(strides, padding, dilations, data_format, nchw)
    with op_scope(name, "DepthwiseConv2dNative", [input, filter]) as scope:
        x, w = convert_same_type("DepthwiseConv2dNative", [("input", input), ("filter", filter)])
        return _window_op("DepthwiseConv2dNative", x, [w], attrs, nchw, scope)


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: Any, rate: Any = None,
                     name: Optional[str] = None, data_format: Optional[str] = None,
                     dilations: Any = None) -> Tensor:
    """Depthwise convolution in scope ``depthwise``; ``rate`` becomes the op's dilations."""
    rate = _lookup("dilations", dilations, "rate", rate)
    with op_scope(name, "depthwise", [input, filter]) as scope:
        x = convert_to_tensor(input, name="tensor_in")
        w = convert_to_tensor(filter, name="filter_in")
        rate = [1, 1] if rate is None else list(rate)
        if len(rate) != 2:
            raise ValueError(f"rate must be of length 2. Received: rate={rate}")
        nchw = _check_format(data_format)
        attrs = _conv_attrs(strides, padding, rate, data_format, nchw)
        return _window_op("DepthwiseConv2dNative", x, [w], attrs, nchw, scope)


def _pool(op_type: str, value: Any, ksize: Any, strides: Any, padding: Any,
          data_format: Optional[str], name: Optional[str], explicit_ok: bool) -> Tensor:
    with op_scope(name, op_type, [value]) as scope:
        nchw = _check_format(data_format)
        channel_index = _channel_index(data_format)
        ks = _get_sequence(ksize, 2, channel_index, "ksize")
        st = _get_sequence(strides, 2, channel_index, "strides")
        if explicit_ok:
            pad, explicit = _convert_padding(padding)
        else:
            pad, explicit = padding, []
        if any(v == 0 for v in ks):
            raise ValueError(f"`ksize` cannot be zero. Received: ksize={ksize}")
        attrs: dict[str, Any] = {
            "ksize": _nhwc_list(ks, nchw), "strides": _nhwc_list(st, nchw), "padding": pad,
            "data_format": "NHWC",
        }
        if explicit_ok:
            attrs["explicit_paddings"] = _nhwc_paddings(explicit, nchw)
        x = convert_to_tensor(value, name="input" if op_type == "MaxPool" else "value")
        return _window_op(op_type, x, [], attrs, nchw, scope)


def max_pool(value: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
             name: Optional[str] = None, input: Any = None) -> Tensor:
    """``MaxPool``: the maximum of each window (padding never wins)."""
    value = _lookup("input", input, "value", value)
    return _pool("MaxPool", value, ksize, strides, padding, data_format, name, True)


def avg_pool(value: Any, ksize: Any, strides: Any, padding: Any, data_format: str = "NHWC",
             name: Optional[str] = None, input: Any = None) -> Tensor:
    """``AvgPool``: the mean of each window's in-image elements."""
    value = _lookup("input", input, "value", value)
    return _pool("AvgPool", value, ksize, strides, padding, data_format, name, False)


def _lookup(new_name: str, new_value: Any, old_name: str, old_value: Any) -> Any:
    """TF's ``deprecated_argument_lookup``: one of the two spellings, not both."""
    if new_value is not None:
        if old_value is not None:
            raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'")
        return new_value
    return old_value
