"""tf.ConfigProto and the other session/run protos: fields, defaults, protobuf's errors and text
format (strings recorded from TF 2.21), and acceptance by Session and Session.run."""

import numpy as np
import pytest

import symgrad as tf


def test_common_tf1_config_builds_and_prints_as_tf():
    config = tf.ConfigProto(allow_soft_placement=True, log_device_placement=False,
                            device_count={"GPU": 0})
    config.gpu_options.allow_growth = True
    config.gpu_options.per_process_gpu_memory_fraction = 0.4
    config.intra_op_parallelism_threads = 2
    assert str(config) == (
        'device_count {\n  key: "GPU"\n  value: 0\n}\nintra_op_parallelism_threads: 2\n'
        "gpu_options {\n  per_process_gpu_memory_fraction: 0.4\n  allow_growth: true\n}\n"
        "allow_soft_placement: true\n")
    assert config.device_count == {"GPU": 0}
    config.device_count["CPU"] = 4
    assert config.device_count == {"GPU": 0, "CPU": 4}
    assert config.gpu_options.allow_growth is True


def test_defaults_and_presence():
    config = tf.ConfigProto()
    assert config.allow_soft_placement is False
    assert config.intra_op_parallelism_threads == 0
    assert config.gpu_options.visible_device_list == ""
    assert config.gpu_options.per_process_gpu_memory_fraction == 0.0
    # Reading a sub-message does not make it present.
    assert not config.HasField("gpu_options")
    assert str(config) == ""
    assert config == tf.ConfigProto()
    config.gpu_options.allow_growth = True
    assert config.HasField("gpu_options")
    assert config != tf.ConfigProto()


def test_unknown_fields_and_bad_assignments_raise_as_protobuf():
    with pytest.raises(ValueError, match='^Protocol message ConfigProto has no "bogus" field.$'):
        tf.ConfigProto(bogus=1)
    config = tf.ConfigProto()
    with pytest.raises(AttributeError,
                       match='^Protocol message ConfigProto has no "bogus" field.$'):
        config.bogus = 1
    with pytest.raises(AttributeError, match="^bogus$"):
        _ = config.bogus
    with pytest.raises(AttributeError, match='Assignment not allowed to message field '
                                             '"gpu_options" in protocol message object.'):
        config.gpu_options = tf.GPUOptions()
    with pytest.raises(AttributeError, match='Assignment not allowed to map, or repeated field '
                                             '"device_count" in protocol message object.'):
        config.device_count = {"GPU": 1}
    with pytest.raises(TypeError, match="No positional arguments allowed"):
        tf.ConfigProto(1)
    with pytest.raises(TypeError, match="'float' object cannot be interpreted as an integer"):
        tf.ConfigProto(intra_op_parallelism_threads=1.5)
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        config.intra_op_parallelism_threads = "x"
    with pytest.raises(TypeError, match="must be dict or instance of same class"):
        tf.ConfigProto(gpu_options=5)


def test_sub_messages_from_dicts_and_instances_and_enums():
    graph_options = tf.GraphOptions(
        optimizer_options=tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0))
    assert str(graph_options) == "optimizer_options {\n  opt_level: L0\n}\n"
    config = tf.ConfigProto(graph_options=graph_options, gpu_options={"allow_growth": True})
    assert config.graph_options.optimizer_options.opt_level == -1
    assert config.gpu_options.allow_growth
    assert (tf.RunOptions.NO_TRACE, tf.RunOptions.SOFTWARE_TRACE,
            tf.RunOptions.HARDWARE_TRACE, tf.RunOptions.FULL_TRACE) == (0, 1, 2, 3)
    assert tf.RunOptions.TraceLevel["FULL_TRACE"] == 3
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    assert str(options) == "trace_level: FULL_TRACE\n"
    assert tf.RunOptions(trace_level="SOFTWARE_TRACE").trace_level == 1
    copy = tf.ConfigProto()
    copy.CopyFrom(config)
    assert copy == config and copy.graph_options is not config.graph_options
    assert [name for name, _ in copy.ListFields()] == ["gpu_options", "graph_options"]


def test_sessions_accept_configs_and_run_accepts_options_and_metadata():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
        y = x * 2.0
    config = tf.ConfigProto(allow_soft_placement=True)
    config.gpu_options.allow_growth = True
    metadata = tf.RunMetadata()
    with tf.Session(graph=g, config=config) as sess:
        out = sess.run(y, {x: [1.0, 2.5]},
                       options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                       run_metadata=metadata)
    np.testing.assert_array_equal(out, np.array([2.0, 5.0], np.float32))
    assert str(metadata) == ""
    interactive = tf.InteractiveSession(graph=g, config=config)
    interactive.close()
    with pytest.raises(TypeError, match='^Argument `config` must be a tf.ConfigProto, but got '
                                        '"dict"$'):
        tf.Session(graph=g, config={"allow_soft_placement": True})
