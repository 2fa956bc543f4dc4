//! Scalar special functions behind the `special` op family, all in f64 (float32 kernels
//! round the f64 result once). The algorithms are the classical ones TF's kernels (Eigen,
//! after Cephes) use — recurrences, series, continued fractions, asymptotic expansions — and
//! the edge cases (poles, domain edges, NaN and infinities) follow what TF 2.21 returns.
//! `lgamma` and `erfc` come from `libm` (a port of musl's, the C library functions Eigen
//! calls for these two).

use std::f64::consts::{PI, SQRT_2};

const EPS: f64 = f64::EPSILON;
/// sqrt(2 pi)
const SQRT_2PI: f64 = 2.506_628_274_631_000_5;

pub fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
}

pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}

/// Round half to even (`rint` under the default rounding mode); the result keeps x's sign
/// (`rint(-0.5)` is -0).
pub fn rint(x: f64) -> f64 {
    let r = x.round();
    let r = if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    };
    r.copysign(x)
}

/// psi(x) = d/dx lgamma(x). NaN at the poles (0, -1, -2, ...) and at -inf, as TF.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    let (mut x, reflection) = if x < 0.0 {
        // psi(x) = psi(1 - x) - pi / tan(pi x); tan has period 1, so reduce first.
        let frac = x - x.floor();
        (1.0 - x, -PI / (PI * frac).tan())
    } else {
        (x, 0.0)
    };
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    // ln x - 1/(2x) - sum B_2k / (2k x^2k), through B_14.
    let z = 1.0 / (x * x);
    let tail = z
        * (1.0 / 12.0
            - z * (1.0 / 120.0
                - z * (1.0 / 252.0
                    - z * (1.0 / 240.0 - z * (1.0 / 132.0 - z * (691.0 / 32760.0 - z / 12.0))))));
    x.ln() - 0.5 / x - tail + shift + reflection
}

/// Euler-Maclaurin coefficients (2k)! / B_2k for the Hurwitz zeta tail.
const ZETA_EM: [f64; 12] = [
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.892_437_580_318_379_2e9,
    7.472_424_96e10,
    -2.950_130_727_918_164e12,
    1.164_678_281_435_006_7e14,
    -4.597_978_722_407_473e15,
    1.815_210_540_194_354_7e17,
    -7.166_165_256_175_667e18,
];

/// Hurwitz zeta: sum over k >= 0 of (k + q)^-x, for x > 1.
pub fn zeta(x: f64, q: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x < 1.0 {
        return f64::NAN;
    }
    if q <= 0.0 {
        if q == q.floor() {
            // A pole of every term with k = -q: infinite for even integer x, else undefined.
            let even = x == x.floor() && (x / 2.0).fract() == 0.0;
            return if even { f64::INFINITY } else { f64::NAN };
        }
        if x != x.floor() {
            return f64::NAN; // a negative base to a fractional power
        }
    }
    if q == f64::INFINITY {
        return 0.0;
    }
    let mut s = q.powf(-x);
    let mut a = q;
    let mut b = 0.0;
    let mut i = 0;
    while i < 9 || a <= 9.0 {
        i += 1;
        a += 1.0;
        b = a.powf(-x);
        s += b;
        if (b / s).abs() < EPS {
            return s;
        }
    }
    let w = a;
    s += b * w / (x - 1.0);
    s -= 0.5 * b;
    let mut fact = 1.0;
    let mut k = 0.0;
    for coef in ZETA_EM {
        fact *= x + k;
        b /= w;
        let t = fact * b / coef;
        s += t;
        if (t / s).abs() < EPS {
            break;
        }
        k += 1.0;
        fact *= x + k;
        b /= w;
        k += 1.0;
    }
    s
}

/// The n-th derivative of digamma, for integer n >= 0 (NaN otherwise, as TF).
pub fn polygamma(n: f64, x: f64) -> f64 {
    if n.is_nan() || x.is_nan() || n < 0.0 || n != n.floor() {
        return f64::NAN;
    }
    if n == 0.0 {
        return digamma(x);
    }
    // psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)
    let sign = if (n / 2.0).fract() == 0.0 { -1.0 } else { 1.0 };
    sign * lgamma(n + 1.0).exp() * zeta(n + 1.0, x)
}

/// The standard normal quantile: x with Phi(x) = p.
pub fn ndtri(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // 1 - p is exact here, and the lower half is where the refinement is accurate.
        return -ndtri_lower(1.0 - p);
    }
    ndtri_lower(p)
}

/// `ndtri` on (0, 0.5]: a rational first guess (relative error ~1e-9), then two Halley steps
/// on `Phi(x) - p` with `Phi(x) = erfc(-x / sqrt 2) / 2`, which is accurate in the tail.
fn ndtri_lower(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let horner = |cs: &[f64], t: f64| cs.iter().fold(0.0, |acc, c| acc * t + c);
    let mut x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        horner(&C, q) / (horner(&D, q) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        horner(&A, r) * q / (horner(&B, r) * r + 1.0)
    };
    for _ in 0..2 {
        let pdf = (-0.5 * x * x).exp() / SQRT_2PI;
        if pdf <= 0.0 {
            break;
        }
        let u = (0.5 * erfc(-x / SQRT_2) - p) / pdf;
        x -= u / (1.0 + 0.5 * x * u);
    }
    x
}

/// The inverse error function, as TF computes it in double: `ndtri((y + 1) / 2) / sqrt 2`.
pub fn erfinv(y: f64) -> f64 {
    ndtri((y + 1.0) * 0.5) / SQRT_2
}

/// `x * log(y)`, 0 where x is 0 (whatever y is), as TF's `Xlogy`.
pub fn xlogy(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

/// `x * log1p(y)`, 0 where x is 0.
pub fn xlog1py(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x * y.ln_1p()
    }
}

/// `x / y`, 0 where x is 0.
pub fn xdivy(x: f64, y: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x / y
    }
}

/// A number and its derivative with respect to one parameter (forward-mode), so that one
/// series or continued fraction gives both `P(a, x)` and `dP/da` (TF's `IgammaGradA`
/// differentiates the same iterations).
#[derive(Clone, Copy, Debug)]
struct Dual {
    v: f64,
    d: f64,
}

impl Dual {
    fn c(v: f64) -> Dual {
        Dual { v, d: 0.0 }
    }
    fn add(self, o: Dual) -> Dual {
        Dual {
            v: self.v + o.v,
            d: self.d + o.d,
        }
    }
    fn sub(self, o: Dual) -> Dual {
        Dual {
            v: self.v - o.v,
            d: self.d - o.d,
        }
    }
    fn mul(self, o: Dual) -> Dual {
        Dual {
            v: self.v * o.v,
            d: self.d * o.v + self.v * o.d,
        }
    }
    fn div(self, o: Dual) -> Dual {
        Dual {
            v: self.v / o.v,
            d: (self.d * o.v - self.v * o.d) / (o.v * o.v),
        }
    }
    fn scale(self, k: f64) -> Dual {
        Dual {
            v: self.v * k,
            d: self.d * k,
        }
    }
    fn exp(self) -> Dual {
        let e = self.v.exp();
        Dual {
            v: e,
            d: self.d * e,
        }
    }
    fn lgamma(self) -> Dual {
        Dual {
            v: lgamma(self.v),
            d: if self.d == 0.0 {
                0.0
            } else {
                self.d * digamma(self.v)
            },
        }
    }
    /// Both parts of `step` are negligible next to those of `total`.
    fn converged(step: Dual, total: Dual) -> bool {
        step.v.abs() <= EPS * total.v.abs() && step.d.abs() <= EPS * total.d.abs()
    }
}

const MAX_ITERATIONS: usize = 10_000;

/// `P(a, x)` by its power series (good for x < a + 1):
/// `x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))`.
fn igamma_series(a: Dual, x: f64) -> Dual {
    let log_front = a
        .scale(x.ln())
        .sub(Dual::c(x))
        .sub(a.add(Dual::c(1.0)).lgamma());
    let mut r = a;
    let mut term = Dual::c(1.0);
    let mut sum = Dual::c(1.0);
    for _ in 0..MAX_ITERATIONS {
        r = r.add(Dual::c(1.0));
        term = term.mul(Dual::c(x)).div(r);
        sum = sum.add(term);
        if Dual::converged(term, sum) {
            break;
        }
    }
    sum.mul(log_front.exp())
}

/// `Q(a, x) = 1 - P(a, x)` by its continued fraction (good for x > a + 1), evaluated by the
/// three-term recurrence of its convergents, rescaled when they grow large.
fn igammac_fraction(a: Dual, x: f64) -> Dual {
    const BIG: f64 = 4.503_599_627_370_496e15;
    let log_front = a.scale(x.ln()).sub(Dual::c(x)).sub(a.lgamma());
    let one = Dual::c(1.0);
    let mut y = one.sub(a);
    let mut z = y.add(Dual::c(x + 1.0));
    let mut c = 0.0;
    let (mut pkm2, mut qkm2) = (one, Dual::c(x));
    let (mut pkm1, mut qkm1) = (Dual::c(x + 1.0), z.scale(x));
    let mut ans = pkm1.div(qkm1);
    for _ in 0..MAX_ITERATIONS {
        c += 1.0;
        y = y.add(one);
        z = z.add(Dual::c(2.0));
        let yc = y.scale(c);
        let pk = pkm1.mul(z).sub(pkm2.mul(yc));
        let qk = qkm1.mul(z).sub(qkm2.mul(yc));
        let mut done = false;
        if qk.v != 0.0 {
            let r = pk.div(qk);
            done = Dual::converged(ans.sub(r), r);
            ans = r;
        }
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;
        if pk.v.abs() > BIG {
            let s = 1.0 / BIG;
            pkm2 = pkm2.scale(s);
            pkm1 = pkm1.scale(s);
            qkm2 = qkm2.scale(s);
            qkm1 = qkm1.scale(s);
        }
        if done {
            break;
        }
    }
    ans.mul(log_front.exp())
}

/// `Some(value)` for the arguments where P(a, x) is fixed by its domain edges, as TF:
/// NaN for a <= 0 or x < 0, 0 at x = 0, 1 at x = inf.
fn igamma_edge(a: f64, x: f64) -> Option<f64> {
    if a.is_nan() || x.is_nan() || a <= 0.0 || x < 0.0 {
        Some(f64::NAN)
    } else if x == 0.0 {
        Some(0.0)
    } else if x == f64::INFINITY {
        Some(1.0)
    } else {
        None
    }
}

/// The regularized lower incomplete gamma function P(a, x).
pub fn igamma(a: f64, x: f64) -> f64 {
    if let Some(v) = igamma_edge(a, x) {
        return v;
    }
    if x > 1.0 && x > a {
        1.0 - igammac_fraction(Dual::c(a), x).v
    } else {
        igamma_series(Dual::c(a), x).v
    }
}

/// The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x).
pub fn igammac(a: f64, x: f64) -> f64 {
    if let Some(v) = igamma_edge(a, x) {
        return if v.is_nan() { v } else { 1.0 - v };
    }
    if x < 1.0 || x < a {
        1.0 - igamma_series(Dual::c(a), x).v
    } else {
        igammac_fraction(Dual::c(a), x).v
    }
}

/// dP(a, x)/da (TF's `IgammaGradA`).
pub fn igamma_grad_a(a: f64, x: f64) -> f64 {
    if let Some(v) = igamma_edge(a, x) {
        return if v.is_nan() { v } else { 0.0 };
    }
    let a = Dual { v: a, d: 1.0 };
    if x > 1.0 && x > a.v {
        -igammac_fraction(a, x).d
    } else {
        igamma_series(a, x).d
    }
}

/// The regularized incomplete beta function I_x(a, b): NaN outside a, b > 0 and
/// 0 <= x <= 1, as TF.
pub fn betainc(a: f64, b: f64, x: f64) -> f64 {
    if a.is_nan() || b.is_nan() || x.is_nan() || a <= 0.0 || b <= 0.0 || !(0.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    let log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * x.ln() + b * (-x).ln_1p();
    // The fraction converges fast on the side of the mean; the other side by symmetry.
    if x < (a + 1.0) / (a + b + 2.0) {
        log_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - log_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of I_x(a, b), by the modified Lentz method.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let nonzero = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < EPS {
            break;
        }
    }
    h
}
