"""Input files against TensorFlow itself: TF reads the TFRecord files and Example bytes
symgrad writes, symgrad reads TF's, and both parse, decode and batch alike.

Skipped when tensorflow is not importable (the normal test run). To run it:

    PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python -m pytest \
        tests/python/test_input_tf_oracle.py
"""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def _example(tf, i):
    return tf.train.Example(features=tf.train.Features(feature={
        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, -i, 1 << 40])),
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5 * i] * (i + 1))),
        "name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"n{i}".encode()])),
    }))


def test_example_bytes_both_ways():
    for i in range(3):
        ours = _example(symgrad, i).SerializeToString()
        theirs = _example(tf1, i).SerializeToString()
        # TF orders map entries by its hash table unless asked for deterministic bytes.
        assert ours == _example(tf1, i).SerializeToString(deterministic=True)
        assert tf1.train.Example.FromString(ours) == _example(tf1, i)
        assert symgrad.train.Example.FromString(theirs) == _example(symgrad, i)


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_tfrecord_files_both_ways(tmp_path, compression):
    records = [_example(tf1, i).SerializeToString() for i in range(4)] + [b"", b"x" * 70000]
    ours, theirs = str(tmp_path / "ours.tfr"), str(tmp_path / "theirs.tfr")
    with symgrad.io.TFRecordWriter(ours, compression) as writer:
        for r in records:
            writer.write(r)
    with tf1.io.TFRecordWriter(theirs, compression) as writer:
        for r in records:
            writer.write(r)
    options = tf1.io.TFRecordOptions(compression)
    assert list(tf1.io.tf_record_iterator(ours, options)) == records
    assert list(symgrad.io.tf_record_iterator(theirs, compression)) == records
    if not compression:
        with open(ours, "rb") as a, open(theirs, "rb") as b:
            assert a.read() == b.read()


def _parse_batch(tf, serialized):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [None])
        parsed = tf.parse_example(s, {
            "id": tf.VarLenFeature(tf.int64),
            "x": tf.FixedLenSequenceFeature([], tf.float32, allow_missing=True,
                                           default_value=-1.0),
            "name": tf.FixedLenFeature([], tf.string),
            "missing": tf.FixedLenFeature([2], tf.float32, default_value=[1.0, 2.0])})
        names = {k: (v.indices.name if hasattr(v, "indices") else v.name)
                 for k, v in parsed.items()}
        with tf.Session() as sess:
            return sess.run(parsed, {s: serialized}), names


def test_parse_example_as_tf():
    serialized = [_example(tf1, i).SerializeToString() for i in range(3)]
    ours, our_names = _parse_batch(symgrad, serialized)
    theirs, their_names = _parse_batch(tf1, serialized)
    assert our_names == their_names
    for key in ("x", "name", "missing"):
        np.testing.assert_array_equal(ours[key], theirs[key])
        assert ours[key].dtype == theirs[key].dtype
    for part in ("indices", "values", "dense_shape"):
        np.testing.assert_array_equal(getattr(ours["id"], part), getattr(theirs["id"], part))


def _csv(tf, records):
    with tf.Graph().as_default():
        r = tf.placeholder(tf.string, [None])
        out = tf.decode_csv(r, [[0.0], [np.int64(0)], [""], [7]], na_value="?",
                            select_cols=[0, 1, 3, 4])
        with tf.Session() as sess:
            return sess.run(out, {r: records})


def test_decode_csv_as_tf():
    records = ['1.5,2,skip,"a,""b""",4', "?,3,x,,?", "-2e3,-1,y,c,9"]
    for a, b in zip(_csv(symgrad, records), _csv(tf1, records)):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def _producer_graph(tf):
    with tf.Graph().as_default() as g:
        queue = tf.train.string_input_producer(["a", "b"], num_epochs=1, shuffle=False)
        _, value = tf.TextLineReader().read(queue)
        batch = tf.train.shuffle_batch([value], 2, capacity=4, min_after_dequeue=1)
        return [op.name for op in g.get_operations()], batch.name


def test_queue_pipeline_op_names_as_tf():
    our_ops, our_batch = _producer_graph(symgrad)
    their_ops, their_batch = _producer_graph(tf1)
    assert our_batch == their_batch
    missing = [n for n in their_ops if n not in our_ops]
    # What TF's graph has and symgrad's lacks: Assert's constant inputs (symgrad's Assert
    # keeps its data as an attribute) and TF's ResourceCountUpTo (symgrad counts epochs with
    # a read, a check and an AssignAddVariableOp under limit_epochs/CountUpTo).
    assert missing == ["input_producer/Assert/Const", "input_producer/Assert/Assert/data_0",
                       "input_producer/limit_epochs/ResourceCountUpTo"]


def _sequence(tf, serialized):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [])
        context, lists = tf.parse_single_sequence_example(
            s, context_features={"n": tf.FixedLenFeature([], tf.int64),
                                 "w": tf.VarLenFeature(tf.float32)},
            sequence_features={"tok": tf.FixedLenSequenceFeature([], tf.string),
                               "v": tf.VarLenFeature(tf.int64),
                               "pair": tf.FixedLenSequenceFeature([2], tf.float32,
                                                                  allow_missing=True)})
        with tf.Session() as sess:
            return sess.run((context, lists), {s: serialized})


def test_parse_single_sequence_example_as_tf():
    feature = tf1.train.Feature
    serialized = tf1.train.SequenceExample(
        context=tf1.train.Features(feature={
            "n": feature(int64_list=tf1.train.Int64List(value=[2])),
            "w": feature(float_list=tf1.train.FloatList(value=[0.5, 1.5]))}),
        feature_lists=tf1.train.FeatureLists(feature_list={
            "tok": tf1.train.FeatureList(feature=[
                feature(bytes_list=tf1.train.BytesList(value=[b"a"])),
                feature(bytes_list=tf1.train.BytesList(value=[b"b"]))]),
            "v": tf1.train.FeatureList(feature=[
                feature(int64_list=tf1.train.Int64List(value=[1, 2])),
                feature(int64_list=tf1.train.Int64List(value=[]))]),
            "pair": tf1.train.FeatureList(feature=[
                feature(float_list=tf1.train.FloatList(value=[1.0, 2.0]))])})
    ).SerializeToString()
    ours, theirs = _sequence(symgrad, serialized), _sequence(tf1, serialized)
    for part in (0, 1):
        assert sorted(ours[part]) == sorted(theirs[part])
        for key, value in theirs[part].items():
            if hasattr(value, "indices"):
                for field in ("indices", "values", "dense_shape"):
                    np.testing.assert_array_equal(getattr(ours[part][key], field),
                                                  getattr(value, field))
            else:
                np.testing.assert_array_equal(ours[part][key], value)
                assert ours[part][key].dtype == value.dtype


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.float64).reshape(3, 2),
                                   np.array([b"x", b"yz"], dtype=object),
                                   np.array(7, np.int32), np.zeros((0, 2), np.float32)])
def test_serialize_tensor_as_tf(value):
    def run(tf):
        with tf.Graph().as_default():
            with tf.Session() as sess:
                return sess.run(tf.io.serialize_tensor(tf.constant(value)))
    assert run(symgrad) == run(tf1)


def test_tfrecord_dataset_reads_tf_files(tmp_path):
    path = str(tmp_path / "tf.tfr")
    with tf1.io.TFRecordWriter(path, "GZIP") as writer:
        for i in range(5):
            writer.write(_example(tf1, i).SerializeToString())
    with symgrad.Graph().as_default():
        ds = symgrad.data.TFRecordDataset([path], compression_type="GZIP").map(
            lambda r: symgrad.parse_single_example(r, {"id": symgrad.VarLenFeature(
                symgrad.int64)})["id"].values).batch(5)
        nxt = symgrad.data.make_one_shot_iterator(ds).get_next()
        with symgrad.Session() as sess:
            got = sess.run(nxt)
    assert got[:, 0].tolist() == list(range(5))
