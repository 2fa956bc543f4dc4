//! Special integrals in f64 behind `Dawsn`, `Expint`, `FresnelCos`, `FresnelSin` and
//! `Spence` (float32 and float16 kernels round the f64 result once). Edges follow TF 2.21:
//! `Expint` is -inf at 0 and NaN below, `Spence` NaN below 0, the Fresnel integrals tend to
//! +-1/2.

use super::bessel_fns::EULER;
use num_complex::Complex64;
use std::f64::consts::{FRAC_PI_2, PI};

const EPS: f64 = f64::EPSILON;
/// 1 / sqrt(pi)
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

// ----- Dawson's integral -----

/// Dawson's integral `F(x) = exp(-x^2) int_0^x exp(t^2) dt` (odd).
///
/// Near 0 its Taylor series `sum (-2)^k x^(2k+1) / (2k+1)!!`; far out the asymptotic
/// `1/(2x) sum (2k-1)!! / (2x^2)^k`; between them Rybicki's sum
/// `F(x) = lim_{h->0} 1/sqrt(pi) sum_{n odd} exp(-(x - n h)^2) / n`, whose error with step h
/// is about `exp(-(pi / 2h)^2)`: below f64's precision at h = 0.2.
pub fn dawsn(x: f64) -> f64 {
    let ax = x.abs();
    let magnitude = if ax.is_nan() {
        return f64::NAN;
    } else if ax == f64::INFINITY {
        return 0.0;
    } else if ax < 0.2 {
        let x2 = ax * ax;
        let (mut term, mut sum) = (ax, ax);
        for k in 1..40 {
            term *= -2.0 * x2 / (2 * k + 1) as f64;
            sum += term;
            if term.abs() < EPS * 1e-2 * sum {
                break;
            }
        }
        sum
    } else if ax > 10.0 {
        let inv = 1.0 / (2.0 * ax * ax);
        let (mut term, mut sum) = (1.0, 1.0);
        for k in 1..60 {
            let next = term * (2 * k - 1) as f64 * inv;
            if next < EPS * 1e-2 || next > term {
                break;
            }
            term = next;
            sum += term;
        }
        sum / (2.0 * ax)
    } else {
        const H: f64 = 0.2;
        // Terms with |x - n h| > 6.5 are below exp(-42). From the odd n nearest x/h, each
        // term is the last times a ratio that itself changes by exp(-8h^2) a step:
        // three exponentials instead of one per term.
        let centre = {
            let n = (ax / H).round() as i64;
            n + 1 - n.rem_euclid(2)
        };
        let steps = (6.5 / (2.0 * H)).ceil() as i64;
        let d0 = ax - centre as f64 * H;
        let a0 = (-d0 * d0).exp();
        let decay = (-8.0 * H * H).exp();
        let mut sum = a0 / centre as f64;
        let (mut up, mut up_ratio) = (a0, (4.0 * H * d0 - 4.0 * H * H).exp());
        let (mut down, mut down_ratio) = (a0, (-4.0 * H * d0 - 4.0 * H * H).exp());
        for k in 1..=steps {
            up *= up_ratio;
            up_ratio *= decay;
            down *= down_ratio;
            down_ratio *= decay;
            sum += up / (centre + 2 * k) as f64 + down / (centre - 2 * k) as f64;
        }
        sum * FRAC_1_SQRT_PI
    };
    odd(x, magnitude)
}

/// `f(x)` of an odd function from `f(|x|)`; +0 at -0, as TF's kernels.
fn odd(x: f64, magnitude: f64) -> f64 {
    if x < 0.0 {
        -magnitude
    } else {
        magnitude
    }
}

// ----- the exponential integral -----

/// The exponential integral `Ei(x) = int_-inf^x exp(t) / t dt` for x > 0, as TF defines it:
/// `gamma + ln x + sum x^k / (k k!)` up to 40 (positive terms, no cancellation), the
/// asymptotic `exp(x)/x sum k! / x^k` beyond. -inf at 0; NaN below 0 and at +inf, as TF's
/// kernel returns.
pub fn expint(x: f64) -> f64 {
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || x < 0.0 || x == f64::INFINITY {
        return f64::NAN;
    }
    if x <= 40.0 {
        let (mut power, mut sum) = (1.0, 0.0);
        for k in 1..300 {
            power *= x / k as f64;
            let t = power / k as f64;
            sum += t;
            if t < EPS * 1e-2 * sum {
                break;
            }
        }
        return EULER + x.ln() + sum;
    }
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..100 {
        let next = term * k as f64 / x;
        if next < EPS * 1e-2 || next > term {
            break;
        }
        term = next;
        sum += term;
    }
    // exp(x) / x in two halves, so that a representable result does not overflow early.
    let half = (0.5 * x).exp();
    half * (half / x) * sum
}

// ----- the Fresnel integrals -----

/// `pi/2 x^2` reduced modulo 2 pi, exactly enough for large x: x^2 is split into its
/// rounded value and the rounding error, and the rounded value is reduced modulo 4 (an exact
/// operation) before multiplying by pi/2.
fn half_pi_square(x: f64) -> f64 {
    let square = x * x;
    let error = x.mul_add(x, -square);
    FRAC_PI_2 * ((square % 4.0) + error)
}

/// `(C(x), S(x))` for x >= 0.
fn fresnel(x: f64) -> (f64, f64) {
    if x == f64::INFINITY || x > 36974.0 {
        // Within f64's precision of the limit (the oscillation is below 1e-5 / x).
        return (0.5, 0.5);
    }
    let t = FRAC_PI_2 * x * x;
    if x < 1.5 {
        // C = sum (-1)^k t^2k x / ((2k)! (4k+1)), S = sum (-1)^k t^(2k+1) x / ((2k+1)! (4k+3)).
        let (mut power, mut c, mut s) = (x, 0.0, 0.0);
        for n in 0..100 {
            // power = t^n x / n! with the sign of (-1)^(n/2)
            let term = power / (2 * n + 1) as f64;
            if n % 2 == 0 {
                c += term;
            } else {
                s += term;
            }
            if term.abs() < EPS * 1e-2 * (c.abs() + s.abs()) {
                break;
            }
            power *= t / (n + 1) as f64;
            if n % 2 == 1 {
                power = -power;
            }
        }
        return (c, s);
    }
    // C + iS = (1 + i)/2 erf(z), z = sqrt(pi)/2 (1 - i) x, and erfc(z) by the continued
    // fraction exp(-z^2) z / sqrt(pi) / (z^2 + 1/2 - 1*2/4 / (z^2 + 5/2 - 3*4/4 / ...)),
    // where z^2 = -i t (modified Lentz, complex).
    const TINY: f64 = 1e-300;
    let z2 = Complex64::new(0.0, -t);
    let mut b = z2 + 0.5;
    let mut c = Complex64::new(1.0 / TINY, 0.0);
    let mut d = b.inv();
    let mut h = d;
    for n in 1..1000 {
        let a = -((2 * n - 1) * (2 * n)) as f64 / 4.0;
        b += 2.0;
        d = (d * a + b).inv();
        c = b + c.inv() * a;
        let step = c * d;
        h *= step;
        if (step - 1.0).norm() < EPS {
            break;
        }
    }
    let z = Complex64::new(x, -x) * (PI.sqrt() / 2.0);
    let phase = half_pi_square(x);
    // exp(-z^2) = exp(i t)
    let exp_minus_z2 = Complex64::new(phase.cos(), phase.sin());
    let erfc = exp_minus_z2 * z * h * FRAC_1_SQRT_PI;
    let cs = Complex64::new(0.5, 0.5) * (Complex64::new(1.0, 0.0) - erfc);
    (cs.re, cs.im)
}

/// `C(x) = int_0^x cos(pi t^2 / 2) dt` (odd).
pub fn fresnel_cos(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    odd(x, fresnel(x.abs()).0)
}

/// `S(x) = int_0^x sin(pi t^2 / 2) dt` (odd).
pub fn fresnel_sin(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    odd(x, fresnel(x.abs()).1)
}

// ----- Spence's function -----

/// Bernoulli numbers `B_2 .. B_22`.
const BERNOULLI: [f64; 11] = [
    1.0 / 6.0,
    -1.0 / 30.0,
    1.0 / 42.0,
    -1.0 / 30.0,
    5.0 / 66.0,
    -691.0 / 2730.0,
    7.0 / 6.0,
    -3617.0 / 510.0,
    43867.0 / 798.0,
    -174_611.0 / 330.0,
    854_513.0 / 138.0,
];

/// `Li2(z)` for `u = -ln(1 - z)` with |u| <= ln 2: `sum_n B_n u^(n+1) / (n+1)!` (B_1 = -1/2).
fn dilog_of_log(u: f64) -> f64 {
    let mut sum = u - u * u / 4.0;
    // u^(2k+1) / (2k+1)!
    let mut power = u;
    for (k, b) in BERNOULLI.iter().enumerate() {
        let n = 2 * k + 2;
        power *= u * u / ((n * (n + 1)) as f64);
        let term = b * power;
        sum += term;
        if term.abs() < EPS * 1e-2 * sum.abs() {
            break;
        }
    }
    sum
}

/// Spence's function as TF (Cephes) defines it: `int_1^x ln t / (1 - t) dt`, which is the
/// dilogarithm `Li2(1 - x)`; NaN below 0 and at +inf (TF's kernel). Each branch maps to `Li2` of an argument in
/// [-1, 1/2] through the reflection and inversion formulas, and forms `-ln(1 - z)` from x
/// directly, so the result keeps its relative precision near the zero at x = 1.
pub fn spence(x: f64) -> f64 {
    const PI2_6: f64 = PI * PI / 6.0;
    if x.is_nan() || x < 0.0 || x == f64::INFINITY {
        return f64::NAN;
    }
    if x == 0.0 {
        return PI2_6;
    }
    if x < 0.5 {
        // z = 1 - x in (1/2, 1): Li2(z) = pi^2/6 - ln z ln(1 - z) - Li2(1 - z)
        return PI2_6 - (1.0 - x).ln() * x.ln() - dilog_of_log(-(-x).ln_1p());
    }
    if x <= 2.0 {
        // z = 1 - x in [-1, 1/2]: -ln(1 - z) = -ln x
        return dilog_of_log(-x.ln());
    }
    // z = 1 - x < -1: Li2(z) = -pi^2/6 - ln^2(-z)/2 - Li2(1/z), 1/z = 1/(1-x) in (-1, 0),
    // and -ln(1 - 1/z) = -ln(x / (x - 1)).
    let log = (x - 1.0).ln();
    -PI2_6 - 0.5 * log * log - dilog_of_log(-(x / (x - 1.0)).ln())
}
