"""linalg.eigh / eigvalsh (SelfAdjointEigV2): values against numpy, the graph TF 2.21 builds,
and float64 finite-difference checks of TF's gradient (first and second derivatives).
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import assert_gradients_close

RNG = np.random.RandomState(17)


def _symmetric(shape):
    a = RNG.uniform(-1, 1, shape)
    return a + np.swapaxes(a, -1, -2)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eigh_values(dtype):
    a = _symmetric((2, 3, 4, 4)).astype(dtype)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.as_dtype(dtype), [None, 3, 4, 4])
        e, v = tf.linalg.eigh(x)
        values = tf.linalg.eigvalsh(x)
        assert e.op.type == "SelfAdjointEigV2" and e.op.name == "SelfAdjointEigV2"
        assert e.op.get_attr("compute_v") is True
        assert values.op.get_attr("compute_v") is False
        assert e.shape.as_list() == [None, 3, 4] and v.shape.as_list() == [None, 3, 4, 4]
        assert values.op.outputs[1].shape.as_list() == [0]
        got_e, got_v, got_values = _run([e, v, values], {x: a})
    tol = 1e-5 if dtype == np.float32 else 1e-12
    expected = np.linalg.eigvalsh(a.astype(np.float64))
    np.testing.assert_allclose(got_e, expected, atol=tol * 10)
    np.testing.assert_allclose(got_values, expected, atol=tol * 10)
    assert got_e.dtype == dtype and got_v.dtype == dtype
    # A V = V diag(e), V orthonormal.
    np.testing.assert_allclose(a @ got_v, got_v * got_e[..., None, :], atol=tol * 100)
    eye = np.broadcast_to(np.eye(4), got_v.shape)
    np.testing.assert_allclose(np.swapaxes(got_v, -1, -2) @ got_v, eye, atol=tol * 100)


def test_eigh_reads_the_lower_triangle():
    a = np.array([[2.0, 100.0], [1.0, 2.0]])
    with tf.Graph().as_default():
        e = tf.linalg.eigvalsh(a)
        np.testing.assert_allclose(_run(e), [1.0, 3.0], atol=1e-12)


def test_top_level_names():
    with tf.Graph().as_default():
        e, v = tf.self_adjoint_eig(np.eye(3))
        assert e.op.type == "SelfAdjointEigV2"
        assert tf.self_adjoint_eigvals(np.eye(3)).op.get_attr("compute_v") is False


def test_eigh_errors():
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.linalg.eigh(tf.placeholder(tf.float64, [3, 4]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.linalg.eigh(tf.placeholder(tf.int32, [3, 3]))


def _sym(x):
    # The op reads the lower triangle: differentiate through a symmetric input.
    return x + tf.linalg.matrix_transpose(x)


@pytest.mark.parametrize("case", ["values", "vectors_invariant", "both"])
def test_eigh_gradients(case):
    a = RNG.uniform(-1, 1, (2, 4, 4))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [None, 4, 4])
        e, v = tf.linalg.eigh(_sym(x))
        if case == "values":
            y = e
        elif case == "vectors_invariant":
            # |v| is invariant to the sign of each vector.
            y = v * v
        else:
            y = tf.reduce_sum(e[..., None, :] * v * v, axis=-1)
        assert_gradients_close([x], y, [a], tol=1e-5)


def test_eigvalsh_gradient_uses_a_second_decomposition():
    a = RNG.uniform(-1, 1, (3, 3))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3, 3])
        y = tf.linalg.eigvalsh(_sym(x))
        (dx,) = tf.gradients(y, x)
        ops = [op for op in g.get_operations() if op.type == "SelfAdjointEigV2"]
        assert [op.get_attr("compute_v") for op in ops] == [False, True]
        assert_gradients_close([x], y, [a], tol=1e-5)


# ----- linalg.qr (Qr) -----

@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_qr_values(shape, full, dtype):
    a = RNG.uniform(-1, 1, shape).astype(dtype)
    with tf.Graph().as_default():
        q, r = tf.linalg.qr(a, full_matrices=full)
        assert q.op.type == "Qr" and q.op.name == "Qr"
        assert q.op.get_attr("full_matrices") is full
        got_q, got_r = _run([q, r])
    mode = "complete" if full else "reduced"
    exp_q, exp_r = np.linalg.qr(a.astype(np.float64), mode=mode)
    assert got_q.shape == exp_q.shape and got_r.shape == exp_r.shape
    assert got_q.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    # LAPACK's and Eigen's Householder conventions agree: the same factors, signs included.
    np.testing.assert_allclose(got_q, exp_q, atol=tol)
    np.testing.assert_allclose(got_r, exp_r, atol=tol)


def test_qr_static_shapes():
    x = tf.placeholder(tf.float64, [None, 5, 3])
    q, r = tf.linalg.qr(x)
    assert q.shape.as_list() == [None, 5, 3] and r.shape.as_list() == [None, 3, 3]
    q, r = tf.qr(x, full_matrices=True)
    assert q.shape.as_list() == [None, 5, 5] and r.shape.as_list() == [None, 5, 3]


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5), (2, 2, 4)])
def test_qr_gradients(shape, full):
    if full and shape[-2] > shape[-1]:
        pytest.skip("no gradient for a deep matrix with full_matrices (as TF)")
    a = RNG.uniform(-1, 1, shape)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, shape)
        q, r = tf.linalg.qr(x, full_matrices=full)
        assert_gradients_close([x], q, [a], tol=1e-5)
        assert_gradients_close([x], r, [a], tol=1e-5)


def test_qr_gradient_errors_as_tf():
    x = tf.placeholder(tf.float64, [4, 3])
    q, _ = tf.linalg.qr(x, full_matrices=True)
    with pytest.raises(ValueError, match="QrGrad not implemented when nrows > ncols and "
                                         "full_matrices is true"):
        tf.gradients(q, x)
    y = tf.placeholder(tf.float64, [None, None])
    q, _ = tf.linalg.qr(y)
    with pytest.raises(ValueError, match="QrGrad not implemented with dynamic shapes"):
        tf.gradients(q, y)


# ----- linalg.svd (Svd) -----

@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_svd_values(shape, full, dtype):
    a = RNG.uniform(-1, 1, shape).astype(dtype)
    with tf.Graph().as_default():
        s, u, v = tf.linalg.svd(a, full_matrices=full)
        assert s.op.type == "Svd" and s.op.name == "Svd"
        assert s.op.get_attr("compute_uv") is True
        assert s.op.get_attr("full_matrices") is full
        only_s = tf.svd(a, compute_uv=False)
        got_s, got_u, got_v, got_only = _run([s, u, v, only_s])
    exp_u, exp_s, exp_vt = np.linalg.svd(a.astype(np.float64), full_matrices=full)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got_s, exp_s, atol=tol)
    np.testing.assert_allclose(got_only, exp_s, atol=tol)
    assert got_u.shape == exp_u.shape and got_v.shape == np.swapaxes(exp_vt, -1, -2).shape
    p = min(shape[-2:])
    recon = (got_u[..., :, :p] * got_s[..., None, :]) @ np.swapaxes(got_v[..., :, :p], -1, -2)
    np.testing.assert_allclose(recon, a, atol=tol * 10)
    for q in (got_u, got_v):
        eye = np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2)
        np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, eye, atol=tol * 10)


def test_svd_static_shapes():
    x = tf.placeholder(tf.float32, [None, 5, 3])
    s, u, v = tf.linalg.svd(x)
    assert (s.shape.as_list(), u.shape.as_list(), v.shape.as_list()) == (
        [None, 3], [None, 5, 3], [None, 3, 3])
    s, u, v = tf.linalg.svd(x, full_matrices=True)
    assert (u.shape.as_list(), v.shape.as_list()) == ([None, 5, 5], [None, 3, 3])
    assert tf.linalg.svd(x, compute_uv=False).op.outputs[1].shape.as_list() == [0]


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 2, 3)])
def test_svd_gradients(shape, full):
    a = RNG.uniform(-1, 1, shape)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, shape)
        s, u, v = tf.linalg.svd(x, full_matrices=full)
        assert_gradients_close([x], s, [a], tol=1e-5)
        p = min(shape[-2:])
        # u diag(s) vᵀ and u ∘ u do not depend on the vectors' signs.
        recon = tf.matmul(u[..., :p] * s[..., None, :], v[..., :p], transpose_b=True)
        assert_gradients_close([x], recon, [a], tol=1e-5)
        assert_gradients_close([x], u[..., :p] * u[..., :p], [a], tol=1e-5,
                               second_order=False)
        assert_gradients_close([x], tf.linalg.svd(x, compute_uv=False), [a], tol=1e-5)
