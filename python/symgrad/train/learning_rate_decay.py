"""Learning-rate schedules of the global step (``tf.compat.v1.train.*_decay``).

Each builds the graph TF's ``learning_rate_schedule`` classes build when called in graph mode:
the same name scopes, the same ops in the same order, the rate in ``learning_rate``'s dtype.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Optional, Sequence, TypeVar

from .. import dtypes as _dtypes
from ..constant_op import constant, convert_to_tensor
from ..framework import Tensor, name_scope
from ..math_ops import (add, cast, ceil, cos, divide, equal, exp, floor, log, minimum,
                        multiply, negative, pow as _pow, sqrt, truediv, where_v2)

__all__ = ["exponential_decay", "piecewise_constant", "piecewise_constant_decay",
           "polynomial_decay", "natural_exp_decay",
           "inverse_time_decay", "cosine_decay", "cosine_decay_restarts",
           "linear_cosine_decay", "noisy_linear_cosine_decay"]


_Schedule = TypeVar("_Schedule", bound=Callable[..., Any])


def _callable_when_eager(schedule: _Schedule) -> _Schedule:
    """TF's eager behaviour: executing eagerly, a schedule returns a function of no
    arguments that computes the rate from the step's current value each time it is
    called (optimizers call it at every step)."""
    @functools.wraps(schedule)
    def build(*args: Any, **kwargs: Any) -> Any:
        from ..eager import executing_eagerly
        if executing_eagerly():
            return functools.partial(schedule, *args, **kwargs)
        return schedule(*args, **kwargs)
    return build  # type: ignore[return-value]


def _require_step(global_step: Any) -> None:
    """TF 2's text: the step's conversion to a tensor fails (TF 1 named the schedule)."""
    if global_step is None:
        raise ValueError("None values not supported.")


def _initial_rate(learning_rate: Any) -> tuple[Tensor, Any]:
    lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
    return lr, lr.dtype


def _decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
           staircase: bool, name: Optional[str]) -> Tensor:
    """TF's ``ExponentialDecay`` schedule, shared by exponential and natural-exp decay."""
    with name_scope(name, "ExponentialDecay") as scope:
        lr, dtype = _initial_rate(learning_rate)
        steps = cast(decay_steps, dtype)
        rate = cast(decay_rate, dtype)
        p = truediv(cast(global_step, dtype), steps)
        if staircase:
            p = floor(p)
        return multiply(lr, _pow(rate, p), name=scope)


@_callable_when_eager
def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                      staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate * decay_rate ** (global_step / decay_steps)``; with ``staircase`` the
    exponent is floored, so the rate drops in steps."""
    _require_step(global_step)
    return _decay(learning_rate, global_step, decay_steps, decay_rate, staircase, name)


@_callable_when_eager
def natural_exp_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                      staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)``: TF builds it as an
    exponential decay with rate ``exp(-decay_rate)`` (made outside the schedule's scope)."""
    _require_step(global_step)
    natural_rate = exp(negative(decay_rate))
    return _decay(learning_rate, global_step, decay_steps, natural_rate, staircase, name)


@_callable_when_eager
def piecewise_constant(x: Any, boundaries: Sequence[Any], values: Sequence[Any],
                       name: Optional[str] = None) -> Tensor:
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < x <= boundaries[i]``, ``values[-1]`` after the last boundary."""
    from ..cond_ops import case
    bounds = [convert_to_tensor(b) for b in boundaries]
    vals = [convert_to_tensor(v) for v in values]
    x_t = convert_to_tensor(x)
    for i, b in enumerate(bounds):
        if b.dtype is not x_t.dtype:
            # Python ints become int32, which widen to an int64 step without loss; any other
            # mismatch could compare wrongly (floats truncated to integers), so it is refused.
            if b.dtype is _dtypes.int32 and x_t.dtype is _dtypes.int64:
                bounds[i] = cast(b, _dtypes.int64)
            else:
                raise ValueError(f"Boundaries ({b.dtype}) must have the same dtype as x "
                                 f"({x_t.dtype}).")
    for v in vals[1:]:
        if v.dtype is not vals[0].dtype:
            raise ValueError("Values must have elements all with the same dtype "
                             f"({vals[0].dtype} vs {v.dtype}).")
    if len(bounds) != len(vals) - 1:
        raise ValueError(
            "The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant"):
        pairs: list[tuple[Any, Any]] = [(x_t <= bounds[0], lambda: vals[0]),
                                         (x_t > bounds[-1], lambda: vals[-1])]
        for low, high, v in zip(bounds[:-1], bounds[1:], vals[1:-1]):
            pairs.append(((x_t > low) & (x_t <= high), lambda v=v: v))
        return case(pairs, lambda: vals[0], exclusive=True)


# TF 1's other name for it.
piecewise_constant_decay = piecewise_constant


@_callable_when_eager
def polynomial_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                     end_learning_rate: Any = 0.0001, power: Any = 1.0, cycle: bool = False,
                     name: Optional[str] = None) -> Tensor:
    """``(lr - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``; with
    ``cycle`` the horizon is the first multiple of ``decay_steps`` at or past the step."""
    _require_step(global_step)
    with name_scope(name, "PolynomialDecay") as scope:
        lr, dtype = _initial_rate(learning_rate)
        end = cast(end_learning_rate, dtype)
        power_t = cast(power, dtype)
        step = cast(global_step, dtype)
        horizon = cast(decay_steps, dtype)
        if cycle:
            # TF divides by the raw `decay_steps` here, not the cast one.
            multiplier = where_v2(equal(step, 0), 1.0, ceil(step / decay_steps))
            horizon = multiply(horizon, multiplier)
        else:
            step = minimum(step, horizon)
        p = divide(step, horizon)
        return add(multiply(lr - end, _pow(1 - p, power_t)), end, name=scope)


@_callable_when_eager
def inverse_time_decay(learning_rate: Any, global_step: Any, decay_steps: Any, decay_rate: Any,
                       staircase: bool = False, name: Optional[str] = None) -> Tensor:
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (the ratio floored
    with ``staircase``)."""
    _require_step(global_step)
    with name_scope(name, "InverseTimeDecay") as scope:
        lr, dtype = _initial_rate(learning_rate)
        steps = cast(decay_steps, dtype)
        rate = cast(decay_rate, dtype)
        p = cast(global_step, dtype) / steps
        if staircase:
            p = floor(p)
        one = cast(constant(1), dtype)
        return divide(lr, add(one, multiply(rate, p)), name=scope)


def _cosine(fraction: Tensor) -> Tensor:
    """``0.5 * (1 + cos(pi * fraction))``; pi is a float32 constant as in TF, so a float64
    schedule fails with TF's dtype error."""
    return 0.5 * (1.0 + cos(constant(math.pi) * fraction))


@_callable_when_eager
def cosine_decay(learning_rate: Any, global_step: Any, decay_steps: Any, alpha: Any = 0.0,
                 name: Optional[str] = None) -> Tensor:
    """``lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps))
    + alpha)``."""
    _require_step(global_step)
    with name_scope(name, "CosineDecay"):
        lr, dtype = _initial_rate(learning_rate)
        steps = cast(decay_steps, dtype)
        step = minimum(cast(global_step, dtype), steps)
        decayed = (1 - alpha) * _cosine(step / steps) + alpha
        # TF leaves the result unnamed (`CosineDecay/Mul_<n>`).
        return multiply(lr, decayed)


@_callable_when_eager
def cosine_decay_restarts(learning_rate: Any, global_step: Any, first_decay_steps: Any,
                          t_mul: Any = 2.0, m_mul: Any = 1.0, alpha: Any = 0.0,
                          name: Optional[str] = None) -> Tensor:
    """SGDR: cosine decay that restarts after ``first_decay_steps``, each period ``t_mul``
    times longer and each restart's peak ``m_mul`` times lower."""
    from ..cond_ops import cond
    _require_step(global_step)
    with name_scope(name, "SGDRDecay") as scope:
        lr, dtype = _initial_rate(learning_rate)
        first = cast(first_decay_steps, dtype)
        alpha_t = cast(alpha, dtype)
        t_mul_t = cast(t_mul, dtype)
        m_mul_t = cast(m_mul, dtype)
        fraction = cast(global_step, dtype) / first

        def restart_and_fraction(geometric: bool) -> tuple[Tensor, Tensor]:
            if geometric:
                i_restart = floor(log(1.0 - fraction * (1.0 - t_mul_t)) / log(t_mul_t))
                elapsed = (1.0 - t_mul_t ** i_restart) / (1.0 - t_mul_t)
                return i_restart, (fraction - elapsed) / t_mul_t ** i_restart
            i_restart = floor(fraction)
            return i_restart, fraction - i_restart

        i_restart, within = cond(equal(t_mul_t, 1.0), lambda: restart_and_fraction(False),
                                 lambda: restart_and_fraction(True))
        peak = m_mul_t ** i_restart
        cosine = 0.5 * peak * (1.0 + cos(constant(math.pi) * within))
        decayed = (1 - alpha_t) * cosine + alpha_t
        return multiply(lr, decayed, name=scope)


def _linear_cosine(scope_name: str, learning_rate: Any, global_step: Any, decay_steps: Any,
                   num_periods: Any, alpha: Any, beta: Any, name: Optional[str],
                   noise: Optional[tuple[Any, Any]]) -> Tensor:
    """``lr * ((alpha + linear [+ noise]) * cosine + beta)``; ``noise`` is
    ``(initial_variance, variance_decay)`` for the noisy variant."""
    from ..random_ops import random_normal
    with name_scope(name, scope_name) as scope:
        lr, dtype = _initial_rate(learning_rate)
        steps = cast(decay_steps, dtype)
        if noise is not None:
            initial_variance = cast(noise[0], dtype)
            variance_decay = cast(noise[1], dtype)
        periods = cast(num_periods, dtype)
        alpha_t = cast(alpha, dtype)
        beta_t = cast(beta, dtype)
        step = minimum(cast(global_step, dtype), steps)
        linear = (steps - step) / steps
        if noise is not None:
            variance = initial_variance / _pow(1.0 + step, variance_decay)
            linear = linear + random_normal(linear.shape, stddev=sqrt(variance))
        fraction = 2.0 * periods * (step / steps)
        decayed = (alpha_t + linear) * _cosine(fraction) + beta_t
        return multiply(lr, decayed, name=scope)


@_callable_when_eager
def linear_cosine_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                        num_periods: Any = 0.5, alpha: Any = 0.0, beta: Any = 0.001,
                        name: Optional[str] = None) -> Tensor:
    """``lr * ((alpha + (decay_steps - s) / decay_steps) * 0.5 * (1 + cos(2 pi num_periods
    s / decay_steps)) + beta)`` with ``s = min(global_step, decay_steps)``."""
    _require_step(global_step)
    return _linear_cosine("LinearCosineDecay", learning_rate, global_step, decay_steps,
                          num_periods, alpha, beta, name, None)


@_callable_when_eager
def noisy_linear_cosine_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                              initial_variance: Any = 1.0, variance_decay: Any = 0.55,
                              num_periods: Any = 0.5, alpha: Any = 0.0, beta: Any = 0.001,
                              name: Optional[str] = None) -> Tensor:
    """Linear cosine decay whose linear term gets Gaussian noise of variance
    ``initial_variance / (1 + s) ** variance_decay``."""
    _require_step(global_step)
    return _linear_cosine("NoisyLinearCosineDecay", learning_rate, global_step, decay_steps,
                          num_periods, alpha, beta, name, (initial_variance, variance_decay))
