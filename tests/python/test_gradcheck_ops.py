"""Numerical gradient checks for every differentiable op the Python API exposes.

Each case builds ``y = f(x0, x1, ...)`` on float64 placeholders (mostly with unknown
dimensions, so the gradients must work from dynamic shapes), then compares
``gradients()`` against central differences (first derivatives) and the gradient of the
gradient against differences of the gradient (second derivatives), see gradient_checker.py.
Points are drawn away from kinks and discontinuities.

Ops from the suite's op list that symgrad does not expose yet are strict xfails: they turn
red as soon as the op lands, so the mark gets removed with it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import (assert_gradients_close, compute_gradient,  # noqa: E402
                              compute_second_order)

TOL = 1e-5


def _rng(key: str) -> np.random.RandomState:
    return np.random.RandomState(zlib.crc32(key.encode()))


def check(build, inputs, tol=TOL, second_order=True, delta=1e-6, extra=None,
          dtype=tf.float64):
    """inputs: list of (placeholder shape, value). build(*placeholders[, extra]) -> y."""
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.placeholder(dtype, shape, name=f"x{i}") for i, (shape, _) in enumerate(inputs)]
        feed = {}
        if extra is not None:
            made = extra()
            feed = {p: v for p, v in made}
            y = build(*xs, *[p for p, _ in made])
        else:
            y = build(*xs)
        return assert_gradients_close(xs, y, [v for _, v in inputs], tol=tol,
                                      second_order=second_order, delta=delta,
                                      extra_feed=feed)


def _exposed(path: str) -> bool:
    obj = tf
    for part in path.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def missing(name: str, exposed: bool = None):
    """A strict xfail while an op of the list is not exposed by symgrad (checked at import).

    Once the op lands the mark no longer applies and the test runs for real.
    """
    if exposed is None:
        exposed = _exposed(name)
    return pytest.mark.xfail(not exposed, strict=True,
                             raises=(AttributeError, NotImplementedError),
                             reason=f"symgrad does not expose tf.{name} yet")


def bug(reason: str, raises=AssertionError):
    return pytest.mark.xfail(strict=True, raises=raises, reason=f"BUG: {reason}")


def _fn(path: str):
    """tf.<path> looked up at call time (an AttributeError for ops not exposed yet)."""
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# ----------------------------------------------------------------------------------------
# elementwise unary
# ----------------------------------------------------------------------------------------
def _pos(shape, rng):
    return rng.uniform(0.5, 2.0, size=shape)


def _any(shape, rng):
    return rng.uniform(-2.0, 2.0, size=shape)


def _away0(shape, rng):
    return rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _small(shape, rng):
    return rng.uniform(-1.0, 1.0, size=shape)


def _offint(shape, rng):  # away from integers and half-integers
    return rng.randint(-3, 3, size=shape) + rng.choice([0.2, 0.3, 0.7, 0.8], size=shape)


UNARY = [
    ("negative", _any),
    ("abs", _away0),
    ("square", _any),
    ("sqrt", _pos),
    ("rsqrt", _pos),
    ("exp", _any),
    pytest.param("expm1", _any, marks=missing("expm1")),
    ("log", _pos),
    ("log1p", _pos),
    ("reciprocal", _away0),
    ("sin", _any),
    ("cos", _any),
    pytest.param("tan", _small, marks=missing("tan")),
    ("tanh", _any),
    ("sigmoid", _any),
    ("nn.relu", _away0),
    ("nn.softplus", _any),
    ("nn.sigmoid", _any),
    ("nn.tanh", _any),
]


@pytest.mark.parametrize("op,sampler", UNARY)
@pytest.mark.parametrize("shape", [[None, 3], None, []], ids=["None_3", "unknown_rank",
                                                               "scalar"])
def test_unary(op, sampler, shape):
    value_shape = () if shape == [] else (2, 3)
    value = sampler(value_shape, _rng(op + str(shape)))
    check(lambda x: _fn(op)(x), [(shape, value)])


@pytest.mark.parametrize("op", [
    "sign",
    pytest.param("floor", marks=missing("floor")),
    pytest.param("ceil", marks=missing("ceil")),
    pytest.param("round", marks=missing("round")),
])
def test_piecewise_constant_unary(op):
    """sign: a zero gradient (TF's _SignGrad returns zeros); floor/ceil/round: None."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = _fn(op)(x)
        (g,) = tf.gradients(y, x)
        (g2,) = tf.gradients(y * x, x)  # the other path still flows
        value = _offint((2, 3), _rng(op))
        with tf.Session() as sess:
            if op == "sign":
                assert g is not None
                np.testing.assert_array_equal(sess.run(g, {x: value}), np.zeros((2, 3)))
            else:
                assert g is None
            got = sess.run(g2, {x: value})
            np.testing.assert_allclose(got, sess.run(y, {x: value}))
    check(lambda x: _fn(op)(x) * x, [([None, 3], value)])


# ----------------------------------------------------------------------------------------
# elementwise binary, with broadcasting
# ----------------------------------------------------------------------------------------
def _xy_any(sx, sy, rng):
    return rng.uniform(-2, 2, sx), rng.uniform(-2, 2, sy)


def _xy_div(sx, sy, rng):
    return rng.uniform(-2, 2, sx), _away0(sy, rng) + 0.0


def _xy_pow(sx, sy, rng):
    return rng.uniform(0.5, 2.0, sx), rng.uniform(-1.5, 2.5, sy)


def _xy_distinct(sx, sy, rng):
    """x and y never closer than 0.2 after broadcasting (no ties for maximum/minimum)."""
    x = rng.uniform(-2, 2, sx)
    y = rng.uniform(-2, 2, sy)
    bx, by = np.broadcast_arrays(x, y)
    while np.min(np.abs(bx - by)) < 0.2:
        x = rng.uniform(-2, 2, sx)
        y = rng.uniform(-2, 2, sy)
        bx, by = np.broadcast_arrays(x, y)
    return x, y


def _xy_mod(sx, sy, rng):
    """x / y stays away from integers: floormod is smooth there (d/dx = 1, d/dy = -floor)."""
    y = rng.uniform(0.8, 1.6, sy) * rng.choice([-1.0, 1.0], sy)
    while True:
        x = rng.uniform(-4, 4, sx)
        q = np.broadcast_arrays(x, y)[0] / np.broadcast_arrays(x, y)[1]
        if np.min(np.abs(q - np.round(q))) > 0.1:
            return x, y


BINARY = [
    ("add", tf.add, _xy_any),
    ("subtract", tf.subtract, _xy_any),
    ("multiply", tf.multiply, _xy_any),
    ("divide", tf.divide, _xy_div),
    ("truediv", tf.truediv, _xy_div),
    ("div", tf.div, _xy_div),
    ("realdiv", tf.realdiv, _xy_div),
    ("mod", tf.mod, _xy_mod),
    ("floormod", tf.floormod, _xy_mod),
    ("pow", tf.pow, _xy_pow),
    ("maximum", tf.maximum, _xy_distinct),
    ("minimum", tf.minimum, _xy_distinct),
    ("squared_difference", tf.squared_difference, _xy_any),
    ("op+", lambda a, b: a + b, _xy_any),
    ("op-", lambda a, b: a - b, _xy_any),
    ("op*", lambda a, b: a * b, _xy_any),
    ("op/", lambda a, b: a / b, _xy_div),
    ("op**", lambda a, b: a ** b, _xy_pow),
    ("op%", lambda a, b: a % b, _xy_mod),
    ("where_v2_true", lambda a, b: tf.where_v2(True, a, b), _xy_any),
]

# (x placeholder shape, x value shape, y placeholder shape, y value shape)
BROADCAST = [
    pytest.param([None, 3], (2, 3), [None, 3], (2, 3), id="same"),
    pytest.param([None, 3], (2, 3), [3], (3,), id="row"),
    pytest.param([3], (3,), [None, 3], (2, 3), id="row_left"),
    pytest.param([None, 1], (2, 1), [1, None], (1, 3), id="outer"),
    pytest.param([], (), [None, 3], (2, 3), id="scalar_left"),
    pytest.param([None, 3], (2, 3), [], (), id="scalar_right"),
    pytest.param(None, (2, 3), None, (2, 1), id="unknown_rank"),
    pytest.param([2, 3], (2, 3), [2, 1], (2, 1), id="static"),
]


@pytest.mark.parametrize("name,fn,sampler", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("sx,vx,sy,vy", BROADCAST)
def test_binary(name, fn, sampler, sx, vx, sy, vy):
    x, y = sampler(vx, vy, _rng(name + str(vx) + str(vy)))
    check(fn, [(sx, x), (sy, y)])


REFLECTED = [
    ("2-x", lambda x: 2.0 - x, _any),
    ("2+x", lambda x: 2.0 + x, _any),
    ("3*x", lambda x: 3.0 * x, _any),
    ("3/x", lambda x: 3.0 / x, _away0),
    ("x**2", lambda x: x ** 2.0, _any),
    ("x**3", lambda x: x ** 3, _any),
    ("2**x", lambda x: 2.0 ** x, _any),
    ("x%1.5", lambda x: x % 1.5, lambda s, r: _offint(s, r) * 1.0),
    ("-x", lambda x: -x, _any),
    ("abs(x)", lambda x: abs(x), _away0),
]


@pytest.mark.parametrize("name,fn,sampler", REFLECTED, ids=[r[0] for r in REFLECTED])
def test_operators_with_python_numbers(name, fn, sampler):
    check(fn, [([None, 3], sampler((2, 3), _rng(name)))])


def test_floordiv_has_no_gradient():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = tf.placeholder(tf.float64, [3])
        assert tf.gradients(tf.floordiv(x, y), [x, y]) == [None, None]
        assert tf.gradients(tf.floor_div(x, y), [x, y]) == [None, None]
        assert tf.gradients(x // y, [x, y]) == [None, None]
        assert tf.gradients(2.0 // x, [x]) == [None]
    # and the graph around it still checks numerically (floordiv is locally constant)
    check(lambda a, b: (a // b) * a + b, [([None, 3], np.array([[0.3, 1.7, -2.2]])),
                                          ([3], np.array([0.7, 1.3, 0.9]))])


def test_pow_zero_base_first_derivative():
    """TF's _PowGrad: dz/dy at x == 0 is 0 (log(x) is masked), not nan."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [3])
        y = tf.placeholder(tf.float64, [3])
        gx, gy = tf.gradients(tf.pow(x, y), [x, y])
        with tf.Session() as sess:
            rx, ry = sess.run([gx, gy], {x: [0.0, 2.0, 0.0], y: [2.0, 2.0, 3.0]})
    np.testing.assert_allclose(rx, [0.0, 4.0, 0.0])
    np.testing.assert_allclose(ry, [0.0, 4.0 * np.log(2.0), 0.0])


# ----------------------------------------------------------------------------------------
# where (v1 Select, including the vector-condition form) and where_v2
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cond_shape,cond_value,x_shape", [
    pytest.param([None, 3], [[True, False, True], [False, False, True]], [None, 3],
                 id="same_shape"),
    pytest.param([None], [True, False], [None, 3], id="vector_condition"),
    pytest.param([None], [False, True, True], [None], id="vector"),
])
def test_where(cond_shape, cond_value, x_shape):
    cond_value = np.array(cond_value)
    vshape = (len(cond_value),) if x_shape == [None] else (2, 3)
    rng = _rng("where" + str(cond_shape))
    x, y = rng.uniform(-2, 2, vshape), rng.uniform(-2, 2, vshape)

    def extra():
        return [(tf.placeholder(tf.bool, cond_shape, name="cond"), cond_value)]

    pairs = check(lambda a, b, c: tf.where(c, a * a, b * a), [(x_shape, x), (x_shape, y)],
                  extra=extra)
    # and against the closed form: d/dx = where(c, 2x, y), d/dy = where(c, 0, x)
    c = cond_value.reshape(cond_value.shape + (1,) * (len(vshape) - cond_value.ndim))
    np.testing.assert_allclose(np.diag(pairs[0].theoretical),
                               np.where(c, 2 * x, y).ravel(), rtol=1e-12)
    np.testing.assert_allclose(np.diag(pairs[1].theoretical),
                               np.broadcast_to(np.where(c, 0.0, x), vshape).ravel(),
                               rtol=1e-12)


def test_where_v2_broadcasting():
    def extra():
        return [(tf.placeholder(tf.bool, [None, 1], name="cond"), np.array([[True], [False]]))]

    rng = _rng("where_v2")
    check(lambda a, b, c: tf.where_v2(c, a * b, b), [([3], rng.uniform(-2, 2, 3)),
                                                   ([None, 3], rng.uniform(-2, 2, (2, 3)))],
          extra=extra)


def test_where_condition_has_no_gradient():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [3])
        c = tf.less(x, 0.0)
        y = tf.where(c, x, 2.0 * x)
        (g,) = tf.gradients(y, x)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(g, {x: [-1.0, 1.0, 2.0]}), [1.0, 2.0, 2.0])
        assert tf.gradients(tf.cast(c, tf.float64), x) == [None]


# ----------------------------------------------------------------------------------------
# cast
# ----------------------------------------------------------------------------------------
def test_cast_float32_to_float64():
    """A float32 x, the function after the cast in float64 (a quadratic: exact differences)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.square(tf.cast(x, tf.float64)) * 0.5 + tf.cast(x, tf.float64)
        (g,) = tf.gradients(y, x)
        assert g.dtype == tf.float32
        value = _any((2, 3), _rng("cast32"))
        # the first gradient is float32, so its differences are float32-precise
        pairs = assert_gradients_close([x], y, [value], tol=1e-6, delta=1e-2,
                                       second_order=True, second_tol=1e-4)
    np.testing.assert_allclose(np.diag(pairs[0].theoretical),
                               value.astype(np.float32).ravel() + 1, rtol=1e-6)


def test_cast_float64_to_float32():
    """A float64 x through float32: checked at float32 precision."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y32 = tf.square(tf.cast(x, tf.float32))
        (g,) = tf.gradients(y32, x)
        assert g.dtype == tf.float64
        y = tf.cast(y32, tf.float64)
        value = _any((2, 3), _rng("cast64"))
        assert_gradients_close([x], y, [value], tol=1e-3, delta=1e-2, second_order=True)


def test_cast_round_trip_and_to_helpers():
    check(lambda x: tf.to_double(tf.to_float(x)) * tf.cast(tf.cast(x, tf.float32), tf.float64),
          [([None, 3], _any((2, 3), _rng("roundtrip")))], tol=1e-3, delta=1e-2)


def test_cast_to_int_has_no_gradient():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [3])
        assert tf.gradients(tf.cast(tf.cast(x, tf.int32), tf.float64), x) == [None]
        assert tf.gradients(tf.to_int64(x), x) == [None]


# ----------------------------------------------------------------------------------------
# reductions
# ----------------------------------------------------------------------------------------
REDUCTIONS = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"]
AXES = [None, 0, 1, -1, -2, [0, 1], [-1, 0], []]


@pytest.mark.parametrize("op", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=lambda a: f"axis={a}")
@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keep"])
@pytest.mark.parametrize("shape", [[None, 3], [2, 3]], ids=["None_3", "static"])
def test_reduction(op, axis, keepdims, shape):
    rng = _rng(op + str(axis))
    # distinct, nonzero values: no ties for max/min, no zero for prod
    value = rng.permutation(np.linspace(0.5, 1.7, 6)).reshape(2, 3) * \
        rng.choice([-1.0, 1.0], (2, 3))
    check(lambda x: _fn(op)(x, axis=axis, keepdims=keepdims) * 1.0, [(shape, value)])


@pytest.mark.parametrize("op", REDUCTIONS)
def test_reduction_3d_unknown_rank(op):
    rng = _rng(op + "3d")
    value = rng.permutation(np.linspace(0.6, 1.6, 12)).reshape(2, 3, 2)
    check(lambda x: _fn(op)(x, axis=[0, -1]), [(None, value)])
    check(lambda x: _fn(op)(x, axis=1, keepdims=True), [([None, None, 2], value)])
    check(lambda x: _fn(op)(x), [(None, value)])


@pytest.mark.parametrize("op,value,expected", [
    ("reduce_max", [1.0, 3.0, 3.0], [0.0, 0.5, 0.5]),
    ("reduce_min", [1.0, 1.0, 3.0], [0.5, 0.5, 0.0]),
    ("reduce_max", [2.0, 2.0, 2.0], [1 / 3, 1 / 3, 1 / 3]),
])
def test_max_min_ties_split_evenly(op, value, expected):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None])
        (g,) = tf.gradients(_fn(op)(x), x)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(g, {x: value}), expected, rtol=1e-12)


def test_max_ties_per_row():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        (g,) = tf.gradients(tf.reduce_max(x, axis=1), x)
        with tf.Session() as sess:
            got = sess.run(g, {x: [[1.0, 3.0, 3.0], [5.0, 4.0, 5.0]]})
    np.testing.assert_allclose(got, [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]], rtol=1e-12)


PROD_ZEROS = [
    pytest.param([[0.0, 2.0, 3.0], [1.5, 0.5, 2.0]], id="one_zero"),
    pytest.param([[0.0, 2.0, 0.0], [1.5, 0.5, 2.0]], id="two_zeros"),
]


@pytest.mark.parametrize("value", PROD_ZEROS)
@pytest.mark.parametrize("axis", [1, None], ids=["axis1", "all"])
def test_reduce_prod_with_zeros(value, axis):
    """First derivatives of prod at zeros: finite and exact (as TF's cumprod-based grad)."""
    value = np.array(value)
    pairs = check(lambda x: tf.reduce_prod(x, axis=axis), [([None, 3], value)],
                  second_order=False)
    assert np.all(np.isfinite(pairs[0].theoretical))


@pytest.mark.parametrize("value", PROD_ZEROS)
@pytest.mark.parametrize("axis", [1, [0, 1], 0], ids=["axis1", "all", "axis0"])
def test_reduce_prod_with_zeros_second_order(value, axis):
    """Second derivatives at zeros, also with two zeros in a slice: TF's exclusive-cumprod
    gradient, whose Cumprod gradient symgrad computes without dividing by x."""
    check(lambda x: tf.reduce_prod(x, axis=axis), [([None, 3], np.array(value))])


# ----------------------------------------------------------------------------------------
# matmul
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("ta", [False, True], ids=["a", "aT"])
@pytest.mark.parametrize("tb", [False, True], ids=["b", "bT"])
@pytest.mark.parametrize("known", [True, False], ids=["static", "None_dims"])
def test_matmul_transposes(ta, tb, known):
    rng = _rng(f"mm{ta}{tb}")
    a = rng.uniform(-1, 1, (3, 2) if ta else (2, 3))
    b = rng.uniform(-1, 1, (4, 3) if tb else (3, 4))
    sa = list(a.shape) if known else [None, a.shape[1]]
    sb = list(b.shape) if known else [b.shape[0], None]
    check(lambda x, y: tf.matmul(x, y, transpose_a=ta, transpose_b=tb), [(sa, a), (sb, b)])


@pytest.mark.parametrize("adj_a,adj_b", [(False, False), (True, False), (False, True),
                                         (True, True)])
def test_matmul_adjoint_flags(adj_a, adj_b):
    rng = _rng(f"adj{adj_a}{adj_b}")
    a = rng.uniform(-1, 1, (3, 2) if adj_a else (2, 3))
    b = rng.uniform(-1, 1, (4, 3) if adj_b else (3, 4))
    check(lambda x, y: tf.matmul(x, y, adjoint_a=adj_a, adjoint_b=adj_b),
          [(list(a.shape), a), (list(b.shape), b)])


@pytest.mark.parametrize("sa,va,sb,vb", [
    pytest.param([None, 2, 3], (2, 2, 3), [None, 3, 4], (2, 3, 4), id="same_batch"),
    pytest.param([None, 2, 3], (2, 2, 3), [3, 4], (3, 4), id="rank2_right"),
    pytest.param([2, 3], (2, 3), [None, 3, 4], (3, 3, 4), id="rank2_left"),
    pytest.param([None, 1, 2, 3], (2, 1, 2, 3), [3, 3, 2], (3, 3, 2), id="broadcast_batch"),
    pytest.param(None, (1, 2, 3), None, (2, 3, 2), id="unknown_rank"),
])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, True), (True, False)],
                         ids=["nn", "TT", "Tn"])
def test_batch_matmul(sa, va, sb, vb, ta, tb):
    rng = _rng(f"bmm{va}{vb}{ta}{tb}")
    a = rng.uniform(-1, 1, va)
    b = rng.uniform(-1, 1, vb)
    if ta:
        a = np.swapaxes(a, -1, -2)
        sa = None if sa is None else sa[:-2] + [sa[-1], sa[-2]]
    if tb:
        b = np.swapaxes(b, -1, -2)
        sb = None if sb is None else sb[:-2] + [sb[-1], sb[-2]]
    check(lambda x, y: tf.matmul(x, y, transpose_a=ta, transpose_b=tb), [(sa, a), (sb, b)])


def test_matmul_operator():
    rng = _rng("matmul@")
    check(lambda x, y: x @ y, [([None, 3], rng.uniform(-1, 1, (2, 3))),
                               ([3, None], rng.uniform(-1, 1, (3, 2)))])


# ----------------------------------------------------------------------------------------
# shape and array ops
# ----------------------------------------------------------------------------------------
def _v(shape, key):
    return _rng(key).uniform(-2, 2, shape)


ARRAY = [
    ("reshape[-1]", lambda x: tf.reshape(x, [-1]) * tf.reshape(x, [-1]), [None, 3], (2, 3)),
    ("reshape[3,-1]", lambda x: tf.sin(tf.reshape(x, [3, -1])), [None, 3], (2, 3)),
    ("reshape_unknown_rank", lambda x: tf.reshape(x, [-1, 2]) ** 2, None, (2, 3)),
    ("transpose", lambda x: tf.transpose(x) * tf.constant([[1.0, 2.0], [3.0, 4.0],
                                                           [5.0, 6.0]], tf.float64),
     [None, 3], (2, 3)),
    ("transpose_unknown_rank", lambda x: tf.transpose(x) ** 2, None, (2, 3, 2)),
    ("transpose_perm", lambda x: tf.transpose(x, [2, 0, 1]) ** 2, [None, 3, 2], (2, 3, 2)),
    ("transpose_perm_neg", lambda x: tf.sin(tf.transpose(x, perm=[1, 0])), [None, 3],
     (2, 3)),
    ("expand_dims0", lambda x: tf.expand_dims(x, 0) ** 2, [None, 3], (2, 3)),
    ("expand_dims-1", lambda x: tf.expand_dims(x, -1) * tf.expand_dims(x, 1),
     [None, 3], (2, 3)),
    ("squeeze", lambda x: tf.squeeze(x) ** 2, [2, 1, 3], (2, 1, 3)),
    ("squeeze_axis", lambda x: tf.squeeze(x, axis=[1]) ** 2, [None, 1, 3], (2, 1, 3)),
    ("squeeze_neg_axis", lambda x: tf.squeeze(x, -1) ** 2, [None, 3, 1], (2, 3, 1)),
    pytest.param("split", lambda x: (lambda p: p[0] * p[2] + p[1])(tf.split(x, 3, axis=1)),
                 [None, 3], (2, 3), id="split"),
    pytest.param("split_axis0_unused", lambda x: tf.split(x, 2, axis=0)[1] ** 2, [2, 3],
                 (2, 3), id="split_axis0_unused"),
    pytest.param("split_neg_axis",
                 lambda x: (lambda p: p[0] * p[1])(tf.split(x, 2, axis=-1)),
                 [None, 4], (2, 4), id="split_neg_axis"),
    ("unstack", lambda x: (lambda p: p[0] * p[1] + p[2])(tf.unstack(x, axis=1)),
     [None, 3], (2, 3)),
    ("unstack_axis0_unused", lambda x: tf.unstack(x)[0] ** 3, [2, 3], (2, 3)),
    ("unstack_neg_axis", lambda x: (lambda p: p[0] / (p[1] + 3.0))(tf.unstack(x, axis=-1)),
     [None, 2], (3, 2)),
    ("stack", lambda x: tf.stack([x, x * x, tf.sin(x)]), [None, 3], (2, 3)),
    ("stack_axis1", lambda x: tf.stack([x, x * x], axis=1) ** 2, [None, 3], (2, 3)),
    ("stack_neg_axis", lambda x: tf.stack([x, tf.exp(x)], axis=-1) ** 2, [None, 3], (2, 3)),
    pytest.param("concat0", lambda x: tf.concat([x, x * x], 0), [None, 3], (2, 3),
                 id="concat0"),
    pytest.param("concat1", lambda x: tf.concat([tf.sin(x), x, x * x], axis=1) ** 2,
                 [None, 3], (2, 3), id="concat1"),
    pytest.param("concat-1", lambda x: tf.concat([x, tf.exp(x)], -1) ** 2, None, (2, 3),
                 id="concat-1"),
    ("concat_single", lambda x: tf.concat([x * x], 0), [None, 3], (2, 3)),
    ("identity", lambda x: tf.identity(x) * x, [None, 3], (2, 3)),
    ("identity_n", lambda x: (lambda p: p[0] * p[1])(tf.identity_n([x, tf.sin(x)])),
     [None, 3], (2, 3)),
    ("tile", lambda x: tf.tile(x, [2, 3]) ** 2, [None, 3], (2, 3)),
    ("tile_unknown_rank", lambda x: tf.sin(tf.tile(x, [1, 2])), None, (2, 3)),
    ("broadcast_to", lambda x: tf.broadcast_to(x, [2, 4, 3]) ** 2, [None, 3], (4, 3)),
    ("broadcast_to_vec", lambda x: tf.broadcast_to(x, [2, 3]) * tf.constant(
        [[1.0], [2.0]], tf.float64), [3], (3,)),
    ("broadcast_to_ones", lambda x: tf.broadcast_to(x, [2, 3]) ** 2, [1, 1], (1, 1)),
    ("placeholder_with_default", lambda x: (lambda p: p * p)(
        tf.placeholder_with_default(x * 2.0, [None, 3])), [None, 3], (2, 3)),
    ("add_n", lambda x: tf.add_n([x, x * x, tf.sin(x)]), [None, 3], (2, 3)),
    ("add_n_single", lambda x: tf.add_n([x * x]), [None, 3], (2, 3)),
    ("accumulate_n", lambda x: tf.accumulate_n([x, x * x, tf.exp(x)]), [None, 3], (2, 3)),
]


@pytest.mark.parametrize("name,fn,shape,vshape", ARRAY,
                         ids=[a[0] if isinstance(a, tuple) else a.id for a in ARRAY])
def test_array_op(name, fn, shape, vshape):
    check(fn, [(shape, _v(vshape, name))])


def test_split_with_sizes():
    check(lambda x: (lambda p: p[0] * 2.0 + tf.reduce_sum(p[1] ** 2))(
        tf.split(x, [1, 2], axis=1)), [([None, 3], _v((2, 3), "splitv"))])


def _split_sizes_supported() -> bool:
    with tf.Graph().as_default():
        try:
            tf.split(tf.constant([[1.0, 2.0, 3.0]]), [1, 2], axis=1)
        except NotImplementedError:
            return False
    return True


test_split_with_sizes = missing("split with size_splits (SplitV)",
                                _split_sizes_supported())(test_split_with_sizes)


@pytest.mark.parametrize("fn", [
    pytest.param(lambda x, y: tf.stack([x, y, x * y], axis=1), id="stack"),
    pytest.param(lambda x, y: tf.concat([x, y * y], axis=0), id="concat0"),
    pytest.param(lambda x, y: tf.concat([x, y], axis=1) ** 2, id="concat1"),
    pytest.param(lambda x, y: tf.add_n([x, y, x * y, x]), id="add_n"),
    pytest.param(lambda x, y: tf.accumulate_n([x, y * y]), id="accumulate_n"),
])
def test_multi_input_array_ops(fn):
    rng = _rng("multi")
    a, b = rng.uniform(-2, 2, (2, 3)), rng.uniform(-2, 2, (2, 3))
    check(fn, [([None, 3], a), ([None, 3], b)])


def test_split_first_order():
    """First derivatives through split (the second order is covered by test_array_op)."""
    check(lambda x: (lambda p: p[0] * p[2] + p[1])(tf.split(x, 3, axis=1)),
          [([None, 3], _v((2, 3), "split1"))], second_order=False)
    check(lambda x: tf.split(x, 2, axis=-1)[1] ** 2, [([None, 4], _v((2, 4), "split2"))],
          second_order=False)


def test_fill_value_gradient():
    check(lambda s: tf.fill([2, 3], s) * tf.constant(np.arange(6.0).reshape(2, 3)),
          [([], np.array(1.3))])
    check(lambda s, x: tf.fill(tf.shape(x), s * s) * x,
          [([], np.array(0.7)), ([None, 3], _v((2, 3), "fill"))])


@pytest.mark.parametrize("op", ["zeros_like", "ones_like", "stop_gradient", "shape", "size",
                                "rank"])
def test_not_differentiable(op):
    """No gradient flows through these: gradients() returns None for x alone."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = _fn(op)(x)
        assert tf.gradients(y, x) == [None]
        if y.dtype == tf.float64:
            (g,) = tf.gradients(y * x + x, x)  # the direct path still flows
            value = _v((2, 3), op)
            with tf.Session() as sess:
                got, yv = sess.run([g, y], {x: value})
            np.testing.assert_allclose(got, yv + 1.0)


def test_stop_gradient_gradcheck_of_remaining_path():
    """y = stop_gradient(x) * x: theoretical d/dx is stop_gradient(x), not 2x."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = tf.stop_gradient(x) * x
        value = _v((2, 3), "sg")
        (pair,) = compute_gradient([x], y, [value])
        np.testing.assert_allclose(np.diag(pair.theoretical), value.ravel())
        np.testing.assert_allclose(np.diag(pair.numerical), 2 * value.ravel(), rtol=1e-6)


# ----------------------------------------------------------------------------------------
# compositions (chains of the above, deeper second derivatives)
# ----------------------------------------------------------------------------------------
def test_mlp_relu_mse():
    rng = _rng("mlp")
    xv = rng.uniform(-1, 1, (4, 3))
    yv = rng.uniform(-1, 1, (4, 2))

    def extra():
        return [(tf.placeholder(tf.float64, [None, 3], name="inp"), xv),
                (tf.placeholder(tf.float64, [None, 2], name="target"), yv)]

    def build(w1, b1, w2, b2, inp, target):
        h = tf.nn.relu(tf.matmul(inp, w1) + b1)
        out = tf.matmul(h, w2) + b2
        return tf.reduce_mean(tf.square(out - target))

    w1 = rng.uniform(-1, 1, (3, 5))
    b1 = rng.uniform(-0.1, 0.1, 5)
    # keep pre-activations away from 0 (the relu kink)
    pre = xv @ w1 + b1
    b1 = b1 + np.where(np.abs(pre).min(axis=0) < 0.05, 0.2, 0.0)
    check(build, [([3, None], w1), ([None], b1), ([None, 2], rng.uniform(-1, 1, (5, 2))),
                  ([2], rng.uniform(-0.1, 0.1, 2))], extra=extra)


def test_chain_second_order_heavy():
    rng = _rng("chain")
    check(lambda x, y: tf.reduce_sum(tf.tanh(x * y) * tf.sigmoid(x) / (1.0 + tf.square(y)),
                                     axis=-1),
          [([None, 3], rng.uniform(-1, 1, (2, 3))), ([3], rng.uniform(-1, 1, 3))])


def test_shared_subexpression_and_aggregation_methods():
    rng = _rng("agg")
    for method in [tf.AggregationMethod.ADD_N, tf.AggregationMethod.EXPERIMENTAL_TREE,
                   tf.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N]:
        graph = tf.Graph()
        with graph.as_default():
            x = tf.placeholder(tf.float64, [None, 3])
            s = tf.sin(x)
            y = s * s + s * x + tf.exp(s) + x
            (g,) = tf.gradients(y, x, aggregation_method=method)
            value = rng.uniform(-1, 1, (2, 3))
            with tf.Session() as sess:
                got = sess.run(g, {x: value})
            sv, c = np.sin(value), np.cos(value)
            expected = (2 * sv * c) + (c * value + sv) + np.exp(sv) * c + 1
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_second_order_helper_reports_none_rows():
    """compute_second_order: an x without a first gradient has an empty row."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [3])
        z = tf.placeholder(tf.float64, [3])
        y = x * x + tf.stop_gradient(z)
        rows = compute_second_order([x, z], y, [np.ones(3), np.ones(3)])
    assert rows[1] == []
    assert rows[0][1].is_none and rows[0][0].rel_error < 1e-6


# ----------------------------------------------------------------------------------------
# the checker itself
# ----------------------------------------------------------------------------------------
def test_checker_detects_a_wrong_gradient():
    """A custom gradient off by 1% is caught at first order; a wrong second order too."""
    @tf.custom_gradient
    def bad_square(x):
        return x * x, lambda dy: dy * 2.02 * x

    @tf.custom_gradient
    def bad_second(x):
        # first derivative right (3x^2); its gradient uses a constant slope, so the
        # second derivative is 0 instead of 6x
        return x * x * x, lambda dy: dy * 3.0 * tf.stop_gradient(x * x)

    value = _v((2, 3), "bad")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        (pair,) = compute_gradient([x], bad_square(x), [value])
        assert pair.rel_error > 1e-3
        np.testing.assert_allclose(np.diag(pair.numerical), 2 * value.ravel(), rtol=1e-7)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [None, 3])
        y = bad_second(x)
        (pair,) = compute_gradient([x], y, [value])
        assert pair.rel_error < 1e-6
        ((second,),) = compute_second_order([x], y, [value])
        assert second.rel_error > 1e-2


def test_checker_jacobian_layout():
    """Row i: input element i; column j: output element j (TF's layout)."""
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [2])
        y = tf.matmul(tf.reshape(x, [1, 2]),
                      tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], tf.float64))
        (pair,) = compute_gradient([x], y, [np.array([0.3, -0.7])])
    np.testing.assert_allclose(pair.theoretical, [[1, 2, 3], [4, 5, 6]], rtol=1e-12)
    np.testing.assert_allclose(pair.numerical, [[1, 2, 3], [4, 5, 6]], rtol=1e-8)
