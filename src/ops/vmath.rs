//! Vectorised float32 transcendental functions and the runtime SIMD dispatch the
//! elementwise loops run under.
//!
//! libm's `sinf`/`expf`/... are scalar calls, so a loop over them cannot use vector
//! registers. Here each function is a branch-free range reduction plus a polynomial
//! (Cephes' reductions and minimax coefficients), written so that LLVM vectorises the loop
//! over a block; `simd` compiles that loop for the CPU's widest instruction set (AVX2 on
//! x86-64-v3 machines, the SSE2 baseline elsewhere). Inputs outside each function's
//! well-behaved range (NaN, infinities, overflow, subnormal results, huge arguments of
//! sin/cos) are recomputed per element with libm afterwards, so special values behave as
//! before and every element's result depends on that element alone, whatever block it
//! falls in. No fused multiply-add is used: results are the same on every dispatch path.

use pulp::{Arch, Simd, WithSimd};
use std::sync::OnceLock;

/// Elements per block: inputs and outputs of a block stay in L1.
pub const BLOCK: usize = 256;

fn arch() -> Arch {
    static ARCH: OnceLock<Arch> = OnceLock::new();
    *ARCH.get_or_init(Arch::new)
}

struct Run<F>(F);

impl<R, F: FnOnce() -> R> WithSimd for Run<F> {
    type Output = R;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) -> R {
        (self.0)()
    }
}

/// Runs `f` compiled for the best instruction set this CPU offers. Only code inlined into
/// the dispatched function benefits, so callers mark the closure `#[inline(always)]` (a
/// closure with a loop is otherwise compiled on its own, for the baseline CPU), and the
/// loops and element functions it calls are `inline(always)` too.
#[inline(always)]
pub fn simd<R>(f: impl FnOnce() -> R) -> R {
    arch().dispatch(Run(f))
}

/// 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, which then
/// sits in the low mantissa bits (no `round`/`floor` call, which SSE2 lacks).
const ROUNDER: f32 = 12_582_912.0;

/// `v` rounded to the nearest integer, as a float and as an integer.
#[inline(always)]
fn round_int(v: f32) -> (f32, i32) {
    let t = v + ROUNDER;
    (
        t - ROUNDER,
        (t.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32),
    )
}

/// 2^k for k in [-126, 127].
#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32).wrapping_shl(23))
}

#[inline(always)]
fn flip_sign(v: f32, flip: bool) -> f32 {
    f32::from_bits(v.to_bits() ^ ((flip as u32) << 31))
}

/// exp for x in [-87, 88.7] (normal, finite results).
#[inline(always)]
fn exp_core(x: f32) -> f32 {
    let (n, ni) = round_int(x * std::f32::consts::LOG2_E);
    // ln 2 in two parts: n * 0.693359375 is exact for |n| < 2^15.
    let r = x - n * 0.693_359_4 + n * 2.1219444e-4;
    let z = r * r;
    let p = ((((1.9875691e-4 * r + 0.0013981999) * r + 0.008333452) * r + 0.041665796) * r
        + 0.16666666)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    // 2^n in two factors: n reaches 128, beyond one factor's exponent range.
    let h = ni >> 1;
    y * pow2i(h) * pow2i(ni.wrapping_sub(h))
}

#[inline(always)]
fn exp_ok(x: f32) -> bool {
    (-87.0..=88.7).contains(&x)
}

/// sin and cos of |x| <= SIN_COS_MAX, reduced by the nearest multiple of pi/2 in f64
/// (float32 Cody-Waite loses ulps to cancellation near multiples of pi beyond a few
/// thousand).
const SIN_COS_MAX: f32 = 1.0e6;

/// (sin(r), cos(r)) for |r| <= pi/4.
#[inline(always)]
fn sin_cos_poly(r: f32) -> (f32, f32) {
    let z = r * r;
    let s = ((-1.9515296e-4 * z + 0.008332161) * z - 0.16666655) * z * r + r;
    let c = ((2.4433157e-5 * z - 0.0013887316) * z + 0.041666646) * z * z - 0.5 * z + 1.0;
    (s, c)
}

/// (quadrant, r) with |x| = quadrant * pi/2 + r. pi/2's leading part has 33 bits, so its
/// product with a quadrant below 2^20 is exact.
#[inline(always)]
fn reduce_half_pi(ax: f32) -> (i32, f32) {
    const ROUNDER64: f64 = 6_755_399_441_055_744.0; // 1.5 * 2^52
    const HALF_PI_HI: f64 = 1.570_796_326_734_125_6;
    const HALF_PI_LO: f64 = 6.077_100_506_506_192e-11;
    let x = ax as f64;
    let t = x * std::f64::consts::FRAC_2_PI + ROUNDER64;
    let q = t - ROUNDER64;
    let qi = (t.to_bits() as i64).wrapping_sub(ROUNDER64.to_bits() as i64) as i32;
    let r = (x - q * HALF_PI_HI) - q * HALF_PI_LO;
    (qi, r as f32)
}

#[inline(always)]
fn sin_core(x: f32) -> f32 {
    let (q, r) = reduce_half_pi(x.abs());
    let (s, c) = sin_cos_poly(r);
    let v = if q & 1 != 0 { c } else { s };
    flip_sign(v, (q & 2 != 0) != x.is_sign_negative())
}

#[inline(always)]
fn cos_core(x: f32) -> f32 {
    let (q, r) = reduce_half_pi(x.abs());
    let (s, c) = sin_cos_poly(r);
    let v = if q & 1 != 0 { s } else { c };
    flip_sign(v, q.wrapping_add(1) & 2 != 0)
}

#[inline(always)]
fn sin_cos_ok(x: f32) -> bool {
    x.abs() <= SIN_COS_MAX
}

#[inline(always)]
fn tanh_core(x: f32) -> f32 {
    // Past 9.5, tanh rounds to 1 in float32.
    let ax = x.abs().min(9.5);
    let z = ax * ax;
    let small = ((((-0.0057049887 * z + 0.02063909) * z - 0.053739715) * z + 0.13331442) * z
        - 0.3333328)
        * z
        * ax
        + ax;
    let large = 1.0 - 2.0 / (exp_core(ax + ax) + 1.0);
    // The sign goes on last, so that tanh(-0) is -0.
    flip_sign(if ax < 0.625 { small } else { large }, x.is_sign_negative())
}

#[inline(always)]
fn finite(x: f32) -> bool {
    x.abs() <= f32::MAX
}

/// log for positive normal finite x.
#[inline(always)]
fn log_core(x: f32) -> f32 {
    let bits = x.to_bits();
    // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
    let m0 = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000); // [0.5, 1)
    let e0 = ((bits >> 23) as i32).wrapping_sub(126);
    let low = m0 < std::f32::consts::FRAC_1_SQRT_2;
    let e = (e0 - low as i32) as f32;
    let m = if low { m0 + m0 - 1.0 } else { m0 - 1.0 };
    let z = m * m;
    let p = (((((((0.070376836 * m - 0.1151461) * m + 0.11676999) * m - 0.12420141) * m
        + 0.14249323)
        * m
        - 0.16668057)
        * m
        + 0.20000714)
        * m
        - 0.24999994)
        * m
        + 0.3333333;
    let y = p * m * z - 2.1219444e-4 * e - 0.5 * z;
    (m + y) + 0.693_359_4 * e
}

#[inline(always)]
fn log_ok(x: f32) -> bool {
    (f32::MIN_POSITIVE..=f32::MAX).contains(&x)
}

#[inline(always)]
fn sigmoid_core(x: f32) -> f32 {
    let e = exp_core(-x.abs());
    if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

#[inline(always)]
fn sigmoid_ok(x: f32) -> bool {
    x.abs() <= 80.0
}

/// The libm-based sigmoid the scalar kernel uses, for inputs outside the fast range.
fn sigmoid_exact(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The float32 functions computed here rather than by libm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum F32Fn {
    Exp,
    Log,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
}

/// Elements per inner step: one AVX2 register. The loops below go a fixed-size array at a
/// time (the tail padded), so that even a 16-element tensor runs in vector registers;
/// LLVM's own loop vectoriser unrolls by four registers and leaves shorter loops scalar.
pub const LANES: usize = 8;

/// `x[at..at + len]` (len <= LANES) in an array, padded with zeros.
#[inline(always)]
pub fn load(x: &[f32], at: usize, len: usize) -> [f32; LANES] {
    let mut v = [0f32; LANES];
    match x.get(at..at + LANES) {
        Some(full) if len == LANES => v.copy_from_slice(full),
        _ => {
            if let Some(part) = x.get(at..at + len) {
                v[..len].copy_from_slice(part);
            }
        }
    }
    v
}

/// `x[at..at + len] = v[..len]`.
#[inline(always)]
pub fn store(x: &mut [f32], at: usize, len: usize, v: &[f32; LANES]) {
    match x.get_mut(at..at + LANES) {
        Some(full) if len == LANES => full.copy_from_slice(v),
        _ => {
            if let Some(part) = x.get_mut(at..at + len) {
                part.copy_from_slice(&v[..len]);
            }
        }
    }
}

/// Elements the plain loops take before the lane arrays finish the tail: a multiple of
/// what LLVM's vectorised loop body handles per iteration (four registers).
#[inline(always)]
pub fn bulk(n: usize) -> usize {
    n / (4 * LANES) * (4 * LANES)
}

/// `dst[i] = f(src[i])`: a plain (loop-vectorised) loop over the bulk, then a lane array
/// at a time.
#[inline(always)]
pub fn map_lanes(src: &[f32], dst: &mut [f32], f: impl Fn(f32) -> f32) {
    let n = src.len().min(dst.len());
    let mut at = bulk(n);
    for (d, &x) in dst[..at].iter_mut().zip(&src[..at]) {
        *d = f(x);
    }
    while at < n {
        let len = LANES.min(n - at);
        let x = load(src, at, len);
        store(dst, at, len, &x.map(&f));
        at += len;
    }
}

/// `dst[i] = fast(src[i])`, then libm's value where `ok` rejects the input.
#[inline(always)]
fn block_with(
    src: &[f32],
    dst: &mut [f32],
    fast: impl Fn(f32) -> f32,
    ok: impl Fn(f32) -> bool,
    exact: impl Fn(f32) -> f32,
) {
    map_lanes(src, dst, fast);
    // A non-short-circuiting fold, so the check vectorises too.
    if !src.iter().fold(true, |all, &x| all & ok(x)) {
        for (d, &x) in dst.iter_mut().zip(src) {
            if !ok(x) {
                *d = exact(x);
            }
        }
    }
}

impl F32Fn {
    /// `dst[i] = self(src[i])`; the slices have one length and do not overlap.
    #[inline(always)]
    pub fn block(self, src: &[f32], dst: &mut [f32]) {
        match self {
            F32Fn::Exp => block_with(src, dst, exp_core, exp_ok, f32::exp),
            F32Fn::Log => block_with(src, dst, log_core, log_ok, f32::ln),
            F32Fn::Sin => block_with(src, dst, sin_core, sin_cos_ok, f32::sin),
            F32Fn::Cos => block_with(src, dst, cos_core, sin_cos_ok, f32::cos),
            F32Fn::Tanh => block_with(src, dst, tanh_core, finite, f32::tanh),
            F32Fn::Sigmoid => block_with(src, dst, sigmoid_core, sigmoid_ok, sigmoid_exact),
        }
    }

    /// `xs[i] = self(xs[i])`, a block at a time through a copy on the stack.
    #[inline(always)]
    pub fn in_place(self, xs: &mut [f32]) {
        let mut src = [0f32; BLOCK];
        for chunk in xs.chunks_mut(BLOCK) {
            let src = &mut src[..chunk.len()];
            src.copy_from_slice(chunk);
            self.block(src, chunk);
        }
    }

    /// One element (tests and odd layouts).
    pub fn scalar(self, x: f32) -> f32 {
        let mut out = [0f32];
        self.block(&[x], &mut out);
        out[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in float32 ulps between `got` and the f64 reference, so a correctly
    /// rounded result scores at most 0.5.
    fn ulps(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if (got as f64) == want {
            return 0.0;
        }
        let w = want as f32;
        if w.is_infinite() {
            return if got == w { 0.0 } else { f64::INFINITY };
        }
        // The ulp of float32 at the reference's magnitude (subnormal spacing at the bottom).
        let a = (want.abs() as f32).max(f32::MIN_POSITIVE);
        let ulp = (f32::from_bits(a.to_bits() + 1) - a) as f64;
        ((got as f64) - want).abs() / ulp
    }

    /// Max ulp error of `f` against `reference` over every `step`-th float32 bit pattern
    /// in [lo, hi] (both signs when `lo` is 0).
    fn sweep(f: F32Fn, reference: fn(f64) -> f64, lo: f32, hi: f32, step: u32) -> (f64, f32) {
        let mut worst = (0.0, 0.0f32);
        let (mut b, end) = (lo.to_bits(), hi.to_bits());
        let mut xs = Vec::new();
        while b <= end {
            let x = f32::from_bits(b);
            xs.push(x);
            xs.push(-x);
            b += step;
        }
        let mut out = vec![0f32; xs.len()];
        for (s, d) in xs.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            simd(
                #[inline(always)]
                || f.block(s, d),
            );
        }
        for (&x, &y) in xs.iter().zip(&out) {
            let e = ulps(y, reference(x as f64));
            if e > worst.0 {
                worst = (e, x);
            }
        }
        worst
    }

    fn sigmoid64(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    #[test]
    fn max_ulp_errors_over_dense_sweeps() {
        // (function, reference, range, bound in ulps)
        type Case = (F32Fn, fn(f64) -> f64, f32, f32, f64);
        let cases: [Case; 6] = [
            (F32Fn::Exp, f64::exp, 0.0, 100.0, 1.5),
            (F32Fn::Log, f64::ln, 0.0, f32::MAX, 1.5),
            (F32Fn::Sin, f64::sin, 0.0, 3e6, 2.0),
            (F32Fn::Cos, f64::cos, 0.0, 3e6, 2.0),
            (F32Fn::Tanh, f64::tanh, 0.0, 30.0, 2.0),
            (F32Fn::Sigmoid, sigmoid64, 0.0, 120.0, 2.5),
        ];
        for (f, reference, lo, hi, bound) in cases {
            let (err, at) = sweep(f, reference, lo, hi, 1009);
            eprintln!("{f:?}: {err:.2} ulps at {at:e}");
            assert!(err <= bound, "{f:?}: {err} ulps at {at:e} (bound {bound})");
        }
    }

    #[test]
    fn near_zero_and_reduction_boundaries() {
        for (f, reference) in [
            (F32Fn::Sin, f64::sin as fn(f64) -> f64),
            (F32Fn::Cos, f64::cos),
            (F32Fn::Tanh, f64::tanh),
        ] {
            let (err, at) = sweep(f, reference, 1e-30, 4.0, 263);
            eprintln!("{f:?} near 0: {err:.2} ulps at {at:e}");
            assert!(err <= 3.0, "{f:?}: {err} ulps at {at:e}");
        }
        let (err, at) = sweep(F32Fn::Log, f64::ln, 0.5, 2.0, 7);
        eprintln!("Log on [0.5, 2]: {err:.2} ulps at {at:e}");
        assert!(err <= 2.0, "log: {err} ulps at {at:e}");
        let (err, at) = sweep(F32Fn::Exp, f64::exp, 1e-10, 1.0, 101);
        eprintln!("Exp on [-1, 1]: {err:.2} ulps at {at:e}");
        assert!(err <= 2.0, "exp: {err} ulps at {at:e}");
    }

    #[test]
    fn special_values() {
        let inf = f32::INFINITY;
        let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        let cases: [(F32Fn, f32, f32); 24] = [
            (F32Fn::Exp, f32::NAN, f32::NAN),
            (F32Fn::Exp, inf, inf),
            (F32Fn::Exp, -inf, 0.0),
            (F32Fn::Exp, 89.0, inf),
            (F32Fn::Exp, -0.0, 1.0),
            (F32Fn::Exp, -104.0, 0.0),
            (F32Fn::Log, 0.0, -inf),
            (F32Fn::Log, -0.0, -inf),
            (F32Fn::Log, -1.0, f32::NAN),
            (F32Fn::Log, inf, inf),
            (F32Fn::Log, 1.0, 0.0),
            (F32Fn::Sin, -0.0, -0.0),
            (F32Fn::Sin, 0.0, 0.0),
            (F32Fn::Sin, inf, f32::NAN),
            (F32Fn::Sin, f32::NAN, f32::NAN),
            (F32Fn::Cos, -inf, f32::NAN),
            (F32Fn::Cos, 0.0, 1.0),
            (F32Fn::Tanh, -0.0, -0.0),
            (F32Fn::Tanh, inf, 1.0),
            (F32Fn::Tanh, -inf, -1.0),
            (F32Fn::Tanh, f32::NAN, f32::NAN),
            (F32Fn::Sigmoid, -inf, 0.0),
            (F32Fn::Sigmoid, inf, 1.0),
            (F32Fn::Sigmoid, 0.0, 0.5),
        ];
        for (f, x, want) in cases {
            let got = f.scalar(x);
            assert!(same(got, want), "{f:?}({x}) = {got}, want {want}");
        }
        // Subnormal inputs and results go through libm.
        let tiny = f32::from_bits(1);
        assert_eq!(F32Fn::Log.scalar(tiny), tiny.ln());
        assert_eq!(F32Fn::Exp.scalar(-100.0), (-100f32).exp());
        assert!(F32Fn::Exp.scalar(-100.0) > 0.0);
        assert_eq!(F32Fn::Sin.scalar(1e30), 1e30f32.sin());
    }

    #[test]
    fn an_element_does_not_depend_on_its_block() {
        // A special value in the block sends only itself to libm.
        let xs: Vec<f32> = (0..BLOCK).map(|i| i as f32 * 0.01).collect();
        let mut mixed = xs.clone();
        mixed[7] = f32::NAN;
        let (mut a, mut b) = (vec![0f32; BLOCK], vec![0f32; BLOCK]);
        F32Fn::Sin.block(&xs, &mut a);
        F32Fn::Sin.block(&mixed, &mut b);
        for i in (0..BLOCK).filter(|&i| i != 7) {
            assert_eq!(a[i].to_bits(), b[i].to_bits());
        }
        assert!(b[7].is_nan());
    }
}
