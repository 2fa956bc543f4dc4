"""Saver: save/restore round trips, resuming training, checkpoint state, clear errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

import symgrad as tf


def _model(seed=0):
    """A small regression model trained with Adam (slots and beta powers are saved too)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.25
    xs = tf.placeholder(tf.float64, [None, 3])
    ys = tf.placeholder(tf.float64, [None, 1])
    w = tf.Variable(np.full((3, 1), 0.1), name="w")
    b = tf.Variable(np.zeros(1), name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(xs, w) + b - ys))
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=step)
    return {xs: X, ys: Y}, loss, train, w, b, step


def test_save_restore_continue_equals_uninterrupted(tmp_path):
    g1 = tf.Graph()
    with g1.as_default():
        feed, loss, train, w, b, step = _model()
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            for _ in range(10):
                s.run(train, feed)
            path = saver.save(s, str(tmp_path / "model.ckpt"), global_step=step)
            for _ in range(10):
                s.run(train, feed)
            expected = s.run([w, b, loss], feed)
    assert path == str(tmp_path / "model.ckpt-10")
    assert os.path.isfile(path + ".npz")
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == path
    assert state.all_model_checkpoint_paths == [path]

    g2 = tf.Graph()
    with g2.as_default():
        feed, loss, train, w, b, step = _model()
        saver = tf.train.Saver()
        with tf.Session() as s:
            saver.restore(s, tf.train.latest_checkpoint(str(tmp_path)))
            assert s.run(step) == 10
            for _ in range(10):
                s.run(train, feed)
            got = s.run([w, b, loss], feed)
            assert s.run(step) == 20
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-12)


def test_save_without_step_and_max_to_keep(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        inc = v.assign_add([1.0, 1.0])
        saver = tf.train.Saver(max_to_keep=2)
        with tf.Session() as s:
            s.run(v.initializer)
            # Not recorded (write_state=False), so max_to_keep never deletes it.
            assert saver.save(s, str(tmp_path / "plain"), write_state=False) == str(
                tmp_path / "plain")
            paths = []
            for i in range(3):
                s.run(inc)
                paths.append(saver.save(s, str(tmp_path / "m"), global_step=i))
        assert not os.path.exists(paths[0] + ".npz")
        assert saver.last_checkpoints == paths[1:]
        data = np.load(paths[2] + ".npz")
        np.testing.assert_array_equal(data["v"], [4.0, 5.0])
        with tf.Session() as s:
            saver.restore(s, str(tmp_path / "plain"))
            np.testing.assert_array_equal(s.run(v), [1.0, 2.0])


def test_var_list_dict_names(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(3.0, name="v")
        saver = tf.train.Saver({"renamed": v})
        with tf.Session() as s:
            s.run(v.initializer)
            path = saver.save(s, str(tmp_path / "c"))
        assert list(np.load(path + ".npz").files) == ["renamed"]


def test_restore_errors(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver([v])
        with tf.Session() as s:
            s.run(v.initializer)
            path = saver.save(s, str(tmp_path / "c"))
    with tf.Graph().as_default():
        w = tf.Variable([1.0, 2.0], name="w")
        saver = tf.train.Saver()
        with tf.Session() as s:
            with pytest.raises(tf.errors.NotFoundError, match="Key w not found"):
                saver.restore(s, path)
            with pytest.raises(ValueError, match="not a valid checkpoint"):
                saver.restore(s, str(tmp_path / "missing"))
            with pytest.raises(ValueError, match="None"):
                saver.restore(s, None)
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0, 3.0], name="v")
        saver = tf.train.Saver()
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
                saver.restore(s, path)
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v", dtype=tf.float64)
        saver = tf.train.Saver()
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError, match="dtype"):
                saver.restore(s, path)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        saver = tf.train.Saver()
        with tf.Session() as s:
            with pytest.raises(tf.errors.DataLossError):
                saver.restore(s, str(tmp_path / "bad"))


def test_saver_construction_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            tf.train.Saver()
        with pytest.raises(TypeError):
            tf.train.Saver([tf.constant(1.0)])
    assert tf.train.latest_checkpoint("/nonexistent-dir") is None
    assert tf.train.get_checkpoint_state("/nonexistent-dir") is None


def test_failed_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="v")
        inc = v.assign_add(1.0)
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(v.initializer)
            path = saver.save(s, str(tmp_path / "c"))
            s.run(inc)

            def broken(f, **arrays):
                f.write(b"partial")
                raise OSError("disk full")

            monkeypatch.setattr(np, "savez", broken)
            with pytest.raises(OSError, match="disk full"):
                saver.save(s, str(tmp_path / "c"))
            monkeypatch.undo()
        assert float(np.load(path + ".npz")["v"]) == 1.0
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []
