"""Reading checkpoints outside a ``Saver`` (``tf.compat.v1.train.list_variables``,
``load_variable``, ``load_checkpoint``, ``NewCheckpointReader``, ``init_from_checkpoint``).

They read symgrad's checkpoint format (``<prefix>.npz``, see ``saver.py``), not TF's
``.index``/``.data`` bundles.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, Optional

import numpy as np

from .. import dtypes as _dtypes
from .. import errors
from ..framework import get_default_graph
from ..variables import Variable, _graph_vars
from .saver import _SUFFIX, latest_checkpoint

__all__ = ["CheckpointReader", "NewCheckpointReader", "load_checkpoint", "load_variable",
           "list_variables", "init_from_checkpoint"]


class CheckpointReader:
    """The tensors of one checkpoint, by saved name."""

    def __init__(self, filepattern: str) -> None:
        path = os.fspath(filepattern)
        if not os.path.isfile(path + _SUFFIX):
            raise errors.NotFoundError(None, None,
                                       "Unsuccessful TensorSliceReader constructor: Failed "
                                       f"to find any matching files for {path}")
        try:
            with np.load(path + _SUFFIX, allow_pickle=False) as data:
                self._tensors = {k: data[k] for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise errors.DataLossError(None, None,
                                       f"Unable to read checkpoint {path}: {exc}") from None

    def has_tensor(self, tensor_str: str) -> bool:
        return tensor_str in self._tensors

    def get_tensor(self, tensor_str: str) -> np.ndarray:
        value = self._tensors.get(tensor_str)
        if value is None:
            raise errors.NotFoundError(None, None, f"Key {tensor_str} not found in checkpoint")
        return value.copy()

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return {k: list(v.shape) for k, v in self._tensors.items()}

    def get_variable_to_dtype_map(self) -> dict[str, _dtypes.DType]:
        return {k: _dtypes.as_dtype(v.dtype) for k, v in self._tensors.items()}


def NewCheckpointReader(filepattern: str) -> CheckpointReader:  # noqa: N802 - TF's name
    return CheckpointReader(filepattern)


def _checkpoint_filename(ckpt_dir_or_file: str) -> Optional[str]:
    if os.path.isdir(ckpt_dir_or_file):
        return latest_checkpoint(ckpt_dir_or_file)
    return ckpt_dir_or_file


def load_checkpoint(ckpt_dir_or_file: str) -> CheckpointReader:
    """The reader of a checkpoint prefix, or of the newest checkpoint of a directory."""
    filename = _checkpoint_filename(ckpt_dir_or_file)
    if filename is None:
        raise ValueError("Couldn't find 'checkpoint' file or checkpoints in given directory "
                         f"{ckpt_dir_or_file}")
    return CheckpointReader(filename)


def load_variable(ckpt_dir_or_file: str, name: str) -> np.ndarray:
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def list_variables(ckpt_dir_or_file: str) -> list[tuple[str, list[int]]]:
    """``(name, shape)`` of every saved tensor, sorted by name."""
    shapes = load_checkpoint(ckpt_dir_or_file).get_variable_to_shape_map()
    return [(name, shapes[name]) for name in sorted(shapes)]


def init_from_checkpoint(ckpt_dir_or_file: str, assignment_map: Any) -> None:
    """Makes variables initialize from checkpoint tensors instead of their initial values.

    ``assignment_map`` maps checkpoint names to variables: ``'tensor': var`` or
    ``'tensor': 'var name'`` one by one, ``'scope/': 'other_scope/'`` every ``get_variable``
    variable of ``other_scope`` from the same names under ``scope`` (``'/'`` is the root).
    The initializers read the checkpoint when they run, as TF's ``RestoreV2`` does.
    """
    ckpt_file = _checkpoint_filename(ckpt_dir_or_file)
    reader = load_checkpoint(ckpt_dir_or_file)
    assert ckpt_file is not None
    variable_map = reader.get_variable_to_shape_map()
    pairs = assignment_map.items() if isinstance(assignment_map, dict) else assignment_map
    store = _graph_vars(get_default_graph())
    for tensor_name, current in sorted(pairs, key=lambda pair: pair[0]):
        var = current if isinstance(current, Variable) else store.get(current)
        if var is not None:
            if tensor_name not in variable_map:
                raise ValueError(f"Tensor {tensor_name} is not found in {ckpt_dir_or_file} "
                                 f"checkpoint {variable_map}")
            if not var.shape.is_compatible_with(variable_map[tensor_name]):
                raise ValueError(
                    f"Shape of variable {var.name} ({var.shape}) doesn't match with shape "
                    f"of tensor {tensor_name} ({variable_map[tensor_name]}) from checkpoint "
                    "reader.")
            _set_checkpoint_initializer(var, ckpt_file, tensor_name)
            continue
        scopes = current[:current.rindex("/")] if "/" in current else ""
        if not tensor_name.endswith("/"):
            raise ValueError(f"Assignment map with scope only name {scopes} should map to "
                             f"scope only {tensor_name}. Should be 'scope/': "
                             "'other_scope/'.")
        for var_name in sorted(n for n in store if not scopes or n.startswith(scopes + "/")):
            full_name = var_name[len(scopes):]
            if current != "/":
                full_name = full_name[1:]
            if tensor_name != "/":
                full_name = tensor_name + full_name
            full_name = full_name.rstrip("/")
            if full_name not in variable_map:
                raise ValueError(f"Tensor {full_name} ({var_name[len(scopes) + 1:]} in "
                                 f"{tensor_name}) is not found in {ckpt_dir_or_file} "
                                 "checkpoint")
            _set_checkpoint_initializer(store[var_name], ckpt_file, full_name)


def _set_checkpoint_initializer(var: Variable, ckpt_file: str, tensor_name: str) -> None:
    """Replaces ``var``'s initializer by an assignment of the checkpoint's tensor, read when
    the initializer runs (a ``PyFunc`` named ``checkpoint_initializer``)."""
    from ..script_ops import py_func
    graph = var.graph
    dtype = var.dtype

    def read() -> np.ndarray:
        return np.asarray(CheckpointReader(ckpt_file).get_tensor(tensor_name),
                          dtype=dtype.as_numpy_dtype)

    with graph.control_dependencies(None):
        value = py_func(read, [], dtype, stateful=True, name="checkpoint_initializer")
        value.set_shape(var.shape)
        var._initializer_op = graph._create_op("AssignVariableOp", [var.handle, value],
                                               {"dtype": dtype.name}, None)
    var._initial_value = value
