"""``tf.compat.v1.gfile``: TF 1's names for the ``tf.io.gfile`` functions."""

from __future__ import annotations

from typing import Any, Iterator

from .io_gfile import GFile
from .io_gfile import copy as Copy  # noqa: N812 - TF's public names
from .io_gfile import exists as Exists  # noqa: N812
from .io_gfile import glob as Glob  # noqa: N812
from .io_gfile import isdir as IsDirectory  # noqa: N812
from .io_gfile import listdir as ListDirectory  # noqa: N812
from .io_gfile import makedirs as MakeDirs  # noqa: N812
from .io_gfile import mkdir as MkDir  # noqa: N812
from .io_gfile import remove as Remove  # noqa: N812
from .io_gfile import rename as Rename  # noqa: N812
from .io_gfile import rmtree as DeleteRecursively  # noqa: N812
from .io_gfile import stat as Stat  # noqa: N812
from .io_gfile import walk

__all__ = ["GFile", "Open", "FastGFile", "Exists", "MakeDirs", "MkDir", "ListDirectory",
           "Glob", "Remove", "DeleteRecursively", "IsDirectory", "Copy", "Rename", "Walk",
           "Stat"]

Open = GFile
FastGFile = GFile


def Walk(top: Any,  # noqa: N802 - TF's public name
         in_order: bool = True) -> Iterator[tuple[str, list[str], list[str]]]:
    """``walk`` with TF 1's ``in_order`` (parents first) argument."""
    return walk(top, topdown=in_order)
