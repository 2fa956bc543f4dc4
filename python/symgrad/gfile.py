"""``tf.compat.v1.gfile``: TF 1's names (and argument names) for the ``tf.io.gfile``
functions."""

from __future__ import annotations

from typing import Any, Iterator

from . import io_gfile as _io
from .io_gfile import GFile

__all__ = ["GFile", "Open", "FastGFile", "Exists", "MakeDirs", "MkDir", "ListDirectory",
           "Glob", "Remove", "DeleteRecursively", "IsDirectory", "Copy", "Rename", "Walk",
           "Stat"]

Open = GFile
FastGFile = GFile


def Exists(filename: Any) -> bool:  # noqa: N802 - TF's public names
    return _io.exists(filename)


def IsDirectory(dirname: Any) -> bool:  # noqa: N802
    return _io.isdir(dirname)


def MakeDirs(dirname: Any) -> None:  # noqa: N802
    _io.makedirs(dirname)


def MkDir(dirname: Any) -> None:  # noqa: N802
    _io.mkdir(dirname)


def ListDirectory(dirname: Any) -> list[str]:  # noqa: N802
    return _io.listdir(dirname)


def Glob(filename: Any) -> list[str]:  # noqa: N802
    return _io.glob(filename)


def Remove(filename: Any) -> None:  # noqa: N802
    _io.remove(filename)


def DeleteRecursively(dirname: Any) -> None:  # noqa: N802
    _io.rmtree(dirname)


def Copy(oldpath: Any, newpath: Any, overwrite: bool = False) -> None:  # noqa: N802
    _io.copy(oldpath, newpath, overwrite)


def Rename(oldname: Any, newname: Any, overwrite: bool = False) -> None:  # noqa: N802
    _io.rename(oldname, newname, overwrite)


def Stat(filename: Any) -> _io.StatResult:  # noqa: N802
    return _io.stat(filename)


def Walk(top: Any,  # noqa: N802
         in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """``walk`` with TF 1's ``in_order`` (parents first) argument."""
    return _io.walk(top, topdown=in_order)
