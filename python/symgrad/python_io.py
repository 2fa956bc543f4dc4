"""``tf.python_io`` (TF 1): writing and reading TFRecord files."""

from __future__ import annotations

from .tf_record import (TFRecordCompressionType, TFRecordOptions, TFRecordWriter,
                        tf_record_iterator)

__all__ = ["TFRecordWriter", "TFRecordOptions", "TFRecordCompressionType",
           "tf_record_iterator"]
