"""complex64 and complex128: conversion, kernels against numpy, the complex-only ops
(``complex``, ``real``, ``imag``, ``conj``, ``angle``, ``abs`` as ``ComplexAbs``), and every
complex gradient checked against central finite differences in complex128, first and second
order. TF's convention: the gradient of a real loss L with respect to z = x + iy is
dL/dx + i dL/dy."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf

RNG = np.random.RandomState(5)


def _complex(shape, dtype=np.complex128):
    re = RNG.uniform(0.3, 1.2, shape) * RNG.choice([-1, 1], shape)
    return (re + 1j * RNG.uniform(-1, 1, shape)).astype(dtype)


# ----- dtypes and conversion -----

def test_dtypes():
    assert tf.complex64.is_complex and tf.complex128.is_complex
    assert not tf.complex64.is_floating and not tf.float32.is_complex
    assert tf.complex64.real_dtype is tf.float32 and tf.complex128.real_dtype is tf.float64
    assert tf.float32.real_dtype is tf.float32
    assert tf.as_dtype(np.complex64) is tf.complex64 and tf.as_dtype("complex128") is tf.complex128
    assert tf.as_dtype(complex) is tf.complex128
    assert tf.complex64.as_datatype_enum == 8 and tf.complex128.as_datatype_enum == 18
    assert tf.complex64.size == 8 and tf.complex128.size == 16
    with pytest.raises(TypeError):
        tf.complex64.min  # noqa: B018


def test_python_complex_constants():
    c = tf.constant(1 + 2j)
    assert c.dtype is tf.complex128
    assert tf.constant([1, 2.5], dtype=tf.complex64).dtype is tf.complex64
    with pytest.raises(TypeError, match=r"Expected float32, but got \(1\+2j\)"):
        tf.constant(1 + 2j, dtype=tf.float32)
    with tf.Session() as s:
        assert s.run(c) == 1 + 2j
        np.testing.assert_array_equal(s.run(tf.zeros([2], tf.complex64)), np.zeros(2, np.complex64))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_feed_fetch_and_layout_ops(dtype):
    v = _complex((2, 3), dtype)
    x = tf.placeholder(tf.as_dtype(dtype), [2, 3])
    outs = [x, tf.transpose(x), tf.reshape(x, [3, 2]), tf.concat([x, x], 0), tf.gather(x, [1, 0]),
            tf.tile(x, [1, 2]), tf.stack([x, x]), tf.where(tf.constant([True, False]), x, 2 * x),
            tf.reverse(x, [1]), tf.pad(x, [[1, 0], [0, 1]]), x[:, 1:]]
    want = [v, v.T, v.reshape(3, 2), np.concatenate([v, v]), v[[1, 0]], np.tile(v, (1, 2)),
            np.stack([v, v]), np.where([[True], [False]], v, 2 * v), v[:, ::-1],
            np.pad(v, [[1, 0], [0, 1]]), v[:, 1:]]
    with tf.Session() as s:
        for got, expected in zip(s.run(outs, {x: v}), want):
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, expected)


# ----- kernels against numpy -----

UNARY = {
    "negative": (tf.negative, np.negative), "square": (tf.square, np.square),
    "sqrt": (tf.sqrt, np.sqrt), "rsqrt": (tf.rsqrt, lambda z: 1 / np.sqrt(z)),
    "exp": (tf.exp, np.exp), "expm1": (tf.expm1, np.expm1), "log": (tf.log, np.log),
    "log1p": (tf.log1p, np.log1p), "reciprocal": (tf.reciprocal, np.reciprocal),
    "sin": (tf.sin, np.sin), "cos": (tf.cos, np.cos), "tan": (tf.tan, np.tan),
    "tanh": (tf.tanh, np.tanh), "sigmoid": (tf.sigmoid, lambda z: 1 / (1 + np.exp(-z))),
    "sign": (tf.sign, lambda z: z / np.abs(z)), "abs": (tf.abs, np.abs),
    "real": (tf.real, np.real), "imag": (tf.imag, np.imag), "conj": (tf.conj, np.conj),
    "angle": (tf.angle, np.angle),
    "sinh": (tf.sinh, np.sinh), "cosh": (tf.cosh, np.cosh), "asin": (tf.asin, np.arcsin),
    "acos": (tf.acos, np.arccos), "atan": (tf.atan, np.arctan), "asinh": (tf.asinh, np.arcsinh),
    "acosh": (tf.acosh, np.arccosh), "atanh": (tf.atanh, np.arctanh),
}
BINARY = {
    "add": (tf.add, np.add), "subtract": (tf.subtract, np.subtract),
    "multiply": (tf.multiply, np.multiply), "divide": (tf.divide, np.divide),
    "pow": (tf.pow, np.power), "div_no_nan": (tf.div_no_nan, np.divide),
    "squared_difference": (tf.squared_difference, lambda a, b: (a - b) * np.conj(a - b)),
    "equal": (tf.equal, np.equal), "not_equal": (tf.not_equal, np.not_equal),
    "xlogy": (tf.math.xlogy, lambda a, b: a * np.log(b)),
    "xdivy": (tf.math.xdivy, np.divide),
    "xlog1py": (tf.math.xlog1py, lambda a, b: a * np.log1p(b)),
    "multiply_no_nan": (tf.math.multiply_no_nan, np.multiply),
}


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_numpy(name, dtype):
    ours, theirs = UNARY[name]
    v = _complex((3, 4), dtype)
    with tf.Session() as s:
        got = s.run(ours(tf.constant(v)))
    want = theirs(v)
    rtol = 2e-6 if dtype == np.complex64 else 1e-13
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_against_numpy_with_broadcasting(name, dtype):
    ours, theirs = BINARY[name]
    a, b = _complex((2, 3), dtype), _complex((3,), dtype)
    with tf.Session() as s:
        got = s.run(ours(tf.constant(a), tf.constant(b)))
    want = theirs(a, b)
    rtol = 5e-6 if dtype == np.complex64 else 1e-13
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def test_div_no_nan_and_pow_at_zero():
    z = tf.constant(np.array([1 + 1j, 2j], np.complex128))
    zero = tf.zeros([2], tf.complex128)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(tf.div_no_nan(z, zero)), [0, 0])
        np.testing.assert_array_equal(s.run(tf.pow(zero, tf.constant([2 + 0j, 0.5 + 0j]))),
                                      [0, 0])
        np.testing.assert_array_equal(s.run(tf.pow(z, zero)), [1, 1])


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_reductions_matmul_cumulative(dtype):
    a, b = _complex((3, 4), dtype), _complex((4, 2), dtype)
    batch = _complex((2, 3, 4), dtype)
    ta, tb, tbatch = tf.constant(a), tf.constant(b), tf.constant(batch)
    outs = [tf.reduce_sum(ta, 1), tf.reduce_mean(ta, 0), tf.reduce_prod(ta, 1),
            tf.math.reduce_euclidean_norm(ta, 1), tf.matmul(ta, tb), tf.matmul(ta, ta, adjoint_b=True),
            tf.matmul(ta, ta, adjoint_a=True), tf.matmul(tbatch, tbatch, adjoint_a=True),
            tf.cumsum(ta, 1), tf.cumprod(ta, 1, exclusive=True, reverse=True),
            tf.add_n([ta, ta, ta])]
    rev_cumprod = np.concatenate([np.cumprod(a[:, :0:-1], 1)[:, ::-1], np.ones((3, 1))], 1)
    want = [a.sum(1), a.mean(0), a.prod(1), np.sqrt((np.abs(a) ** 2).sum(1)), a @ b,
            a @ a.conj().T, a.conj().T @ a, np.conj(batch).transpose(0, 2, 1) @ batch,
            np.cumsum(a, 1), rev_cumprod, 3 * a]
    with tf.Session() as s:
        got = s.run(outs)
    rtol = 1e-5 if dtype == np.complex64 else 1e-12
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def test_casts():
    z = tf.constant(np.array([1.5 + 2j, -3.25 - 1j], np.complex64))
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(tf.cast(z, tf.float32)), [1.5, -3.25])
        np.testing.assert_array_equal(s.run(tf.cast(z, tf.int32)), [1, -3])
        np.testing.assert_array_equal(s.run(tf.cast(z, tf.complex128)),
                                      np.array([1.5 + 2j, -3.25 - 1j]))
        np.testing.assert_array_equal(s.run(tf.cast(tf.constant([1, 2]), tf.complex64)), [1, 2])


def test_complex_real_imag_angle_on_real_tensors():
    x = tf.constant([-2.0, 3.0])
    assert tf.real(x) is x and tf.conj(x) is x
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(tf.imag(x)), [0, 0])
        np.testing.assert_allclose(s.run(tf.angle(x)), [np.pi, 0])
        c = s.run(tf.complex(tf.constant([1.0, 2.0]), tf.constant([3.0])))
        np.testing.assert_array_equal(c, np.array([1 + 3j, 2 + 3j], np.complex64))
    assert tf.complex(x, x).op.type == "Complex" and tf.abs(tf.complex(x, x)).op.type == "ComplexAbs"


def test_errors():
    z = tf.constant(1 + 2j)
    with pytest.raises(TypeError, match="incorrect types: int32 int32"):
        tf.complex(1, 2)
    with pytest.raises(TypeError, match="incorrect types: float32 float64"):
        tf.complex(tf.constant(1.0), tf.constant(1.0, tf.float64))
    with pytest.raises(TypeError, match="complex128 not in list of allowed values"):
        tf.nn.relu(z)
    with pytest.raises(TypeError, match="complex128 not in list of allowed values"):
        tf.maximum(z, z)
    with pytest.raises(TypeError, match="must be a numeric tensor"):
        tf.real(tf.constant("a"))
    with pytest.raises(tf.errors.NotFoundError, match="No registered 'ArgMax' OpKernel"):
        with tf.Session() as s:
            s.run(tf.argmax(tf.constant([1j, 2j]), 0))


def test_gradient_seeds_of_complex_ys():
    z = tf.constant(1 + 2j)
    y = tf.square(z)
    with pytest.raises(TypeError, match=r"Gradients of complex tensors \(Tensor\(\"Square(_\d+)?:0\", "
                                         r"shape=\(\), dtype=complex128\)\) must set grad_ys "
                                         r"\(y.dtype = complex128\)"):
        tf.gradients(y, z)
    with pytest.raises(TypeError, match="Gradient type float64 generated for complex-valued "
                                        "tensor .* with type complex128 must be real"):
        tf.gradients(y, z, grad_ys=tf.constant(1.0, tf.float64))
    with pytest.raises(TypeError, match="Gradient type complex128 generated for real or "
                                        "integer-valued tensor .* must be real or integer"):
        tf.gradients(tf.abs(z), z, grad_ys=tf.constant(1j))
    g, = tf.gradients(y, z, grad_ys=tf.constant(1 + 0j))
    with tf.Session() as s:
        assert s.run(g) == pytest.approx(2 * (1 - 2j))  # conj(2z), TF's convention


# ----- gradients against finite differences -----

def _loss(out, rng, real_weights=False):
    shape = out.shape.as_list()
    w = rng.randn(*shape) + (0 if real_weights else 1j) * rng.randn(*shape)
    if out.dtype.is_complex:
        return tf.reduce_sum(tf.real(out * tf.conj(tf.constant(w.astype(np.complex128)))))
    return tf.reduce_sum(out * tf.constant(w.real))


def _check(f, shapes, second=False, real_weights=False, tol=1e-7):
    rng = np.random.RandomState(3)
    values = [_complex(s) for s in shapes]
    with tf.Graph().as_default():
        zs = [tf.placeholder(tf.complex128, s) for s in shapes]
        loss = _loss(f(*zs), rng, real_weights)
        grads = tf.gradients(loss, zs)
        if second:
            vs = [tf.constant(rng.randn(*s) + 1j * rng.randn(*s)) for s in shapes]
            loss = tf.add_n([tf.reduce_sum(tf.real(g * tf.conj(v))) for g, v in zip(grads, vs)])
            grads = [g if g is not None else tf.zeros_like(z)
                     for g, z in zip(tf.gradients(loss, zs), zs)]
        with tf.Session() as sess:
            analytic = sess.run(grads, dict(zip(zs, values)))
            eps = 1e-6
            for k, v in enumerate(values):
                numeric = np.zeros_like(v)
                for idx in np.ndindex(v.shape):
                    for unit in (1, 1j):
                        plus = [x.copy() for x in values]
                        minus = [x.copy() for x in values]
                        plus[k][idx] += eps * unit
                        minus[k][idx] -= eps * unit
                        d = (sess.run(loss, dict(zip(zs, plus)))
                             - sess.run(loss, dict(zip(zs, minus)))) / (2 * eps)
                        numeric[idx] += d * unit
                np.testing.assert_allclose(analytic[k], numeric, rtol=tol, atol=tol)


DIFFERENTIABLE_UNARY = ["negative", "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p",
                        "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid", "abs", "real",
                        "imag", "conj", "angle", "sinh", "cosh", "asin", "acos", "atan", "asinh",
                        "acosh", "atanh"]


@pytest.mark.parametrize("second", [False, True], ids=["first", "second"])
@pytest.mark.parametrize("name", DIFFERENTIABLE_UNARY)
def test_unary_gradients(name, second):
    _check(UNARY[name][0], [(3,)], second=second)


@pytest.mark.parametrize("second", [False, True], ids=["first", "second"])
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "pow", "div_no_nan",
                                  "squared_difference"])
def test_binary_gradients_with_broadcasting(name, second):
    # TF's SquaredDifference gradient is 2 * grad * (x - y): right for a real incoming
    # gradient only, which is what a real loss of its (real-valued) output sends.
    _check(BINARY[name][0], [(2, 3), (3,)], second=second,
           real_weights=name == "squared_difference")


def test_sign_gradient_is_zero_as_tf():
    z = tf.constant(np.array([1 + 1j, -2j]))
    g, = tf.gradients(tf.real(tf.sign(z)), z)
    with tf.Session() as s:
        np.testing.assert_array_equal(s.run(g), [0, 0])


CASES = {
    "complex": (lambda a, b: tf.complex(tf.real(a), tf.imag(b)), [(3,), (3,)]),
    "complex_broadcast": (lambda a, b: tf.complex(tf.real(a), tf.imag(b)), [(2, 3), (3,)]),
    "sum": (lambda a: tf.reduce_sum(a, 0), [(2, 3)]),
    "mean": (lambda a: tf.reduce_mean(a, 1), [(2, 3)]),
    "prod": (lambda a: tf.reduce_prod(a, 1), [(2, 3)]),
    "matmul": (lambda a, b: tf.matmul(a, b), [(2, 3), (3, 2)]),
    "matmul_adjoint_a": (lambda a, b: tf.matmul(a, b, adjoint_a=True), [(3, 2), (3, 2)]),
    "matmul_transpose_b": (lambda a, b: tf.matmul(a, b, transpose_b=True), [(2, 3), (2, 3)]),
    "batch_matmul_adjoint": (lambda a, b: tf.matmul(a, b, adjoint_b=True), [(2, 2, 3), (2, 2, 3)]),
    "batch_matmul_broadcast": (lambda a, b: tf.matmul(a, b), [(2, 2, 3), (3, 2)]),
    "cumsum": (lambda a: tf.cumsum(a, 1, reverse=True), [(2, 3)]),
    "cumprod": (lambda a: tf.cumprod(a, 1, exclusive=True), [(2, 3)]),
    "cast_to_real": (lambda a: tf.cast(a, tf.float64), [(3,)]),
    "cast_from_real": (lambda a: tf.cast(tf.imag(a), tf.complex128) * a, [(3,)]),
    "add_n": (lambda a, b: tf.add_n([a, b, a * b]), [(3,), (3,)]),
    "conjugate_transpose": (lambda a: tf.transpose(a, [1, 0], conjugate=True) * 2.0, [(2, 3)]),
    "adjoint": (lambda a: tf.linalg.adjoint(tf.reshape(a, [1, 2, 3])), [(2, 3)]),
    "layout": (lambda a: tf.gather(tf.transpose(tf.reshape(a, [3, 2])), [1, 0, 1]), [(6,)]),
}


@pytest.mark.parametrize("second", [False, True], ids=["first", "second"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_other_gradients(name, second):
    f, shapes = CASES[name]
    _check(f, shapes, second=second)


def test_compute_gradient_takes_complex():
    x = tf.placeholder(tf.complex128, [3])
    y = tf.exp(x) * tf.conj(x)
    with tf.Session():
        theoretical, numerical = tf.test.compute_gradient(x, [3], y, [3])
        assert theoretical.shape == (6, 6) and theoretical.dtype == np.float64
        np.testing.assert_allclose(theoretical, numerical, atol=1e-5)
        xr = tf.placeholder(tf.float64, [2])
        error = tf.test.compute_gradient_error(xr, [2], tf.complex(xr, xr * xr), [2])
        assert error < 1e-8
