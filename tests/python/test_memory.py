"""Memory: running an MLP's gradient many times leaves resident memory flat (no leak in the
executor, the plan cache or the numpy conversions).

CI runs a smaller MLP (batch 64, 784-256-256-10) 300 times; ``SYMGRAD_LONG_TESTS=1`` runs the
full one (batch 256, 784-1024-1024-10) 1,000 times. The RSS growth after a warm-up must stay
under a bound far below one iteration's allocations times the iteration count."""

from __future__ import annotations

import os

import numpy as np

import symgrad as tf

LONG = os.environ.get("SYMGRAD_LONG_TESTS") == "1"


def _rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _mlp(batch, sizes):
    rng = np.random.RandomState(0)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, sizes[0]], name="x")
        labels = tf.placeholder(tf.float32, [None, sizes[-1]], name="labels")
        weights, h = [], x
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            w = tf.constant((rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32),
                            name=f"w{i}")
            weights.append(w)
            h = tf.matmul(h, w)
            if i < len(sizes) - 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=h))
        grads = tf.gradients(loss, weights)
    feed = {x: rng.normal(size=(batch, sizes[0])).astype(np.float32),
            labels: np.eye(sizes[-1], dtype=np.float32)[rng.randint(0, sizes[-1], batch)]}
    return g, [loss] + grads, feed


def test_mlp_gradient_runs_leave_rss_flat():
    if LONG:
        batch, sizes, iterations = 256, [784, 1024, 1024, 10], 1000
    else:
        batch, sizes, iterations = 64, [784, 256, 256, 10], 300
    g, fetches, feed = _mlp(batch, sizes)
    with tf.Session(graph=g) as sess:
        first = sess.run(fetches, feed)
        for _ in range(20):
            sess.run(fetches, feed)
        before = _rss_bytes()
        for _ in range(iterations):
            out = sess.run(fetches, feed)
        after = _rss_bytes()
    for a, b in zip(first, out):
        np.testing.assert_array_equal(a, b)
    per_iteration = sum(np.asarray(v).nbytes for v in out)
    growth = after - before
    print(f"RSS {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB over {iterations} runs "
          f"({per_iteration / 2**20:.2f} MiB fetched per run)")
    # A leak of even the fetched gradients would grow by iterations * per_iteration.
    assert growth < max(8 * 2**20, 0.05 * iterations * per_iteration), growth
