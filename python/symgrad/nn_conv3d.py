"""3-D convolution and pooling of ``symgrad.nn`` (TF 1 signatures and default op names).

The Rust kernels are NDHWC only: ``data_format="NCDHW"`` transposes the input to NDHWC, runs
the NDHWC op and transposes the result back, as the 2-D functions do for NCHW.
"""

from __future__ import annotations

from typing import Any, Optional

from ._op_helpers import convert_same_type, create_tensor, int_tensor, op_scope
from .array_ops import transpose
from .constant_op import convert_to_tensor
from .framework import Tensor
from .nn_conv import _get_sequence, _lookup, _window_op

__all__ = ["conv3d", "conv3d_transpose", "conv3d_backprop_filter_v2", "max_pool3d",
           "avg_pool3d"]

_TO_NDHWC = [0, 2, 3, 4, 1]
_TO_NCDHW = [0, 4, 1, 2, 3]
_PERMS = (_TO_NDHWC, _TO_NCDHW)


def _is_ncdhw(data_format: Optional[str]) -> bool:
    fmt = data_format or "NDHWC"
    if fmt not in ("NDHWC", "NCDHW"):
        raise ValueError(f"data_format must be 'NDHWC' or 'NCDHW', got {fmt!r}")
    return fmt == "NCDHW"


def _ndhwc(values: list[int], ncdhw: bool) -> list[int]:
    """A per-axis attribute (5 values) reordered from NCDHW to NDHWC."""
    return [values[i] for i in _TO_NDHWC] if ncdhw else values


def _five(value: Any, name: str) -> list[int]:
    """A 5-value attribute the generated wrappers take as given (TF's list checks)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"Expected list for '{name}' argument to 'conv3d' Op, not {value!r}.")
    return [int(v) for v in value]


def _conv3d_attrs(strides: list[int], padding: Any, dilations: list[int],
                  ncdhw: bool) -> dict[str, Any]:
    return {"strides": _ndhwc(strides, ncdhw), "padding": padding,
            "dilations": _ndhwc(dilations, ncdhw), "data_format": "NDHWC"}


def conv3d(input: Any, filter: Any = None, strides: Any = None, padding: Any = None,
           data_format: str = "NDHWC", dilations: Any = [1, 1, 1, 1, 1],
           name: Optional[str] = None, filters: Any = None) -> Tensor:
    """``Conv3D``: ``filter`` is ``[depth, height, width, in_channels, out_channels]``."""
    filter = _lookup("filters", filters, "filter", filter)
    ncdhw = _is_ncdhw(data_format)
    attrs = _conv3d_attrs(_five(strides, "strides"), padding, _five(dilations, "dilations"),
                          ncdhw)
    with op_scope(name, "Conv3D", [input, filter]) as scope:
        x, w = convert_same_type("Conv3D", [("input", input), ("filter", filter)])
        return _window_op("Conv3D", x, [w], attrs, ncdhw, scope, perms=_PERMS)


def conv3d_transpose(value: Any = None, filter: Any = None, output_shape: Any = None,
                     strides: Any = None, padding: Any = "SAME", data_format: str = "NDHWC",
                     name: Optional[str] = None, input: Any = None, filters: Any = None,
                     dilations: Any = None) -> Tensor:
    """The transpose of ``conv3d``: a ``Conv3DBackpropInputV2`` named ``conv3d_transpose``."""
    filter = _lookup("filters", filters, "filter", filter)
    value = _lookup("input", input, "value", value)
    with op_scope(name, "conv3d_transpose", [value, filter, output_shape]) as scope:
        ncdhw = _is_ncdhw(data_format)
        channel_index = 1 if ncdhw else 4
        attrs = _conv3d_attrs(_get_sequence(strides, 3, channel_index, "strides"), padding,
                              _get_sequence(dilations, 3, channel_index, "dilations"), ncdhw)
        if not ncdhw:
            sizes = int_tensor(output_shape, "input_sizes")
        elif isinstance(output_shape, Tensor):
            from .array_ops import gather
            sizes = gather(output_shape, _TO_NDHWC)
        else:
            dims = [int(d) for d in output_shape]
            sizes = int_tensor([dims[i] for i in _TO_NDHWC], "input_sizes")
        w, dy = convert_same_type("Conv3DBackpropInputV2",
                                  [("filter", filter), ("out_backprop", value)])
        return _window_op("Conv3DBackpropInputV2", dy, [sizes, w], attrs, ncdhw, scope,
                          data_first=False, perms=_PERMS)


def conv3d_backprop_filter_v2(input: Any, filter_sizes: Any, out_backprop: Any, strides: Any,
                              padding: Any, data_format: str = "NDHWC",
                              dilations: Any = [1, 1, 1, 1, 1],
                              name: Optional[str] = None) -> Tensor:
    """``Conv3DBackpropFilterV2``: the gradient of ``conv3d`` with respect to its filter."""
    ncdhw = _is_ncdhw(data_format)
    attrs = _conv3d_attrs(_five(strides, "strides"), padding, _five(dilations, "dilations"),
                          ncdhw)
    with op_scope(name, "Conv3DBackpropFilterV2",
                  [input, filter_sizes, out_backprop]) as scope:
        x, dy = convert_same_type("Conv3DBackpropFilterV2",
                                  [("input", input), ("out_backprop", out_backprop)])
        sizes = int_tensor(filter_sizes, "filter_sizes")
        if ncdhw:
            x, dy = transpose(x, _TO_NDHWC), transpose(dy, _TO_NDHWC)
        # The filter layout is DHWIO in both formats, so no transpose of the result.
        return create_tensor("Conv3DBackpropFilterV2", [x, sizes, dy], attrs, scope)


def _pool3d(op_type: str, input: Any, ksize: Any, strides: Any, padding: Any,
            data_format: Optional[str], name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [input]) as scope:
        ncdhw = _is_ncdhw(data_format)
        channel_index = 1 if ncdhw else 4
        attrs = {
            "ksize": _ndhwc(_get_sequence(ksize, 3, channel_index, "ksize"), ncdhw),
            "strides": _ndhwc(_get_sequence(strides, 3, channel_index, "strides"), ncdhw),
            "padding": padding, "data_format": "NDHWC",
        }
        x = convert_to_tensor(input, name="input")
        return _window_op(op_type, x, [], attrs, ncdhw, scope, perms=_PERMS)


def max_pool3d(input: Any, ksize: Any, strides: Any, padding: Any,
               data_format: str = "NDHWC", name: Optional[str] = None) -> Tensor:
    """``MaxPool3D``: the maximum of each window (float32, as TF's kernel)."""
    return _pool3d("MaxPool3D", input, ksize, strides, padding, data_format, name)


def avg_pool3d(input: Any, ksize: Any, strides: Any, padding: Any,
               data_format: str = "NDHWC", name: Optional[str] = None) -> Tensor:
    """``AvgPool3D``: the mean of each window's in-volume elements."""
    return _pool3d("AvgPool3D", input, ksize, strides, padding, data_format, name)
