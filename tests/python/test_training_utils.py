"""make_template, orthogonal_initializer, gfile / io.gfile, py_function and the v2-behaviour
switches, against TF 2.21's names, messages and error classes."""

from __future__ import annotations

import os

import numpy as np
import pytest

import symgrad as tf


def _scaled(x, scale):
    w = tf.get_variable("w", [2], initializer=tf.ones_initializer())
    return tf.multiply(x, w * scale, name="out")


def test_make_template_shares_variables_with_tf_names():
    with tf.Graph().as_default():
        t = tf.make_template("my_tmpl", _scaled, scale=2.0)
        assert t.variable_scope is None and t.variable_scope_name is None
        a = t(tf.constant([1.0, 2.0]))
        b = t(tf.constant([3.0, 4.0]))
        assert (a.name, b.name) == ("my_tmpl/out:0", "my_tmpl_1/out:0")
        assert [v.name for v in tf.global_variables()] == ["my_tmpl/w:0"]
        assert (t.name, t.variable_scope.name, t.variable_scope_name) == \
            ("my_tmpl", "my_tmpl", "my_tmpl/")
        assert [v.name for v in t.trainable_variables] == ["my_tmpl/w:0"]
        assert [v.name for v in t.variables] == ["my_tmpl/w:0"]
        assert t.non_trainable_variables == []
        t2 = tf.make_template("my_tmpl", _scaled, create_scope_now_=True, scale=1.0)
        c = t2(tf.constant([1.0, 1.0]))
        assert c.name == "my_tmpl_1_1/out:0"
        assert [v.name for v in tf.global_variables()] == ["my_tmpl/w:0", "my_tmpl_1/w:0"]
        t3 = tf.make_template("tt", _scaled, scale=1.0)
        d = t3(tf.constant([1.0, 1.0]))
        with tf.variable_scope("other"):
            e = t3(tf.constant([1.0, 1.0]))
        assert (d.name, e.name) == ("tt/out:0", "other/tt/out:0")
        assert len(tf.global_variables()) == 3
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(s.run([a, b]), [[2.0, 4.0], [6.0, 8.0]])


def test_make_template_refuses_new_trainable_variables_after_the_first_call():
    with tf.Graph().as_default():
        t = tf.make_template("bad", lambda x: x * tf.Variable(1.0, name="v"))
        t(1.0)
        with pytest.raises(ValueError, match="^Trainable variable created when calling a "
                                             "template after the first time, perhaps you "
                                             "used tf.Variable when you meant "
                                             "tf.get_variable: "):
            t(1.0)


@pytest.mark.parametrize("shape,dtype", [([3, 5], tf.float32), ([5, 3], tf.float64),
                                         ([2, 3, 4], tf.float64), ([4, 4], tf.float32)])
def test_orthogonal_initializer_gives_orthonormal_rows_or_columns(shape, dtype):
    with tf.Graph().as_default():
        init = tf.orthogonal_initializer(gain=2.0, seed=1)
        q = init(shape, dtype=dtype)
        assert q.name == "mul_1:0"  # as TF: q * sign(d), then gain * q
        assert q.dtype == dtype and q.shape.as_list() == shape
        v = tf.get_variable("v", shape, dtype=dtype, initializer=tf.initializers.orthogonal())
        with tf.Session() as s:
            s.run(v.initializer)
            got, unit = s.run([q, v])
    m = got.reshape(-1, shape[-1])
    small = m @ m.T if m.shape[0] < m.shape[1] else m.T @ m
    tol = 1e-5 if dtype == tf.float32 else 1e-12
    np.testing.assert_allclose(small, 4.0 * np.eye(small.shape[0]), atol=tol * 10)
    u = unit.reshape(-1, shape[-1])
    small = u @ u.T if u.shape[0] < u.shape[1] else u.T @ u
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=tol * 10)


def test_orthogonal_initializer_errors_as_tf():
    with pytest.raises(ValueError) as info:
        tf.orthogonal_initializer()([3])
    assert str(info.value) == ("The tensor to initialize, specified by argument `shape` must "
                               "be at least two-dimensional. Received shape=[3]")
    with pytest.raises(ValueError) as info:
        tf.orthogonal_initializer(dtype=tf.int32)
    assert str(info.value) == ("Argument `dtype` is expected to be floating point. Received: "
                               "<dtype: 'int32'>.")


def test_gfile_files(tmp_path):
    gf = tf.gfile
    p = str(tmp_path / "a.txt")
    with gf.GFile(p, "w") as f:
        f.write("line1\nline2\n")
    with gf.GFile(p) as f:
        assert f.read() == "line1\nline2\n"
    with gf.GFile(p) as f:
        assert list(f) == ["line1\n", "line2\n"]
    with gf.Open(p) as f:
        assert (f.readline(), f.readlines()) == ("line1\n", ["line2\n"])
    with gf.GFile(p, "rb") as f:
        assert (f.read(3), f.tell(), f.size()) == (b"lin", 3, 12)
        f.seek(0)
        assert f.read(1) == b"l"
    with gf.FastGFile(p, "a") as f:
        f.write(b"x")
    assert gf.Stat(p).length == 13 and not gf.Stat(p).is_directory
    assert isinstance(gf.Stat(p).mtime_nsec, int)
    assert (gf.Exists(p), gf.Exists(p + "zz")) == (True, False)
    assert tf.io.gfile.exists(p) and tf.io.gfile.isdir(str(tmp_path))


def _raises(cls, message, fn, *args, **kwargs):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    assert str(info.value) == message


def test_gfile_errors_as_tf(tmp_path):
    gf, d = tf.gfile, str(tmp_path)
    p = os.path.join(d, "a.txt")
    with gf.GFile(p, "w") as f:
        f.write("abc")
    missing = os.path.join(d, "nope")
    _raises(tf.errors.NotFoundError, f"{missing}; No such file or directory",
            lambda: gf.GFile(missing).read())
    _raises(tf.errors.NotFoundError, f"Could not find directory {missing}",
            gf.ListDirectory, missing)
    _raises(tf.errors.NotFoundError, f"Could not find directory {p}", gf.ListDirectory, p)
    _raises(tf.errors.NotFoundError, f"{d}/q/r; No such file or directory", gf.MkDir,
            os.path.join(d, "q/r"))
    _raises(tf.errors.NotFoundError, f"{missing}; No such file or directory", gf.Stat,
            missing)
    _raises(tf.errors.NotFoundError, f"{missing}; No such file or directory", gf.Remove,
            missing)
    _raises(tf.errors.NotFoundError, f"{missing} not found", gf.DeleteRecursively, missing)
    _raises(tf.errors.NotFoundError, f"{missing}; No such file or directory", gf.Copy,
            missing, os.path.join(d, "c.txt"))
    _raises(tf.errors.NotFoundError, f"{missing}; No such file or directory", gf.Rename,
            missing, os.path.join(d, "c.txt"))
    gf.Copy(p, os.path.join(d, "b.txt"))
    _raises(tf.errors.AlreadyExistsError, "file already exists", gf.Copy, p,
            os.path.join(d, "b.txt"))
    _raises(tf.errors.AlreadyExistsError, "file already exists", gf.Rename,
            os.path.join(d, "b.txt"), p)
    gf.MakeDirs(os.path.join(d, "x/y"))
    _raises(tf.errors.FailedPreconditionError, f"{d}/x; Is a directory", gf.Remove,
            os.path.join(d, "x"))
    _raises(tf.errors.InvalidArgumentError,
            "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'", gf.GFile, p, "z")
    _raises(tf.errors.PermissionDeniedError, "File isn't open for reading",
            lambda: gf.GFile(p, "w").read())
    _raises(tf.errors.PermissionDeniedError, "File isn't open for writing",
            lambda: gf.GFile(p).write("x"))
    _raises(tf.errors.UnimplementedError,
            "File system scheme 'gs' not implemented (file: 'gs://bucket/x')",
            gf.Exists, "gs://bucket/x")
    # Reading refused before opening, so the file was not truncated.
    assert gf.GFile(p).read() == "abc"


def test_gfile_directories(tmp_path):
    gf, d = tf.gfile, str(tmp_path)
    gf.MakeDirs(os.path.join(d, "x/y/z"))
    gf.MakeDirs(os.path.join(d, "x/y/z"))
    gf.MkDir(os.path.join(d, "x"))
    for name in ("a.txt", "c.txt"):
        with gf.GFile(os.path.join(d, name), "w") as f:
            f.write("1")
    assert sorted(gf.ListDirectory(d)) == ["a.txt", "c.txt", "x"]
    assert sorted(os.path.basename(p) for p in gf.Glob(os.path.join(d, "*.txt"))) == \
        ["a.txt", "c.txt"]
    assert (gf.IsDirectory(d), gf.IsDirectory(os.path.join(d, "a.txt"))) == (True, False)
    walked = [(os.path.relpath(a, d), sorted(b), sorted(c)) for a, b, c in gf.Walk(d)]
    assert walked == [(".", ["x"], ["a.txt", "c.txt"]), ("x", ["y"], []),
                      ("x/y", ["z"], []), ("x/y/z", [], [])]
    assert [os.path.relpath(a, d) for a, _, _ in gf.Walk(d, in_order=False)] == \
        ["x/y/z", "x/y", "x", "."]
    assert list(gf.Walk(os.path.join(d, "nope"))) == []
    gf.Rename(os.path.join(d, "c.txt"), os.path.join(d, "a.txt"), overwrite=True)
    gf.Copy(os.path.join(d, "a.txt"), os.path.join(d, "b.txt"), overwrite=True)
    gf.Remove(os.path.join(d, "b.txt"))
    gf.DeleteRecursively(os.path.join(d, "x"))
    assert sorted(tf.io.gfile.listdir(d)) == ["a.txt"]
    assert tf.io.gfile.join(d, "a.txt") == os.path.join(d, "a.txt")
    assert [os.path.basename(a) for a, _, _ in tf.io.gfile.walk(d, topdown=False)] == \
        [os.path.basename(d)]


def test_py_function_gets_eager_tensors():
    with tf.Graph().as_default():
        x = tf.constant([1.0, 2.0])
        y = tf.py_function(lambda a: tf.square(a) + 1.0, [x], tf.float32)
        pair = tf.py_function(lambda a, b: [a * 2.0, b.numpy().sum()], [x, x],
                              [tf.float32, tf.float32], name="two")
        assert y.name == "EagerPyFunc:0"
        assert [t.name for t in pair] == ["two:0", "two:1"]
        with tf.Session() as s:
            got_y, got_pair = s.run([y, pair])
    np.testing.assert_array_equal(got_y, [2.0, 5.0])
    np.testing.assert_array_equal(got_pair[0], [2.0, 4.0])
    assert got_pair[1] == 3.0


def test_v2_behavior_switches():
    try:
        tf.compat.v1.disable_v2_behavior()
        assert not tf.executing_eagerly()
        # TF 1 shapes: the program sees Dimensions.
        assert tf.placeholder(tf.float32, [None, 3]).shape[1].value == 3
        tf.disable_eager_execution()
        assert not tf.executing_eagerly()
    finally:
        tf.enable_v2_tensorshape()
    assert tf.placeholder(tf.float32, [None, 3]).shape[1] == 3


def test_initialized_value_as_tf1():
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        with tf.name_scope("ns"):
            iv = v.initialized_value()
        assert (iv.name, iv.op.type) == ("ns/cond/Merge:0", "Merge")
        w = tf.Variable(iv * 2.0, name="w")
        with tf.Session() as s:
            # v is not initialized: its initial value, and its read is never run.
            s.run(w.initializer)
            np.testing.assert_array_equal(s.run(w), [2.0, 4.0])
            s.run(v.initializer)
            s.run(v.assign([5.0, 5.0]))
            np.testing.assert_array_equal(s.run(iv), [5.0, 5.0])


def test_moving_average_of_an_uninitialized_variable_starts_at_its_initial_value():
    with tf.Graph().as_default():
        v = tf.Variable(3.0, name="v")
        ema = tf.train.ExponentialMovingAverage(0.5)
        ema.apply([v])
        with tf.Session() as s:
            s.run(ema.average(v).initializer)
            assert s.run(ema.average(v)) == 3.0


def test_saver_def_constants_and_wire_format():
    assert (tf.train.SaverDef.LEGACY, tf.train.SaverDef.V1, tf.train.SaverDef.V2) == (0, 1, 2)
    assert tf.train.SaverDef.CheckpointFormatVersion.Name(2) == "V2"
    saver_def = tf.train.SaverDef(max_to_keep=3, version=tf.train.SaverDef.V2, sharded=True)
    # TF 2.21's serialization of the same message.
    assert saver_def.SerializeToString() == b" \x03(\x018\x02"
    assert tf.train.SaverDef.FromString(b" \x03(\x018\x02").max_to_keep == 3
    with tf.Graph().as_default():
        tf.Variable(1.0)
        tf.train.Saver(write_version=tf.train.SaverDef.V2)
