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

from .data_flow_ops import (FIFOQueue, PaddingFIFOQueue, QueueBase,  # noqa: E402,F401
                            RandomShuffleQueue)
from .event_file import write_graph  # noqa: E402,F401
from .string_more import decode_base64, encode_base64  # noqa: E402,F401
from .train.input import match_filenames_once  # noqa: E402,F401

__all__ += ["FIFOQueue", "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue", "write_graph",
            "decode_base64", "encode_base64", "match_filenames_once"]
