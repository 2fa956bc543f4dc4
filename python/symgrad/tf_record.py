"""TFRecord files: ``tf.io.TFRecordWriter``, ``tf.io.tf_record_iterator``,
``TFRecordOptions`` and ``TFRecordCompressionType`` (also under ``tf.python_io``).

A record is ``uint64 length``, the masked CRC-32C of the length, the data and its masked
CRC-32C (``event_file`` has the framing). A GZIP or ZLIB file is the whole record stream
compressed as one gzip or zlib stream, as TF's ``ZlibOutputBuffer`` writes it, so Python's
``zlib`` reads and writes it.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from typing import Any, BinaryIO, Iterator, Optional

from . import errors
from .event_file import _record, masked_crc32c

__all__ = ["TFRecordWriter", "TFRecordOptions", "TFRecordCompressionType",
           "tf_record_iterator", "read_compressed", "fixed_length_records"]


class TFRecordCompressionType:
    """The compression of a TFRecord file."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_TYPE_NAMES = {TFRecordCompressionType.NONE: "", TFRecordCompressionType.ZLIB: "ZLIB",
               TFRecordCompressionType.GZIP: "GZIP"}


class TFRecordOptions:
    """How a TFRecord file is compressed. The zlib options (``compression_level``,
    ``window_bits``, ``mem_level``, ``compression_strategy``, ``flush_mode``: the zlib
    flush a writer's ``flush()`` does) are passed to ``zlib``; the buffer sizes and
    ``compression_method`` are accepted and change nothing."""

    compression_type_map = {"ZLIB": TFRecordCompressionType.ZLIB,
                            "GZIP": TFRecordCompressionType.GZIP,
                            "": TFRecordCompressionType.NONE}

    def __init__(self, compression_type: Any = None, flush_mode: Any = None,
                 input_buffer_size: Any = None, output_buffer_size: Any = None,
                 window_bits: Any = None, compression_level: Any = None,
                 compression_method: Any = None, mem_level: Any = None,
                 compression_strategy: Any = None) -> None:
        if isinstance(compression_type, bytes):
            compression_type = compression_type.decode()
        if compression_type is None:
            compression_type = ""
        if isinstance(compression_type, str):
            if compression_type not in self.compression_type_map:
                raise ValueError(f'Not a valid compression_type: "{compression_type}"')
        elif compression_type not in _TYPE_NAMES:
            raise ValueError(f'Not a valid compression_type: "{compression_type}"')
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options: Any) -> str:
        """``""``, ``"ZLIB"`` or ``"GZIP"`` for options, a compression type or a string."""
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return cls.get_compression_type_string(options.compression_type)
        if isinstance(options, (str, bytes)):
            return TFRecordOptions(options).compression_type  # type: ignore[no-any-return]
        if options in _TYPE_NAMES:
            return _TYPE_NAMES[options]
        raise ValueError(f'Not a valid compression_type: "{options}"')

    def _zlib_parameters(self) -> tuple[int, int, int]:
        """``(level, window bits, memory level)``; a GZIP stream adds 16 to the window bits
        as zlib wants for a gzip header."""
        level = -1 if self.compression_level is None else int(self.compression_level)
        wbits = zlib.MAX_WBITS if self.window_bits is None else int(self.window_bits)
        mem = 9 if self.mem_level is None else int(self.mem_level)
        if self.get_compression_type_string(self) == "GZIP":
            wbits += 16
        return level, wbits, mem


def _options(options: Any) -> TFRecordOptions:
    if isinstance(options, TFRecordOptions):
        return options
    return TFRecordOptions(TFRecordOptions.get_compression_type_string(options))


def _not_found(path: str) -> errors.NotFoundError:
    return errors.NotFoundError(None, None, f"{path}; No such file or directory")


def read_compressed(path: str, compression: str) -> bytes:
    """The bytes of ``path`` after undoing ``compression`` (``""``, ``"GZIP"``, ``"ZLIB"``);
    ``NotFoundError`` as TF's file system gives it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        raise _not_found(path) from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None
    try:
        if compression == "GZIP":
            return gzip.decompress(data)
        if compression == "ZLIB":
            return zlib.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise errors.DataLossError(None, None, f"{path}: {e}") from None
    return data


def read_records(stream: BinaryIO, truncated_ok: bool) -> Iterator[bytes]:
    """The records of a TFRecord stream; ``DataLossError`` with TF's texts on a corrupt
    record, and on one cut off at the end unless ``truncated_ok`` (an event file still
    being written)."""
    offset = 0
    while True:
        header = stream.read(12)
        if not header:
            return
        if len(header) < 12:
            if truncated_ok:
                return
            raise errors.DataLossError(None, None, f"truncated record at {offset}' failed "
                                       "with Read less bytes than requested")
        (length,) = struct.unpack("<Q", header[:8])
        if struct.unpack("<I", header[8:])[0] != masked_crc32c(header[:8]):
            hint = " (Is this even a TFRecord file?)" if offset == 0 else ""
            raise errors.DataLossError(None, None, f"corrupted record at {offset}{hint}")
        data = stream.read(length)
        footer = stream.read(4)
        if len(data) < length or len(footer) < 4:
            if truncated_ok:
                return
            raise errors.DataLossError(None, None, f"truncated record at {offset}' failed "
                                       "with Read less bytes than requested")
        if struct.unpack("<I", footer)[0] != masked_crc32c(data):
            raise errors.DataLossError(None, None, f"corrupted record at {offset}")
        offset += 16 + length
        yield data


def fixed_length_records(data: bytes, record_bytes: int, header_bytes: int, footer_bytes: int,
                         hop_bytes: int = 0) -> Iterator[bytes]:
    """The ``record_bytes``-long records between a file's header and footer, ``hop_bytes``
    apart when given (else back to back); a shorter tail is dropped, as TF does."""
    body = data[header_bytes:len(data) - footer_bytes]
    step = hop_bytes or record_bytes
    start = 0
    while start + record_bytes <= len(body):
        yield body[start:start + record_bytes]
        start += step


def tf_record_iterator(path: Any, options: Any = None) -> Iterator[bytes]:
    """``tf.io.tf_record_iterator``: the records of a TFRecord file, as ``bytes``."""
    path = _path_text(path)
    compression = TFRecordOptions.get_compression_type_string(_options(options))
    stream = io.BytesIO(read_compressed(path, compression))
    return read_records(stream, truncated_ok=False)


def _path_text(path: Any) -> str:
    if isinstance(path, bytes):
        return path.decode()
    return str(path)


class TFRecordWriter:
    """``tf.io.TFRecordWriter``: writes records to a TFRecord file, compressed as
    ``options`` says (a ``TFRecordOptions``, a compression type or its name)."""

    def __init__(self, path: Any, options: Any = None) -> None:
        path = _path_text(path)
        opts = _options(options)
        try:
            self._file: Optional[BinaryIO] = open(path, "wb")
        except (FileNotFoundError, NotADirectoryError):
            raise _not_found(path) from None
        self._compressor: Any = None
        self._flush_mode = zlib.Z_NO_FLUSH if opts.flush_mode is None else int(opts.flush_mode)
        if TFRecordOptions.get_compression_type_string(opts):
            level, wbits, mem = opts._zlib_parameters()
            strategy = 0 if opts.compression_strategy is None else int(
                opts.compression_strategy)
            self._compressor = zlib.compressobj(level, zlib.DEFLATED, wbits, mem, strategy)

    def _open_file(self) -> BinaryIO:
        if self._file is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        return self._file

    def write(self, record: Any) -> None:
        """Appends one record (``bytes``, or ``str`` written as UTF-8)."""
        f = self._open_file()
        data = record.encode("utf-8") if isinstance(record, str) else bytes(record)
        framed = _record(data)
        f.write(self._compressor.compress(framed) if self._compressor else framed)

    def flush(self) -> None:
        f = self._open_file()
        # As TF's ZlibOutputBuffer: the compressor is flushed only with a ``flush_mode``
        # other than Z_NO_FLUSH, so that the bytes are TF's.
        if self._compressor is not None and self._flush_mode != zlib.Z_NO_FLUSH:
            f.write(self._compressor.flush(self._flush_mode))
        f.flush()

    def close(self) -> None:
        if self._file is None:
            return
        if self._compressor is not None:
            self._file.write(self._compressor.flush(zlib.Z_FINISH))
        self._file.close()
        self._file = None

    def __enter__(self) -> "TFRecordWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
