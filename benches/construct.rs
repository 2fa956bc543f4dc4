//! Rust-side figures: building and running gradients of a deep chain, and one run of an
//! MLP's gradient. A plain `harness = false` binary: `cargo bench --bench construct`
//! (optionally with a list of chain lengths, e.g. `-- 1000 10000`). It prints numbers; it
//! asserts nothing.

mod common;

use std::time::Instant;
use symgrad::exec::Session;
use symgrad::ops::{array, binary, reduce, source, unary};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Value};

fn chain(n: usize) {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[16]), Some("x")).unwrap();
    let t0 = Instant::now();
    let mut y = x;
    for _ in 0..n {
        // Python-style: each step converts its scalars into fresh constants, as TF does.
        let c = source::scalar_const(&g, DType::F32, 1.0001, None, None).unwrap();
        let d = source::scalar_const(&g, DType::F32, 0.1, None, None).unwrap();
        y = unary::tanh(
            &g,
            binary::add(&g, binary::mul(&g, y, c).unwrap(), d).unwrap(),
        )
        .unwrap();
    }
    let loss = reduce::sum(&g, y, &[0], false).unwrap();
    let forward_ops = g.num_ops();
    let t1 = Instant::now();
    let grads = gradients(&g, &[loss], &[x], &GradientOptions::default()).unwrap();
    let t2 = Instant::now();
    let dx = symgrad::grad::densify(&g, grads[0].unwrap()).unwrap();
    let added = g.num_ops() - forward_ops;
    let sess = Session::new(&g);
    let feed = vec![(x, Value::full(DType::F32, &[16], 0.5))];
    sess.run(&[dx], &feed).unwrap();
    let t3 = Instant::now();
    let runs = (200_000 / n.max(1)).clamp(1, 100);
    let t4 = Instant::now();
    for _ in 0..runs {
        sess.run(&[dx], &feed).unwrap();
    }
    let per_run = t4.elapsed().as_secs_f64() / runs as f64;
    let executed = added + forward_ops;
    println!(
        "chain n={n:>8}: build {:>8.3} s ({forward_ops} ops) | gradients() {:>8.4} s ({added} ops added, {:.0} ns/op) | first run {:>7.3} s | run {:>9.3} ms ({:.0} ns/op)",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t2 - t1).as_secs_f64() * 1e9 / added as f64,
        (t3 - t2).as_secs_f64(),
        per_run * 1e3,
        per_run * 1e9 / executed as f64,
    );
}

fn mlp() {
    let g = Graph::new();
    let batch = 256;
    let sizes = [784usize, 1024, 1024, 10];
    let x = source::placeholder(&g, DType::F32, Shape::known(&[batch, 784]), Some("x")).unwrap();
    let target =
        source::placeholder(&g, DType::F32, Shape::known(&[batch, 10]), Some("t")).unwrap();
    let (h, ws, bs) = common::relu_mlp(&g, x, &sizes, |_, rows, cols| {
        (0..rows * cols)
            .map(|k| ((k * 7919 % 1000) as f32 / 1000.0 - 0.5) * 0.05)
            .collect()
    });
    let params: Vec<_> = ws.into_iter().chain(bs).collect();
    let diff = binary::sub(&g, h, target).unwrap();
    let loss = reduce::mean(&g, unary::square(&g, diff).unwrap(), &[0, 1], false).unwrap();
    let grads = gradients(&g, &[loss], &params, &GradientOptions::default()).unwrap();
    let fetches: Vec<_> = grads
        .into_iter()
        .map(|gr| symgrad::grad::densify(&g, gr.unwrap()).unwrap())
        .collect();
    let sess = Session::new(&g);
    let xv: Vec<f32> = (0..batch * 784).map(|k| (k % 97) as f32 / 97.0).collect();
    let tv: Vec<f32> = (0..batch * 10).map(|k| (k % 13) as f32 / 13.0).collect();
    let feeds = vec![
        (x, Value::from_vec(&[batch, 784], xv).unwrap()),
        (target, Value::from_vec(&[batch, 10], tv).unwrap()),
    ];
    sess.run(&fetches, &feeds).unwrap();
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        sess.run(&fetches, &feeds).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "MLP 784-1024-1024-10, batch 256, MSE: gradient run median {:.1} ms, min {:.1} ms",
        times[5], times[0]
    );
    let _ = array::identity;
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if args.is_empty() {
        vec![1_000, 10_000, 100_000, 1_000_000]
    } else {
        args
    };
    for n in sizes {
        chain(n);
    }
    mlp();
}
