"""tf.metrics: names, local/metric variables, collections and values recorded from TF 2.21."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf

LABELS = np.array([1, 0, 1, 1], np.int64)
PREDICTIONS = np.array([1, 1, 0, 1], np.int64)


def _run_updates(value, update, feeds):
    """The value before any update, then (update result, value) after each feed."""
    out = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out.append(sess.run(value))
        for feed in feeds:
            out.append((sess.run(update, feed), sess.run(value)))
    return out


def test_accuracy_variables_names_and_values():
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.int64, [4])
        value, update = tf.metrics.accuracy(labels, predictions)
        assert (value.name, update.name) == ("accuracy/value:0", "accuracy/update_op:0")
        assert (value.op.type, update.op.type) == ("DivNoNan", "DivNoNan")
        assert value.dtype == tf.float32 and value.shape.as_list() == []
        names = ["accuracy/total:0", "accuracy/count:0"]
        assert [v.name for v in tf.local_variables()] == names
        assert [v.name for v in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)] == names
        assert tf.global_variables() == [] and tf.trainable_variables() == []
        feeds = [{labels: LABELS, predictions: PREDICTIONS}, {labels: LABELS, predictions: LABELS}]
        assert _run_updates(value, update, feeds) == [0.0, (0.5, 0.5), (0.75, 0.75)]
        # local_variables_initializer() resets the running state.
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            sess.run(update, feeds[0])
            sess.run(tf.local_variables_initializer())
            assert sess.run(value) == 0.0


def test_accuracy_weighted_and_named():
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.int64, [4])
        weights = tf.placeholder(tf.float32, [4])
        value, update = tf.metrics.accuracy(labels, predictions, weights=weights, name="acc_w")
        assert [v.name for v in tf.local_variables()] == ["acc_w/total:0", "acc_w/count:0"]
        feed = {labels: LABELS, predictions: PREDICTIONS,
                weights: np.array([1, 2, 0, 1], np.float32)}
        assert _run_updates(value, update, [feed]) == [0.0, (0.5, 0.5)]


def test_accuracy_shape_mismatch():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
            tf.metrics.accuracy(tf.constant([1, 2]), tf.constant([1, 2, 3]))


def test_accuracy_squeezes_a_trailing_unit_dim():
    with tf.Graph().as_default():
        value, update = tf.metrics.accuracy(tf.constant([[1], [0]]), tf.constant([1, 1]))
        assert _run_updates(value, update, [{}]) == [0.0, (0.5, 0.5)]


def test_mean_and_collections():
    with tf.Graph().as_default():
        values = tf.placeholder(tf.float32, [None])
        value, update = tf.metrics.mean(values, metrics_collections=["mc"],
                                        updates_collections=["uc"])
        assert (value.name, update.name) == ("mean/value:0", "mean/update_op:0")
        assert tf.get_collection("mc") == [value] and tf.get_collection("uc") == [update]
        feeds = [{values: np.array([1, 2, 3], np.float32)}, {values: np.array([10], np.float32)}]
        assert _run_updates(value, update, feeds) == [0.0, (2.0, 2.0), (4.0, 4.0)]
        value2, _ = tf.metrics.mean(values)
        assert value2.name == "mean_1/value:0"


def test_mean_weighted_broadcasts_weights():
    with tf.Graph().as_default():
        values = tf.constant([[1., 2.], [3., 4.]])
        value, update = tf.metrics.mean(values, weights=tf.constant([[1.], [0.]]))
        out = _run_updates(value, update, [{}])
        assert out[1] == (1.5, 1.5)


@pytest.mark.parametrize("fn,name,expected", [
    (tf.metrics.mean_squared_error, "mean_squared_error", 1.6666666),
    (tf.metrics.mean_absolute_error, "mean_absolute_error", 1.0),
])
def test_regression_metrics(fn, name, expected):
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.float32, [3])
        predictions = tf.placeholder(tf.float32, [3])
        value, update = fn(labels, predictions)
        assert value.name == f"{name}/value:0"
        assert [v.name for v in tf.local_variables()] == [f"{name}/total:0", f"{name}/count:0"]
        feed = {labels: [1, 2, 3], predictions: [1, 1, 1]}
        out = _run_updates(value, update, [feed])
        np.testing.assert_allclose(out[1], (expected, expected), rtol=1e-6)


def test_root_mean_squared_error():
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.float32, [3])
        predictions = tf.placeholder(tf.float32, [3])
        value, update = tf.metrics.root_mean_squared_error(labels, predictions)
        assert (value.name, update.name) == ("Sqrt:0", "Sqrt_1:0")
        assert [v.name for v in tf.local_variables()] == [
            "root_mean_squared_error/total:0", "root_mean_squared_error/count:0"]
        out = _run_updates(value, update, [{labels: [1, 2, 3], predictions: [1, 1, 1]}])
        np.testing.assert_allclose(out[1], (1.2909944, 1.2909944), rtol=1e-6)


@pytest.mark.parametrize("fn,name,expected", [
    (tf.metrics.true_positives, "true_positives", 2.0),
    (tf.metrics.true_negatives, "true_negatives", 0.0),
    (tf.metrics.false_positives, "false_positives", 1.0),
    (tf.metrics.false_negatives, "false_negatives", 1.0),
])
def test_counts(fn, name, expected):
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.int64, [4])
        value, update = fn(labels, predictions)
        assert value.name == f"{name}/Identity:0"
        assert [v.name for v in tf.local_variables()] == [f"{name}/count:0"]
        out = _run_updates(value, update, [{labels: LABELS, predictions: PREDICTIONS}] * 2)
        assert out == [0.0, (expected, expected), (2 * expected, 2 * expected)]


def test_counts_weighted_and_bool_predictions():
    with tf.Graph().as_default():
        value, update = tf.metrics.false_positives(
            LABELS, PREDICTIONS.astype(bool), weights=tf.constant([1., 5., 1., 1.]))
        assert _run_updates(value, update, [{}]) == [0.0, (5.0, 5.0)]


@pytest.mark.parametrize("fn,name,other", [
    (tf.metrics.precision, "precision", "false_positives"),
    (tf.metrics.recall, "recall", "false_negatives"),
])
def test_precision_recall(fn, name, other):
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.int64, [4])
        value, update = fn(labels, predictions)
        assert (value.name, update.name) == (f"{name}/value:0", f"{name}/update_op:0")
        assert value.op.type == "Select"
        assert [v.name for v in tf.local_variables()] == [
            f"{name}/true_positives/count:0", f"{name}/{other}/count:0"]
        out = _run_updates(value, update, [{labels: LABELS, predictions: PREDICTIONS}])
        np.testing.assert_allclose(out[1], (0.6666667, 0.6666667), rtol=1e-6)
        assert out[0] == 0.0


def test_auc_roc_and_pr():
    scores = np.array([0.9, 0.3, 0.2, 0.8], np.float32)
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.float32, [4])
        value, update = tf.metrics.auc(labels, predictions)
        assert (value.name, update.name) == ("auc/value:0", "auc/update_op:0")
        assert [(v.name, v.shape.as_list()) for v in tf.local_variables()] == [
            ("auc/true_positives:0", [200]), ("auc/false_negatives:0", [200]),
            ("auc/true_negatives:0", [200]), ("auc/false_positives:0", [200])]
        out = _run_updates(value, update, [{labels: LABELS, predictions: scores}])
        np.testing.assert_allclose(out[1], (0.6666661, 0.6666661), rtol=1e-5)
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int64, [4])
        predictions = tf.placeholder(tf.float32, [4])
        value, update = tf.metrics.auc(labels, predictions, curve="PR", num_thresholds=10)
        out = _run_updates(value, update, [{labels: LABELS, predictions: scores}])
        np.testing.assert_allclose(out[1], (0.90277755, 0.90277755), rtol=1e-5)
        with pytest.raises(ValueError, match="Curve must be either ROC or PR"):
            tf.metrics.auc(labels, predictions, curve="XY")


AT_LABELS = np.array([1, 0, 1, 1, 0], np.int64)
AT_SCORES = np.array([0.9, 0.3, 0.2, 0.8, 0.6], np.float32)
AT_WEIGHTS = np.array([1., 2., 1., 1., 1.], np.float32)


@pytest.mark.parametrize("fn,scope,expected", [
    (tf.metrics.true_positives_at_thresholds, "true_positives", [2., 2., 1.]),
    (tf.metrics.false_positives_at_thresholds, "false_positives", [3., 1., 0.]),
    (tf.metrics.true_negatives_at_thresholds, "true_negatives", [0., 2., 3.]),
    (tf.metrics.false_negatives_at_thresholds, "false_negatives", [1., 1., 2.]),
])
def test_counts_at_thresholds(fn, scope, expected):
    with tf.Graph().as_default():
        value, update = fn(AT_LABELS, AT_SCORES, [0.25, 0.5, 0.85], weights=AT_WEIGHTS)
        assert value.name == f"{scope}/Identity:0"
        assert [(v.name, v.shape.as_list()) for v in tf.local_variables()] == [
            (f"{scope}/{scope}:0", [3])]
        out = _run_updates(value, update, [{}])
        np.testing.assert_array_equal(out[0], [0., 0., 0.])
        np.testing.assert_array_equal(out[1][0], expected)
        np.testing.assert_array_equal(out[1][1], expected)


@pytest.mark.parametrize("fn,kind,other,expected", [
    (tf.metrics.precision_at_thresholds, "precision", "false_positives",
     [0.4, 0.6666667, 0.9999999]),
    (tf.metrics.recall_at_thresholds, "recall", "false_negatives",
     [0.6666667, 0.6666667, 0.33333334]),
])
def test_precision_recall_at_thresholds(fn, kind, other, expected):
    with tf.Graph().as_default():
        value, update = fn(AT_LABELS, AT_SCORES, [0.25, 0.5, 0.85], weights=AT_WEIGHTS)
        assert (value.name, update.name) == (f"{kind}_at_thresholds/{kind}_value:0",
                                             f"{kind}_at_thresholds/{kind}_update_op:0")
        assert [v.name for v in tf.local_variables()] == [
            f"{kind}_at_thresholds/true_positives:0", f"{kind}_at_thresholds/{other}:0"]
        out = _run_updates(value, update, [{}])
        np.testing.assert_allclose(out[1][0], expected, rtol=1e-6)
        np.testing.assert_allclose(out[1][1], expected, rtol=1e-6)


def test_mean_iou_as_tf():
    """Values printed by TF 2.21 for the same two batches, weighted and not."""
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.int32, [None, 2])
        preds = tf.placeholder(tf.int32, [None, 2])
        w = tf.placeholder(tf.float32, [None, 2])
        miou, update = tf.metrics.mean_iou(labels, preds, 4)
        weighted, update_w = tf.metrics.mean_iou(labels, preds, 4, weights=w, name="weighted")
        assert miou.name == "mean_iou/Select_1:0" and weighted.name == "weighted/Select_1:0"
        assert [v.name for v in tf.local_variables()] == [
            "mean_iou/total_confusion_matrix:0", "weighted/total_confusion_matrix:0"]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert sess.run(miou) == 0.0
            first = {labels: [[0, 1], [2, 2]], preds: [[0, 2], [2, 1]],
                     w: [[1, 0.5], [2, 1]]}
            cm = sess.run([update, update_w], first)[0]
            np.testing.assert_array_equal(cm, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0],
                                               [0, 0, 0, 0]])
            np.testing.assert_allclose(sess.run([miou, weighted]), [0.44444445, 0.5238095],
                                       rtol=1e-6)
            second = {labels: [[3, 1], [1, 0]], preds: [[3, 1], [0, 0]], w: [[1, 1], [1, 1]]}
            sess.run([update, update_w], second)
            np.testing.assert_allclose(sess.run([miou, weighted]), [0.5625, 0.6309524],
                                       rtol=1e-6)
