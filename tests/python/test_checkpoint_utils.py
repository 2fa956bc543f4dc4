"""train.list_variables / load_variable / load_checkpoint / NewCheckpointReader /
init_from_checkpoint on symgrad checkpoints, with TF 2.21's results and messages."""

from __future__ import annotations

import os

import numpy as np
import pytest

import symgrad as tf


@pytest.fixture
def checkpoint(tmp_path):
    with tf.Graph().as_default():
        with tf.variable_scope("old"):
            a = tf.get_variable("a", [2, 3], initializer=tf.ones_initializer())
            tf.get_variable("b", [], dtype=tf.int64, initializer=tf.zeros_initializer())
        tf.get_variable("c", [2], initializer=tf.constant_initializer(7.0))
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(a.assign(a * 3.0))
            path = saver.save(s, os.path.join(str(tmp_path), "model"), global_step=3)
    return str(tmp_path), path


def test_listing_and_loading(checkpoint):
    directory, path = checkpoint
    expected = [("c", [2]), ("old/a", [2, 3]), ("old/b", [])]
    assert tf.train.list_variables(directory) == expected
    assert tf.train.list_variables(path) == expected
    np.testing.assert_array_equal(tf.train.load_variable(directory, "old/a"), np.full((2, 3), 3.0))
    np.testing.assert_array_equal(tf.train.load_variable(directory, "c:0"), [7.0, 7.0])
    reader = tf.train.load_checkpoint(directory)
    assert type(reader).__name__ == "CheckpointReader"
    assert reader.get_variable_to_shape_map() == dict(expected)
    assert {k: v.name for k, v in reader.get_variable_to_dtype_map().items()} == \
        {"c": "float32", "old/a": "float32", "old/b": "int64"}
    assert (reader.has_tensor("c"), reader.has_tensor("zz")) == (True, False)
    assert reader.get_tensor("old/b").dtype == np.int64
    assert isinstance(tf.train.NewCheckpointReader(path), tf.train.CheckpointReader)


def test_reading_errors_as_tf(checkpoint, tmp_path_factory):
    directory, path = checkpoint
    with pytest.raises(tf.errors.NotFoundError) as info:
        tf.train.load_variable(directory, "nope")
    assert str(info.value) == "Key nope not found in checkpoint"
    empty = str(tmp_path_factory.mktemp("empty"))
    with pytest.raises(ValueError) as info:
        tf.train.list_variables(empty)
    assert str(info.value) == \
        f"Couldn't find 'checkpoint' file or checkpoints in given directory {empty}"
    missing = os.path.join(directory, "zz")
    with pytest.raises(tf.errors.NotFoundError) as info:
        tf.train.NewCheckpointReader(missing)
    assert str(info.value) == ("Unsuccessful TensorSliceReader constructor: Failed to find "
                               f"any matching files for {missing}")


def test_init_from_checkpoint_by_scope_and_by_variable(checkpoint):
    directory, _ = checkpoint
    with tf.Graph().as_default():
        with tf.variable_scope("new"):
            a = tf.get_variable("a", [2, 3])
            b = tf.get_variable("b", [], dtype=tf.int64)
        c2 = tf.get_variable("c2", [2])
        other = tf.get_variable("other", [1], initializer=tf.constant_initializer(5.0))
        tf.train.init_from_checkpoint(directory, {"old/": "new/", "c": c2})
        assert a.initializer.type == "AssignVariableOp"
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            got = s.run([a, b, c2, other])
    np.testing.assert_array_equal(got[0], np.full((2, 3), 3.0))
    assert got[1] == 0 and got[1].dtype == np.int64
    np.testing.assert_array_equal(got[2], [7.0, 7.0])
    np.testing.assert_array_equal(got[3], [5.0])


def test_init_from_checkpoint_by_name_and_root(checkpoint):
    directory, _ = checkpoint
    with tf.Graph().as_default():
        x = tf.get_variable("x", [2])
        with tf.variable_scope("s2"):
            y = tf.get_variable("a", [2, 3])
        tf.train.init_from_checkpoint(directory, {"c": "x", "old/": "s2/"})
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(s.run(x), [7.0, 7.0])
            np.testing.assert_array_equal(s.run(y), np.full((2, 3), 3.0))


@pytest.mark.parametrize("assignment,message", [
    ({"nope": "x"}, "Tensor nope is not found in {d} checkpoint "),
    ({"c": "nope"}, "Assignment map with scope only name  should map to scope only c. "
                    "Should be 'scope/': 'other_scope/'."),
    ({"old/a": "x"}, "Shape of variable x:0 ((2,)) doesn't match with shape of tensor old/a "
                     "([2, 3]) from checkpoint reader."),
    ({"/": "s2/"}, "Tensor a (a in /) is not found in {d} checkpoint"),
])
def test_init_from_checkpoint_errors_as_tf(checkpoint, assignment, message):
    directory, _ = checkpoint
    with tf.Graph().as_default():
        tf.get_variable("x", [2])
        with tf.variable_scope("s2"):
            tf.get_variable("a", [2, 3])
        with pytest.raises(ValueError) as info:
            tf.train.init_from_checkpoint(directory, assignment)
    assert str(info.value).startswith(message.format(d=directory))


def test_checkpoint_state_helpers_as_tf(tmp_path):
    d = str(tmp_path)
    state = tf.train.generate_checkpoint_state_proto(d, os.path.join(d, "m-3"),
                                                     [os.path.join(d, "m-1")])
    assert state.model_checkpoint_path == os.path.join(d, "m-3")
    assert state.all_model_checkpoint_paths == [os.path.join(d, "m-1"), os.path.join(d, "m-3")]
    relative = tf.train.generate_checkpoint_state_proto("rel", "rel/m-3", ["rel/m-1"])
    assert (relative.model_checkpoint_path, relative.all_model_checkpoint_paths) == \
        ("m-3", ["m-1", "m-3"])
    with pytest.raises(ValueError, match=r"^Checkpoint timestamps, if provided, must match "
                                         r"checkpoint paths \(got paths \['b', 'a'\] and "
                                         r"timestamps \[1.0\]\)$"):
        tf.train.generate_checkpoint_state_proto(d, "a", ["b"],
                                                 all_model_checkpoint_timestamps=[1.0])
    tf.train.update_checkpoint_state(d, os.path.join(d, "m-3"), [os.path.join(d, "m-1")])
    with open(os.path.join(d, "checkpoint")) as f:
        assert f.read().splitlines() == [
            f'model_checkpoint_path: "{d}/m-3"', f'all_model_checkpoint_paths: "{d}/m-1"',
            f'all_model_checkpoint_paths: "{d}/m-3"']
    assert tf.train.get_checkpoint_state(d).model_checkpoint_path == os.path.join(d, "m-3")
    assert tf.train.get_checkpoint_mtimes([os.path.join(d, "nope")]) == []


def test_mtimes_remove_and_iterate(checkpoint):
    directory, path = checkpoint
    (mtime,) = tf.train.get_checkpoint_mtimes([path, path + "-missing"])
    assert mtime == pytest.approx(os.stat(path + ".npz").st_mtime, abs=1e-3)
    assert list(tf.train.checkpoints_iterator(directory, timeout=0.1)) == [path]
    calls = []
    found = list(tf.train.checkpoints_iterator(directory, timeout=0.1,
                                               timeout_fn=lambda: calls.append(1) or True))
    assert found == [path] and calls
    tf.train.remove_checkpoint(path)
    assert not tf.train.checkpoint_exists(path)
    tf.train.remove_checkpoint(path)
    assert list(tf.train.checkpoints_iterator(directory, timeout=0.1)) == []


def test_assert_global_step_as_tf():
    with tf.Graph().as_default():
        tf.train.assert_global_step(tf.Variable(1))
        tf.train.assert_global_step(tf.placeholder(tf.int64, [None]))
        with pytest.raises(TypeError) as info:
            tf.train.assert_global_step(tf.Variable(1.0))
        assert str(info.value) == \
            "Existing \"global_step\" does not have integer type: <dtype: 'float32'>"
        with pytest.raises(TypeError) as info:
            tf.train.assert_global_step(tf.Variable([1, 2]))
        assert str(info.value) == 'Existing "global_step" is not scalar: (2,)'
        with pytest.raises(TypeError) as info:
            tf.train.assert_global_step(3)
        assert str(info.value) == 'Existing "global_step" must be a Variable or Tensor: 3.'
