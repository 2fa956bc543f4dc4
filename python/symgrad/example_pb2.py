"""TF's ``Example`` protocol buffers (``feature.proto``, ``example.proto``) as pure-Python
messages (see ``_proto``): ``tf.train.Example``, ``SequenceExample``, ``Features``,
``Feature``, ``BytesList``, ``FloatList``, ``Int64List``, ``FeatureList``, ``FeatureLists``.
Field names and numbers are TF's, so serialized bytes read in TF and back.
"""

from __future__ import annotations

from ._proto import Field, Message

__all__ = ["BytesList", "FloatList", "Int64List", "Feature", "Features", "FeatureList",
           "FeatureLists", "Example", "SequenceExample"]


class BytesList(Message):
    _FIELDS = (Field("value", 1, "bytes", repeated=True),)


class FloatList(Message):
    _FIELDS = (Field("value", 1, "float", repeated=True),)


class Int64List(Message):
    _FIELDS = (Field("value", 1, "int64", repeated=True),)


class Feature(Message):
    _FIELDS = (Field("bytes_list", 1, BytesList, oneof="kind"),
               Field("float_list", 2, FloatList, oneof="kind"),
               Field("int64_list", 3, Int64List, oneof="kind"))


class Features(Message):
    _FIELDS = (Field("feature", 1, ("map", "string", Feature)),)


class FeatureList(Message):
    _FIELDS = (Field("feature", 1, Feature, repeated=True),)


class FeatureLists(Message):
    _FIELDS = (Field("feature_list", 1, ("map", "string", FeatureList)),)


class Example(Message):
    _FIELDS = (Field("features", 1, Features),)


class SequenceExample(Message):
    _FIELDS = (Field("context", 1, Features), Field("feature_lists", 2, FeatureLists))
