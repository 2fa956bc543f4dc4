//! Scale: a 100,000-input fan-in (one `AddN`, and a pairwise tree of adds) builds,
//! differentiates and runs without deep recursion and in memory linear in the graph (peak RSS
//! per op is printed as a figure and bounded); derivatives to 4th order of 100-op graphs match
//! their closed forms. `SYMGRAD_LONG_TESTS=1` raises the fan-in to 1,000,000.

mod common;

use common::{proc_status_bytes, reset_peak_rss};
use std::sync::Mutex;
use std::time::Instant;
use symgrad::exec::Session;
use symgrad::ops::{binary, control, reduce, source, unary};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Tensor, Value};

/// RSS figures are per process: the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn fan_in() -> usize {
    if std::env::var("SYMGRAD_LONG_TESTS").as_deref() == Ok("1") {
        1_000_000
    } else {
        100_000
    }
}

fn rss() -> (u64, u64) {
    (proc_status_bytes("VmRSS:"), proc_status_bytes("VmHWM:"))
}

fn grad1(g: &Graph, y: Tensor, x: Tensor) -> Tensor {
    let dx = gradients(g, &[y], &[x], &GradientOptions::default()).expect("gradients");
    symgrad::grad::densify(g, dx[0].expect("connected")).expect("dense")
}

/// Leaves `x * k_i` with k_i = i mod 7, summed by `combine`; checks d sum(y) / dx = sum(k).
fn fan_in_case(label: &str, combine: impl Fn(&Graph, Vec<Tensor>) -> Tensor) {
    let n = fan_in();
    let g = Graph::new();
    let (rss0, _) = rss();
    reset_peak_rss();
    let t = Instant::now();
    let x = source::placeholder(&g, DType::F64, Shape::known(&[4]), Some("x")).expect("x");
    let ks: Vec<Tensor> = (0..7)
        .map(|k| source::const_value(&g, Value::scalar(k as f64), None).expect("k"))
        .collect();
    let leaves: Vec<Tensor> = (0..n)
        .map(|i| binary::mul(&g, x, ks[i % 7]).expect("leaf"))
        .collect();
    let y = combine(&g, leaves);
    let loss = reduce::sum(&g, y, &[0], false).expect("loss");
    let forward = g.num_ops();
    let built = t.elapsed();
    let t = Instant::now();
    let dx = grad1(&g, loss, x);
    let differentiated = t.elapsed();
    let ops = g.num_ops();
    let (_, peak) = rss();
    let t = Instant::now();
    let xs = Value::from_vec(&[4], vec![1.0, -2.0, 0.5, 3.0]).expect("x value");
    let out = Session::new(&g).run(&[loss, dx], &[(x, xs)]).expect("run");
    let ran = t.elapsed();
    let per_op = peak.saturating_sub(rss0) as f64 / ops as f64;
    eprintln!(
        "scale {label}: {n} leaves, {forward} forward ops built in {built:.2?}, {ops} ops \
         after gradients() ({differentiated:.2?}), run in {ran:.2?}; peak RSS growth {:.1} MiB \
         = {per_op:.0} bytes/op",
        peak.saturating_sub(rss0) as f64 / (1 << 20) as f64
    );
    let sum_k: f64 = (0..n).map(|i| (i % 7) as f64).sum();
    assert_eq!(out[0].to_f64_vec(), vec![2.5 * sum_k]);
    assert_eq!(out[1].to_f64_vec(), vec![sum_k; 4]);
    // Linear memory: a generous bound on bytes per op, far below what a quadratic structure
    // (per-op copies of consumer lists, dense adjacency) would need at this size.
    assert!(per_op < 4096.0, "{per_op} bytes per op");
}

#[test]
fn wide_add_n_fan_in_builds_differentiates_and_runs() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    fan_in_case("AddN", |g, leaves| {
        control::add_n(g, &leaves).expect("AddN")
    });
}

#[test]
fn wide_pairwise_sum_tree_builds_differentiates_and_runs() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    fan_in_case("sum tree", |g, mut level| {
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => binary::add(g, *a, *b).expect("add"),
                    [a] => *a,
                    _ => unreachable!("chunks(2)"),
                })
                .collect();
        }
        level[0]
    });
}

/// Derivatives of `y` with respect to scalar `x` up to 4th order, evaluated at `x0`.
fn derivatives_to_4th(g: &Graph, x: Tensor, y: Tensor, x0: f64) -> Vec<f64> {
    let mut d = vec![y];
    for _ in 0..4 {
        let last = *d.last().expect("nonempty");
        d.push(grad1(g, last, x));
    }
    let out = Session::new(g)
        .run(&d, &[(x, Value::scalar(x0))])
        .expect("run");
    out.iter().map(|v| v.to_f64_vec()[0]).collect()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-10 * want.abs().max(1.0)
}

#[test]
fn fourth_order_derivatives_of_a_100_op_power_chain() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // y = x^100 as 99 multiplications by x (x fans out to every op).
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::scalar(), Some("x")).expect("x");
    let mut y = x;
    for _ in 0..99 {
        y = binary::mul(&g, y, x).expect("mul");
    }
    let x0: f64 = 1.01;
    let got = derivatives_to_4th(&g, x, y, x0);
    let want = [
        x0.powi(100),
        100.0 * x0.powi(99),
        100.0 * 99.0 * x0.powi(98),
        100.0 * 99.0 * 98.0 * x0.powi(97),
        100.0 * 99.0 * 98.0 * 97.0 * x0.powi(96),
    ];
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, w), "order {k}: {g} vs {w}");
    }
    eprintln!(
        "scale: x^100 4th-order gradient graph has {} ops",
        g.num_ops()
    );
}

#[test]
fn fourth_order_derivatives_of_a_100_op_exp_sin_chain() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // A deep chain, not a fan-out: y = sin(a_50(...a_1(x))) where a_i(u) = u * 1.01 + 0.001
    // (100 ops of chain), so y = sin(s x + c) with s = 1.01^50; d^k y = s^k sin^(k)(s x + c).
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F64, Shape::scalar(), Some("x")).expect("x");
    let a = source::const_value(&g, Value::scalar(1.01f64), Some("a")).expect("a");
    let b = source::const_value(&g, Value::scalar(0.001f64), Some("b")).expect("b");
    let mut u = x;
    for _ in 0..49 {
        u = binary::add(&g, binary::mul(&g, u, a).expect("mul"), b).expect("add");
    }
    let u = binary::mul(&g, u, a).expect("mul");
    let y = unary::sin(&g, u).expect("sin");
    let x0 = 0.3;
    let got = derivatives_to_4th(&g, x, y, x0);
    let s = 1.01f64.powi(50);
    // c = 0.001 * (1.01^49 + ... + 1.01^1) (the last step has no + b).
    let c: f64 = (1..=49).map(|k| 0.001 * 1.01f64.powi(k)).sum();
    let z = s * x0 + c;
    let want = [
        z.sin(),
        s * z.cos(),
        -s * s * z.sin(),
        -s.powi(3) * z.cos(),
        s.powi(4) * z.sin(),
    ];
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-9 * w.abs().max(1.0),
            "order {k}: {g} vs {w}"
        );
    }
}
