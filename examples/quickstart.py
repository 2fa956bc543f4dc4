"""symgrad quick start: partial derivatives with stop_gradients, a Hessian, and the
gradient of a small MLP — the same code you would write with tf.compat.v1."""

import numpy as np

import symgrad as tf

# 1. stop_gradients: with a = 0 and b = 2a, d(a + b)/da is 3 through b, or 1 when a and b
#    are held constant (partial derivatives).
a = tf.constant(0.0)
b = 2 * a
total = tf.gradients(a + b, [a, b])
partial = tf.gradients(a + b, [a, b], stop_gradients=[a, b])
with tf.Session() as sess:
    print("total derivatives:  ", sess.run(total))    # [3.0, 1.0]
    print("partial derivatives:", sess.run(partial))  # [1.0, 1.0]

# 2. A Hessian: f(x) = sum(x^3) has Hessian diag(6x).
x = tf.placeholder(tf.float64, shape=[3], name="x")
f = tf.reduce_sum(x * x * x)
hessian = tf.hessians(f, x)[0]
with tf.Session() as sess:
    print("Hessian of sum(x^3) at [1, 2, 3]:\n", sess.run(hessian, {x: np.array([1.0, 2.0, 3.0])}))

# 3. The gradient of a two-layer MLP's mean squared error with respect to its weights.
rng = np.random.default_rng(0)
inputs = tf.placeholder(tf.float32, shape=[None, 4], name="inputs")
targets = tf.placeholder(tf.float32, shape=[None, 1], name="targets")
w1 = tf.constant(rng.normal(size=(4, 8)).astype(np.float32) * 0.5, name="w1")
b1 = tf.constant(np.zeros(8, np.float32), name="b1")
w2 = tf.constant(rng.normal(size=(8, 1)).astype(np.float32) * 0.5, name="w2")
hidden = tf.nn.relu(tf.matmul(inputs, w1) + b1)
prediction = tf.matmul(hidden, w2)
loss = tf.reduce_mean(tf.square(prediction - targets))
grads = tf.gradients(loss, [w1, b1, w2])
feed = {inputs: rng.normal(size=(16, 4)).astype(np.float32),
        targets: rng.normal(size=(16, 1)).astype(np.float32)}
with tf.Session() as sess:
    loss_value, grad_values = sess.run([loss, grads], feed)
print("MLP loss:", loss_value)
for var, g in zip(["w1", "b1", "w2"], grad_values):
    print(f"  d loss / d {var}: shape {g.shape}, norm {np.linalg.norm(g):.4f}")
