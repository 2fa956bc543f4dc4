"""``tf.compat.v1.summary``: summary ops (``ScalarSummary``, ``HistogramSummary``,
``ImageSummary``, ``AudioSummaryV2``, ``TensorSummaryV2``, ``MergeSummary``), the graph collection that
``merge_all`` reads, ``FileWriter`` and the summary protocol buffers.

Ops are named and tagged as TF's ``summary_scope`` does: the op is the name scope opened for
``name`` (``family/name`` with a family), its tag the scope without the trailing ``/``
(prefixed with ``family/`` again), and the tag constant ``<scope>/tag(s)``.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any, Iterator, Optional, Sequence

from . import dtypes as _dtypes
from ._op_helpers import create_tensor, op_scope
from .constant_op import convert_to_tensor
from .event_file import FileWriter, FileWriterCache
from .framework import Tensor, get_default_graph
from .summary_pb2 import (Event, SessionLog, Summary, SummaryDescription, SummaryMetadata,
                          TaggedRunMetadata)

__all__ = ["scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge", "merge_all",
           "get_summary_description", "all_v2_summary_ops", "FileWriter", "FileWriterCache",
           "Summary", "SummaryDescription", "Event", "SessionLog", "TaggedRunMetadata"]

_SUMMARIES = "summaries"  # GraphKeys.SUMMARIES
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


def _clean_tag(name: Optional[str]) -> Optional[str]:
    """TF's ``clean_tag``: characters not allowed in op names become ``_``, and leading
    slashes go (logged at INFO, as TF)."""
    if name is not None:
        new_name = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
        if new_name != name:
            from . import logging as _tf_logging
            _tf_logging.info(f"Summary name {name} is illegal; using {new_name} instead.")
            name = new_name
    return name


@contextlib.contextmanager
def _summary_scope(name: Optional[str], family: Optional[str] = None,
                   default_name: Optional[str] = None,
                   values: Optional[Sequence[Any]] = None) -> Iterator[tuple[str, str]]:
    """Yields ``(tag, scope)`` as TF's ``summary_op_util.summary_scope``."""
    name = _clean_tag(name)
    family = _clean_tag(family)
    base = name if family is None else f"{family}/{name}"
    from .eager import executing_eagerly
    if executing_eagerly():
        # Eager ops have no names; the tag is what the scope would have been.
        tag = base if base is not None else (default_name or "")
        yield (tag if family is None else f"{family}/{tag}", "")
        return
    with op_scope(base, default_name, values) as scope:
        tag = scope.rstrip("/")
        yield (tag if family is None else f"{family}/{tag}", scope)


def _collect(value: Tensor, collections: Optional[Sequence[str]],
             default: Sequence[str]) -> None:
    graph = value.graph if not value._is_eager else get_default_graph()
    for key in default if collections is None else collections:
        graph.add_to_collection(key, value)


def _summary_op(op_type: str, tag_arg: str, tag: str, inputs: list[Tensor],
                attrs: Optional[dict[str, Any]], scope: str) -> Tensor:
    tag_tensor = convert_to_tensor(tag, dtype=_dtypes.string, name=tag_arg)
    return create_tensor(op_type, [tag_tensor, *inputs], attrs, scope)


def scalar(name: str, tensor: Any, collections: Optional[Sequence[str]] = None,
           family: Optional[str] = None) -> Tensor:
    """``ScalarSummary`` of ``tensor`` (one value), tagged with the op's scope."""
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        tags = convert_to_tensor(tag, dtype=_dtypes.string, name="tags")
        values = convert_to_tensor(tensor, name="values")
        val = create_tensor("ScalarSummary", [tags, values], None, scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def histogram(name: str, values: Any, collections: Optional[Sequence[str]] = None,
              family: Optional[str] = None) -> Tensor:
    """``HistogramSummary`` of ``values`` over TF's default buckets; a NaN or infinity is an
    ``InvalidArgumentError`` when it runs."""
    with _summary_scope(name, family, default_name="HistogramSummary",
                        values=[values]) as (tag, scope):
        val = _summary_op("HistogramSummary", "tag", tag,
                          [convert_to_tensor(values, name="values")], None, scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def image(name: str, tensor: Any, max_outputs: int = 3,
          collections: Optional[Sequence[str]] = None, family: Optional[str] = None) -> Tensor:
    """``ImageSummary``: up to ``max_outputs`` PNG images of a ``[batch, height, width,
    channels]`` uint8/float tensor (channels 1, 3 or 4); tags ``<tag>/image/<i>`` (or
    ``<tag>/image`` when ``max_outputs`` is 1)."""
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        attrs = {"max_images": int(max_outputs)}
        val = _summary_op("ImageSummary", "tag", tag,
                          [convert_to_tensor(tensor, name="tensor")], attrs, scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def audio(name: str, tensor: Any, sample_rate: Any, max_outputs: int = 3,
          collections: Optional[Sequence[str]] = None, family: Optional[str] = None) -> Tensor:
    """``AudioSummaryV2``: up to ``max_outputs`` clips of a float32 ``[batch, frames,
    channels]`` or ``[batch, frames]`` tensor (values in [-1, 1]) as 16-bit WAV; tags
    ``<tag>/audio/<i>`` (or ``<tag>/audio`` when ``max_outputs`` is 1)."""
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        rate = convert_to_tensor(sample_rate, dtype=_dtypes.float32, name="sample_rate")
        tag_tensor = convert_to_tensor(tag, dtype=_dtypes.string, name="tag")
        value = convert_to_tensor(tensor, name="tensor")
        val = create_tensor("AudioSummaryV2", [tag_tensor, value, rate],
                            {"max_outputs": int(max_outputs)}, scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def tensor_summary(name: str, tensor: Any, summary_description: Optional[str] = None,
                   collections: Optional[Sequence[str]] = None,
                   summary_metadata: Optional[SummaryMetadata] = None,
                   family: Optional[str] = None, display_name: Optional[str] = None) -> Tensor:
    """``TensorSummaryV2``: the whole tensor as a ``TensorProto`` with ``summary_metadata``."""
    if summary_metadata is None:
        summary_metadata = SummaryMetadata()
    if summary_description is not None:
        summary_metadata.summary_description = summary_description
    if display_name is not None:
        summary_metadata.display_name = display_name
    serialized = summary_metadata.SerializeToString()
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        value = convert_to_tensor(tensor, name="tensor")
        metadata = convert_to_tensor(serialized, dtype=_dtypes.string,
                                     name="serialized_summary_metadata")
        tag_tensor = convert_to_tensor(tag, dtype=_dtypes.string, name="tag")
        val = create_tensor("TensorSummaryV2", [tag_tensor, value, metadata], None, scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def text(name: str, tensor: Tensor, collections: Optional[Sequence[str]] = None) -> Tensor:
    """A ``tensor_summary`` of a string tensor for TensorBoard's text plugin."""
    if tensor.dtype != _dtypes.string:
        raise ValueError(f"Expected tensor {tensor.name} to have dtype string, got "
                         f"<dtype: '{tensor.dtype.name}'>")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    return tensor_summary(name=name, tensor=tensor, summary_metadata=metadata,
                          collections=collections)


def merge(inputs: Sequence[Any], collections: Optional[Sequence[str]] = None,
          name: Optional[str] = None) -> Tensor:
    """``MergeSummary`` of serialized summaries; a tag found twice is an
    ``InvalidArgumentError`` when it runs."""
    from .eager import executing_eagerly
    if executing_eagerly():
        raise RuntimeError("Merging tf.summary.* ops is not compatible with eager execution. "
                           "Use tf.contrib.summary instead.")
    name = _clean_tag(name)
    inputs = list(inputs)
    with op_scope(name, "Merge", inputs):
        with op_scope(name, "MergeSummary") as scope:
            # Tensors go in as they are, so that a wrong type gets the op's own TypeError.
            tensors = [v if isinstance(v, Tensor) else
                       convert_to_tensor(v, dtype=_dtypes.string, name=f"inputs_{i}")
                       for i, v in enumerate(inputs)]
            val = create_tensor("MergeSummary", tensors, None, scope)
        _collect(val, collections, [])
    return val


def merge_all(key: str = _SUMMARIES, scope: Optional[str] = None,
              name: Optional[str] = None) -> Optional[Tensor]:
    """``merge`` of the graph's ``key`` collection (``None`` when it is empty)."""
    from .eager import executing_eagerly
    if executing_eagerly():
        raise RuntimeError("Merging tf.summary.* ops is not compatible with eager execution. "
                           "Use tf.contrib.summary instead.")
    summary_ops = get_default_graph().get_collection(key, scope=scope)
    if not summary_ops:
        return None
    return merge(summary_ops, name=name)


def all_v2_summary_ops() -> Optional[list[Any]]:
    """The TF 2 summary ops of the default graph: none in symgrad, so ``[]`` (``None`` in
    eager mode, as TF)."""
    from .eager import executing_eagerly
    if executing_eagerly():
        return None
    return get_default_graph().get_collection("_SUMMARY_V2")


def get_summary_description(node_def: Any) -> SummaryDescription:
    """The ``SummaryDescription`` JSON in a ``TensorSummary`` node's ``description``."""
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    raw = node_def.attr["description"]
    raw = getattr(raw, "s", raw)
    text_value = raw.decode() if isinstance(raw, bytes) else str(raw)
    parsed = json.loads(text_value) if text_value else {}
    description = SummaryDescription()
    hint = parsed.get("typeHint", parsed.get("type_hint"))
    if hint is not None:
        description.type_hint = hint
    return description
