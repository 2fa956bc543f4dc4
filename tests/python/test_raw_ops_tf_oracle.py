"""``tf.raw_ops`` against TensorFlow itself: every wrapper's signature, and for a selection of
ops the graph built (names and types of the ops, in creation order), the dtypes and the
values, gradients included. Skipped when tensorflow is not importable (the normal test run);
see test_tf_oracle.py for how to run it.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow as tf2  # noqa: E402
import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()


def test_every_signature_is_tfs():
    names = dir(symgrad.raw_ops)
    assert len(names) > 300
    for name in names:
        got = inspect.signature(getattr(symgrad.raw_ops, name)).parameters
        want = inspect.signature(getattr(tf2.raw_ops, name)).parameters
        assert list(got) == list(want), name
        for key, param in want.items():
            default = param.default
            if hasattr(default, "tensor_shape"):  # a TensorProto (ImageSummary's bad_color)
                default = tf2.make_ndarray(default).tolist()
            if isinstance(default, (bool, int, float, str, list, type(None))):
                assert got[key].default == default, (name, key)
            else:
                assert repr(got[key].default) == repr(default), (name, key)


def _x(tf):
    return tf.constant(np.linspace(-1.0, 2.0, 12).reshape(3, 4), name="x")


CASES = {
    "topk": lambda tf, r: r.TopKV2(input=_x(tf), k=2),
    "mul_scalar": lambda tf, r: r.Mul(x=_x(tf), y=3),
    "split": lambda tf, r: r.Split(axis=1, value=_x(tf), num_split=2),
    "splitv": lambda tf, r: r.SplitV(value=_x(tf), size_splits=[1, 3], axis=1,
                                         num_split=2),
    "concat": lambda tf, r: r.ConcatV2(values=[_x(tf), np.ones((3, 4))], axis=0),
    "addn": lambda tf, r: r.AddN(inputs=[_x(tf), _x(tf)]),
    "pack": lambda tf, r: r.Pack(values=[_x(tf), _x(tf)], axis=1),
    "unpack": lambda tf, r: r.Unpack(value=_x(tf), num=3),
    "cast": lambda tf, r: r.Cast(x=_x(tf), DstT=tf.int32),
    "matmul": lambda tf, r: r.MatMul(a=_x(tf), b=_x(tf), transpose_b=True),
    "argmax": lambda tf, r: r.ArgMax(input=_x(tf), dimension=1, output_type=tf.int32),
    "cumsum": lambda tf, r: r.Cumsum(x=_x(tf), axis=1, exclusive=True, reverse=True),
    "gather": lambda tf, r: r.GatherV2(params=_x(tf), indices=[2, 0], axis=0),
    "squeeze": lambda tf, r: r.Squeeze(input=r.ExpandDims(input=_x(tf), axis=0), axis=[0]),
    "one_hot": lambda tf, r: r.OneHot(indices=[0, 2], depth=3, on_value=1.0, off_value=0.0),
    "select": lambda tf, r: r.SelectV2(condition=r.Greater(x=_x(tf), y=0.5), t=_x(tf),
                                      e=-_x(tf)),
    "reduce": lambda tf, r: r.Sum(input=_x(tf), axis=[1], keep_dims=True),
    "range": lambda tf, r: r.Range(start=1, limit=10, delta=3),
    "unique": lambda tf, r: r.Unique(x=[3, 1, 3, 2]),
    "segment": lambda tf, r: r.SegmentSum(data=_x(tf), segment_ids=[0, 0, 1]),
    "bessel": lambda tf, r: r.BesselI1e(x=_x(tf)),
    "conv": lambda tf, r: r.Conv2D(input=r.Reshape(tensor=_x(tf), shape=[1, 3, 4, 1]),
                                   filter=np.ones((2, 2, 1, 2)), strides=[1, 1, 1, 1],
                                   padding="VALID"),
}


def _build(tf, case):
    graph = tf.Graph()
    with graph.as_default():
        raw = tf.raw_ops
        out = CASES[case](tf, raw)
        tensors = list(out) if isinstance(out, (list, tuple)) else [out]
        flat = []
        for t in tensors:
            flat.extend(t if isinstance(t, list) else [t])
        floats = [t for t in flat if t.dtype in (tf.float32, tf.float64)]
        x = graph.get_tensor_by_name("x:0") if "x" in [o.name for o in
                                                       graph.get_operations()] else None
        grads = []
        if x is not None and floats:
            total = tf.add_n([tf.reduce_sum(f) for f in floats])
            grads = [tf.convert_to_tensor(g) for g in tf.gradients(total, x) if g is not None]
        ops = [(op.name, op.type) for op in graph.get_operations()
               if not op.name.startswith("gradients")]
        structure = (type(out).__name__ if isinstance(out, tuple)
                     else "list" if isinstance(out, list) else "tensor")
        fields = getattr(out, "_fields", None)
        with tf.Session(graph=graph) as sess:
            values = sess.run(flat + grads)
    return ops, structure, fields, [t.dtype.name for t in flat], values


@pytest.mark.parametrize("case", sorted(CASES))
def test_graph_and_values(case):
    want_ops, want_kind, want_fields, want_dtypes, want = _build(tf1, case)
    got_ops, got_kind, got_fields, got_dtypes, got = _build(symgrad, case)
    assert got_ops == want_ops
    assert (got_kind, got_fields, got_dtypes) == (want_kind, want_fields, want_dtypes)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
