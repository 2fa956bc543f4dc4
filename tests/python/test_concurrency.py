"""Threads sharing one graph: concurrent ``Session.run`` (the run releases the GIL), concurrent
graph construction and concurrent ``gradients()`` give what a sequential program gives."""

from __future__ import annotations

import re
import threading

import pytest

import numpy as np

import symgrad as tf

THREADS = 8


def _in_threads(work, n=THREADS):
    """Runs ``work(i)`` in ``n`` threads started together; returns results, re-raises errors."""
    results, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def body(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _mlp_graph():
    g = tf.Graph()
    rng = np.random.RandomState(0)
    with g.as_default():
        x = tf.placeholder(tf.float64, [None, 32], name="x")
        w1 = tf.constant(rng.normal(size=(32, 64)) * 0.2)
        w2 = tf.constant(rng.normal(size=(64, 4)) * 0.2)
        h = tf.tanh(tf.matmul(x, w1))
        loss = tf.reduce_sum(tf.square(tf.matmul(h, w2)))
        dx, dw1 = tf.gradients(loss, [x, w1])
    return g, x, [loss, dx, dw1]


def test_concurrent_session_runs_match_sequential_runs():
    g, x, fetches = _mlp_graph()
    feeds = [np.random.RandomState(i).normal(size=(16 + i, 32)) for i in range(THREADS)]
    with tf.Session(graph=g) as sess:
        expected = [sess.run(fetches, {x: f}) for f in feeds]

        def work(i):
            outs = []
            for _ in range(25):
                outs.append(sess.run(fetches, {x: feeds[i]}))
            return outs

        for i, outs in enumerate(_in_threads(work)):
            for out in outs:
                for got, want in zip(out, expected[i]):
                    np.testing.assert_array_equal(got, want)


def test_concurrent_runs_with_separate_sessions_on_one_graph():
    g, x, fetches = _mlp_graph()
    feed = np.random.RandomState(7).normal(size=(8, 32))
    with tf.Session(graph=g) as sess:
        expected = sess.run(fetches, {x: feed})

    def work(_):
        with tf.Session(graph=g) as s:
            return [s.run(fetches, {x: feed}) for _ in range(10)]

    for outs in _in_threads(work):
        for out in outs:
            for got, want in zip(out, expected):
                np.testing.assert_array_equal(got, want)


def test_concurrent_graph_construction_keeps_names_unique_and_graph_consistent():
    g = tf.Graph()
    per_thread = 150
    with g.as_default():
        base = tf.placeholder(tf.float64, [3], name="base")

    def work(i):
        made = []
        with g.as_default():
            t = base
            for k in range(per_thread):
                t = tf.add(t, float(i), name="step")
                made.append(t)
                if k % 10 == 0:
                    with tf.name_scope("scope"):
                        made.append(tf.identity(t, name="id"))
        return made

    results = _in_threads(work)
    made = [t for ts in results for t in ts]
    names = [t.op.name for t in made]
    assert len(set(names)) == len(names), "duplicate op names"
    ops = g.get_operations()
    # Each add also made its constant operand.
    assert len(ops) == 1 + len(made) + THREADS * per_thread
    assert len({op.name for op in ops}) == len(ops)
    for t in made[:: max(1, len(made) // 50)]:
        assert g.get_operation_by_name(t.op.name) is t.op
    # Each thread's chain is intact: thread i added i per step.
    with tf.Session(graph=g) as sess:
        lasts = sess.run([ts[-2] if ts[-1].op.type == "Identity" else ts[-1] for ts in results],
                         {base: np.zeros(3)})
    for i, v in enumerate(lasts):
        np.testing.assert_allclose(v, np.full(3, float(i * per_thread)))


def test_concurrent_gradients_on_one_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [5], name="x")
        y = tf.reduce_sum(tf.sin(x) * tf.exp(x))

    def work(_):
        with g.as_default():
            return [tf.gradients(y, x)[0] for _ in range(20)]

    grads = [d for ds in _in_threads(work) for d in ds]
    assert len({d.op.name for d in grads}) == len(grads)
    xv = np.linspace(-1, 1, 5)
    want = np.cos(xv) * np.exp(xv) + np.sin(xv) * np.exp(xv)
    with tf.Session(graph=g) as sess:
        for got in sess.run(grads[:: 7], {x: xv}):
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_name_scopes_are_per_thread():
    g = tf.Graph()
    inside, created = threading.Event(), threading.Event()
    names = {}

    def in_scope():
        with g.as_default(), tf.name_scope("scope"):
            inside.set()
            created.wait(10)
            names["inner"] = tf.no_op(name="inner").name

    def outside():
        inside.wait(10)
        with g.as_default():
            names["outer"] = tf.no_op(name="outer").name
        created.set()

    threads = [threading.Thread(target=in_scope), threading.Thread(target=outside)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert names == {"inner": "scope/inner", "outer": "outer"}
