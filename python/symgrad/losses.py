"""``tf.losses`` (``tf.compat.v1.losses``): the TF 1 loss functions, built op for op as TF
2.21's ``losses_impl`` builds them, with the ``LOSSES`` collection helpers.

Every loss casts its inputs to float32, forms the per-element losses and hands them to
``compute_weighted_loss``, which weights, reduces (by default: the sum divided by the number of
non-zero weights, through ``DivNoNan`` so that all-zero weights give 0) and casts back.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from . import nn
from .array_ops import ones_like, rank, shape, size, squeeze, stop_gradient, zeros_like
from .constant_op import constant, convert_to_tensor
from .control_flow_ops import no_op
from .framework import (Operation, Tensor, control_dependencies, get_default_graph,
                        name_scope)
from .math_ops import (abs, add, add_n, cast, div_no_nan, equal, log, maximum, minimum,
                       multiply, range as _range, reduce_sum, square, squared_difference,
                       subtract, where)
from .variables import GraphKeys

__all__ = [
    "Reduction", "compute_weighted_loss", "absolute_difference", "mean_squared_error",
    "log_loss", "hinge_loss", "huber_loss", "sigmoid_cross_entropy", "softmax_cross_entropy",
    "sparse_softmax_cross_entropy", "cosine_distance", "mean_pairwise_squared_error",
    "add_loss", "get_losses",
    "get_regularization_loss", "get_regularization_losses", "get_total_loss",
]

_LOSSES = GraphKeys.LOSSES


class Reduction:
    """How ``compute_weighted_loss`` reduces the weighted losses (TF's string keys)."""

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: Any) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Key should be one of {cls.all()}.")


_BROADCAST_ERROR = "weights can not be broadcast to values."


def _assert_broadcastable(weights: Any, values: Any) -> Operation:
    """TF's ``assert_broadcastable``: a ``NoOp`` when static shapes prove the weights
    broadcastable, TF's ``ValueError`` when they prove them not.

    With shapes unknown at build time TF builds a ``cond`` around an ``Assert``; symgrad has
    neither, so it returns a ``NoOp`` and leaves the check to the ``Mul`` of weights and
    losses, which fails at run time when the shapes do not broadcast.
    """
    with name_scope(None, "assert_broadcastable", (weights, values)):
        with name_scope(None, "weights", (weights,)) as weights_scope:
            weights = convert_to_tensor(weights, name=weights_scope)
            weights_shape = shape(weights, name="shape")
            rank(weights, name="rank")
        with name_scope(None, "values", (values,)) as values_scope:
            values = convert_to_tensor(values, name=values_scope)
            values_shape = shape(values, name="shape")
            rank(values, name="rank")
        weights_rank, values_rank = weights.shape.rank, values.shape.rank
        if weights_rank is not None and values_rank is not None:
            if weights_rank == 0:
                return no_op(name="static_scalar_check_success")
            if weights_rank != values_rank:
                raise ValueError(
                    f"{_BROADCAST_ERROR} values.rank={values_rank}. weights.rank={weights_rank}"
                    f". values.shape={values.shape}. weights.shape={weights.shape}. Received "
                    f"weights={weights}, values={values}")
            if weights.shape.is_fully_defined() and values.shape.is_fully_defined():
                # numpy arrays, as TF's constant_value gives them, for TF's message text.
                weights_dims = np.array(weights.shape.as_list(), np.int32)
                values_dims = np.array(values.shape.as_list(), np.int32)
                for i, (w, v) in enumerate(zip(weights_dims, values_dims)):
                    if w not in (1, v):
                        raise ValueError(
                            f"{_BROADCAST_ERROR} Mismatch at dim {i}. values.shape="
                            f"{values_dims}, weights.shape={weights_dims}. Received "
                            f"weights={weights}, values={values}")
                return no_op(name="static_dims_check_success")
        del weights_shape, values_shape
        return no_op(name="is_valid_shape")


def _broadcast_weights(weights: Tensor, values: Tensor) -> Tensor:
    with name_scope(None, "broadcast_weights", (weights, values)) as scope:
        values = convert_to_tensor(values, name="values")
        weights = convert_to_tensor(weights, dtype=values.dtype, name="weights")
        if (weights.shape.is_fully_defined() and values.shape.is_fully_defined()
                and weights.shape.is_compatible_with(values.shape)):
            return weights
        with control_dependencies((_assert_broadcastable(weights, values),)):
            return multiply(weights, ones_like(values), name=scope)


def _safe_mean(losses: Tensor, num_present: Tensor) -> Tensor:
    total_loss = reduce_sum(losses)
    return div_no_nan(total_loss, num_present, name="value")


def _num_present(losses: Tensor, weights: Tensor, per_batch: bool = False) -> Tensor:
    """How many weights are not zero, per batch entry (summed over every dim but the first,
    kept) or in all."""
    with name_scope(None, "num_present", (losses, weights)) as scope:
        weights = cast(weights, dtype=_dtypes.float32)
        present = where(equal(weights, 0.0), zeros_like(weights), ones_like(weights))
        present = _broadcast_weights(present, losses)
        if per_batch:
            return reduce_sum(present, axis=_range(1, rank(present)), keepdims=True,
                              name=scope)
        return reduce_sum(present, name=scope)


def _num_elements(losses: Tensor) -> Tensor:
    with name_scope(None, "num_elements", values=[losses]) as scope:
        return cast(size(losses, name=scope), dtype=losses.dtype)


def compute_weighted_loss(losses: Any, weights: Any = 1.0, scope: Optional[str] = None,
                          loss_collection: Optional[str] = _LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", (losses, weights)):
        with control_dependencies((_assert_broadcastable(weights, losses),)):
            losses = convert_to_tensor(losses)
            input_dtype = losses.dtype
            losses = cast(losses, dtype=_dtypes.float32)
            weights = cast(weights, dtype=_dtypes.float32)
            weighted_losses = multiply(losses, weights)
            if reduction == Reduction.NONE:
                loss = weighted_losses
            else:
                loss = reduce_sum(weighted_losses)
                if reduction == Reduction.MEAN:
                    loss = _safe_mean(loss, reduce_sum(ones_like(losses) * weights))
                elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                    loss = _safe_mean(loss, _num_present(losses, weights))
                elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                    loss = _safe_mean(loss, _num_elements(losses))
            loss = cast(loss, input_dtype)
            add_loss(loss, loss_collection)
            return loss


def _check_given(**arguments: Any) -> None:
    for name, value in arguments.items():
        if value is None:
            raise ValueError(f"Argument `{name}` must not be None.")


def _float_pair(predictions: Any, labels: Any) -> tuple[Tensor, Tensor]:
    predictions = cast(predictions, dtype=_dtypes.float32)
    labels = cast(labels, dtype=_dtypes.float32)
    predictions.shape.assert_is_compatible_with(labels.shape)
    return predictions, labels


def absolute_difference(labels: Any, predictions: Any, weights: Any = 1.0,
                        scope: Optional[str] = None, loss_collection: Optional[str] = _LOSSES,
                        reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "absolute_difference", (predictions, labels, weights)) as scope:
        predictions, labels = _float_pair(predictions, labels)
        losses = abs(subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_squared_error(labels: Any, predictions: Any, weights: Any = 1.0,
                       scope: Optional[str] = None, loss_collection: Optional[str] = _LOSSES,
                       reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_squared_error", (predictions, labels, weights)) as scope:
        predictions, labels = _float_pair(predictions, labels)
        losses = squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def log_loss(labels: Any, predictions: Any, weights: Any = 1.0, epsilon: float = 1e-7,
             scope: Optional[str] = None, loss_collection: Optional[str] = _LOSSES,
             reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "log_loss", (predictions, labels, weights)) as scope:
        predictions, labels = _float_pair(predictions, labels)
        losses = (-multiply(labels, log(predictions + epsilon))
                  - multiply(1 - labels, log(1 - predictions + epsilon)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def hinge_loss(labels: Any, logits: Any, weights: Any = 1.0, scope: Optional[str] = None,
               loss_collection: Optional[str] = _LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, logits=logits)
    with name_scope(scope, "hinge_loss", (logits, labels, weights)) as scope:
        logits, labels = _float_pair(logits, labels)
        all_ones = ones_like(labels)
        labels = subtract(2 * labels, all_ones)
        losses = nn.relu(subtract(all_ones, multiply(labels, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def huber_loss(labels: Any, predictions: Any, weights: Any = 1.0, delta: float = 1.0,
               scope: Optional[str] = None, loss_collection: Optional[str] = _LOSSES,
               reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "huber_loss", (predictions, labels, weights)) as scope:
        predictions, labels = _float_pair(predictions, labels)
        error = subtract(predictions, labels)
        abs_error = abs(error)
        quadratic = minimum(abs_error, delta)
        linear = subtract(abs_error, quadratic)
        losses = add(
            multiply(convert_to_tensor(0.5, dtype=quadratic.dtype),
                     multiply(quadratic, quadratic)),
            multiply(delta, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def sigmoid_cross_entropy(multi_class_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: Optional[str] = None,
                          loss_collection: Optional[str] = _LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(multi_class_labels=multi_class_labels, logits=logits)
    with name_scope(scope, "sigmoid_cross_entropy_loss",
                    (logits, multi_class_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        multi_class_labels = cast(multi_class_labels, logits.dtype)
        logits.shape.assert_is_compatible_with(multi_class_labels.shape)
        if label_smoothing > 0:
            multi_class_labels = (multi_class_labels * (1 - label_smoothing)
                                  + 0.5 * label_smoothing)
        losses = nn.sigmoid_cross_entropy_with_logits(labels=multi_class_labels, logits=logits,
                                                      name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def softmax_cross_entropy(onehot_labels: Any, logits: Any, weights: Any = 1.0,
                          label_smoothing: float = 0, scope: Optional[str] = None,
                          loss_collection: Optional[str] = _LOSSES,
                          reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(onehot_labels=onehot_labels, logits=logits)
    with name_scope(scope, "softmax_cross_entropy_loss",
                    (logits, onehot_labels, weights)) as scope:
        logits = convert_to_tensor(logits)
        onehot_labels = cast(onehot_labels, logits.dtype)
        logits.shape.assert_is_compatible_with(onehot_labels.shape)
        if label_smoothing > 0:
            num_classes = cast(shape(onehot_labels)[-1], logits.dtype)
            smooth_positives = 1.0 - label_smoothing
            smooth_negatives = label_smoothing / num_classes
            onehot_labels = onehot_labels * smooth_positives + smooth_negatives
        onehot_labels = stop_gradient(onehot_labels, name="labels_stop_gradient")
        losses = nn.softmax_cross_entropy_with_logits_v2(labels=onehot_labels, logits=logits,
                                                         name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _squeeze_weights(labels: Tensor, weights: Any) -> Any:
    # TF's _remove_squeezable_dimensions for the weights, when ranks are static.
    weights = convert_to_tensor(weights)
    labels_rank, weights_rank = labels.shape.rank, weights.shape.rank
    if labels_rank is not None and weights_rank is not None and weights_rank - labels_rank == 1:
        weights = squeeze(weights, [-1])
    return weights


def _remove_squeezable_dimensions(labels: Any, logits: Any) -> tuple[Tensor, Tensor]:
    # TF's confusion_matrix.remove_squeezable_dimensions with expected_rank_diff=1, static
    # ranks only (TF's dynamic branch needs cond).
    with name_scope(None, "remove_squeezable_dimensions", [labels, logits]):
        logits = convert_to_tensor(logits)
        labels = convert_to_tensor(labels)
        logits_rank, labels_rank = logits.shape.rank, labels.shape.rank
        if logits_rank is not None and labels_rank is not None:
            rank_diff = logits_rank - labels_rank
            if rank_diff == 2 and logits.shape.dims[-1].is_compatible_with(1):
                logits = squeeze(logits, [-1])
            elif rank_diff == 0 and labels.shape.dims[-1].is_compatible_with(1):
                labels = squeeze(labels, [-1])
        return labels, logits


def sparse_softmax_cross_entropy(labels: Any, logits: Any, weights: Any = 1.0,
                                 scope: Optional[str] = None,
                                 loss_collection: Optional[str] = _LOSSES,
                                 reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    _check_given(labels=labels, logits=logits)
    with name_scope(scope, "sparse_softmax_cross_entropy_loss",
                    (logits, labels, weights)) as scope:
        labels, logits = _remove_squeezable_dimensions(labels, logits)
        weights = _squeeze_weights(labels, weights)
        losses = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def cosine_distance(labels: Any, predictions: Any, axis: Optional[int] = None,
                    weights: Any = 1.0, scope: Optional[str] = None,
                    loss_collection: Optional[str] = _LOSSES,
                    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
                    dim: Optional[int] = None) -> Tensor:
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = axis if axis is not None else dim
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "cosine_distance_loss", (predictions, labels, weights)) as scope:
        predictions, labels = _float_pair(predictions, labels)
        radial_diffs = multiply(predictions, labels)
        losses = 1 - reduce_sum(radial_diffs, axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_pairwise_squared_error(labels: Any, predictions: Any, weights: Any = 1.0,
                                scope: Optional[str] = None,
                                loss_collection: Optional[str] = _LOSSES) -> Tensor:
    """The weighted mean over the batch of each entry's mean squared difference between all
    pairs of its elements' errors, as TF computes it: ``2 * sum(d^2) / (n - 1) -
    2 * sum(d)^2 / (n * (n - 1))`` per entry, for ``d = predictions - labels`` and ``n`` its
    non-zero weights."""
    _check_given(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_pairwise_squared_error", (predictions, labels, weights)):
        weights = cast(weights, dtype=_dtypes.float32)
        labels = cast(labels, dtype=_dtypes.float32)
        with control_dependencies((_assert_broadcastable(weights, labels),)):
            predictions = cast(predictions, dtype=_dtypes.float32)
            predictions.shape.assert_is_compatible_with(labels.shape)
            diffs = subtract(predictions, labels)
            axis = _range(1, rank(diffs))
            sum_squares = reduce_sum(square(diffs), axis=axis, keepdims=True)
            num_present = _num_present(diffs, weights, per_batch=True)
            term1 = 2.0 * div_no_nan(sum_squares, maximum(num_present - 1, 0), name="value")
            sum_diff = reduce_sum(diffs, axis=axis, keepdims=True)
            term2 = 2.0 * div_no_nan(square(sum_diff),
                                     maximum(multiply(num_present, num_present - 1), 0),
                                     name="value")
            loss = reduce_sum(multiply(term1 - term2, weights))
            mean_loss = where(reduce_sum(num_present) > 0, loss, zeros_like(loss),
                              name="value")
            add_loss(mean_loss, loss_collection)
            return mean_loss


def add_loss(loss: Any, loss_collection: Optional[str] = _LOSSES) -> None:
    if loss_collection:
        get_default_graph().add_to_collection(loss_collection, loss)


def get_losses(scope: Optional[str] = None, loss_collection: str = _LOSSES) -> list[Any]:
    return get_default_graph().get_collection(loss_collection, scope)


def get_regularization_losses(scope: Optional[str] = None) -> list[Any]:
    return get_default_graph().get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope: Optional[str] = None,
                            name: str = "total_regularization_loss") -> Tensor:
    losses = get_regularization_losses(scope)
    if losses:
        return add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss",
                   scope: Optional[str] = None) -> Tensor:
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    return add_n(losses, name=name)
