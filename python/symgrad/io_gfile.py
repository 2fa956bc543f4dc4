"""``tf.io.gfile``: file access on the local filesystem with TF's classes, modes and errors.

TF routes these through its filesystem registry (``gs://``, ``hdfs://``...); symgrad has only
local files, and a path with a scheme other than ``file://`` raises ``UnimplementedError``.
Failures raise TF's error classes with its messages (``NotFoundError`` for a missing file,
``AlreadyExistsError`` for a copy or rename onto an existing file without ``overwrite``...).
"""

from __future__ import annotations

import errno
import glob as _glob
import os
import shutil
from typing import Any, Iterator, NamedTuple, Optional, Union

from . import errors

__all__ = ["GFile", "exists", "makedirs", "mkdir", "listdir", "glob", "remove", "rmtree",
           "isdir", "copy", "rename", "walk", "stat", "join", "get_registered_schemes"]

_MODES = ("r", "w", "a", "rb", "wb", "ab", "r+", "w+", "a+", "r+b", "w+b", "a+b")


def _local(path: Any) -> str:
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = path.decode("utf-8")
    if path.startswith("file://"):
        return path[len("file://"):]
    if "://" in path:
        scheme = path.split("://", 1)[0]
        raise errors.UnimplementedError(None, None,
                                        f"File system scheme '{scheme}' not implemented "
                                        f"(file: '{path}')")
    return path


def _os_error(path: str, exc: OSError) -> errors.OpError:
    """TF's error for a failed system call on ``path``: ``<path>; <strerror>``."""
    message = f"{path}; {exc.strerror or os.strerror(exc.errno or 0)}"
    if exc.errno == errno.ENOENT:
        return errors.NotFoundError(None, None, message)
    if exc.errno == errno.EEXIST:
        return errors.AlreadyExistsError(None, None, message)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return errors.PermissionDeniedError(None, None, message)
    if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.ENOTEMPTY):
        return errors.FailedPreconditionError(None, None, message)
    return errors.UnknownError(None, None, message)


class GFile:
    """A file with TF's interface: opened lazily, text (``str``) unless the mode has ``b``;
    ``read``, ``readline``, ``readlines``, iteration, ``write``, ``seek``, ``tell``,
    ``size``, ``flush``, ``close``, and use as a context manager."""

    def __init__(self, name: Any, mode: str = "r") -> None:
        self.__name = _local(name)
        self.__mode = mode
        self._file: Any = None
        if mode not in _MODES:
            raise errors.InvalidArgumentError(
                None, None, "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'")
        self._read_check_passed = mode not in ("w", "a", "wb", "ab")
        self._write_check_passed = mode != "r" and mode != "rb"
        self._binary = "b" in mode

    @property
    def name(self) -> str:
        return self.__name

    @property
    def mode(self) -> str:
        return self.__mode

    def _open(self) -> Any:
        if self._file is None:
            try:
                self._file = open(self.__name, self.__mode.replace("b", "") + "b")
            except OSError as exc:
                raise _os_error(self.__name, exc) from None
        return self._file

    def _for_reading(self) -> Any:
        if not self._read_check_passed:
            raise errors.PermissionDeniedError(None, None, "File isn't open for reading")
        return self._open()

    def _for_writing(self) -> Any:
        if not self._write_check_passed:
            raise errors.PermissionDeniedError(None, None, "File isn't open for writing")
        return self._open()

    def _out(self, data: bytes) -> Union[str, bytes]:
        return data if self._binary else data.decode("utf-8")

    def size(self) -> int:
        return stat(self.__name).length

    def write(self, file_content: Any) -> None:
        writer = self._for_writing()
        if isinstance(file_content, str):
            data = file_content.encode("utf-8")
        elif isinstance(file_content, (bytes, bytearray, memoryview)):
            data = bytes(file_content)
        else:
            raise TypeError(f"Expected binary or unicode string, got {file_content!r}")
        writer.write(data)

    def read(self, n: int = -1) -> Union[str, bytes]:
        return self._out(self._for_reading().read(n if n is not None else -1))

    def readline(self) -> Union[str, bytes]:
        return self._out(self._for_reading().readline())

    def readlines(self) -> list[Union[str, bytes]]:
        return [self._out(line) for line in self._for_reading().readlines()]

    def __iter__(self) -> Iterator[Union[str, bytes]]:
        return self

    def __next__(self) -> Union[str, bytes]:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    next = __next__

    def seek(self, offset: Optional[int] = None, whence: int = 0,
             position: Optional[int] = None) -> None:
        if position is not None:
            offset = position
        self._open().seek(offset or 0, whence)

    def tell(self) -> int:
        return int(self._open().tell())

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

    def __exit__(self, *args: Any) -> None:
        self.close()


class StatResult(NamedTuple):
    """TF's ``FileStatistics``: ``length``, ``mtime_nsec``, ``is_directory``."""

    length: int
    mtime_nsec: int
    is_directory: bool


def exists(path: Any) -> bool:
    return os.path.exists(_local(path))


def isdir(path: Any) -> bool:
    return os.path.isdir(_local(path))


def makedirs(path: Any) -> None:
    """Creates the directory and its parents; an existing directory is fine."""
    local = _local(path)
    try:
        os.makedirs(local, exist_ok=True)
    except OSError as exc:
        raise _os_error(local, exc) from None


def mkdir(path: Any) -> None:
    """Creates one directory (its parent must exist); an existing one is fine, as in TF."""
    local = _local(path)
    if os.path.isdir(local):
        return
    try:
        os.mkdir(local)
    except OSError as exc:
        raise _os_error(local, exc) from None


def listdir(path: Any) -> list[str]:
    """The entries of a directory (no ``.`` or ``..``), in no particular order."""
    local = _local(path)
    if not os.path.isdir(local):
        raise errors.NotFoundError(None, None, f"Could not find directory {local}")
    return os.listdir(local)


def glob(pattern: Any) -> list[str]:
    if isinstance(pattern, (list, tuple)):
        found: list[str] = []
        for p in pattern:
            found.extend(_glob.glob(_local(p)))
        return found
    return _glob.glob(_local(pattern))


def remove(path: Any) -> None:
    local = _local(path)
    try:
        os.remove(local)
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{local}; Is a directory") from None
    except OSError as exc:
        raise _os_error(local, exc) from None


def rmtree(path: Any) -> None:
    local = _local(path)
    if not os.path.exists(local):
        raise errors.NotFoundError(None, None, f"{local} not found")
    try:
        if os.path.isdir(local):
            shutil.rmtree(local)
        else:
            os.remove(local)
    except OSError as exc:
        raise _os_error(local, exc) from None


def _transfer(move: Any, src: Any, dst: Any, overwrite: bool) -> None:
    source, target = _local(src), _local(dst)
    if not overwrite and os.path.exists(target):
        raise errors.AlreadyExistsError(None, None, "file already exists")
    try:
        move(source, target)
    except OSError as exc:
        raise _os_error(source, exc) from None


def copy(src: Any, dst: Any, overwrite: bool = False) -> None:
    _transfer(shutil.copyfile, src, dst, overwrite)


def rename(src: Any, dst: Any, overwrite: bool = False) -> None:
    _transfer(os.replace, src, dst, overwrite)


def stat(path: Any) -> StatResult:
    local = _local(path)
    try:
        result = os.stat(local)
    except OSError as exc:
        raise _os_error(local, exc) from None
    return StatResult(int(result.st_size), int(result.st_mtime_ns),
                      os.path.isdir(local))


def walk(top: Any, topdown: bool = True, onerror: Any = None
         ) -> Iterator[tuple[str, list[str], list[str]]]:
    """``(directory, subdirectories, files)`` for ``top`` and every directory below it,
    parents first (``topdown``; a caller may prune the subdirectory list) or last; nothing
    for a missing ``top``."""
    pending = [_local(top)]
    visited: list[tuple[str, list[str], list[str]]] = []
    while pending:
        directory = pending.pop()
        try:
            entries = listdir(directory)
        except errors.NotFoundError as exc:
            if onerror:
                onerror(exc)
            continue
        dirs = [e for e in entries if os.path.isdir(os.path.join(directory, e))]
        files = [e for e in entries if e not in dirs]
        if topdown:
            yield directory, dirs, files
        else:
            visited.append((directory, dirs, files))
        pending.extend(os.path.join(directory, d) for d in reversed(dirs))
    # Reversed pre-order puts every directory after all of its descendants.
    yield from reversed(visited)


def join(path: Any, *paths: Any) -> str:
    return os.path.join(_local(path), *[os.fspath(p) for p in paths])


def get_registered_schemes() -> list[str]:
    return ["file"]
