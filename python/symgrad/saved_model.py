"""``tf.compat.v1.saved_model``: SavedModel directories, as TF 1 programs export and load
them (``simple_save``, ``Builder``, ``loader.load``, signatures).

A SavedModel directory holds ``saved_model.pb`` (a ``SavedModel`` message: one
``MetaGraphDef`` per tag set, each with its ``SignatureDef``s) and the variables' values
under ``variables/variables`` (symgrad's checkpoint format, ``variables.npz``, where TF
writes ``variables.index`` and ``variables.data-*``). Asset files named by the
``ASSET_FILEPATHS`` collection (or ``assets_collection``) are copied to ``assets/``, and at
load time their tensors are fed the copies' paths while the main op runs, as in TF.
"""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace
from typing import Any, Optional, Sequence

import numpy as np

from . import dtypes as _dtypes
from . import logging as _logging
from .framework import Operation, Tensor, get_default_graph
from .summary_pb2 import Any as AnyProto
from .summary_pb2 import (AssetFileDef, MetaGraphDef, SavedModel, SignatureDef, TensorInfo,
                          TensorShapeProto)
from .variables import GraphKeys, prepend_name_scope

__all__ = [
    "Builder", "load", "simple_save", "build_signature_def", "predict_signature_def",
    "classification_signature_def", "regression_signature_def", "is_valid_signature",
    "build_tensor_info", "get_tensor_from_tensor_info", "contains_saved_model",
    "maybe_saved_model_directory", "main_op", "main_op_with_restore", "builder", "loader",
    "tag_constants", "signature_constants", "signature_def_utils", "utils", "constants",
]

# ----- constants (TF's values) -----
SERVING, TRAINING, GPU, TPU = "serve", "train", "gpu", "tpu"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
PREDICT_INPUTS, PREDICT_OUTPUTS = "inputs", "outputs"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
CLASSIFY_INPUTS, CLASSIFY_OUTPUT_CLASSES, CLASSIFY_OUTPUT_SCORES = "inputs", "classes", "scores"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"
REGRESS_INPUTS, REGRESS_OUTPUTS = "inputs", "outputs"
ASSETS_DIRECTORY, ASSETS_KEY = "assets", "saved_model_assets"
DEBUG_DIRECTORY, DEBUG_INFO_FILENAME_PB = "debug", "saved_model_debug_info.pb"
LEGACY_INIT_OP_KEY, MAIN_OP_KEY = "legacy_init_op", "saved_model_main_op"
TRAIN_OP_KEY = "saved_model_train_op"
SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT = "saved_model.pb", "saved_model.pbtxt"
SAVED_MODEL_SCHEMA_VERSION = 1
_ASSET_TYPE_URL = "type.googleapis.com/tensorflow.AssetFileDef"
VARIABLES_DIRECTORY, VARIABLES_FILENAME = "variables", "variables"

tag_constants = SimpleNamespace(SERVING=SERVING, TRAINING=TRAINING, GPU=GPU, TPU=TPU)
signature_constants = SimpleNamespace(
    DEFAULT_SERVING_SIGNATURE_DEF_KEY=DEFAULT_SERVING_SIGNATURE_DEF_KEY,
    PREDICT_METHOD_NAME=PREDICT_METHOD_NAME, PREDICT_INPUTS=PREDICT_INPUTS,
    PREDICT_OUTPUTS=PREDICT_OUTPUTS, CLASSIFY_METHOD_NAME=CLASSIFY_METHOD_NAME,
    CLASSIFY_INPUTS=CLASSIFY_INPUTS, CLASSIFY_OUTPUT_CLASSES=CLASSIFY_OUTPUT_CLASSES,
    CLASSIFY_OUTPUT_SCORES=CLASSIFY_OUTPUT_SCORES, REGRESS_METHOD_NAME=REGRESS_METHOD_NAME,
    REGRESS_INPUTS=REGRESS_INPUTS, REGRESS_OUTPUTS=REGRESS_OUTPUTS)
constants = SimpleNamespace(
    ASSETS_DIRECTORY=ASSETS_DIRECTORY, ASSETS_KEY=ASSETS_KEY, DEBUG_DIRECTORY=DEBUG_DIRECTORY,
    DEBUG_INFO_FILENAME_PB=DEBUG_INFO_FILENAME_PB, LEGACY_INIT_OP_KEY=LEGACY_INIT_OP_KEY,
    MAIN_OP_KEY=MAIN_OP_KEY, SAVED_MODEL_FILENAME_PB=SAVED_MODEL_FILENAME_PB,
    SAVED_MODEL_FILENAME_PBTXT=SAVED_MODEL_FILENAME_PBTXT,
    SAVED_MODEL_SCHEMA_VERSION=SAVED_MODEL_SCHEMA_VERSION,
    VARIABLES_DIRECTORY=VARIABLES_DIRECTORY, VARIABLES_FILENAME=VARIABLES_FILENAME)


# ----- tensor infos and signatures -----

def _shape_proto(shape: Any) -> TensorShapeProto:
    proto = TensorShapeProto()
    if shape.ndims is None:
        proto.unknown_rank = True
    else:
        for d in shape.as_list():
            proto.dim.add(size=-1 if d is None else int(d))
    return proto


def build_tensor_info(tensor: Any) -> TensorInfo:
    """The ``TensorInfo`` of a graph tensor (or a ``SparseTensor``'s three tensors)."""
    from .sparse_tensor import SparseTensor
    if getattr(tensor, "_is_eager", False):
        raise RuntimeError("`build_tensor_info` is not supported in eager execution.")
    if isinstance(tensor, SparseTensor):
        info = TensorInfo(dtype=tensor.dtype.as_datatype_enum)
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        info.tensor_shape.CopyFrom(_shape_proto(tensor.get_shape()))
        return info
    if not isinstance(tensor, Tensor):
        raise TypeError(f"Expected a Tensor or SparseTensor, got {tensor!r}")
    return TensorInfo(name=tensor.name, dtype=tensor.dtype.as_datatype_enum,
                      tensor_shape=_shape_proto(tensor.shape))


def get_tensor_from_tensor_info(tensor_info: TensorInfo, graph: Any = None,
                                import_scope: Optional[str] = None) -> Any:
    """The tensor (or ``SparseTensor``) a ``TensorInfo`` names in ``graph``."""
    from .sparse_tensor import SparseTensor
    graph = graph or get_default_graph()

    def tensor(name: str) -> Tensor:
        return graph.get_tensor_by_name(prepend_name_scope(name, import_scope))

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return tensor(tensor_info.name)
    if encoding == "coo_sparse":
        sparse = tensor_info.coo_sparse
        return SparseTensor(tensor(sparse.indices_tensor_name),
                            tensor(sparse.values_tensor_name),
                            tensor(sparse.dense_shape_tensor_name))
    raise ValueError(f"Invalid TensorInfo.encoding: {encoding}")


def build_signature_def(inputs: Optional[dict[str, TensorInfo]] = None,
                        outputs: Optional[dict[str, TensorInfo]] = None,
                        method_name: Optional[str] = None, defaults: Any = None
                        ) -> SignatureDef:
    del defaults
    signature = SignatureDef()
    for key, info in (inputs or {}).items():
        signature.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        signature.outputs[key].CopyFrom(info)
    if method_name is not None:
        signature.method_name = method_name
    return signature


def predict_signature_def(inputs: dict[str, Any], outputs: dict[str, Any]) -> SignatureDef:
    """A ``tensorflow/serving/predict`` signature of named input and output tensors."""
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def({k: build_tensor_info(v) for k, v in inputs.items()},
                               {k: build_tensor_info(v) for k, v in outputs.items()},
                               PREDICT_METHOD_NAME)


def classification_signature_def(examples: Any, classes: Any, scores: Any) -> SignatureDef:
    """A ``tensorflow/serving/classify`` signature: string ``examples`` in, string
    ``classes`` and/or float ``scores`` out."""
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Classification `examples` must be a string Tensor. Found "
                         f"`examples` of type {type(examples)}.")
    if examples.dtype is not _dtypes.string:
        raise ValueError("Classification `examples` must be a string Tensor. Found "
                         f"`examples` of dtype {examples.dtype}.")
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    outputs = {}
    if classes is not None:
        if not isinstance(classes, Tensor) or classes.dtype is not _dtypes.string:
            raise ValueError("Classification classes must be a string Tensor. Found "
                             f"`classes` {classes!r}.")
        outputs[CLASSIFY_OUTPUT_CLASSES] = build_tensor_info(classes)
    if scores is not None:
        if not isinstance(scores, Tensor) or not scores.dtype.is_floating:
            raise ValueError("Classification scores must be a float Tensor. Found "
                             f"`scores` {scores!r}.")
        outputs[CLASSIFY_OUTPUT_SCORES] = build_tensor_info(scores)
    return build_signature_def({CLASSIFY_INPUTS: build_tensor_info(examples)}, outputs,
                               CLASSIFY_METHOD_NAME)


def regression_signature_def(examples: Any, predictions: Any) -> SignatureDef:
    """A ``tensorflow/serving/regress`` signature: string ``examples`` in, float
    ``predictions`` out."""
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not isinstance(examples, Tensor) or examples.dtype is not _dtypes.string:
        raise ValueError("Regression `examples` must be a string Tensor. Found "
                         f"`examples` {examples!r}.")
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    if not isinstance(predictions, Tensor) or not predictions.dtype.is_floating:
        raise ValueError("Regression `predictions` must be a float Tensor. Found "
                         f"`predictions` {predictions!r}.")
    return build_signature_def({REGRESS_INPUTS: build_tensor_info(examples)},
                               {REGRESS_OUTPUTS: build_tensor_info(predictions)},
                               REGRESS_METHOD_NAME)


def is_valid_signature(signature_def: Any) -> bool:
    """Whether a signature is a well-formed predict, classify or regress signature (TF's
    rules: method name, keys and dtypes)."""
    if not isinstance(signature_def, SignatureDef):
        return False
    method = signature_def.method_name
    inputs, outputs = signature_def.inputs, signature_def.outputs
    string, float32 = _dtypes.string.as_datatype_enum, _dtypes.float32.as_datatype_enum
    if method == PREDICT_METHOD_NAME:
        return bool(inputs) and bool(outputs)
    if method == CLASSIFY_METHOD_NAME:
        # Classes must be strings and scores float32 (TF allows no other float).
        wanted = {CLASSIFY_OUTPUT_CLASSES: string, CLASSIFY_OUTPUT_SCORES: float32}
        return (set(inputs) == {CLASSIFY_INPUTS} and inputs[CLASSIFY_INPUTS].dtype == string
                and bool(outputs) and set(outputs) <= set(wanted)
                and all(outputs[k].dtype == wanted[k] for k in outputs))
    if method == REGRESS_METHOD_NAME:
        return (set(inputs) == {REGRESS_INPUTS} and set(outputs) == {REGRESS_OUTPUTS}
                and inputs[REGRESS_INPUTS].dtype == string
                and outputs[REGRESS_OUTPUTS].dtype == float32)
    return False


signature_def_utils = SimpleNamespace(
    build_signature_def=build_signature_def, predict_signature_def=predict_signature_def,
    classification_signature_def=classification_signature_def,
    regression_signature_def=regression_signature_def, is_valid_signature=is_valid_signature)
utils = SimpleNamespace(build_tensor_info=build_tensor_info,
                        get_tensor_from_tensor_info=get_tensor_from_tensor_info)


# ----- main ops -----

def _main_op() -> Operation:
    """Initializes the global and local variables and the tables, as a group."""
    from .control_flow_ops import group
    from .train.monitored_session import tables_initializer
    from .variables import global_variables_initializer, local_variables_initializer
    return group(global_variables_initializer(), local_variables_initializer(),
                 tables_initializer())


def main_op_with_restore(restore_op_name: Any) -> Operation:
    """``main_op`` then the restore op ``restore_op_name``."""
    from .control_flow_ops import group
    with get_default_graph().control_dependencies([_main_op()]):
        return group(restore_op_name)


main_op = SimpleNamespace(main_op=_main_op, main_op_with_restore=main_op_with_restore)


# ----- the directory -----

def _saved_model_path(export_dir: str) -> Optional[str]:
    for filename in (SAVED_MODEL_FILENAME_PB, SAVED_MODEL_FILENAME_PBTXT):
        path = os.path.join(export_dir, filename)
        if os.path.exists(path):
            return path
    return None


def contains_saved_model(export_dir: Any) -> bool:
    """Whether ``export_dir`` holds a ``saved_model.pb`` (or ``.pbtxt``)."""
    return _saved_model_path(os.fspath(export_dir)) is not None


maybe_saved_model_directory = contains_saved_model


def _variables_prefix(export_dir: str) -> str:
    return os.path.join(export_dir, VARIABLES_DIRECTORY, VARIABLES_FILENAME)


def _asset_paths(assets_collection: Optional[Sequence[Any]], sess: Any
                 ) -> list[tuple[Tensor, str]]:
    """Each asset tensor with the file path it holds (run in ``sess``)."""
    pairs = []
    for tensor in assets_collection or []:
        if not isinstance(tensor, Tensor) or tensor.dtype is not _dtypes.string:
            raise ValueError(f"Asset {tensor!r} must be a string Tensor holding a file path")
        value = sess.run(tensor)
        path = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        pairs.append((tensor, path))
    return pairs


class Builder:
    """Writes a SavedModel: ``add_meta_graph_and_variables`` once (the variables' values
    and the first tag set), ``add_meta_graph`` for more tag sets, then ``save``."""

    def __init__(self, export_dir: Any) -> None:
        export_dir = os.fspath(export_dir)
        if os.path.exists(export_dir):
            if os.listdir(export_dir):
                raise AssertionError(
                    f"Export directory {export_dir} already exists, and isn't empty. Please "
                    "choose a different export directory, or delete all the contents of the "
                    "specified directory.")
        else:
            os.makedirs(export_dir)
        self._export_dir = export_dir
        self._saved_model = SavedModel(saved_model_schema_version=SAVED_MODEL_SCHEMA_VERSION)
        self._has_saved_variables = False
        self._saver: Any = None

    def _check_inputs(self, tags: Any, signature_def_map: Any) -> list[str]:
        if isinstance(tags, (str, bytes)) or not hasattr(tags, "__iter__"):
            raise TypeError(f"tags must be a list or set of strings, got {tags!r}")
        tags = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in tags]
        for key, signature in (signature_def_map or {}).items():
            if not isinstance(signature, SignatureDef):
                raise TypeError("signature_def_map should be a dict mapping signature names "
                                f"to SignatureDef protos; {key!r} maps to {signature!r}")
        return tags

    def _add_meta_graph(self, meta: MetaGraphDef, tags: list[str],
                        signature_def_map: Any) -> None:
        meta.meta_info_def.tags.extend(tags)
        for key, signature in (signature_def_map or {}).items():
            meta.signature_def[key].CopyFrom(signature)
        self._saved_model.meta_graphs.add().CopyFrom(meta)

    def _export(self, tags: list[str], signature_def_map: Any, assets_collection: Any,
                main_op_: Any, train_op: Any, clear_devices: bool,
                strip_default_attrs: bool, sess: Any) -> None:
        graph = get_default_graph() if sess is None else sess.graph
        if main_op_ is not None:
            if not isinstance(main_op_, Operation):
                raise TypeError(f"main_op needs to be an Operation: {main_op_!r}")
            graph.clear_collection(MAIN_OP_KEY)
            graph.add_to_collection(MAIN_OP_KEY, main_op_)
        if train_op is not None:
            if not isinstance(train_op, (Operation, Tensor)):
                raise TypeError(f"train_op needs to be a Tensor or Op: {train_op!r}")
            graph.clear_collection(TRAIN_OP_KEY)
            graph.add_to_collection(TRAIN_OP_KEY, train_op)
        assets = []
        if assets_collection:
            if sess is None:
                raise ValueError("Assets are recorded when the variables are saved")
            assets = _asset_paths(assets_collection, sess)
            directory = os.path.join(self._export_dir, ASSETS_DIRECTORY)
            os.makedirs(directory, exist_ok=True)
            for tensor, path in assets:
                target = os.path.join(directory, os.path.basename(path))
                if not os.path.exists(target):
                    shutil.copyfile(path, target)
                # TF 1's builder keeps each asset in a collection, as an `Any`.
                asset = AssetFileDef(tensor_info=build_tensor_info(tensor),
                                     filename=os.path.basename(path))
                graph.add_to_collection(ASSETS_KEY, AnyProto(
                    type_url=_ASSET_TYPE_URL, value=asset.SerializeToString()))
        with graph.as_default():
            meta = self._saver.export_meta_graph(clear_devices=clear_devices,
                                                 strip_default_attrs=strip_default_attrs)
        self._add_meta_graph(meta, tags, signature_def_map)

    def add_meta_graph_and_variables(self, sess: Any, tags: Any,
                                     signature_def_map: Optional[dict[str, Any]] = None,
                                     assets_collection: Any = None, legacy_init_op: Any = None,
                                     clear_devices: bool = False, main_op: Any = None,
                                     strip_default_attrs: bool = False, saver: Any = None,
                                     train_op: Any = None) -> None:
        """Saves the session's variables and the graph under ``tags``."""
        from .train.saver import Saver
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already "
                                 "been saved. Please invoke `add_meta_graph()` instead.")
        tags = self._check_inputs(tags, signature_def_map)
        with sess.graph.as_default():
            self._saver = saver or Saver(sharded=True, allow_empty=True)
        os.makedirs(os.path.join(self._export_dir, VARIABLES_DIRECTORY), exist_ok=True)
        self._saver.save(sess, _variables_prefix(self._export_dir), write_meta_graph=False,
                         write_state=False)
        self._export(tags, signature_def_map, assets_collection,
                     main_op if main_op is not None else legacy_init_op, train_op,
                     clear_devices, strip_default_attrs, sess)
        self._has_saved_variables = True

    def add_meta_graph(self, tags: Any, signature_def_map: Optional[dict[str, Any]] = None,
                       assets_collection: Any = None, legacy_init_op: Any = None,
                       clear_devices: bool = False, main_op: Any = None,
                       strip_default_attrs: bool = False, saver: Any = None,
                       train_op: Any = None) -> None:
        """Adds the default graph under another tag set (the variables saved already)."""
        if not self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has not been "
                                 "saved yet. Please invoke `add_meta_graph_and_variables()` "
                                 "first.")
        tags = self._check_inputs(tags, signature_def_map)
        if saver is not None:
            self._saver = saver
        if assets_collection:
            raise ValueError("symgrad records assets with add_meta_graph_and_variables")
        self._export(tags, signature_def_map, None,
                     main_op if main_op is not None else legacy_init_op, train_op,
                     clear_devices, strip_default_attrs, None)

    def save(self, as_text: bool = False) -> bytes:
        """Writes ``saved_model.pb`` (``.pbtxt`` with ``as_text``); returns its path (as
        bytes, as TF does)."""
        name = SAVED_MODEL_FILENAME_PBTXT if as_text else SAVED_MODEL_FILENAME_PB
        path = os.path.join(self._export_dir, name)
        data = (str(self._saved_model).encode("utf-8") if as_text
                else self._saved_model.SerializeToString())
        with open(path, "wb") as f:
            f.write(data)
        _logging.info("SavedModel written to: %s", path)
        return path.encode("utf-8")


SavedModelBuilder = Builder
builder = SimpleNamespace(SavedModelBuilder=Builder)


def simple_save(session: Any, export_dir: Any, inputs: dict[str, Any],
                outputs: dict[str, Any], legacy_init_op: Any = None) -> None:
    """A serving SavedModel of the session's graph and variables, with one predict
    signature (``serving_default``) of ``inputs`` and ``outputs``."""
    signature_def_map = {DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                         predict_signature_def(inputs, outputs)}
    b = Builder(export_dir)
    b.add_meta_graph_and_variables(
        session, tags=[SERVING], signature_def_map=signature_def_map,
        assets_collection=session.graph.get_collection(GraphKeys.ASSET_FILEPATHS),
        main_op=legacy_init_op, clear_devices=True)
    b.save()


def _read_saved_model(export_dir: str) -> SavedModel:
    path = _saved_model_path(export_dir)
    if path is None:
        raise OSError(f"SavedModel file does not exist at: {export_dir}"
                      f"{os.sep}{{{SAVED_MODEL_FILENAME_PBTXT}|{SAVED_MODEL_FILENAME_PB}}}")
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".pbtxt"):
        raise OSError(f"Cannot parse file {path}: symgrad reads the binary saved_model.pb")
    return SavedModel.FromString(data)


def load(sess: Any, tags: Any, export_dir: Any, import_scope: Optional[str] = None,
         **saver_kwargs: Any) -> MetaGraphDef:
    """Loads the SavedModel's meta graph of ``tags`` into ``sess``'s graph, restores its
    variables and runs its main op; returns the ``MetaGraphDef``."""
    from .meta_graph import import_meta_graph
    export_dir = os.fspath(export_dir)
    saved_model = _read_saved_model(export_dir)
    tags = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in tags]
    found = [m for m in saved_model.meta_graphs if set(m.meta_info_def.tags) == set(tags)]
    if not found:
        available = [set(m.meta_info_def.tags) for m in saved_model.meta_graphs]
        raise RuntimeError(
            f"MetaGraphDef associated with tags {str(tags).strip('[]')} could not be found in "
            f"SavedModel, with available tags '{available}'. To inspect available tag-sets "
            "in the SavedModel, please use the SavedModel CLI: `saved_model_cli`.")
    meta = found[0]
    with sess.graph.as_default():
        saver = import_meta_graph(meta, import_scope=import_scope, **saver_kwargs)
        if saver is not None:
            saver.restore(sess, _variables_prefix(export_dir))
        else:
            _logging.info("The specified SavedModel has no variables; no checkpoints were "
                          "restored.")
        feeds = {}
        assets = list(meta.asset_file_def)
        if ASSETS_KEY in meta.collection_def:
            assets += [AssetFileDef.FromString(a.value)
                       for a in meta.collection_def[ASSETS_KEY].any_list.value]
        for asset in assets:
            tensor = get_tensor_from_tensor_info(asset.tensor_info, sess.graph, import_scope)
            feeds[tensor] = np.array(os.path.join(export_dir, ASSETS_DIRECTORY,
                                                  asset.filename).encode("utf-8"),
                                     dtype=object)
        graph = sess.graph
        for key in (MAIN_OP_KEY, LEGACY_INIT_OP_KEY):
            ops = graph.get_collection(key)
            if ops:
                if len(ops) != 1:
                    raise RuntimeError(f"Expected exactly one SavedModel main op. Found: {ops}")
                sess.run(ops[0], feed_dict=feeds)
                break
    return meta


loader = SimpleNamespace(load=load, maybe_saved_model_directory=maybe_saved_model_directory)
