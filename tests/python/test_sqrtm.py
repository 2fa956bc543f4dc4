"""``linalg.sqrtm`` (``MatrixSquareRoot``): the principal square root against an
eigendecomposition reference, triangular and diagonal inputs, batches, float32, NaNs where
no real principal root exists, and first and second derivatives against finite
differences (TF's Sylvester-equation gradient)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import check_on_placeholders  # noqa: E402


def principal_sqrt(a):
    """V diag(√λ) V⁻¹ with the principal complex roots (a diagonalizable `a`)."""
    w, v = np.linalg.eig(a)
    root = v @ np.diag(np.sqrt(w.astype(complex))) @ np.linalg.inv(v)
    return root.real


def sqrtm(a):
    g = tf.Graph()
    with g.as_default():
        with tf.Session() as sess:
            return sess.run(tf.linalg.sqrtm(tf.constant(a)))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_matches_the_principal_root(n):
    rng = np.random.RandomState(n)
    x = rng.uniform(-1, 1, (n, n))
    a = x @ x + 0.1 * np.eye(n)  # no eigenvalue on the negative real axis
    root = sqrtm(a)
    np.testing.assert_allclose(root, principal_sqrt(a), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(root @ root, a, rtol=1e-11, atol=1e-12)


def test_triangular_diagonal_zero_and_batched_inputs():
    upper = np.array([[4.0, 1.0, 2.0], [0.0, 9.0, 3.0], [0.0, 0.0, 1.0]])
    for a in (upper, upper.T, np.diag([4.0, 0.0, 2.0]), np.zeros((3, 3))):
        root = sqrtm(a)
        np.testing.assert_allclose(root @ root, a, atol=1e-13)
    np.testing.assert_array_equal(sqrtm(np.diag([4.0, 0.0, 9.0])), np.diag([2.0, 0.0, 3.0]))
    batch = np.stack([upper + upper.T + 9 * np.eye(3), np.diag([1.0, 4.0, 16.0])])
    roots = sqrtm(batch)
    assert roots.shape == (2, 3, 3)
    for a, r in zip(batch, roots):
        np.testing.assert_allclose(r, principal_sqrt(a), rtol=1e-10)
    assert sqrtm(np.zeros((0, 0))).shape == (0, 0)


def test_float32_and_float16():
    a = np.array([[5.0, 1.0], [2.0, 4.0]])
    r32 = sqrtm(a.astype(np.float32))
    r16 = sqrtm(a.astype(np.float16))
    assert r32.dtype == np.float32 and r16.dtype == np.float16
    np.testing.assert_allclose(r32, principal_sqrt(a), rtol=1e-6)
    np.testing.assert_allclose(r16.astype(float), principal_sqrt(a), rtol=2e-3)


def test_no_real_principal_root_gives_nans():
    # A negative eigenvalue: all NaN, as TF's kernel gives (its Schur form spreads it).
    for a in (np.diag([-1.0, 4.0]), np.array([[-2.0, 1.0], [1.0, -3.0]]),
              np.array([[-3.0, 1.0], [0.5, 2.0]])):
        assert np.isnan(sqrtm(a)).all()
    # Complex eigenvalues still have a real principal root.
    a = np.array([[-3.0, -0.5], [4.2, -2.0]])
    np.testing.assert_allclose(sqrtm(a), principal_sqrt(a), rtol=1e-10)


def test_singular_symmetric_matrices():
    v = np.array([[1.0, 2.0, 0.5]])
    cov = v.T @ v  # rank one
    root = sqrtm(cov)
    np.testing.assert_allclose(root @ root, cov, atol=1e-12)
    np.testing.assert_allclose(root, cov / np.linalg.norm(v), atol=1e-12)


def test_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            tf.linalg.sqrtm(tf.ones([2, 3], tf.float64))
        with pytest.raises(TypeError, match="not in list of allowed values"):
            tf.linalg.sqrtm(tf.ones([2, 2], tf.int32))
        assert tf.matrix_square_root is tf.linalg.sqrtm


def test_gradients_first_and_second_order():
    rng = np.random.RandomState(1)
    x = rng.uniform(-1.0, 1.0, (4, 4))
    # As TF's test: the square root of x·x, which exists.
    check_on_placeholders(lambda x: tf.sin(tf.linalg.sqrtm(tf.matmul(x, x))), [([4, 4], x)],
                          tol=1e-5)
    batch = rng.uniform(-1.0, 1.0, (2, 3, 3)) + 2 * np.eye(3)
    check_on_placeholders(lambda x: tf.linalg.sqrtm(x) ** 2, [([2, 3, 3], batch)])
