"""Math functions added for TF coverage: ``math.cumulative_logsumexp``
(``CumulativeLogsumexp``, differentiable as TF's), ``histogram_fixed_width``
(``HistogramFixedWidth``) and ``meshgrid`` (a composition, as TF's ``array_ops.meshgrid``)."""

from __future__ import annotations

from typing import Any, Optional

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_tensor, int_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor

__all__ = ["cumulative_logsumexp", "histogram_fixed_width", "meshgrid"]


def cumulative_logsumexp(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
                         name: Optional[str] = None) -> Tensor:
    """``log(cumsum(exp(x), axis, exclusive, reverse))`` computed without overflow."""
    with op_scope(name, "CumulativeLogsumexp", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        return create_tensor("CumulativeLogsumexp", [value, int_tensor(axis, "axis")],
                             {"exclusive": bool(exclusive), "reverse": bool(reverse)}, scope)


def histogram_fixed_width(values: Any, value_range: Any, nbins: Any = 100,
                          dtype: Any = _dtypes.int32, name: Optional[str] = None) -> Tensor:
    """Counts of ``values`` in ``nbins`` equal bins spanning ``value_range``; values below
    the range count in the first bin, values above it in the last."""
    with op_scope(name, "histogram_fixed_width", [values, value_range, nbins]) as scope:
        vals, lims = convert_same_type("HistogramFixedWidth",
                                       [("values", values), ("value_range", value_range)])
        bins = convert_to_tensor(nbins, dtype=_dtypes.int32, name="nbins")
        return create_tensor("HistogramFixedWidth", [vals, lims, bins],
                             {"dtype": _dtypes.as_dtype(dtype).name}, scope)


def meshgrid(*args: Any, **kwargs: Any) -> list[Tensor]:
    """N-D coordinate grids from N 1-D inputs, ``indexing`` 'xy' (Cartesian, the first two
    axes swapped) or 'ij' (matrix), built as TF: reshapes times ``ones(shape)``."""
    from .array_ops import ones, reshape, size, stack
    from .math_ops import multiply
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = list(kwargs.keys())[0]
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError("Argument `indexing` parameter must be either 'xy' or 'ij', got "
                         f"'{indexing}'")
    with op_scope(name, "meshgrid", list(args)):
        ndim = len(args)
        if not ndim:
            return []
        ones_shape = (1,) * ndim
        # TF's stack(x) of one tensor is the tensor itself (its convert_to_tensor path).
        output = [reshape(x if isinstance(x, Tensor) else stack(x),
                          ones_shape[:i] + (-1,) + ones_shape[i + 1:])
                  for i, x in enumerate(args)]
        shapes = [size(x) for x in args]
        output_dtype = convert_to_tensor(args[0]).dtype.base_dtype
        if indexing == "xy" and ndim > 1:
            output[0] = reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            shapes[0], shapes[1] = shapes[1], shapes[0]
        mult_fact = ones(shapes, output_dtype)
        return [multiply(x, mult_fact, name="mul") for x in output]
