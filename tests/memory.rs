//! The executor's peak memory on an MLP gradient (batch 256, 784-1024-1024-10, f32) against
//! the sum of the live tensors at the widest point of the run, and RSS flat over repeated runs.
//!
//! "Live tensors" is computed from the graph: the ops the fetches need, in creation order (a
//! topological order), each output counted from its creation to its last consumer, fetched
//! outputs to the end; constants and feeds exist before the run and are not counted. The
//! executor's peak is measured twice: as bytes allocated and not yet freed (a counting global
//! allocator), and as VmHWM during the run minus VmRSS before it. All are printed; the ratios
//! are bounded. The test is alone in its binary so no other test disturbs the figures.

mod common;

use common::{proc_status_bytes, reset_peak_rss};
use symgrad::exec::Session;
use symgrad::ops::{linalg, nn, reduce, source, unary};
use symgrad::{gradients, DType, GradientOptions, Graph, Shape, Tensor, Value};

/// Counts the bytes the process has allocated and not freed, and the most at any moment, so
/// the executor's own peak can be told apart from what the C allocator keeps mapped. With the
/// `python` feature the crate installs mimalloc as the global allocator, and a test cannot
/// install another: the count is then absent and only RSS is measured.
#[cfg(not(feature = "python"))]
mod allocation_count {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct CountingAllocator;

    static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
    static ALLOCATED_PEAK: AtomicUsize = AtomicUsize::new(0);

    // SAFETY: every call forwards to the system allocator with the caller's arguments
    // unchanged; the counters are plain atomics and never touch the memory handed out.
    unsafe impl GlobalAlloc for CountingAllocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let now = ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            ALLOCATED_PEAK.fetch_max(now, Ordering::Relaxed);
            // SAFETY: the caller upholds `alloc`'s contract, which is passed on as is.
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            // SAFETY: `ptr` came from `System.alloc` with this layout (above).
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static COUNTING: CountingAllocator = CountingAllocator;

    /// Starts a new peak; returns the bytes allocated now.
    pub fn start() -> Option<usize> {
        let now = ALLOCATED.load(Ordering::Relaxed);
        ALLOCATED_PEAK.store(now, Ordering::Relaxed);
        Some(now)
    }

    pub fn peak() -> usize {
        ALLOCATED_PEAK.load(Ordering::Relaxed)
    }
}

#[cfg(feature = "python")]
mod allocation_count {
    pub fn start() -> Option<usize> {
        None
    }

    pub fn peak() -> usize {
        0
    }
}

fn rss() -> (u64, u64) {
    (proc_status_bytes("VmRSS:"), proc_status_bytes("VmHWM:"))
}

/// Peak bytes of simultaneously live op outputs when running `fetches` in creation order.
fn widest_live_bytes(g: &Graph, fetches: &[Tensor]) -> u64 {
    let data = g.read();
    let nodes = data.nodes();
    let mut needed = vec![false; nodes.len()];
    let mut stack: Vec<usize> = fetches.iter().map(|t| t.node as usize).collect();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut needed[n], true) {
            continue;
        }
        stack.extend(nodes[n].inputs.iter().map(|t| t.node as usize));
        stack.extend(nodes[n].control_inputs().iter().map(|&c| c as usize));
    }
    let pre_existing = |n: usize| matches!(nodes[n].type_name(), "Const" | "Placeholder");
    // Last step at which each (node, output) is read; fetched outputs live to the end.
    let mut last_use: std::collections::HashMap<(usize, u32), usize> = Default::default();
    for (i, node) in nodes.iter().enumerate().filter(|(i, _)| needed[*i]) {
        for t in &node.inputs {
            last_use.insert((t.node as usize, t.index), i);
        }
    }
    for t in fetches {
        last_use.insert((t.node as usize, t.index), usize::MAX);
    }
    let bytes = |n: usize, k: usize| -> u64 {
        data.output_meta(&nodes[n], k).map_or(0, |m| {
            m.shape.num_elements().unwrap_or(0) as u64 * m.dtype.size_of() as u64
        })
    };
    let (mut live, mut peak) = (0u64, 0u64);
    let mut frees: std::collections::BTreeMap<usize, u64> = Default::default();
    for i in (0..nodes.len()).filter(|&i| needed[i]) {
        if !pre_existing(i) {
            for k in 0..nodes[i].num_outputs() {
                if let Some(&end) = last_use.get(&(i, k as u32)) {
                    live += bytes(i, k);
                    *frees.entry(end).or_default() += bytes(i, k);
                }
            }
        }
        peak = peak.max(live);
        if let Some(b) = frees.remove(&i) {
            live -= b;
        }
    }
    peak
}

#[test]
fn mlp_gradient_peak_memory_against_live_tensors_and_no_growth() {
    let (batch, sizes) = (256usize, [784usize, 1024, 1024, 10]);
    let g = Graph::new();
    let x = source::placeholder(&g, DType::F32, Shape::known(&[batch, sizes[0]]), Some("x"))
        .expect("x");
    let mut weights = Vec::new();
    let mut h = x;
    for (i, w) in sizes.windows(2).enumerate() {
        let data: Vec<f32> = (0..w[0] * w[1])
            .map(|k| ((k * 7919 % 1000) as f32 / 1000.0 - 0.5) / (w[0] as f32).sqrt())
            .collect();
        let wt = source::const_value(&g, Value::from_vec(&[w[0], w[1]], data).expect("w"), None)
            .expect("const");
        weights.push(wt);
        h = linalg::matmul(&g, h, wt, false, false).expect("matmul");
        if i + 2 < sizes.len() {
            h = unary::relu(&g, h).expect("relu");
        }
    }
    let loss = reduce::sum_all(&g, nn::log_softmax(&g, h).expect("log_softmax")).expect("sum");
    let grads = gradients(&g, &[loss], &weights, &GradientOptions::default()).expect("grads");
    let mut fetches = vec![loss];
    for d in grads {
        fetches.push(symgrad::grad::densify(&g, d.expect("connected")).expect("dense"));
    }
    let xs: Vec<f32> = (0..batch * sizes[0])
        .map(|k| (k % 17) as f32 / 17.0)
        .collect();
    let feed = vec![(x, Value::from_vec(&[batch, sizes[0]], xs).expect("x value"))];
    let s = Session::new(&g);
    let first = s.run(&fetches, &feed).expect("run");
    drop(first);

    let widest = widest_live_bytes(&g, &fetches);
    let (before, _) = rss();
    reset_peak_rss();
    let allocated_before = allocation_count::start();
    let out = s.run(&fetches, &feed).expect("run");
    let allocated_peak = allocated_before.map(|b| allocation_count::peak() - b);
    let (_, peak) = rss();
    let rss_peak = peak.saturating_sub(before);
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let rss_ratio = rss_peak as f64 / widest as f64;
    let allocated = match allocated_peak {
        Some(bytes) => format!(
            "executor's peak allocation {:.1} MiB ({:.2}x); ",
            mib(bytes as u64),
            bytes as f64 / widest as f64
        ),
        None => String::new(),
    };
    eprintln!(
        "memory: MLP gradient run: widest live set of op outputs {:.1} MiB; {allocated}peak \
         RSS above the pre-run RSS {:.1} MiB ({rss_ratio:.2}x)",
        mib(widest),
        mib(rss_peak)
    );
    drop(out);
    // Issue 6's bound: the executor's peak within 1.3x of the widest live set. Its peak
    // allocation is the executor's own demand, kernel workspace included (the gemm crate's
    // packing buffers, bounded by calling it in blocks): 1.03x when measured. RSS adds what
    // glibc keeps mapped between frees and allocations (it moves its mmap and trim thresholds
    // as it goes), which depends on the allocator, not on the executor: 1.30x when measured
    // (1.21x on one thread), bounded a little more loosely so allocator noise cannot fail CI.
    if let Some(bytes) = allocated_peak {
        assert!(
            bytes as f64 <= 1.3 * widest as f64,
            "executor peak allocation {bytes} vs live {widest}"
        );
    }
    assert!(
        rss_ratio <= 1.45,
        "executor peak RSS {rss_peak} vs live {widest}"
    );

    // Repeated runs: RSS flat after warm-up.
    for _ in 0..5 {
        s.run(&fetches, &feed).expect("run");
    }
    let (warm, _) = rss();
    let iterations = if std::env::var("SYMGRAD_LONG_TESTS").as_deref() == Ok("1") {
        1000
    } else {
        30
    };
    for _ in 0..iterations {
        s.run(&fetches, &feed).expect("run");
    }
    let (after, _) = rss();
    eprintln!(
        "memory: RSS {:.1} MiB -> {:.1} MiB over {iterations} more runs",
        warm as f64 / (1 << 20) as f64,
        after as f64 / (1 << 20) as f64
    );
    assert!(after < warm + (16 << 20), "RSS grew from {warm} to {after}");
}
