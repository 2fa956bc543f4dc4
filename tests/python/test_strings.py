"""The ``string`` dtype and the string ops, with TF 2.21's values (recorded from TF)."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as tf

S = np.array([[b"a", b"b\xc3\xa9"], [b"d", b""]], dtype=object)


def _const() -> tf.Tensor:
    return tf.constant([[b"a", "bé"], ["d", ""]])


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _same(got, want) -> None:
    assert isinstance(got, np.ndarray) and got.dtype == object
    assert got.shape == np.shape(want)
    assert got.tolist() == np.asarray(want, dtype=object).tolist()


def test_dtype_string_matches_tf():
    assert tf.string.name == "string" and tf.string.as_datatype_enum == 7
    assert tf.string.as_numpy_dtype is object and tf.string.size == 0
    assert repr(tf.string) == "tf.string" and str(tf.string) == "<dtype: 'string'>"
    for spelling in ("string", np.object_, np.bytes_, np.str_, 7):
        assert tf.as_dtype(spelling) is tf.string
    assert not (tf.string.is_floating or tf.string.is_integer or tf.string.is_bool)
    with pytest.raises(TypeError):
        _ = tf.string.max


def test_constants_fetch_as_object_arrays_of_bytes():
    c = _const()
    assert c.dtype is tf.string and c.shape.as_list() == [2, 2] and c.op.type == "Const"
    assert c.op.get_attr("dtype") is tf.string
    _same(_run(c), S)
    scalar = _run(tf.constant("hé"))
    assert type(scalar) is bytes and scalar == b"h\xc3\xa9"
    _same(_run(tf.constant(np.array(["ab", "c"]))), [b"ab", b"c"])
    _same(_run(tf.constant(np.array([b"ab", b"c"]))), [b"ab", b"c"])
    _same(_run(tf.constant([b"a\x00"])), [b"a\x00"])


def test_constant_conversion_errors_match_tf():
    with pytest.raises(TypeError, match="Failed to convert elements of"):
        tf.constant(["a", 1])
    with pytest.raises(TypeError, match=r"^Expected string, but got 1 of type 'int'\.$"):
        tf.constant(1, dtype=tf.string)
    with pytest.raises(TypeError, match=r"^Expected float32, but got a of type 'str'\.$"):
        tf.constant("a", dtype=tf.float32)


def test_placeholders_take_bytes_str_and_numpy_feeds():
    p = tf.placeholder(tf.string, [None])
    y = tf.identity(p)
    with tf.Session() as sess:
        _same(sess.run(y, {p: ["x", b"y", "é"]}), [b"x", b"y", b"\xc3\xa9"])
        _same(sess.run(y, {p: np.array(["x", "yy"])}), [b"x", b"yy"])
        _same(sess.run(y, {p: np.array([b"x", b"yy"])}), [b"x", b"yy"])
        _same(sess.run(y, {p: np.array([b"x", "z"], dtype=object)}), [b"x", b"z"])
        with pytest.raises(TypeError):
            sess.run(y, {p: [1, 2]})
    q = tf.placeholder(tf.string)
    with tf.Session() as sess:
        assert sess.run(tf.identity(q), {q: "x"}) == b"x"


def test_layout_and_selection_ops_move_strings_as_tf():
    c = _const()
    cases = {
        "Transpose": (tf.transpose(c), [[b"a", b"d"], [b"b\xc3\xa9", b""]]),
        "Pack": (tf.stack([c[0], c[1]]), S.tolist()),
        "ConcatV2": (tf.concat([c, c], 1), [[b"a", b"b\xc3\xa9"] * 2, [b"d", b""] * 2]),
        "GatherV2": (tf.gather(c, [1]), [[b"d", b""]]),
        "GatherNd": (tf.gather_nd(c, [[1, 0]]), [b"d"]),
        "Tile": (tf.tile(c, [1, 2]), [[b"a", b"b\xc3\xa9"] * 2, [b"d", b""] * 2]),
        "StridedSlice": (c[:, 1], [b"b\xc3\xa9", b""]),
        "Fill": (tf.fill([2], "x"), [b"x", b"x"]),
        "Reshape": (tf.reshape(c, [4]), [b"a", b"b\xc3\xa9", b"d", b""]),
        "ExpandDims": (tf.expand_dims(c, 0), [S.tolist()]),
        "Squeeze": (tf.squeeze(tf.expand_dims(c, 0)), S.tolist()),
        "Unpack": (tf.unstack(c)[1], [b"d", b""]),
        "Slice": (tf.slice(c, [0, 1], [2, 1]), [[b"b\xc3\xa9"], [b""]]),
        "PlaceholderWithDefault": (tf.placeholder_with_default(c, [2, 2]), S.tolist()),
        "Split": (tf.split(c, 2)[0], [[b"a", b"b\xc3\xa9"]]),
        "Pad": (tf.pad(c, [[1, 0], [0, 0]]), [[b"", b""]] + S.tolist()),
        "ReverseV2": (tf.reverse(c, [0]), [[b"d", b""], [b"a", b"b\xc3\xa9"]]),
        "BroadcastTo": (tf.broadcast_to(c[0], [2, 2]), [[b"a", b"b\xc3\xa9"]] * 2),
        "IdentityN": (tf.identity_n([c, c])[0], S.tolist()),
        "StopGradient": (tf.stop_gradient(c), S.tolist()),
        "Select": (tf.where(tf.equal(c, "a"), c, tf.fill([2, 2], "z")),
                   [[b"a", b"z"], [b"z", b"z"]]),
        "SelectV2": (tf.where_v2(tf.equal(c, "a"), c, "z"), [[b"a", b"z"], [b"z", b"z"]]),
    }
    for op_type, (tensor, want) in cases.items():
        assert tensor.dtype is tf.string, op_type
        _same(_run(tensor), want)
    assert tf.stack([c, c]).op.type == "Pack"
    zeros = tf.zeros_like(c)
    assert zeros.op.type == "Const"
    _same(_run(zeros), [[b"", b""], [b"", b""]])
    _same(_run(tf.zeros([2], tf.string)), [b"", b""])


def test_equality_shape_size_rank():
    c = _const()
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.equal(c, "a")), [[True, False], [False, False]])
        np.testing.assert_array_equal(sess.run(tf.not_equal(c, c[0])),
                                      [[False, False], [True, True]])
        np.testing.assert_array_equal(sess.run(tf.shape(c)), [2, 2])
        assert sess.run(tf.size(c)) == 4 and sess.run(tf.rank(c)) == 2


def test_ops_without_string_kernels_refuse_strings_when_built():
    c = _const()
    for build in (lambda: tf.reduce_sum(c), lambda: tf.less(c, c), lambda: tf.cast(c, tf.float32),
                  lambda: tf.negative(c), lambda: tf.matmul(c, c)):
        with pytest.raises(TypeError, match="DataType string not in list of allowed values"):
            build()
    with pytest.raises(TypeError, match=r"Expected string, but got 1 of type 'int'\."):
        tf.ones([2], tf.string)


def test_no_gradients_through_strings():
    x = tf.constant(1.0)
    s = tf.where(x > 0.0, tf.constant("a"), tf.constant("b"))
    assert tf.gradients(tf.size(s), [x]) == [None]


def _values(tensors: dict) -> dict:
    with tf.Session() as sess:
        return dict(zip(tensors, sess.run(list(tensors.values()))))


def test_string_join_as_tf():
    a = tf.constant([[b"a", b"bc"], [b"d", b""]])
    j = tf.strings.join([a, "x", a], separator="-")
    assert (j.op.name, j.op.type, j.shape.as_list()) == ("StringJoin", "StringJoin", [2, 2])
    assert j.op.get_attr("N") == 3 and j.op.get_attr("separator") == b"-"
    assert j.op.inputs[1].op.name == "StringJoin/inputs_1"
    _same(_run(j), [[b"a-x-a", b"bc-x-bc"], [b"d-x-d", b"-x-"]])
    assert tf.string_join([a, "y"]).op.name == "StringJoin_1"
    with pytest.raises(ValueError):
        tf.strings.join([tf.constant(["a", "b"]), tf.constant(["x", "y", "z"])])


def test_as_string_formats_as_tf():
    f = tf.constant([1.5, -2.0, 3.14159e10, float("nan"), float("inf")])
    i = tf.constant([1, -20, 300])
    got = _values({
        "f": tf.as_string(f), "p2": tf.as_string(f, precision=2),
        "sci": tf.as_string(f, scientific=True), "short": tf.as_string(f, shortest=True),
        "w5": tf.as_string(i, width=5), "fill0": tf.as_string(i, width=5, fill="0"),
        "b": tf.as_string(tf.constant([True, False])),
        "d": tf.as_string(tf.constant([1.5, 0.1], tf.float64)),
        "u8": tf.as_string(tf.constant([7], tf.uint8)),
        "nonfinite": tf.as_string([-1.5, float("nan"), -float("inf")], width=8, fill="0"),
        "left": tf.as_string([1.5], fill="-", width=6), "plus": tf.as_string([1.5], fill="+"),
        "alt": tf.as_string([1.0], fill="#", precision=0),
        "g64": tf.as_string(tf.constant([1e-5, 123456789.0], tf.float64), shortest=True),
        "even": tf.as_string(tf.constant([1.0, 0.5, 2.5]), precision=0),
    })
    want = {
        "f": [b"1.500000", b"-2.000000", b"31415900160.000000", b"nan", b"inf"],
        "p2": [b"1.50", b"-2.00", b"31415900160.00", b"nan", b"inf"],
        "sci": [b"1.500000e+00", b"-2.000000e+00", b"3.141590e+10", b"nan", b"inf"],
        "short": [b"1.5", b"-2", b"3.14159e+10", b"nan", b"inf"],
        "w5": [b"    1", b"  -20", b"  300"], "fill0": [b"00001", b"-0020", b"00300"],
        "b": [b"true", b"false"], "d": [b"1.500000", b"0.100000"], "u8": [b"7"],
        "nonfinite": [b"-1.500000", b"     nan", b"    -inf"], "left": [b"1.500000"],
        "plus": [b"+1.500000"], "alt": [b"1."], "g64": [b"1e-05", b"1.23457e+08"],
        "even": [b"1", b"0", b"2"],
    }
    for key, expected in want.items():
        _same(got[key], expected)
    op = tf.as_string(f).op
    assert op.type == "AsString" and op.get_attr("T") is tf.float32
    assert [op.get_attr(k) for k in ("precision", "scientific", "shortest", "width", "fill")] \
        == [-1, False, False, -1, b""]
    for kwargs, text in [({"precision": 2}, "precision not supported for datatype int32"),
                         ({"fill": "x", "width": 3}, 'Fill argument not supported: "x"'),
                         ({"fill": "ab"}, "Fill string must be one or fewer characters"),
                         ({"scientific": True},
                          "scientific and shortest format not supported for datatype int32")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=text):
            _run(tf.as_string(i, **kwargs))


def test_length_and_substr_as_tf():
    words = tf.constant(["héllo", ""])
    n = tf.strings.length(words)
    assert n.dtype is tf.int32 and n.op.get_attr("unit") == b"BYTE"
    got = _values({
        "len": n, "chars": tf.strings.length(words, unit="UTF8_CHAR"),
        "sub": tf.strings.substr(tf.constant(["hello", "ab"]), 1, 3),
        "vec": tf.strings.substr(tf.constant(["hello", "ab"]), [0, 1], [2, 5]),
        "neg": tf.strings.substr(tf.constant("hello"), -3, 2),
        "utf8": tf.strings.substr(tf.constant(["héllo"]), 1, 2, unit="UTF8_CHAR"),
    })
    np.testing.assert_array_equal(got["len"], [6, 0])
    np.testing.assert_array_equal(got["chars"], [5, 0])
    _same(got["sub"], [b"ell", b"b"])
    _same(got["vec"], [b"he", b"b"])
    assert got["neg"] == b"ll"
    _same(got["utf8"], [b"\xc3\xa9l"])
    s = tf.substr(tf.constant(["hello", "ab"]), 3, 1)
    assert s.op.get_attr("T") is tf.int32 and s.op.inputs[1].op.name == f"{s.op.name}/pos"
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="pos 3 out of range for string b'ab' at index 1"):
        _run(s)


def test_string_format_summarizes_as_tf_print_v2():
    f = tf.constant([1.5, -2.0, 3.14159e10, float("nan"), float("inf")])
    i = tf.constant([1, -20, 300])
    fmt = tf.strings.format("x={} y={}", (f, i))
    assert fmt.op.type == "StringFormat" and fmt.shape.as_list() == []
    assert fmt.op.get_attr("template") == b"x={} y={}"
    assert fmt.op.get_attr("placeholder") == b"{}" and fmt.op.get_attr("summarize") == 3
    assert fmt.op.get_attr("T") == [tf.float32, tf.int32]
    got = _values({
        "fmt": fmt, "s": tf.strings.format("s={}", tf.constant([[b"a", b"bc"], [b"d", b""]])),
        "summ": tf.strings.format("{}", tf.range(20), summarize=2),
        "scalar": tf.strings.format("{}", tf.constant(3.5)),
        "3d": tf.strings.format("{}", tf.reshape(tf.range(24), [2, 3, 4]), summarize=1),
        "esc": tf.strings.format("{}", tf.constant(['a\n"b\\', "é"]), summarize=-1),
        "empty": tf.strings.format("a{}b{}", [tf.zeros([0]), tf.zeros([2, 0])]),
        "floats": tf.strings.format("{}", tf.constant([0.1, 1e-7, 123456.7])),
        "mixed": tf.strings.format("{} {}", [tf.constant([True, False]),
                                             tf.constant([1, 2], tf.int8)]),
    })
    assert got == {
        "fmt": b"x=[1.5 -2 3.14159e+10 nan inf] y=[1 -20 300]",
        "s": b's=[["a" "bc"]\n ["d" ""]]', "summ": b"[0 1 ... 18 19]", "scalar": b"3.5",
        "3d": b"[[[0 ... 3]\n  ...\n  [8 ... 11]]\n\n [[12 ... 15]\n  ...\n  [20 ... 23]]]",
        "esc": b'["a\\n\\"b\\\\" "\xc3\xa9"]', "empty": b"a[]b[\n ...]",
        "floats": b"[0.1 1e-07 123456.703]", "mixed": b"[1 0] [1 2]",
    }
    with pytest.raises(ValueError, match="The template expects 2 tensors, but the inputs only "
                                         "has 1"):
        tf.strings.format("{}{}", [1])


def test_print_builds_and_writes_as_tf(capfd, tmp_path):
    f = tf.constant([1.5, -2.0, 3.14159e10, float("nan"), float("inf")])
    i = tf.constant([1, -20, 300])
    op = tf.print("hello", 3, [1, f], {"b": i, "a": 2}, summarize=2)
    assert isinstance(op, tf.Operation) and (op.name, op.type) == ("PrintV2", "PrintV2")
    assert op.get_attr("output_stream") == b"stderr" and op.get_attr("end") == b"\n"
    fmt = op.inputs[0].op
    assert fmt.type == "StringFormat"
    assert fmt.get_attr("template") == b"hello 3 [1, {}] {'a': 2, 'b': {}}"
    only = tf.print(tf.constant("only"))
    assert only.inputs[0].op.type == "Const"
    named = tf.print("x", i, sep="|", end="!\n", name="pp")
    assert named.name == "pp" and named.inputs[0].op.name == "pp_format"
    to_stdout = tf.print(i, output_stream=__import__("sys").stdout)
    assert to_stdout.get_attr("output_stream") == b"stdout"
    path = tmp_path / "log.txt"
    to_file = tf.print("f", i, output_stream=f"file://{path}")
    with tf.Session() as sess:
        capfd.readouterr()
        sess.run(op)
        sess.run(only)
        sess.run(named)
        sess.run(to_stdout)
        sess.run(to_file)
        sess.run(to_file)
        out, err = capfd.readouterr()
    assert err == ("hello 3 [1, [1.5 -2 ... nan inf]] {'a': 2, 'b': [1 -20 300]}\n"
                   "only\nx|[1 -20 300]!\n")
    assert out == "[1 -20 300]\n"
    assert path.read_text() == "f [1 -20 300]\nf [1 -20 300]\n"
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(i, output_stream="nowhere")
    assert tf.gradients(tf.strings.length(tf.as_string(tf.constant(1.0))),
                        [tf.constant(1.0)]) == [None]
