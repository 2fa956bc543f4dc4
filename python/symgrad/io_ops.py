"""File ops: ``tf.io.read_file``, ``tf.io.write_file`` and ``tf.io.matching_files``.

Each runs on the host as a ``PyFunc`` op named as TF's (``ReadFile``, ``WriteFile``,
``MatchingFiles``), with TF's shapes and ``NotFoundError`` text.
"""

from __future__ import annotations

import glob
import os
from typing import Any, Optional

import numpy as np

from . import dtypes as _dtypes
from . import errors
from .constant_op import convert_to_tensor
from .framework import Operation, Tensor, name_scope
from .tf_record import read_compressed

__all__ = ["read_file", "write_file", "matching_files"]


def _text(value: Any) -> str:
    item = np.asarray(value, dtype=object).reshape(-1)
    if item.size != 1:
        raise errors.InvalidArgumentError(None, None, f"Input filename tensor must be scalar, "
                                          f"but had shape: {list(np.shape(value))}")
    path = item[0]
    return path.decode() if isinstance(path, bytes) else str(path)


def _inputs(values: list[Any]) -> list[Tensor]:
    return [v for v in values if isinstance(v, Tensor)]


def read_file(filename: Any, name: Optional[str] = None) -> Tensor:
    """The whole contents of the file ``filename`` as a ``string`` scalar."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(read_compressed(_text(arrays[0]), ""), dtype=object)]

    with name_scope(name, "ReadFile", _inputs([filename])) as scope:
        path = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
        op = _host_op("ReadFile", [path], [_dtypes.string], run, scope=scope)
    out: Tensor = op.outputs[0]
    out.set_shape([])
    return out


def write_file(filename: Any, contents: Any, name: Optional[str] = None) -> Operation:
    """An op writing ``contents`` to ``filename``, making missing directories, as TF."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        path = _text(arrays[0])
        data = np.asarray(arrays[1], dtype=object).reshape(-1)
        if data.size != 1:
            raise errors.InvalidArgumentError(
                None, None, f"Contents tensor must be scalar, but had shape: "
                f"{list(np.shape(arrays[1]))}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        content = data[0]
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else bytes(content))
        return []

    with name_scope(name, "WriteFile", _inputs([filename, contents])) as scope:
        path = convert_to_tensor(filename, dtype=_dtypes.string, name="filename")
        data = convert_to_tensor(contents, dtype=_dtypes.string, name="contents")
        return _host_op("WriteFile", [path, data], [], run, scope=scope)


def matching_files(pattern: Any, name: Optional[str] = None) -> Tensor:
    """The sorted names of the files matching a glob pattern (or a vector of patterns);
    empty when nothing matches."""
    from .data.iterator_ops import _host_op

    def run(arrays: list[np.ndarray]) -> list[np.ndarray]:
        patterns = np.asarray(arrays[0], dtype=object).reshape(-1)
        found = sorted({f for p in patterns
                        for f in glob.glob(p.decode() if isinstance(p, bytes) else str(p))})
        out = np.empty(len(found), dtype=object)
        out[:] = [f.encode() for f in found]
        return [out]

    with name_scope(name, "MatchingFiles", _inputs([pattern])) as scope:
        patterns = convert_to_tensor(pattern, dtype=_dtypes.string, name="pattern")
        op = _host_op("MatchingFiles", [patterns], [_dtypes.string], run, scope=scope)
    out: Tensor = op.outputs[0]
    out.set_shape([None])
    return out
