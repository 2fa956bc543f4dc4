"""``linalg.tridiagonal_solve`` and ``linalg.tridiagonal_matmul``: values against dense
numpy references in every diagonals format, each solve algorithm, batches, float32 and
complex, TF's edge behaviour (NaNs for a singular system, perturbed pivots), shape errors,
and first and second derivatives against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import check_on_placeholders  # noqa: E402


def dense(compact):
    """The ``[..., M, M]`` matrices of compact ``[..., 3, M]`` diagonals."""
    m = compact.shape[-1]
    out = np.zeros(compact.shape[:-2] + (m, m), compact.dtype)
    idx = np.arange(m)
    out[..., idx, idx] = compact[..., 1, :]
    out[..., idx[:-1], idx[1:]] = compact[..., 0, :-1]
    out[..., idx[1:], idx[:-1]] = compact[..., 2, 1:]
    return out


def diagonals(rng, shape, dominant=True):
    d = rng.randn(*shape)
    if dominant:
        d[..., 1, :] += 4.0 * np.sign(d[..., 1, :])
    return d


def run(*fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(list(fetches), feed)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.mark.parametrize("pivoting", [True, False])
@pytest.mark.parametrize("shape", [(3, 1), (3, 2), (3, 7), (2, 3, 5), (2, 2, 3, 4)])
def test_solve_matches_dense_solve(graph, pivoting, shape):
    rng = np.random.RandomState(sum(shape))
    d = diagonals(rng, shape)
    rhs = rng.randn(*shape[:-2], shape[-1], 3)
    x, = run(tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs),
                                         partial_pivoting=pivoting))
    np.testing.assert_allclose(x, np.linalg.solve(dense(d), rhs), rtol=1e-12, atol=1e-12)


def test_pivoting_solves_what_thomas_cannot(graph):
    # A zero leading diagonal needs a row exchange.
    d = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [0.0, 4.0, 5.0]])
    rhs = np.array([[1.0], [2.0], [3.0]])
    pivoted, thomas = run(tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs)),
                          tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs),
                                                      partial_pivoting=False))
    np.testing.assert_allclose(pivoted, np.linalg.solve(dense(d), rhs), rtol=1e-13)
    assert np.isnan(thomas).all()


def test_singular_systems_give_nans_and_perturbation_gives_numbers(graph):
    d = np.array([[[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 3.0, 4.0]]])
    rhs = np.ones((1, 3, 1))
    pivoted, thomas, perturbed = run(
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs)),
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs), partial_pivoting=False),
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs), perturb_singular=True))
    assert np.isnan(pivoted).all() and np.isnan(thomas).all()
    # TF 2.21 gives [3.00239975e15, 1, -4.50359963e15]: pivots pushed to eps-sized values.
    np.testing.assert_allclose(perturbed.ravel(), [3.00239975e15, 1.0, -4.50359963e15],
                               rtol=1e-8)
    one_by_one, = run(tf.linalg.tridiagonal_solve(tf.constant([[0.0], [0.0], [0.0]]),
                                                  tf.constant([[2.0]])))
    assert np.isnan(one_by_one).all()
    with pytest.raises(ValueError, match="partial_pivoting must be True"):
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs), partial_pivoting=False,
                                    perturb_singular=True)


def test_perturbed_solve_of_a_regular_system_is_the_solution(graph):
    rng = np.random.RandomState(3)
    d = diagonals(rng, (2, 3, 6), dominant=False)
    rhs = rng.randn(2, 6, 2)
    x, = run(tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs),
                                         perturb_singular=True))
    np.testing.assert_allclose(x, np.linalg.solve(dense(d), rhs), rtol=1e-10, atol=1e-10)


def test_formats_vector_rhs_and_rhs_transforms(graph):
    rng = np.random.RandomState(5)
    d = diagonals(rng, (2, 3, 4))
    a = dense(d)
    rhs = rng.randn(2, 4)
    sup, main, sub = d[:, 0, :-1], d[:, 1, :], d[:, 2, 1:]
    want = np.linalg.solve(a, rhs[..., None])[..., 0]
    got = run(
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs)),
        tf.linalg.tridiagonal_solve([tf.constant(sup), tf.constant(main), tf.constant(sub)],
                                    tf.constant(rhs), diagonals_format="sequence"),
        tf.linalg.tridiagonal_solve(tf.constant(a), tf.constant(rhs), diagonals_format="matrix"),
    )
    for x in got:
        np.testing.assert_allclose(x, want, rtol=1e-12)
    rhs_t = rng.randn(2, 3, 4)
    x, = run(tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs_t), transpose_rhs=True))
    np.testing.assert_allclose(x, np.linalg.solve(a, np.swapaxes(rhs_t, -1, -2)), rtol=1e-12)
    with pytest.raises(ValueError, match="Unrecognized diagonals_format: banded"):
        tf.linalg.tridiagonal_solve(tf.constant(d), tf.constant(rhs), diagonals_format="banded")
    with pytest.raises(ValueError, match="sequence of length 3"):
        tf.linalg.tridiagonal_solve([tf.constant(main)], tf.constant(rhs),
                                    diagonals_format="sequence")


def test_float32_and_complex(graph):
    rng = np.random.RandomState(9)
    d = diagonals(rng, (3, 5))
    rhs = rng.randn(5, 2)
    x32, = run(tf.linalg.tridiagonal_solve(tf.constant(d.astype(np.float32)),
                                           tf.constant(rhs.astype(np.float32))))
    assert x32.dtype == np.float32
    np.testing.assert_allclose(x32, np.linalg.solve(dense(d), rhs), rtol=1e-5, atol=1e-5)
    dc = d + 1j * rng.randn(3, 5)
    rc = rhs + 1j * rng.randn(5, 2)
    xc, yc = run(tf.linalg.tridiagonal_solve(tf.constant(dc), tf.constant(rc)),
                 tf.linalg.tridiagonal_matmul(tf.constant(dc), tf.constant(rc)))
    np.testing.assert_allclose(xc, np.linalg.solve(dense(dc), rc), rtol=1e-12)
    np.testing.assert_allclose(yc, dense(dc) @ rc, rtol=1e-12)


def test_matmul_in_every_format(graph):
    rng = np.random.RandomState(11)
    d = rng.randn(2, 3, 4)
    rhs = rng.randn(2, 4, 3)
    want = dense(d) @ rhs
    got = run(
        tf.linalg.tridiagonal_matmul(tf.constant(d), tf.constant(rhs)),
        tf.linalg.tridiagonal_matmul([tf.constant(d[:, 0]), tf.constant(d[:, 1]),
                                      tf.constant(d[:, 2])], tf.constant(rhs),
                                     diagonals_format="sequence"),
        tf.linalg.tridiagonal_matmul(tf.constant(dense(d)), tf.constant(rhs),
                                     diagonals_format="matrix"),
    )
    for y in got:
        np.testing.assert_allclose(y, want, rtol=1e-13, atol=1e-14)


def test_shape_errors(graph):
    ones = tf.constant(np.ones((1, 4, 3)))
    rhs = tf.constant(np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match="Expected 3 diagonals got 4"):
        tf.linalg.tridiagonal_solve(ones, rhs)
    with pytest.raises(ValueError, match="Dimension must be 3 but is 4 for '{{node "
                       "TridiagonalSolve}} = TridiagonalSolve"):
        tf.raw_ops.TridiagonalSolve(diagonals=ones, rhs=rhs)
    rows = tf.constant(np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match="Dimension must be 1 but is 2"):
        tf.raw_ops.TridiagonalMatMul(superdiag=rows, maindiag=rows, subdiag=rows, rhs=rhs)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 5 and 3"):
        tf.raw_ops.TridiagonalSolve(diagonals=tf.constant(np.ones((1, 3, 5))), rhs=rhs)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.raw_ops.TridiagonalSolve(diagonals=tf.constant(np.ones((3, 3), np.int32)),
                                    rhs=tf.constant(np.ones((3, 1), np.int32)))
    # Unknown ranks: the output takes rhs's shape.
    p = tf.placeholder(tf.float64)
    assert tf.linalg.tridiagonal_solve(p, rhs).shape.as_list() == [1, 3, 1]


def test_gradients_first_and_second_order():
    rng = np.random.RandomState(13)
    d = diagonals(rng, (2, 3, 4))
    rhs = rng.randn(2, 4, 2)
    for pivoting in (True, False):
        check_on_placeholders(
            lambda d, r, pivoting=pivoting: tf.sin(tf.linalg.tridiagonal_solve(
                d, r, partial_pivoting=pivoting)),
            [([2, 3, 4], d), ([2, 4, 2], rhs)])
    check_on_placeholders(lambda d, r: tf.sin(tf.linalg.tridiagonal_matmul(d, r)),
                          [([2, 3, 4], d), ([2, 4, 2], rhs)])
    # Unknown ranks take the run-time paddings.
    check_on_placeholders(lambda d, r: tf.linalg.tridiagonal_matmul(d, r) ** 2,
                          [(None, d), (None, rhs)])
    check_on_placeholders(lambda d, r: tf.linalg.tridiagonal_solve(d, r) ** 2,
                          [(None, d), (None, rhs)])
