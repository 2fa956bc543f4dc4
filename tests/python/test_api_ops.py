"""Op functions: default names, dtypes and conversion rules as TF 2.21 (needs native)."""

import numpy as np
import pytest

pytest.importorskip("symgrad._symgrad")

import symgrad as tf  # noqa: E402


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def op_list(graph, start=0):
    return [f"{o.name}:{o.type}" for o in graph.get_operations()[start:]]


def test_conversion_dtypes(g):
    assert tf.constant(3).dtype is tf.int32
    assert tf.constant(3.0).dtype is tf.float32
    assert tf.constant(True).dtype is tf.bool
    assert tf.constant(np.float64(3.0)).dtype is tf.float64
    assert tf.constant(np.array([1.0])).dtype is tf.float64
    assert tf.constant([1, 2 ** 40]).dtype is tf.int64
    assert tf.constant([1, 2.0]).dtype is tf.float32
    assert tf.convert_to_tensor(1.0, preferred_dtype=tf.int32).dtype is tf.float32
    assert tf.convert_to_tensor(1, preferred_dtype=tf.float64).dtype is tf.float64
    assert tf.convert_to_tensor(np.array([1.5]), dtype=tf.int32).dtype is tf.int32


def test_conversion_errors(g):
    x = tf.placeholder(tf.float32, [2], name="x")
    with pytest.raises(TypeError, match=r"Expected int32, but got 1.5 of type 'float'."):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError, match=r"Expected bool, but got 1 of type 'int'."):
        tf.convert_to_tensor(1, dtype=tf.bool)
    with pytest.raises(ValueError, match="None values not supported."):
        tf.convert_to_tensor(None)
    with pytest.raises(ValueError, match="Tensor conversion requested dtype int32 for Tensor "
                                         "with dtype float32"):
        tf.convert_to_tensor(x, dtype=tf.int32)
    with pytest.raises(TypeError, match="can't convert Operation 'x' to Tensor"):
        tf.convert_to_tensor(x.op)


def test_constant_with_shape(g):
    assert tf.constant(1.0, shape=[2, 2]).op.get_attr("value").tolist() == [[1, 1], [1, 1]]
    assert tf.constant([1.0, 2.0], shape=[3]).op.get_attr("value").tolist() == [1, 2, 2]
    with pytest.raises(ValueError, match="Too many elements provided. Takes at most 3, but "
                                         "got 4."):
        tf.constant([1.0, 2, 3, 4], shape=[3])


def test_binary_dtype_rules(g):
    x = tf.placeholder(tf.float32, name="x")
    x64 = tf.placeholder(tf.float64, name="x64")
    xi = tf.placeholder(tf.int32, name="xi")
    assert (x64 + 1.5).dtype is tf.float64
    assert (1.5 + x64).dtype is tf.float64
    assert (x + True).dtype is tf.float32
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type float64 that does "
                                        "not match type float32 of argument 'x'."):
        x + x64
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type float32 that does "
                                        "not match type int32 of argument 'x'."):
        xi + 1.5
    with pytest.raises(TypeError, match="Expected int32, but got 1.5 of type 'float'."):
        1.5 + xi
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type int32 that does "
                                        "not match type float32 of argument 'x'."):
        tf.add(1.5, xi)
    with pytest.raises(TypeError, match="Input 'b' of 'MatMul' Op has type float64"):
        tf.matmul([[1.0]], tf.placeholder(tf.float64, [1, 1]))


def test_cross_graph_inputs_rejected(g):
    x = tf.placeholder(tf.float32)
    other = tf.Graph()
    with other.as_default():
        z = tf.constant(1.0)
    with pytest.raises(ValueError, match="must be from the same graph as"):
        tf.add(x, z)


def test_reduction_names(g):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    p = tf.placeholder(tf.float32, name="p")
    start = len(g.get_operations())
    s = tf.reduce_sum(x)
    assert op_list(g, start) == ["Const:Const", "Sum:Sum"]
    assert s.op.inputs[1].op.get_attr("value").tolist() == [0, 1]
    start = len(g.get_operations())
    tf.reduce_sum(p)
    assert op_list(g, start) == ["Rank:Rank", "range/start:Const", "range/delta:Const",
                                 "range:Range", "Sum_1:Sum"]
    start = len(g.get_operations())
    tf.reduce_sum(x, axis=1)
    tf.reduce_mean(x, reduction_indices=[0], keep_dims=True)
    assert op_list(g, start) == ["Sum_2/reduction_indices:Const", "Sum_2:Sum",
                                 "Mean/reduction_indices:Const", "Mean:Mean"]
    assert g.get_operation_by_name("Mean").get_attr("keep_dims") is True
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'reduction_indices'."):
        tf.reduce_sum(x, axis=0, reduction_indices=0)


def test_zeros_and_ones(g):
    start = len(g.get_operations())
    z = tf.zeros([2, 3])
    big = tf.zeros([1000, 1000])
    assert (z.op.type, big.op.type) == ("Const", "Fill")
    assert [i.op.name for i in big.op.inputs] == ["zeros_1/shape_as_tensor", "zeros_1/Const"]
    n = tf.placeholder(tf.int32, [2], name="n")
    dyn = tf.zeros(n)
    assert dyn.op.type == "Fill" and dyn.op.inputs[0] is n
    assert tf.ones([2, 3], dtype=tf.int32).op.get_attr("value").tolist() == [[1] * 3] * 2
    assert op_list(g, start)[:2] == ["zeros:Const", "zeros_1/shape_as_tensor:Const"]


def test_like_ops(g):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    p = tf.placeholder(tf.float32, name="p")
    assert tf.zeros_like(x).op.type == "Const"
    assert tf.zeros_like(p).op.type == "ZerosLike"
    ones = tf.ones_like(x)
    assert ones.op.type == "Fill"
    assert [i.op.name for i in ones.op.inputs] == ["ones_like/Shape/shape_as_tensor",
                                                   "ones_like/Const"]
    assert tf.ones_like(p).op.inputs[0].op.type == "Shape"


def test_shape_size_rank_fold_when_static(g):
    x = tf.placeholder(tf.float32, [2, 3])
    p = tf.placeholder(tf.float32)
    assert tf.shape(x).op.type == "Const"
    assert tf.shape(p).op.type == "Shape"
    assert tf.shape(x, out_type=tf.int64).dtype is tf.int64
    assert tf.size(x).op.type == "Const" and tf.size(p).op.type == "Size"
    assert tf.rank(x).op.type == "Const" and tf.rank(p).op.type == "Rank"


def test_array_op_names(g):
    x = tf.placeholder(tf.float32, [2, 3], name="x")
    assert [i.op.name for i in tf.reshape(x, [3, 2]).op.inputs] == ["x", "Reshape/shape"]
    assert [i.op.name for i in tf.transpose(x).op.inputs] == ["x", "transpose/perm"]
    assert [i.op.name for i in tf.expand_dims(x, 0).op.inputs] == ["x", "ExpandDims/dim"]
    assert tf.squeeze(tf.ones([1, 3]), [0]).op.get_attr("squeeze_dims") == [0]
    assert [t.name for t in tf.split(x, 3, axis=1)] == ["split:0", "split:1", "split:2"]
    assert [t.name for t in tf.unstack(x)] == ["unstack:0", "unstack:1"]
    assert tf.stack([x, x]).name == "stack:0"
    assert tf.concat([x, x], 0).op.inputs[2].op.name == "concat/axis"
    single = tf.concat([x], 0)
    assert single.name == "concat_1/concat:0" and single.op.type == "Identity"
    with pytest.raises(ValueError, match="Cannot specify both 'dim' and 'axis'."):
        tf.expand_dims(x, axis=0, dim=0)
    with pytest.raises(ValueError, match="Cannot infer argument `num` from shape <unknown>"):
        tf.unstack(tf.placeholder(tf.float32))


def test_range_names_and_dtypes(g):
    r = tf.range(5)
    assert r.op.type == "Range" and r.dtype is tf.int32
    assert [i.op.name for i in tf.range(1, 5, 2).op.inputs] == [
        "range_1/start", "range_1/limit", "range_1/delta"]
    assert tf.range(1.0, 5.0).dtype is tf.float32
    assert tf.range(0, 5, dtype=tf.float32).dtype is tf.float32


def test_add_n_rules(g):
    x = tf.placeholder(tf.float32, name="x")
    assert tf.add_n([x]) is x
    assert tf.add_n([x, x]).op.type == "AddN"
    assert tf.accumulate_n([x, x]).op.type == "AddN"
    with pytest.raises(ValueError, match="Inputs must be an iterable of at least one"):
        tf.add_n([])
    with pytest.raises(TypeError, match=r"have types \[float32, float64\] that don't all "
                                        "match."):
        tf.add_n([x, tf.placeholder(tf.float64)])


def test_group_and_tuple(g):
    x = tf.placeholder(tf.float32, name="x")
    y = tf.identity(x, name="y")
    grp = tf.group(x, y.op)
    assert grp.name == "group_deps" and grp.type == "NoOp"
    assert grp.control_inputs == [x.op, y.op]
    assert tf.group().name == "group_deps_1"
    assert tf.no_op(name="noop").name == "noop"
    t = tf.tuple([x, y], name="tup")
    assert [v.name for v in t] == ["tup/control_dependency:0", "tup/control_dependency_1:0"]
    assert t[0].op.control_inputs[0].name == "tup/group_deps"


def test_cast(g):
    x = tf.placeholder(tf.float32, name="x")
    assert tf.cast(x, tf.float32) is x
    c = tf.cast(x, "int32")
    assert c.dtype is tf.int32 and c.op.get_attr("DstT") is tf.int32
    assert tf.to_float(tf.constant(1)).name == "ToFloat:0"


def test_nn_names(g):
    x = tf.placeholder(tf.float32)
    assert tf.nn.relu(x).name == "Relu:0"
    assert tf.nn.softplus(x).name == "Softplus:0"
    assert tf.nn.sigmoid(x).name == "Sigmoid:0"
    assert tf.nn.tanh(x).name == "Tanh:0"


def test_autopacking(g):
    x = tf.placeholder(tf.float32, [3])
    packed = tf.convert_to_tensor([x, x])
    assert packed.name == "packed:0" and packed.op.type == "Pack"
    assert packed.shape == [2, 3]


def test_rounding_and_extra_unary_ops(g):
    x = tf.constant([1.5, -2.5, 0.2])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(tf.round(x)), [2.0, -2.0, 0.0])
        np.testing.assert_array_equal(sess.run(tf.floor(x)), [1.0, -3.0, 0.0])
        np.testing.assert_array_equal(sess.run(tf.ceil(x)), [2.0, -2.0, 1.0])
        np.testing.assert_allclose(sess.run(tf.expm1(x)), np.expm1([1.5, -2.5, 0.2]), rtol=1e-6)
        np.testing.assert_allclose(sess.run(tf.tan(x)), np.tan([1.5, -2.5, 0.2]), rtol=1e-5)
    with tf.Session() as sess:
        halves = sess.run(tf.round(tf.constant([-0.5, 0.5, -1.5, -0.2], tf.float64)))
    # Half to even, and the sign of zero kept: -0.5 and -0.2 round to -0 as in TF / numpy.
    np.testing.assert_array_equal(halves, [-0.0, 0.0, -2.0, -0.0])
    assert list(np.signbit(halves)) == [True, False, True, True]
    i = tf.constant(3)
    assert tf.round(i) is i
    assert tf.floor(x).op.type == "Floor" and tf.tan(x).name == "Tan_1:0"


def test_reduce_all_of_unknown_rank_is_scalar(g):
    p = tf.placeholder(tf.float32)
    assert tf.reduce_max(p).shape == []
    assert tf.reduce_sum(p, keepdims=True).shape.rank is None


def test_lists_of_arrays_keep_numpy_dtype(g):
    t = tf.convert_to_tensor([np.array([1.0, 2.0]), np.array([3.0, 4.0])])
    assert t.dtype is tf.float64 and t.shape == [2, 2]


def test_cast_of_out_of_range_floats_to_ints_as_tf_cpu():
    # TF 2.21's CPU Cast (C++ conversion on x86-64): NaN and out-of-range values give the
    # type's "integer indefinite" minimum; narrow types keep the low bits of the int32 result.
    v = np.array([np.inf, -np.inf, np.nan, 3e9, -3e9, 300.7, -1.5, 2147483520.0,
                  -2147483648.0], np.float32)
    expected = {
        tf.int32: [-2147483648] * 5 + [300, -1, 2147483520, -2147483648],
        tf.int64: [-9223372036854775808] * 3 + [3000000000, -3000000000, 300, -1,
                                                 2147483520, -2147483648],
        tf.uint8: [0, 0, 0, 0, 0, 44, 255, 128, 0],
        tf.int8: [0, 0, 0, 0, 0, 44, -1, -128, 0],
        tf.int16: [0, 0, 0, 0, 0, 300, -1, -128, 0],
    }
    with tf.Graph().as_default(), tf.Session() as sess:
        for src in (v, v.astype(np.float64)):
            x = tf.constant(src)
            for dtype, want in expected.items():
                assert sess.run(tf.cast(x, dtype)).tolist() == want, (src.dtype, dtype)
