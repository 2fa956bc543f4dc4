"""Side-by-side figures: symgrad against TensorFlow (tf.compat.v1 graph mode), PyTorch and
JAX, whichever are installed, in one process run. Prints a table of medians, min/max and the
ratio of each system's time to symgrad's (ratio > 1: symgrad is faster).

    python benches/compare.py                 # all workloads, default sizes
    python benches/compare.py --quick         # small sizes only
    python benches/compare.py --only build    # one workload group: build, mlp, chain_run,
                                              # elementwise, hvp, memory

Optional dependencies (never required by symgrad): tensorflow-cpu, torch, jax.
Workload 6 (peak memory) runs each system in its own subprocess.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Callable, Optional

import numpy as np


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def have(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except Exception:
        return False


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, Optional[list[float]], str]] = []

    def add(self, workload: str, system: str, times: Optional[list[float]], note: str = "") -> None:
        self.rows.append((workload, system, times, note))
        med = f"{statistics.median(times) * 1e3:10.2f} ms" if times else "       n/a   "
        print(f"  {workload:<34} {system:<10} {med} {note}", flush=True)

    def print(self) -> None:
        print("\n| workload | system | median | min | max | ratio to symgrad | note |")
        print("|---|---|---|---|---|---|---|")
        base: dict[str, float] = {}
        for w, s, t, _ in self.rows:
            if s == "symgrad" and t:
                base[w] = statistics.median(t)
        for w, s, t, note in self.rows:
            if not t:
                print(f"| {w} | {s} | n/a | | | | {note} |")
                continue
            med = statistics.median(t)
            ratio = f"{med / base[w]:.2f}x" if w in base and s != "symgrad" else ""
            print(f"| {w} | {s} | {med * 1e3:.2f} ms | {min(t) * 1e3:.2f} | {max(t) * 1e3:.2f} | {ratio} | {note} |")


# ----- graph builders shared by symgrad and TF (same API) -----

def build_chain(tf, n: int):
    x = tf.placeholder(tf.float32, [16], name="x")
    y = x
    for _ in range(n):
        y = tf.tanh(y * 1.0001 + 0.1)
    return x, tf.reduce_sum(y)


def build_fanout(tf, n: int):
    x = tf.placeholder(tf.float32, [16], name="x")
    terms = [tf.sin(x * float(1.0 + i * 1e-3)) for i in range(n)]
    return x, tf.add_n(terms)


def mlp_loss(tf, x, labels, weights, biases):
    h = x
    for i, (w, b) in enumerate(zip(weights, biases)):
        h = tf.matmul(h, w) + b
        if i + 1 < len(weights):
            h = tf.nn.relu(h)
    if hasattr(tf.nn, "softmax_cross_entropy_with_logits_v2"):
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=h))
    return tf.reduce_mean(tf.square(h - labels))  # until the nn ops land


def build_deep_mlp(tf, layers: int, width: int = 16):
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [None, width])
    labels = tf.placeholder(tf.float32, [None, width])
    ws = [tf.constant(rng.normal(size=(width, width)).astype(np.float32) * 0.3) for _ in range(layers)]
    bs = [tf.constant(np.zeros(width, np.float32)) for _ in range(layers)]
    return mlp_loss(tf, x, labels, ws, bs), ws + bs


def time_gradients_call(tf, build: Callable, repeats: int) -> tuple[list[float], int]:
    times, added = [], 0
    for _ in range(repeats):
        g = tf.Graph()
        with g.as_default():
            ys, xs = build()
            before = len(g.get_operations())
            t0 = time.perf_counter()
            tf.gradients(ys, xs)
            times.append(time.perf_counter() - t0)
            added = len(g.get_operations()) - before
    return times, added


def load_tf():
    import tensorflow.compat.v1 as tf  # noqa: PLC0415

    tf.disable_eager_execution()
    return tf


# ----- workloads -----

def workload_build(table: Table, quick: bool, tf_max_ops: int) -> None:
    import symgrad  # noqa: PLC0415

    tf = load_tf() if have("tensorflow") else None
    chains = [1_000, 10_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    fanouts = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    mlps = [10, 100] if quick else [10, 100, 1000]
    cases = [(f"gradients() chain N={n}", n * 16, lambda t, n=n: (lambda: tuple(reversed(build_chain(t, n))))) for n in chains]
    cases += [(f"gradients() fan-out N={n}", n * 6, lambda t, n=n: (lambda: tuple(reversed(build_fanout(t, n))))) for n in fanouts]
    cases += [(f"gradients() MLP L={n}", n * 30, lambda t, n=n: (lambda: build_deep_mlp(t, n))) for n in mlps]
    for name, approx_ops, make in cases:
        reps = 3 if approx_ops < 200_000 else 1
        times, added = time_gradients_call(symgrad, make(symgrad), reps)
        table.add(name, "symgrad", times, f"{added} ops added")
        if tf is not None and approx_ops <= tf_max_ops:
            times, added = time_gradients_call(tf, make(tf), 1)
            table.add(name, "tensorflow", times, f"{added} ops added")
        elif tf is not None:
            table.add(name, "tensorflow", None, f"skipped (> --tf-max-ops {tf_max_ops})")


def mlp_data(batch=256, sizes=(784, 1024, 1024, 10)):
    rng = np.random.default_rng(0)
    ws = [(rng.normal(size=(a, b)) * np.sqrt(2.0 / a)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    bs = [np.zeros(b, np.float32) for b in sizes[1:]]
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    labels = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return ws, bs, x, labels


def graph_mlp_runner(tf, hvp: bool = False):
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
            v = tf.constant(np.ones_like(ws_np[0]) * 1e-3)
            inner = tf.reduce_sum(grads[0] * tf.stop_gradient(v))
            fetch = tf.gradients(inner, ws[0])
        else:
            fetch = grads
        sess = tf.Session(graph=g)
    feed = {x: x_np, labels: y_np}
    sess.run(fetch, feed)
    return lambda: sess.run(fetch, feed)


def torch_mlp_runner(hvp: bool = False):
    import torch  # noqa: PLC0415

    ws_np, bs_np, x_np, y_np = mlp_data()
    ws = [torch.tensor(w, requires_grad=True) for w in ws_np]
    bs = [torch.tensor(b, requires_grad=True) for b in bs_np]
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def loss_fn():
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w + b
            if i + 1 < len(ws):
                h = torch.relu(h)
        return torch.nn.functional.cross_entropy(h, y.argmax(1))

    def step():
        if hvp:
            g0 = torch.autograd.grad(loss_fn(), ws[0], create_graph=True)[0]
            return torch.autograd.grad((g0 * 1e-3).sum(), ws[0])
        return torch.autograd.grad(loss_fn(), ws + bs)

    step()
    return step


def jax_mlp_runner(hvp: bool = False):
    import jax  # noqa: PLC0415
    import jax.numpy as jnp  # noqa: PLC0415

    ws_np, bs_np, x_np, y_np = mlp_data()
    params = [jnp.asarray(a) for a in ws_np + bs_np]
    n = len(ws_np)

    def loss(params, x, y):
        h = x
        for i in range(n):
            h = h @ params[i] + params[n + i]
            if i + 1 < n:
                h = jax.nn.relu(h)
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(h), axis=1))

    if hvp:
        v = jnp.ones_like(params[0]) * 1e-3
        f = jax.jit(lambda p, x, y: jax.grad(lambda w0: jnp.vdot(jax.grad(loss)([w0] + p[1:], x, y)[0], v))(p[0]))
    else:
        f = jax.jit(jax.grad(loss))
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    jax.block_until_ready(f(params, x, y))
    return lambda: jax.block_until_ready(f(params, x, y))


def workload_mlp(table: Table, hvp: bool = False) -> None:
    import symgrad  # noqa: PLC0415

    name = "Hessian-vector product, MLP W1" if hvp else "run MLP gradient 784-1024-1024-10 b256"
    table.add(name, "symgrad", timed(graph_mlp_runner(symgrad, hvp), 10))
    if have("tensorflow"):
        table.add(name, "tensorflow", timed(graph_mlp_runner(load_tf(), hvp), 10))
    if have("torch"):
        table.add(name, "pytorch", timed(torch_mlp_runner(hvp), 10))
    if have("jax"):
        table.add(name, "jax", timed(jax_mlp_runner(hvp), 10), "jitted")


def workload_chain_run(table: Table) -> None:
    import symgrad  # noqa: PLC0415

    def runner(tf):
        g = tf.Graph()
        with g.as_default():
            x, loss = build_chain(tf, 1000)
            grad = tf.gradients(loss, x)
            sess = tf.Session(graph=g)
        feed = {x: np.full(16, 0.5, np.float32)}
        sess.run(grad, feed)
        return lambda: sess.run(grad, feed)

    name = "run chain N=1000 gradient"
    table.add(name, "symgrad", timed(runner(symgrad), 50))
    if have("tensorflow"):
        table.add(name, "tensorflow", timed(runner(load_tf()), 50))
    if have("torch"):
        import torch  # noqa: PLC0415

        x = torch.full((16,), 0.5, requires_grad=True)

        def step():
            y = x
            for _ in range(1000):
                y = torch.tanh(y * 1.0001 + 0.1)
            return torch.autograd.grad(y.sum(), x)

        table.add(name, "pytorch", timed(step, 20))
    if have("jax"):
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415

        def f(x):
            for _ in range(1000):
                x = jnp.tanh(x * 1.0001 + 0.1)
            return x.sum()

        g = jax.jit(jax.grad(f))
        xj = jnp.full((16,), 0.5, jnp.float32)
        jax.block_until_ready(g(xj))
        table.add(name, "jax", timed(lambda: jax.block_until_ready(g(xj)), 50), "jitted")


def workload_elementwise(table: Table, quick: bool) -> None:
    import symgrad  # noqa: PLC0415

    n = 1_000_000 if quick else 10_000_000
    data = np.random.default_rng(0).normal(size=n).astype(np.float32)

    def runner(tf):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [n])
            loss = tf.reduce_sum(tf.sin(x) * tf.exp(-x * x))
            grad = tf.gradients(loss, x)
            sess = tf.Session(graph=g)
        sess.run(grad, {x: data})
        return lambda: sess.run(grad, {x: data})

    name = f"run grad of sum(sin(x)*exp(-x*x)), n={n}"
    table.add(name, "symgrad", timed(runner(symgrad), 5))
    if have("tensorflow"):
        table.add(name, "tensorflow", timed(runner(load_tf()), 5))
    if have("torch"):
        import torch  # noqa: PLC0415

        xt = torch.tensor(data, requires_grad=True)
        table.add(name, "pytorch", timed(lambda: torch.autograd.grad((torch.sin(xt) * torch.exp(-xt * xt)).sum(), xt), 5))
    if have("jax"):
        import jax  # noqa: PLC0415
        import jax.numpy as jnp  # noqa: PLC0415

        g = jax.jit(jax.grad(lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x))))
        xj = jnp.asarray(data)
        jax.block_until_ready(g(xj))
        table.add(name, "jax", timed(lambda: jax.block_until_ready(g(xj)), 5), "jitted")


MEMORY_CHILD = r"""
import resource, sys
sys.path.insert(0, {here!r})
import compare
system = sys.argv[1]
if system == "symgrad":
    import symgrad; step = compare.graph_mlp_runner(symgrad)
elif system == "tensorflow":
    step = compare.graph_mlp_runner(compare.load_tf())
elif system == "pytorch":
    step = compare.torch_mlp_runner()
else:
    step = compare.jax_mlp_runner()
for _ in range(5):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def workload_memory(table: Table) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    code = MEMORY_CHILD.format(here=here)
    for system, module in [("symgrad", "symgrad"), ("tensorflow", "tensorflow"), ("pytorch", "torch"), ("jax", "jax")]:
        if not have(module):
            continue
        out = subprocess.run([sys.executable, "-c", code, system], capture_output=True, text=True, check=False)
        try:
            kib = int(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            table.add("peak RSS, MLP gradient (MiB)", system, None, out.stderr.strip().splitlines()[-1:][0] if out.stderr else "failed")
            continue
        # Report MiB in the time column's place, so ratios still read "x times symgrad's".
        table.add("peak RSS, MLP gradient (MiB)", system, [kib / 1024 / 1e3], f"{kib / 1024:.0f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["build", "mlp", "chain_run", "elementwise", "hvp", "memory"])
    ap.add_argument("--tf-max-ops", type=int, default=200_000, help="skip TF's gradients() on graphs larger than this")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args()
    import symgrad  # noqa: PLC0415

    versions = {"symgrad": getattr(symgrad, "__version__", "dev"), "numpy": np.__version__}
    for m in ("tensorflow", "torch", "jax"):
        if have(m):
            versions[m] = importlib.import_module(m).__version__
    print("versions:", versions, "| cpus:", os.cpu_count())
    table = Table()
    groups = {
        "build": lambda: workload_build(table, args.quick, args.tf_max_ops),
        "mlp": lambda: workload_mlp(table),
        "chain_run": lambda: workload_chain_run(table),
        "elementwise": lambda: workload_elementwise(table, args.quick),
        "hvp": lambda: workload_mlp(table, hvp=True),
        "memory": lambda: workload_memory(table),
    }
    for name, run in groups.items():
        if args.only in (None, name):
            print(f"== {name}", flush=True)
            run()
    table.print()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions, "rows": table.rows}, f, indent=1)


if __name__ == "__main__":
    main()
