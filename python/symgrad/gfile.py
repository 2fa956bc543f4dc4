"""``tf.gfile`` (TF 1 names) and ``tf.io.gfile`` (TF 2 names): file access with TF's
errors, on the local file system.

``GFile`` opens its file at the first read or write, as TF's ``FileIO`` does, so a missing
file raises ``NotFoundError`` there, not when the object is made. Text modes read ``str``
(UTF-8), binary modes ``bytes``; ``write`` takes either.
"""

from __future__ import annotations

import contextlib
import glob as _glob
import os
import shutil
from typing import IO, Any, Iterator, Optional

from . import errors

__all__ = ["GFile", "FastGFile", "Open", "Exists", "MakeDirs", "MkDir", "Glob",
           "ListDirectory", "IsDirectory", "Copy", "Rename", "Remove", "DeleteRecursively",
           "Walk", "Stat", "FileStatistics"]

_MODES = ("r", "w", "a", "r+", "w+", "a+")


def _path(name: Any) -> str:
    return os.fspath(name.decode() if isinstance(name, bytes) else name)


@contextlib.contextmanager
def _os_errors(path: str) -> Iterator[None]:
    """OSErrors as TF's file-system errors."""
    try:
        yield
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except FileExistsError:
        raise errors.AlreadyExistsError(None, None, f"{path}; File exists") from None
    except PermissionError:
        raise errors.PermissionDeniedError(None, None, f"{path}; Permission denied") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None
    except NotADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Not a directory") from None
    except OSError as e:
        raise errors.UnknownError(None, None, f"{path}; {e.strerror or e}") from None


class GFile:
    """A file with TF's ``GFile`` interface: ``read``, ``readline``, ``readlines``,
    iteration, ``write``, ``seek``, ``tell``, ``size``, ``flush``, ``close``, a context
    manager."""

    def __init__(self, name: Any, mode: str = "r") -> None:
        self._name = _path(name)
        if mode.replace("b", "") not in _MODES:
            raise errors.InvalidArgumentError(
                None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._mode = mode
        self._binary = "b" in mode
        self._readable = "r" in mode or "+" in mode
        self._writable = mode.replace("b", "") != "r"
        self._file: Optional[IO[bytes]] = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def mode(self) -> str:
        return self._mode

    def _open(self) -> IO[bytes]:
        if self._file is None:
            with _os_errors(self._name):
                self._file = open(self._name, self._mode.replace("b", "") + "b")
        return self._file

    def _reader(self) -> IO[bytes]:
        if not self._readable:
            raise errors.PermissionDeniedError(None, None, "File isn't open for reading")
        return self._open()

    def _text(self, data: bytes) -> Any:
        return data if self._binary else data.decode("utf-8")

    def size(self) -> int:
        with _os_errors(self._name):
            return os.stat(self._name).st_size

    def read(self, n: int = -1) -> Any:
        return self._text(self._reader().read(-1 if n is None else n))

    def readline(self) -> Any:
        return self._text(self._reader().readline())

    def readlines(self) -> list[Any]:
        return [self._text(line) for line in self._reader().readlines()]

    def __iter__(self) -> "GFile":
        return self

    def __next__(self) -> Any:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def write(self, file_content: Any) -> None:
        if not self._writable:
            raise errors.PermissionDeniedError(None, None, "File isn't open for writing")
        if isinstance(file_content, str):
            file_content = file_content.encode("utf-8")
        elif not isinstance(file_content, (bytes, bytearray, memoryview)):
            raise TypeError(f"Expected binary or unicode string, got {file_content!r}")
        self._open().write(bytes(file_content))

    def seek(self, offset: Optional[int] = None, whence: int = 0,
             position: Optional[int] = None) -> None:
        target = position if position is not None else offset
        self._open().seek(0 if target is None else target, whence)

    def tell(self) -> int:
        return self._open().tell()

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "GFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FastGFile(GFile):
    """TF 1's ``FastGFile``: the same as ``GFile``."""


Open = GFile


def Exists(filename: Any) -> bool:  # noqa: N802 - TF 1's names
    return os.path.exists(_path(filename))


def IsDirectory(dirname: Any) -> bool:  # noqa: N802
    return os.path.isdir(_path(dirname))


def MakeDirs(dirname: Any) -> None:  # noqa: N802
    """Makes ``dirname`` and its missing parents; nothing if it exists."""
    path = _path(dirname)
    with _os_errors(path):
        os.makedirs(path, exist_ok=True)


def MkDir(dirname: Any) -> None:  # noqa: N802
    """Makes ``dirname`` (its parent must exist); nothing if it exists, as TF."""
    path = _path(dirname)
    if os.path.isdir(path):
        return
    with _os_errors(path):
        os.mkdir(path)


def Glob(filename: Any) -> list[str]:  # noqa: N802
    """The sorted paths matching a glob pattern (or any of a list of them)."""
    patterns = filename if isinstance(filename, (list, tuple)) else [filename]
    return sorted({m for p in patterns for m in _glob.glob(_path(p))})


def ListDirectory(dirname: Any) -> list[str]:  # noqa: N802
    """The names in ``dirname`` (not recursive), sorted."""
    path = _path(dirname)
    if not os.path.isdir(path):
        raise errors.NotFoundError(None, None, f"Could not find directory {path}")
    with _os_errors(path):
        return sorted(os.listdir(path))


def _check_target(newpath: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(newpath):
        raise errors.AlreadyExistsError(None, None, "file already exists")


def Copy(oldpath: Any, newpath: Any, overwrite: bool = False) -> None:  # noqa: N802
    old, new = _path(oldpath), _path(newpath)
    _check_target(new, overwrite)
    with _os_errors(old):
        shutil.copyfile(old, new)


def Rename(oldname: Any, newname: Any, overwrite: bool = False) -> None:  # noqa: N802
    old, new = _path(oldname), _path(newname)
    _check_target(new, overwrite)
    with _os_errors(old):
        os.replace(old, new)


def Remove(filename: Any) -> None:  # noqa: N802
    path = _path(filename)
    with _os_errors(path):
        os.remove(path)


def DeleteRecursively(dirname: Any) -> None:  # noqa: N802
    path = _path(dirname)
    if not os.path.exists(path):
        raise errors.NotFoundError(None, None, f"{path} not found")
    with _os_errors(path):
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def Walk(top: Any, in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:  # noqa: N802
    """``(dirname, subdirectories, files)`` for ``top`` and every directory below it, names
    sorted; parents first with ``in_order``, else children first. Nothing for a missing
    ``top``."""
    root = _path(top)
    if not os.path.isdir(root):
        return
    # Depth first without recursion: (directory, its listing once made).
    stack: list[tuple[str, Optional[tuple[list[str], list[str]]]]] = [(root, None)]
    while stack:
        here, listing = stack.pop()
        if listing is not None:
            yield here, listing[0], listing[1]
            continue
        names = sorted(os.listdir(here))
        subdirs = [n for n in names if os.path.isdir(os.path.join(here, n))]
        files = [n for n in names if n not in subdirs]
        if in_order:
            yield here, subdirs, files
        else:
            stack.append((here, (subdirs, files)))
        stack.extend((os.path.join(here, d), None) for d in reversed(subdirs))


class FileStatistics:
    """What ``Stat`` returns: ``length`` in bytes, ``mtime_nsec`` and ``is_directory``."""

    def __init__(self, length: int, mtime_nsec: int, is_directory: bool) -> None:
        self.length, self.mtime_nsec, self.is_directory = length, mtime_nsec, is_directory


def Stat(filename: Any) -> FileStatistics:  # noqa: N802
    path = _path(filename)
    with _os_errors(path):
        info = os.stat(path)
    return FileStatistics(info.st_size, info.st_mtime_ns, os.path.isdir(path))
