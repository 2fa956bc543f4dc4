"""Side-by-side figures for issue 5: symgrad against TensorFlow (tf.compat.v1 graph mode),
PyTorch and JAX, whichever are installed, in one process run (workload 6: one subprocess per
system). Prints a markdown table of medians, min/max and each system's time as a multiple of
symgrad's (> 1: symgrad is faster), with what is timed for each system.

    python benches/compare.py                   # all workloads, full sizes
    python benches/compare.py --quick           # small sizes, few repeats
    python benches/compare.py --only build      # one group: build, mlp, chain_run,
                                                # elementwise, hvp, memory
    python benches/compare.py --update-readme   # also put the table into benches/README.md

Optional dependencies, never required by symgrad: tensorflow-cpu, torch, jax. See
benches/README.md for how each system is timed and why.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import importlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Optional, Sequence

# Quiet TF's C++ start-up logging before anything can import it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GROUPS = ["build", "mlp", "chain_run", "elementwise", "hvp", "memory"]
ANCHORS = [("tensorflow", "tensorflow"), ("pytorch", "torch"), ("jax", "jax")]


class Mismatch(AssertionError):
    pass


def have(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:
        return False


def _load_libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


LIBC = _load_libc()


def settle() -> None:
    """Frees what earlier runs left, before a timed call: glibc consolidates the millions of
    small chunks a large graph frees at the next large allocation (about 4 s after a 1.3M-op
    graph), which would otherwise be charged to whichever call comes next."""
    gc.collect()
    if LIBC is not None and hasattr(LIBC, "malloc_trim"):
        LIBC.malloc_trim(0)


def timed(fn: Callable[[], object], repeats: int, warmup: int = 1,
          settle_each: bool = True) -> list[float]:
    """Times ``repeats`` calls after ``warmup`` untimed ones, each after a ``settle()``;
    without ``settle_each``, one ``settle()`` first and then back to back: the steady state
    of a loop that runs the same computation again and again, its data still in the caches."""
    if not settle_each:
        settle()
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if settle_each:
            settle()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def check_close(workload: str, system: str, got: Sequence[Any], want: Sequence[Any],
                rtol: float) -> None:
    """Relative error of each result in the Frobenius norm against symgrad's."""
    if len(got) != len(want):
        raise Mismatch(f"{workload}: {system} returned {len(got)} results, symgrad {len(want)}")
    for i, (a, b) in enumerate(zip(got, want)):
        a = np.asarray(a, np.float64)
        b = np.asarray(b, np.float64)
        if a.shape != b.shape:
            raise Mismatch(f"{workload}: {system} result {i} has shape {a.shape}, symgrad {b.shape}")
        err = float(np.linalg.norm(a - b)) / max(float(np.linalg.norm(b)), 1e-30)
        if not err <= rtol:
            raise Mismatch(f"{workload}: {system} result {i} differs from symgrad's by "
                           f"{err:.2e} (relative, > {rtol:.0e})")


class Table:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.mismatches: list[str] = []

    def add(self, workload: str, system: str, timed_what: str, times: Optional[list[float]],
            note: str = "", unit: str = "ms") -> None:
        self.rows.append(dict(workload=workload, system=system, timed=timed_what, times=times,
                              note=note, unit=unit))
        med = f"{fmt(statistics.median(times), unit):>12}" if times else "         n/a"
        print(f"  {workload:<40} {system:<10} {med}  {note}", flush=True)

    def add_checked(self, workload: str, system: str, timed_what: str, runner: Callable,
                    repeats: int, reference: Optional[Sequence[Any]], rtol: float,
                    note: str = "", back_to_back: bool = False) -> Optional[Sequence[Any]]:
        """Runs ``runner() -> (step, result)``, checks ``result`` against ``reference`` (the
        symgrad result) and times ``step``; returns ``result``. With ``back_to_back``, the
        row also keeps the times of repeats run without settling in between."""
        try:
            step, result = runner()
            if reference is not None:
                check_close(workload, system, result, reference, rtol)
        except Mismatch as e:
            self.mismatches.append(str(e))
            self.add(workload, system, timed_what, None, f"**MISMATCH**: {e}")
            return None
        self.add(workload, system, timed_what, timed(step, repeats), note)
        if back_to_back:
            self.rows[-1]["back_to_back"] = timed(step, repeats, settle_each=False)
        return result

    def add_systems(self, workload: str, timed_what: dict[str, str],
                    runners: dict[str, Callable], repeats: int, rtol: float,
                    back_to_back: bool = False) -> None:
        """symgrad first, then each installed anchor, checked against symgrad's result."""
        reference = self.add_checked(workload, "symgrad", timed_what["symgrad"],
                                     runners["symgrad"], repeats, None, rtol,
                                     back_to_back=back_to_back)
        for system, module in ANCHORS:
            if have(module):
                self.add_checked(workload, system, timed_what[system], runners[system],
                                 repeats, reference, rtol, back_to_back=back_to_back)

    def markdown(self) -> str:
        out = ["| workload | system | what is timed | median | min | max | × symgrad | note |",
               "|---|---|---|---:|---:|---:|---:|---|"]
        base = {r["workload"]: statistics.median(r["times"])
                for r in self.rows if r["system"] == "symgrad" and r["times"]}
        for r in self.rows:
            t, unit = r["times"], r["unit"]
            if not t:
                out.append(f"| {r['workload']} | {r['system']} | {r['timed']} | n/a | | | | "
                           f"{r['note']} |")
                continue
            med = statistics.median(t)
            ratio = ""
            if r["system"] != "symgrad" and r["workload"] in base:
                ratio = f"{med / base[r['workload']]:.3g}"
            out.append(f"| {r['workload']} | {r['system']} | {r['timed']} | {fmt(med, unit)} | "
                       f"{fmt(min(t), unit)} | {fmt(max(t), unit)} | {ratio} | {r['note']} |")
        return "\n".join(out)


def fmt(value: float, unit: str) -> str:
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if value >= 1.0:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


# ----- the environment -----

def environment() -> dict[str, Any]:
    env: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    import symgrad  # noqa: PLC0415

    env["symgrad"] = f"{symgrad.__version__} @ {git_revision()}"
    for name, module in ANCHORS:
        if have(module):
            env[name] = importlib.import_module(module).__version__
    if have("jax"):
        env["jaxlib"] = importlib.import_module("jaxlib").__version__
    env["threads"] = thread_counts()
    return env


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_revision() -> str:
    """The checkout this script sits in; benches/README.md says to install symgrad from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", HERE, *args], capture_output=True, text=True,
                              check=False).stdout.strip()

    rev = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return rev + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


THREADS_ENV = "SYMGRAD_BENCH_THREADS"


def bench_threads() -> int:
    """The --threads setting (0: each system's default, all cores); children inherit it."""
    return int(os.environ.get(THREADS_ENV, "0"))


def limit_threads(n: int) -> None:
    """Must run before TF, PyTorch or JAX is imported: their pools read these at start-up."""
    os.environ[THREADS_ENV] = str(n)
    if n:
        os.environ["OMP_NUM_THREADS"] = str(n)
        os.environ["SYMGRAD_NUM_THREADS"] = str(n)  # symgrad's kernel pool
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   f" intra_op_parallelism_threads={n}").strip()


def configure_torch() -> None:
    import torch  # noqa: PLC0415

    if bench_threads():
        torch.set_num_threads(bench_threads())


def graph_session(tf: Any, graph: Any) -> Any:
    if bench_threads() and tf.__name__.startswith("tensorflow"):
        n = bench_threads()
        return tf.Session(graph=graph, config=tf.ConfigProto(
            intra_op_parallelism_threads=n, inter_op_parallelism_threads=n))
    return tf.Session(graph=graph)


def thread_counts() -> str:
    n = bench_threads()
    pool = os.environ.get("SYMGRAD_NUM_THREADS") or f"default = {os.cpu_count()}"
    parts = [f"symgrad {pool} (ops run one at a time; matmul, large elementwise ops, fused "
             "groups and reductions split over its pool)"]
    if have("tensorflow"):
        parts.append(f"tensorflow intra/inter-op {n or f'default = {os.cpu_count()}'}")
    if have("torch"):
        import torch  # noqa: PLC0415

        configure_torch()
        parts.append(f"pytorch {torch.get_num_threads()} intra-op (OpenMP)")
    if have("jax"):
        parts.append(f"jax XLA CPU {n or f'default = {os.cpu_count()}'}")
    return "; ".join(parts)


# ----- graph builders shared by symgrad and TF (the same tf.compat.v1 code) -----

def build_chain(tf: Any, n: int) -> tuple[Any, Any]:
    x = tf.placeholder(tf.float32, [16], name="x")
    y = x
    for _ in range(n):
        y = tf.tanh(y * 1.0001 + 0.1)
    return x, tf.reduce_sum(y)


def build_fanout(tf: Any, n: int) -> tuple[Any, Any]:
    x = tf.placeholder(tf.float32, [16], name="x")
    terms = [tf.sin(x * fanout_coefficient(i)) for i in range(n)]
    return x, tf.add_n(terms)


def fanout_coefficient(i: int) -> float:
    return float(1.0 + i * 1e-3)


def mlp_loss(tf: Any, x: Any, labels: Any, weights: Sequence[Any], biases: Sequence[Any]) -> Any:
    h = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = tf.matmul(h, w) + b
        if i + 1 < len(weights):
            h = tf.nn.relu(h)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=h))


DEEP_WIDTH = 16
DEEP_BATCH = 32


def deep_mlp_data(layers: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ws = [(rng.normal(size=(DEEP_WIDTH, DEEP_WIDTH)) * 0.3).astype(np.float32)
          for _ in range(layers)]
    bs = [np.zeros(DEEP_WIDTH, np.float32) for _ in range(layers)]
    x = rng.normal(size=(DEEP_BATCH, DEEP_WIDTH)).astype(np.float32)
    labels = np.eye(DEEP_WIDTH, dtype=np.float32)[rng.integers(0, DEEP_WIDTH, DEEP_BATCH)]
    return ws, bs, x, labels


def build_deep_mlp(tf: Any, layers: int) -> tuple[list[Any], Any]:
    ws_np, bs_np, _, _ = deep_mlp_data(layers)
    x = tf.placeholder(tf.float32, [None, DEEP_WIDTH])
    labels = tf.placeholder(tf.float32, [None, DEEP_WIDTH])
    ws = [tf.constant(w) for w in ws_np]
    bs = [tf.constant(b) for b in bs_np]
    return ws + bs, mlp_loss(tf, x, labels, ws, bs)


def num_ops(graph: Any) -> int:
    # symgrad's Graph.version is its op count and costs nothing; TF's counts ids, so use the list.
    if graph.__class__.__module__.startswith("symgrad"):
        return int(graph.version)
    return len(graph.get_operations())


def executed_ops(fetches: Sequence[Any]) -> int:
    """Ops a run of ``fetches`` needs: the closure over data and control inputs."""
    seen = set()
    stack = [t.op for t in fetches]
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return len(seen)


def load_tf() -> Any:
    import tensorflow.compat.v1 as tf  # noqa: PLC0415

    tf.disable_eager_execution()
    return tf


# ----- workload 1: building gradients -----

def graph_gradients_call(tf: Any, build: Callable[[Any], tuple[Any, Any]],
                         repeats: int) -> tuple[list[float], int]:
    """Times ``tf.gradients(ys, xs)`` on a freshly built graph each repeat."""
    times, added = [], 0
    for _ in range(repeats):
        g = tf.Graph()
        with g.as_default():
            xs, ys = build(tf)
            before = num_ops(g)
            settle()
            t0 = time.perf_counter()
            tf.gradients(ys, xs)
            times.append(time.perf_counter() - t0)
            added = num_ops(g) - before
        del g
    return times, added


def torch_case(kind: str, n: int) -> tuple[Any, list[Any]]:
    import torch  # noqa: PLC0415

    if kind == "MLP":
        ws_np, bs_np, x_np, y_np = deep_mlp_data(n)
        params = [torch.tensor(a, requires_grad=True) for a in ws_np + bs_np]
        return torch_mlp_loss(params, torch.from_numpy(x_np), torch.from_numpy(y_np)), params
    x = torch.full((16,), 0.5, requires_grad=True)
    if kind == "chain":
        y = x
        for _ in range(n):
            y = torch.tanh(y * 1.0001 + 0.1)
        return y.sum(), [x]
    return torch.stack([torch.sin(x * fanout_coefficient(i)) for i in range(n)]).sum(0).sum(), [x]


def torch_mlp_loss(params: Sequence[Any], x: Any, labels: Any) -> Any:
    """Workload 1's and 2's MLP in PyTorch; ``params`` is the weights, then the biases."""
    import torch  # noqa: PLC0415

    n = len(params) // 2
    h = x
    for i in range(n):
        h = torch.addmm(params[n + i], h, params[i])
        if i + 1 < n:
            h = torch.relu(h)
    return torch.nn.functional.cross_entropy(h, labels)  # probabilities as targets: softmax xent


def jax_mlp_loss(params: Sequence[Any], x: Any, labels: Any) -> Any:
    """The same MLP in JAX."""
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    n = len(params) // 2
    h = x
    for i in range(n):
        h = h @ params[i] + params[n + i]
        if i + 1 < n:
            h = jax.nn.relu(h)
    return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(h), axis=1))


def autograd_nodes(loss: Any) -> int:
    seen = set()
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(next_fn for next_fn, _ in fn.next_functions)
    return len(seen)


def torch_backward_call(kind: str, n: int, repeats: int) -> tuple[list[float], str]:
    import torch  # noqa: PLC0415

    times, nodes = [], 0
    for _ in range(repeats):
        loss, inputs = torch_case(kind, n)
        nodes = autograd_nodes(loss)
        settle()
        t0 = time.perf_counter()
        torch.autograd.grad(loss, inputs, create_graph=False)
        times.append(time.perf_counter() - t0)
        del loss, inputs
    return times, f"{nodes} autograd nodes"


def jax_case(kind: str, n: int) -> tuple[Callable[..., Any], list[Any], tuple[int, ...]]:
    """A JAX function, its arguments, and which of them to differentiate."""
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    if kind == "MLP":
        ws_np, bs_np, x_np, y_np = deep_mlp_data(n)

        def loss(x: Any, y: Any, *params: Any) -> Any:
            return jax_mlp_loss(params, x, y)

        args = [jnp.asarray(a) for a in [x_np, y_np] + ws_np + bs_np]
        return loss, args, tuple(range(2, len(args)))
    if kind == "chain":
        def chain(x: Any) -> Any:
            for _ in range(n):
                x = jnp.tanh(x * 1.0001 + 0.1)
            return jnp.sum(x)

        return chain, [jnp.full((16,), 0.5, jnp.float32)], (0,)

    def fanout(x: Any) -> Any:
        return jnp.sum(jnp.sum(jnp.stack([jnp.sin(x * fanout_coefficient(i))
                                          for i in range(n)]), axis=0))

    return fanout, [jnp.full((16,), 0.5, jnp.float32)], (0,)


def jax_grad_trace(kind: str, n: int, repeats: int) -> tuple[list[float], str]:
    """Times jit(grad(f)).trace(): JAX's gradient jaxpr, built by tracing f's Python code.
    Going through an already traced forward jaxpr (jaxpr_as_fun) is about twice as slow, so
    the forward trace stays in and its time alone is reported beside it."""
    import jax  # noqa: PLC0415

    f, args, argnums = jax_case(kind, n)
    t0 = time.perf_counter()
    forward_eqns = len(jax.make_jaxpr(f)(*args).eqns)
    forward_time = time.perf_counter() - t0
    times, traced = [], []
    for _ in range(repeats):
        fresh = jax.jit(jax.grad(f, argnums))  # a new function object: nothing cached
        settle()
        t0 = time.perf_counter()
        traced.append(fresh.trace(*args))
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    traced[-1].lower()
    lower_time = time.perf_counter() - t0
    added = len(traced[-1].jaxpr.eqns) - forward_eqns
    return times, (f"{added} jaxpr eqns added; forward trace alone {fmt(forward_time, 's')}, "
                   f"then lower {fmt(lower_time, 's')}")


BUILD_TIMED = {
    "symgrad": "`gradients()` call",
    "tensorflow": "`gradients()` call",
    "pytorch": "`autograd.grad` (runs the backward; create_graph=False)",
    "jax": "`jit(grad(f)).trace()` (includes tracing the forward)",
}


def workload_build(table: Table, args: argparse.Namespace) -> None:
    import symgrad  # noqa: PLC0415

    tf = load_tf() if have("tensorflow") else None
    if args.quick:
        cases = [("chain", 1_000), ("chain", 10_000), ("fan-out", 1_000), ("MLP", 10),
                 ("MLP", 100)]
    else:
        cases = [("chain", n) for n in (1_000, 10_000, 100_000, 1_000_000)]
        cases += [("fan-out", n) for n in (1_000, 10_000, 100_000)]
        cases += [("MLP", n) for n in (10, 100, 1000)]
    builders = {
        "chain": lambda n: (lambda t: build_chain(t, n)),
        "fan-out": lambda n: (lambda t: build_fanout(t, n)),
        "MLP": lambda n: (lambda t: build_deep_mlp(t, n)),
    }
    forward_ops_per_step = {"chain": 5, "fan-out": 3, "MLP": 6}
    # Warm-up: first calls pay for lazy imports and registries.
    graph_gradients_call(symgrad, builders["chain"](10), 1)
    if tf is not None:
        graph_gradients_call(tf, builders["chain"](10), 1)
    if have("torch"):
        torch_backward_call("chain", 10, 1)
    if have("jax"):
        jax_grad_trace("chain", 10, 1)

    for kind, n in cases:
        name = f"1. gradients, {kind} {'L' if kind == 'MLP' else 'N'}={n}"
        size = forward_ops_per_step[kind] * n
        build = builders[kind](n)
        times, added = graph_gradients_call(symgrad, build, 5 if size < 100_000 else 1)
        per_op = statistics.median(times) * 1e9 / max(added, 1)
        table.add(name, "symgrad", BUILD_TIMED["symgrad"], times,
                  f"{added} ops added, {per_op:.0f} ns/op")
        if tf is not None:
            if size <= args.tf_max_ops:
                times, added = graph_gradients_call(tf, build, 3 if size <= 10_000 else 1)
                table.add(name, "tensorflow", BUILD_TIMED["tensorflow"], times,
                          f"{added} ops added")
            else:
                table.add(name, "tensorflow", BUILD_TIMED["tensorflow"], None,
                          f"skipped: over --tf-max-ops {args.tf_max_ops} forward ops")
        for system, module, run in [("pytorch", "torch", torch_backward_call),
                                    ("jax", "jax", jax_grad_trace)]:
            if not have(module):
                continue
            if size > args.anchor_max_ops:
                table.add(name, system, BUILD_TIMED[system], None,
                          f"skipped: over --anchor-max-ops {args.anchor_max_ops} forward ops")
                continue
            times, note = run(kind, n, 3 if size <= 10_000 else 1)
            table.add(name, system, BUILD_TIMED[system], times, note)


# ----- workloads 2, 5 and 6: the 784-1024-1024-10 MLP -----

def mlp_data(batch: int = 256, sizes: Sequence[int] = (784, 1024, 1024, 10)
             ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    ws = [(rng.normal(size=(a, b)) * np.sqrt(2.0 / a)).astype(np.float32)
          for a, b in zip(sizes, sizes[1:])]
    bs = [(rng.normal(size=b) * 0.1).astype(np.float32) for b in sizes[1:]]
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    labels = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return ws, bs, x, labels


def hvp_direction(shape: Sequence[int]) -> np.ndarray:
    return np.random.default_rng(1).normal(size=shape).astype(np.float32)


def graph_mlp_runner(tf: Any, hvp: bool = False) -> tuple[Callable[[], Any], list[np.ndarray]]:
    ws_np, bs_np, x_np, y_np = mlp_data()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, x_np.shape)
        labels = tf.placeholder(tf.float32, y_np.shape)
        ws = [tf.constant(w) for w in ws_np]
        bs = [tf.constant(b) for b in bs_np]
        loss = mlp_loss(tf, x, labels, ws, bs)
        grads = tf.gradients(loss, ws + bs)
        if hvp:
            v = tf.constant(hvp_direction(ws_np[0].shape))
            fetch = tf.gradients(tf.reduce_sum(grads[0] * v), ws[0])
        else:
            fetch = grads
        sess = graph_session(tf, g)
    feed = {x: x_np, labels: y_np}
    return (lambda: sess.run(fetch, feed)), sess.run(fetch, feed)


def torch_mlp_runner(hvp: bool = False) -> tuple[Callable[[], Any], list[np.ndarray]]:
    import torch  # noqa: PLC0415

    ws_np, bs_np, x_np, y_np = mlp_data()
    params = [torch.from_numpy(a).requires_grad_() for a in ws_np + bs_np]
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    v = torch.from_numpy(hvp_direction(ws_np[0].shape))

    def step() -> Any:
        if hvp:  # reverse over reverse, as torch.autograd.functional.hvp does
            g0 = torch.autograd.grad(torch_mlp_loss(params, x, y), params[0],
                                     create_graph=True)[0]
            return torch.autograd.grad((g0 * v).sum(), params[0])
        return torch.autograd.grad(torch_mlp_loss(params, x, y), params)

    return step, [t.numpy() for t in step()]


def jax_mlp_runner(hvp: bool = False) -> tuple[Callable[[], Any], list[np.ndarray]]:
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    ws_np, bs_np, x_np, y_np = mlp_data()
    params = [jnp.asarray(a) for a in ws_np + bs_np]
    loss = jax_mlp_loss

    if hvp:  # forward over reverse, JAX's recommended Hessian-vector product
        v = jnp.asarray(hvp_direction(ws_np[0].shape))

        def hvp_fn(params: list[Any], x: Any, y: Any) -> Any:
            def grad_w0(w0: Any) -> Any:
                return jax.grad(loss)([w0] + params[1:], x, y)[0]

            return [jax.jvp(grad_w0, (params[0],), (v,))[1]]

        f = jax.jit(hvp_fn)
    else:
        f = jax.jit(jax.grad(loss))
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)

    def step() -> Any:
        return jax.block_until_ready(f(params, x, y))

    return step, [np.asarray(a) for a in step()]


def workload_mlp(table: Table, args: argparse.Namespace, hvp: bool = False) -> None:
    import symgrad  # noqa: PLC0415

    if hvp:
        name = "5. Hessian-vector product, MLP loss w.r.t. W1"
        timed_what = {"symgrad": "`Session.run` of gradients(sum(dL/dW1 * v), W1)",
                      "pytorch": "forward + grad(create_graph=True) + grad",
                      "jax": "jitted `jvp(grad(loss), W1, v)`"}
        rtol = 2e-3
    else:
        name = "2. run MLP gradient 784-1024-1024-10, b256"
        timed_what = {"symgrad": "`Session.run` of the 6 gradients",
                      "pytorch": "forward + `autograd.grad`", "jax": "jitted `grad(loss)`"}
        rtol = 1e-4
    timed_what["tensorflow"] = timed_what["symgrad"]
    repeats = 5 if args.quick else 20
    runners = {"symgrad": lambda: graph_mlp_runner(symgrad, hvp),
               "tensorflow": lambda: graph_mlp_runner(load_tf(), hvp),
               "pytorch": lambda: torch_mlp_runner(hvp), "jax": lambda: jax_mlp_runner(hvp)}
    table.add_systems(name, timed_what, runners, repeats, rtol)


# ----- workload 3: per-op overhead -----

def workload_chain_run(table: Table, args: argparse.Namespace) -> None:
    import symgrad  # noqa: PLC0415

    n = 1000
    x0 = np.linspace(-1.0, 1.0, 16, dtype=np.float32)
    name = f"3. run chain N={n} gradient"
    repeats = 20 if args.quick else 100
    symgrad_ops: list[int] = []

    def graph_runner(tf: Any) -> Callable[[], tuple[Callable[[], Any], list[Any]]]:
        def make() -> tuple[Callable[[], Any], list[Any]]:
            g = tf.Graph()
            with g.as_default():
                x, loss = build_chain(tf, n)
                grad = tf.gradients(loss, x)
                sess = graph_session(tf, g)
            symgrad_ops.append(executed_ops(grad))
            feed = {x: x0}
            return (lambda: sess.run(grad, feed)), sess.run(grad, feed)
        return make

    def torch_runner() -> tuple[Callable[[], Any], list[Any]]:
        import torch  # noqa: PLC0415

        x = torch.from_numpy(x0.copy()).requires_grad_()

        def step() -> Any:
            y = x
            for _ in range(n):
                y = torch.tanh(y * 1.0001 + 0.1)
            return torch.autograd.grad(y.sum(), x)

        return step, [t.numpy() for t in step()]

    def jax_runner() -> tuple[Callable[[], Any], list[Any]]:
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415

        def f(x: Any) -> Any:
            for _ in range(n):
                x = jnp.tanh(x * 1.0001 + 0.1)
            return jnp.sum(x)

        g = jax.jit(jax.grad(f))
        xj = jnp.asarray(x0)
        return (lambda: jax.block_until_ready(g(xj))), [np.asarray(g(xj))]

    timed_what = {"symgrad": "`Session.run` of the gradient",
                  "tensorflow": "`Session.run` of the gradient",
                  "pytorch": "eager forward + `autograd.grad`", "jax": "jitted `grad(f)`"}
    runners = {"symgrad": graph_runner(symgrad), "tensorflow": lambda: graph_runner(load_tf())(),
               "pytorch": torch_runner, "jax": jax_runner}
    table.add_systems(name, timed_what, runners, repeats, 1e-4, back_to_back=True)
    # Per executed op, all divided by symgrad's count so the figures compare the same program.
    # The timed column settles (gc.collect) before each repeat, which leaves the caches cold
    # for a run this short; the note also gives the steady state of back-to-back runs.
    ops = symgrad_ops[0] if symgrad_ops else 0
    for row in table.rows:
        if row["workload"] == name and row["times"] and ops:
            per_op = statistics.median(row["times"]) * 1e9 / ops
            steady = statistics.median(row.get("back_to_back") or row["times"]) * 1e9 / ops
            row["note"] = (f"{per_op:.0f} ns per executed op ({ops} ops in symgrad's plan); "
                           f"back to back {steady:.0f} ns per op")


# ----- workload 4: large elementwise -----

def workload_elementwise(table: Table, args: argparse.Namespace) -> None:
    import symgrad  # noqa: PLC0415

    n = 1_000_000 if args.quick else 10_000_000
    data = np.random.default_rng(0).normal(size=n).astype(np.float32)
    name = f"4. run grad of sum(sin(x)*exp(-x*x)), n={n:,}"
    repeats = 5 if args.quick else 15

    def graph_runner(tf: Any) -> Callable[[], tuple[Callable[[], Any], list[Any]]]:
        def make() -> tuple[Callable[[], Any], list[Any]]:
            g = tf.Graph()
            with g.as_default():
                x = tf.placeholder(tf.float32, [n])
                grad = tf.gradients(tf.reduce_sum(tf.sin(x) * tf.exp(-x * x)), x)
                sess = graph_session(tf, g)
            return (lambda: sess.run(grad, {x: data})), sess.run(grad, {x: data})
        return make

    def torch_runner() -> tuple[Callable[[], Any], list[Any]]:
        import torch  # noqa: PLC0415

        xt = torch.from_numpy(data).requires_grad_()

        def step() -> Any:
            return torch.autograd.grad((torch.sin(xt) * torch.exp(-xt * xt)).sum(), xt)

        return step, [t.numpy() for t in step()]

    def jax_runner() -> tuple[Callable[[], Any], list[Any]]:
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415

        g = jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x))))
        xj = jnp.asarray(data)
        return (lambda: jax.block_until_ready(g(xj))), [np.asarray(g(xj))]

    timed_what = {"symgrad": "`Session.run` (feed + gradient)",
                  "tensorflow": "`Session.run` (feed + gradient)",
                  "pytorch": "eager forward + `autograd.grad`",
                  "jax": "jitted `grad(f)` (input already on device)"}
    runners = {"symgrad": graph_runner(symgrad), "tensorflow": lambda: graph_runner(load_tf())(),
               "pytorch": torch_runner, "jax": jax_runner}
    table.add_systems(name, timed_what, runners, repeats, 1e-5)


# ----- workload 6: peak memory, one process per system -----

def memory_child(system: str) -> None:
    """Runs in a fresh interpreter: import, measure, run workload 2 five times, measure."""
    if system == "symgrad":
        import symgrad  # noqa: PLC0415

        make = lambda: graph_mlp_runner(symgrad)  # noqa: E731
    elif system == "tensorflow":
        tf = load_tf()
        make = lambda: graph_mlp_runner(tf)  # noqa: E731
    elif system == "pytorch":
        configure_torch()
        make = torch_mlp_runner
    else:
        import jax  # noqa: PLC0415, F401

        make = jax_mlp_runner
    baseline = proc_status_kib("VmRSS")
    step, _ = make()
    for _ in range(5):
        step()
    print(json.dumps({"baseline_kib": baseline, "peak_kib": proc_status_kib("VmHWM")}))


def proc_status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def workload_memory(table: Table, args: argparse.Namespace) -> None:
    name = "6. peak RSS, workload 2 (5 runs)"
    for system, module in [("symgrad", "symgrad")] + ANCHORS:
        if not have(module):
            continue
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", system],
                             capture_output=True, text=True, check=False)
        try:
            figures = json.loads(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            lines = out.stderr.strip().splitlines()
            table.add(name, system, "VmHWM", None, lines[-1] if lines else "failed", "MiB")
            continue
        peak = figures["peak_kib"] / 1024
        base = figures["baseline_kib"] / 1024
        table.add(name, system, "VmHWM of its own process", [peak],
                  f"after import: {base:.0f} MiB; peak − import: {peak - base:.0f} MiB", "MiB")


# ----- main -----

README_BEGIN = "<!-- compare.py results: begin -->"
README_END = "<!-- compare.py results: end -->"


def report(env: dict[str, Any], table: Table, args: argparse.Namespace) -> str:
    env = dict(env, **{"load average at end": " ".join(f"{x:.2f}" for x in os.getloadavg())})
    command = "python benches/compare.py" + (" --quick" if args.quick else "") + \
        (f" --only {args.only}" if args.only else "") + \
        (f" --threads {args.threads}" if args.threads else "")
    lines = [f"`{command}`, {env['date']}", ""]
    lines += [f"- {k}: {v}" for k, v in env.items() if k != "date"]
    lines += ["", table.markdown()]
    if table.mismatches:
        lines += ["", "**Results that disagree with symgrad's (not timed):**"]
        lines += [f"- {m}" for m in table.mismatches]
    return "\n".join(lines)


def update_readme(text: str) -> None:
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        readme = f.read()
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"{path} has no {README_BEGIN} ... {README_END} section")
    readme = pattern.sub(lambda _: f"{README_BEGIN}\n{text}\n{README_END}", readme)
    with open(path, "w") as f:
        f.write(readme)
    print(f"updated {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    ap.add_argument("--only", choices=GROUPS, help="run one workload group")
    ap.add_argument("--tf-max-ops", type=int, default=60_000,
                    help="skip TF's gradients() on forward graphs with more ops than this "
                         "(TF takes about 1 ms per op: the 10k chain is about a minute)")
    ap.add_argument("--anchor-max-ops", type=int, default=60_000,
                    help="skip PyTorch and JAX in workload 1 above this many forward ops "
                         "(JAX traces the 10k chain's gradient in about 15 s)")
    ap.add_argument("--threads", type=int, default=0,
                    help="threads for symgrad, TF, PyTorch and JAX (default 0: each one's "
                         "default, all cores)")
    ap.add_argument("--json", help="also write the environment and rows to this file")
    ap.add_argument("--update-readme", action="store_true",
                    help="replace the results section of benches/README.md with this run's")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.threads:
        limit_threads(args.threads)
    if args.memory_child:
        memory_child(args.memory_child)
        return
    if args.quick and "--tf-max-ops" not in sys.argv:
        args.tf_max_ops = 10_000
    if args.quick and "--anchor-max-ops" not in sys.argv:
        args.anchor_max_ops = 10_000
    env = environment()
    for k, v in env.items():
        print(f"{k}: {v}")
    table = Table()
    groups = {
        "build": lambda: workload_build(table, args),
        "mlp": lambda: workload_mlp(table, args),
        "chain_run": lambda: workload_chain_run(table, args),
        "elementwise": lambda: workload_elementwise(table, args),
        "hvp": lambda: workload_mlp(table, args, hvp=True),
        "memory": lambda: workload_memory(table, args),
    }
    for name in GROUPS:
        if args.only in (None, name):
            print(f"== {name}", flush=True)
            groups[name]()
    text = report(env, table, args)
    print("\n" + text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "rows": table.rows,
                       "mismatches": table.mismatches}, f, indent=1)
    if args.update_readme:
        update_readme(text)
    if table.mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
