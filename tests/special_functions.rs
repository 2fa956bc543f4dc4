//! The scalar special functions behind `tf.math.special` (`symgrad::ops::bessel_fns`,
//! `symgrad::ops::integral_fns`): 40-digit references (computed with mpmath) on each side of
//! every change of method, identities, and TF's domain edges. The Python suite checks the
//! ops built on them (tests/python/test_special_functions.py).

// The references are written with all the digits they were computed to.
#![allow(clippy::excessive_precision)]

use std::f64::consts::PI;
use symgrad::ops::bessel_fns::{i0e, i1, i1e, j0, j1, k0, k0e, k1e, y0, y1};
use symgrad::ops::integral_fns::{dawsn, expint, fresnel_cos, fresnel_sin, spence};

/// (function, x, reference value)
type Case = (fn(f64) -> f64, f64, f64);

fn close(got: f64, want: f64, rtol: f64) {
    assert!(
        (got - want).abs() <= rtol * want.abs(),
        "{got} against {want}"
    );
}

/// 40-digit references (mpmath) on each side of every change of method.
#[test]
fn bessel_values_across_the_method_boundaries() {
    let cases: [Case; 12] = [
        (j0, 1.9, 0.281_818_559_374_385_55),
        (j0, 24.5, 0.023_697_433_734_067_9),
        (j0, 31.0, 0.051_208_145_304_542_25),
        (j1, 7.3, 0.082_570_430_493_257_84),
        (y0, 0.001, -4.471_416_611_375_923),
        (y0, 19.0, -0.109_519_691_385_341_48),
        (y1, 2.5, 0.145_918_137_966_785_8),
        (y1, 120.0, -0.071_874_473_209_149_54),
        (k0, 1.9, 0.128_845_979_276_047_49),
        (k1e, 24.5, 0.257_035_558_328_922_22),
        (k0e, 31.0, 0.224_210_137_419_274_9),
        (i1, 19.0, 16_007_373.785_836_995),
    ];
    for (f, x, want) in cases {
        close(f(x), want, 2e-14);
    }
}

#[test]
fn bessel_wronskians() {
    let mut x = 1e-3;
    while x < 1e3 {
        let w = j1(x) * y0(x) - j0(x) * y1(x);
        close(w * PI * x / 2.0, 1.0, 1e-13);
        if x < 700.0 {
            let w = i0e(x) * k1e(x) + i1e(x) * k0e(x);
            close(w * x, 1.0, 1e-13);
        }
        x *= 1.07;
    }
}

/// 40-digit references (mpmath), one per method.
#[test]
fn integral_values_against_references() {
    let cases: [Case; 9] = [
        (dawsn, 3.0, 0.178_271_030_610_558_29),
        (dawsn, -3.0, -0.178_271_030_610_558_29),
        (expint, 12.0, 14_959.532_666_397_529),
        (fresnel_cos, 4.2, 0.541_719_203_163_415_13),
        (fresnel_sin, 1.6, 0.638_887_683_509_380_83),
        (spence, 1.001, -0.000_999_750_111_048_541),
        (spence, 2.5, -1.147_380_660_375_570_8),
        (spence, 0.3, 0.889_377_624_286_038_7),
        (spence, 0.0, PI * PI / 6.0),
    ];
    for (f, x, want) in cases {
        close(f(x), want, 2e-14);
    }
}

#[test]
fn integral_domains_as_tf() {
    assert_eq!(expint(0.0), f64::NEG_INFINITY);
    assert!(expint(-1.0).is_nan() && expint(f64::INFINITY).is_nan());
    assert!(spence(-0.5).is_nan() && spence(f64::INFINITY).is_nan());
    assert_eq!(fresnel_cos(f64::NEG_INFINITY), -0.5);
    assert_eq!(dawsn(f64::NEG_INFINITY).to_bits(), 0.0_f64.to_bits());
}
