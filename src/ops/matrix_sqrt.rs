//! `MatrixSquareRoot`: the principal square root of each real square matrix (the root whose
//! eigenvalues have positive real parts), the kernel of TF's `linalg.sqrtm`.
//!
//! Triangular matrices (diagonal ones included) take the Björck–Hammarling recurrence, the
//! method TF's Eigen kernel applies to the Schur form; symmetric ones their
//! eigendecomposition (so singular covariance matrices work); others the product form of
//! the Denman–Beavers iteration with determinant scaling (Higham, *Functions of Matrices*,
//! §6.3), which converges quadratically to the same root. Where the principal real root does
//! not exist (a negative eigenvalue) the result is all NaN, as TF's; so is it for a singular
//! matrix that is neither triangular nor symmetric, where the iteration cannot invert (TF's
//! Schur method gives the root). Computed in f64, rounded once for float32 and float16.
//!
//! The gradient is TF's `_MatrixSquareRootGrad` (a Sylvester equation solved through its
//! Kronecker form), built in Python (`linalg.py`) as TF builds it.

use super::matrix::{identity, lu, lu_solve, symmetric_eigen, transposed};
use crate::error::{Error, Result};
use crate::value::Value;

/// The square roots of `x`'s matrices (`[..., n, n]`), in `x`'s dtype.
pub(super) fn sqrtm_kernel(x: &Value) -> Result<Value> {
    let shape = x.shape().to_vec();
    if shape.len() < 2 || shape[shape.len() - 1] != shape[shape.len() - 2] {
        return Err(Error::op_invalid(format!(
            "Input matrix must be square, got shape {shape:?}"
        )));
    }
    let n = shape[shape.len() - 1];
    let data = x.to_f64_vec();
    let mut out = Vec::with_capacity(data.len());
    if n > 0 {
        for matrix in data.chunks(n * n) {
            out.extend(principal_sqrt(matrix, n));
        }
    }
    Ok(Value::from_vec(&shape, out)?.cast(x.dtype()))
}

/// The principal square root of the row-major `n × n` matrix `a`; all NaN where it fails
/// (TF's kernel transforms its Schur form back, which spreads a NaN over the matrix).
fn principal_sqrt(a: &[f64], n: usize) -> Vec<f64> {
    let lower_zero = (0..n).all(|i| (0..i).all(|j| a[i * n + j] == 0.0));
    let upper_zero = (0..n).all(|i| (i + 1..n).all(|j| a[i * n + j] == 0.0));
    let symmetric = (0..n).all(|i| (0..i).all(|j| a[i * n + j] == a[j * n + i]));
    let root = if lower_zero {
        Some(triangular_sqrt(a, n))
    } else if upper_zero {
        // sqrt(L) = sqrt(Lᵀ)ᵀ.
        Some(transposed(&triangular_sqrt(&transposed(a, n), n), n))
    } else if symmetric {
        symmetric_sqrt(a, n)
    } else {
        denman_beavers(a, n)
    };
    match root {
        Some(r) if r.iter().all(|v| !v.is_nan()) => r,
        _ => vec![f64::NAN; n * n],
    }
}

/// `V diag(√λ) Vᵀ` for a symmetric `a = V diag(λ) Vᵀ` (singular ones included); `None`
/// for a negative eigenvalue (beyond rounding), which has no real root.
fn symmetric_sqrt(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let (values, vectors) = symmetric_eigen(a, n);
    let scale = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let floor = -(n as f64) * f64::EPSILON * scale;
    let roots = values
        .iter()
        .map(|&l| (l >= floor).then(|| l.max(0.0).sqrt()))
        .collect::<Option<Vec<f64>>>()?;
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = (0..n)
                .map(|k| vectors[i * n + k] * roots[k] * vectors[j * n + k])
                .sum();
        }
    }
    Some(out)
}

/// The square root of an upper triangular matrix: `r_ii = √t_ii`,
/// `r_ij = (t_ij - Σ_{i<k<j} r_ik r_kj) / (r_ii + r_jj)`, by superdiagonals.
fn triangular_sqrt(t: &[f64], n: usize) -> Vec<f64> {
    let mut r = vec![0.0; n * n];
    for i in 0..n {
        r[i * n + i] = t[i * n + i].sqrt();
    }
    for d in 1..n {
        for i in 0..n - d {
            let j = i + d;
            let inner: f64 = (i + 1..j).map(|k| r[i * n + k] * r[k * n + j]).sum();
            let numerator = t[i * n + j] - inner;
            let denominator = r[i * n + i] + r[j * n + j];
            r[i * n + j] = if numerator == 0.0 {
                // A zero block stays zero even beside a zero pair of roots.
                0.0
            } else {
                numerator / denominator
            };
        }
    }
    r
}

fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..n {
                c[i * n + j] += aik * b[k * n + j];
            }
        }
    }
    c
}

/// `(M⁻¹, det M)`, `None` when `M` is singular.
fn inverse_and_det(m: &[f64], n: usize) -> Option<(Vec<f64>, f64)> {
    let mut factors = m.to_vec();
    let (perm, sign) = lu(&mut factors, n);
    let det = (0..n).fold(sign, |d, i| d * factors[i * n + i]);
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    Some((lu_solve(&factors, &perm, n, &identity(n), n), det))
}

/// The product-form Denman–Beavers iteration: `M₀ = Y₀ = A`,
/// `Y ← ½ μ Y (I + μ⁻² M⁻¹)`, `M ← ½ (I + (μ² M + μ⁻² M⁻¹) / 2)`, with the scaling
/// `μ = |det M|^(-1/2n)` while `M` is far from `I`; `Y → A^½`, `M → I`.
fn denman_beavers(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut y = a.to_vec();
    let tol = 4.0 * (n as f64) * f64::EPSILON;
    let mut previous = f64::INFINITY;
    for _ in 0..100 {
        let (inv, det) = inverse_and_det(&m, n)?;
        let distance: f64 = distance_to_identity(&m, n);
        let mu = if distance > 1e-2 {
            det.abs().powf(-1.0 / (2.0 * n as f64))
        } else {
            1.0
        };
        let (mu2, inv_mu2) = (mu * mu, 1.0 / (mu * mu));
        let mut factor = inv.iter().map(|v| v * inv_mu2).collect::<Vec<_>>();
        for i in 0..n {
            factor[i * n + i] += 1.0;
        }
        y = matmul(&y, &factor, n)
            .into_iter()
            .map(|v| 0.5 * mu * v)
            .collect();
        for (k, (mk, ik)) in m.iter_mut().zip(&inv).enumerate() {
            let identity = if k % (n + 1) == 0 { 1.0 } else { 0.0 };
            *mk = 0.5 * (identity + 0.5 * (mu2 * *mk + inv_mu2 * ik));
        }
        let now = distance_to_identity(&m, n);
        if !now.is_finite() {
            return None;
        }
        // Converged: at rounding level, or no longer shrinking once close.
        if now <= tol || (now < 1e-8 && now >= previous) {
            return Some(y);
        }
        previous = now;
    }
    None
}

/// `‖M - I‖₁` (the largest column sum).
fn distance_to_identity(m: &[f64], n: usize) -> f64 {
    (0..n)
        .map(|j| {
            (0..n)
                .map(|i| (m[i * n + j] - if i == j { 1.0 } else { 0.0 }).abs())
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
}
