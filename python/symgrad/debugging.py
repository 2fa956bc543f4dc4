"""``tf.debugging``: the run-time checks of ``symgrad.check_ops`` under TF's names."""

from __future__ import annotations

from .check_ops import (Assert, assert_equal, assert_greater,  # noqa: F401
                        assert_greater_equal, assert_less, assert_less_equal, assert_negative,
                        assert_non_negative, assert_non_positive, assert_none_equal,
                        assert_positive, assert_rank, assert_rank_at_least, assert_scalar,
                        assert_type, check_numerics)

__all__ = [
    "Assert", "assert_equal", "assert_greater", "assert_greater_equal", "assert_less",
    "assert_less_equal", "assert_negative", "assert_non_negative", "assert_non_positive",
    "assert_none_equal", "assert_positive", "assert_rank", "assert_rank_at_least",
    "assert_scalar", "assert_type", "check_numerics",
]
