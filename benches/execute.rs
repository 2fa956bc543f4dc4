//! Executor figures (issue 5, the run side): one gradient run of each workload, median and
//! minimum over repeated runs in one process. A plain `harness = false` binary:
//! `cargo bench --bench execute` (optionally `-- mlp chain elementwise hvp matmul` to pick).
//! It prints numbers; it asserts nothing.

mod common;

use std::time::Instant;
use symgrad::exec::Session;
use symgrad::ops::{binary, linalg, nn, reduce, source, unary};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Tensor, Value};

/// Median and minimum in ms of `runs` calls after one warm-up call.
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut ts: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ts.sort_by(|a, b| a.total_cmp(b));
    (ts[ts.len() / 2], ts[0])
}

/// CPU time this thread has run, in ns (Linux): per-op figures that other processes on a
/// busy machine do not inflate, for single-threaded workloads.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn grad_of(g: &Graph, y: Tensor, xs: &[Tensor]) -> Vec<Tensor> {
    gradients(g, &[y], xs, &GradientOptions::default())
        .unwrap()
        .into_iter()
        .map(|d| symgrad::grad::densify(g, d.unwrap()).unwrap())
        .collect()
}

fn pseudo_random(n: usize, seed: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|k| (((k * 7919 + seed * 104729) % 1000) as f32 / 1000.0 - 0.5) * scale)
        .collect()
}

struct Mlp {
    g: Graph,
    loss: Tensor,
    weights: Vec<Tensor>,
    biases: Vec<Tensor>,
    feeds: Vec<(Tensor, Value)>,
}

/// The 784-1024-1024-10 relu MLP with softmax cross-entropy, weights as constants.
fn mlp(batch: usize) -> Mlp {
    let g = Graph::new();
    let sizes = [784usize, 1024, 1024, 10];
    let x = source::placeholder(&g, DType::F32, Shape::known(&[batch, 784]), Some("x")).unwrap();
    let labels =
        source::placeholder(&g, DType::F32, Shape::known(&[batch, 10]), Some("labels")).unwrap();
    let (h, ws, bs) = common::relu_mlp(&g, x, &sizes, |i, rows, cols| {
        pseudo_random(rows * cols, i, (2.0 / rows as f32).sqrt() * 3.0)
    });
    let (xent, _) = nn::softmax_cross_entropy(&g, h, labels).unwrap();
    let loss = reduce::mean(&g, xent, &[0], false).unwrap();
    let xv = pseudo_random(batch * 784, 7, 2.0);
    let lv: Vec<f32> = (0..batch * 10)
        .map(|k| if k % 10 == (k / 10) % 10 { 1.0 } else { 0.0 })
        .collect();
    let feeds = vec![
        (x, Value::from_vec(&[batch, 784], xv).unwrap()),
        (labels, Value::from_vec(&[batch, 10], lv).unwrap()),
    ];
    Mlp {
        g,
        loss,
        weights: ws,
        biases: bs,
        feeds,
    }
}

fn bench_mlp() {
    let Mlp {
        g,
        loss,
        weights: ws,
        biases: bs,
        feeds,
    } = mlp(256);
    let params: Vec<Tensor> = ws.iter().chain(&bs).copied().collect();
    let fetches = grad_of(&g, loss, &params);
    let sess = Session::new(&g);
    let (med, min) = time(20, || {
        sess.run(&fetches, &feeds).unwrap();
    });
    println!(
        "MLP gradient run, 784-1024-1024-10, batch 256, softmax xent, f32: median {med:.2} ms, min {min:.2} ms"
    );
}

fn bench_hvp() {
    let Mlp {
        g,
        loss,
        weights: ws,
        feeds,
        ..
    } = mlp(256);
    let g0 = grad_of(&g, loss, &ws[..1])[0];
    let v = source::const_value(&g, Value::full(DType::F32, &[784, 1024], 1e-3), None).unwrap();
    let inner = reduce::sum_all(&g, binary::mul(&g, g0, v).unwrap()).unwrap();
    let hv = grad_of(&g, inner, &ws[..1]);
    let sess = Session::new(&g);
    let (med, min) = time(20, || {
        sess.run(&hv, &feeds).unwrap();
    });
    println!("Hessian-vector product, MLP loss w.r.t. W1: median {med:.2} ms, min {min:.2} ms");
}

fn bench_chain(n: usize) {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[16]), Some("x")).unwrap();
    let mut y = x;
    for _ in 0..n {
        let c = source::scalar_const(&g, DType::F32, 1.0001, None, None).unwrap();
        let d = source::scalar_const(&g, DType::F32, 0.1, None, None).unwrap();
        let yc = binary::mul(&g, y, c).unwrap();
        y = unary::tanh(&g, binary::add(&g, yc, d).unwrap()).unwrap();
    }
    let loss = reduce::sum(&g, y, &[0], false).unwrap();
    let dx = grad_of(&g, loss, &[x]);
    let sess = Session::new(&g);
    let feeds = vec![(x, Value::full(DType::F32, &[16], 0.5))];
    let executed = sess.executed_ops(&dx, &feeds).unwrap();
    let runs = 200;
    let cpu_before = thread_cpu_ns();
    let (med, min) = time(runs, || {
        sess.run(&dx, &feeds).unwrap();
    });
    let cpu = match (cpu_before, thread_cpu_ns()) {
        (Some(a), Some(b)) => format!(
            ", CPU {:.1} ns/op",
            (b - a) as f64 / ((runs + 1) * executed) as f64
        ),
        _ => String::new(),
    };
    println!(
        "chain N={n} gradient run ({executed} ops executed): median {:.1} us ({:.1} ns/op), min {:.1} us ({:.1} ns/op){cpu}",
        med * 1e3,
        med * 1e6 / executed as f64,
        min * 1e3,
        min * 1e6 / executed as f64
    );
}

fn bench_elementwise(n: usize) {
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[n]), Some("x")).unwrap();
    let sq = binary::mul(&g, unary::neg(&g, x).unwrap(), x).unwrap();
    let prod = binary::mul(&g, unary::sin(&g, x).unwrap(), unary::exp(&g, sq).unwrap()).unwrap();
    let loss = reduce::sum_all(&g, prod).unwrap();
    let dx = grad_of(&g, loss, &[x]);
    let sess = Session::new(&g);
    let feeds = vec![(x, Value::from_vec(&[n], pseudo_random(n, 3, 6.0)).unwrap())];
    let (med, min) = time(10, || {
        sess.run(&dx, &feeds).unwrap();
    });
    println!(
        "gradient of reduce_sum(sin(x) * exp(-x*x)), n={n} f32: median {med:.2} ms, min {min:.2} ms"
    );
}

fn bench_matmul() {
    for dtype in [DType::F32, DType::F64] {
        for (m, k, n, ta, tb) in [
            (256, 784, 1024, false, false),
            (784, 256, 1024, true, false),
            (256, 1024, 784, false, true),
        ] {
            let g = Graph::new();
            let a_shape = if ta { [k, m] } else { [m, k] };
            let b_shape = if tb { [n, k] } else { [k, n] };
            let a = source::placeholder(&g, dtype, Shape::known(&a_shape), None).unwrap();
            let b = source::placeholder(&g, dtype, Shape::known(&b_shape), None).unwrap();
            let c = linalg::matmul(&g, a, b, ta, tb).unwrap();
            let sess = Session::new(&g);
            let feeds = vec![
                (a, Value::full(dtype, &a_shape, 0.01)),
                (b, Value::full(dtype, &b_shape, 0.02)),
            ];
            let (med, min) = time(20, || {
                sess.run(&[c], &feeds).unwrap();
            });
            let gflops = 2.0 * (m * n * k) as f64 / (min * 1e6);
            println!(
                "MatMul {dtype} [{m}x{k}]·[{k}x{n}] transpose_a={ta} transpose_b={tb}: median {med:.2} ms, min {min:.2} ms ({gflops:.0} GFLOP/s at min)"
            );
        }
    }
}

fn main() {
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| picked.is_empty() || picked.iter().any(|p| p == name);
    if want("matmul") {
        bench_matmul();
    }
    if want("mlp") {
        bench_mlp();
    }
    if want("hvp") {
        bench_hvp();
    }
    if want("chain") {
        bench_chain(1000);
    }
    if want("elementwise") {
        bench_elementwise(10_000_000);
    }
}
