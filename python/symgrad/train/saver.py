"""Checkpoints (``tf.compat.v1.train.Saver``) in a documented, safe format.

A checkpoint ``<prefix>`` is one numpy file ``<prefix>.npz`` mapping each variable's saved
name (its op name, or the key of a ``var_list`` dict) to its value. Files are written to a
temporary file in the same directory and renamed over the target, so a crash mid-write never
replaces a good checkpoint. The directory's ``checkpoint`` file lists checkpoints in TF's
text form (``model_checkpoint_path: "..."``), written the same way.

Values are read with ordinary fetches; restore feeds each value to a placeholder assigned to
its variable (TF uses ``SaveV2``/``RestoreV2`` ops; the graph structure differs, not the
result).
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from typing import Any, Optional, Sequence, Union

import numpy as np

from .. import dtypes as _dtypes
from .. import errors
from ..summary_pb2 import SaverDef
from ..array_ops import placeholder
from ..control_flow_ops import group
from ..framework import Tensor, get_default_graph
from ..constant_op import constant
from ..variables import Variable, global_variables, prepend_name_scope, strip_name_scope

__all__ = ["Saver", "latest_checkpoint", "get_checkpoint_state", "checkpoint_exists",
           "CheckpointState", "SaverDef"]

_SUFFIX = ".npz"


def _storable(value: np.ndarray) -> np.ndarray:
    """A variable's value as the checkpoint stores it: strings (numpy objects holding
    bytes) as fixed-width bytes, which the file keeps without pickling."""
    if value.dtype == object:
        return np.array(value.tolist(), dtype=bytes).reshape(value.shape)
    return value


def _atomic_write(path: str, write: Any) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class CheckpointState:
    """TF's ``CheckpointState`` proto fields."""

    def __init__(self, model_checkpoint_path: str,
                 all_model_checkpoint_paths: Sequence[str]) -> None:
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)

    def __repr__(self) -> str:
        lines = [f'model_checkpoint_path: "{self.model_checkpoint_path}"']
        lines += [f'all_model_checkpoint_paths: "{p}"' for p in self.all_model_checkpoint_paths]
        return "\n".join(lines) + "\n"


_LINE = re.compile(r'^(model_checkpoint_path|all_model_checkpoint_paths):\s*"(.*)"\s*$')


def get_checkpoint_state(checkpoint_dir: str,
                         latest_filename: Optional[str] = None) -> Optional[CheckpointState]:
    path = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.isfile(path):
        return None
    latest = ""
    all_paths: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = _LINE.match(line.strip())
            if m is None:
                continue
            value = m.group(2)
            # Relative paths are relative to the checkpoint directory, as in TF.
            if not os.path.isabs(value):
                value = os.path.join(checkpoint_dir, value)
            if m.group(1) == "model_checkpoint_path":
                latest = value
            else:
                all_paths.append(value)
    if not latest:
        return None
    return CheckpointState(latest, all_paths)


def meta_graph_filename(checkpoint_filename: str, meta_graph_suffix: str = "meta") -> str:
    """The ``.meta`` file saved beside checkpoint ``checkpoint_filename``."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", checkpoint_filename)
    return ".".join([basename, meta_graph_suffix])


def checkpoint_exists(checkpoint_prefix: str) -> bool:
    return os.path.isfile(checkpoint_prefix + _SUFFIX)


def latest_checkpoint(checkpoint_dir: str, latest_filename: Optional[str] = None
                      ) -> Optional[str]:
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


class Saver:
    """Saves and restores variables."""

    def __init__(self, var_list: Union[None, Sequence[Variable], dict[str, Variable]] = None,
                 reshape: bool = False, sharded: bool = False, max_to_keep: Optional[int] = 5,
                 keep_checkpoint_every_n_hours: float = 10000.0, name: Optional[str] = None,
                 restore_sequentially: bool = False, saver_def: Any = None,
                 builder: Any = None, defer_build: bool = False,
                 allow_empty: bool = False, write_version: Any = None,
                 pad_step_number: bool = False, save_relative_paths: bool = False,
                 filename: Optional[str] = None) -> None:
        self._max_to_keep = max_to_keep
        self._keep_every_n_hours = keep_checkpoint_every_n_hours
        self._sharded = bool(sharded)
        self._pad_step_number = pad_step_number
        self._last: list[str] = []
        self._graph = get_default_graph()
        if saver_def is not None and var_list is None:
            self._init_from_saver_def(saver_def, name)
            return
        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, dict):
            items = list(var_list.items())
        else:
            items = []
            for v in var_list:
                if not isinstance(v, Variable):
                    raise TypeError(f"Saver var_list entries must be Variables, got {v!r}")
                items.append((v.op.name, v))
        names = [n for n, _ in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"At least two variables have the same name: {duplicates[0]}")
        for n, v in items:
            if not isinstance(v, Variable):
                raise TypeError(f"Saver var_list value for {n!r} must be a Variable, got {v!r}")
        if not items and not allow_empty:
            raise ValueError("No variables to save")
        self._vars = dict(items)
        graph = self._graph
        self._feeds: dict[str, Tensor] = {}
        assigns = []
        with graph.name_scope(name or "save"):
            if self._vars:
                # The checkpoint keys, in the order of the restore ops, so that a Saver
                # rebuilt from this one's SaverDef (`import_meta_graph`) finds them.
                constant(np.array([k.encode("utf-8") for k in self._vars], dtype=object),
                         name="tensor_names")
            for key, v in self._vars.items():
                ph = placeholder(v.dtype, shape=v.shape, name="restore_value")
                self._feeds[key] = ph
                assigns.append(v.assign(ph, read_value=False))
            self._restore_op = group(*assigns, name="restore_all") if assigns else None

    def _init_from_saver_def(self, saver_def: SaverDef, scope: Optional[str]) -> None:
        """Takes over the restore ops a ``SaverDef`` names (a saver imported with its
        graph, its names under ``scope``)."""
        if not isinstance(saver_def, SaverDef):
            raise TypeError(f"saver_def must be a SaverDef, got {saver_def!r}")
        graph = self._graph
        self._max_to_keep = saver_def.max_to_keep  # 0 keeps every checkpoint, as in TF
        self._keep_every_n_hours = saver_def.keep_checkpoint_every_n_hours or 10000.0
        self._sharded = saver_def.sharded
        if not saver_def.restore_op_name:  # a saver of no variables (allow_empty)
            self._vars, self._feeds, self._restore_op = {}, {}, None
            return
        restore_name = prepend_name_scope(saver_def.restore_op_name, scope)
        try:
            restore = graph.get_operation_by_name(restore_name)
            names_op = graph.get_operation_by_name(
                restore_name.rsplit("/", 1)[0] + "/tensor_names")
        except KeyError:
            raise ValueError(f"The SaverDef's restore op {restore_name!r} is not a restore "
                             "op of a symgrad Saver in this graph") from None
        keys = [k.decode("utf-8") if isinstance(k, bytes) else str(k)
                for k in np.asarray(names_op.get_attr("value")).ravel()]
        assigns = restore.control_inputs
        if len(keys) != len(assigns):
            raise ValueError(f"The SaverDef's restore op {restore_name!r} assigns "
                             f"{len(assigns)} variables for {len(keys)} names")
        by_handle = {v.handle.name: v for v in global_variables()
                     if isinstance(v, Variable) and not v._eager}
        self._vars, self._feeds = {}, {}
        for key, assign in zip(keys, assigns):
            handle, value = assign.inputs[0], assign.inputs[1]
            if handle.name not in by_handle:
                raise ValueError(f"The variable {handle.op.name!r} the SaverDef restores is "
                                 "not in the graph's global variables")
            self._vars[key] = by_handle[handle.name]
            self._feeds[key] = value
        self._restore_op = restore

    @property
    def saver_def(self) -> SaverDef:
        """Where this saver's ops are (TF's ``SaverDef``; symgrad keeps one format, V2)."""
        return self.as_saver_def()

    def as_saver_def(self) -> SaverDef:
        return SaverDef(
            restore_op_name="" if self._restore_op is None else self._restore_op.name,
            max_to_keep=0 if self._max_to_keep is None else int(self._max_to_keep),
            sharded=self._sharded,
            keep_checkpoint_every_n_hours=float(self._keep_every_n_hours),
            version=SaverDef.V2)

    def to_proto(self, export_scope: Optional[str] = None) -> SaverDef:
        saver_def = self.as_saver_def()
        saver_def.restore_op_name = strip_name_scope(saver_def.restore_op_name, export_scope)
        return saver_def

    @staticmethod
    def from_proto(saver_def: SaverDef, import_scope: Optional[str] = None) -> "Saver":
        return Saver(saver_def=saver_def, name=import_scope)

    def export_meta_graph(self, filename: Optional[str] = None,
                          collection_list: Optional[Sequence[str]] = None,
                          as_text: bool = False, export_scope: Optional[str] = None,
                          clear_devices: bool = False, clear_extraneous_savers: bool = False,
                          strip_default_attrs: bool = False,
                          save_debug_info: bool = False) -> Any:
        """The default graph's ``MetaGraphDef`` with this saver's ``SaverDef`` (written to
        ``filename`` when given)."""
        from ..meta_graph import export_meta_graph
        return export_meta_graph(
            filename=filename, saver_def=self.saver_def, collection_list=collection_list,
            as_text=as_text, export_scope=export_scope, clear_devices=clear_devices,
            strip_default_attrs=strip_default_attrs)

    @property
    def last_checkpoints(self) -> list[str]:
        return list(self._last)

    def recover_last_checkpoints(self, checkpoint_paths: Sequence[str]) -> None:
        """Takes over the existing ``checkpoint_paths`` (oldest first) as the kept
        checkpoints, so ``max_to_keep`` also deletes those a previous run wrote."""
        self._last = [p for p in checkpoint_paths if checkpoint_exists(p)]

    def save(self, sess: Any, save_path: str, global_step: Any = None,
             latest_filename: Optional[str] = None, meta_graph_suffix: str = "meta",
             write_meta_graph: bool = True, write_state: bool = True,
             strip_default_attrs: bool = False, save_debug_info: bool = False) -> str:
        """Writes ``<save_path>[-<step>].npz``; returns the prefix, as TF does."""
        if not isinstance(save_path, str) or not save_path:
            raise ValueError(f"save_path must be a non-empty string, got {save_path!r}")
        prefix = save_path
        if global_step is not None:
            step = global_step if isinstance(global_step, (int, np.integer)) else \
                sess.run(global_step)
            prefix = f"{save_path}-{int(step):08d}" if self._pad_step_number else \
                f"{save_path}-{int(step)}"
        keys = list(self._vars)
        values = sess.run([self._vars[k] for k in keys]) if keys else []
        arrays = {k: _storable(np.asarray(v)) for k, v in zip(keys, values)}

        def write(f: Any) -> None:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub types allow_pickle

        _atomic_write(prefix + _SUFFIX, write)
        if write_meta_graph:
            from ..meta_graph import export_meta_graph
            export_meta_graph(meta_graph_filename(prefix, meta_graph_suffix),
                              graph=getattr(sess, "graph", None) or self._graph,
                              saver_def=self.saver_def, strip_default_attrs=strip_default_attrs)
        if write_state:
            if prefix in self._last:
                self._last.remove(prefix)
            self._last.append(prefix)
            if self._max_to_keep is not None and self._max_to_keep > 0:
                while len(self._last) > self._max_to_keep:
                    old = self._last.pop(0)
                    for path in (old + _SUFFIX, meta_graph_filename(old, meta_graph_suffix)):
                        if os.path.exists(path):
                            os.unlink(path)
            self._write_state(os.path.dirname(os.path.abspath(prefix)), prefix,
                              latest_filename)
        return prefix

    def _write_state(self, directory: str, latest: str, latest_filename: Optional[str]) -> None:
        def rel(p: str) -> str:
            return os.path.relpath(os.path.abspath(p), directory)

        text = f'model_checkpoint_path: "{rel(latest)}"\n' + "".join(
            f'all_model_checkpoint_paths: "{rel(p)}"\n' for p in self._last)
        _atomic_write(os.path.join(directory, latest_filename or "checkpoint"),
                      lambda f: f.write(text.encode("utf-8")))

    def restore(self, sess: Any, save_path: Optional[str]) -> None:
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        path = save_path if save_path.endswith(_SUFFIX) else save_path + _SUFFIX
        if not os.path.isfile(path):
            raise ValueError(f"The passed save_path is not a valid checkpoint: {save_path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = {k: data[k] for k in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as e:
            raise errors.DataLossError(
                None, None, f"Unable to read checkpoint {save_path}: {e}") from None
        feeds = {}
        for key, v in self._vars.items():
            if key not in stored:
                raise errors.NotFoundError(
                    None, None, f"Key {key} not found in checkpoint {save_path}")
            value = stored[key]
            if v.dtype is _dtypes.string and value.dtype.kind == "S":
                value = value.astype(object)
            if value.dtype != v.dtype.as_numpy_dtype:
                raise errors.InvalidArgumentError(
                    None, None,
                    f"tensor_name = {key}; expected dtype {v.dtype.name} does not equal "
                    f"original dtype {value.dtype.name} in checkpoint {save_path}")
            if not v.shape.is_compatible_with(value.shape):
                raise errors.InvalidArgumentError(
                    None, None,
                    f"Restoring from checkpoint failed. Tensor {key} has shape {v.shape} in "
                    f"the graph but shape {list(value.shape)} in checkpoint {save_path}")
            feeds[self._feeds[key]] = value
        if self._restore_op is not None:
            sess.run(self._restore_op, feed_dict=feeds)
