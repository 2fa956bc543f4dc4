"""tf.gfile and tf.io.gfile: behaviour and errors as TensorFlow 2.21's (checked there)."""

from __future__ import annotations

import pytest

import symgrad as tf

gfile = tf.gfile


def test_directories_and_files(tmp_path):
    root = str(tmp_path / "g")
    assert not gfile.Exists(root)
    gfile.MakeDirs(f"{root}/a/b")
    gfile.MakeDirs(f"{root}/a/b")
    gfile.MkDir(f"{root}/a")  # an existing directory is no error, as TF
    with pytest.raises(tf.errors.NotFoundError) as e:
        gfile.MkDir(f"{root}/x/y")
    assert e.value.message == f"{root}/x/y; No such file or directory"
    with gfile.GFile(f"{root}/a/f.txt", "w") as f:
        f.write("hello\nworld\n")
    assert gfile.GFile(f"{root}/a/f.txt").read() == "hello\nworld\n"
    assert gfile.GFile(f"{root}/a/f.txt", "rb").read() == b"hello\nworld\n"
    assert list(gfile.GFile(f"{root}/a/f.txt")) == ["hello\n", "world\n"]
    assert gfile.Open(f"{root}/a/f.txt").readlines() == ["hello\n", "world\n"]
    assert gfile.FastGFile(f"{root}/a/f.txt").size() == 12
    assert gfile.ListDirectory(f"{root}/a") == ["b", "f.txt"]
    assert gfile.Glob(f"{root}/a/*.txt") == [f"{root}/a/f.txt"]
    assert gfile.IsDirectory(f"{root}/a") and not gfile.IsDirectory(f"{root}/a/f.txt")
    gfile.Copy(f"{root}/a/f.txt", f"{root}/a/g.txt")
    with pytest.raises(tf.errors.AlreadyExistsError, match="file already exists"):
        gfile.Copy(f"{root}/a/f.txt", f"{root}/a/g.txt")
    gfile.Copy(f"{root}/a/f.txt", f"{root}/a/g.txt", overwrite=True)
    gfile.Rename(f"{root}/a/g.txt", f"{root}/a/h.txt")
    with pytest.raises(tf.errors.AlreadyExistsError, match="file already exists"):
        gfile.Rename(f"{root}/a/f.txt", f"{root}/a/h.txt")
    assert list(gfile.Walk(root)) == [(root, ["a"], []), (f"{root}/a", ["b"], ["f.txt", "h.txt"]),
                                      (f"{root}/a/b", [], [])]
    assert list(gfile.Walk(root, in_order=False)) == [
        (f"{root}/a/b", [], []), (f"{root}/a", ["b"], ["f.txt", "h.txt"]), (root, ["a"], [])]
    assert list(gfile.Walk(f"{root}/nope")) == []
    stat = gfile.Stat(f"{root}/a/h.txt")
    assert stat.length == 12 and not stat.is_directory and stat.mtime_nsec > 0
    gfile.Remove(f"{root}/a/h.txt")
    with pytest.raises(tf.errors.NotFoundError) as e:
        gfile.Remove(f"{root}/a/h.txt")
    assert e.value.message == f"{root}/a/h.txt; No such file or directory"
    gfile.DeleteRecursively(f"{root}/a")
    with pytest.raises(tf.errors.NotFoundError) as e:
        gfile.DeleteRecursively(f"{root}/a")
    assert e.value.message == f"{root}/a not found"


def test_missing_files_and_modes(tmp_path):
    missing = str(tmp_path / "missing.txt")
    reader = gfile.GFile(missing)  # opened at the first read, as TF
    with pytest.raises(tf.errors.NotFoundError) as e:
        reader.read()
    assert e.value.message == f"{missing}; No such file or directory"
    with pytest.raises(tf.errors.NotFoundError) as e:
        gfile.ListDirectory(str(tmp_path / "nope"))
    assert e.value.message == f"Could not find directory {tmp_path / 'nope'}"
    with pytest.raises(tf.errors.NotFoundError):
        gfile.Stat(str(tmp_path / "nope"))
    path = str(tmp_path / "x.txt")
    gfile.GFile(path, "a").write(b"bytes")
    with pytest.raises(TypeError, match="Expected binary or unicode string, got 5"):
        gfile.GFile(path, "w").write(5)
    with pytest.raises(tf.errors.PermissionDeniedError, match="File isn't open for writing"):
        gfile.GFile(path, "r").write("x")
    with pytest.raises(tf.errors.InvalidArgumentError, match="mode is not 'r' or 'w'"):
        gfile.GFile(path, "z")
    f = gfile.GFile(path, "w")
    f.write("abc")
    f.flush()
    assert f.tell() == 3
    f.close()
    f = gfile.GFile(path)
    assert f.read(1) == "a" and f.tell() == 1
    f.seek(0)
    assert f.readline() == "abc" and f.name == path and f.mode == "r"
    f.close()


def test_io_gfile_names(tmp_path):
    io_gfile = tf.io.gfile
    root = str(tmp_path / "d")
    io_gfile.makedirs(root)
    with io_gfile.GFile(io_gfile.join(root, "a.txt"), "w") as f:
        f.write("1")
    assert io_gfile.exists(root) and io_gfile.isdir(root)
    assert io_gfile.listdir(root) == ["a.txt"]
    assert io_gfile.glob(f"{root}/*") == [f"{root}/a.txt"]
    io_gfile.copy(f"{root}/a.txt", f"{root}/b.txt")
    io_gfile.rename(f"{root}/b.txt", f"{root}/c.txt", overwrite=True)
    assert io_gfile.stat(f"{root}/c.txt").length == 1
    # In the directory's own order, as TF (readdir's, not sorted).
    assert [sorted(w[2]) for w in io_gfile.walk(root)] == [["a.txt", "c.txt"]]
    io_gfile.remove(f"{root}/c.txt")
    io_gfile.mkdir(f"{root}/sub")
    io_gfile.rmtree(root)
    assert not io_gfile.exists(root)
