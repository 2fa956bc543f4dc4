"""``tf.debugging``: the run-time checks of ``symgrad.check_ops`` under TF's names."""

from __future__ import annotations

from .check_ops import (Assert, assert_equal, assert_greater,  # noqa: F401
                        assert_greater_equal, assert_less, assert_less_equal, assert_negative,
                        assert_non_negative, assert_non_positive, assert_none_equal,
                        assert_positive, assert_rank, assert_rank_at_least, assert_scalar,
                        assert_type, check_numerics)
from .check_ops import (assert_integer, assert_near, assert_proper_iterable,  # noqa: F401
                        assert_rank_in, assert_same_float_dtype, is_non_decreasing,
                        is_numeric_tensor, is_strictly_increasing)
from .check_ops import verify_tensor_all_finite as assert_all_finite  # noqa: F401
from .special_math_ops import is_finite, is_inf, is_nan  # noqa: F401

__all__ = [
    "Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
    "assert_less_equal", "assert_negative", "assert_non_negative", "assert_non_positive",
    "assert_none_equal", "assert_positive", "assert_rank", "assert_rank_at_least",
    "assert_scalar", "assert_type", "check_numerics", "assert_integer", "assert_near",
    "assert_proper_iterable", "assert_rank_in", "assert_same_float_dtype", "is_non_decreasing",
    "is_numeric_tensor", "is_strictly_increasing", "assert_all_finite", "is_finite", "is_inf",
    "is_nan", "set_log_device_placement", "get_log_device_placement",
    "enable_traceback_filtering", "disable_traceback_filtering",
    "is_traceback_filtering_enabled",
]

_log_device_placement = [False]


def set_log_device_placement(enabled: bool) -> None:
    """Kept and reported (symgrad places every op on the CPU)."""
    _log_device_placement[0] = bool(enabled)


def get_log_device_placement() -> bool:
    return _log_device_placement[0]


_traceback_filtering = [True]


def enable_traceback_filtering() -> None:
    """Kept and reported (symgrad's tracebacks show its frames either way)."""
    _traceback_filtering[0] = True


def disable_traceback_filtering() -> None:
    _traceback_filtering[0] = False


def is_traceback_filtering_enabled() -> bool:
    return _traceback_filtering[0]
