"""Train an MLP (and a small CNN when conv ops exist) on scikit-learn's 8x8 digits.

Written as a TF1 program: swap ``import symgrad as tf`` for
``import tensorflow.compat.v1 as tf; tf.disable_eager_execution()`` and it runs on TensorFlow.

    pip install -e '.[examples]'
    python examples/train_mnist_like.py [--epochs 30] [--checkpoint-dir /tmp/digits]

Needs ``scikit-learn`` (the data set ships inside it, no download) and ``tqdm``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import symgrad as tf

try:
    from sklearn.datasets import load_digits
    from tqdm import tqdm
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.exit(f"This example needs the 'examples' extras (scikit-learn, tqdm): {e}")


def load(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[digits.target]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return x[:split], y[:split], x[split:], y[split:]


def softmax_cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy via a stable log-sum-exp (shifted by the row maximum)."""
    shift = tf.stop_gradient(tf.reduce_max(logits, axis=1, keepdims=True))
    z = logits - shift
    log_sum = tf.log(tf.reduce_sum(tf.exp(z), axis=1, keepdims=True))
    return -tf.reduce_mean(tf.reduce_sum(labels * (z - log_sum), axis=1))


def accuracy(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    """Fraction of rows whose largest logit is the labelled class (no argmax op needed:
    the labelled logit equals the row maximum)."""
    top = tf.reduce_max(logits, axis=1)
    picked = tf.reduce_sum(logits * labels, axis=1)
    return tf.reduce_mean(tf.cast(tf.equal(top, picked), tf.float32))


def mlp(x: tf.Tensor) -> tf.Tensor:
    with tf.variable_scope("hidden"):
        w = tf.get_variable("weights", [64, 128])
        b = tf.get_variable("biases", [128], initializer=tf.zeros_initializer())
        h = tf.nn.relu(tf.matmul(x, w) + b)
    with tf.variable_scope("logits"):
        w = tf.get_variable("weights", [128, 10])
        b = tf.get_variable("biases", [10], initializer=tf.zeros_initializer())
        return tf.matmul(h, w) + b


def cnn(x: tf.Tensor) -> tf.Tensor:
    image = tf.reshape(x, [-1, 8, 8, 1])
    with tf.variable_scope("conv"):
        k = tf.get_variable("kernel", [3, 3, 1, 16])
        b = tf.get_variable("biases", [16], initializer=tf.zeros_initializer())
        h = tf.nn.relu(tf.nn.conv2d(image, k, strides=[1, 1, 1, 1], padding="SAME") + b)
    flat = tf.reshape(h, [-1, 8 * 8 * 16])
    with tf.variable_scope("logits"):
        w = tf.get_variable("weights", [8 * 8 * 16, 10])
        b = tf.get_variable("biases", [10], initializer=tf.zeros_initializer())
        return tf.matmul(flat, w) + b


def train(name: str, model, data, epochs: int, batch: int, seed: int,
          checkpoint_dir: str | None) -> float:
    x_train, y_train, x_test, y_test = data
    graph = tf.Graph()
    with graph.as_default():
        graph.seed = seed
        x = tf.placeholder(tf.float32, [None, 64], name="x")
        y = tf.placeholder(tf.float32, [None, 10], name="y")
        logits = model(x)
        loss = softmax_cross_entropy(y, logits)
        acc = accuracy(logits, y)
        step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdamOptimizer(0.005).minimize(loss, global_step=step)
        saver = tf.train.Saver() if checkpoint_dir else None
        rng = np.random.default_rng(seed)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            n = len(x_train)
            for epoch in range(1, epochs + 1):
                order = rng.permutation(n)
                total = 0.0
                bar = tqdm(range(0, n, batch), desc=f"{name} epoch {epoch:2d}", leave=False)
                for start in bar:
                    idx = order[start:start + batch]
                    _, batch_loss = sess.run([train_op, loss], {x: x_train[idx],
                                                                 y: y_train[idx]})
                    total += float(batch_loss) * len(idx)
                test_acc = sess.run(acc, {x: x_test, y: y_test})
                print(f"{name} epoch {epoch:2d}: loss {total / n:.4f}, "
                      f"test accuracy {test_acc:.4f}")
            if saver is not None:
                path = saver.save(sess, f"{checkpoint_dir}/{name}.ckpt", global_step=step)
                print(f"saved {path}.npz")
            return float(sess.run(acc, {x: x_test, y: y_test}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", default=None)
    args = parser.parse_args()
    data = load(args.seed)
    start = time.time()
    mlp_acc = train("mlp", mlp, data, args.epochs, args.batch, args.seed, args.checkpoint_dir)
    print(f"MLP test accuracy: {mlp_acc:.4f}")
    if hasattr(tf.nn, "conv2d"):
        cnn_acc = train("cnn", cnn, data, max(5, args.epochs // 2), args.batch, args.seed,
                        args.checkpoint_dir)
        print(f"CNN test accuracy: {cnn_acc:.4f}")
    else:
        print("Skipping the CNN: symgrad.nn.conv2d is not available in this build.")
    print(f"done in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
