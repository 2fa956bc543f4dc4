//! Tridiagonal matrices in TF's compact form: `TridiagonalMatMul(superdiag, maindiag,
//! subdiag, rhs)` (each diagonal `[..., 1, M]`) and `TridiagonalSolve(diagonals, rhs)`
//! (`diagonals` `[..., 3, M]`: superdiagonal, diagonal, subdiagonal; the superdiagonal's last
//! and the subdiagonal's first element are ignored). Both map over equal batch dimensions.
//!
//! Side by side: shape rules (TF's `TridiagonalMatMulShapeFn`/`TridiagonalSolveShapeFn`),
//! kernels (TF's CPU algorithms: Gaussian elimination with partial pivoting as LAPACK's
//! `gtsv`, with LAPACK `lagts`' perturbation of tiny pivots when asked, or the Thomas
//! algorithm without pivoting; a singular system gives NaNs, as TF's kernel) and gradients
//! (TF's `linalg_grad.py`, built from differentiable ops so that they differentiate again).

use super::matrix::MatrixOp;
use super::{array, binary, complex, index, reduce, source, unary, Family, InferCtx};
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::grad::{Grad, GradCtx};
use crate::graph::{Graph, Input, Metas, Tensor};
use crate::shape::{Dim, Shape};
use crate::value::{Complex32, Complex64, Stored, Value};
use num_traits::{Float, Num, One, Zero};
use smallvec::smallvec;
use std::ops::{AddAssign, DivAssign, MulAssign, Neg, SubAssign};

// ===== shape rules =====

/// The dims of input `i`, checked to be of rank at least 2 (`None` for an unknown rank).
fn matrices(op: &MatrixOp, ctx: &InferCtx<'_>, i: usize) -> Result<Option<Vec<Dim>>> {
    let shape = ctx.shape(i)?.clone();
    op.at_least_rank(ctx, &shape, 2)?;
    Ok(shape.dims().map(|d| d.to_vec()))
}

/// TF's `Merge` of two shapes: equal ranks, and known dims equal.
fn merge_shapes(op: &MatrixOp, ctx: &InferCtx<'_>, a: &[Dim], b: &[Dim]) -> Result<()> {
    if a.len() != b.len() {
        return Err(op.node_err(
            ctx,
            format!(
                "Shapes must be equal rank, but are {} and {}",
                a.len(),
                b.len()
            ),
        ));
    }
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        if let (Some(x), Some(y)) = (x, y) {
            if x != y {
                return Err(op.node_err(
                    ctx,
                    format!(
                        "Dimension {k} in both shapes must be equal, but are {x} and {y}. Shapes are {} and {}.",
                        Shape::from_dims(a).bracketed(),
                        Shape::from_dims(b).bracketed()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// TF's `WithValue`: a known dim must be `value`.
fn with_value(op: &MatrixOp, ctx: &InferCtx<'_>, dim: Dim, value: usize) -> Result<()> {
    match dim {
        Some(d) if d != value => {
            Err(op.node_err(ctx, format!("Dimension must be {value} but is {d}")))
        }
        _ => Ok(()),
    }
}

fn tridiagonal_dtype(op: &MatrixOp, ctx: &InferCtx<'_>, names: &[&str]) -> Result<DType> {
    let dtype = ctx.dtype(0)?;
    if !matches!(dtype, DType::F32 | DType::F64 | DType::C64 | DType::C128) {
        return Err(Error::type_error(format!(
            "Value passed to parameter '{}' has DataType {dtype} not in list of allowed values: float64, float32, complex64, complex128",
            names[0]
        )));
    }
    for (i, name) in names.iter().enumerate().skip(1) {
        ctx.same_dtype(op.type_name(), 0, i, (names[0], name))?;
    }
    Ok(dtype)
}

/// `TridiagonalMatMul`: the output has `rhs`'s shape.
pub(super) fn infer_matmul(op: &MatrixOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(4)?;
    let dtype = tridiagonal_dtype(op, ctx, &["superdiag", "maindiag", "subdiag", "rhs"])?;
    let dims = (0..4)
        .map(|i| matrices(op, ctx, i))
        .collect::<Result<Vec<_>>>()?;
    let rhs_shape = ctx.shape(3)?.clone();
    if let Some(rhs) = &dims[3] {
        for diag in dims[..3].iter().flatten() {
            merge_shapes(op, ctx, &diag[..diag.len() - 2], &rhs[..rhs.len() - 2])?;
        }
    }
    if let (Some(main), Some(sup)) = (&dims[1], &dims[0]) {
        merge_shapes(op, ctx, sup, main)?;
    }
    if let (Some(main), Some(sub)) = (&dims[1], &dims[2]) {
        merge_shapes(op, ctx, sub, main)?;
    }
    let main = dims[..3].iter().flatten().next();
    if let Some(main) = main {
        let m = main[main.len() - 1];
        if let Some(rhs) = &dims[3] {
            op.merge_dim(ctx, m, rhs[rhs.len() - 2])?;
        }
        with_value(op, ctx, main[main.len() - 2], 1)?;
    }
    Ok(smallvec![crate::graph::TensorMeta::new(dtype, rhs_shape)])
}

/// `TridiagonalSolve`: the output has `rhs`'s shape.
pub(super) fn infer_solve(op: &MatrixOp, ctx: &InferCtx<'_>) -> Result<Metas> {
    ctx.expect_inputs(2)?;
    let dtype = tridiagonal_dtype(op, ctx, &["diagonals", "rhs"])?;
    let lhs = matrices(op, ctx, 0)?;
    let rhs = matrices(op, ctx, 1)?;
    let rhs_shape = ctx.shape(1)?.clone();
    if let (Some(l), Some(r)) = (&lhs, &rhs) {
        merge_shapes(op, ctx, &l[..l.len() - 2], &r[..r.len() - 2])?;
        op.merge_dim(ctx, l[l.len() - 1], r[r.len() - 2])?;
    }
    if let Some(l) = &lhs {
        with_value(op, ctx, l[l.len() - 2], 3)?;
    }
    Ok(smallvec![crate::graph::TensorMeta::new(dtype, rhs_shape)])
}

// ===== kernels =====

/// The element types of the tridiagonal kernels: real and complex floats.
trait Field:
    Copy + Num + Neg<Output = Self> + AddAssign + SubAssign + MulAssign + DivAssign + Stored
{
    type Real: Float + AddAssign;
    fn magnitude(self) -> Self::Real;
    fn not_a_number() -> Self;
    fn from_real(r: Self::Real) -> Self;
    fn real_part(self) -> Self::Real;
}

macro_rules! real_field {
    ($t:ty) => {
        impl Field for $t {
            type Real = $t;
            fn magnitude(self) -> $t {
                self.abs()
            }
            fn not_a_number() -> $t {
                <$t>::NAN
            }
            fn from_real(r: $t) -> $t {
                r
            }
            fn real_part(self) -> $t {
                self
            }
        }
    };
}
real_field!(f32);
real_field!(f64);

macro_rules! complex_field {
    ($t:ty, $r:ty) => {
        impl Field for $t {
            type Real = $r;
            fn magnitude(self) -> $r {
                self.norm()
            }
            fn not_a_number() -> $t {
                <$t>::new(<$r>::NAN, <$r>::NAN)
            }
            fn from_real(r: $r) -> $t {
                <$t>::new(r, 0.0)
            }
            fn real_part(self) -> $r {
                self.re
            }
        }
    };
}
complex_field!(Complex32, f32);
complex_field!(Complex64, f64);

/// Runs `$body` with `$t` the element type of `$v` (a tridiagonal kernel's first input).
macro_rules! with_field {
    ($v:expr, $op:expr, |$t:ident| $body:expr) => {
        match $v {
            Value::F32(_) => {
                type $t = f32;
                $body
            }
            Value::F64(_) => {
                type $t = f64;
                $body
            }
            Value::C64(_) => {
                type $t = Complex32;
                $body
            }
            Value::C128(_) => {
                type $t = Complex64;
                $body
            }
            other => Err(Error::op_invalid(format!(
                "{} does not support {}",
                $op,
                other.dtype()
            ))),
        }
    };
}

fn elements<T: Field>(v: &Value) -> Result<Vec<T>> {
    T::unwrap_ref(v)
        .map(|a| a.iter().copied().collect())
        .ok_or_else(|| Error::op_invalid("tridiagonal operands must have one dtype"))
}

/// `(batch count, M, K)` of `rhs` `[..., M, K]`, checked against diagonals `[..., rows, M]`.
fn operand_dims(
    op_type: &str,
    diags: &[usize],
    rows: usize,
    rhs: &[usize],
) -> Result<(usize, usize, usize)> {
    let bad = || {
        Error::op_invalid(format!(
            "{op_type}: incompatible shapes: diagonals {} and rhs {}",
            Shape::known(diags).bracketed(),
            Shape::known(rhs).bracketed()
        ))
    };
    if diags.len() < 2 || rhs.len() < 2 || diags.len() != rhs.len() {
        return Err(bad());
    }
    let (d, r) = (diags.len(), rhs.len());
    if diags[..d - 2] != rhs[..r - 2] || diags[d - 2] != rows || diags[d - 1] != rhs[r - 2] {
        return Err(bad());
    }
    Ok((rhs[..r - 2].iter().product(), rhs[r - 2], rhs[r - 1]))
}

/// `out[i] = super[i] rhs[i+1] + main[i] rhs[i] + sub[i] rhs[i-1]`, row by row.
pub(super) fn matmul_kernel(inputs: &[&Value]) -> Result<Value> {
    let [sup, main, sub, rhs] = inputs else {
        return Err(Error::internal("TridiagonalMatMul takes 4 inputs"));
    };
    for d in [sup, sub] {
        operand_dims("TridiagonalMatMul", d.shape(), 1, rhs.shape())?;
    }
    let (count, m, k) = operand_dims("TridiagonalMatMul", main.shape(), 1, rhs.shape())?;
    let shape = rhs.shape();
    with_field!(*sup, "TridiagonalMatMul", |T| {
        let (sup, main, sub, rhs) = (
            elements::<T>(sup)?,
            elements::<T>(main)?,
            elements::<T>(sub)?,
            elements::<T>(rhs)?,
        );
        let mut out = vec![T::zero(); count * m * k];
        for b in 0..count {
            let (d, x) = (b * m, b * m * k);
            for i in 0..m {
                for j in 0..k {
                    let mut acc = main[d + i] * rhs[x + i * k + j];
                    if i > 0 {
                        acc += sub[d + i] * rhs[x + (i - 1) * k + j];
                    }
                    if i + 1 < m {
                        acc += sup[d + i] * rhs[x + (i + 1) * k + j];
                    }
                    out[x + i * k + j] = acc;
                }
            }
        }
        Value::from_vec(shape, out)
    })
}

pub(super) fn solve_kernel(
    diags: &Value,
    rhs: &Value,
    partial_pivoting: bool,
    perturb_singular: bool,
) -> Result<Value> {
    if perturb_singular && !partial_pivoting {
        return Err(Error::op_invalid(
            "Setting perturb_singular requires also setting partial_pivoting.",
        ));
    }
    if diags.dtype() != rhs.dtype() {
        return Err(Error::op_invalid(
            "TridiagonalSolve: diagonals and rhs must have one dtype",
        ));
    }
    let shape = diags.shape();
    if shape.len() >= 2 && shape[shape.len() - 2] != 3 {
        return Err(Error::op_invalid(format!(
            "Expected diagonals to be provided as a matrix with 3 rows, got {} rows.",
            shape[shape.len() - 2]
        )));
    }
    if shape.len() >= 2 && rhs.shape().len() >= 2 {
        let (m_left, m_right) = (shape[shape.len() - 1], rhs.shape()[rhs.shape().len() - 2]);
        if m_left != m_right {
            return Err(Error::op_invalid(format!(
                "Expected the same number of left-hand sides and right-hand sides, got {m_left} and {m_right}."
            )));
        }
    }
    let (count, m, k) = operand_dims("TridiagonalSolve", shape, 3, rhs.shape())?;
    with_field!(diags, "TridiagonalSolve", |T| {
        let (d, r) = (elements::<T>(diags)?, elements::<T>(rhs)?);
        let mut out = vec![T::zero(); count * m * k];
        for b in 0..count {
            let band = &d[b * 3 * m..(b + 1) * 3 * m];
            let (sup, main, sub) = (&band[..m], &band[m..2 * m], &band[2 * m..]);
            let system = System { sup, main, sub, k };
            let x = &mut out[b * m * k..(b + 1) * m * k];
            let rhs = &r[b * m * k..(b + 1) * m * k];
            if m == 0 {
                continue;
            }
            let solved = if perturb_singular {
                system.solve_perturbed(rhs, x);
                true
            } else if m == 1 {
                system.solve_scalar(rhs, x)
            } else if partial_pivoting {
                system.solve_pivoting(rhs, x)
            } else {
                system.solve_thomas(rhs, x)
            };
            if !solved {
                x.fill(T::not_a_number());
            }
        }
        Value::from_vec(rhs.shape(), out)
    })
}

/// One tridiagonal system with `k` right-hand sides (row-major `m × k`).
struct System<'a, T> {
    sup: &'a [T],
    main: &'a [T],
    sub: &'a [T],
    k: usize,
}

impl<T: Field> System<'_, T> {
    fn solve_scalar(&self, rhs: &[T], x: &mut [T]) -> bool {
        let d = self.main[0];
        if d == T::zero() {
            return false;
        }
        for (xi, ri) in x.iter_mut().zip(rhs) {
            *xi = *ri / d;
        }
        true
    }

    /// Gaussian elimination with partial pivoting (LAPACK's `gtsv`): `u` holds U's
    /// diagonal and two superdiagonals; rows of `x` hold the forward-substituted rhs.
    fn solve_pivoting(&self, rhs: &[T], x: &mut [T]) -> bool {
        let (n, k) = (self.main.len(), self.k);
        let mut u = vec![[T::zero(); 3]; n];
        u[0] = [self.main[0], self.sup[0], T::zero()];
        x[..k].copy_from_slice(&rhs[..k]);
        for i in 0..n - 1 {
            if u[i][0].magnitude() >= self.sub[i + 1].magnitude() {
                if u[i][0] == T::zero() {
                    return false;
                }
                self.eliminate(&mut u, x, rhs, i);
            } else {
                self.exchange(&mut u, x, rhs, i);
            }
        }
        if u[n - 1][0] == T::zero() {
            return false;
        }
        self.back_substitute(&u, x, |row, _, d| {
            for v in row.iter_mut() {
                *v /= d;
            }
        });
        true
    }

    /// One elimination step without a row exchange: row `i + 1` less `sub[i+1] / u[i][0]`
    /// times row `i`, in `u` (U's diagonal and two superdiagonals) and in `x`.
    fn eliminate(&self, u: &mut [[T; 3]], x: &mut [T], rhs: &[T], i: usize) {
        let k = self.k;
        let factor = self.sub[i + 1] / u[i][0];
        u[i + 1][0] = self.main[i + 1] - factor * u[i][1];
        u[i + 1][1] = self.sup[i + 1];
        u[i][2] = T::zero();
        for j in 0..k {
            x[(i + 1) * k + j] = rhs[(i + 1) * k + j] - factor * x[i * k + j];
        }
    }

    /// One elimination step with rows `i` and `i + 1` exchanged first (partial pivoting).
    fn exchange(&self, u: &mut [[T; 3]], x: &mut [T], rhs: &[T], i: usize) {
        let (n, k) = (self.main.len(), self.k);
        let factor = u[i][0] / self.sub[i + 1];
        u[i][0] = self.sub[i + 1];
        u[i + 1][0] = u[i][1] - factor * self.main[i + 1];
        u[i][1] = self.main[i + 1];
        if i + 2 < n {
            u[i][2] = self.sup[i + 1];
            u[i + 1][1] = -(factor * self.sup[i + 1]);
        }
        for j in 0..k {
            let above = x[i * k + j];
            x[(i + 1) * k + j] = above - factor * rhs[(i + 1) * k + j];
            x[i * k + j] = rhs[(i + 1) * k + j];
        }
    }

    /// Solves `U x = z` upwards, `z` in `x`; `divide(row, i, pivot)` finishes row `i`.
    fn back_substitute(
        &self,
        u: &[[T; 3]],
        x: &mut [T],
        mut divide: impl FnMut(&mut [T], usize, T),
    ) {
        let (n, k) = (self.main.len(), self.k);
        let mut row = vec![T::zero(); k];
        for i in (0..n).rev() {
            for j in 0..k {
                let mut v = x[i * k + j];
                if i + 1 < n {
                    v -= u[i][1] * x[(i + 1) * k + j];
                }
                if i + 2 < n {
                    v -= u[i][2] * x[(i + 2) * k + j];
                }
                row[j] = v;
            }
            divide(&mut row, i, u[i][0]);
            x[i * k..(i + 1) * k].copy_from_slice(&row);
        }
    }

    /// The Thomas algorithm: elimination without row exchanges.
    fn solve_thomas(&self, rhs: &[T], x: &mut [T]) -> bool {
        let (n, k) = (self.main.len(), self.k);
        let (sup, main, sub) = (self.sup, self.main, self.sub);
        if main[0] == T::zero() {
            return false;
        }
        let mut u = vec![T::zero(); n];
        u[0] = sup[0] / main[0];
        for j in 0..k {
            x[j] = rhs[j] / main[0];
        }
        for i in 1..n {
            let denom = main[i] - sub[i] * u[i - 1];
            if denom == T::zero() {
                return false;
            }
            u[i] = sup[i] / denom;
            for j in 0..k {
                x[i * k + j] = (rhs[i * k + j] - sub[i] * x[(i - 1) * k + j]) / denom;
            }
        }
        for i in (0..n - 1).rev() {
            for j in 0..k {
                x[i * k + j] -= u[i] * x[(i + 1) * k + j];
            }
        }
        true
    }

    /// Elimination with partial pivoting by scaled magnitudes (LAPACK's `lagtf`), then
    /// back substitution perturbing pivots too small to divide by (`lagts`): for nearly
    /// singular systems, as in inverse iteration for eigenvectors.
    fn solve_perturbed(&self, rhs: &[T], x: &mut [T]) {
        let (n, k) = (self.main.len(), self.k);
        let (sup, main, sub) = (self.sup, self.main, self.sub);
        let eps = T::Real::epsilon();
        if n == 1 {
            let mut row = rhs[..k].to_vec();
            let mut pivot = main[0];
            perturb_pivot(eps * pivot.magnitude(), &mut pivot, &mut row);
            for (xi, v) in x.iter_mut().zip(row) {
                *xi = v * (T::one() / pivot);
            }
            return;
        }
        let mut u = vec![[T::zero(); 3]; n];
        u[0] = [main[0], sup[0], T::zero()];
        let mut max_abs_u = u[0][0].magnitude().max(u[0][1].magnitude());
        let mut scale1 = u[0][0].magnitude() + u[0][1].magnitude();
        x[..k].copy_from_slice(&rhs[..k]);
        for i in 0..n - 1 {
            u[i + 1][0] = main[i + 1];
            let mut scale2 = sub[i + 1].magnitude() + u[i + 1][0].magnitude();
            if i < n - 2 {
                scale2 += sup[i + 1].magnitude();
            }
            if sub[i + 1] == T::zero() {
                scale1 = scale2;
                u[i + 1][1] = sup[i + 1];
                u[i][2] = T::zero();
                x[(i + 1) * k..(i + 2) * k].copy_from_slice(&rhs[(i + 1) * k..(i + 2) * k]);
            } else {
                let piv1 = if u[i][0] == T::zero() {
                    T::Real::zero()
                } else {
                    u[i][0].magnitude() / scale1
                };
                let piv2 = sub[i + 1].magnitude() / scale2;
                if piv2 <= piv1 {
                    scale1 = scale2;
                    self.eliminate(&mut u, x, rhs, i);
                } else {
                    self.exchange(&mut u, x, rhs, i);
                }
            }
            if i < n - 2 {
                for v in u[i] {
                    max_abs_u = max_abs_u.max(v.magnitude());
                }
            }
        }
        max_abs_u = max_abs_u.max(u[n - 1][0].magnitude());
        let tol = eps * max_abs_u;
        self.back_substitute(&u, x, |row, i, pivot| {
            let mut pivot = pivot;
            // The last row's tolerance keeps its sign; the others take their pivot's.
            let t = if i == n - 1 {
                tol
            } else {
                copysign(tol, pivot.real_part())
            };
            perturb_pivot(t, &mut pivot, row);
            let inverse = T::one() / pivot;
            for v in row.iter_mut() {
                *v *= inverse;
            }
        });
    }
}

fn copysign<R: Float>(magnitude: R, sign: R) -> R {
    if sign.is_sign_negative() {
        -magnitude.abs()
    } else {
        magnitude.abs()
    }
}

/// LAPACK `lagts`' treatment of a pivot below one: pushed away from zero by `perturb`
/// (doubling) until neither `1 / pivot` nor `row / pivot` overflows, or scaled up with
/// the row when it is merely tiny.
fn perturb_pivot<T: Field>(perturb: T::Real, pivot: &mut T, row: &mut [T]) {
    let one = T::Real::one();
    let safemin = T::Real::min_positive_value();
    let bignum = one / safemin;
    let mut abs_pivot = pivot.magnitude();
    if abs_pivot >= one {
        return;
    }
    let mut perturb = copysign(perturb.abs().max(safemin), pivot.real_part());
    let max_factor = row
        .iter()
        .map(|v| v.magnitude())
        .fold(T::Real::zero(), |a, b| a.max(b));
    loop {
        if abs_pivot >= one {
            return;
        }
        if abs_pivot < safemin {
            if abs_pivot == T::Real::zero() || max_factor * safemin > abs_pivot {
                *pivot += T::from_real(perturb);
                perturb = perturb + perturb;
            } else {
                *pivot *= T::from_real(bignum);
                for v in row.iter_mut() {
                    *v *= T::from_real(bignum);
                }
                return;
            }
        } else if max_factor > abs_pivot * bignum {
            *pivot += T::from_real(perturb);
            perturb = perturb + perturb;
        } else {
            return;
        }
        abs_pivot = pivot.magnitude();
    }
}

// ===== gradients =====

type GradOut = Result<Vec<Option<Grad>>>;

fn int_vector(values: &[i64]) -> Input {
    Input::constant("", Value::int_vector(DType::I32, values))
}

/// `x[..., a:b]` along the last axis (`from_end` 1) or `x[..., a:b, :]` (`from_end` 2),
/// `b` `None` for the end; `x[..., i, :]` with `pick`.
fn slice_axis(g: &Graph, x: Tensor, from_end: usize, range: SliceRange) -> Result<Tensor> {
    let (begin, end, end_mask, shrink) = match range {
        SliceRange::From(a) => (a, 0, 1, 0),
        SliceRange::UpTo(b) => (0, b, 0, 0),
        SliceRange::Pick(i) => (i, i + 1, 0, 1),
    };
    // Spec: [ellipsis, this axis, (the last axis, whole)].
    let (mut b, mut e, mut s) = (vec![0, begin], vec![0, end], vec![1, 1]);
    let mut masks = index::Masks {
        ellipsis: 1,
        end: end_mask << 1,
        shrink: shrink << 1,
        ..index::Masks::default()
    };
    if from_end == 2 {
        b.push(0);
        e.push(0);
        s.push(1);
        masks.begin |= 1 << 2;
        masks.end |= 1 << 2;
    }
    index::strided_slice(g, x, int_vector(&b), int_vector(&e), int_vector(&s), masks)
}

#[derive(Clone, Copy)]
enum SliceRange {
    From(i64),
    UpTo(i64),
    Pick(i64),
}

/// `x` moved one place along axis `-from_end`, a zero filling the vacated end: towards the
/// start (`x[..., 1:]` then a zero) or towards the end (a zero then `x[..., :-1]`).
/// TF's `_LeftShift`/`_RightShift` (and the zero concatenations of its tridiagonal
/// helpers), with the paddings built at run time when the rank is unknown.
fn shift(g: &Graph, x: Tensor, from_end: usize, to_start: bool) -> Result<Tensor> {
    let (range, edge) = if to_start {
        (SliceRange::From(1), [0, 1])
    } else {
        (SliceRange::UpTo(-1), [1, 0])
    };
    let cut = slice_axis(g, x, from_end, range)?;
    let tail: Vec<[i64; 2]> = (0..from_end)
        .map(|k| if k == 0 { edge } else { [0, 0] })
        .collect();
    if let Some(rank) = g.shape(x)?.rank() {
        let mut paddings = vec![[0, 0]; rank - from_end];
        paddings.extend(tail);
        return array::pad_const(g, cut, &paddings);
    }
    let rank = array::rank(g, x)?;
    let lead = binary::sub(
        g,
        rank,
        source::const_value(g, Value::scalar(from_end as i32), None)?,
    )?;
    let dims = array::stack(
        g,
        &[lead, source::const_value(g, Value::scalar(2i32), None)?],
        0,
    )?;
    let zeros = array::fill(g, dims, source::const_value(g, Value::scalar(0i32), None)?)?;
    let flat: Vec<i32> = tail.iter().flatten().map(|&v| v as i32).collect();
    let tail = source::const_value(g, Value::from_vec(&[from_end, 2], flat)?, None)?;
    let paddings = array::concat(g, &[zeros, tail], 0)?;
    array::pad(g, cut, paddings)
}

/// TF's `matrix_transpose(x, conjugate=True)`.
fn adjoint(g: &Graph, x: Tensor) -> Result<Tensor> {
    let t = super::matrix::matrix_transpose_scoped(g, x, "matrix_transpose")?;
    complex::conj(g, t)
}

/// TF's `_TridiagonalMatMulGrad`.
pub(super) fn matmul_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let grad = ctx.grad(grads, 0)?;
    let sup = adjoint(g, ctx.input(0)?)?;
    let main = adjoint(g, ctx.input(1)?)?;
    let sub = adjoint(g, ctx.input(2)?)?;
    let rhs = complex::conj(g, ctx.input(3)?)?;
    let sum_rows = |t: Tensor| reduce::sum(g, t, &[-1], false);
    let sup_grad = sum_rows(binary::mul(g, shift(g, rhs, 2, true)?, grad)?)?;
    let main_grad = sum_rows(binary::mul(g, rhs, grad)?)?;
    let sub_grad = sum_rows(binary::mul(g, shift(g, rhs, 2, false)?, grad)?)?;
    let rhs_grad = binary::add(
        g,
        binary::add(
            g,
            shift(g, binary::mul(g, sup, grad)?, 2, false)?,
            binary::mul(g, main, grad)?,
        )?,
        shift(g, binary::mul(g, sub, grad)?, 2, true)?,
    )?;
    let rows = |t: Tensor| array::expand_dims(g, t, -2).map(|t| Some(Grad::Dense(t)));
    Ok(vec![
        rows(sup_grad)?,
        rows(main_grad)?,
        rows(sub_grad)?,
        Some(Grad::Dense(rhs_grad)),
    ])
}

/// TF's `_TridiagonalSolveGrad`: the rhs gradient solves the transposed system; the
/// diagonals' is minus the three diagonals of `grad_rhs · xᵀ`.
pub(super) fn solve_grad(ctx: &GradCtx<'_>, grads: &[Option<Grad>]) -> GradOut {
    let g = ctx.graph;
    let MatrixOp::TridiagonalSolve {
        partial_pivoting,
        perturb_singular,
    } = super::matrix::op_of(ctx)?
    else {
        return Err(Error::internal("tridiagonal solve_grad on another op"));
    };
    let (diags, x) = (ctx.input(0)?, ctx.output(0));
    let grad = ctx.grad(grads, 0)?;
    let transposed = transpose_diagonals(g, diags)?;
    let grad_rhs = tridiagonal_solve(g, transposed, grad, partial_pivoting, perturb_singular)?;
    let three = three_diagonals_of_product(g, grad_rhs, x)?;
    Ok(vec![
        Some(Grad::Dense(unary::neg(g, three)?)),
        Some(Grad::Dense(grad_rhs)),
    ])
}

/// TF's `_TransposeTridiagonalMatrix`: the subdiagonal moves up, the superdiagonal down.
fn transpose_diagonals(g: &Graph, diags: Tensor) -> Result<Tensor> {
    let main = slice_axis(g, diags, 2, SliceRange::Pick(1))?;
    let sup = shift(g, slice_axis(g, diags, 2, SliceRange::Pick(2))?, 1, true)?;
    let sub = shift(g, slice_axis(g, diags, 2, SliceRange::Pick(0))?, 1, false)?;
    array::stack(g, &[sup, main, sub], -2)
}

/// TF's `_MatmulExtractingThreeDiagonals(x, y_tr)`: the three diagonals of `x · y_trᵀ`
/// in compact form, in O(MK).
fn three_diagonals_of_product(g: &Graph, x: Tensor, y_tr: Tensor) -> Result<Tensor> {
    let sum_rows = |t: Tensor| reduce::sum(g, t, &[-1], false);
    let main = sum_rows(binary::mul(g, x, y_tr)?)?;
    let sup = sum_rows(binary::mul(g, x, shift(g, y_tr, 2, true)?)?)?;
    let sub = sum_rows(binary::mul(g, x, shift(g, y_tr, 2, false)?)?)?;
    array::stack(g, &[sup, main, sub], -2)
}

// ===== builders =====

/// `TridiagonalSolve(diagonals, rhs)`.
pub fn tridiagonal_solve(
    g: &Graph,
    diagonals: Tensor,
    rhs: Tensor,
    partial_pivoting: bool,
    perturb_singular: bool,
) -> Result<Tensor> {
    let op = MatrixOp::TridiagonalSolve {
        partial_pivoting,
        perturb_singular,
    };
    g.add1(
        super::OpKind::Matrix(op),
        &[diagonals, rhs],
        Some("TridiagonalSolve"),
    )
}

/// `TridiagonalMatMul(superdiag, maindiag, subdiag, rhs)`.
pub fn tridiagonal_matmul(
    g: &Graph,
    superdiag: Tensor,
    maindiag: Tensor,
    subdiag: Tensor,
    rhs: Tensor,
) -> Result<Tensor> {
    g.add1(
        super::OpKind::Matrix(MatrixOp::TridiagonalMatMul),
        &[superdiag, maindiag, subdiag, rhs],
        Some("TridiagonalMatMul"),
    )
}
