"""``tf.math``: the same functions as the top level and ``symgrad.nn``, under TF's names.

Nothing here is new: every name is the top-level (or ``nn``) function itself, so graphs built
either way are identical. ``log_sigmoid`` is the one composite, built as TF builds it.
"""

from __future__ import annotations

from typing import Any, Optional

from ._nn_math import (atan2, erf, l2_normalize, reduce_all, reduce_any,  # noqa: F401
                       reduce_logsumexp)
from .framework import Tensor
from .math_ops import (abs, accumulate_n, add, add_n, argmax, argmin, ceil, cos,  # noqa: F401
                       cumprod, cumsum, divide, divide_no_nan, equal, exp, expm1, floor, floordiv, floormod,
                       greater, greater_equal, less, less_equal, log, log1p, logical_and,
                       logical_not, logical_or, logical_xor, maximum, minimum, mod, multiply,
                       negative, not_equal, pow, reciprocal, reduce_max, reduce_mean, reduce_min,
                       reduce_euclidean_norm, reduce_prod, reduce_sum, round, rsqrt, sigmoid, sign, sin, sqrt, square,
                       squared_difference, subtract, tan, tanh, top_k, truediv)
from .nn import log_softmax, softmax, softplus  # noqa: F401
from .array_ops import unsorted_segment_sum  # noqa: F401
from .segment_ops import (segment_max, segment_mean, segment_min, segment_prod,  # noqa: F401
                          segment_sum, unsorted_segment_max, unsorted_segment_mean,
                          unsorted_segment_min, unsorted_segment_prod, unsorted_segment_sqrt_n)

__all__ = [
    "abs", "accumulate_n", "add", "add_n", "argmax", "argmin", "atan2", "ceil", "cos",
    "cumprod", "cumsum", "divide", "divide_no_nan", "equal", "erf", "exp", "expm1", "floor", "floordiv",
    "floormod", "greater", "greater_equal", "l2_normalize", "less", "less_equal", "log",
    "log1p", "log_sigmoid", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logical_xor", "maximum", "minimum", "mod", "multiply", "negative", "not_equal", "pow",
    "reciprocal",
    "reduce_all", "reduce_any", "reduce_euclidean_norm", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_sum", "round", "rsqrt", "sigmoid", "sign", "sin", "softmax",
    "softplus", "sqrt", "square", "squared_difference", "subtract", "tan", "tanh", "top_k",
    "truediv",
    "segment_max", "segment_mean", "segment_min", "segment_prod", "segment_sum",
    "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
    "unsorted_segment_prod", "unsorted_segment_sqrt_n", "unsorted_segment_sum",
]

from .special_math_ops import (acos, acosh, asin, asinh, atan, atanh,  # noqa: E402,F401
                               bessel_i0, bessel_i0e, bessel_i1, bessel_i1e, betainc, cosh, count_nonzero, digamma,
                               erfc, erfinv, igamma, igammac, is_finite, is_inf, is_nan,
                               lgamma, ndtri, polygamma, polyval, reduce_std, reduce_variance,
                               rint, sinh, xdivy, xlog1py, xlogy, zeta, multiply_no_nan,
                               reciprocal_no_nan, scalar_mul, erfcinv, lbeta)
from .nn_extra import softsign  # noqa: E402,F401
from .array_ops import invert_permutation, unsorted_segment_sum  # noqa: E402,F401
from .complex_ops import angle, conj, imag, real  # noqa: E402,F401
from . import math_special as special  # noqa: E402,F401

__all__ += [
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "bessel_i0", "bessel_i0e", "bessel_i1",
    "bessel_i1e", "betainc", "special",
    "cosh", "count_nonzero", "digamma", "erfc", "erfinv", "igamma", "igammac", "is_finite",
    "is_inf", "is_nan", "lgamma", "ndtri", "polygamma", "polyval", "reduce_std",
    "reduce_variance", "rint", "sinh", "softsign", "xdivy", "xlog1py", "xlogy", "zeta",
    "invert_permutation", "unsorted_segment_sum", "multiply_no_nan", "reciprocal_no_nan",
    "scalar_mul", "erfcinv", "lbeta", "angle", "conj", "imag", "real",
]


def log_sigmoid(x: Any, name: Optional[str] = None) -> Tensor:
    """``log(1 / (1 + exp(-x)))`` as ``-softplus(-x)``, which neither overflows nor underflows."""
    from .constant_op import convert_to_tensor
    from .framework import name_scope

    with name_scope(name, "LogSigmoid", [x]) as scope:
        tx = convert_to_tensor(x, name="x")
        return negative(softplus(negative(tx)), name=scope or None)

from .partition_ops import (bincount, confusion_matrix, in_top_k,  # noqa: E402,F401
                            zero_fraction)

__all__ += ["bincount", "confusion_matrix", "in_top_k", "zero_fraction"]

from .extra_math_ops import cumulative_logsumexp  # noqa: E402,F401

__all__ += ["cumulative_logsumexp"]
from .check_ops import is_non_decreasing, is_strictly_increasing  # noqa: E402,F401
__all__ += ["is_non_decreasing", "is_strictly_increasing"]
