"""Property tests: random programs of the differentiable ops, checked numerically.

Each example builds a small random graph: float64 placeholders (some with unknown dimensions,
fed at run time) of random shapes that include scalars and size-0 dimensions, then a chain of
random ops — elementwise unary, broadcasting binary against a second input of a compatible
shape, reductions over random axes with random ``keepdims``, matmul, reshape, transpose,
concat, slice, pad, softmax and log-softmax — and checks every gradient against central
finite differences (``gradient_checker``), and second derivatives for a subset.

CI runs a fixed, derandomized set of examples. ``SYMGRAD_LONG_TESTS=1`` runs a long random
search instead (a new seed each time; failures print the shrunk program).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad as tf
from gradient_checker import compute_gradient, compute_second_order

LONG = os.environ.get("SYMGRAD_LONG_TESTS") == "1"

settings.register_profile(
    "symgrad-ci", derandomize=True, max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "symgrad-long", max_examples=2000, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = "symgrad-long" if LONG else "symgrad-ci"

# Smooth functions only: a kink (abs, relu, max) met within the finite-difference step
# would make the numerical derivative meaningless, not the symbolic one wrong.
UNARY = {
    "sin": tf.sin, "cos": tf.cos, "tanh": tf.tanh, "sigmoid": tf.sigmoid,
    "square": tf.square, "exp_small": lambda x: tf.exp(0.3 * x),
    "softplus": tf.nn.softplus, "log1p_sq": lambda x: tf.log1p(tf.square(x)),
    "sqrt_pos": lambda x: tf.sqrt(1.5 + tf.square(x)), "erf": tf.erf,
}
BINARY = {
    "add": tf.add, "sub": tf.subtract, "mul": tf.multiply,
    "div_pos": lambda a, b: a / (1.5 + tf.square(b)),
    "sqdiff": tf.squared_difference,
    "pow_pos": lambda a, b: tf.pow(1.5 + tf.square(a), 0.5 * b),
    "atan2": lambda a, b: tf.atan2(a, 2.0 + tf.square(b)),
}
OPS = ["unary", "binary", "reduce", "matmul", "reshape", "transpose", "concat", "slice",
       "pad", "softmax", "log_softmax"]

MAX_ELEMENTS = 24


@st.composite
def shapes(draw, max_rank=3):
    rank = draw(st.integers(0, max_rank))
    return tuple(draw(st.integers(0 if draw(st.booleans()) else 1, 3)) for _ in range(rank))


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


@st.composite
def programs(draw):
    """A program: a list of input shapes (with unknown-dim masks) and a list of steps.

    Steps are data, so hypothesis shrinks and prints them; ``build`` turns them into ops.
    """
    x_shape = draw(shapes().filter(lambda s: _size(s) <= MAX_ELEMENTS))
    inputs = [(x_shape, tuple(draw(st.booleans()) for _ in x_shape))]
    shape = x_shape
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(OPS))
        rank = len(shape)
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY)))))
        elif kind == "binary":
            # A broadcasting partner: a suffix of the shape with some dimensions set to 1,
            # possibly with extra leading dimensions of its own.
            keep = draw(st.integers(0, rank))
            suffix = tuple(1 if draw(st.booleans()) else d for d in shape[rank - keep:])
            lead = tuple(draw(st.integers(1, 2)) for _ in range(draw(st.integers(0, 1))))
            if keep < rank:
                lead = ()  # extra leading dims only where the partner covers every dim
            other = lead + suffix
            if _size(np.broadcast_shapes(shape, other)) > MAX_ELEMENTS:
                other = suffix
            swap = draw(st.booleans())
            inputs.append((other, tuple(draw(st.booleans()) for _ in other)))
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), len(inputs) - 1,
                          swap))
            shape = tuple(np.broadcast_shapes(shape, other))
        elif kind == "reduce":
            axes = tuple(sorted(draw(st.sets(st.integers(0, max(rank - 1, 0)), max_size=rank))))
            if rank == 0:
                axes = ()
            keepdims = draw(st.booleans())
            op = draw(st.sampled_from(["sum", "mean", "prod", "logsumexp"]))
            if op in ("mean", "logsumexp") and any(shape[a] == 0 for a in axes):
                op = "sum"  # NaN and -inf over nothing, in TF too: no derivative to check
            use_none = draw(st.booleans()) and op == "sum"
            steps.append(("reduce", op, None if use_none else list(axes), keepdims))
            all_axes = range(rank) if use_none else axes
            shape = tuple(1 if i in all_axes else d for i, d in enumerate(shape)) if keepdims \
                else tuple(d for i, d in enumerate(shape) if i not in all_axes)
        elif kind == "matmul" and rank == 2:
            m = draw(st.integers(1, 3))
            inputs.append(((shape[1], m), (False, draw(st.booleans()))))
            steps.append(("matmul", len(inputs) - 1))
            shape = (shape[0], m)
        elif kind == "reshape":
            steps.append(("reshape", [-1]))
            shape = (_size(shape),)
        elif kind == "transpose" and rank >= 2:
            perm = draw(st.permutations(range(rank)))
            steps.append(("transpose", list(perm)))
            shape = tuple(shape[p] for p in perm)
        elif kind == "concat" and rank >= 1 and 2 * _size(shape) <= MAX_ELEMENTS:
            axis = draw(st.integers(-rank, rank - 1))
            steps.append(("concat", axis))
            shape = tuple(2 * d if i == axis % rank else d for i, d in enumerate(shape))
        elif kind == "slice" and rank >= 1:
            begin = [draw(st.integers(0, d)) for d in shape]
            size = [draw(st.integers(0, d - b)) if draw(st.booleans()) else -1
                    for d, b in zip(shape, begin)]
            steps.append(("slice", begin, size))
            shape = tuple(d - b if s == -1 else s for d, b, s in zip(shape, begin, size))
        elif kind == "pad" and rank >= 1:
            pads = [[draw(st.integers(0, 1)), draw(st.integers(0, 1))] for _ in shape]
            padded = tuple(d + a + b for d, (a, b) in zip(shape, pads))
            if _size(padded) <= MAX_ELEMENTS:
                steps.append(("pad", pads))
                shape = padded
        elif kind in ("softmax", "log_softmax") and rank >= 1:
            steps.append((kind,))
    return inputs, steps


def build(inputs, steps):
    """The graph for a program: (placeholders, their values, y)."""
    rng = np.random.RandomState(1234)
    xs, values = [], []
    for i, (shape, unknown) in enumerate(inputs):
        static = [None if u else d for d, u in zip(shape, unknown)]
        xs.append(tf.placeholder(tf.float64, shape=static, name=f"x{i}"))
        values.append(rng.uniform(-1.5, 1.5, shape))
    y = xs[0]
    for step in steps:
        kind = step[0]
        if kind == "unary":
            y = UNARY[step[1]](y)
        elif kind == "binary":
            a, b = (xs[step[2]], y) if step[3] else (y, xs[step[2]])
            y = BINARY[step[1]](a, b)
        elif kind == "reduce":
            op, axes, keepdims = step[1:]
            f = {"sum": tf.reduce_sum, "mean": tf.reduce_mean, "prod": tf.reduce_prod,
                 "logsumexp": tf.reduce_logsumexp}[op]
            y = f(y, axis=axes, keepdims=keepdims)
        elif kind == "matmul":
            y = tf.matmul(y, xs[step[1]])
        elif kind == "reshape":
            y = tf.reshape(y, step[1])
        elif kind == "transpose":
            y = tf.transpose(y, step[1])
        elif kind == "concat":
            y = tf.concat([y, tf.sin(y)], axis=step[1])
        elif kind == "slice":
            y = tf.slice(y, step[1], step[2])
        elif kind == "pad":
            y = tf.pad(y, step[1])
        elif kind == "softmax":
            y = tf.nn.softmax(y)
        elif kind == "log_softmax":
            y = tf.nn.log_softmax(y)
    return xs, values, y


def _check(pairs, tol):
    for p in pairs:
        assert np.all(np.isfinite(p.theoretical)), (p.x_name, p.theoretical)
        assert p.rel_error <= tol, (
            f"d {p.y_name} / d {p.x_name}: rel error {p.rel_error:.3g}\n"
            f"theoretical=\n{p.theoretical}\nnumerical=\n{p.numerical}")


@settings(settings.get_profile(PROFILE))
@given(programs())
def test_random_program_gradients_match_finite_differences(program):
    inputs, steps = program
    g = tf.Graph()
    with g.as_default():
        xs, values, y = build(inputs, steps)
        # The gradient's static shape agrees with its input's wherever both are known.
        for x, dx in zip(xs, tf.gradients(y, xs)):
            if dx is not None:
                assert dx.shape.is_compatible_with(x.shape), (dx.shape, x.shape)
        _check(compute_gradient(xs, y, values), 1e-6)


@settings(settings.get_profile(PROFILE),
          max_examples=2000 if LONG else 25)
@given(programs().filter(lambda p: sum(_size(s) for s, _ in p[0]) <= 12))
def test_random_program_second_derivatives_match_finite_differences(program):
    inputs, steps = program
    g = tf.Graph()
    with g.as_default():
        xs, values, y = build(inputs, steps)
        for row in compute_second_order(xs, y, values):
            _check(row, 1e-5)


def test_programs_cover_the_interesting_shapes():
    """The CI examples include scalars, size-0 inputs, unknown dims and broadcasting."""
    seen = {"scalar": False, "empty": False, "unknown": False, "broadcast": False}

    @settings(settings.get_profile(PROFILE))
    @given(programs())
    def collect(program):
        inputs, steps = program
        seen["scalar"] |= any(s == () for s, _ in inputs)
        seen["empty"] |= any(0 in s for s, _ in inputs)
        seen["unknown"] |= any(any(u) for _, u in inputs)
        seen["broadcast"] |= any(
            st_[0] == "binary" and inputs[st_[2]][0] != inputs[0][0] for st_ in steps)

    collect()
    assert all(seen.values()), seen


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
