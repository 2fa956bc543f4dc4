"""Candidate sampling for sampled losses: ``log_uniform_candidate_sampler``,
``uniform_candidate_sampler``, ``compute_accidental_hits``, and ``nce_loss`` /
``sampled_softmax_loss`` built on them op for op as TF's ``_compute_sampled_logits``.

The samplers follow TF's ``RangeSampler``: a log-uniform (Zipfian) draw is
``floor(exp(u * log(range_max + 1))) - 1``, a class ``k`` has probability
``log((k + 2) / (k + 1)) / log(range_max + 1)``; ``unique=True`` redraws until
``num_sampled`` distinct classes came up, and an expected count is then
``1 - (1 - p)^tries`` (else ``p * num_sampled``). Each sampler is a host op (``PyFunc``)
whose random stream, seeded as TF seeds its ops, advances from run to run; the stream is not
TF's, the distribution is.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from . import dtypes as _dtypes
from .framework import Tensor, name_scope

__all__ = [
    "log_uniform_candidate_sampler", "uniform_candidate_sampler", "compute_accidental_hits",
    "nce_loss", "sampled_softmax_loss",
]


def _ops() -> Any:
    import symgrad
    return symgrad


def _generator(seed: Optional[int]) -> np.random.Generator:
    from .random_ops import get_seed
    seed1, seed2 = get_seed(seed)
    if seed1 is None and seed2 is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed1 or 0), int(seed2 or 0)])


def _expected_count(p: np.ndarray, num_sampled: int, tries: int) -> np.ndarray:
    if tries == num_sampled:
        return (p * num_sampled).astype(np.float32)
    return (-np.expm1(tries * np.log1p(-p))).astype(np.float32)


def _sampler(op_name: str, true_classes: Any, num_true: int, num_sampled: int, unique: bool,
             range_max: int, seed: Optional[int], name: Optional[str],
             draw: Callable[[np.random.Generator, int], np.ndarray],
             probability: Callable[[np.ndarray], np.ndarray]) -> tuple[Tensor, Tensor, Tensor]:
    from .data.iterator_ops import _host_op
    tf = _ops()
    if unique and num_sampled > range_max:
        raise ValueError(f"Sampler used without replacement but asked for more samples "
                         f"({num_sampled}) than the range ({range_max})")
    with name_scope(name, op_name, [true_classes]) as scope:
        classes = tf.convert_to_tensor(true_classes, name="true_classes")
        if classes.dtype != _dtypes.int64:
            raise TypeError(f"Input 'true_classes' of '{op_name}' Op has type "
                            f"{classes.dtype.name} that does not match expected type of "
                            "int64.")
        if classes.shape.rank is not None and classes.shape.rank != 2:
            raise ValueError(f"Shape must be rank 2 but is rank {classes.shape.rank}")
        rng = _generator(seed)

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            true = np.asarray(arrays[0], np.int64)
            if true.ndim != 2 or true.shape[1] != num_true:
                raise ValueError(f"true_classes must be a matrix with {num_true} columns, "
                                 f"got shape {list(true.shape)}")
            if unique:
                picked: list[int] = []
                seen: set[int] = set()
                tries = 0
                while len(picked) < num_sampled:
                    for value in draw(rng, num_sampled - len(picked)):
                        tries += 1
                        if int(value) not in seen:
                            seen.add(int(value))
                            picked.append(int(value))
                            if len(picked) == num_sampled:
                                break
                sampled = np.asarray(picked, np.int64)
            else:
                sampled = draw(rng, num_sampled).astype(np.int64)
                tries = num_sampled
            true_count = _expected_count(probability(true.astype(np.float64)), num_sampled, tries)
            sampled_count = _expected_count(probability(sampled.astype(np.float64)),
                                            num_sampled, tries)
            return [sampled, true_count.reshape(true.shape), sampled_count]

        op = _host_op(op_name, [classes], [_dtypes.int64, _dtypes.float32, _dtypes.float32],
                      run, scope=scope)
    sampled, true_expected, sampled_expected = op.outputs
    sampled.set_shape([num_sampled])
    true_expected.set_shape([classes.shape[0] if classes.shape.rank else None, num_true])
    sampled_expected.set_shape([num_sampled])
    return sampled, true_expected, sampled_expected


def log_uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                                  unique: bool, range_max: int, seed: Optional[int] = None,
                                  name: Optional[str] = None) -> tuple[Tensor, Tensor, Tensor]:
    """``num_sampled`` classes in ``[0, range_max)`` drawn log-uniformly (small ids more
    often), with the expected counts of the true and the sampled classes."""
    log_range = math.log1p(range_max)

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        values = np.exp(rng.random(n) * log_range).astype(np.int64) - 1
        return values % range_max

    def probability(k: np.ndarray) -> np.ndarray:
        return np.log((k + 2.0) / (k + 1.0)) / log_range

    return _sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, draw, probability)


def uniform_candidate_sampler(true_classes: Any, num_true: int, num_sampled: int,
                              unique: bool, range_max: int, seed: Optional[int] = None,
                              name: Optional[str] = None) -> tuple[Tensor, Tensor, Tensor]:
    """``num_sampled`` classes drawn uniformly from ``[0, range_max)``, with the expected
    counts of the true and the sampled classes."""

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, range_max, size=n, dtype=np.int64)

    def probability(k: np.ndarray) -> np.ndarray:
        return np.full(k.shape, 1.0 / range_max)

    return _sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique,
                    range_max, seed, name, draw, probability)


def compute_accidental_hits(true_classes: Any, sampled_candidates: Any, num_true: int,
                            seed: Optional[int] = None,
                            name: Optional[str] = None) -> tuple[Tensor, Tensor, Tensor]:
    """Where a sampled class is one of a row's true classes: ``(row indices, positions in
    the sample, weights of -FLOAT_MAX)``, for adding to the sampled logits."""
    from .data.iterator_ops import _host_op
    tf = _ops()
    del seed
    with name_scope(name, "ComputeAccidentalHits", [true_classes, sampled_candidates]) as scope:
        classes = tf.convert_to_tensor(true_classes, name="true_classes")
        sampled = tf.convert_to_tensor(sampled_candidates, name="sampled_candidates")

        def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
            true = np.asarray(arrays[0], np.int64).reshape(-1, num_true)
            candidates = np.asarray(arrays[1], np.int64).reshape(-1)
            # As TF's kernel: a class sampled twice counts at its last position only.
            position = {int(c): j for j, c in enumerate(candidates)}
            rows, ids = [], []
            for i, row in enumerate(true):
                for c in row:
                    j = position.get(int(c))
                    if j is not None:
                        rows.append(i)
                        ids.append(j)
            weights = np.full(len(rows), -np.finfo(np.float32).max, np.float32)
            return [np.asarray(rows, np.int32), np.asarray(ids, np.int64), weights]

        op = _host_op("ComputeAccidentalHits", [classes, sampled],
                      [_dtypes.int32, _dtypes.int64, _dtypes.float32], run, scope=scope)
    for t in op.outputs:
        t.set_shape([None])
    return op.outputs[0], op.outputs[1], op.outputs[2]


def _sum_rows(x: Tensor) -> Tensor:
    """``reduce_sum(x, 1)`` as TF's sampled losses build it: a product with a ones column."""
    tf = _ops()
    cols = tf.shape(x)[1]
    ones_shape = tf.stack([cols, 1])
    ones = tf.ones(ones_shape, x.dtype)
    return tf.reshape(tf.matmul(x, ones), [-1])


def _compute_sampled_logits(weights: Any, biases: Any, labels: Any, inputs: Any,
                            num_sampled: int, num_classes: int, num_true: int,
                            sampled_values: Any, remove_accidental_hits: bool,
                            partition_strategy: str, name: Optional[str],
                            seed: Optional[int]) -> tuple[Tensor, Tensor]:
    """TF's: the logits of the true and the sampled classes, each less the log of its
    expected count (``subtract_log_q``, which both sampled losses ask for), and their
    labels."""
    tf = _ops()
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    with name_scope(name, "compute_sampled_logits", weights + [biases, inputs, labels]):
        labels = tf.convert_to_tensor(labels)
        inputs = tf.convert_to_tensor(inputs)
        if labels.dtype != _dtypes.int64:
            labels = tf.cast(labels, _dtypes.int64)
        labels_flat = tf.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(
                true_classes=labels, num_true=num_true, num_sampled=num_sampled, unique=True,
                range_max=num_classes, seed=seed)
        sampled, true_expected_count, sampled_expected_count = (
            tf.stop_gradient(s) for s in sampled_values)
        sampled = tf.cast(sampled, _dtypes.int64)
        all_ids = tf.concat([labels_flat, sampled], 0)
        all_w = tf.nn.embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
        if all_w.dtype != inputs.dtype:
            all_w = tf.cast(all_w, inputs.dtype)
        true_w = tf.slice(all_w, [0, 0], tf.stack([tf.shape(labels_flat)[0], -1]))
        sampled_w = tf.slice(all_w, tf.stack([tf.shape(labels_flat)[0], 0]), [-1, -1])
        sampled_logits = tf.matmul(inputs, sampled_w, transpose_b=True)
        all_b = tf.nn.embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
        if all_b.dtype != inputs.dtype:
            all_b = tf.cast(all_b, inputs.dtype)
        true_b = tf.slice(all_b, [0], tf.shape(labels_flat))
        sampled_b = tf.slice(all_b, tf.shape(labels_flat), [-1])
        dim = tf.shape(true_w)[1:2]
        new_true_w_shape = tf.concat([[-1, num_true], dim], 0)
        row_wise_dots = tf.multiply(tf.expand_dims(inputs, 1),
                                    tf.reshape(true_w, new_true_w_shape))
        dots_as_matrix = tf.reshape(row_wise_dots, tf.concat([[-1], dim], 0))
        true_logits = tf.reshape(_sum_rows(dots_as_matrix), [-1, num_true])
        true_b = tf.reshape(true_b, [-1, num_true])
        true_logits += true_b
        sampled_logits += sampled_b
        if remove_accidental_hits:
            acc_indices, acc_ids, acc_weights = compute_accidental_hits(
                labels, sampled, num_true=num_true)
            acc_indices_2d = tf.reshape(acc_indices, [-1, 1])
            acc_ids_2d_int32 = tf.reshape(tf.cast(acc_ids, _dtypes.int32), [-1, 1])
            sparse_indices = tf.concat([acc_indices_2d, acc_ids_2d_int32], 1, "sparse_indices")
            sampled_logits_shape = tf.concat(
                [tf.shape(labels)[:1], tf.expand_dims(num_sampled, 0)], 0)
            if sampled_logits.dtype != acc_weights.dtype:
                acc_weights = tf.cast(acc_weights, sampled_logits.dtype)
            sampled_logits += tf.sparse_to_dense(sparse_indices, sampled_logits_shape,
                                                 acc_weights, default_value=0.0,
                                                 validate_indices=False)
        true_logits -= tf.log(true_expected_count)
        sampled_logits -= tf.log(sampled_expected_count)
        out_logits = tf.concat([true_logits, sampled_logits], 1)
        out_labels = tf.concat([tf.ones_like(true_logits) / num_true,
                                tf.zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def nce_loss(weights: Any, biases: Any, labels: Any, inputs: Any, num_sampled: int,
             num_classes: int, num_true: int = 1, sampled_values: Any = None,
             remove_accidental_hits: bool = False, partition_strategy: str = "mod",
             name: str = "nce_loss") -> Tensor:
    """The noise-contrastive estimation loss per example: logistic losses of the true
    classes against ``num_sampled`` sampled ones, corrected by their sampling odds."""
    tf = _ops()
    logits, labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled,
                                             num_classes, num_true, sampled_values,
                                             remove_accidental_hits, partition_strategy, name,
                                             None)
    sampled_losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                             name="sampled_losses")
    return _sum_rows(sampled_losses)


def sampled_softmax_loss(weights: Any, biases: Any, labels: Any, inputs: Any,
                         num_sampled: int, num_classes: int, num_true: int = 1,
                         sampled_values: Any = None, remove_accidental_hits: bool = True,
                         partition_strategy: str = "mod", name: str = "sampled_softmax_loss",
                         seed: Optional[int] = None) -> Tensor:
    """The softmax cross-entropy over the true classes and ``num_sampled`` sampled ones,
    corrected by their sampling odds; sampled hits of a true class are masked out."""
    tf = _ops()
    logits, labels = _compute_sampled_logits(weights, biases, labels, inputs, num_sampled,
                                             num_classes, num_true, sampled_values,
                                             remove_accidental_hits, partition_strategy, name,
                                             seed)
    labels = tf.stop_gradient(labels, name="labels_stop_gradient")
    return tf.nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
