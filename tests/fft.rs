//! The Fourier transforms through the public Rust API: `FFT`/`IFFT` against a direct
//! O(n²) DFT for power-of-two and other lengths (Bluestein), round trips through
//! `RFFT`/`IRFFT`, and the complex transforms' gradient.

mod common;

use common::{konst, op};
use symgrad::exec::Session;
use symgrad::value::Complex64;
use symgrad::{Attrs, DType, Graph, Value};

fn signal(n: usize) -> Vec<Complex64> {
    (0..n)
        .map(|k| {
            Complex64::new(
                (k as f64 * 0.7).sin() + 0.1 * k as f64,
                (k as f64 * 1.3).cos(),
            )
        })
        .collect()
}

fn direct_dft(x: &[Complex64], inverse: bool) -> Vec<Complex64> {
    let n = x.len();
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n)
        .map(|k| {
            let sum: Complex64 = x
                .iter()
                .enumerate()
                .map(|(j, &v)| {
                    let angle = sign * 2.0 * std::f64::consts::PI * (j * k % n) as f64 / n as f64;
                    v * Complex64::from_polar(1.0, angle)
                })
                .sum();
            if inverse {
                sum / n as f64
            } else {
                sum
            }
        })
        .collect()
}

#[test]
fn fft_and_ifft_match_the_direct_dft_for_any_length() {
    for n in [1usize, 2, 3, 5, 8, 12, 17, 64, 100] {
        let x = signal(n);
        for (name, inverse) in [("FFT", false), ("IFFT", true)] {
            let g = Graph::new();
            let input = konst(&g, Value::from_vec(&[n], x.clone()).expect("value"));
            let y = op(&g, name, &[input], Attrs::new()).expect("op");
            assert_eq!(g.dtype(y).expect("dtype"), DType::C128);
            let out = Session::new(&g).run(&[y], &[]).expect("run").remove(0);
            let got = out.as_array::<Complex64>().expect("c128");
            for (k, want) in direct_dft(&x, inverse).iter().enumerate() {
                assert!(
                    (got[[k]] - want).norm() < 1e-9 * n as f64,
                    "{name} n={n} k={k}"
                );
            }
        }
    }
}

#[test]
fn rfft_then_irfft_gives_the_signal_back() {
    for n in [4usize, 7, 10] {
        let g = Graph::new();
        let xs: Vec<f64> = (0..2 * n).map(|k| (k as f64 * 0.37).sin()).collect();
        let x = konst(&g, Value::from_vec(&[2, n], xs.clone()).expect("x"));
        let len = konst(&g, Value::from_vec(&[1], vec![n as i32]).expect("len"));
        let spectrum = op(&g, "RFFT", &[x, len], Attrs::new()).expect("rfft");
        assert_eq!(
            g.shape(spectrum).expect("shape").dims().map(|d| d.to_vec()),
            Some(vec![Some(2), Some(n / 2 + 1)])
        );
        let back = op(&g, "IRFFT", &[spectrum, len], Attrs::new()).expect("irfft");
        let out = Session::new(&g).run(&[back], &[]).expect("run").remove(0);
        let got = out.as_array::<f64>().expect("f64");
        for (a, b) in got.iter().zip(&xs) {
            assert!((a - b).abs() < 1e-12, "n={n}: {a} vs {b}");
        }
    }
}

#[test]
fn fft_of_a_real_tensor_is_refused() {
    let g = Graph::new();
    let x = konst(&g, Value::from_vec(&[2], vec![1.0f32, 2.0]).expect("x"));
    let err = op(&g, "FFT", &[x], Attrs::new()).expect_err("real input");
    assert!(err.to_string().contains("complex64, complex128"), "{err}");
}
