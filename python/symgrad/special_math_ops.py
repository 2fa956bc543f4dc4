"""Elementwise math beyond the basics (hyperbolic and inverse trigonometric functions, the
gamma, error and Bessel families, NaN/inf tests, ``x log y``-style ops, truncating division,
incomplete gamma and beta functions) and the reductions TF builds from other ops
(``reduce_variance``, ``reduce_std``, ``count_nonzero``, ``polyval``).

Each function builds the ops TF 2.21's ``tf.compat.v1`` builds, with the same default names:
a generated wrapper is named after its op type (``Sinh``), a Python wrapper that opens a
name scope keeps it (``erfinv/Erfinv``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from . import dtypes as _dtypes
from ._op_helpers import convert_same_type, create_tensor, op_scope
from .constant_op import convert_to_tensor
from .framework import Tensor

__all__ = [
    "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "lgamma", "digamma",
    "erfc", "erfinv", "ndtri", "rint", "is_nan", "is_inf", "is_finite", "bessel_i0e",
    "bessel_i1e", "xlogy", "xdivy", "xlog1py", "truncatediv", "truncatemod", "igamma",
    "igammac", "polygamma", "zeta", "betainc", "reduce_variance", "reduce_std",
    "count_nonzero", "polyval", "multiply_no_nan", "reciprocal_no_nan", "scalar_mul", "erfcinv",
    "lbeta", "bessel_i0", "bessel_i1", "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e",
    "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "dawsn", "expint", "fresnel_cos",
    "fresnel_sin", "spence",
]


def _op(op_type: str, args: Sequence[tuple[str, Any]], name: Optional[str],
        default_name: Optional[str] = None) -> Tensor:
    """A generated op wrapper: inputs sharing one type ``T``, converted inside the scope."""
    with op_scope(name, default_name or op_type, [v for _, v in args]) as scope:
        inputs = convert_same_type(op_type, args)
        return create_tensor(op_type, inputs, {}, scope)


def _scoped(scope_name: str, op_type: str, args: Sequence[tuple[str, Any]],
            name: Optional[str]) -> Tensor:
    """A Python wrapper that opens ``name_scope(name, scope_name)`` around the generated op."""
    with op_scope(name, scope_name, [v for _, v in args]):
        return _op(op_type, args, None)


# ----- unary -----
def sinh(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Sinh", [("x", x)], name)


def cosh(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Cosh", [("x", x)], name)


def asin(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Asin", [("x", x)], name)


def acos(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Acos", [("x", x)], name)


def atan(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Atan", [("x", x)], name)


def asinh(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Asinh", [("x", x)], name)


def acosh(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Acosh", [("x", x)], name)


def atanh(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Atanh", [("x", x)], name)


def lgamma(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Lgamma", [("x", x)], name)


def digamma(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Digamma", [("x", x)], name)


def erfc(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Erfc", [("x", x)], name)


def erfinv(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("erfinv", "Erfinv", [("x", x)], name)


def ndtri(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("ndtri", "Ndtri", [("x", x)], name)


def rint(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Rint", [("x", x)], name)


def is_nan(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("IsNan", [("x", x)], name)


def is_inf(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("IsInf", [("x", x)], name)


def is_finite(x: Any, name: Optional[str] = None) -> Tensor:
    return _op("IsFinite", [("x", x)], name)


def bessel_i0e(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_i0e", "BesselI0e", [("x", x)], name)


def bessel_i1e(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_i1e", "BesselI1e", [("x", x)], name)


def bessel_i0(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_i0", "BesselI0", [("x", x)], name)


def bessel_i1(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_i1", "BesselI1", [("x", x)], name)


def bessel_k0(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_k0", "BesselK0", [("x", x)], name)


def bessel_k0e(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_k0e", "BesselK0e", [("x", x)], name)


def bessel_k1(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_k1", "BesselK1", [("x", x)], name)


def bessel_k1e(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_k1e", "BesselK1e", [("x", x)], name)


def bessel_j0(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_j0", "BesselJ0", [("x", x)], name)


def bessel_j1(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_j1", "BesselJ1", [("x", x)], name)


def bessel_y0(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_y0", "BesselY0", [("x", x)], name)


def bessel_y1(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("bessel_y1", "BesselY1", [("x", x)], name)


def dawsn(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("dawsn", "Dawsn", [("x", x)], name)


def expint(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("expint", "Expint", [("x", x)], name)


def fresnel_cos(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("fresnel_cos", "FresnelCos", [("x", x)], name)


def fresnel_sin(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("fresnel_sin", "FresnelSin", [("x", x)], name)


def spence(x: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("spence", "Spence", [("x", x)], name)


# ----- binary (broadcasting) and ternary -----
def xlogy(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _op("Xlogy", [("x", x), ("y", y)], name)


def xdivy(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("xdivy", "Xdivy", [("x", x), ("y", y)], name)


def xlog1py(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _scoped("xlog1py", "Xlog1py", [("x", x), ("y", y)], name)


def truncatediv(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _op("TruncateDiv", [("x", x), ("y", y)], name)


def truncatemod(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    return _op("TruncateMod", [("x", x), ("y", y)], name)


def igamma(a: Any, x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Igamma", [("a", a), ("x", x)], name)


def igammac(a: Any, x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Igammac", [("a", a), ("x", x)], name)


def polygamma(a: Any, x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Polygamma", [("a", a), ("x", x)], name)


def zeta(x: Any, q: Any, name: Optional[str] = None) -> Tensor:
    return _op("Zeta", [("x", x), ("q", q)], name)


def betainc(a: Any, b: Any, x: Any, name: Optional[str] = None) -> Tensor:
    return _op("Betainc", [("a", a), ("b", b), ("x", x)], name)


# ----- compositions -----
def reduce_variance(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                    name: Optional[str] = None) -> Tensor:
    """``mean(square(x - mean(x)))`` over ``axis``, built as TF builds it."""
    from .math_ops import reduce_mean, square
    with op_scope(name or "reduce_variance", None, []):
        x = convert_to_tensor(input_tensor)
        means = reduce_mean(x, axis=axis, keepdims=True)
        if means.dtype.is_integer:
            raise TypeError("Input must be either real or complex. "
                            f"Received integer type {means.dtype!r}.")
        squared_deviations = square(x - means)
        return reduce_mean(squared_deviations, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor: Any, axis: Any = None, keepdims: bool = False,
               name: Optional[str] = None) -> Tensor:
    """``sqrt(reduce_variance(x))``."""
    from .math_ops import sqrt
    with op_scope(name or "reduce_std", None, []):
        x = convert_to_tensor(input_tensor)
        return sqrt(reduce_variance(x, axis=axis, keepdims=keepdims))


def count_nonzero(input_tensor: Any = None, axis: Any = None, keepdims: Any = None,
                  dtype: Any = _dtypes.int64, name: Optional[str] = None,
                  reduction_indices: Any = None, keep_dims: Any = None,
                  input: Any = None) -> Tensor:  # noqa: A002 - TF's name
    """The number of non-zero (or true) elements along ``axis``, as ``dtype``."""
    from .array_ops import zeros
    from .math_ops import _pick_deprecated, cast, not_equal, reduce_sum
    keepdims = bool(_pick_deprecated("keepdims", keepdims, "keep_dims", keep_dims))
    input_tensor = _pick_deprecated("input", input, "input_tensor", input_tensor)
    axis = _pick_deprecated("axis", axis, "reduction_indices", reduction_indices)
    with op_scope(name, "count_nonzero", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input")
        if x.dtype is _dtypes.bool:
            predicate = x
        else:
            predicate = not_equal(x, zeros([], dtype=x.dtype))
        counted = reduce_sum(cast(predicate, _dtypes.int64), axis=axis, keepdims=keepdims)
        return cast(counted, dtype=_dtypes.as_dtype(dtype))


def polyval(coeffs: Any, x: Any, name: Optional[str] = None) -> Tensor:
    """``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's rule."""
    from .array_ops import zeros_like
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    with op_scope(name, "polyval", list(coeffs) + [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        if not coeffs:
            return zeros_like(tx, name=scope or None)
        terms = [convert_to_tensor(c, name=f"coeff_{i}") for i, c in enumerate(coeffs)]
        p = terms[0]
        for c in terms[1:]:
            p = c + p * tx
        return p


def multiply_no_nan(x: Any, y: Any, name: Optional[str] = None) -> Tensor:
    """``x * y``, 0 wherever ``y`` is 0 even if ``x`` is infinite or NaN (``MulNoNan``)."""
    with op_scope(name, "multiply_no_nan", [x, y]) as scope:
        tx = convert_to_tensor(x, name="x")
        ty = convert_to_tensor(y, name="y", dtype=tx.dtype if not isinstance(y, Tensor) else None)
        if tx.dtype is not ty.dtype:
            raise TypeError(f"`x` and `y` must have the same dtype, got {tx.dtype!r} != "
                            f"{ty.dtype!r}")
        return create_tensor("MulNoNan", [tx, ty], {}, scope)


def reciprocal_no_nan(x: Any, name: Optional[str] = None) -> Tensor:
    """``1 / x``, 0 where ``x`` is 0 (a ``DivNoNan`` of a Const ``one``)."""
    from .constant_op import constant
    with op_scope(name, "reciprocal_no_nan", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        one = constant(1, dtype=tx.dtype, name="one")
        return create_tensor("DivNoNan", [one, tx], {}, scope)


def scalar_mul(scalar: Any, x: Any, name: Optional[str] = None) -> Tensor:
    """``scalar * x`` for a 0-D ``scalar`` (a ``Mul``; ``IndexedSlices`` scale their values)."""
    from .indexed_slices import IndexedSlices
    values = x.values if isinstance(x, IndexedSlices) else x
    t = convert_to_tensor(scalar, dtype=values.dtype, name="scalar")
    if t.shape.rank != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {t.shape}.")
    product = _op("Mul", [("x", t), ("y", values)], name)
    if isinstance(x, IndexedSlices):
        return IndexedSlices(product, x.indices, x.dense_shape)
    return product


def erfcinv(x: Any, name: Optional[str] = None) -> Tensor:
    """The inverse of ``erfc``: ``-ndtri(x / 2) * sqrt(1/2)``, as TF builds it."""
    import numpy as np
    with op_scope(name, "erfcinv", [x]):
        tx = convert_to_tensor(x, name="start")
        return -ndtri(0.5 * tx) * np.sqrt(0.5)


def lbeta(x: Any, name: Optional[str] = None) -> Tensor:
    """``log|B(x)|`` over the last axis: ``sum(lgamma(x)) - lgamma(sum(x))``."""
    from .math_ops import reduce_sum
    with op_scope(name, "lbeta", [x]):
        tx = convert_to_tensor(x, name="x")
        log_prod_gamma_x = reduce_sum(lgamma(tx), axis=[-1])
        sum_x = reduce_sum(tx, axis=[-1])
        return log_prod_gamma_x - lgamma(sum_x)
