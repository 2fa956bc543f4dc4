"""tf.summary: summary ops (names, tags, collections, serialized bytes), the Summary/Event
messages, FileWriter event files and summary_iterator. Expected values were taken from
TensorFlow 2.21 (test_summary_tf_oracle.py compares against it directly when it is there)."""

from __future__ import annotations

import glob
import os
import struct

import numpy as np
import pytest

import symgrad as tf
from symgrad import errors
from symgrad.event_file import crc32c, masked_crc32c


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def run(t, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(t, feed_dict)


# ----- ops: names, tags, collections -----
def test_scalar_summary_op_name_tag_and_collection():
    x = tf.constant(1.5)
    with tf.name_scope("train"):
        s = tf.summary.scalar("loss", x)
        s2 = tf.summary.scalar("loss", x, family="fam")
    assert s.op.type == "ScalarSummary"
    assert s.op.name == "train/loss"
    assert s2.op.name == "train/fam/loss"
    assert s.dtype == tf.string and s.shape.as_list() == []
    assert [i.op.name for i in s.op.inputs] == ["train/loss/tags", "Const"]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s, s2]
    got = tf.Summary.FromString(run(s))
    assert [(v.tag, v.simple_value) for v in got.value] == [("train/loss", 1.5)]
    got2 = tf.Summary.FromString(run(s2))
    assert got2.value[0].tag == "fam/train/fam/loss"


def test_summary_names_are_cleaned_and_collections_honoured():
    s = tf.summary.scalar("a b:c", 1.0, collections=["mine"])
    assert s.op.name == "a_b_c"
    assert tf.get_collection("mine") == [s]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == []
    assert s.op.inputs[1].op.name == "a_b_c/values"


def test_scalar_summary_bytes_and_run_time_shape_error():
    s = tf.summary.scalar("x", tf.constant(2, tf.int64))
    assert run(s) == b"\n\x08\n\x01x\x15\x00\x00\x00@"
    bad = tf.summary.scalar("v", tf.constant([1.0, 2.0]))
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"tags and values are not the same shape: \[\] != \[2\] \(tag 'v'\)"):
        run(bad)


def test_histogram_summary_statistics():
    values = tf.placeholder(tf.float64, [None])
    h = tf.summary.histogram("weights", values)
    assert h.op.type == "HistogramSummary" and h.op.name == "weights"
    assert h.op.inputs[0].op.name == "weights/tag"
    data = np.array([0.5, -2.0, 3.0, 3.0])
    histo = tf.Summary.FromString(run(h, {values: data})).value[0].histo
    assert (histo.min, histo.max, histo.num) == (-2.0, 3.0, 4.0)
    assert histo.sum == pytest.approx(4.5) and histo.sum_squares == pytest.approx(22.25)
    assert sum(histo.bucket) == 4.0
    assert len(histo.bucket) == len(histo.bucket_limit)
    # Each non-empty bucket's limit is the first default limit above its values.
    limits = [lim for lim, n in zip(histo.bucket_limit, histo.bucket) if n > 0]
    assert limits[0] > -2.0 and limits[-1] > 3.0
    with pytest.raises(errors.InvalidArgumentError,
                       match="Nan in summary histogram for: weights"):
        run(h, {values: [1.0, np.nan]})


def test_empty_histogram_has_one_bucket():
    h = tf.summary.histogram("e", tf.zeros([0]))
    histo = tf.Summary.FromString(run(h)).value[0].histo
    assert histo.num == 0.0 and histo.min == np.finfo(np.float64).max
    assert list(histo.bucket) == [0.0]
    assert list(histo.bucket_limit) == [np.finfo(np.float64).max]


def test_merge_and_merge_all():
    a = tf.summary.scalar("a", 1.0)
    b = tf.summary.histogram("b", [1.0, 2.0])
    merged = tf.summary.merge_all()
    assert merged.op.type == "MergeSummary" and merged.op.name == "Merge/MergeSummary"
    assert merged.op.get_attr("N") == 2
    assert list(merged.op.inputs) == [a, b]
    tags = [v.tag for v in tf.Summary.FromString(run(merged)).value]
    assert tags == ["a", "b"]
    named = tf.summary.merge([a, b], name="all")
    assert named.op.name == "all/all"
    dup = tf.summary.merge([a, a])
    with pytest.raises(errors.InvalidArgumentError,
                       match="Duplicate tag a found in summary inputs"):
        run(dup)
    assert tf.summary.merge_all(key="nothing") is None


def test_text_and_tensor_summary():
    t = tf.summary.text("notes", tf.constant(["hello", "world"]))
    assert t.op.type == "TensorSummaryV2" and t.op.name == "notes"
    value = tf.Summary.FromString(run(t)).value[0]
    assert value.tag == "notes"
    assert value.metadata.plugin_data.plugin_name == "text"
    assert list(value.tensor.string_val) == [b"hello", b"world"]
    assert [d.size for d in value.tensor.tensor_shape.dim] == [2]
    with pytest.raises(ValueError, match="Expected tensor Const_1:0 to have dtype string"):
        tf.summary.text("bad", tf.constant(1.0))

    x = tf.summary.tensor_summary("w", tf.constant([[1.0, 2.0]]), summary_description="d")
    value = tf.Summary.FromString(run(x)).value[0]
    assert value.metadata.summary_description == "d"
    assert value.tensor.dtype == tf.float32.as_datatype_enum
    assert np.frombuffer(value.tensor.tensor_content, "<f4").tolist() == [1.0, 2.0]


def test_image_summary_tags_and_png():
    images = tf.constant(np.arange(2 * 2 * 3 * 3, dtype=np.uint8).reshape(2, 2, 3, 3))
    s = tf.summary.image("pics", images, max_outputs=5)
    assert s.op.type == "ImageSummary" and s.op.get_attr("max_images") == 5
    values = tf.Summary.FromString(run(s)).value
    assert [v.tag for v in values] == ["pics/image/0", "pics/image/1"]
    img = values[1].image
    assert (img.height, img.width, img.colorspace) == (2, 3, 3)
    assert img.encoded_image_string.startswith(b"\x89PNG\r\n\x1a\n")
    one = tf.summary.image("one", tf.ones([1, 1, 1, 1]), max_outputs=1)
    assert [v.tag for v in tf.Summary.FromString(run(one)).value] == ["one/image"]
    with pytest.raises(TypeError, match="parameter 'tensor' has DataType int32"):
        tf.summary.image("bad", tf.ones([1, 1, 1, 1], tf.int32))


def test_summaries_have_no_gradient():
    x = tf.constant(1.0)
    s = tf.summary.scalar("s", x)
    assert tf.gradients(tf.strings.length(s), x) == [None]


# ----- messages -----
def test_summary_message_construction_and_bytes():
    s = tf.Summary(value=[tf.Summary.Value(tag="acc", simple_value=0.5)])
    assert s.SerializeToString() == b"\n\n\n\x03acc\x15\x00\x00\x00?"
    s.value.add(tag="x", simple_value=0.0)
    back = tf.Summary.FromString(s.SerializeToString())
    assert back == s
    assert back.value[1].WhichOneof("value") == "simple_value"
    assert back.value[1].HasField("simple_value")
    assert not back.value[0].HasField("histo")
    assert str(back.value[0]) == 'tag: "acc"\nsimple_value: 0.5\n'
    v = tf.Summary.Value(tag="t")
    v.histo.num = 3  # writing into a sub-message makes it present
    assert v.WhichOneof("value") == "histo"
    with pytest.raises(ValueError, match='has no "bogus" field'):
        tf.Summary.Value(bogus=1)
    with pytest.raises(TypeError):
        tf.Summary.Value(tag=3)


def test_event_and_session_log_messages():
    e = tf.Event(wall_time=1.0, step=3, session_log=tf.SessionLog(status=tf.SessionLog.START))
    back = tf.Event.FromString(e.SerializeToString())
    assert back.step == 3 and back.session_log.status == tf.SessionLog.START
    assert tf.SessionLog.SessionStatus.Name(2) == "STOP"
    assert back.WhichOneof("what") == "session_log"
    assert e.SerializeToString() == b"\t\x00\x00\x00\x00\x00\x00\xf0?\x10\x03:\x02\x08\x01"


def test_crc32c():
    assert crc32c(b"123456789") == 0xE3069283
    assert masked_crc32c(b"") == 0xA282EAD8


# ----- event files -----
def _events(logdir):
    [path] = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    return path, list(tf.train.summary_iterator(path))


def test_file_writer_writes_tfrecords_readable_by_summary_iterator(tmp_path):
    x = tf.placeholder(tf.float32, [])
    tf.summary.scalar("x", x)
    merged = tf.summary.merge_all()
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
        for step in range(3):
            writer.add_summary(sess.run(merged, {x: step * 1.5}), global_step=step)
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="manual", simple_value=7)]))
        writer.add_session_log(tf.SessionLog(status=tf.SessionLog.STOP), 9)
        writer.close()
    path, events = _events(str(tmp_path))
    name = os.path.basename(path)
    stamp = name.split(".")[3]
    assert len(stamp) == 10 and stamp.isdigit()
    assert events[0].file_version == "brain.Event:2"
    assert events[0].wall_time == float(int(events[0].wall_time))
    kinds = [e.WhichOneof("what") for e in events]
    assert kinds == ["file_version", "graph_def", "meta_graph_def", "summary", "summary",
                     "summary", "summary", "session_log"]
    graph_def = tf.GraphDef.FromString(events[1].graph_def)
    assert [n.name for n in graph_def.node][:1] == ["Placeholder"]
    assert graph_def.node[0].attr["dtype"].type == tf.float32.as_datatype_enum
    scalars = [(e.step, e.summary.value[0].tag, e.summary.value[0].simple_value)
               for e in events[3:7]]
    assert scalars == [(0, "x", 0.0), (1, "x", 1.5), (2, "x", 3.0), (0, "manual", 7.0)]
    assert events[7].step == 9 and events[7].session_log.status == tf.SessionLog.STOP
    # The framing: length, masked CRC of the length, data, masked CRC of the data.
    raw = open(path, "rb").read()
    (length,) = struct.unpack("<Q", raw[:8])
    assert struct.unpack("<I", raw[8:12])[0] == masked_crc32c(raw[:8])
    data = raw[12:12 + length]
    assert struct.unpack("<I", raw[12 + length:16 + length])[0] == masked_crc32c(data)


def test_file_writer_suffix_context_manager_and_reopen(tmp_path):
    with tf.summary.FileWriter(str(tmp_path / "run"), filename_suffix=".v2") as w:
        assert w.get_logdir() == str(tmp_path / "run")
        w.add_event(tf.Event(step=5, file_version="custom"))
        w.flush()
    [path] = glob.glob(str(tmp_path / "run" / "events.out.tfevents.*.v2"))
    events = list(tf.train.summary_iterator(path))
    assert [e.file_version for e in events] == ["brain.Event:2", "custom"]
    with pytest.warns(UserWarning, match="closed FileWriter"):
        w.add_summary(tf.Summary())
    w.reopen()
    w.add_summary(tf.Summary(), 1)
    w.close()
    events = list(tf.train.summary_iterator(path))
    assert len(events) == 2  # after reopen, events go to a new file


def test_file_writer_cache_and_metadata_written_once(tmp_path):
    w = tf.summary.FileWriterCache.get(str(tmp_path))
    assert tf.summary.FileWriterCache.get(str(tmp_path)) is w
    text = tf.summary.text("t", tf.constant("hi"))
    with tf.Session() as sess:
        w.add_summary(sess.run(text), 1)
        w.add_summary(sess.run(text), 2)
    tf.summary.FileWriterCache.clear()
    files = sorted(glob.glob(os.path.join(str(tmp_path), "events.out.tfevents.*")))
    events = [e for f in files for e in tf.train.summary_iterator(f) if e.HasField("summary")]
    assert [e.summary.value[0].HasField("metadata") for e in events] == [True, False]


def test_as_graph_def_lists_nodes_and_attrs():
    a = tf.constant([1.0, 2.0], name="a")
    tf.identity(a, name="b")
    graph_def = tf.get_default_graph().as_graph_def()
    assert [(n.name, n.op, list(n.input)) for n in graph_def.node] == [
        ("a", "Const", []), ("b", "Identity", ["a"])]
    value = graph_def.node[0].attr["value"].tensor
    assert np.frombuffer(value.tensor_content, "<f4").tolist() == [1.0, 2.0]
    assert tf.GraphDef.FromString(graph_def.SerializeToString()) == graph_def


def test_every_summary_name_is_documented():
    import re
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [n for n in tf.summary.__all__
               if not re.search(r"`(?:symgrad\.)?summary\." + re.escape(n) + r"(?=[`(\s,.\[=])",
                                doc)]
    assert missing == []


def test_audio_summary():
    clips = tf.constant(np.array([[[0.5], [-1.0]], [[0.0], [0.25]]], np.float32))
    s = tf.summary.audio("voice", clips, 16000, max_outputs=1)
    assert s.op.type == "AudioSummaryV2" and s.op.name == "voice"
    assert [i.op.name for i in s.op.inputs] == ["voice/tag", "Const", "voice/sample_rate"]
    [value] = tf.Summary.FromString(run(s)).value
    assert value.tag == "voice/audio"
    audio = value.audio
    assert (audio.sample_rate, audio.num_channels, audio.length_frames) == (16000.0, 1, 2)
    assert audio.content_type == "audio/wav"
    assert audio.encoded_audio_string[:4] == b"RIFF"
    assert audio.encoded_audio_string[44:] == b"\x00\x40\x00\x80"


def test_write_graph_text_and_binary(tmp_path):
    tf.constant(1.0, name="c")
    path = tf.train.write_graph(tf.get_default_graph(), str(tmp_path / "g"), "graph.pbtxt")
    assert path == str(tmp_path / "g" / "graph.pbtxt")
    text = open(path).read()
    assert 'name: "c"' in text and "type: DT_FLOAT" in text
    path = tf.train.write_graph(tf.get_default_graph().as_graph_def(), str(tmp_path), "g.pb",
                                as_text=False)
    graph_def = tf.GraphDef.FromString(open(path, "rb").read())
    assert [n.name for n in graph_def.node] == ["c"]
