//! A 1,000,000-step chain `y = tanh(y * c + d)` on a [16] f32 placeholder: building the
//! forward graph, `gradients()` of its sum and running the gradient must not overflow the
//! stack and must finish in reasonable time. The wall times are printed as figures, not
//! asserted.

mod common;

use std::time::Instant;
use symgrad::exec::Session;
use symgrad::ops::{binary, reduce, source, unary};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Value};

const STEPS: usize = 1_000_000;
const N: usize = 16;

#[test]
fn million_step_chain_builds_differentiates_and_runs() {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[N]), Some("x")).unwrap();
    let c = source::const_value(
        &g,
        Value::from_vec(&[N], vec![0.5f32; N]).unwrap(),
        Some("c"),
    )
    .unwrap();
    let d = source::const_value(
        &g,
        Value::from_vec(&[N], vec![0.1f32; N]).unwrap(),
        Some("d"),
    )
    .unwrap();

    let t = Instant::now();
    let mut y = x;
    for _ in 0..STEPS {
        y = unary::tanh(
            &g,
            binary::add(&g, binary::mul(&g, y, c).unwrap(), d).unwrap(),
        )
        .unwrap();
    }
    let loss = reduce::sum(&g, y, &[0], false).unwrap();
    let forward_ops = g.num_ops();
    eprintln!(
        "deep_chain: forward graph of {forward_ops} ops built in {:.2?}",
        t.elapsed()
    );

    let t = Instant::now();
    let dx = gradients(&g, &[loss], &[x], &GradientOptions::default()).unwrap();
    let dx = symgrad::grad::densify(&g, dx[0].expect("x is connected")).unwrap();
    eprintln!(
        "deep_chain: gradients() added {} ops in {:.2?}",
        g.num_ops() - forward_ops,
        t.elapsed()
    );
    assert_eq!(g.shape(dx).unwrap(), Shape::known(&[N]));
    let peak = common::proc_status_bytes("VmHWM:");
    eprintln!(
        "deep_chain: peak RSS {:.0} MiB for {} ops = {:.0} bytes/op",
        peak as f64 / (1 << 20) as f64,
        g.num_ops(),
        peak as f64 / g.num_ops() as f64
    );
    // Memory linear in the graph: a generous per-op bound.
    assert!(peak / (g.num_ops() as u64) < 4096, "{peak} bytes peak RSS");

    let xs: Vec<f32> = (0..N).map(|i| i as f32 / 8.0 - 1.0).collect();
    let s = Session::new(&g);
    let t = Instant::now();
    let out = s
        .run(
            &[loss, dx],
            &[(x, Value::from_vec(&[N], xs.clone()).unwrap())],
        )
        .unwrap();
    eprintln!(
        "deep_chain: run (forward + gradient) in {:.2?}",
        t.elapsed()
    );

    // The chain converges to the fixed point y* = tanh(0.5 y* + 0.1), whatever x is, so the
    // loss is 16 y* and the gradient with respect to x has vanished (each step scales it by
    // at most 0.5).
    let mut fixed = 0.0f64;
    for _ in 0..200 {
        fixed = (0.5 * fixed + 0.1).tanh();
    }
    let loss_v = out[0].to_f64_vec()[0];
    assert!(
        (loss_v - N as f64 * fixed).abs() < 1e-4,
        "loss {loss_v}, expected {}",
        N as f64 * fixed
    );
    let grad = out[1].to_f64_vec();
    assert_eq!(grad.len(), N);
    assert!(
        grad.iter().all(|v| v.is_finite() && v.abs() < 1e-30),
        "{grad:?}"
    );

    let t = Instant::now();
    drop(s);
    drop(g);
    eprintln!(
        "deep_chain: session and graph dropped in {:.2?}",
        t.elapsed()
    );

    // The same gradient machinery on the first steps of the chain, checked by value: one
    // step gives dL/dx = 0.5 (1 - tanh²(0.5 x + 0.1)).
    let g1 = Graph::new();
    let x1 = source::placeholder(&g1, DType::F32, Shape::known(&[N]), Some("x")).unwrap();
    let c1 = source::const_value(
        &g1,
        Value::from_vec(&[N], vec![0.5f32; N]).unwrap(),
        Some("c"),
    )
    .unwrap();
    let d1 = source::const_value(
        &g1,
        Value::from_vec(&[N], vec![0.1f32; N]).unwrap(),
        Some("d"),
    )
    .unwrap();
    let y1 = unary::tanh(
        &g1,
        binary::add(&g1, binary::mul(&g1, x1, c1).unwrap(), d1).unwrap(),
    )
    .unwrap();
    let l1 = reduce::sum(&g1, y1, &[0], false).unwrap();
    let g1x = symgrad::grad::densify(
        &g1,
        gradients(&g1, &[l1], &[x1], &GradientOptions::default()).unwrap()[0].unwrap(),
    )
    .unwrap();
    let v = Session::new(&g1)
        .run(&[g1x], &[(x1, Value::from_vec(&[N], xs.clone()).unwrap())])
        .unwrap()[0]
        .to_f64_vec();
    for (i, &xi) in xs.iter().enumerate() {
        let want = 0.5 * (1.0 - (0.5 * xi as f64 + 0.1).tanh().powi(2));
        assert!((v[i] - want).abs() < 1e-6, "{i}: {} vs {want}", v[i]);
    }
}
