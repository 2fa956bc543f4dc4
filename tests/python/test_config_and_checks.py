"""tf.config, tf.get_logger, tf.init_scope, the variable distribution enums, dynamic_stitch
and the check ops added beside assert_equal (assert_near, assert_rank_in, ...)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import symgrad as tf


def test_config_reports_one_cpu_and_keeps_settings():
    cpu = tf.config.list_physical_devices()
    assert cpu == [tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU")]
    assert tf.config.list_physical_devices("GPU") == []
    assert tf.config.experimental.list_physical_devices("CPU") == cpu
    assert tf.config.list_logical_devices() == [
        tf.config.LogicalDevice("/device:CPU:0", "CPU")]
    for gpu in tf.config.experimental.list_physical_devices("GPU"):
        tf.config.experimental.set_memory_growth(gpu, True)  # the usual loop: never entered
    with pytest.raises(ValueError, match="Cannot set memory growth on non-GPU"):
        tf.config.experimental.set_memory_growth(cpu[0], True)
    assert tf.config.get_visible_devices() == cpu
    with pytest.raises(ValueError, match="at least one CPU"):
        tf.config.set_visible_devices([], "CPU")
    assert tf.config.threading.get_intra_op_parallelism_threads() == 0
    tf.config.threading.set_intra_op_parallelism_threads(2)
    try:
        assert tf.config.threading.get_intra_op_parallelism_threads() == 2
    finally:
        tf.config.threading.set_intra_op_parallelism_threads(0)
    assert tf.config.optimizer.get_jit() == ""
    assert tf.config.get_soft_device_placement() is True
    assert tf.config.LogicalDeviceConfiguration(memory_limit=10).memory_limit == 10


def test_get_logger_is_the_logger_tf_logging_writes_to(caplog):
    logger = tf.get_logger()
    assert isinstance(logger, logging.Logger) and logger is tf.logging.get_logger()
    with caplog.at_level(logging.INFO, logger=logger.name):
        tf.logging.vlog(logging.INFO, "step %d", 3)
        tf.logging.TaskLevelStatusMessage("status")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "step 3"), (logging.ERROR, "status")]
    tf.logging.flush()


def test_init_scope_leaves_control_dependencies_but_keeps_the_name_scope():
    with tf.Graph().as_default():
        x = tf.constant(1.0, name="x")
        with tf.name_scope("outer"), tf.control_dependencies([x]):
            inside = tf.constant(2.0, name="inside")
            with tf.init_scope():
                lifted = tf.constant(3.0, name="lifted")
        assert [op.name for op in inside.op.control_inputs] == ["x"]
        assert lifted.op.control_inputs == [] and lifted.name == "outer/lifted:0"


def test_variable_synchronization_and_aggregation():
    with tf.Graph().as_default():
        on_read = tf.get_variable("r", [2], synchronization=tf.VariableSynchronization.ON_READ,
                                  aggregation=tf.VariableAggregation.MEAN)
        assert not on_read.trainable
        assert on_read.synchronization is tf.VariableSynchronization.ON_READ
        assert on_read.aggregation is tf.VariableAggregation.MEAN
        forced = tf.Variable(1.0, trainable=True,
                             synchronization=tf.VariableSynchronization.ON_READ)
        assert forced.trainable and tf.trainable_variables() == [forced]
        plain = tf.Variable(1.0)
        assert plain.synchronization is tf.VariableSynchronization.AUTO
        assert plain.aggregation is tf.VariableAggregation.NONE
        assert tf.VariableAggregation.ONLY_FIRST_TOWER is tf.VariableAggregation.ONLY_FIRST_REPLICA
        proto = on_read.to_proto()
        assert (proto.synchronization, proto.aggregation) == (3, 2)
        with pytest.raises(ValueError, match="Invalid variable synchronization mode: 9"):
            tf.Variable(1.0, synchronization=9, name="bad")


def test_dynamic_stitch_interleaves_and_differentiates():
    with tf.Graph().as_default():
        a = tf.constant([[1.0, 1.5], [3.0, 3.5]])
        b = tf.constant([[2.0, 2.5]])
        stitched = tf.dynamic_stitch([[0, 2], [1]], [a, b])
        assert stitched.shape.as_list() == [3, 2]
        ga, gb = tf.gradients(tf.reduce_sum(stitched * [[1.0], [2.0], [3.0]]), [a, b])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(stitched),
                                          [[1.0, 1.5], [2.0, 2.5], [3.0, 3.5]])
            np.testing.assert_array_equal(sess.run(ga), [[1.0, 1.0], [3.0, 3.0]])
            np.testing.assert_array_equal(sess.run(gb), [[2.0, 2.0]])
        with pytest.raises(ValueError, match="'data' to 'dynamic_stitch' Op with length 2 "
                                             "must match length 1"):
            tf.dynamic_stitch([[0]], [[1.0], [2.0]])


def test_assert_near_and_rank_in_at_run_time():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0, 3.0])
        close = tf.assert_near(x, [1.0, 2.0, 3.000001])
        far = tf.debugging.assert_near(x, [1.0, 2.0, 3.001], message="msg")
        p = tf.placeholder(tf.float32)
        rank_ok = tf.assert_rank_in(p, [0, 1])
        with tf.Session() as sess:
            sess.run(close)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"\[msg\.  \] \[x and y not equal to tolerance rtol = "):
                sess.run(far)
            sess.run(rank_ok, {p: [1.0]})
            sess.run(rank_ok, {p: 1.0})
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"must have rank in\] \[0\] \[1\] \[Received shape: \] "
                                     r"\[1 1\]"):
                sess.run(rank_ok, {p: [[1.0]]})
        assert tf.assert_rank_in(x, [0, 1]).name.endswith("static_checks_determined_all_ok")
        with pytest.raises(ValueError, match=r"must have rank in \(0, 2\)\.  Received rank 1"):
            tf.assert_rank_in(x, [0, 2])
        # numpy's finfo refuses integers, as in TF, even with both tolerances given.
        with pytest.raises(ValueError, match="not inexact"):
            tf.assert_near([1, 2], [1, 2], rtol=1, atol=1)


def test_static_checks():
    with tf.Graph().as_default():
        x = tf.constant([1.0])
        assert tf.assert_integer(tf.constant([1])).type == "NoOp"
        with pytest.raises(TypeError, match=r'Expected "x" to be integer type.  Found: '
                                            r"Const:0 of dtype <dtype: 'float32'>"):
            tf.assert_integer(x)
        assert tf.assert_same_float_dtype([x, None]) is tf.float32
        assert tf.assert_same_float_dtype() is tf.float32
        with pytest.raises(ValueError, match=r"must be of the same type \(<dtype: 'float32'>\)"):
            tf.assert_same_float_dtype([x, tf.constant(1.0, tf.float64)])
        with pytest.raises(ValueError, match="Expected floating point type"):
            tf.assert_same_float_dtype([tf.constant(1)])
        tf.assert_proper_iterable([1, 2])
        for bad in (x, np.zeros(2), "ab"):
            with pytest.raises(TypeError, match='"proper" iterable'):
                tf.assert_proper_iterable(bad)
        with pytest.raises(TypeError, match="to be iterable"):
            tf.assert_proper_iterable(3)
        assert tf.is_numeric_tensor(x) and not tf.is_numeric_tensor(tf.constant(True))
        assert not tf.is_numeric_tensor(3.0)
        checks = [tf.is_non_decreasing([1, 1, 2]), tf.is_strictly_increasing([1, 1, 2]),
                  tf.math.is_strictly_increasing([3]), tf.is_non_decreasing([[1, 2], [0, 3]]),
                  tf.debugging.is_strictly_increasing([1.0, 2.0, 4.0])]
        with tf.Session() as sess:
            assert sess.run(checks) == [True, False, True, False, True]
        with pytest.raises(TypeError, match="Expected x to be numeric"):
            tf.is_non_decreasing([True, False])


def test_tf1_compat_switches_report_what_symgrad_does():
    assert tf.resource_variables_enabled() is True
    assert tf.control_flow_v2_enabled() is False
    assert tf.executing_eagerly_outside_functions() is False
    for switch in (tf.enable_resource_variables, tf.disable_resource_variables,
                   tf.enable_control_flow_v2, tf.disable_control_flow_v2,
                   tf.enable_tensor_equality, tf.disable_tensor_equality):
        switch()
    assert tf.resource_variables_enabled() and not tf.control_flow_v2_enabled()
    with tf.Graph().as_default():
        a, b = tf.constant(1), tf.constant(1)
        # Graph tensors compare by identity and hash by id, as TF's graph tensors.
        assert a != b and a == a and {a: 1}[a] == 1
    assert tf.debugging.is_traceback_filtering_enabled()
    tf.debugging.disable_traceback_filtering()
    assert not tf.debugging.is_traceback_filtering_enabled()
    tf.debugging.enable_traceback_filtering()
    assert tf.io.PaddingFIFOQueue is tf.PaddingFIFOQueue and tf.io.QueueBase is tf.QueueBase
    assert tf.io.write_graph is tf.train.write_graph
    assert tf.io.match_filenames_once is tf.train.match_filenames_once
