"""``tf.linalg`` (TF 2.21's ``tf.compat.v1.linalg``): matrix inverses, determinants, solves,
Cholesky, band parts and diagonals on batches of matrices, with the products and norms of
the top level under their ``tf.linalg`` names.

Each function builds the graph TF builds (op types, attributes, op and constant names); the
composites (``logdet``, ``trace``, ``cholesky_solve``, ``adjoint``, ``matrix_transpose``,
``matvec``) are composed as TF composes them.
"""

from __future__ import annotations

import collections
from typing import Any, Optional

from . import dtypes as _dtypes
from ._nn_math import l2_normalize, norm
from ._op_helpers import create_op, create_tensor, int_tensor, op_scope
from . import array_ops as _array_ops
from .array_ops import concat, expand_dims, rank, squeeze
from .constant_op import constant, convert_to_tensor
from .framework import Tensor
from .math_ops import einsum, eye, log, matmul, reduce_sum, subtract, tensordot

__all__ = [
    "adjoint", "band_part", "cholesky", "cholesky_solve", "det", "diag", "diag_part", "eye",
    "einsum", "inv", "l2_normalize", "logdet", "matmul", "matrix_transpose", "matvec", "norm",
    "set_diag", "slogdet", "solve", "tensor_diag", "tensor_diag_part", "tensordot", "trace",
    "transpose", "triangular_solve", "eigh", "eigvalsh", "qr", "svd", "tridiagonal_matmul",
    "tridiagonal_solve", "sqrtm",
]

_ALIGNS = ("LEFT_RIGHT", "RIGHT_LEFT", "LEFT_LEFT", "RIGHT_RIGHT")

LogMatrixDeterminant = collections.namedtuple(
    "LogMatrixDeterminant", ["sign", "log_abs_determinant"])


def _unary(op_type: str, input: Any, name: Optional[str], attrs: Optional[dict[str, Any]] = None,
           arg: str = "input") -> Tensor:
    with op_scope(name, op_type, [input]) as scope:
        value = convert_to_tensor(input, name=arg)
        return create_tensor(op_type, [value], attrs or {}, scope)


def _pair(op_type: str, matrix: Any, rhs: Any, attrs: dict[str, Any],
          name: Optional[str]) -> Tensor:
    with op_scope(name, op_type, [matrix, rhs]) as scope:
        m = convert_to_tensor(matrix, name="matrix")
        r = convert_to_tensor(rhs, preferred_dtype=m.dtype, name="rhs")
        return create_tensor(op_type, [m, r], attrs, scope)


def inv(input: Any, adjoint: bool = False, name: Optional[str] = None) -> Tensor:
    """``MatrixInverse``: the inverse of each matrix (of its adjoint with ``adjoint``)."""
    return _unary("MatrixInverse", input, name, {"adjoint": bool(adjoint)})


def det(input: Any, name: Optional[str] = None) -> Tensor:
    """``MatrixDeterminant``: one determinant per matrix."""
    return _unary("MatrixDeterminant", input, name)


def slogdet(input: Any, name: Optional[str] = None) -> Any:
    """``LogMatrixDeterminant``: ``(sign, log_abs_determinant)`` per matrix."""
    with op_scope(name, "LogMatrixDeterminant", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        op = create_op("LogMatrixDeterminant", [value], {}, scope)
        return LogMatrixDeterminant(op.outputs[0], op.outputs[1])


def cholesky(input: Any, name: Optional[str] = None) -> Tensor:
    """``Cholesky``: the lower factor L of each Hermitian positive definite matrix (only the
    lower triangle is read). A matrix that is not positive definite gives NaNs, as TF."""
    return _unary("Cholesky", input, name)


def logdet(matrix: Any, name: Optional[str] = None) -> Tensor:
    """``2 · Σ log diag(cholesky(matrix))``: the log determinant of a positive definite
    matrix, composed as TF composes it."""
    with op_scope(name, "logdet", [matrix]):
        chol = cholesky(matrix)
        return 2.0 * reduce_sum(log(diag_part(chol)), axis=[-1])


def solve(matrix: Any, rhs: Any, adjoint: bool = False, name: Optional[str] = None) -> Tensor:
    """``MatrixSolve``: X with ``matrix · X = rhs`` (``adjoint(matrix) · X`` with
    ``adjoint``). A singular matrix is an ``InvalidArgumentError`` when run."""
    return _pair("MatrixSolve", matrix, rhs, {"adjoint": bool(adjoint)}, name)


def triangular_solve(matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False,
                     name: Optional[str] = None) -> Tensor:
    """``MatrixTriangularSolve`` in a ``triangular_solve`` scope; batch dims broadcast."""
    with op_scope(name, "triangular_solve", [matrix, rhs]):
        return _pair("MatrixTriangularSolve", matrix, rhs,
                     {"lower": bool(lower), "adjoint": bool(adjoint)}, None)


def cholesky_solve(chol: Any, rhs: Any, name: Optional[str] = None) -> Tensor:
    """X with ``A · X = rhs`` given ``chol = cholesky(A)``: two triangular solves."""
    with op_scope(name, "cholesky_solve", [chol, rhs]):
        y = _pair("MatrixTriangularSolve", chol, rhs, {"lower": True, "adjoint": False}, None)
        return _pair("MatrixTriangularSolve", chol, y, {"lower": True, "adjoint": True}, None)


def matrix_transpose(a: Any, name: str = "matrix_transpose", conjugate: bool = False) -> Tensor:
    """Swaps the last two axes (a ``Transpose``; ``conjugate`` changes nothing for real
    dtypes)."""
    with op_scope(name, "matrix_transpose", [a]):
        value = convert_to_tensor(a, name="a")
        ndims = value.shape.rank
        if ndims is not None:
            if ndims < 2:
                raise ValueError(
                    "Argument `a` should be a (batch) matrix with rank >= 2.  Received `a` = "
                    f"{value} with shape: {value.shape}")
            perm: Any = list(range(ndims - 2)) + [ndims - 1, ndims - 2]
        else:
            a_rank = rank(value)
            lead = create_tensor("Range", [constant(0, name="start"), subtract(a_rank, 2),
                                           constant(1, name="delta")], {}, "Range")
            perm = concat([lead, [a_rank - 1, a_rank - 2]], 0)
        return _array_ops.transpose(value, perm=perm, conjugate=conjugate)


transpose = matrix_transpose


def adjoint(matrix: Any, name: Optional[str] = None) -> Tensor:
    """The conjugate transpose of each matrix (the transpose for real dtypes)."""
    with op_scope(name, "adjoint", [matrix]):
        value = convert_to_tensor(matrix, name="matrix")
        return matrix_transpose(value, conjugate=True)


def trace(x: Any, name: Optional[str] = None) -> Tensor:
    """The sum of each matrix's main diagonal: ``Sum(MatrixDiagPartV3(x), [-1])``."""
    with op_scope(name, "Trace", [x]) as scope:
        value = convert_to_tensor(x, name="x")
        return reduce_sum(diag_part(value), [-1], name=scope)


def band_part(input: Any, num_lower: Any, num_upper: Any, name: Optional[str] = None
              ) -> Tensor:
    """``MatrixBandPart``: keeps ``num_lower`` subdiagonals and ``num_upper`` superdiagonals
    (negative: all), zeroes the rest."""
    with op_scope(name, "MatrixBandPart", [input, num_lower, num_upper]) as scope:
        value = convert_to_tensor(input, name="input")
        index_type = (num_upper.dtype if isinstance(num_upper, Tensor)
                      and not isinstance(num_lower, Tensor) else _dtypes.int32)
        lower = int_tensor(num_lower, "num_lower", index_type)
        upper = int_tensor(num_upper, "num_upper", lower.dtype)
        if lower.dtype is not upper.dtype:
            raise TypeError(
                f"Input 'num_upper' of 'MatrixBandPart' Op has type {upper.dtype.name} that "
                f"does not match type {lower.dtype.name} of argument 'num_lower'.")
        return create_tensor("MatrixBandPart", [value, lower, upper], {}, scope)


def _check_align(op_type: str, align: Any) -> str:
    text = align.decode() if isinstance(align, bytes) else str(align)
    if text not in _ALIGNS:
        raise ValueError(
            f"Attr 'align' of '{op_type}' Op passed string '{text}' not in: \"LEFT_RIGHT\", "
            "\"RIGHT_LEFT\", \"LEFT_LEFT\", \"RIGHT_RIGHT\".")
    return text


def diag(diagonal: Any, name: str = "diag", k: Any = 0, num_rows: Any = -1, num_cols: Any = -1,
         padding_value: Any = 0, align: str = "RIGHT_LEFT") -> Tensor:
    """``MatrixDiagV3``: batches of matrices with ``diagonal`` on diagonals ``k`` (an int or
    a ``(low, high)`` band), ``padding_value`` elsewhere."""
    align = _check_align("MatrixDiagV3", align)
    with op_scope(name, "MatrixDiagV3", [diagonal, k, num_rows, num_cols, padding_value]
                  ) as scope:
        d = convert_to_tensor(diagonal, name="diagonal")
        inputs = [d, int_tensor(k, "k"), int_tensor(num_rows, "num_rows"),
                  int_tensor(num_cols, "num_cols"),
                  convert_to_tensor(padding_value, dtype=d.dtype, name="padding_value")]
        return create_tensor("MatrixDiagV3", inputs, {"align": align}, scope)


def diag_part(input: Any, name: str = "diag_part", k: Any = 0, padding_value: Any = 0,
              align: str = "RIGHT_LEFT") -> Tensor:
    """``MatrixDiagPartV3``: diagonals ``k`` of each matrix, shorter ones padded with
    ``padding_value`` on the side ``align`` says."""
    align = _check_align("MatrixDiagPartV3", align)
    with op_scope(name, "MatrixDiagPartV3", [input, k, padding_value]) as scope:
        value = convert_to_tensor(input, name="input")
        inputs = [value, int_tensor(k, "k"),
                  convert_to_tensor(padding_value, dtype=value.dtype, name="padding_value")]
        return create_tensor("MatrixDiagPartV3", inputs, {"align": align}, scope)


def set_diag(input: Any, diagonal: Any, name: str = "set_diag", k: Any = 0,
             align: str = "RIGHT_LEFT") -> Tensor:
    """``MatrixSetDiagV3``: ``input`` with diagonals ``k`` replaced by ``diagonal``."""
    align = _check_align("MatrixSetDiagV3", align)
    with op_scope(name, "MatrixSetDiagV3", [input, diagonal, k]) as scope:
        value = convert_to_tensor(input, name="input")
        d = convert_to_tensor(diagonal, dtype=value.dtype, name="diagonal")
        return create_tensor("MatrixSetDiagV3", [value, d, int_tensor(k, "k")],
                             {"align": align}, scope)


def tensor_diag(diagonal: Any, name: Optional[str] = None) -> Tensor:
    """``Diag``: a rank-k tensor to the rank-2k tensor holding it on its diagonal."""
    return _unary("Diag", diagonal, name, arg="diagonal")


def tensor_diag_part(input: Any, name: Optional[str] = None) -> Tensor:
    """``DiagPart``: the inverse of ``tensor_diag``."""
    return _unary("DiagPart", input, name)


def matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False,
           a_is_sparse: bool = False, b_is_sparse: bool = False,
           name: Optional[str] = None) -> Tensor:
    """Matrix times vector: ``squeeze(matmul(a, expand_dims(b, -1)), -1)``."""
    with op_scope(name, "MatVec", [a, b]):
        output = matmul(a, expand_dims(b, axis=-1), transpose_a=transpose_a,
                        adjoint_a=adjoint_a, a_is_sparse=a_is_sparse, b_is_sparse=b_is_sparse)
        return squeeze(output, axis=-1)



def _self_adjoint_eig(tensor: Any, compute_v: bool, name: Optional[str]) -> list[Tensor]:
    with op_scope(name, "SelfAdjointEigV2", [tensor]) as scope:
        value = convert_to_tensor(tensor, name="input")
        return create_op("SelfAdjointEigV2", [value], {"compute_v": compute_v}, scope).outputs


def eigh(tensor: Any, name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``SelfAdjointEigV2``: the eigenvalues (ascending) and eigenvectors (columns) of each
    symmetric matrix, read from its lower triangle."""
    e, v = _self_adjoint_eig(tensor, True, name)
    return e, v


def eigvalsh(tensor: Any, name: Optional[str] = None) -> Tensor:
    """``SelfAdjointEigV2`` with ``compute_v=False``: the eigenvalues only."""
    return _self_adjoint_eig(tensor, False, name)[0]


Qr = collections.namedtuple("Qr", ["q", "r"])


def qr(input: Any, full_matrices: bool = False, name: Optional[str] = None) -> Any:
    """``Qr``: ``(q, r)`` with orthonormal columns in ``q`` and upper-triangular ``r``."""
    with op_scope(name, "Qr", [input]) as scope:
        value = convert_to_tensor(input, name="input")
        op = create_op("Qr", [value], {"full_matrices": bool(full_matrices)}, scope)
        return Qr(op.outputs[0], op.outputs[1])


def svd(tensor: Any, full_matrices: bool = False, compute_uv: bool = True,
        name: Optional[str] = None) -> Any:
    """``Svd``: ``(s, u, v)`` (singular values descending, vectors as
    columns, ``a = u diag(s) vᵀ``), or ``s`` alone without ``compute_uv``."""
    with op_scope(name, "Svd", [tensor]) as scope:
        value = convert_to_tensor(tensor, name="input")
        s, u, v = create_op("Svd", [value], {"compute_uv": bool(compute_uv),
                                              "full_matrices": bool(full_matrices)},
                            scope).outputs
        return (s, u, v) if compute_uv else s


# ----- cross products, normalizing, rank and pseudo-inverse -----

def cross(a: Any, b: Any, name: Optional[str] = None) -> Tensor:
    """The cross product of the 3-vectors on the last axis of ``a`` and ``b``
    (differentiable)."""
    from .array_ops import stack, unstack
    with op_scope(name, "Cross", [a, b]) as scope:
        ta = convert_to_tensor(a, name="a")
        tb = convert_to_tensor(b, name="b", dtype=ta.dtype)
        for t, what in ((ta, "a"), (tb, "b")):
            last = t.shape.as_list()[-1] if t.shape.ndims else None
            if t.shape.ndims == 0:
                raise ValueError(f"Shape must be at least rank 1 but is rank 0 for 'Cross' "
                                 f"({what})")
            if last is not None and last != 3:
                raise ValueError(f"Dimension must be 3 but is {last} for 'Cross' ({what})")
        a1, a2, a3 = unstack(ta, 3, axis=-1)
        b1, b2, b3 = unstack(tb, 3, axis=-1)
        # The result is named as TF's one `Cross` op.
        return stack([a2 * b3 - a3 * b2, a3 * b1 - a1 * b3, a1 * b2 - a2 * b1], axis=-1,
                     name=scope or None)


def normalize(tensor: Any, ord: Any = "euclidean", axis: Any = None,  # noqa: A002
              name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``(tensor / norm, norm)`` with the norm kept over ``axis``."""
    with op_scope(name, "normalize", [tensor]):
        t = convert_to_tensor(tensor)
        n = norm(t, ord, axis, keepdims=True)
        return t / n, n


def matrix_rank(a: Any, tol: Any = None, validate_args: bool = False,
                name: Optional[str] = None) -> Tensor:
    """The number of singular values of each matrix above ``tol`` (default
    ``max(rows, cols) * max(s) * eps``), as int32."""
    import numpy as np
    from .array_ops import shape
    from .math_ops import cast, greater, maximum, reduce_max
    del validate_args
    with op_scope(name, "matrix_rank", [a, tol]):
        t = convert_to_tensor(a, name="a")
        s = svd(t, compute_uv=False)
        if tol is None:
            dims = shape(t)
            eps = float(np.finfo(t.dtype.as_numpy_dtype).eps)
            biggest = cast(maximum(dims[-2], dims[-1]), t.dtype)
            tol = biggest * reduce_max(s, axis=-1, keepdims=True) * eps
        else:
            tol = expand_dims(convert_to_tensor(tol, dtype=t.dtype, name="tol"), -1)
        return reduce_sum(cast(greater(s, tol), _dtypes.int32), axis=-1)


def pinv(a: Any, rcond: Any = None, validate_args: bool = False,
         name: Optional[str] = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse from the SVD, singular values below ``rcond * max``
    (default ``10 * max(rows, cols) * eps``) treated as zero; differentiable."""
    import numpy as np
    from .array_ops import shape
    from .math_ops import cast, greater, maximum, reduce_max, reciprocal, where_v2
    from .array_ops import zeros_like
    del validate_args
    with op_scope(name, "pinv", [a, rcond]):
        t = convert_to_tensor(a, name="a")
        if rcond is None:
            dims = shape(t)
            eps = float(np.finfo(t.dtype.as_numpy_dtype).eps)
            rcond = 10.0 * cast(maximum(dims[-2], dims[-1]), t.dtype) * eps
        rcond = convert_to_tensor(rcond, dtype=t.dtype, name="rcond")
        s, u, v = svd(t, full_matrices=False, compute_uv=True)
        cutoff = rcond * reduce_max(s, axis=-1)
        keep = greater(s, expand_dims(cutoff, -1))
        safe = where_v2(keep, s, _array_ops.ones_like(s))
        inverted = where_v2(keep, reciprocal(safe), zeros_like(s))
        return matmul(v * expand_dims(inverted, -2), u, adjoint_b=True)


def global_norm(t_list: Any, name: Optional[str] = None) -> Tensor:
    """``sqrt(sum of squared L2 norms)`` of the tensors (see ``clip_ops``)."""
    from .clip_ops import global_norm as _global_norm
    return _global_norm(t_list, name=name)


__all__ += ["cross", "normalize", "matrix_rank", "pinv", "global_norm"]


def _regularized_gramian_cholesky(matrix: Tensor, l2_regularizer: Any,
                                  first_kind: bool) -> Tensor:
    """``cholesky(A^H A + l2 I)`` (first kind) or ``cholesky(A A^H + l2 I)``, as TF's
    ``_RegularizedGramianCholesky``."""
    from .array_ops import shape
    gramian = matmul(matrix, matrix, adjoint_a=first_kind, adjoint_b=not first_kind)
    if isinstance(l2_regularizer, Tensor) or l2_regularizer != 0:
        dims = shape(matrix)
        small_dim = dims[-1] if first_kind else dims[-2]
        identity = eye(small_dim, batch_shape=dims[:-2], dtype=matrix.dtype)
        static = matrix.shape.as_list() if matrix.shape.ndims is not None else None
        if static is not None:
            small = static[-1] if first_kind else static[-2]
            identity.set_shape(static[:-2] + [small, small])
        gramian += l2_regularizer * identity
    return cholesky(gramian)


def lstsq(matrix: Any, rhs: Any, l2_regularizer: Any = 0.0, fast: bool = True,
          name: Optional[str] = None) -> Tensor:
    """The least-squares solution X of ``matrix · X ≈ rhs`` per matrix, with an optional
    Tikhonov ``l2_regularizer``.

    ``fast=True`` is TF's composite: the Cholesky factor of the regularized Gramian and a
    ``cholesky_solve`` (normal equations for tall matrices, the minimum-norm form
    ``A^H (A A^H + l2 I)^-1 rhs`` for wide ones; a ``cond`` on the shape when it is known
    only at run time), differentiable to any order. TF uses its one ``MatrixSolveLs`` kernel
    instead for large batches of small matrices; symgrad always builds the composite.
    ``fast=False`` gives the minimum-norm solution through the SVD (``pinv(matrix) · rhs``,
    robust to rank deficiency; ``l2_regularizer`` is ignored, as TF's complete orthogonal
    decomposition path ignores it).
    """
    from .cond_ops import cond
    from .array_ops import shape

    t = convert_to_tensor(matrix, name="matrix")
    if t.dtype == _dtypes.complex128 and not isinstance(l2_regularizer, Tensor) \
            and l2_regularizer != 0:
        raise NotImplementedError(
            "matrix_solve_ls is currently disabled for complex128 and l2_regularizer != 0 "
            "due to poor accuracy.")

    def overdetermined() -> Tensor:
        chol = _regularized_gramian_cholesky(t, l2_regularizer, first_kind=True)
        return cholesky_solve(chol, matmul(t, rhs, adjoint_a=True))

    def underdetermined() -> Tensor:
        chol = _regularized_gramian_cholesky(t, l2_regularizer, first_kind=False)
        return matmul(t, cholesky_solve(chol, rhs), adjoint_a=True)

    with op_scope(name, "matrix_solve_ls", [t, rhs, l2_regularizer]):
        if not fast:
            return matmul(pinv(t), rhs)
        static = t.shape.as_list()[-2:] if t.shape.ndims is not None else [None, None]
        if None not in static:
            return overdetermined() if static[0] >= static[1] else underdetermined()
        dims = shape(t)[-2:]
        return cond(dims[-2] >= dims[-1], overdetermined, underdetermined)


matrix_solve_ls = lstsq

__all__ += ["lstsq"]


# ----- the matrix exponential -----
# Higham's Padé coefficients b_0..b_m for degrees 3, 5, 7, 9 and 13 (TF's, from Higham 2005).
_PADE = {
    3: [120.0, 60.0, 12.0],
    5: [30240.0, 15120.0, 3360.0, 420.0, 30.0],
    7: [17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0],
    9: [17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0],
    13: [64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0],
}


def _pade(matrix: Tensor, degree: int) -> tuple[Tensor, Tensor]:
    """``(U, V)`` of the degree-``degree`` Padé approximant, ``exp(A) ≈ (V - U)^-1 (V + U)``:
    U holds the odd powers, V the even ones, each power made once (``A^2``, ``A^4``, ...)."""
    from .array_ops import shape
    b = [constant(x, dtype=matrix.dtype) for x in _PADE[degree]]
    dims = shape(matrix)
    ident = eye(dims[-2], batch_shape=dims[:-2], dtype=matrix.dtype)
    powers = {0: ident, 2: matmul(matrix, matrix)}
    for k in range(4, min(degree, 9), 2):  # A^4 .. A^8 as far as the degree needs
        powers[k] = matmul(powers[k - 2], powers[2])
    if degree == 13:
        # U = A (A^6 (A^6 + b11 A^4 + b9 A^2) + b7 A^6 + b5 A^4 + b3 A^2 + b1 I), V likewise.
        m2, m4, m6 = powers[2], powers[4], powers[6]
        inner_u = matmul(m6, m6 + b[11] * m4 + b[9] * m2) + b[7] * m6 + b[5] * m4 \
            + b[3] * m2 + b[1] * ident
        u = matmul(matrix, inner_u)
        inner_v = b[12] * m6 + b[10] * m4 + b[8] * m2
        v = matmul(m6, inner_v) + b[6] * m6 + b[4] * m4 + b[2] * m2 + b[0] * ident
        return u, v
    top = degree - 1
    odd = powers[top]
    for k in range(top - 2, -1, -2):
        odd = odd + b[k + 1] * powers[k]
    # b_m (1) leads U's inner sum; V's top term is b_{m-1} A^{m-1}.
    even = b[top] * powers[top]
    for k in range(top - 2, -1, -2):
        even = even + b[k] * powers[k]
    return matmul(matrix, odd), even


def expm(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """The matrix exponential of each square matrix: TF's scaling and squaring with Padé
    approximants (Higham 2005; degrees 3-7 for float16/float32, 3-13 for float64), a
    ``MatrixSolve`` and a ``while_loop`` of squarings, so it differentiates through ordinary
    ops. A matrix with an infinite or NaN norm gives NaNs."""
    from .array_ops import fill, reshape, shape, size
    from .cond_ops import cond
    from .math_ops import (abs as abs_, cast, floor, less, maximum, pow as pow_, reduce_max,
                           where_v2)
    from .special_math_ops import is_finite
    from .while_ops import while_loop

    with op_scope(name, "matrix_exponential", [input]):
        matrix = convert_to_tensor(input, name="input")
        static = matrix.shape.as_list() if matrix.shape.ndims is not None else None
        if static is not None and static[-2:] == [0, 0]:
            return matrix
        batch: Any = static[:-2] if static is not None and None not in static[:-2] else None
        if batch is None:
            batch = shape(matrix)[:-2]
        matrix = reshape(matrix, concat(([-1], shape(matrix)[-2:]), axis=0))
        col_sums = reduce_sum(abs_(matrix), axis=size(shape(matrix)) - 2)
        l1_norm = reduce_max(col_sums, axis=-1)[..., None, None]

        def const(x: float) -> Tensor:
            return constant(x, dtype=l1_norm.dtype)

        def nest_where(bounds: tuple, cases: tuple) -> Tensor:
            rest = cases[1] if len(bounds) == 1 else nest_where(bounds[1:], cases[1:])
            return where_v2(less(l1_norm, const(bounds[0])), cases[0], rest)

        if matrix.dtype in (_dtypes.float16, _dtypes.float32, _dtypes.complex64):
            degrees, bounds, maxnorm = (3, 5, 7), (0.4258730016922831, 1.880152677804762), \
                3.92572478313866
        elif matrix.dtype in (_dtypes.float64, _dtypes.complex128):
            degrees = (3, 5, 7, 9, 13)
            bounds = (0.01495585217958292, 0.253939833006323, 0.9504178996162932,
                      2.097847961257068)
            maxnorm = 5.371920351148152
        else:
            raise ValueError(f"tf.linalg.expm does not support matrices of type {matrix.dtype}")
        squarings = maximum(floor(log(l1_norm / const(maxnorm)) / log(const(2.0))), 0)
        pairs = []
        for degree in degrees:
            scaled = matrix
            if degree == degrees[-1]:
                scaled = matrix / cast(pow_(const(2.0), squarings), matrix.dtype)
            pairs.append(_pade(scaled, degree))
        u = nest_where(bounds, tuple(p[0] for p in pairs))
        v = nest_where(bounds, tuple(p[1] for p in pairs))
        finite = is_finite(reduce_max(l1_norm))
        nan = constant(float("nan"), dtype=matrix.dtype)
        result = cond(finite, lambda: solve(-u + v, u + v),
                      lambda: fill(shape(matrix), nan))
        max_squarings = reduce_max(squarings)

        def keep_going(i: Tensor, _: Tensor) -> Tensor:
            return cond(finite, lambda: less(i, max_squarings), lambda: constant(False))

        def square(i: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
            return i + 1, where_v2(less(i, squarings), matmul(r, r), r)

        _, result = while_loop(keep_going, square, [const(0.0), result])
        if static is None or None in static:
            return reshape(result, concat((batch, shape(result)[-2:]), axis=0))
        return reshape(result, static)


__all__ += ["expm"]


# ----- tridiagonal matrices -----

def _sequence_to_compact(diagonals: Any) -> Tensor:
    """``[superdiag, maindiag, subdiag]`` (the outer two of length M or M - 1) as TF's
    compact ``[..., 3, M]`` form."""
    if not isinstance(diagonals, (tuple, list)) or len(diagonals) != 3:
        raise ValueError("Expected diagonals to be a sequence of length 3.")
    superdiag, maindiag, subdiag = (convert_to_tensor(d) for d in diagonals)
    if (not subdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1])
            or not superdiag.shape[:-1].is_compatible_with(maindiag.shape[:-1])):
        raise ValueError(
            "Tensors representing the three diagonals must have the same shape,except for "
            f"the last dimension, got {subdiag.shape}, {maindiag.shape}, {superdiag.shape}")
    m = maindiag.shape[-1] if maindiag.shape.rank is not None else None

    def pad_if_necessary(t: Tensor, what: str, last: list[int]) -> Tensor:
        n = t.shape[-1] if t.shape.rank is not None else None
        if not n or n == m:
            return t
        if m is not None and n == m - 1:
            return _array_ops.pad(t, [[0, 0]] * (t.shape.rank - 1) + [last])
        raise ValueError(f"Expected {what} to be have length {m} or {m - 1 if m else None}, "
                         f"got {n}.")

    subdiag = pad_if_necessary(subdiag, "subdiagonal", [1, 0])
    superdiag = pad_if_necessary(superdiag, "superdiagonal", [0, 1])
    return _array_ops.stack((superdiag, maindiag, subdiag), axis=-2)


def _matrix_to_compact(diagonals: Any) -> Tensor:
    value = convert_to_tensor(diagonals)
    if value.shape.rank is not None and value.shape.rank >= 2:
        m1, m2 = value.shape[-1], value.shape[-2]
        if m1 and m2 and m1 != m2:
            raise ValueError("Expected last two dimensions of diagonals to be same, got "
                             f"{m1} and {m2}")
    return diag_part(value, k=(-1, 1), padding_value=0.0, align="LEFT_RIGHT")


def tridiagonal_solve(diagonals: Any, rhs: Any, diagonals_format: str = "compact",
                      transpose_rhs: bool = False, conjugate_rhs: bool = False,
                      name: Optional[str] = None, partial_pivoting: bool = True,
                      perturb_singular: bool = False) -> Tensor:
    """Solves tridiagonal systems (``TridiagonalSolve``): ``diagonals`` in ``compact``
    (``[..., 3, M]``: superdiagonal, diagonal, subdiagonal), ``sequence`` or ``matrix``
    (``[..., M, M]``) form; ``rhs`` ``[..., M, K]`` or ``[..., M]``. Gaussian elimination
    with partial pivoting by default, the Thomas algorithm without; a singular system
    gives NaNs, as TF's CPU kernel."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("partial_pivoting must be True if perturb_singular is.")
    if diagonals_format == "compact":
        compact = convert_to_tensor(diagonals, name="diagonals")
    elif diagonals_format == "sequence":
        compact = _sequence_to_compact(diagonals)
    elif diagonals_format == "matrix":
        compact = _matrix_to_compact(diagonals)
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    return _tridiagonal_solve_compact(compact, rhs, transpose_rhs, conjugate_rhs,
                                      partial_pivoting, perturb_singular, name)


def _tridiagonal_solve_compact(diagonals: Tensor, rhs: Any, transpose_rhs: bool,
                               conjugate_rhs: bool, partial_pivoting: bool,
                               perturb_singular: bool, name: Optional[str]) -> Tensor:
    from .complex_ops import conj
    rhs = convert_to_tensor(rhs, name="rhs")
    diags_rank, rhs_rank = diagonals.shape.rank, rhs.shape.rank
    if diags_rank:
        if diags_rank < 2:
            raise ValueError(f"Expected diagonals to have rank at least 2, got {diags_rank}")
        if rhs_rank and rhs_rank != diags_rank and rhs_rank != diags_rank - 1:
            raise ValueError(f"Expected the rank of rhs to be {diags_rank - 1} or "
                             f"{diags_rank}, got {rhs_rank}")
        if rhs_rank and not diagonals.shape[:-2].is_compatible_with(
                rhs.shape[:diags_rank - 2]):
            raise ValueError(f"Batch shapes {diagonals.shape[:-2]} and "
                             f"{rhs.shape[:diags_rank - 2]} are incompatible")
    if diags_rank and diagonals.shape[-2] and diagonals.shape[-2] != 3:
        raise ValueError(f"Expected 3 diagonals got {diagonals.shape[-2]}")

    def check_sides(r: Tensor) -> None:
        if (diags_rank and r.shape.rank and diagonals.shape[-1] and r.shape[-2]
                and diagonals.shape[-1] != r.shape[-2]):
            raise ValueError("Expected number of left-hand sided and right-hand sides to be "
                             f"equal, got {diagonals.shape[-1]} and {r.shape[-2]}")

    attrs = {"partial_pivoting": partial_pivoting, "perturb_singular": perturb_singular}
    if rhs_rank and diags_rank and rhs_rank == diags_rank - 1:
        # A vector rhs: transpose_rhs does not apply.
        if conjugate_rhs:
            rhs = conj(rhs)
        rhs = expand_dims(rhs, -1)
        check_sides(rhs)
        with op_scope(name, "TridiagonalSolve", [diagonals, rhs]) as scope:
            solved = create_tensor("TridiagonalSolve", [diagonals, rhs], attrs, scope)
        return squeeze(solved, -1)
    if transpose_rhs:
        rhs = matrix_transpose(rhs, conjugate=conjugate_rhs)
    elif conjugate_rhs:
        rhs = conj(rhs)
    check_sides(rhs)
    with op_scope(name, "TridiagonalSolve", [diagonals, rhs]) as scope:
        return create_tensor("TridiagonalSolve", [diagonals, rhs], attrs, scope)


def tridiagonal_matmul(diagonals: Any, rhs: Any, diagonals_format: str = "compact",
                       name: Optional[str] = None) -> Tensor:
    """The product of tridiagonal matrices and ``rhs`` ``[..., M, N]``
    (``TridiagonalMatMul``); ``diagonals`` in ``compact``, ``sequence`` or ``matrix`` form
    (see ``tridiagonal_solve``)."""
    if diagonals_format == "compact":
        compact = convert_to_tensor(diagonals, name="diagonals")
        superdiag, maindiag, subdiag = (compact[..., i, :] for i in range(3))
    elif diagonals_format == "sequence":
        if not isinstance(diagonals, (tuple, list)) or len(diagonals) != 3:
            raise ValueError("Expected diagonals to be a sequence of length 3.")
        superdiag, maindiag, subdiag = diagonals
    elif diagonals_format == "matrix":
        compact = _matrix_to_compact(diagonals)
        superdiag, maindiag, subdiag = (compact[..., i, :] for i in range(3))
    else:
        raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
    # The op takes each diagonal as a one-row matrix.
    rows = [expand_dims(d, -2) for d in (superdiag, maindiag, subdiag)]
    with op_scope(name, "TridiagonalMatMul", rows + [rhs]) as scope:
        r = convert_to_tensor(rhs, dtype=rows[1].dtype, name="rhs")
        return create_tensor("TridiagonalMatMul", rows + [r], {}, scope)


# ----- matrix square roots -----

def sqrtm(input: Any, name: Optional[str] = None) -> Tensor:  # noqa: A002 - TF's name
    """``MatrixSquareRoot``: the principal square root of each square matrix (the root
    whose eigenvalues have positive real parts); NaNs where it does not exist in the reals.
    Differentiable to any order (TF's Sylvester-equation gradient)."""
    return _unary("MatrixSquareRoot", input, name)


def _kronecker_product(b1: Tensor, b2: Tensor) -> Tensor:
    """The Kronecker products of two batches of square matrices (TF's helper)."""
    from .array_ops import reshape, shape, size, slice
    b1_shape, b2_shape = shape(b1), shape(b2)
    b1_order, b2_order = b1_shape[-1], b2_shape[-1]
    shape_slice = slice(b1_shape, [0], [subtract(size(b1_shape), 2)])
    b1_reshape = reshape(b1, concat([shape_slice, [b1_order], [1], [b1_order], [1]], 0))
    b2_reshape = reshape(b2, concat([shape_slice, [1], [b2_order], [1], [b2_order]], 0))
    order_prod = b1_order * b2_order
    return reshape(b1_reshape * b2_reshape,
                   concat([shape_slice, [order_prod], [order_prod]], 0))


def _register_matrix_square_root_gradient() -> None:
    from .gradients_impl import RegisterGradient

    @RegisterGradient("MatrixSquareRoot")
    def _matrix_square_root_grad(op: Any, grad: Tensor) -> Tensor:
        # With R = sqrtm(A), dA = R dR + dR R: a Sylvester equation for dR, solved as the
        # linear system (I ⊗ Rᵀ + R ⊗ I) vec(dR) = vec(dA) (TF's _MatrixSquareRootGrad).
        from .array_ops import reshape, shape, size, slice, tile
        from .math_ops import add, reduce_prod
        root = op.outputs[0]
        root_shape = shape(root)
        order = root_shape[-1]
        matrix_count = reduce_prod(root_shape[0:-2])
        identity = eye(order, dtype=root.dtype)
        eye_batch = reshape(tile(reshape(identity, [-1]), [matrix_count]), root_shape)
        ksum = add(_kronecker_product(eye_batch, matrix_transpose(root)),
                   _kronecker_product(root, eye_batch))
        shape_slice = slice(root_shape, [0], [subtract(size(root_shape), 2)])
        vec_da = reshape(matrix_transpose(grad),
                         concat([shape_slice, [order * order], [1]], 0))
        vec_droot = solve(ksum, vec_da)
        return matrix_transpose(reshape(vec_droot, root_shape))


_register_matrix_square_root_gradient()
