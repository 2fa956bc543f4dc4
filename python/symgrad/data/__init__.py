"""``tf.data`` (as ``tf.compat.v1.data``): input pipelines and the iterators that feed graphs.

A ``Dataset`` is a lazy description of host-side elements (see ``dataset_ops``); an
``Iterator`` turns it into graph ops whose run pulls the next element (see ``iterator_ops``).
"""

from __future__ import annotations

from . import experimental
from .dataset_ops import (AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset,
                          DatasetV1, FixedLengthRecordDataset, Options, TFRecordDataset,
                          TextLineDataset)
from .iterator_ops import (Iterator, get_output_classes, get_output_shapes, get_output_types,
                           make_initializable_iterator, make_one_shot_iterator)

__all__ = [
    "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "DatasetV1", "Iterator", "Options", "TextLineDataset", "TFRecordDataset",
    "FixedLengthRecordDataset",
    "experimental", "get_output_classes", "get_output_shapes", "get_output_types",
    "make_initializable_iterator", "make_one_shot_iterator",
]
