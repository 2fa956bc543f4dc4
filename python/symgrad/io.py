"""``tf.io`` (as ``tf.compat.v1.io``): TFRecord files, ``Example`` parsing, decoding and
file ops."""

from __future__ import annotations

from . import io_gfile as gfile
from .io_ops import matching_files, parse_tensor, read_file, serialize_tensor, write_file
from .parsing_ops import (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature, decode_csv,
                          decode_raw, parse_example, parse_single_example,
                          parse_single_sequence_example)
from .tf_record import (TFRecordCompressionType, TFRecordOptions, TFRecordWriter,
                        tf_record_iterator)

__all__ = ["TFRecordWriter", "TFRecordOptions", "TFRecordCompressionType",
           "tf_record_iterator", "FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature",
           "parse_example", "parse_single_example", "parse_single_sequence_example",
           "decode_raw", "decode_csv", "read_file",
           "write_file", "matching_files", "serialize_tensor", "parse_tensor", "gfile"]
