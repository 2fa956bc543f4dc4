"""tf.linalg: values against numpy, graphs as TF 2.21 builds them, TF's error classes and
texts, and float64 finite-difference checks of first and second derivatives.

Expected graphs and messages were recorded from TF 2.21 (tf.compat.v1, graph mode).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402
from gradient_checker import assert_gradients_close  # noqa: E402


def _rng(key: str) -> np.random.RandomState:
    return np.random.RandomState(zlib.crc32(key.encode()))


def _well_conditioned(shape, key):
    """Random matrices plus n·I: invertible and far from singular."""
    n = shape[-1]
    return _rng(key).uniform(-1, 1, shape) + n * np.eye(n)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _ops(graph):
    return [(op.name, op.type) for op in graph.get_operations()]


# ----------------------------------------------------------------------------------------
# values
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_factorisations_match_numpy(dtype):
    a = _well_conditioned((2, 3, 3, 3), "values").astype(dtype)
    b = _rng("rhs").uniform(-1, 1, (2, 3, 3, 2)).astype(dtype)
    spd = a @ np.swapaxes(a, -1, -2)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    with tf.Graph().as_default():
        out = _run({
            "inv": tf.linalg.inv(a), "inv_adj": tf.linalg.inv(a, adjoint=True),
            "det": tf.linalg.det(a), "slogdet": tf.linalg.slogdet(a),
            "solve": tf.linalg.solve(a, b), "solve_adj": tf.linalg.solve(a, b, adjoint=True),
            "chol": tf.linalg.cholesky(spd), "logdet": tf.linalg.logdet(spd),
            "chol_solve": tf.linalg.cholesky_solve(np.linalg.cholesky(spd), b),
            "tri_lower": tf.linalg.triangular_solve(a, b),
            "tri_upper_adj": tf.linalg.triangular_solve(a, b, lower=False, adjoint=True),
            "trace": tf.linalg.trace(a),
        })
    assert out["inv"].dtype == dtype and out["det"].dtype == dtype
    np.testing.assert_allclose(out["inv"], np.linalg.inv(a), **tol)
    np.testing.assert_allclose(out["inv_adj"], np.linalg.inv(np.swapaxes(a, -1, -2)), **tol)
    np.testing.assert_allclose(out["det"], np.linalg.det(a), **tol)
    sign, logabs = np.linalg.slogdet(a)
    np.testing.assert_allclose(out["slogdet"].sign, sign, **tol)
    np.testing.assert_allclose(out["slogdet"].log_abs_determinant, logabs, **tol)
    np.testing.assert_allclose(out["solve"], np.linalg.solve(a, b), **tol)
    np.testing.assert_allclose(out["solve_adj"], np.linalg.solve(np.swapaxes(a, -1, -2), b),
                               **tol)
    np.testing.assert_allclose(out["chol"], np.linalg.cholesky(spd), **tol)
    np.testing.assert_allclose(out["logdet"], np.linalg.slogdet(spd)[1], **tol)
    np.testing.assert_allclose(out["chol_solve"], np.linalg.solve(spd, b), **tol)
    np.testing.assert_allclose(out["tri_lower"], np.linalg.solve(np.tril(a), b), **tol)
    np.testing.assert_allclose(out["tri_upper_adj"],
                               np.linalg.solve(np.swapaxes(np.triu(a), -1, -2), b), **tol)
    np.testing.assert_allclose(out["trace"], np.trace(a, axis1=-2, axis2=-1), **tol)


def test_triangular_solve_broadcasts_batch_dims():
    a = _well_conditioned((3, 2, 2), "tri-b")
    b = _rng("tri-rhs").uniform(-1, 1, (2, 1))
    with tf.Graph().as_default():
        x = tf.matrix_triangular_solve(a, b)
        assert x.shape.as_list() == [3, 2, 1]
        out = _run(x)
    np.testing.assert_allclose(out, np.linalg.solve(np.tril(a), np.broadcast_to(b, (3, 2, 1))))


def test_singular_and_empty_matrices():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with tf.Graph().as_default():
        det, (sign, logabs) = _run([tf.matrix_determinant(singular), tf.linalg.slogdet(singular)])
        assert det == 0.0 and sign == 0.0 and logabs == -np.inf
        empty = np.zeros((2, 0, 0))
        inv, det = _run([tf.matrix_inverse(empty), tf.matrix_determinant(empty)])
        assert inv.shape == (2, 0, 0)
        np.testing.assert_array_equal(det, [1.0, 1.0])
        # Not positive definite: NaNs, not an error (TF 2.21's kernel).
        chol = _run(tf.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]])))
        assert np.isnan(chol[1, 1]) and chol[0, 1] == 0.0


def test_band_part_and_diagonals():
    x = np.arange(12.0).reshape(3, 4)
    with tf.Graph().as_default():
        out = _run({
            "band": tf.matrix_band_part(x, 1, 0),
            "band_int": tf.matrix_band_part(np.ones((3, 3), np.int32), 0, -1),
            "band_bool": tf.linalg.band_part(np.ones((3, 3), bool), -1, 0),
            "diag": tf.diag([1.0, 2.0]),
            "diag_r2": tf.diag(np.array([[1, 2], [3, 4]], np.int64)),
            "diag_part": tf.diag_part(np.arange(16).reshape(2, 2, 2, 2).astype(np.int32)),
            "mdiag": tf.matrix_diag([[1.0, 2.0]]),
            "mdiag_int": tf.matrix_diag([1, 2]),
            "band2": tf.linalg.diag([[1.0, 2.0, 0.0], [3.0, 4.0, 5.0]], k=(0, 1), num_rows=3,
                                    num_cols=4, padding_value=9),
            "sub": tf.linalg.diag([1.0, 2.0], k=-1, num_cols=4),
            "sup": tf.linalg.diag([1.0, 2.0], k=1),
            "part": tf.linalg.diag_part(x, k=(-1, 2)),
            "part_ll": tf.linalg.diag_part(x, k=(-1, 2), align="LEFT_LEFT", padding_value=-1),
            "part_k": tf.linalg.diag_part(x, k=-2),
            "mdp": tf.matrix_diag_part(x),
            "set": tf.linalg.set_diag(np.zeros((3, 4)), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
                                      k=(0, 1)),
            "set0": tf.matrix_set_diag(np.ones((2, 3)), [5.0, 6.0]),
        })
    np.testing.assert_array_equal(out["band"], [[0, 0, 0, 0], [4, 5, 0, 0], [0, 9, 10, 0]])
    np.testing.assert_array_equal(out["band_int"], np.triu(np.ones((3, 3))))
    assert out["band_int"].dtype == np.int32
    np.testing.assert_array_equal(out["band_bool"], np.tril(np.ones((3, 3), bool)))
    np.testing.assert_array_equal(out["diag"], [[1, 0], [0, 2]])
    assert out["diag_r2"].shape == (2, 2, 2, 2) and out["diag_r2"][1, 0, 1, 0] == 3
    np.testing.assert_array_equal(out["diag_part"], [[0, 5], [10, 15]])
    np.testing.assert_array_equal(out["mdiag"], [[[1, 0], [0, 2]]])
    assert out["mdiag_int"].dtype == np.int32
    np.testing.assert_array_equal(out["band2"], [[3, 1, 9, 9], [9, 4, 2, 9], [9, 9, 5, 0]])
    np.testing.assert_array_equal(out["sub"], [[0, 0, 0, 0], [1, 0, 0, 0], [0, 2, 0, 0]])
    np.testing.assert_array_equal(out["sup"], [[0, 1, 0], [0, 0, 2], [0, 0, 0]])
    np.testing.assert_array_equal(out["part"], [[0, 2, 7], [1, 6, 11], [0, 5, 10], [4, 9, 0]])
    np.testing.assert_array_equal(out["part_ll"],
                                  [[2, 7, -1], [1, 6, 11], [0, 5, 10], [4, 9, -1]])
    np.testing.assert_array_equal(out["part_k"], [8])
    np.testing.assert_array_equal(out["mdp"], [0, 5, 10])
    np.testing.assert_array_equal(out["set"], [[4, 1, 0, 0], [0, 5, 2, 0], [0, 0, 6, 3]])
    np.testing.assert_array_equal(out["set0"], [[5, 1, 1], [1, 6, 1]])


def test_transposes_and_matvec():
    x = np.arange(24.0).reshape(2, 3, 4)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64)
        out = _run([tf.linalg.adjoint(x), tf.matrix_transpose(x), tf.linalg.transpose(p),
                    tf.linalg.matvec(x, np.ones(4))], {p: x})
    for t in out[:3]:
        np.testing.assert_array_equal(t, np.swapaxes(x, -1, -2))
    np.testing.assert_array_equal(out[3], x.sum(-1))


# ----------------------------------------------------------------------------------------
# graphs as TF builds them
# ----------------------------------------------------------------------------------------
def test_op_types_names_and_attrs():
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [2, 2], name="a")
        inv = tf.matrix_inverse(a, adjoint=True)
        assert (inv.op.type, inv.op.name, inv.op.get_attr("adjoint")) == (
            "MatrixInverse", "MatrixInverse", True)
        sl = tf.linalg.slogdet(a)
        assert sl.sign.op.type == "LogMatrixDeterminant" and sl.sign.shape.as_list() == []
        tri = tf.matrix_triangular_solve(a, tf.ones([2, 1]))
        assert tri.op.name == "triangular_solve/MatrixTriangularSolve"
        assert tri.op.get_attr("lower") is True and tri.op.get_attr("adjoint") is False
        d = tf.matrix_diag([[1.0, 2.0]])
        assert (d.op.type, d.op.name, d.op.get_attr("align")) == (
            "MatrixDiagV3", "diag", b"RIGHT_LEFT")
        assert [t.op.name for t in d.op.inputs] == [
            "diag/diagonal", "diag/k", "diag/num_rows", "diag/num_cols", "diag/padding_value"]
        assert d.shape.as_list() == [1, 2, 2]
        band = tf.matrix_band_part(tf.ones([3, 3]), 1, 0)
        assert band.op.get_attr("Tindex") == tf.int32
        assert [t.op.name for t in band.op.inputs][1:] == [
            "MatrixBandPart/num_lower", "MatrixBandPart/num_upper"]
        tr = tf.trace(tf.ones([2, 3, 3]))
        assert (tr.op.type, tr.op.name, tr.shape.as_list()) == ("Sum", "Trace", [2])
    before = len(g.get_operations())
    with g.as_default():
        tf.linalg.logdet(tf.ones([2, 2]))
    assert [t for _, t in _ops(g)[before + 1:]] == [
        "Cholesky", "Const", "Const", "MatrixDiagPartV3", "Log", "Const", "Sum", "Const", "Mul"]
    assert [n for n, _ in _ops(g)[before + 1:]][:4] == [
        "logdet/Cholesky", "logdet/diag_part/k", "logdet/diag_part/padding_value",
        "logdet/diag_part"]


def test_gradient_graphs_use_tf_ops():
    g = tf.Graph()
    with g.as_default():
        a = tf.placeholder(tf.float32, [2, 2])
        tf.gradients(tf.matrix_inverse(a), a)
    assert [t for n, t in _ops(g) if n.startswith("gradients/MatrixInverse_grad/")] == [
        "MatMul", "MatMul", "Neg"]
    g = tf.Graph()
    with g.as_default():
        a = tf.constant([[2.0, 1.0], [1.0, 3.0]])
        tf.gradients(tf.matrix_determinant(a), a)
    grad_types = [t for n, t in _ops(g) if n.startswith("gradients/MatrixDeterminant_grad/")]
    assert grad_types[0] == "MatrixInverse" and grad_types[-1] == "Mul"


def test_gradient_values_recorded_from_tf():
    x = np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)
    with tf.Graph().as_default():
        a = tf.constant(x)
        b = tf.ones([3, 2, 1])
        out = _run([tf.gradients(tf.matrix_determinant(a), a)[0],
                    tf.gradients(tf.linalg.slogdet(a)[1], a)[0],
                    tf.gradients(tf.cholesky(a), a)[0],
                    tf.gradients(tf.matrix_triangular_solve(a, b), [a, b])])
    np.testing.assert_allclose(out[0], [[3, -1], [-1, 2]], rtol=1e-6)
    np.testing.assert_allclose(out[1], [[0.6, -0.2], [-0.2, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(out[2], [[0.2558336, 0.1954395], [0.1954395, 0.31622776]],
                               rtol=1e-6)
    np.testing.assert_allclose(out[3][0], [[-0.5, 0.0], [-0.5, -0.16666669]], rtol=1e-6)
    np.testing.assert_allclose(out[3][1], np.full((3, 2, 1), [[1 / 3], [1 / 3]]), rtol=1e-6)


# ----------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------
def test_shape_and_type_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError) as e:
            tf.matrix_inverse(tf.placeholder(tf.float32, [2, 3]))
        assert str(e.value) == (
            "Dimensions must be equal, but are 2 and 3 for '{{node MatrixInverse}} = "
            "MatrixInverse[T=DT_FLOAT, adjoint=false](Placeholder)' with input shapes: [2,3].")
        with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1 for "
                           "'{{node MatrixInverse_1}}"):
            tf.matrix_inverse(tf.placeholder(tf.float32, [2]))
        with pytest.raises(TypeError) as e:
            tf.matrix_inverse(tf.placeholder(tf.int32, [2, 2]))
        assert str(e.value) == (
            "Value passed to parameter 'input' has DataType int32 not in list of allowed "
            "values: float64, float32, float16, complex64, complex128")
        with pytest.raises(TypeError, match="Input 'rhs' of 'MatrixSolve' Op has type float64 "
                           "that does not match type float32 of argument 'matrix'."):
            tf.matrix_solve(tf.placeholder(tf.float32, [2, 2]),
                            tf.placeholder(tf.float64, [2, 2]))
        with pytest.raises(ValueError, match=r"^Dimension 0 in both shapes must be equal, but "
                           r"are 3 and 4. Shapes are \[3\] and \[4\]. for"):
            tf.matrix_solve(tf.placeholder(tf.float32, [3, 2, 2]),
                            tf.placeholder(tf.float32, [4, 2, 1]))
        with pytest.raises(ValueError, match="^Dimensions must be equal, but are 3 and 4 for "
                           r"'{{node triangular_solve(_\d+)?/MatrixTriangularSolve}}"):
            tf.matrix_triangular_solve(tf.placeholder(tf.float32, [3, 2, 2]),
                                       tf.placeholder(tf.float32, [4, 2, 1]))
        with pytest.raises(ValueError, match="^Input must have even and non-zero rank, input "
                           "rank is 3 for '{{node DiagPart}}"):
            tf.diag_part(tf.ones([2, 3, 2]))
        with pytest.raises(ValueError, match="^Shape must be at least rank 1 but is rank 0"):
            tf.diag(1.0)
        with pytest.raises(ValueError, match="^lower_diag_index is out of bound. for"):
            tf.linalg.diag_part(tf.ones([3, 4]), k=4)
        with pytest.raises(ValueError, match="^num_rows and num_cols are not consistent"):
            tf.linalg.diag([1.0, 2.0], num_rows=5, num_cols=6)
        with pytest.raises(ValueError, match="Attr 'align' of 'MatrixDiagV3' Op passed string "
                           "'FOO' not in"):
            tf.linalg.diag([1.0, 2.0], align="FOO")
        with pytest.raises(ValueError, match=r"^Argument `a` should be a \(batch\) matrix with "
                           "rank >= 2."):
            tf.matrix_transpose(tf.ones([3]))


def test_run_time_errors():
    with tf.Graph().as_default():
        singular = tf.constant([[1.0, 2.0], [2.0, 4.0]])
        with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible."):
            _run(tf.matrix_inverse(singular))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Input matrix is not invertible."):
            _run(tf.matrix_solve(singular, [[1.0], [2.0]]))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"num_lower must be negative or less or equal to number of "
                           r"rows \(3\) got: 5"):
            _run(tf.matrix_band_part(tf.ones([3, 4]), 5, 1))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"num_upper must be negative or less or equal to number of "
                           r"columns \(4\) got: 7"):
            _run(tf.matrix_band_part(tf.ones([3, 4]), 1, 7))
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"num_lower must be scalar, got shape \[2\]"):
            _run(tf.matrix_band_part(tf.ones([3, 4]), [1, 2], 1))
        p = tf.placeholder(tf.float32, [None, None])
        with pytest.raises(tf.errors.InvalidArgumentError):
            _run(tf.matrix_set_diag(p, [1.0, 2.0, 3.0]), {p: np.ones((2, 3))})


# ----------------------------------------------------------------------------------------
# gradients: float64 central differences, first and second order
# ----------------------------------------------------------------------------------------
def _check(build, inputs, tol=1e-5, second_order=True):
    with tf.Graph().as_default():
        xs = [tf.placeholder(tf.float64, shape, name=f"x{i}")
              for i, (shape, _) in enumerate(inputs)]
        y = build(*xs)
        assert_gradients_close(xs, y, [v for _, v in inputs], tol=tol,
                               second_order=second_order)


def _spd(x):
    """A positive definite matrix from any 3×3 x, symmetric by construction."""
    return tf.matmul(x, x, adjoint_b=True) + 3 * np.eye(3)


A = _well_conditioned((2, 3, 3), "grad-a")
B = _rng("grad-b").uniform(-1, 1, (2, 3, 2))

GRAD_CASES = [
    ("inv", lambda a: tf.linalg.inv(a), [A]),
    ("inv_adjoint", lambda a: tf.linalg.inv(a, adjoint=True), [A]),
    ("inv_rank2", lambda a: tf.matrix_inverse(a), [A[0]]),
    ("det", lambda a: tf.linalg.det(a), [A]),
    ("slogdet", lambda a: tf.linalg.slogdet(a).log_abs_determinant, [A]),
    ("solve", lambda a, b: tf.linalg.solve(a, b), [A, B]),
    ("solve_adjoint", lambda a, b: tf.linalg.solve(a, b, adjoint=True), [A, B]),
    ("triangular_lower", lambda a, b: tf.linalg.triangular_solve(a, b), [A, B]),
    ("triangular_upper_adjoint",
     lambda a, b: tf.linalg.triangular_solve(a, b, lower=False, adjoint=True), [A, B]),
    ("triangular_broadcast", lambda a, b: tf.linalg.triangular_solve(a, b), [A, B[0]]),
    ("cholesky", lambda x: tf.linalg.cholesky(_spd(x)), [A]),
    ("logdet", lambda x: tf.linalg.logdet(_spd(x)), [A]),
    ("cholesky_solve", lambda x, b: tf.linalg.cholesky_solve(tf.linalg.cholesky(_spd(x)), b),
     [A, B]),
    ("trace", lambda a: tf.linalg.trace(a), [A]),
    ("adjoint", lambda a: tf.linalg.adjoint(a) * np.arange(9.0).reshape(3, 3), [A]),
    ("band_part", lambda a: tf.linalg.band_part(a, 1, 0), [A]),
    ("diag", lambda d: tf.diag(d), [B[0]]),
    ("diag_part", lambda a: tf.diag_part(a), [_rng("dp").uniform(-1, 1, (2, 3, 2, 3))]),
    ("matrix_diag", lambda d: tf.linalg.diag(d), [B]),
    ("matrix_diag_band", lambda d: tf.linalg.diag(d, k=(-1, 0)),
     [_rng("md").uniform(-1, 1, (2, 2, 3))]),
    ("matrix_diag_part", lambda a: tf.linalg.diag_part(a), [B]),
    ("matrix_diag_part_band", lambda a: tf.linalg.diag_part(a, k=(-1, 1)), [A]),
    ("set_diag", lambda a, d: tf.linalg.set_diag(a, d), [A, B[..., 0].reshape(2, 3)]),
    ("set_diag_band", lambda a, d: tf.linalg.set_diag(a, d, k=(0, 1)),
     [A, _rng("sd").uniform(-1, 1, (2, 2, 3))]),
]


@pytest.mark.parametrize("build, values", [(c[1], c[2]) for c in GRAD_CASES],
                         ids=[c[0] for c in GRAD_CASES])
def test_gradients_and_second_derivatives(build, values):
    _check(build, [(v.shape, v) for v in values])


def test_gradients_with_unknown_shapes():
    _check(lambda a: tf.linalg.diag_part(a), [([None, None, None], A)])
    _check(lambda a: tf.linalg.triangular_solve(a, B), [([None, 3, 3], A)])
    _check(lambda x: tf.linalg.cholesky(_spd(x)), [([None, None, None], A)])


# ----- lstsq / matrix_solve_ls -----
@pytest.mark.parametrize("shape_a,shape_b", [((5, 3), (5, 2)), ((3, 5), (3, 2)),
                                             ((2, 4, 4), (2, 4, 1))])
def test_lstsq_matches_numpy_and_differentiates(shape_a, shape_b):
    rng = np.random.RandomState(sum(shape_a))
    a, b = rng.randn(*shape_a), rng.randn(*shape_b)
    batch = a.reshape((-1,) + shape_a[-2:]), b.reshape((-1,) + shape_b[-2:])
    want = np.stack([np.linalg.lstsq(m, r, rcond=None)[0] for m, r in zip(*batch)])
    want = want.reshape(shape_a[:-2] + want.shape[-2:])
    with tf.Graph().as_default():
        ta = tf.placeholder(tf.float64, [None] * len(shape_a))  # shape known at run time
        fast = tf.linalg.lstsq(ta, b)
        robust = tf.matrix_solve_ls(tf.constant(a), b, fast=False)
        with tf.Session() as sess:
            got_fast, got_robust = sess.run([fast, robust], {ta: a})
        np.testing.assert_allclose(got_fast, want, atol=1e-12)
        np.testing.assert_allclose(got_robust, want, atol=1e-12)
        xa = tf.placeholder(tf.float64, shape_a)
        xb = tf.placeholder(tf.float64, shape_b)
        assert_gradients_close([xa, xb], tf.linalg.lstsq(xa, xb, l2_regularizer=0.2),
                               [a, b], tol=1e-6, second_order=True)


def test_lstsq_regularized_is_the_ridge_solution():
    rng = np.random.RandomState(7)
    a, b = rng.randn(6, 3), rng.randn(6, 2)
    with tf.Graph().as_default():
        got = tf.Session().run(tf.matrix_solve_ls(a, b, l2_regularizer=0.5))
    np.testing.assert_allclose(got, np.linalg.solve(a.T @ a + 0.5 * np.eye(3), a.T @ b),
                               atol=1e-12)
    with pytest.raises(NotImplementedError, match="complex128"):
        tf.matrix_solve_ls(tf.constant(np.eye(2, dtype=np.complex128)),
                           tf.constant(np.ones((2, 1), np.complex128)), l2_regularizer=1.0)
