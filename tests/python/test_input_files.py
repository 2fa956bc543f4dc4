"""tf.train.Example protos, TFRecord files, parsing and decoding ops, SparseTensor.

Expected bytes, values and messages were produced by TensorFlow 2.21 (tf.compat.v1 graph
mode) and are written here as literals, so this file runs without TF.
"""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

import symgrad as tf
from gradient_checker import compute_gradient_error, compute_second_order_error

# TF's bytes for the Example built by _example() (SerializeToString, map keys sorted).
TF_EXAMPLE_BYTES = (
    b"\n:\n\x11\n\x01a\x12\x0c\x12\n\n\x08\x00\x00\xc0?\x00\x00\x00@\n\x16\n\x01b\x12\x11"
    b"\x1a\x0f\n\r\x01\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\xac\x02\n\r\n\x01c\x12\x08"
    b"\n\x06\n\x02xy\n\x00")
# TF's TFRecordWriter file for the records b"hello", "wörld", b"" (no compression).
TF_RECORDS = (
    b"\x05\x00\x00\x00\x00\x00\x00\x00\xea\xb2\x04>hello\xbb\x1f\x1c\x19\x06\x00\x00\x00"
    b"\x00\x00\x00\x00si\xd57w\xc3\xb6rldj\x892Z\x00\x00\x00\x00\x00\x00\x00\x00)\x03\x98"
    b"\x07\xd8\xea\x82\xa2")
# The same records written by TF with options "ZLIB" and "GZIP".
TF_RECORDS_ZLIB = (
    b"x\x9cbe\x80\x80W\x9bX\xec2Rsr\xf2w\xcb\xcbH\xb2A\x05\x8b3\xaf\x9a\x97\x1f\xdeV\x94"
    b"\x93\x92\xd5i\x14\x05\x10`PA\x06M\xe6\x19\xec7^5-\x02\x00\x94\x86\x0fW")
TF_RECORDS_GZIP = (
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03be\x80\x80W\x9bX\xec2Rsr\xf2w\xcb\xcbH\xb2A"
    b"\x05\x8b3\xaf\x9a\x97\x1f\xdeV\x94\x93\x92\xd5i\x14\x05\x10`PA\x06M\xe6\x19\xec7^5-"
    b"\x02\x00\xd6\xf0\xfd\xd4;\x00\x00\x00")
RECORDS = [b"hello", "wörld".encode(), b""]


def _example(**features):
    built = {}
    for key, values in features.items():
        if isinstance(values[0], float):
            built[key] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        elif isinstance(values[0], int):
            built[key] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        else:
            built[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
    return tf.train.Example(features=tf.train.Features(feature=built))


def _tf_example():
    return _example(b=[1, -2, 300], a=[1.5, 2.0], c=[b"xy", b""])


def _message(error) -> str:
    return error.value.message.split("\n\t")[0]


# ----- protos ---------------------------------------------------------------------------------
def test_example_serializes_as_tf():
    assert _tf_example().SerializeToString() == TF_EXAMPLE_BYTES


def test_example_parses_tf_bytes():
    ex = tf.train.Example.FromString(TF_EXAMPLE_BYTES)
    feature = ex.features.feature
    assert list(feature["b"].int64_list.value) == [1, -2, 300]
    assert list(feature["a"].float_list.value) == [1.5, 2.0]
    assert list(feature["c"].bytes_list.value) == [b"xy", b""]
    assert feature["a"].WhichOneof("kind") == "float_list"
    other = tf.train.Example()
    assert other.ParseFromString(TF_EXAMPLE_BYTES) == len(TF_EXAMPLE_BYTES)
    assert other == ex


def test_example_built_through_attributes():
    ex = tf.train.Example()
    ex.features.feature["q"].int64_list.value.append(3)
    assert ex.SerializeToString() == b"\n\x0c\n\n\n\x01q\x12\x05\x1a\x03\n\x01\x03"


def test_sequence_example_round_trip():
    seq = tf.train.SequenceExample(
        context=tf.train.Features(feature={"n": tf.train.Feature(
            int64_list=tf.train.Int64List(value=[2]))}),
        feature_lists=tf.train.FeatureLists(feature_list={"tok": tf.train.FeatureList(
            feature=[tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a"])),
                     tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"b"]))])}))
    # TF 2.21's bytes for this message.
    expected = (b"\n\x0c\n\n\n\x01n\x12\x05\x1a\x03\n\x01\x02\x12\x17\n\x15\n\x03tok\x12"
                b"\x0e\n\x05\n\x03\n\x01a\n\x05\n\x03\n\x01b")
    assert seq.SerializeToString() == expected
    back = tf.train.SequenceExample.FromString(expected)
    assert [f.bytes_list.value[0] for f in back.feature_lists.feature_list["tok"].feature] == \
        [b"a", b"b"]


def test_proto_type_errors_as_protobuf():
    with pytest.raises(TypeError):
        tf.train.Int64List(value=[1.5])
    with pytest.raises(ValueError, match="has no \"bogus\" field"):
        tf.train.Feature(bogus=1)


# ----- TFRecord files -------------------------------------------------------------------------
def _write(path, options=None):
    with tf.io.TFRecordWriter(str(path), options=options) as writer:
        writer.write(b"hello")
        writer.write("wörld")
        writer.flush()
        writer.write(b"")


def test_writer_bytes_are_tfs(tmp_path):
    path = tmp_path / "a.tfr"
    _write(path)
    assert path.read_bytes() == TF_RECORDS


@pytest.mark.parametrize("compression,data", [("", TF_RECORDS), ("ZLIB", TF_RECORDS_ZLIB),
                                              ("GZIP", TF_RECORDS_GZIP)])
def test_reads_files_written_by_tf(tmp_path, compression, data):
    path = tmp_path / "tf.tfr"
    path.write_bytes(data)
    options = tf.io.TFRecordOptions(compression)
    assert list(tf.python_io.tf_record_iterator(str(path), options=options)) == RECORDS
    assert list(tf.io.tf_record_iterator(str(path), compression)) == RECORDS


@pytest.mark.parametrize("compression,decompress", [
    ("ZLIB", zlib.decompress), ("GZIP", gzip.decompress),
    (tf.io.TFRecordCompressionType.GZIP, gzip.decompress)])
def test_compressed_writer(tmp_path, compression, decompress):
    path = tmp_path / "c.tfr"
    _write(path, tf.io.TFRecordOptions(compression_type=compression))
    assert decompress(path.read_bytes()) == TF_RECORDS
    assert list(tf.io.tf_record_iterator(str(path), tf.io.TFRecordOptions(compression))) == \
        RECORDS


def test_writer_closed_and_missing_directory(tmp_path):
    writer = tf.io.TFRecordWriter(str(tmp_path / "x.tfr"))
    writer.close()
    with pytest.raises(tf.errors.FailedPreconditionError, match="Writer is closed."):
        writer.write(b"x")
    with pytest.raises(tf.errors.NotFoundError,
                       match="/nonexist/a.tfr; No such file or directory"):
        tf.io.TFRecordWriter("/nonexist/a.tfr")
    with pytest.raises(tf.errors.NotFoundError,
                       match="/nonexist/a.tfr; No such file or directory"):
        list(tf.io.tf_record_iterator("/nonexist/a.tfr"))


def test_options_and_compression_types():
    opts = tf.io.TFRecordOptions
    assert opts.get_compression_type_string(tf.io.TFRecordCompressionType.GZIP) == "GZIP"
    assert opts.get_compression_type_string(None) == ""
    assert opts.get_compression_type_string(opts("ZLIB")) == "ZLIB"
    assert (tf.python_io.TFRecordCompressionType.NONE, tf.python_io.TFRecordCompressionType.ZLIB,
            tf.python_io.TFRecordCompressionType.GZIP) == (0, 1, 2)
    with pytest.raises(ValueError, match='Not a valid compression_type: "BAD"'):
        opts("BAD")


def test_corrupt_and_truncated_records(tmp_path):
    bad = tmp_path / "bad.tfr"
    bad.write_bytes(b"\x05" + b"\0" * 20)
    with pytest.raises(tf.errors.DataLossError) as e:
        list(tf.io.tf_record_iterator(str(bad)))
    assert e.value.message == "corrupted record at 0 (Is this even a TFRecord file?)"
    cut = tmp_path / "cut.tfr"
    cut.write_bytes(TF_RECORDS[:-3])
    with pytest.raises(tf.errors.DataLossError) as e:
        list(tf.io.tf_record_iterator(str(cut)))
    assert e.value.message == ("truncated record at 43' failed with Read less bytes than "
                               "requested")


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_tfrecord_dataset(tmp_path, compression):
    paths = []
    for i in range(2):
        path = tmp_path / f"d{i}.tfr"
        with tf.io.TFRecordWriter(str(path), compression) as writer:
            writer.write(f"r{i}a")
            writer.write(f"r{i}b")
        paths.append(str(path))
    with tf.Graph().as_default():
        names = tf.placeholder(tf.string, [None])
        dataset = tf.data.TFRecordDataset(names, compression_type=compression or None,
                                          buffer_size=1024)
        assert dataset.output_types == tf.string and dataset.output_shapes == []
        it = tf.data.make_initializable_iterator(dataset)
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {names: paths})
            assert [sess.run(nxt) for _ in range(4)] == [b"r0a", b"r0b", b"r1a", b"r1b"]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)


def test_tfrecord_dataset_rejects_bad_filenames():
    with pytest.raises(TypeError, match="must be a `tf.Tensor` of dtype `tf.string`"):
        tf.data.TFRecordDataset(tf.constant([1, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unsupported compression_type"):
        tf.data.TFRecordDataset(["x"], compression_type="LZ4")


# ----- parsing --------------------------------------------------------------------------------
def test_parse_single_example_graph_and_values():
    with tf.Graph().as_default() as g:
        s = tf.placeholder(tf.string, [])
        parsed = tf.parse_single_example(s, {
            "a": tf.FixedLenFeature([2], tf.float32), "b": tf.VarLenFeature(tf.int64),
            "c": tf.FixedLenFeature([2], tf.string),
            "d": tf.FixedLenFeature([], tf.int64, default_value=7)})
        assert parsed["a"].name == "ParseSingleExample/ParseExample/ParseExampleV2:3"
        assert parsed["a"].shape == [2] and parsed["a"].dtype == tf.float32
        assert parsed["c"].shape == [2] and parsed["c"].dtype == tf.string
        assert parsed["d"].shape == [] and parsed["d"].dtype == tf.int64
        b = parsed["b"]
        assert isinstance(b, tf.SparseTensor)
        assert b.indices.name == "ParseSingleExample/ParseExample/ParseExampleV2:0"
        assert b.indices.shape.as_list() == [None, 1] and b.dense_shape.shape == [1]
        assert g.get_operation_by_name("ParseSingleExample/ParseExample/ParseExampleV2")
        with tf.Session() as sess:
            out = sess.run(parsed, {s: TF_EXAMPLE_BYTES})
    np.testing.assert_array_equal(out["a"], np.array([1.5, 2.0], np.float32))
    assert out["a"].dtype == np.float32
    assert isinstance(out["b"], tf.SparseTensorValue)
    np.testing.assert_array_equal(out["b"].indices, [[0], [1], [2]])
    np.testing.assert_array_equal(out["b"].values, [1, -2, 300])
    np.testing.assert_array_equal(out["b"].dense_shape, [3])
    assert list(out["c"]) == [b"xy", b""]
    assert out["d"] == 7 and out["d"].dtype == np.int64


def _run_parse(parse, features, feed):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [] if parse is tf.parse_single_example else [None])
        with tf.Session() as sess:
            return sess.run(parse(s, features), {s: feed})


E1 = _example(a=[1.0, 2.0], b=[1, 2, 3], s=[b"x"]).SerializeToString()
E2 = _example(a=[3.0], b=[4]).SerializeToString()


def test_parse_example_batch():
    out = _run_parse(tf.parse_example, {
        "a": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
        "b": tf.VarLenFeature(tf.int64),
        "q": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True,
                                        default_value=-1.0),
        "s": tf.FixedLenFeature([], tf.string, default_value="d")}, [E1, E2])
    np.testing.assert_array_equal(out["b"].indices, [[0, 0], [0, 1], [0, 2], [1, 0]])
    np.testing.assert_array_equal(out["b"].values, [1, 2, 3, 4])
    np.testing.assert_array_equal(out["b"].dense_shape, [2, 3])
    np.testing.assert_array_equal(out["a"], [[1.0, 2.0], [3.0, 0.0]])
    assert out["q"].shape == (2, 0) and out["q"].dtype == np.float32
    assert list(out["s"]) == [b"x", b"d"]


def test_parse_example_padding_and_static_shapes():
    out = _run_parse(tf.parse_example, {"a": tf.FixedLenSequenceFeature(
        [], tf.float32, allow_missing=True, default_value=-1.0)}, [E1, E2])
    np.testing.assert_array_equal(out["a"], [[1.0, 2.0], [3.0, -1.0]])
    with tf.Graph().as_default():
        r = tf.parse_example(tf.placeholder(tf.string, [4]), {
            "a": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True),
            "b": tf.VarLenFeature(tf.int64), "c": tf.FixedLenFeature([2, 3], tf.float32)})
        assert r["a"].shape.as_list() == [4, None]
        assert r["c"].shape.as_list() == [4, 2, 3]
        assert r["b"].indices.shape.as_list() == [None, 2]
        assert r["c"].name == "ParseExample/ParseExampleV2:4"
        single = tf.parse_single_example(tf.placeholder(tf.string, []), {
            "a": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True)})
        assert single["a"].shape.as_list() == [None]


def test_parse_sequence_feature_of_vectors():
    out = _run_parse(tf.parse_single_example, {"a": tf.FixedLenSequenceFeature(
        [2], tf.float32, allow_missing=True)}, E1)
    np.testing.assert_array_equal(out["a"], [[1.0, 2.0]])


@pytest.mark.parametrize("parse,features,feed,message", [
    (tf.parse_example, {"z": tf.FixedLenFeature([], tf.int64)}, [E1, E2],
     "Name: <unknown>, Feature: z (data type: int64) is required but could not be found."),
    (tf.parse_single_example, {"z": tf.FixedLenFeature([], tf.int64)}, E1,
     "Feature: z (data type: int64) is required but could not be found."),
    (tf.parse_example, {"a": tf.FixedLenFeature([2], tf.float32)}, [E1, E2],
     "Name: <unknown>, Key: a, Index: 1.  Number of float values != expected.  Values size: 1 "
     "but output shape: [2]"),
    (tf.parse_single_example, {"a": tf.FixedLenFeature([1], tf.float32)}, E1,
     "Key: a.  Can't parse serialized Example: Some float_list slice was not parsed."),
    (tf.parse_example, {"a": tf.FixedLenFeature([2], tf.int64)}, [E1, E2],
     "Name: <unknown>, Key: a, Index: 0.  Data types don't match. Data type: float but "
     "expected type: int64"),
    (tf.parse_example, {"a": tf.VarLenFeature(tf.int64)}, [E1, E2],
     "Name: <unknown>, Key: a, Index: 0.  Data types don't match. Expected type: int64, "
     "Actual type: float"),
    (tf.parse_single_example, {"a": tf.VarLenFeature(tf.string)}, E1,
     "Key: a.  Data types don't match. Expected type: string, Actual type: float"),
    (tf.parse_single_example, {"b": tf.FixedLenSequenceFeature([2], tf.int64,
                                                               allow_missing=True)}, E1,
     "Error while parsing feature with key b: number of elements should be divisible by 2, "
     "found 3 instead"),
    (tf.parse_example, {"a": tf.FixedLenFeature([2], tf.float32)}, [b"garbage"],
     "Could not parse example input, value: 'garbage'"),
])
def test_parse_errors_as_tf(parse, features, feed, message):
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _run_parse(parse, features, feed)
    assert _message(e) == message


def test_parse_argument_errors_as_tf():
    s = tf.placeholder(tf.string, [])
    with pytest.raises(ValueError, match="Unsupported: FixedLenSequenceFeature requires "
                                         "allow_missing to be True."):
        tf.parse_single_example(s, {"a": tf.FixedLenSequenceFeature([], tf.float32)})
    with pytest.raises(TypeError, match="Value passed to parameter 'dense_defaults' has "
                                        "DataType int32 not in list of allowed values: "
                                        "float32, int64, string"):
        tf.parse_single_example(s, {"a": tf.FixedLenFeature([], tf.int32)})
    with pytest.raises(ValueError, match="Invalid argument: features cannot be empty."):
        tf.parse_single_example(s, {})
    with pytest.raises(ValueError) as e:
        tf.parse_single_example(s, {"a": tf.FixedLenFeature([None], tf.float32)})
    assert str(e.value) == (
        "First dimension of shape for feature a unknown. Consider using "
        "FixedLenSequenceFeature. Received feature=FixedLenFeature(shape=[None], "
        "dtype=tf.float32, default_value=None).")


def _examples_file(tmp_path) -> str:
    path = tmp_path / "ex.tfr"
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(E1)
        writer.write(E2)
    return str(path)


def test_parse_in_dataset_map(tmp_path):
    path = _examples_file(tmp_path)
    with tf.Graph().as_default():
        dataset = tf.data.TFRecordDataset([path]).map(
            lambda r: tf.parse_single_example(r, {"b": tf.FixedLenSequenceFeature(
                [], tf.int64, allow_missing=True)})["b"])
        nxt = tf.data.make_one_shot_iterator(dataset).get_next()
        with tf.Session() as sess:
            assert sess.run(nxt).tolist() == [1, 2, 3]
            assert sess.run(nxt).tolist() == [4]


# ----- decode_raw, decode_csv, files ----------------------------------------------------------
def test_decode_raw():
    with tf.Graph().as_default():
        b = tf.placeholder(tf.string, [None])
        x = tf.decode_raw(b, tf.int16)
        assert x.op.name == "DecodeRaw" and x.dtype == tf.int16
        assert x.shape.as_list() == [None, None]
        big = tf.io.decode_raw(b, tf.int16, little_endian=False)
        floats = tf.io.decode_raw(tf.constant(b"\x00\x00\x80?"), tf.float32)
        with tf.Session() as sess:
            np.testing.assert_array_equal(
                sess.run(x, {b: [b"\x01\x00\x02\x00", b"\x03\x00\x04\x01"]}),
                [[1, 2], [3, 260]])
            np.testing.assert_array_equal(sess.run(big, {b: [b"\x01\x00\x02\x00"]}),
                                          [[256, 512]])
            assert sess.run(floats).tolist() == [1.0]
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(x, {b: [b"\x01\x00\x02", b"\x03\x00\x04"]})
            assert _message(e) == ("Input to DecodeRaw has length 3 that is not a multiple "
                                   "of 2, the size of int16")
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(x, {b: [b"\x01\x00\x02\x00", b"\x03\x00"]})
            assert _message(e) == ("DecodeRaw requires input strings to all be the same size, "
                                   "but element 1 has size 2 != 4")


def _csv(records, defaults, **kwargs):
    with tf.Graph().as_default():
        r = tf.placeholder(tf.string, [None])
        out = tf.decode_csv(r, defaults, **kwargs)
        with tf.Session() as sess:
            return sess.run(out, {r: records})


def test_decode_csv_values_and_graph():
    with tf.Graph().as_default():
        r = tf.placeholder(tf.string, [None])
        out = tf.decode_csv(r, [[1.0], [0], [""], tf.constant([], tf.int64), [2.5]])
        assert [t.name for t in out] == [f"DecodeCSV:{i}" for i in range(5)]
        assert [t.dtype for t in out] == [tf.float32, tf.int32, tf.string, tf.int64,
                                          tf.float32]
        assert all(t.shape.as_list() == [None] for t in out)
        with tf.Session() as sess:
            got = sess.run(out, {r: ["1.5,2,ab,7,", ',,"x,y",8,3']})
    np.testing.assert_array_equal(got[0], [1.5, 1.0])
    np.testing.assert_array_equal(got[1], [2, 0])
    assert list(got[2]) == [b"ab", b"x,y"]
    np.testing.assert_array_equal(got[3], [7, 8])
    np.testing.assert_array_equal(got[4], [2.5, 3.0])


def test_decode_csv_options():
    got = _csv(["1,2,\"a\"\"b\",1,1"], [[1.0], [0], [""], [0], [1.0]])
    assert list(got[2]) == [b'a"b']
    got = _csv(["1\t\"x\""], [[1.0], [""]], field_delim="\t", use_quote_delim=False)
    assert list(got[1]) == [b'"x"']
    got = _csv(["NA,NA", "3,4"], [[1.0], [5]], na_value="NA")
    assert got[0].tolist() == [1.0, 3.0] and got[1].tolist() == [5, 4]
    got = _csv(["1,x,3"], [[1.0], [5]], select_cols=[0, 2])
    assert got[0].tolist() == [1.0] and got[1].tolist() == [3]
    got = _csv(["1, 2"], [[1.0], [5]])
    assert got[1].tolist() == [2]
    got = _csv(["1.5,7"], [np.array([0.0]), np.array([0], np.int64)])
    assert got[0].dtype == np.float64 and got[1].dtype == np.int64


@pytest.mark.parametrize("records,defaults,kwargs,message", [
    (["1.5,2,ab,7"], [[1.0], [0], [""], [0], [2.5]], {}, "Expect 5 fields but have 4 in record 0"),
    (["1.5,2,ab,,1"], [[1.0], [0], [""], np.zeros(0, np.int64), [2.5]], {},
     "Field 3 is required but missing in record 0!"),
    (["zz,2"], [[1.0], [0]], {}, "Field 0 in record 0 is not a valid float: zz"),
    (["1,2.5"], [[1.0], [0]], {}, "Field 1 in record 0 is not a valid int32: 2.5"),
    (["1,99999999999"], [[1.0], [0]], {},
     "Field 1 in record 0 is not a valid int32: 99999999999"),
    (["1,a\"b"], [[1.0], [""]], {}, "Unquoted fields cannot have quotes/CRLFs inside"),
    (["1,\"ab"], [[1.0], [""]], {}, "Quoted field has to end with quote followed by delim or end"),
    (["1,x"], [[1.0], [5]], {"select_cols": [0, 2]}, "Expect 2 fields but have 1 in record 0"),
])
def test_decode_csv_errors_as_tf(records, defaults, kwargs, message):
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _csv(records, defaults, **kwargs)
    assert _message(e) == message


def test_decode_csv_argument_errors():
    r = tf.placeholder(tf.string, [None])
    with pytest.raises(ValueError, match="select_cols is not strictly increasing."):
        tf.decode_csv(r, [[1.0], [5]], select_cols=[2, 0])
    with pytest.raises(ValueError, match="Length of select_cols and record_defaults do not"):
        tf.decode_csv(r, [[1.0], [5]], select_cols=[0])
    with pytest.raises(TypeError, match="has DataType bool not in list of allowed values: "
                                        "float32, float64, int32, int64, string"):
        tf.decode_csv(r, [[True]])


def test_file_ops(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    with tf.Graph().as_default():
        write = tf.io.write_file(str(target), "hi")
        assert write.type == "PyFunc" and write.name == "WriteFile"
        read = tf.read_file(str(target))
        assert read.op.name == "ReadFile" and read.shape == [] and read.dtype == tf.string
        found = tf.matching_files(str(tmp_path / "*" / "*.txt"))
        several = tf.io.matching_files([str(tmp_path / "sub" / "*"), str(tmp_path / "zz*")])
        assert found.shape.as_list() == [None]
        missing = tf.io.read_file("/nonexist/x")
        with tf.Session() as sess:
            sess.run(write)
            assert sess.run(read) == b"hi"
            assert sess.run(found).tolist() == [str(target).encode()]
            assert sess.run(several).tolist() == [str(target).encode()]
            with pytest.raises(tf.errors.NotFoundError) as e:
                sess.run(missing)
            assert _message(e) == "/nonexist/x; No such file or directory"


# ----- SparseTensor ---------------------------------------------------------------------------
def test_sparse_tensor_basics():
    with tf.Graph().as_default() as g:
        sp = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
        assert [(op.name, op.type) for op in g.get_operations()] == [
            ("SparseTensor/indices", "Const"), ("SparseTensor/values", "Const"),
            ("SparseTensor/dense_shape", "Const")]
        assert sp.get_shape() == [3, 4] and sp.shape == [3, 4]
        assert sp.dtype == tf.float32 and sp.op.name == "SparseTensor/values"
        assert sp.graph is g and sp.indices.dtype == tf.int64
        assert repr(sp).startswith("SparseTensor(indices=")
        with tf.Session() as sess:
            value = sess.run(sp)
            assert isinstance(value, tf.SparseTensorValue)
            assert value.indices.tolist() == [[0, 0], [1, 2]]
            assert value.dense_shape.tolist() == [3, 4]
            assert sp.eval(session=sess).values.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="Dimensions 1 and 2 are not compatible"):
        tf.SparseTensor([[0, 0]], [1.0, 2.0], [3, 4, 5])


def test_sparse_placeholders():
    with tf.Graph().as_default():
        p = tf.sparse_placeholder(tf.float32, shape=[None, 5], name="sp")
        assert p.indices.name == "sp/indices:0" and p.values.name == "sp/values:0"
        assert p.dense_shape.name == "sp/shape:0"
        assert p.shape.as_list() == [None, 5]
        assert p.indices.shape.as_list() == [None, 2]
        q = tf.sparse_placeholder(tf.int32)
        assert q.shape.rank is None and q.dense_shape.shape.as_list() == [None]
        r = tf.sparse.placeholder(tf.float32, shape=[2, 5])
        assert r.shape == [2, 5] and r.dense_shape.op.type == "PlaceholderWithDefault"
        dense = tf.sparse.to_dense(p, default_value=-1.0)
        with tf.Session() as sess:
            got = sess.run(dense, {p: tf.SparseTensorValue([[0, 1], [1, 4]], [5.0, 6.0],
                                                           [2, 5])})
            np.testing.assert_array_equal(got, [[-1, 5, -1, -1, -1], [-1, -1, -1, -1, 6]])
            got = sess.run(tf.sparse_tensor_to_dense(r), {r: ([[0, 1]], [5.0], [2, 5])})
            np.testing.assert_array_equal(got, [[0, 5, 0, 0, 0], [0, 0, 0, 0, 0]])
            fed = sess.run(p, {p: ([[0, 1]], [5.0], [2, 5])})
            assert fed.values.tolist() == [5.0]


@pytest.mark.parametrize("indices,message", [
    ([[1, 1], [0, 1]], "indices[1] = [0,1] is out of order. Many sparse ops require sorted "
                       "indices.\n    Use `tf.sparse.reorder` to create a correctly ordered "
                       "copy.\n\n"),
    ([[0, 1], [0, 1]], "indices[1] = [0,1] is repeated"),
    ([[0, 7], [1, 1]], "indices[0] = [0,7] is out of bounds: need 0 <= index < [2,5]"),
    ([[-1, 0], [1, 1]], "indices[0] = [-1,0] is out of bounds: need 0 <= index < [2,5]"),
])
def test_sparse_to_dense_validation_as_tf(indices, message):
    with tf.Graph().as_default():
        p = tf.sparse_placeholder(tf.float32, shape=[None, 5])
        dense = tf.sparse.to_dense(p)
        assert dense.op.name == "SparseToDense"
        unchecked = tf.sparse.to_dense(p, validate_indices=False)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(dense, {p: (indices, [5.0, 6.0], [2, 5])})
            assert _message(e) == message
            if indices[0][0] >= 0 and indices[0][1] < 5:
                sess.run(unchecked, {p: (indices, [5.0, 6.0], [2, 5])})


def test_sparse_to_dense_values_shape_error():
    with tf.Graph().as_default():
        p = tf.sparse_placeholder(tf.float32, shape=[None, 5])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(tf.sparse.to_dense(p), {p: ([[1, 1]], [5.0, 6.0], [2, 5])})
    assert _message(e) == "sparse_values has incorrect shape [2], should be [] or [1]"


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.int32, tf.int64, tf.uint8,
                                   tf.bool, tf.string])
def test_sparse_to_dense_dtypes(dtype):
    values = {tf.bool: [True, True], tf.string: [b"a", b"b"]}.get(dtype, [3, 4])
    with tf.Graph().as_default():
        sp = tf.SparseTensor([[0], [2]], tf.constant(values, dtype=dtype), [3])
        with tf.Session() as sess:
            got = sess.run(tf.sparse.to_dense(sp))
    assert got.dtype == dtype.as_numpy_dtype
    assert got.tolist()[0] == values[0] and got.tolist()[2] == values[1]


def test_sparse_to_dense_gradients():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, [3])
        default = tf.placeholder(tf.float64, [])
        dense = tf.sparse_to_dense([[0, 1], [1, 0], [1, 2]], [2, 3], x, default)
        y = dense * dense
        x0 = np.array([0.5, -1.5, 2.0])
        assert compute_gradient_error([x, default], y, [x0, np.float64(0.7)]) < 1e-7
        assert compute_second_order_error([x, default], y, [x0, np.float64(0.7)]) < 1e-7
        gx, gd = tf.gradients(tf.reduce_sum(dense), [x, default])
        with tf.Session() as sess:
            vx, vd = sess.run([gx, gd], {x: x0, default: 0.7})
    assert vx.tolist() == [1.0, 1.0, 1.0] and vd == 3.0


def test_sparse_tensor_from_parsing_feeds_to_dense():
    out = _run_parse(tf.parse_example, {"b": tf.VarLenFeature(tf.int64)}, [E1, E2])
    with tf.Graph().as_default():
        p = tf.sparse_placeholder(tf.int64)
        with tf.Session() as sess:
            dense = sess.run(tf.sparse.to_dense(p), {p: out["b"]})
    np.testing.assert_array_equal(dense, [[1, 2, 3], [4, 0, 0]])


# ----- SparseTensor elements in tf.data --------------------------------------------------------
def test_dataset_map_returning_sparse_tensors_and_batching():
    with tf.Graph().as_default():
        def make(i):
            return (tf.SparseTensor(tf.reshape(tf.range(i), [-1, 1]),
                                    tf.ones([i], tf.float32) * tf.cast(i, tf.float32),
                                    tf.reshape(i, [1])), i)

        ds = tf.data.Dataset.range(1, 4).map(make)
        assert ds.output_types == (tf.float32, tf.int64)
        assert ds.output_classes == (tf.SparseTensor, tf.Tensor)
        assert ds.output_shapes[0].as_list() == [None]
        dense = ds.map(lambda sp, i: tf.sparse.to_dense(sp))
        batched = ds.batch(2)
        assert batched.output_shapes[0].as_list() == [None, None]
        element = tf.data.make_one_shot_iterator(ds).get_next()
        assert isinstance(element[0], tf.SparseTensor)
        assert element[0].indices.shape.as_list() == [None, 1]
        dense_next = tf.data.make_one_shot_iterator(dense).get_next()
        batch_next = tf.data.make_one_shot_iterator(batched).get_next()
        with tf.Session() as sess:
            first = sess.run(element)
            assert isinstance(first[0], tf.SparseTensorValue)
            assert first[0].values.tolist() == [1.0] and first[1] == 1
            assert [sess.run(dense_next).tolist() for _ in range(3)] == [
                [1.0], [2.0, 2.0], [3.0, 3.0, 3.0]]
            sp, ids = sess.run(batch_next)
            assert sp.indices.tolist() == [[0, 0], [1, 0], [1, 1]]
            assert sp.values.tolist() == [1.0, 2.0, 2.0] and sp.dense_shape.tolist() == [2, 2]
            assert ids.tolist() == [1, 2]
            sp, _ = sess.run(batch_next)
            assert sp.dense_shape.tolist() == [1, 3]
        with pytest.raises(TypeError, match="does not take SparseTensor elements"):
            ds.unbatch()
        with pytest.raises(TypeError, match="does not take SparseTensor elements"):
            ds.padded_batch(2, padded_shapes=([None], []))


def test_tfrecord_dataset_parsed_with_var_len_features(tmp_path):
    path = _examples_file(tmp_path)
    with tf.Graph().as_default():
        ds = tf.data.TFRecordDataset(path).map(
            lambda r: tf.parse_single_example(r, {"b": tf.VarLenFeature(tf.int64),
                                                  "a": tf.VarLenFeature(tf.float32)}))
        batch = tf.data.make_one_shot_iterator(ds.batch(2)).get_next()
        with tf.Session() as sess:
            out = sess.run({"b": tf.sparse.to_dense(batch["b"]), "a": batch["a"]})
    assert out["b"].tolist() == [[1, 2, 3], [4, 0, 0]]
    assert out["a"].values.tolist() == [1.0, 2.0, 3.0]


# ----- SequenceExample parsing ----------------------------------------------------------------
def _sequence_example():
    feature = tf.train.Feature
    return tf.train.SequenceExample(
        context=tf.train.Features(feature={
            "n": feature(int64_list=tf.train.Int64List(value=[2])),
            "lbl": feature(float_list=tf.train.FloatList(value=[0.5]))}),
        feature_lists=tf.train.FeatureLists(feature_list={
            "tok": tf.train.FeatureList(feature=[
                feature(bytes_list=tf.train.BytesList(value=[b"a"])),
                feature(bytes_list=tf.train.BytesList(value=[b"b"]))]),
            "v": tf.train.FeatureList(feature=[
                feature(int64_list=tf.train.Int64List(value=[1, 2])),
                feature(int64_list=tf.train.Int64List(value=[3]))])})).SerializeToString()


def test_parse_single_sequence_example_as_tf():
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        context, lists = tf.io.parse_single_sequence_example(
            s, context_features={"n": tf.FixedLenFeature([], tf.int64),
                                 "lbl": tf.VarLenFeature(tf.float32),
                                 "d": tf.FixedLenFeature([2], tf.float32,
                                                         default_value=[1.0, 2.0])},
            sequence_features={"tok": tf.FixedLenSequenceFeature([], tf.string),
                               "v": tf.VarLenFeature(tf.int64),
                               "m": tf.FixedLenSequenceFeature([2], tf.float32,
                                                               allow_missing=True)})
        prefix = "ParseSingleSequenceExample/ParseSequenceExample/ParseSequenceExampleV2"
        assert context["lbl"].indices.name == f"{prefix}:0"
        assert context["d"].name == f"{prefix}:3" and context["n"].shape == []
        assert lists["v"].indices.name == f"{prefix}:5"
        assert lists["v"].indices.shape.as_list() == [None, 2]
        assert lists["m"].name == f"{prefix}:8" and lists["m"].shape.as_list() == [None, 2]
        assert lists["tok"].shape.as_list() == [None] and lists["tok"].dtype == tf.string
        with tf.Session() as sess:
            ctx, seq = sess.run((context, lists), {s: _sequence_example()})
    assert ctx["n"] == 2 and ctx["d"].tolist() == [1.0, 2.0]
    assert ctx["lbl"].values.tolist() == [0.5] and ctx["lbl"].indices.tolist() == [[0]]
    assert seq["v"].indices.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert seq["v"].dense_shape.tolist() == [2, 2] and seq["v"].values.tolist() == [1, 2, 3]
    assert seq["m"].shape == (0, 2) and seq["m"].dtype == np.float32
    assert seq["tok"].tolist() == [b"a", b"b"]


@pytest.mark.parametrize("kwargs,message", [
    ({"sequence_features": {"zz": tf.FixedLenSequenceFeature([], tf.string)}},
     "Name: <unknown>, Feature list 'zz' is required but could not be found.  Did you mean to "
     "include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"),
    ({"sequence_features": {"v": tf.FixedLenSequenceFeature([], tf.int64)}},
     "Name: <unknown>, Key: v, Index: 0.  Number of values != expected.  values size: 2 but "
     "output shape: []"),
    ({"sequence_features": {"v": tf.FixedLenSequenceFeature([], tf.float32)}},
     "Name: <unknown>, Feature list: v, Index: 0.  Data types don't match. Expected type: "
     "float"),
    ({"context_features": {"zz": tf.FixedLenFeature([], tf.string)}},
     "Inconsistent max number of elements for feature zz: expected 1, but found 0"),
])
def test_parse_single_sequence_example_errors_as_tf(kwargs, message):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        parsed = tf.parse_single_sequence_example(s, **kwargs)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(parsed, {s: _sequence_example()})
    assert _message(e) == message
    with pytest.raises(ValueError, match="Missing features."):
        tf.parse_single_sequence_example(tf.constant(b""))


# ----- serialize_tensor / parse_tensor, FixedLengthRecordDataset -------------------------------
@pytest.mark.parametrize("value,expected", [
    (np.arange(6, dtype=np.float32).reshape(2, 3),
     b'\x08\x01\x12\x08\x12\x02\x08\x02\x12\x02\x08\x03"\x18\x00\x00\x00\x00\x00\x00\x80?\x00'
     b'\x00\x00@\x00\x00@@\x00\x00\x80@\x00\x00\xa0@'),
    (np.array(3, np.int64), b'\x08\t\x12\x00"\x08\x03\x00\x00\x00\x00\x00\x00\x00'),
    (np.array([b"ab", b""], dtype=object), b"\x08\x07\x12\x04\x12\x02\x08\x02B\x02abB\x00"),
    (np.array([True, False]), b'\x08\n\x12\x04\x12\x02\x08\x02"\x02\x01\x00'),
    (np.array([], np.float64), b"\x08\x02\x12\x02\x12\x00"),
    (np.array([1, -2], np.int16), b'\x08\x05\x12\x04\x12\x02\x08\x02"\x04\x01\x00\xfe\xff'),
    (np.array([1, 2], np.uint8), b'\x08\x04\x12\x04\x12\x02\x08\x02"\x02\x01\x02'),
])
def test_serialize_and_parse_tensor_as_tf(value, expected):
    with tf.Graph().as_default():
        serialized = tf.io.serialize_tensor(tf.constant(value))
        assert serialized.op.name == "SerializeTensor" and serialized.shape == []
        dtype = tf.string if value.dtype == object else tf.as_dtype(value.dtype)
        parsed = tf.io.parse_tensor(expected, dtype)
        assert parsed.op.name == "ParseTensor" and parsed.shape.rank is None
        with tf.Session() as sess:
            assert sess.run(serialized) == expected
            back = sess.run(parsed)
    assert back.shape == value.shape and back.dtype == value.dtype
    assert back.tolist() == value.tolist()


def test_parse_tensor_errors_as_tf():
    with tf.Graph().as_default():
        floats = tf.io.serialize_tensor(tf.constant([1.0]))
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(tf.io.parse_tensor(floats, tf.int32))
            assert _message(e) == "Type mismatch between parsed tensor (float) and dtype (int32)"
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(tf.io.parse_tensor(b"\xff\xff", tf.int32))
            assert _message(e) == "Could not parse `serialized` as TensorProto, base64: //8="


def test_fixed_length_record_dataset(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"HHabcdefgF")
    with tf.Graph().as_default():
        ds = tf.data.FixedLengthRecordDataset([str(path)], 3, header_bytes=2, footer_bytes=1)
        assert ds.output_types == tf.string and ds.output_shapes == []
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        with tf.Session() as sess:
            assert [sess.run(nxt) for _ in range(2)] == [b"abc", b"def"]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)
