"""TF's summary, event and graph protocol buffers as pure-Python messages (see ``_proto``):
``Summary``, ``SummaryMetadata``, ``SummaryDescription``, ``HistogramProto``,
``TensorProto``, ``TensorShapeProto``, ``Event``, ``SessionLog``, ``LogMessage``,
``TaggedRunMetadata``, and ``GraphDef``/``NodeDef``/``AttrValue``/``MetaGraphDef`` for the
graph events. Field names and numbers are TF's (``summary.proto``, ``event.proto``,
``tensor.proto``, ``graph.proto``), so bytes written here read in TF and back.
"""

from __future__ import annotations

from typing import ClassVar

from ._proto import DecodeError, Field, Message
from .example_pb2 import BytesList, FloatList, Int64List

__all__ = ["Summary", "SummaryMetadata", "SummaryDescription", "HistogramProto",
           "TensorProto", "TensorShapeProto", "Event", "SessionLog", "LogMessage",
           "TaggedRunMetadata", "SourceMetadata", "AttrValue", "NodeDef", "VersionDef",
           "GraphDef", "MetaGraphDef", "SaverDef", "VariableDef", "SaveSliceInfoDef",
           "CollectionDef", "TensorInfo", "SignatureDef", "AssetFileDef", "SavedModel", "Any",
           "DecodeError"]


class _EnumType:
    """A protobuf enum type's ``Name``/``Value`` helpers (``SessionLog.SessionStatus``)."""

    def __init__(self, values: dict[str, int]) -> None:
        self._values = dict(values)
        for name, number in values.items():
            setattr(self, name, number)

    def Name(self, number: int) -> str:  # noqa: N802 - protobuf's name
        for name, n in self._values.items():
            if n == number:
                return name
        raise ValueError(f"Enum has no name defined for value {number!r}")

    def Value(self, name: str) -> int:  # noqa: N802
        if name not in self._values:
            raise ValueError(f"Enum has no value defined for name {name!r}")
        return self._values[name]

    def keys(self) -> list[str]:
        return list(self._values)

    def values(self) -> list[int]:
        return list(self._values.values())

    def items(self) -> list[tuple[str, int]]:
        return list(self._values.items())


# TF's DataType enum, for the text format of `dtype`/`type` fields.
_DATA_TYPES = {"DT_INVALID": 0, "DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4,
               "DT_INT16": 5, "DT_INT8": 6, "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9,
               "DT_BOOL": 10, "DT_HALF": 19}


class TensorShapeProto(Message):
    class Dim(Message):
        _FIELDS = (Field("size", 1, "int64"), Field("name", 2, "string"))

    _FIELDS = (Field("dim", 2, Dim, repeated=True), Field("unknown_rank", 3, "bool"))


class TensorProto(Message):
    _FIELDS = (
        Field("dtype", 1, "enum"), Field("tensor_shape", 2, TensorShapeProto),
        Field("version_number", 3, "int32"), Field("tensor_content", 4, "bytes"),
        Field("half_val", 13, "int32", repeated=True),
        Field("float_val", 5, "float", repeated=True),
        Field("double_val", 6, "double", repeated=True),
        Field("int_val", 7, "int32", repeated=True),
        Field("string_val", 8, "bytes", repeated=True),
        Field("scomplex_val", 9, "float", repeated=True),
        Field("int64_val", 10, "int64", repeated=True),
        Field("bool_val", 11, "bool", repeated=True),
        Field("dcomplex_val", 12, "double", repeated=True),
        Field("uint32_val", 16, "uint32", repeated=True),
        Field("uint64_val", 17, "uint64", repeated=True),
    )
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"dtype": _DATA_TYPES}


class SummaryDescription(Message):
    _FIELDS = (Field("type_hint", 1, "string"),)


class HistogramProto(Message):
    _FIELDS = (
        Field("min", 1, "double"), Field("max", 2, "double"), Field("num", 3, "double"),
        Field("sum", 4, "double"), Field("sum_squares", 5, "double"),
        Field("bucket_limit", 6, "double", repeated=True),
        Field("bucket", 7, "double", repeated=True),
    )


_DATA_CLASSES = {"DATA_CLASS_UNKNOWN": 0, "DATA_CLASS_SCALAR": 1, "DATA_CLASS_TENSOR": 2,
                 "DATA_CLASS_BLOB_SEQUENCE": 3}


class SummaryMetadata(Message):
    class PluginData(Message):
        _FIELDS = (Field("plugin_name", 1, "string"), Field("content", 2, "bytes"))

    _FIELDS = (Field("plugin_data", 1, PluginData), Field("display_name", 2, "string"),
               Field("summary_description", 3, "string"), Field("data_class", 4, "enum"))
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"data_class": _DATA_CLASSES}


class _Image(Message):
    _FIELDS = (Field("height", 1, "int32"), Field("width", 2, "int32"),
               Field("colorspace", 3, "int32"), Field("encoded_image_string", 4, "bytes"))


class _Audio(Message):
    _FIELDS = (Field("sample_rate", 1, "float"), Field("num_channels", 2, "int64"),
               Field("length_frames", 3, "int64"), Field("encoded_audio_string", 4, "bytes"),
               Field("content_type", 5, "string"))


class _Value(Message):
    _FIELDS = (
        Field("node_name", 7, "string"), Field("tag", 1, "string"),
        Field("metadata", 9, SummaryMetadata),
        Field("simple_value", 2, "float", oneof="value"),
        Field("obsolete_old_style_histogram", 3, "bytes", oneof="value"),
        Field("image", 4, _Image, oneof="value"),
        Field("histo", 5, HistogramProto, oneof="value"),
        Field("audio", 6, _Audio, oneof="value"),
        Field("tensor", 8, TensorProto, oneof="value"),
    )


class Summary(Message):
    # Nested as in TF (`Summary.Value`); defined above because a nested class body cannot
    # see its siblings.
    Image = _Image
    Audio = _Audio
    Value = _Value
    _FIELDS = (Field("value", 1, _Value, repeated=True),)


for _cls, _name in ((_Image, "Image"), (_Audio, "Audio"), (_Value, "Value")):
    _cls.__name__, _cls.__qualname__ = _name, f"Summary.{_name}"


class LogMessage(Message):
    Level = _EnumType({"UNKNOWN": 0, "DEBUGGING": 10, "INFO": 20, "WARN": 30, "ERROR": 40,
                       "FATAL": 50})
    UNKNOWN, DEBUGGING, INFO, WARN, ERROR, FATAL = 0, 10, 20, 30, 40, 50
    _FIELDS = (Field("level", 1, "enum"), Field("message", 2, "string"))
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"level": dict(Level.items())}


class SessionLog(Message):
    SessionStatus = _EnumType({"STATUS_UNSPECIFIED": 0, "START": 1, "STOP": 2,
                               "CHECKPOINT": 3})
    STATUS_UNSPECIFIED, START, STOP, CHECKPOINT = 0, 1, 2, 3
    _FIELDS = (Field("status", 1, "enum"), Field("checkpoint_path", 2, "string"),
               Field("msg", 3, "string"))
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"status": dict(SessionStatus.items())}


class TaggedRunMetadata(Message):
    _FIELDS = (Field("tag", 1, "string"), Field("run_metadata", 2, "bytes"))


class SourceMetadata(Message):
    _FIELDS = (Field("writer", 1, "string"),)


class Event(Message):
    _FIELDS = (
        Field("wall_time", 1, "double"), Field("step", 2, "int64"),
        Field("file_version", 3, "string", oneof="what"),
        Field("graph_def", 4, "bytes", oneof="what"),
        Field("summary", 5, Summary, oneof="what"),
        Field("log_message", 6, LogMessage, oneof="what"),
        Field("session_log", 7, SessionLog, oneof="what"),
        Field("tagged_run_metadata", 8, TaggedRunMetadata, oneof="what"),
        Field("meta_graph_def", 9, "bytes", oneof="what"),
        Field("source_metadata", 10, SourceMetadata),
    )


# ----- graphs -----
class AttrValue(Message):
    class ListValue(Message):
        _FIELDS = (
            Field("s", 2, "bytes", repeated=True), Field("i", 3, "int64", repeated=True),
            Field("f", 4, "float", repeated=True), Field("b", 5, "bool", repeated=True),
            Field("type", 6, "enum", repeated=True),
            Field("shape", 7, TensorShapeProto, repeated=True),
            Field("tensor", 8, TensorProto, repeated=True),
        )
        _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"type": _DATA_TYPES}

    _FIELDS = (
        Field("s", 2, "bytes", oneof="value"), Field("i", 3, "int64", oneof="value"),
        Field("f", 4, "float", oneof="value"), Field("b", 5, "bool", oneof="value"),
        Field("type", 6, "enum", oneof="value"),
        Field("shape", 7, TensorShapeProto, oneof="value"),
        Field("tensor", 8, TensorProto, oneof="value"),
        Field("list", 1, ListValue, oneof="value"),
        Field("placeholder", 9, "string", oneof="value"),
    )
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"type": _DATA_TYPES}


class NodeDef(Message):
    _FIELDS = (Field("name", 1, "string"), Field("op", 2, "string"),
               Field("input", 3, "string", repeated=True), Field("device", 4, "string"),
               Field("attr", 5, ("map", "string", AttrValue)))


class VersionDef(Message):
    _FIELDS = (Field("producer", 1, "int32"), Field("min_consumer", 2, "int32"),
               Field("bad_consumers", 3, "int32", repeated=True))


class GraphDef(Message):
    _FIELDS = (Field("node", 1, NodeDef, repeated=True), Field("versions", 4, VersionDef),
               Field("version", 3, "int32"))


class SaverDef(Message):
    """TF's ``SaverDef`` (``saver.proto``): where a ``Saver``'s ops lie in its graph."""

    CheckpointFormatVersion = _EnumType({"LEGACY": 0, "V1": 1, "V2": 2})
    LEGACY, V1, V2 = 0, 1, 2
    _FIELDS = (Field("filename_tensor_name", 1, "string"),
               Field("save_tensor_name", 2, "string"), Field("restore_op_name", 3, "string"),
               Field("max_to_keep", 4, "int32"), Field("sharded", 5, "bool"),
               Field("keep_checkpoint_every_n_hours", 6, "float"),
               Field("version", 7, "enum"))
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {
        "version": dict(CheckpointFormatVersion.items())}


class SaveSliceInfoDef(Message):
    _FIELDS = (Field("full_name", 1, "string"), Field("full_shape", 2, "int64", repeated=True),
               Field("var_offset", 3, "int64", repeated=True),
               Field("var_shape", 4, "int64", repeated=True))


class VariableDef(Message):
    """TF's ``VariableDef`` (``variable.proto``): a variable's ops by name."""

    _FIELDS = (Field("variable_name", 1, "string"), Field("initializer_name", 2, "string"),
               Field("snapshot_name", 3, "string"),
               Field("save_slice_info_def", 4, SaveSliceInfoDef),
               Field("is_resource", 5, "bool"), Field("initial_value_name", 6, "string"),
               Field("trainable", 7, "bool"), Field("synchronization", 8, "enum"),
               Field("aggregation", 9, "enum"))


class Any(Message):
    """protobuf's ``google.protobuf.Any``: a serialized message and its type's URL."""

    _FIELDS = (Field("type_url", 1, "string"), Field("value", 2, "bytes"))


class CollectionDef(Message):
    """One graph collection (``meta_graph.proto``): names of graph elements, or values."""

    class NodeList(Message):
        _FIELDS = (Field("value", 1, "string", repeated=True),)

    # The same messages as Example's value lists (one repeated field `value = 1`).
    BytesList, Int64List, FloatList = BytesList, Int64List, FloatList

    class AnyList(Message):
        _FIELDS = (Field("value", 1, Any, repeated=True),)

    _FIELDS = (Field("node_list", 1, NodeList, oneof="kind"),
               Field("bytes_list", 2, BytesList, oneof="kind"),
               Field("int64_list", 3, Int64List, oneof="kind"),
               Field("float_list", 4, FloatList, oneof="kind"),
               Field("any_list", 5, AnyList, oneof="kind"))


class TensorInfo(Message):
    """TF's ``TensorInfo`` (``meta_graph.proto``): a signature's tensor, by name."""

    class CooSparse(Message):
        _FIELDS = (Field("values_tensor_name", 1, "string"),
                   Field("indices_tensor_name", 2, "string"),
                   Field("dense_shape_tensor_name", 3, "string"))

    _FIELDS = (Field("name", 1, "string", oneof="encoding"),
               Field("coo_sparse", 4, CooSparse, oneof="encoding"),
               Field("dtype", 2, "enum"), Field("tensor_shape", 3, TensorShapeProto))
    _ENUMS: ClassVar[dict[str, dict[str, int]]] = {"dtype": _DATA_TYPES}


class SignatureDef(Message):
    """TF's ``SignatureDef``: a model's named inputs and outputs and its method."""

    _FIELDS = (Field("inputs", 1, ("map", "string", TensorInfo)),
               Field("outputs", 2, ("map", "string", TensorInfo)),
               Field("method_name", 3, "string"))


class AssetFileDef(Message):
    """An asset file a SavedModel carries, and the tensor that holds its path."""

    _FIELDS = (Field("tensor_info", 1, TensorInfo), Field("filename", 2, "string"))


class MetaGraphDef(Message):
    class MetaInfoDef(Message):
        _FIELDS = (Field("meta_graph_version", 1, "string"),
                   Field("tags", 4, "string", repeated=True),
                   Field("tensorflow_version", 5, "string"),
                   Field("tensorflow_git_version", 6, "string"),
                   Field("stripped_default_attrs", 7, "bool"))

    _FIELDS = (Field("meta_info_def", 1, MetaInfoDef), Field("graph_def", 2, GraphDef),
               Field("saver_def", 3, SaverDef),
               Field("collection_def", 4, ("map", "string", CollectionDef)),
               Field("signature_def", 5, ("map", "string", SignatureDef)),
               Field("asset_file_def", 6, AssetFileDef, repeated=True))


class SavedModel(Message):
    """TF's ``SavedModel`` (``saved_model.proto``): the file ``saved_model.pb``."""

    _FIELDS = (Field("saved_model_schema_version", 1, "int64"),
               Field("meta_graphs", 2, MetaGraphDef, repeated=True))

