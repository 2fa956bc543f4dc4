//! Rust-side figures for issue 5: building gradients (workload 1 of `benches/compare.py`, plus
//! a small part between xs and ys inside a large graph) and running them (workloads 2-4).
//! A plain `harness = false` binary that prints numbers and asserts nothing:
//!
//!     cargo bench --bench construct               # everything, full sizes
//!     cargo bench --bench construct -- --quick    # small sizes
//!     cargo bench --bench construct -- build      # only gradient construction (or: run)
//!     cargo bench --bench construct -- --chain 1000000   # one chain size alone
//!     cargo bench --bench construct -- --fan-out 1000     # one fan-out size alone
//!     cargo bench --bench construct -- --beside 100000   # 100 steps beside a 100k chain alone
//!     cargo bench --bench construct -- --quick build --reps 5  # best of 5 per workload
//!
//! Each `gradients()` line also gives the resident memory the call added per op it added
//! (`VmRSS` after minus before, from `/proc/self/status`; 0 where that is unavailable).
//!
//! The graphs are built as the Python package builds them: each `y * 1.0001 + 0.1` converts its
//! scalars into fresh constants, as TF does, so the op counts match `compare.py`'s.

use std::error::Error;
use std::time::Instant;
use symgrad::exec::Session;
use symgrad::ops::{binary, control, linalg, nn, reduce, source, unary};
use symgrad::{gradients, DType, Grad, GradientOptions, Graph, Shape, Tensor, Value};

type BenchResult<T> = std::result::Result<T, Box<dyn Error>>;

fn scalar(g: &Graph, x: f64) -> symgrad::Result<Tensor> {
    source::scalar_const(g, DType::F32, x, None, None)
}

/// `steps` times `y = tanh(y * 1.0001 + 0.1)`, from `y`.
fn tanh_chain(g: &Graph, mut y: Tensor, steps: usize) -> symgrad::Result<Tensor> {
    for _ in 0..steps {
        let scaled = binary::mul(g, y, scalar(g, 1.0001)?)?;
        y = unary::tanh(g, binary::add(g, scaled, scalar(g, 0.1)?)?)?;
    }
    Ok(y)
}

fn vector_placeholder(g: &Graph, name: &str) -> symgrad::Result<Tensor> {
    source::placeholder(g, DType::F32, Shape::known(&[16]), Some(name))
}

fn dense(g: &Graph, grad: Option<Grad>) -> BenchResult<Tensor> {
    Ok(symgrad::grad::densify(g, grad.ok_or("no gradient")?)?)
}

/// A deterministic float32 matrix with entries in [-scale/2, scale/2).
fn pseudo_random(rows: usize, cols: usize, scale: f32) -> symgrad::Result<Value> {
    let data = (0..rows * cols)
        .map(|k| ((k * 7919 % 1000) as f32 / 1000.0 - 0.5) * scale)
        .collect();
    Value::from_vec(&[rows, cols], data)
}

/// `reduce_mean(softmax_cross_entropy(relu MLP(x), labels))` with constant weights; returns
/// the loss and the weights and biases.
fn mlp_loss(
    g: &Graph,
    x: Tensor,
    labels: Tensor,
    sizes: &[usize],
) -> symgrad::Result<(Tensor, Vec<Tensor>)> {
    let mut params = Vec::new();
    let mut h = x;
    let layers = sizes.len() - 1;
    for (i, pair) in sizes.windows(2).enumerate() {
        let scale = (6.0 / pair[0] as f32).sqrt();
        let w = source::const_value(g, pseudo_random(pair[0], pair[1], scale)?, None)?;
        let b = source::const_value(g, Value::zeros(DType::F32, &[pair[1]]), None)?;
        h = binary::add(g, linalg::matmul(g, h, w, false, false)?, b)?;
        if i + 1 < layers {
            h = unary::relu(g, h)?;
        }
        params.push(w);
        params.push(b);
    }
    let (xent, _) = nn::softmax_cross_entropy(g, h, labels)?;
    Ok((reduce::mean(g, xent, &[0], false)?, params))
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Times `gradients(ys, xs)` on graphs from `build`, a fresh one per repeat (the call grows
/// its graph), and prints the best time with the ops and resident memory it added.
fn report_gradients(
    label: &str,
    reps: usize,
    build: impl Fn() -> BenchResult<(Graph, Vec<Tensor>, Vec<Tensor>)>,
) -> BenchResult<()> {
    let mut best = f64::INFINITY;
    let (mut before, mut added, mut rss_added) = (0, 0, 0);
    for _ in 0..reps.max(1) {
        let (g, ys, xs) = build()?;
        before = g.num_ops();
        let rss = resident_bytes();
        let t0 = Instant::now();
        gradients(&g, &ys, &xs, &GradientOptions::default())?;
        best = best.min(t0.elapsed().as_secs_f64());
        rss_added = resident_bytes().saturating_sub(rss);
        added = g.num_ops() - before;
    }
    println!(
        "{label:<44} graph {before:>9} ops | gradients() {:>10.3} ms, {added:>9} ops added, {:>6.0} ns/op, {:>5.0} B/op resident",
        best * 1e3,
        best * 1e9 / added.max(1) as f64,
        rss_added as f64 / added.max(1) as f64
    );
    Ok(())
}

/// `add_n(sin(x * c_i))` for `n` constants `c_i`.
fn fan_out_graph(n: usize) -> BenchResult<(Graph, Vec<Tensor>, Vec<Tensor>)> {
    let g = Graph::new();
    let x = vector_placeholder(&g, "x")?;
    let terms = (0..n)
        .map(|i| unary::sin(&g, binary::mul(&g, x, scalar(&g, 1.0 + i as f64 * 1e-3)?)?))
        .collect::<symgrad::Result<Vec<_>>>()?;
    let total = control::add_n(&g, &terms)?;
    Ok((g, vec![total], vec![x]))
}

fn chain_graph(n: usize) -> BenchResult<(Graph, Vec<Tensor>, Vec<Tensor>)> {
    let g = Graph::new();
    let x = vector_placeholder(&g, "x")?;
    let loss = reduce::sum(&g, tanh_chain(&g, x, n)?, &[0], false)?;
    Ok((g, vec![loss], vec![x]))
}

/// A 100-step chain to differentiate, built after an unrelated chain of `big` steps.
fn beside_graph(big: usize) -> BenchResult<(Graph, Vec<Tensor>, Vec<Tensor>)> {
    let g = Graph::new();
    let unrelated = vector_placeholder(&g, "unrelated")?;
    tanh_chain(&g, unrelated, big)?;
    let x = vector_placeholder(&g, "x")?;
    let y = reduce::sum(&g, tanh_chain(&g, x, 100)?, &[0], false)?;
    Ok((g, vec![y], vec![x]))
}

fn build_benches(quick: bool, reps: usize) -> BenchResult<()> {
    let chains: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    for &n in chains {
        // The largest graphs once: each repeat would hold gigabytes.
        let reps = if n >= 100_000 { 1 } else { reps };
        report_gradients(&format!("chain N={n}"), reps, || chain_graph(n))?;
    }
    let fanouts: &[usize] = if quick {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in fanouts {
        report_gradients(&format!("fan-out N={n}"), reps, || fan_out_graph(n))?;
    }
    let depths: &[usize] = if quick { &[10, 100] } else { &[10, 100, 1000] };
    for &layers in depths {
        report_gradients(&format!("MLP L={layers}, softmax xent"), reps, || {
            let g = Graph::new();
            let x = source::placeholder(&g, DType::F32, Shape::known(&[32, 16]), Some("x"))?;
            let labels = source::placeholder(&g, DType::F32, Shape::known(&[32, 16]), Some("y"))?;
            let (loss, params) = mlp_loss(&g, x, labels, &vec![16; layers + 1])?;
            Ok((g, vec![loss], params))
        })?;
    }
    // gradients() must cost what lies between xs and ys, not what the graph holds: a
    // 100-step part is differentiated beside, and then at the end of, ever larger chains.
    let large: &[usize] = if quick {
        &[0, 10_000, 100_000]
    } else {
        &[0, 10_000, 100_000, 1_000_000]
    };
    for &big in large {
        report_gradients(
            &format!("100 steps beside a {big}-step chain"),
            reps,
            || beside_graph(big),
        )?;
        report_gradients(&format!("100 steps after a {big}-step chain"), reps, || {
            let g = Graph::new();
            let start = vector_placeholder(&g, "start")?;
            let deep = tanh_chain(&g, start, big)?;
            let y = reduce::sum(&g, tanh_chain(&g, deep, 100)?, &[0], false)?;
            Ok((g, vec![y], vec![deep]))
        })?;
    }
    Ok(())
}

/// Ops a run of `fetches` executes: the closure over data inputs (these graphs have no
/// control inputs), counted as `compare.py` counts them.
fn ops_needed(g: &Graph, fetches: &[Tensor]) -> symgrad::Result<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<_> = fetches.iter().map(|t| t.op()).collect();
    while let Some(op) = stack.pop() {
        if seen.insert(op) {
            stack.extend(g.op_inputs(op)?.into_iter().map(|t| t.op()));
        }
    }
    Ok(seen.len())
}

fn median_ms(mut times: Vec<f64>) -> f64 {
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2] * 1e3
}

/// Median wall time of `repeats` runs after one warm-up run.
fn time_runs(
    sess: &Session,
    fetches: &[Tensor],
    feeds: &[(Tensor, Value)],
    repeats: usize,
) -> BenchResult<f64> {
    sess.run(fetches, feeds)?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let t0 = Instant::now();
        sess.run(fetches, feeds)?;
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok(median_ms(times))
}

fn run_benches(quick: bool) -> BenchResult<()> {
    // Workload 3: per-op overhead.
    let g = Graph::new();
    let x = vector_placeholder(&g, "x")?;
    let loss = reduce::sum(&g, tanh_chain(&g, x, 1000)?, &[0], false)?;
    let grads = gradients(&g, &[loss], &[x], &GradientOptions::default())?;
    let dx = dense(&g, grads.into_iter().next().flatten())?;
    let feeds = [(x, Value::full(DType::F32, &[16], 0.5))];
    let ms = time_runs(
        &Session::new(&g),
        &[dx],
        &feeds,
        if quick { 20 } else { 200 },
    )?;
    let executed = ops_needed(&g, &[dx])?;
    println!(
        "run chain N=1000 gradient: median {ms:.3} ms, {:.0} ns per executed op ({executed} ops)",
        ms * 1e6 / executed as f64
    );

    // Workload 2: the MLP's gradient.
    let g = Graph::new();
    let batch = 256;
    let x = source::placeholder(&g, DType::F32, Shape::known(&[batch, 784]), Some("x"))?;
    let labels = source::placeholder(&g, DType::F32, Shape::known(&[batch, 10]), Some("y"))?;
    let (loss, params) = mlp_loss(&g, x, labels, &[784, 1024, 1024, 10])?;
    let grads = gradients(&g, &[loss], &params, &GradientOptions::default())?;
    let fetches = grads
        .into_iter()
        .map(|gr| dense(&g, gr))
        .collect::<BenchResult<Vec<_>>>()?;
    let one_hot: Vec<f32> = (0..batch * 10)
        .map(|k| if k % 10 == (k / 10) % 7 { 1.0 } else { 0.0 })
        .collect();
    let feeds = [
        (x, pseudo_random(batch, 784, 2.0)?),
        (labels, Value::from_vec(&[batch, 10], one_hot)?),
    ];
    let ms = time_runs(
        &Session::new(&g),
        &fetches,
        &feeds,
        if quick { 5 } else { 20 },
    )?;
    println!("run MLP 784-1024-1024-10 b256 softmax xent gradient: median {ms:.2} ms");

    // Workload 4: a large elementwise gradient.
    let n = if quick { 1_000_000 } else { 10_000_000 };
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[n]), Some("x"))?;
    let gauss = unary::exp(&g, unary::neg(&g, binary::mul(&g, x, x)?)?)?;
    let loss = reduce::sum(&g, binary::mul(&g, unary::sin(&g, x)?, gauss)?, &[0], false)?;
    let grads = gradients(&g, &[loss], &[x], &GradientOptions::default())?;
    let dx = dense(&g, grads.into_iter().next().flatten())?;
    let data: Vec<f32> = (0..n).map(|k| (k % 2000) as f32 / 500.0 - 2.0).collect();
    let feeds = [(x, Value::from_vec(&[n], data)?)];
    let ms = time_runs(&Session::new(&g), &[dx], &feeds, if quick { 3 } else { 10 })?;
    println!("run grad of sum(sin(x)*exp(-x*x)), n={n}: median {ms:.2} ms");
    Ok(())
}

fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let value_of = |flag: &str| -> BenchResult<Option<usize>> {
        match args.iter().position(|a| a == flag) {
            Some(i) => Ok(Some(
                args.get(i + 1)
                    .ok_or_else(|| format!("{flag} needs a number"))?
                    .parse()?,
            )),
            None => Ok(None),
        }
    };
    let reps = value_of("--reps")?.unwrap_or(1);
    if let Some(n) = value_of("--chain")? {
        return report_gradients(&format!("chain N={n}"), reps, || chain_graph(n));
    }
    if let Some(n) = value_of("--fan-out")? {
        return report_gradients(&format!("fan-out N={n}"), reps, || fan_out_graph(n));
    }
    if let Some(n) = value_of("--beside")? {
        return report_gradients(&format!("100 steps beside a {n}-step chain"), reps, || {
            beside_graph(n)
        });
    }
    let only = |part: &str| {
        let named = args.iter().any(|a| a == "build" || a == "run");
        !named || args.iter().any(|a| a == part)
    };
    if only("build") {
        build_benches(quick, reps)?;
    }
    if only("run") {
        run_benches(quick)?;
    }
    Ok(())
}
