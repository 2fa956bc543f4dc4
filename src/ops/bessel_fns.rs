//! Bessel functions of orders 0 and 1 in f64, behind `BesselI0`..`BesselY1` (float32 and
//! float16 kernels round the f64 result once).
//!
//! Each function uses, by the size of its argument, a method whose error is near f64's
//! rounding there:
//! - small arguments: the power series (A&S 9.1.10-11 and 9.6.10-11), whose terms fall at
//!   once and barely cancel;
//! - `J`, `Y` between 2 and 25: Miller's backward recurrence for `J_n`, normalised by
//!   `J0 + 2 sum J_2k = 1`, with `Y0` and `Y1` from the Neumann series over the same `J_n`
//!   (A&S 9.1.88-89);
//! - `K` between 2 and 25: `K_nu(x) e^x = int_0^inf exp(-2x sinh^2(t/2)) cosh(nu t) dt` by the
//!   trapezoidal rule, which converges geometrically for this analytic, doubly-exponentially
//!   decaying integrand;
//! - large arguments: the Hankel asymptotic expansions (A&S 9.2.5-6, 9.7.1-2), summed until
//!   their terms fall below f64's precision (they do long before they start to grow, for
//!   x >= 20 or 25).
//!
//! Domains and edges follow TF 2.21 (Eigen's kernels): `K` is +inf and `Y` -inf at 0 and
//! for negative arguments; `K` is 0 at +inf; `I`, `J` and `Y` are NaN at infinities (Eigen
//! multiplies a scaled 0 by `exp(inf)`, or reduces an infinite phase); the scaled `I` are 0
//! there.

use std::f64::consts::{FRAC_2_PI, FRAC_PI_2, PI, SQRT_2};

const EPS: f64 = f64::EPSILON;
/// The Euler-Mascheroni constant.
pub(crate) const EULER: f64 = 0.577_215_664_901_532_9;
/// Beyond this the `I` functions use their asymptotic series.
const I_SERIES_MAX: f64 = 20.0;
/// Below this `J`, `Y` and `K` use their power series.
const SERIES_MAX: f64 = 2.0;
/// From this on `J`, `Y` and `K` use their asymptotic series.
const ASYMPTOTIC_MIN: f64 = 25.0;

/// The Hankel coefficients `a_k(nu) / x^k`, `a_k = prod_{j<=k} (4 nu^2 - (2j-1)^2) / (k! 8^k)`,
/// handed to `f(k, term)` until a term falls below `EPS` relative to the leading 1.
fn hankel_terms(nu: f64, x: f64, mut f: impl FnMut(usize, f64)) {
    let mu = 4.0 * nu * nu;
    let mut term = 1.0;
    f(0, term);
    for k in 1..200 {
        let odd = (2 * k - 1) as f64;
        let next = term * (mu - odd * odd) / (k as f64 * 8.0 * x);
        if next.abs() < EPS * 1e-2 || next.abs() > term.abs() {
            break;
        }
        term = next;
        f(k, term);
    }
}

/// `exp(-x) I_nu(x)` for large x > 0 (A&S 9.7.1: the Hankel terms with alternating signs).
fn i_scaled_asymptotic(nu: f64, x: f64) -> f64 {
    let mut sum = 0.0;
    hankel_terms(nu, x, |k, t| sum += if k % 2 == 0 { t } else { -t });
    sum / (2.0 * PI * x).sqrt()
}

/// `exp(x) K_nu(x)` for large x > 0 (A&S 9.7.2: the same terms, all added).
fn k_scaled_asymptotic(nu: f64, x: f64) -> f64 {
    let mut sum = 0.0;
    hankel_terms(nu, x, |_, t| sum += t);
    sum * (FRAC_PI_2 / x).sqrt()
}

/// `(P, Q)` of the Hankel expansion of `J_nu` and `Y_nu` for large x (A&S 9.2.5-10).
fn hankel_pq(nu: f64, x: f64) -> (f64, f64) {
    let (mut p, mut q) = (0.0, 0.0);
    hankel_terms(nu, x, |k, t| {
        let signed = if (k / 2) % 2 == 0 { t } else { -t };
        if k % 2 == 0 {
            p += signed;
        } else {
            q += signed;
        }
    });
    (p, q)
}

/// The power series `sum_k c_k (s q)^k / (k! (k + n)!)` with `c_k = weight(k)`, q = x^2/4 and
/// s = -1 for `J`/`Y`, +1 for `I`/`K`; summed until the terms no longer change the sum.
fn power_series(q: f64, sign: f64, n: usize, weight: impl Fn(usize) -> f64) -> f64 {
    // (s q)^k / (k! (k+n)!), 1 at k = 0 for n = 0 and 1.
    let mut power = 1.0;
    let mut sum = weight(0) * power;
    for k in 1..200 {
        power *= sign * q / (k as f64 * (k + n) as f64);
        let term = weight(k) * power;
        sum += term;
        if term.abs() <= EPS * 1e-2 * sum.abs() {
            break;
        }
    }
    sum
}

/// The harmonic number `H_k`.
fn harmonic(k: usize) -> f64 {
    (1..=k).map(|j| 1.0 / j as f64).sum()
}

/// `psi(k + 1) + psi(k + 2)` = `H_k + H_{k+1} - 2 gamma`.
fn psi_pair(k: usize) -> f64 {
    2.0 * harmonic(k) + 1.0 / (k + 1) as f64 - 2.0 * EULER
}

// ----- I: modified, first kind -----

/// `exp(-|x|) I0(x)`.
pub fn i0e(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return f64::NAN;
    }
    if ax == f64::INFINITY {
        return 0.0;
    }
    if ax > I_SERIES_MAX {
        return i_scaled_asymptotic(0.0, ax);
    }
    power_series(ax * ax / 4.0, 1.0, 0, |_| 1.0) * (-ax).exp()
}

/// `exp(-|x|) I1(x)` (odd in x).
pub fn i1e(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return f64::NAN;
    }
    let magnitude = if ax == f64::INFINITY {
        0.0
    } else if ax > I_SERIES_MAX {
        i_scaled_asymptotic(1.0, ax)
    } else {
        0.5 * ax * power_series(ax * ax / 4.0, 1.0, 1, |_| 1.0) * (-ax).exp()
    };
    // -0 gives +0, as TF's.
    if x < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

/// `scaled * exp(|x|)` in two halves, so that a representable result does not overflow
/// through `exp` alone.
fn unscale(scaled: f64, ax: f64) -> f64 {
    let half = (0.5 * ax).exp();
    scaled * half * half
}

/// `I0(x)`; NaN at +-inf, as TF's.
pub fn i0(x: f64) -> f64 {
    if x.is_infinite() {
        return f64::NAN;
    }
    unscale(i0e(x), x.abs())
}

/// `I1(x)` (odd in x); NaN at +-inf, as TF's.
pub fn i1(x: f64) -> f64 {
    if x.is_infinite() {
        return f64::NAN;
    }
    unscale(i1e(x), x.abs())
}

// ----- K: modified, second kind -----

/// `K0(x)` and `K1(x)` for 0 < x <= 2 (A&S 9.6.13 and 9.6.11 with n = 1).
fn k_series(x: f64) -> (f64, f64) {
    let q = x * x / 4.0;
    let log_half = (0.5 * x).ln();
    let i0 = power_series(q, 1.0, 0, |_| 1.0);
    let i1 = 0.5 * x * power_series(q, 1.0, 1, |_| 1.0);
    let k0 = -(log_half + EULER) * i0 + power_series(q, 1.0, 0, harmonic);
    let k1 = 1.0 / x + log_half * i1 - 0.25 * x * power_series(q, 1.0, 1, psi_pair);
    (k0, k1)
}

/// `exp(x) K_nu(x)` for 2 < x < 25 by the trapezoidal rule (see the module's comment).
/// The integrand is a bump of width about `1/sqrt(x)`; the rule's error falls like
/// `exp(-2 pi^2 width^2 / step^2)`, below f64's precision with a step of `0.45/sqrt(x)`.
fn k_scaled_quadrature(nu: f64, x: f64) -> f64 {
    let step = (0.45 / x.sqrt()).min(0.25);
    // The integrand at t = 0 counts half.
    let mut sum = 0.5;
    for k in 1..2000 {
        let t = k as f64 * step;
        let s = (0.5 * t).sinh();
        let decay = (-2.0 * x * s * s).exp();
        let term = decay * if nu == 0.0 { 1.0 } else { (nu * t).cosh() };
        sum += term;
        if term < EPS * 1e-3 * sum {
            break;
        }
    }
    sum * step
}

/// `exp(x) K_nu(x)` for x > 0, nu 0 or 1.
fn k_scaled(nu: f64, x: f64) -> f64 {
    if x <= SERIES_MAX {
        let (k0, k1) = k_series(x);
        (if nu == 0.0 { k0 } else { k1 }) * x.exp()
    } else if x < ASYMPTOTIC_MIN {
        k_scaled_quadrature(nu, x)
    } else {
        k_scaled_asymptotic(nu, x)
    }
}

/// `K_nu` at the edges of its domain, or `None` inside it.
fn k_edge(x: f64) -> Option<f64> {
    if x.is_nan() {
        Some(f64::NAN)
    } else if x <= 0.0 {
        Some(f64::INFINITY)
    } else if x == f64::INFINITY {
        Some(0.0)
    } else {
        None
    }
}

/// `exp(x) K0(x)`.
pub fn k0e(x: f64) -> f64 {
    k_edge(x).unwrap_or_else(|| k_scaled(0.0, x))
}

/// `exp(x) K1(x)`.
pub fn k1e(x: f64) -> f64 {
    k_edge(x).unwrap_or_else(|| k_scaled(1.0, x))
}

/// `K_nu(x)`: the series below 2, the scaled function times `exp(-x)` above.
fn k_plain(nu: f64, x: f64) -> f64 {
    k_edge(x).unwrap_or_else(|| {
        if x <= SERIES_MAX {
            let (k0, k1) = k_series(x);
            if nu == 0.0 {
                k0
            } else {
                k1
            }
        } else {
            k_scaled(nu, x) * (-x).exp()
        }
    })
}

/// `K0(x)`.
pub fn k0(x: f64) -> f64 {
    k_plain(0.0, x)
}

/// `K1(x)`.
pub fn k1(x: f64) -> f64 {
    k_plain(1.0, x)
}

// ----- J and Y: first and second kind -----

/// `J0, J1, Y0, Y1` at one x > 0.
struct Cylinder {
    j0: f64,
    j1: f64,
    y0: f64,
    y1: f64,
}

/// The power series for 0 < x <= 2 (A&S 9.1.10, 9.1.11, 9.1.13).
fn cylinder_series(x: f64) -> Cylinder {
    let q = x * x / 4.0;
    let log_term = (0.5 * x).ln() + EULER;
    let j0 = power_series(q, -1.0, 0, |_| 1.0);
    let j1 = 0.5 * x * power_series(q, -1.0, 1, |_| 1.0);
    let y0 = FRAC_2_PI * (log_term * j0 - power_series(q, -1.0, 0, harmonic));
    let y1 = -FRAC_2_PI / x + FRAC_2_PI * (0.5 * x).ln() * j1
        - 0.5 * x / PI * power_series(q, -1.0, 1, psi_pair);
    Cylinder { j0, j1, y0, y1 }
}

/// Miller's backward recurrence for 2 < x < 25, with the Neumann series for `Y`.
fn cylinder_recurrence(x: f64) -> Cylinder {
    // Started far enough above x, the start's error has died out by n = 1 (it falls like
    // J_n / Y_n on the way down): from x + 10 + 5 sqrt(x) on, the results agree with 40-digit
    // references to 2e-14 over 2 < x < 25 (tests/special_functions.rs, the Python suite).
    // Start there, from (0, tiny).
    let top = 2 * (((x + 10.0 + 5.0 * x.sqrt()) / 2.0).ceil() as usize);
    let (mut above, mut here) = (0.0, 1e-30);
    // norm = J0 + 2 sum J_2k; y0_sum = sum (-1)^k J_2k / k; y1_sum = sum (-1)^k (2k+1) /
    // (k (k+1)) J_2k+1, all in the recurrence's unnormalised scale.
    let (mut norm, mut y0_sum, mut y1_sum) = (0.0, 0.0, 0.0);
    let mut j1 = 0.0;
    for n in (1..=top).rev() {
        // here = J_n, above = J_{n+1}  ->  J_{n-1}
        // 2n / x divided each step: multiplying by a rounded 2 / x instead loses ~2 ulps.
        let below = 2.0 * n as f64 / x * here - above;
        above = here;
        here = below;
        let m = n - 1;
        if m == 1 {
            j1 = here;
        }
        if m % 2 == 0 && m > 0 {
            let k = m / 2;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            norm += 2.0 * here;
            y0_sum += sign * here / k as f64;
        } else if m % 2 == 1 && m > 1 {
            let k = (m - 1) / 2;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            y1_sum += sign * (2 * k + 1) as f64 / (k * (k + 1)) as f64 * here;
        }
        if here.abs() > 1e250 {
            for v in [
                &mut above,
                &mut here,
                &mut norm,
                &mut y0_sum,
                &mut y1_sum,
                &mut j1,
            ] {
                *v *= 1e-250;
            }
        }
    }
    norm += here;
    let (j0, j1) = (here / norm, j1 / norm);
    let log_term = (0.5 * x).ln() + EULER;
    let y0 = FRAC_2_PI * (log_term * j0 - 2.0 * y0_sum / norm);
    let y1 = FRAC_2_PI * (-j0 / x + (log_term - 1.0) * j1 - y1_sum / norm);
    Cylinder { j0, j1, y0, y1 }
}

/// The Hankel expansions for x >= 25. `cos(x - pi/4)` and friends are formed from `cos x`
/// and `sin x`, so a large x loses nothing to the subtraction.
fn cylinder_asymptotic(x: f64) -> Cylinder {
    let (s, c) = x.sin_cos();
    let scale = (FRAC_2_PI / x).sqrt();
    // nu = 0: chi = x - pi/4; nu = 1: chi = x - 3 pi/4.
    let (cos0, sin0) = ((c + s) / SQRT_2, (s - c) / SQRT_2);
    let (cos1, sin1) = ((s - c) / SQRT_2, -(s + c) / SQRT_2);
    let (p0, q0) = hankel_pq(0.0, x);
    let (p1, q1) = hankel_pq(1.0, x);
    Cylinder {
        j0: scale * (p0 * cos0 - q0 * sin0),
        y0: scale * (p0 * sin0 + q0 * cos0),
        j1: scale * (p1 * cos1 - q1 * sin1),
        y1: scale * (p1 * sin1 + q1 * cos1),
    }
}

/// The four functions at a finite x > 0.
fn cylinder(x: f64) -> Cylinder {
    if x <= SERIES_MAX {
        cylinder_series(x)
    } else if x < ASYMPTOTIC_MIN {
        cylinder_recurrence(x)
    } else {
        cylinder_asymptotic(x)
    }
}

/// `J0(x)` (even).
pub fn j0(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() || ax == f64::INFINITY {
        f64::NAN
    } else if ax == 0.0 {
        1.0
    } else {
        cylinder(ax).j0
    }
}

/// `J1(x)` (odd).
pub fn j1(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() || ax == f64::INFINITY {
        f64::NAN
    } else if ax == 0.0 {
        x
    } else {
        let j1 = cylinder(ax).j1;
        if x < 0.0 {
            -j1
        } else {
            j1
        }
    }
}

/// `Y` at the edges of its domain, or `None` inside it.
fn y_edge(x: f64) -> Option<f64> {
    if x.is_nan() || x == f64::INFINITY {
        Some(f64::NAN)
    } else if x <= 0.0 {
        Some(f64::NEG_INFINITY)
    } else {
        None
    }
}

/// `Y0(x)`.
pub fn y0(x: f64) -> f64 {
    y_edge(x).unwrap_or_else(|| cylinder(x).y0)
}

/// `Y1(x)`.
pub fn y1(x: f64) -> f64 {
    y_edge(x).unwrap_or_else(|| cylinder(x).y1)
}
