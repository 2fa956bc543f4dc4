"""``tf.metrics`` (``tf.compat.v1.metrics``): streaming metrics as TF 2.21's ``metrics_impl``
builds them.

Each metric keeps its running state in local variables (collections ``LOCAL_VARIABLES`` and
``METRIC_VARIABLES``, zero-initialized, reset by ``local_variables_initializer()``) under a
variable scope named after the metric, and returns ``(value, update_op)``: running
``update_op`` folds a batch into the state and gives the updated value; ``value`` reads the
state without changing it. ``metrics_collections`` / ``updates_collections`` receive the value
and the update op.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from . import dtypes as _dtypes
from .array_ops import (expand_dims, reshape, shape as shape_op, size, squeeze, stack, tile,
                        transpose, zeros)
from .constant_op import constant, convert_to_tensor
from .framework import Tensor, control_dependencies, get_default_graph
from .losses import _broadcast_weights
from .math_ops import (abs, cast, div_no_nan, divide, equal, greater, logical_and,
                       logical_not, maximum, multiply, reduce_sum, sqrt, squared_difference,
                       where)
from .variables import GraphKeys, Variable, variable_scope

__all__ = [
    "accuracy", "mean", "mean_squared_error", "mean_absolute_error",
    "root_mean_squared_error", "precision", "recall", "true_positives", "false_positives",
    "true_negatives", "false_negatives", "auc", "true_positives_at_thresholds",
    "false_positives_at_thresholds", "true_negatives_at_thresholds",
    "false_negatives_at_thresholds", "precision_at_thresholds", "recall_at_thresholds",
    "mean_iou", "mean_per_class_accuracy", "mean_relative_error", "mean_cosine_distance",
    "percentage_below", "mean_tensor",
]


def metric_variable(shape: Sequence[int], dtype: Any, name: str) -> Variable:
    """A zero-initialized local variable that holds a metric's running state."""
    return Variable(lambda: zeros(shape, dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                    name=name)


def _collect(value: Any, update_op: Any, metrics_collections: Any,
             updates_collections: Any) -> tuple[Any, Any]:
    """Adds the metric's value and update op to the requested collections."""
    graph = get_default_graph()
    if metrics_collections:
        graph.add_to_collections(list(metrics_collections), value)
    if updates_collections:
        graph.add_to_collections(list(updates_collections), update_op)
    return value, update_op


def _remove_squeezable_dimensions(predictions: Any, labels: Any, weights: Any
                                  ) -> tuple[Tensor, Any, Any]:
    """Drops a trailing unit dim that makes predictions/labels (and weights) ranks differ
    by one, as TF's metrics do with static ranks."""
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels = convert_to_tensor(labels)
        pr, lr = predictions.shape.rank, labels.shape.rank
        if pr is not None and lr is not None:
            if pr - lr == 1 and predictions.shape.as_list()[-1] in (1, None):
                predictions = squeeze(predictions, [-1])
            elif pr - lr == -1 and labels.shape.as_list()[-1] in (1, None):
                labels = squeeze(labels, [-1])
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    wr, pr = weights.shape.rank, predictions.shape.rank
    if wr == 0 or wr is None or pr is None:
        return predictions, labels, weights
    if wr - pr == 1:
        weights = squeeze(weights, [-1])
    elif pr - wr == 1:
        weights = expand_dims(weights, -1)
    return predictions, labels, weights


def mean(values: Any, weights: Any = None, metrics_collections: Any = None,
         updates_collections: Any = None, name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The (weighted) mean of every value seen: ``total / count``."""
    with variable_scope(name, "mean", (values, weights)):
        values = cast(values, _dtypes.float32)
        total = metric_variable([], _dtypes.float32, name="total")
        count = metric_variable([], _dtypes.float32, name="count")
        if weights is None:
            num_values = cast(size(values), _dtypes.float32)
        else:
            values, _, weights = _remove_squeezable_dimensions(values, None, weights)
            weights = _broadcast_weights(cast(weights, _dtypes.float32), values)
            values = multiply(values, weights)
            num_values = reduce_sum(weights)
        update_total = total.assign_add(reduce_sum(values))
        with control_dependencies([values]):
            update_count = count.assign_add(num_values)
        value = div_no_nan(total, maximum(count, 0.0), name="value")
        update_op = div_no_nan(update_total, maximum(update_count, 0.0), name="update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def accuracy(labels: Any, predictions: Any, weights: Any = None,
             metrics_collections: Any = None, updates_collections: Any = None,
             name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """How often ``predictions`` equals ``labels``."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions.shape.assert_is_compatible_with(labels.shape)
    if labels.dtype is not predictions.dtype:
        predictions = cast(predictions, labels.dtype)
    is_correct = cast(equal(predictions, labels), _dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def mean_squared_error(labels: Any, predictions: Any, weights: Any = None,
                       metrics_collections: Any = None, updates_collections: Any = None,
                       name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    squared_error = squared_difference(labels, predictions)
    return mean(squared_error, weights, metrics_collections, updates_collections,
                name or "mean_squared_error")


def mean_absolute_error(labels: Any, predictions: Any, weights: Any = None,
                        metrics_collections: Any = None, updates_collections: Any = None,
                        name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    absolute_errors = abs(predictions - labels)
    return mean(absolute_errors, weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")


def root_mean_squared_error(labels: Any, predictions: Any, weights: Any = None,
                            metrics_collections: Any = None, updates_collections: Any = None,
                            name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None,
                                         name or "root_mean_squared_error")
    rmse = sqrt(mse)
    update_op = sqrt(update_mse)
    return _collect(rmse, update_op, metrics_collections, updates_collections)


# ----- counts of a condition -----

def _count_condition(values: Tensor, weights: Any, metrics_collections: Any,
                     updates_collections: Any) -> tuple[Tensor, Any]:
    from .array_ops import identity
    count = metric_variable([], _dtypes.float32, name="count")
    values = cast(values, _dtypes.float32)
    if weights is not None:
        values = multiply(values, cast(weights, _dtypes.float32))
    value = identity(count)
    update_op = count.assign_add(reduce_sum(values))
    return _collect(value, update_op, metrics_collections, updates_collections)


def _condition_metric(default_name: str, label_value: bool, prediction_value: bool,
                      labels: Any, predictions: Any, weights: Any, metrics_collections: Any,
                      updates_collections: Any, name: Optional[str]) -> tuple[Tensor, Any]:
    with variable_scope(name, default_name, (predictions, labels, weights)):
        predictions, labels, weights = _remove_squeezable_dimensions(
            cast(predictions, _dtypes.bool), cast(labels, _dtypes.bool), weights)
        condition = logical_and(equal(labels, label_value), equal(predictions, prediction_value))
        return _count_condition(condition, weights, metrics_collections, updates_collections)


def _condition_metric_fn(default_name: str, label_value: bool,
                         prediction_value: bool) -> Any:
    """A public count metric: labels == label_value and predictions == prediction_value."""

    def metric(labels: Any, predictions: Any, weights: Any = None,
               metrics_collections: Any = None, updates_collections: Any = None,
               name: Optional[str] = None) -> tuple[Tensor, Any]:
        return _condition_metric(default_name, label_value, prediction_value, labels,
                                 predictions, weights, metrics_collections,
                                 updates_collections, name)

    metric.__name__ = metric.__qualname__ = default_name
    return metric


true_positives = _condition_metric_fn("true_positives", True, True)
false_positives = _condition_metric_fn("false_positives", False, True)
true_negatives = _condition_metric_fn("true_negatives", False, False)
false_negatives = _condition_metric_fn("false_negatives", True, False)


def _ratio_metric(default_name: str, other: Any, labels: Any, predictions: Any, weights: Any,
                  metrics_collections: Any, updates_collections: Any,
                  name: Optional[str]) -> tuple[Tensor, Tensor]:
    """``tp / (tp + other)``, 0 when the denominator is 0 (precision, recall)."""
    with variable_scope(name, default_name, (predictions, labels, weights)):
        predictions, labels, weights = _remove_squeezable_dimensions(
            cast(predictions, _dtypes.bool), cast(labels, _dtypes.bool), weights)
        tp, tp_update = true_positives(labels, predictions, weights)
        rest, rest_update = other(labels, predictions, weights)

        def ratio(t: Any, o: Any, op_name: str) -> Tensor:
            return where(greater(t + o, 0.0), divide(t, t + o), 0.0, name=op_name)

        value = ratio(tp, rest, "value")
        update_op = ratio(tp_update, rest_update, "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def precision(labels: Any, predictions: Any, weights: Any = None,
              metrics_collections: Any = None, updates_collections: Any = None,
              name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    return _ratio_metric("precision", false_positives, labels, predictions, weights,
                         metrics_collections, updates_collections, name)


def recall(labels: Any, predictions: Any, weights: Any = None,
           metrics_collections: Any = None, updates_collections: Any = None,
           name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    return _ratio_metric("recall", false_negatives, labels, predictions, weights,
                         metrics_collections, updates_collections, name)


# ----- counts at thresholds and AUC -----

def _confusion_at_thresholds(labels: Any, predictions: Any, thresholds: Sequence[float],
                             weights: Any, includes: Sequence[str] = ("tp", "fn", "tn", "fp")
                             ) -> tuple[dict[str, Variable], dict[str, Any]]:
    """Per threshold, running counts of the ``includes`` among tp/fn/tn/fp for
    ``prediction > threshold``."""
    predictions, labels, weights = _remove_squeezable_dimensions(
        cast(predictions, _dtypes.float32), cast(labels, _dtypes.bool), weights)
    thresholds = [float(t) for t in thresholds]
    n = len(thresholds)
    predictions_2d = reshape(predictions, [-1, 1])
    labels_2d = reshape(cast(labels, _dtypes.bool), [1, -1])
    num_predictions: Any = predictions_2d.shape.as_list()[0]
    if num_predictions is None:
        num_predictions = shape_op(predictions_2d)[0]
    thresh_tiled = tile(expand_dims(constant(thresholds), [1]), stack([1, num_predictions]))
    preds_tiled = tile(transpose(predictions_2d), [n, 1])
    pred_is_pos = greater(preds_tiled, thresh_tiled)
    label_is_pos = tile(labels_2d, [n, 1])
    weights_tiled = None
    if weights is not None:
        w = _broadcast_weights(cast(weights, _dtypes.float32), predictions)
        weights_tiled = tile(reshape(w, [1, -1]), [n, 1])
    label_is_neg, pred_is_neg = logical_not(label_is_pos), logical_not(pred_is_pos)
    conditions = {
        "tp": (label_is_pos, pred_is_pos), "fn": (label_is_pos, pred_is_neg),
        "tn": (label_is_neg, pred_is_neg), "fp": (label_is_neg, pred_is_pos),
    }
    names = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
             "fp": "false_positives"}
    values: dict[str, Variable] = {}
    updates: dict[str, Any] = {}
    for key in [k for k in ("tp", "fn", "tn", "fp") if k in includes]:
        a, b = conditions[key]
        hits = cast(logical_and(a, b), _dtypes.float32)
        if weights_tiled is not None:
            hits = multiply(hits, weights_tiled)
        values[key] = metric_variable([n], _dtypes.float32, name=names[key])
        updates[key] = values[key].assign_add(reduce_sum(hits, 1))
    return values, updates


def auc(labels: Any, predictions: Any, weights: Any = None, num_thresholds: int = 200,
        metrics_collections: Any = None, updates_collections: Any = None, curve: str = "ROC",
        name: Optional[str] = None, summation_method: str = "trapezoidal",
        thresholds: Any = None) -> tuple[Tensor, Tensor]:
    """The area under the ROC or PR curve, by a Riemann sum over ``num_thresholds``
    thresholds (predictions must lie in [0, 1])."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"Curve must be either ROC or PR. Curve {curve} is unknown.")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring",
                                "majoring"):
        raise ValueError(f"Invalid summation_method: {summation_method}")
    if summation_method == "careful_interpolation" and curve == "PR":
        raise NotImplementedError(
            "symgrad's auc has no careful_interpolation for the PR curve")
    with variable_scope(name, "auc", (labels, predictions, weights)):
        if thresholds is not None:
            thresholds = sorted(float(t) for t in thresholds)
            num_thresholds = len(thresholds) + 2
            cuts = [0.0 - 1e-7] + thresholds + [1.0 + 1e-7]
        else:
            if num_thresholds <= 1:
                raise ValueError("`num_thresholds` must be > 1.")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            cuts = [0.0 - 1e-7] + inner + [1.0 + 1e-7]
        values, updates = _confusion_at_thresholds(labels, predictions, cuts, weights)
        epsilon = 1.0e-6
        k = num_thresholds

        def compute_auc(tp: Any, fn: Any, tn: Any, fp: Any, op_name: str) -> Tensor:
            rec = divide(tp + epsilon, tp + fn + epsilon)
            if curve == "ROC":
                x, y = divide(fp, fp + tn + epsilon), rec
            else:
                x, y = rec, divide(tp + epsilon, tp + fp + epsilon)
            dx = x[:k - 1] - x[1:]
            if summation_method == "minoring":
                from .math_ops import minimum
                heights = minimum(y[:k - 1], y[1:])
            elif summation_method == "majoring":
                heights = maximum(y[:k - 1], y[1:])
            else:
                heights = (y[:k - 1] + y[1:]) / 2.0
            return reduce_sum(multiply(dx, heights), name=op_name)

        value = compute_auc(values["tp"], values["fn"], values["tn"], values["fp"], "value")
        update_op = compute_auc(updates["tp"], updates["fn"], updates["tn"], updates["fp"],
                                "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)



def _count_at_thresholds_fn(key: str, default_name: str) -> Any:
    """A public ``*_at_thresholds`` metric: one running count per threshold."""

    def metric(labels: Any, predictions: Any, thresholds: Any, weights: Any = None,
               metrics_collections: Any = None, updates_collections: Any = None,
               name: Optional[str] = None) -> tuple[Tensor, Any]:
        from .array_ops import identity
        with variable_scope(name, default_name, (predictions, labels, weights)):
            values, updates = _confusion_at_thresholds(labels, predictions, thresholds,
                                                       weights, includes=(key,))
            return _collect(identity(values[key]), updates[key], metrics_collections,
                            updates_collections)

    metric.__name__ = metric.__qualname__ = f"{default_name}_at_thresholds"
    return metric


true_positives_at_thresholds = _count_at_thresholds_fn("tp", "true_positives")
false_positives_at_thresholds = _count_at_thresholds_fn("fp", "false_positives")
true_negatives_at_thresholds = _count_at_thresholds_fn("tn", "true_negatives")
false_negatives_at_thresholds = _count_at_thresholds_fn("fn", "false_negatives")


def _ratio_at_thresholds(kind: str, other: str, labels: Any, predictions: Any,
                         thresholds: Any, weights: Any, metrics_collections: Any,
                         updates_collections: Any, name: Optional[str]
                         ) -> tuple[Tensor, Tensor]:
    """``tp / (1e-7 + tp + other)`` per threshold (precision, recall)."""
    with variable_scope(name, f"{kind}_at_thresholds", (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights,
                                                   includes=("tp", other))
        epsilon = 1e-7

        def ratio(tp: Any, rest: Any, suffix: str) -> Tensor:
            return divide(tp, epsilon + tp + rest, name=f"{kind}_{suffix}")

        value = ratio(values["tp"], values[other], "value")
        update_op = ratio(updates["tp"], updates[other], "update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def precision_at_thresholds(labels: Any, predictions: Any, thresholds: Any,
                            weights: Any = None, metrics_collections: Any = None,
                            updates_collections: Any = None,
                            name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    return _ratio_at_thresholds("precision", "fp", labels, predictions, thresholds, weights,
                                metrics_collections, updates_collections, name)


def recall_at_thresholds(labels: Any, predictions: Any, thresholds: Any, weights: Any = None,
                         metrics_collections: Any = None, updates_collections: Any = None,
                         name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    return _ratio_at_thresholds("recall", "fn", labels, predictions, thresholds, weights,
                                metrics_collections, updates_collections, name)


def _streaming_confusion_matrix(labels: Any, predictions: Any, num_classes: int,
                                weights: Any = None) -> tuple[Variable, Tensor]:
    """A float64 ``[num_classes, num_classes]`` confusion matrix summed over every batch
    (flattened labels against flattened predictions), and the op adding a batch to it."""
    from .partition_ops import confusion_matrix
    total_cm = metric_variable([num_classes, num_classes], _dtypes.float64,
                               name="total_confusion_matrix")
    predictions = cast(predictions, _dtypes.int64)
    labels = cast(labels, _dtypes.int64)
    classes = cast(num_classes, _dtypes.int64)
    if (predictions.shape.rank or 0) > 1:
        predictions = reshape(predictions, [-1])
    if (labels.shape.rank or 0) > 1:
        labels = reshape(labels, [-1])
    if weights is not None:
        weights = convert_to_tensor(weights)
        if (weights.shape.rank or 0) > 1:
            weights = reshape(weights, [-1])
    current_cm = confusion_matrix(labels, predictions, classes, weights=weights,
                                  dtype=_dtypes.float64)
    return total_cm, total_cm.assign_add(current_cm)


def mean_iou(labels: Any, predictions: Any, num_classes: int, weights: Any = None,
             metrics_collections: Any = None, updates_collections: Any = None,
             name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The mean intersection-over-union over the classes seen in labels or predictions,
    from a streaming confusion matrix: ``diag / (row sum + column sum - diag)``. The update
    op returns the updated confusion matrix, as TF's."""
    from .array_ops import ones_like
    from .linalg import diag_part
    from .math_ops import not_equal
    with variable_scope(name, "mean_iou", (predictions, labels, weights)):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        predictions.shape.assert_is_compatible_with(labels.shape)
        total_cm, update_op = _streaming_confusion_matrix(labels, predictions, num_classes,
                                                          weights)
        sum_over_row = cast(reduce_sum(total_cm, 0), _dtypes.float32)
        sum_over_col = cast(reduce_sum(total_cm, 1), _dtypes.float32)
        cm_diag = cast(diag_part(total_cm), _dtypes.float32)
        denominator = sum_over_row + sum_over_col - cm_diag
        # Only classes that appear in labels or predictions count; an absent one has 0.
        num_valid_entries = reduce_sum(cast(not_equal(denominator, 0), _dtypes.float32))
        denominator = where(greater(denominator, 0), denominator, ones_like(denominator))
        iou = divide(cm_diag, denominator)
        value = where(greater(num_valid_entries, 0),
                      reduce_sum(iou, name="mean_iou") / num_valid_entries, 0)
        return _collect(value, update_op, metrics_collections, updates_collections)


# ----- per-class accuracy, relative error, cosine distance, thresholds, tensors -----

def mean_per_class_accuracy(labels: Any, predictions: Any, num_classes: int,
                            weights: Any = None, metrics_collections: Any = None,
                            updates_collections: Any = None,
                            name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The mean over classes of each class's accuracy (the share of its labels predicted
    right), from per-class totals and hits kept with ``scatter_add``."""
    from .array_ops import ones
    from .math_ops import reduce_mean
    from .variables import scatter_add
    with variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels = cast(labels, _dtypes.int64)
        predictions = convert_to_tensor(predictions)
        if (labels.shape.ndims or 0) > 1:
            labels = reshape(labels, [-1])
        if (predictions.shape.ndims or 0) > 1:
            predictions = reshape(predictions, [-1])
        predictions.shape.assert_is_compatible_with(labels.shape)
        total = metric_variable([num_classes], _dtypes.float32, name="total")
        count = metric_variable([num_classes], _dtypes.float32, name="count")
        counts = ones(stack([size(labels)]), _dtypes.float32)
        if labels.dtype is not predictions.dtype:
            predictions = cast(predictions, labels.dtype)
        is_correct = cast(equal(predictions, labels), _dtypes.float32)
        if weights is not None:
            weights = convert_to_tensor(weights)
            if (weights.shape.ndims or 0) > 1:
                weights = reshape(weights, [-1])
            weights = cast(weights, _dtypes.float32)
            is_correct *= weights
            counts *= weights
        update_total = scatter_add(total, labels, counts)
        update_count = scatter_add(count, labels, is_correct)
        per_class = div_no_nan(count, maximum(total, 0))
        value = reduce_mean(per_class, name="mean_accuracy")
        update_op = div_no_nan(update_count, maximum(update_total, 0), name="update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)


def mean_relative_error(labels: Any, predictions: Any, normalizer: Any, weights: Any = None,
                        metrics_collections: Any = None, updates_collections: Any = None,
                        name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The mean of ``|labels - predictions| / normalizer`` (0 where the normalizer is 0)."""
    from .array_ops import zeros_like
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions, normalizer, _ = _remove_squeezable_dimensions(predictions, normalizer, None)
    predictions.shape.assert_is_compatible_with(normalizer.shape)
    relative_errors = where(equal(normalizer, 0.0), zeros_like(labels),
                            divide(abs(labels - predictions), normalizer))
    return mean(relative_errors, weights, metrics_collections, updates_collections,
                name or "mean_relative_error")


def mean_cosine_distance(labels: Any, predictions: Any, dim: int, weights: Any = None,
                         metrics_collections: Any = None, updates_collections: Any = None,
                         name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """``1 - mean(sum(labels * predictions, dim))`` for unit-normalized inputs."""
    from .math_ops import subtract
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    radial_diffs = reduce_sum(multiply(predictions, labels), axis=[dim], keepdims=True)
    mean_distance, update_op = mean(radial_diffs, weights, None, None,
                                    name or "mean_cosine_distance")
    return _collect(subtract(1.0, mean_distance), subtract(1.0, update_op),
                    metrics_collections, updates_collections)


def percentage_below(values: Any, threshold: Any, weights: Any = None,
                     metrics_collections: Any = None, updates_collections: Any = None,
                     name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The share of values below ``threshold``."""
    from .math_ops import less
    is_below = cast(less(values, threshold), _dtypes.float32)
    return mean(is_below, weights, metrics_collections, updates_collections,
                name or "percentage_below_threshold")


def mean_tensor(values: Any, weights: Any = None, metrics_collections: Any = None,
                updates_collections: Any = None,
                name: Optional[str] = None) -> tuple[Tensor, Tensor]:
    """The element-wise (weighted) mean of every ``values`` tensor seen (one shape)."""
    from .array_ops import ones_like
    with variable_scope(name, "mean", (values, weights)):
        values = cast(values, _dtypes.float32)
        if not values.shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {values.shape} to "
                             "a Tensor.")
        total = metric_variable(values.shape.as_list(), _dtypes.float32, name="total_tensor")
        count = metric_variable(values.shape.as_list(), _dtypes.float32, name="count_tensor")
        num_values = ones_like(values)
        if weights is not None:
            values, _, weights = _remove_squeezable_dimensions(values, None, weights)
            weights = _broadcast_weights(cast(weights, _dtypes.float32), values)
            values = multiply(values, weights)
            num_values = multiply(num_values, weights)
        update_total = total.assign_add(values)
        with control_dependencies([values]):
            update_count = count.assign_add(num_values)
        value = div_no_nan(total, maximum(count, 0), name="value")
        update_op = div_no_nan(update_total, maximum(update_count, 0), name="update_op")
        return _collect(value, update_op, metrics_collections, updates_collections)
