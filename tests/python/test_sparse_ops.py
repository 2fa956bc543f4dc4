"""Sparse operations: values as TensorFlow 2.21 gives them (literals below were computed
there), and float64 finite-difference checks of first and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import check_on_placeholders, run_once

INDICES = [[0, 0], [1, 2], [2, 1]]


def _sp(values, dtype=tf.float32):
    return tf.SparseTensor(INDICES, tf.constant(values, dtype) if not isinstance(
        values, tf.Tensor) else values, [3, 4])


def test_values_as_tf():
    with tf.Graph().as_default():
        sp = _sp([1.0, 2.0, 3.0])
        b = tf.constant(np.arange(8.0).reshape(4, 2), tf.float32)
        product = tf.sparse_tensor_dense_matmul(sp, b)
        assert product.shape == [3, 2] and product.dtype == tf.float32
        adjoint = tf.sparse.sparse_dense_matmul(
            sp, tf.constant(np.arange(6.0).reshape(3, 2), tf.float32), adjoint_a=True)
        assert adjoint.shape == [4, 2]
        both = tf.sparse.matmul(sp, tf.constant(np.arange(8.0).reshape(2, 4), tf.float32),
                                adjoint_b=True)
        out = run_once({
            "product": product, "adjoint": adjoint, "both": both,
            "retain": tf.sparse_retain(sp, [True, False, True]),
            "reorder": tf.sparse.reorder(tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])),
            "sum": tf.sparse.reduce_sum(sp), "sum1": tf.sparse.reduce_sum(sp, axis=1),
            "sum0": tf.sparse_reduce_sum(sp, 0, keepdims=True),
            "mul": sp * 2.0, "mul_row": sp * tf.constant([1.0, 2.0, 3.0, 4.0]),
            "div": sp / 2.0, "dense_add": tf.sparse.add(sp, tf.ones([3, 4])),
            "from_dense": tf.sparse.from_dense(tf.constant([[0, 1], [2, 0]])),
            "sparse_add": tf.sparse_add(sp, tf.SparseTensor([[0, 0], [0, 3]], [10.0, 20.0],
                                                            [3, 4])),
        })
    assert out["product"].tolist() == [[0, 1], [8, 10], [6, 9]]
    assert out["adjoint"].tolist() == [[0, 1], [12, 15], [4, 6], [0, 0]]
    assert out["both"].tolist() == [[0, 4], [4, 12], [3, 15]]
    assert out["retain"].indices.tolist() == [[0, 0], [2, 1]]
    assert out["retain"].values.tolist() == [1, 3]
    assert out["reorder"].indices.tolist() == [[0, 1], [1, 0]]
    assert out["reorder"].values.tolist() == [2, 1]
    assert out["sum"] == 6 and out["sum1"].tolist() == [1, 2, 3]
    assert out["sum0"].tolist() == [[1, 3, 2, 0]]
    assert out["mul"].values.tolist() == [2, 4, 6] and out["div"].values.tolist() == [0.5, 1, 1.5]
    assert out["mul_row"].values.tolist() == [1, 6, 6]
    assert out["dense_add"].tolist() == [[2, 1, 1, 1], [1, 1, 3, 1], [1, 4, 1, 1]]
    assert out["from_dense"].indices.tolist() == [[0, 1], [1, 0]]
    assert out["from_dense"].values.tolist() == [1, 2]
    assert out["from_dense"].dense_shape.tolist() == [2, 2]
    assert out["sparse_add"].indices.tolist() == [[0, 0], [0, 3], [1, 2], [2, 1]]
    assert out["sparse_add"].values.tolist() == [11, 20, 2, 3]


def test_errors_as_tf():
    with tf.Graph().as_default():
        sp = _sp([1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 3"):
            tf.sparse_tensor_dense_matmul(sp, tf.ones([3, 2]))
        with pytest.raises(TypeError, match="does not match type float32"):
            tf.sparse_tensor_dense_matmul(sp, tf.ones([4, 2], tf.float64))
        with pytest.raises(TypeError, match="At least one input should be SparseTensor"):
            tf.sparse.add(tf.ones([2]), tf.ones([2]))
        with pytest.raises(TypeError, match="Input must be a SparseTensor"):
            tf.sparse_retain(tf.ones([3]), [True, True, True])


def test_sparse_add_threshold():
    with tf.Graph().as_default():
        a = tf.SparseTensor([[0], [1]], [1.0, 0.25], [3])
        b = tf.SparseTensor([[1], [2]], [-0.2, 5.0], [3])
        out = run_once(tf.sparse.add(a, b, threshold=0.1))
    assert out.indices.tolist() == [[0], [2]] and out.values.tolist() == [1.0, 5.0]


@pytest.mark.parametrize("combiner,weighted,expected", [
    ("sum", False, [[12.0, 14.0, 16.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
    ("mean", False, [[6.0, 7.0, 8.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
    ("sqrtn", False, [[8.485281, 9.899495, 11.313708], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
    ("sum", True, [[21.0, 24.0, 27.0], [0.0, 3.0, 6.0], [1.5, 2.0, 2.5]]),
    ("mean", True, [[7.0, 8.0, 9.0], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
    ("sqrtn", True, [[9.391485, 10.733126, 12.074767], [0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]),
])
def test_embedding_lookup_sparse_as_tf(combiner, weighted, expected):
    positions = [[0, 0], [0, 1], [1, 0], [2, 0]]
    with tf.Graph().as_default():
        params = tf.constant(np.arange(12.0).reshape(4, 3), tf.float32)
        ids = tf.SparseTensor(positions, tf.constant([1, 3, 0, 1], tf.int64), [3, 2])
        weights = tf.SparseTensor(positions, [1.0, 2.0, 3.0, 0.5], [3, 2]) if weighted \
            else None
        out = run_once(tf.nn.embedding_lookup_sparse(params, ids, weights, combiner=combiner))
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# ----- gradients: first and second derivatives against central differences ------------------
VALUES = np.array([0.5, -1.5, 2.0])


@pytest.mark.parametrize("adjoint_a,adjoint_b", [(False, False), (True, False), (False, True),
                                                 (True, True)])
def test_sparse_dense_matmul_gradients(adjoint_a, adjoint_b):
    inner = 3 if adjoint_a else 4  # the sparse operand is 3 x 4
    b_shape = [2, inner] if adjoint_b else [inner, 2]
    b_value = np.random.RandomState(1).uniform(-1, 1, b_shape)

    def build(values, b):
        return tf.sparse_tensor_dense_matmul(tf.SparseTensor(INDICES, values, [3, 4]), b,
                                             adjoint_a=adjoint_a, adjoint_b=adjoint_b)

    check_on_placeholders(build, [([3], VALUES), (b_shape, b_value)])


def test_sparse_cwise_and_reductions_gradients():
    dense_row = np.array([1.5, -0.5, 2.0, 0.75])
    check_on_placeholders(
        lambda v, d: tf.sparse.to_dense(tf.SparseTensor(INDICES, v, [3, 4]) * d),
        [([3], VALUES), ([4], dense_row)])
    check_on_placeholders(
        lambda v, d: tf.sparse.to_dense(tf.SparseTensor(INDICES, v, [3, 4]) / d),
        [([3], VALUES), ([4], dense_row)])
    check_on_placeholders(
        lambda v: tf.sparse.reduce_sum(tf.SparseTensor(INDICES, v, [3, 4]), axis=1) ** 2,
        [([3], VALUES)])
    check_on_placeholders(
        lambda v: tf.sparse.reduce_sum(tf.SparseTensor(INDICES, v, [3, 4])) ** 2,
        [([3], VALUES)])


def test_sparse_structure_ops_gradients():
    check_on_placeholders(
        lambda v: tf.sparse_retain(tf.SparseTensor(INDICES, v, [3, 4]),
                                   [True, False, True]).values ** 2,
        [([3], VALUES)])
    check_on_placeholders(
        lambda v: tf.sparse.reorder(tf.SparseTensor([[2, 1], [0, 0], [1, 2]], v,
                                                    [3, 4])).values ** 3,
        [([3], VALUES)])
    check_on_placeholders(
        lambda a, b: tf.sparse.add(tf.SparseTensor(INDICES, a, [3, 4]),
                                   tf.SparseTensor([[0, 0], [0, 3]], b, [3, 4])).values ** 2,
        [([3], VALUES), ([2], np.array([0.3, -0.7]))])
    check_on_placeholders(
        lambda v, d: tf.sparse.add(tf.SparseTensor(INDICES, v, [3, 4]), d) ** 2,
        [([3], VALUES), ([3, 4], np.random.RandomState(2).uniform(-1, 1, [3, 4]))])



def test_from_dense_gradient():
    # Finite differences would move the zeros out of the pattern; TF's gradient instead.
    with tf.Graph().as_default():
        d = tf.constant([[0.0, 1.5], [-2.0, 0.0]], tf.float64)
        values = tf.sparse.from_dense(d).values
        (first,) = tf.gradients(tf.reduce_sum(values ** 3), d)
        (second,) = tf.gradients(tf.reduce_sum(first), d)
        got_first, got_second = run_once([first, second])
    assert got_first.tolist() == [[0.0, 6.75], [12.0, 0.0]]
    assert got_second.tolist() == [[0.0, 9.0], [-12.0, 0.0]]


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_embedding_lookup_sparse_gradients(combiner):
    positions = [[0, 0], [0, 1], [1, 0], [2, 0]]

    def build(params, weights):
        ids = tf.SparseTensor(positions, tf.constant([1, 3, 0, 1], tf.int64), [3, 2])
        return tf.nn.embedding_lookup_sparse(
            params, ids, tf.SparseTensor(positions, weights, [3, 2]), combiner=combiner) ** 2

    check_on_placeholders(build, [([4, 3], np.random.RandomState(3).uniform(-1, 1, [4, 3])),
                                  ([4], np.array([1.0, 2.0, 3.0, 0.5]))])
