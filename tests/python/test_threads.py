"""The kernels' thread pool: results do not depend on how many threads run them, and the
thread count comes from SYMGRAD_NUM_THREADS.

Each configuration runs in its own interpreter, because the pool is sized once per process.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np

# An MLP gradient large enough that every threaded kernel splits its work: matrix products
# over 2^18 multiply-adds, elementwise ops and reductions over 32k elements, fused groups.
PROGRAM = textwrap.dedent(
    """
    import sys
    import numpy as np
    import symgrad as tf

    rng = np.random.default_rng(7)
    x = tf.placeholder(tf.float32, [None, 300])
    labels = tf.placeholder(tf.float32, [None, 10])
    w1 = tf.constant(rng.standard_normal((300, 400)).astype(np.float32) * 0.05)
    b1 = tf.constant(rng.standard_normal(400).astype(np.float32))
    w2 = tf.constant(rng.standard_normal((400, 10)).astype(np.float32) * 0.05)
    h = tf.tanh(tf.matmul(x, w1) + b1)
    h = h * tf.sigmoid(h) + tf.exp(-h * h)
    logits = tf.matmul(h, w2)
    loss = tf.reduce_mean(
        tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits))
    grads = tf.gradients(loss, [w1, b1, w2, x])
    hvp = tf.gradients(tf.reduce_sum(grads[0] * w1), w1)
    feed = {x: rng.standard_normal((200, 300)).astype(np.float32),
            labels: np.eye(10, dtype=np.float32)[rng.integers(0, 10, 200)]}
    with tf.Session() as sess:
        values = sess.run(grads + hvp + [tf.reduce_sum(h, axis=0), tf.reduce_max(h)], feed)
    np.savez(sys.argv[1], *values)
    """
)


def run_with_threads(threads: str, out: str) -> dict:
    env = dict(os.environ, SYMGRAD_NUM_THREADS=threads)
    done = subprocess.run([sys.executable, "-c", PROGRAM, out], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with np.load(out) as values:
        return {k: values[k] for k in values.files}


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    one = run_with_threads("1", str(tmp_path / "one.npz"))
    assert len(one) == 7 and all(np.isfinite(v).all() for v in one.values())
    assert np.abs(one["arr_0"]).max() > 0
    for threads in ["2", "3"]:
        many = run_with_threads(threads, str(tmp_path / f"t{threads}.npz"))
        for key in one:
            # Bit for bit: work is cut into pieces of fixed size, whatever runs them.
            assert one[key].tobytes() == many[key].tobytes(), (threads, key)


def test_a_bad_thread_count_falls_back_to_the_default(tmp_path):
    # Not a positive number: ignored, as TF ignores a non-positive intra-op thread count.
    one = run_with_threads("1", str(tmp_path / "one.npz"))
    for bad in ["0", "lots", "-2"]:
        got = run_with_threads(bad, str(tmp_path / f"bad{bad}.npz"))
        for key in one:
            assert one[key].tobytes() == got[key].tobytes(), (bad, key)
