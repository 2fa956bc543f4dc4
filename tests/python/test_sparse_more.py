"""The SparseTensor operations of sparse_more against TF 2.21's results (recorded from
TensorFlow on the same inputs), their gradients against finite differences, and their
errors."""

from __future__ import annotations

import numpy as np
import pytest
from gradient_checker import assert_gradients_close

import symgrad as tf

A = ([[0, 1], [1, 0], [1, 3], [3, 2]], [1.0, 2.0, 3.0, 4.0], [4, 4])
B = ([[0, 1], [2, 2], [3, 2]], [5.0, -6.0, 7.0], [4, 4])
C = ([[0, 0], [1, 1]], [8.0, 9.0], [4, 2])
R3 = ([[0, 0, 1], [0, 1, 0], [1, 0, 1], [1, 1, 1]], [1.0, 2.0, 3.0, 4.0], [2, 2, 2])

# (indices, values, dense_shape) as TF 2.21 returns them.
EXPECTED_SPARSE = {
    "concat0": ([[0, 1], [1, 0], [1, 3], [3, 2], [4, 1], [6, 2], [7, 2]],
                [1, 2, 3, 4, 5, -6, 7], [8, 4]),
    "concat1": ([[0, 1], [0, 4], [1, 0], [1, 3], [1, 5], [3, 2]], [1, 8, 2, 3, 9, 4], [4, 6]),
    "concat_expand": ([[0, 1], [1, 0], [1, 3], [3, 2], [4, 0], [5, 1]], [1, 2, 3, 4, 8, 9],
                      [8, 4]),
    "expand": ([[0, 0, 1], [1, 0, 0], [1, 0, 3], [3, 0, 2]], [1, 2, 3, 4], [4, 1, 4]),
    "expand_neg": ([[0, 1, 0], [1, 0, 0], [1, 3, 0], [3, 2, 0]], [1, 2, 3, 4], [4, 4, 1]),
    "eye": ([[0, 0], [1, 1], [2, 2]], [1, 1, 1], [3, 4]),
    "fill": ([[0, 1], [1, 0], [1, 3], [2, 0], [3, 2]], [1, 2, 3, -1, 4], [4, 4]),
    "max": ([[0, 1], [1, 0], [1, 3], [2, 2], [3, 2]], [5, 2, 3, 0, 7], [4, 4]),
    "min": ([[0, 1], [1, 0], [1, 3], [2, 2], [3, 2]], [1, 0, 0, -6, 4], [4, 4]),
    "merge": ([[0, 1], [0, 3], [2, 0]], [1.5, 0.5, 2.5], [3, 5]),
    "reset": ([[0, 1], [1, 0], [1, 3], [3, 2]], [1, 2, 3, 4], [4, 4]),
    "reset2": ([[0, 1], [1, 0], [1, 3], [3, 2]], [1, 2, 3, 4], [5, 6]),
    "reshape": ([[0, 1], [0, 4], [0, 7], [1, 6]], [1, 2, 3, 4], [2, 8]),
    "reshape3": ([[0, 0, 1], [0, 1, 0], [0, 1, 3], [1, 1, 2]], [1, 2, 3, 4], [2, 2, 4]),
    "rmaxs": ([[0, 0], [0, 1], [1, 1]], [2, 1, 4], [2, 2]),
    "rsums": ([[0, 0], [0, 1], [1, 1]], [2, 1, 7], [2, 2]),
    "slice": ([[0, 0], [2, 2]], [2, 4], [3, 3]),
    "split0": ([[0, 1], [1, 0]], [1, 2], [4, 2]),
    "split1": ([[3, 0]], [4], [4, 1]),
    "split2": ([[1, 0]], [3], [4, 1]),
    "splitrow0": ([[0, 1], [1, 0], [1, 3]], [1, 2, 3], [2, 4]),
    "splitrow1": ([[1, 2]], [4], [2, 4]),
    "transpose": ([[0, 1], [1, 0], [2, 3], [3, 1]], [2, 1, 4, 3], [4, 4]),
    "transpose3": ([[0, 0, 1], [1, 0, 0], [1, 1, 0], [1, 1, 1]], [2, 1, 3, 4], [2, 2, 2]),
}
EXPECTED_DENSE = {
    "fill_ind": [False, False, True, False],
    "ind": [[False, True, False, True], [False] * 4, [True, False, False, False]],
    "rmax": [[2.0, 1.0], [0.0, 4.0]],
    "rmax_all": 4.0,
    "rmax_keep": [[[3.0], [4.0]]],
    "smean": [[3.0, 4.0], [0.0, 0.0], [3.0, 4.0]],
    "ssqrt": [[6 / np.sqrt(2), 8 / np.sqrt(2)], [3.0, 4.0], [0.0, 0.0], [0.0, 0.0]],
    "ssum": [[6.0, 8.0], [3.0, 4.0], [0.0, 0.0], [5.0, 6.0]],
}


def _sparse(parts, dtype=tf.float32):
    indices, values, shape = parts
    return tf.SparseTensor(indices, tf.constant(values, dtype), shape)


def test_values_match_tf():
    with tf.Graph().as_default():
        a, b, c, r3 = _sparse(A), _sparse(B), _sparse(C), _sparse(R3)
        ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([3, 1, 0], tf.int64),
                              [3, 2])
        weights = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [0.5, 1.5, 2.5], [3, 2])
        data = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        outs = {
            "reshape": tf.sparse_reshape(a, [2, -1]), "reshape3": tf.sparse.reshape(a, [2, 2, 4]),
            "concat1": tf.sparse_concat(1, [a, c]), "concat0": tf.sparse.concat(0, [a, b]),
            "concat_expand": tf.sparse_concat(0, [a, c], expand_nonconcat_dim=True),
            "slice": tf.sparse_slice(a, [1, 0], [3, 3]),
            "transpose": tf.sparse_transpose(a), "transpose3": tf.sparse.transpose(r3, [2, 0, 1]),
            "fill": tf.sparse_fill_empty_rows(a, -1.0)[0],
            "fill_ind": tf.sparse_fill_empty_rows(a, -1.0)[1],
            "rmax": tf.sparse_reduce_max(r3, 1), "rmax_all": tf.sparse_reduce_max(a),
            "rmax_keep": tf.sparse.reduce_max(r3, [0, 2], keepdims=True),
            "rmaxs": tf.sparse_reduce_max_sparse(r3, 1),
            "rsums": tf.sparse_reduce_sum_sparse(r3, [1]),
            "ind": tf.sparse_to_indicator(ids, 4), "merge": tf.sparse_merge(ids, weights, 5),
            "max": tf.sparse_maximum(a, b), "min": tf.sparse.minimum(a, b),
            "reset": tf.sparse_reset_shape(a), "reset2": tf.sparse_reset_shape(a, [5, 6]),
            "eye": tf.sparse.eye(3, 4), "expand": tf.sparse.expand_dims(a, 1),
            "expand_neg": tf.sparse.expand_dims(a, -1),
            "ssum": tf.sparse_segment_sum(data, [0, 2, 1, 2], [0, 0, 1, 3]),
            "smean": tf.sparse_segment_mean(data, [0, 2, 1], [0, 0, 2]),
            "ssqrt": tf.sparse.segment_sqrt_n(data, [0, 2, 1], [0, 0, 1], num_segments=4),
        }
        for i, part in enumerate(tf.sparse_split(sp_input=a, num_split=3, axis=1)):
            outs[f"split{i}"] = part
        for i, part in enumerate(tf.sparse.split(sp_input=a, num_split=2, axis=0)):
            outs[f"splitrow{i}"] = part
        assert outs["reshape"].dense_shape.op.type == "Const"
        with tf.Session() as sess:
            got = sess.run(outs)
    for key, (indices, values, shape) in EXPECTED_SPARSE.items():
        np.testing.assert_array_equal(got[key].indices, indices, err_msg=key)
        np.testing.assert_allclose(got[key].values, values, err_msg=key)
        np.testing.assert_array_equal(got[key].dense_shape, shape, err_msg=key)
    for key, want in EXPECTED_DENSE.items():
        np.testing.assert_allclose(np.asarray(got[key], np.float64),
                                   np.asarray(want, np.float64), rtol=1e-6, err_msg=key)


def test_softmax_and_mask():
    rows = ([[0, 0], [0, 2], [1, 1], [1, 2], [1, 3]], [1.0, 2.0, -1.0, 0.0, 3.0], [2, 4])
    with tf.Graph().as_default():
        soft = tf.sparse_softmax(_sparse(rows))
        sliced = tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                                  tf.constant([0, 3, 5]), tf.constant([6, 2]))
        masked = tf.sparse_mask(sliced, [3])
        with tf.Session() as sess:
            got, kept = sess.run([soft, masked])
    e0, e1 = np.exp([1.0, 2.0]), np.exp([-1.0, 0.0, 3.0])
    np.testing.assert_allclose(got.values, np.concatenate([e0 / e0.sum(), e1 / e1.sum()]),
                               rtol=1e-6)
    np.testing.assert_array_equal(kept.indices, [0, 5])
    np.testing.assert_array_equal(kept.values, [[1.0, 2.0], [5.0, 6.0]])


@pytest.mark.parametrize("which", ["softmax", "fill", "slice", "split", "concat", "segment"])
def test_gradients_reach_the_values(which):
    indices = [[0, 0], [0, 2], [1, 1], [1, 2], [3, 3]]
    rng = np.random.RandomState(4)
    with tf.Graph().as_default():
        values = tf.placeholder(tf.float64, [5])
        default = tf.placeholder(tf.float64, [])
        sp = tf.SparseTensor(indices, values, [4, 4])
        if which == "softmax":
            out = tf.sparse_softmax(sp).values
        elif which == "fill":
            out = tf.sparse_fill_empty_rows(sp, default)[0].values
        elif which == "slice":
            out = tf.sparse_slice(sp, [0, 1], [4, 3]).values
        elif which == "split":
            out = tf.sparse_split(sp_input=sp, num_split=2, axis=0)[1].values
        elif which == "concat":
            out = tf.sparse_concat(1, [sp, sp]).values
        else:
            out = tf.sparse_segment_mean(tf.reshape(values, [5, 1]), [4, 0, 2], [0, 0, 1])
        y = tf.reduce_sum(out * out * tf.sin(out))
        xs, vals = ([values, default], [rng.rand(5), np.array(0.7)]) if which == "fill" \
            else ([values], [rng.rand(5)])
        assert_gradients_close(xs, y, vals, tol=1e-6)


def test_errors_match_tf():
    with tf.Graph().as_default():
        a, c = _sparse(A), _sparse(C)
        with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 16 elements to "
                                             r"shape \[3, None\] \(15 elements\)\."):
            tf.sparse_reshape(a, [3, -1])
        with pytest.raises(ValueError, match=r"At most one dimension can be inferred \(-1\)"):
            tf.sparse_reshape(a, [-1, -1])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="Input shapes must match: expected 4 for dimension 0 "
                                     "but got 3 at position 2"):
                sess.run(tf.sparse_concat(1, [a, a, _sparse(([[0, 0]], [1.0], [3, 4]))]))
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Input num_split should be between 1 and the splitting "
                                     r"dimension size \(4\), got 5"):
                sess.run(tf.sparse_split(sp_input=a, num_split=5, axis=1)[0].values)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="Expected start to be a vector of length 2"):
                sess.run(tf.sparse_slice(a, [0], [1, 1]).values)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="Operands' shapes do not match"):
                sess.run(tf.sparse_maximum(a, c).values)
            # A shape known only when run is checked then.
            small = tf.placeholder(tf.int64, [2])
            with pytest.raises(tf.errors.InvalidArgumentError, match="new_shape"):
                sess.run(tf.sparse_reset_shape(a, small).dense_shape, {small: [2, 2]})
        # Both shapes known: TF's ValueError when the graph is built.
        with pytest.raises(ValueError, match="Requested new_shape should have dimension sizes"):
            tf.sparse_reset_shape(a, [2, 2])
        with pytest.raises(ValueError, match="Keyword arguments are required"):
            tf.sparse_split(a, 2, 1)
