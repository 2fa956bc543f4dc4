"""tf.data pipelines run by TensorFlow and by symgrad: same elements, in the same order,
with the same static shapes and dtypes.

Skipped when tensorflow is not importable (the normal test run). To run it:

    PYTHONPATH=/path/to/symgrad/python /path/to/tfenv/bin/python -m pytest \
        tests/python/test_data_tf_oracle.py
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402

tf1.disable_eager_execution()

# Each pipeline is written once against the tf.compat.v1 API and built with both backends.
PIPELINES: dict[str, Callable[[Any], Any]] = {
    "slices_batch": lambda tf: tf.data.Dataset.from_tensor_slices(
        (np.arange(12.0).reshape(4, 3), np.arange(4))).batch(3),
    "interleave": lambda tf: tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(x), cycle_length=2, block_length=2),
    "interleave3": lambda tf: tf.data.Dataset.range(1, 6).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(6 - x), cycle_length=3,
        block_length=1),
    "flat_map": lambda tf: tf.data.Dataset.range(1, 4).flat_map(
        lambda x: tf.data.Dataset.range(x)),
    "padded": lambda tf: tf.data.Dataset.range(1, 5).map(
        lambda x: tf.fill([x], x)).padded_batch(2, padded_shapes=[None]),
    "padded_pairs": lambda tf: tf.data.Dataset.range(1, 4).map(
        lambda x: (tf.fill([x], x), x)).padded_batch(2),
    "unbatch": lambda tf: tf.data.Dataset.from_tensor_slices(
        np.arange(6).reshape(3, 2)).batch(2).unbatch(),
    "enumerate": lambda tf: tf.data.Dataset.from_tensor_slices(
        (np.arange(3), np.arange(3.0))).enumerate(5),
    "zip": lambda tf: tf.data.Dataset.zip(
        (tf.data.Dataset.range(3), tf.data.Dataset.from_tensors({"a": 1.0}).repeat())),
    "map_tuple": lambda tf: tf.data.Dataset.from_tensor_slices(
        (np.arange(3), np.arange(3) * 2)).map(lambda a, b: (a + b, [a, b])),
    "filter": lambda tf: tf.data.Dataset.range(10).filter(lambda x: tf.equal(x % 3, 0)),
    "skip_take_shard": lambda tf: tf.data.Dataset.range(30).skip(2).take(20).shard(3, 1),
    "repeat_batch_drop": lambda tf: tf.data.Dataset.range(3).repeat(3).batch(
        4, drop_remainder=True),
    "strings": lambda tf: tf.data.Dataset.from_tensor_slices(["a", "bc", "d"]).batch(2),
    "generator": lambda tf: tf.data.Dataset.from_generator(
        lambda: ((i, [1.0] * i) for i in range(3)), (tf.int64, tf.float32),
        (tf.TensorShape([]), tf.TensorShape([None]))),
    "map_cast_one_hot": lambda tf: tf.data.Dataset.from_tensor_slices(
        (np.arange(24, dtype=np.uint8).reshape(4, 6), np.array([0, 2, 1, 2]))).map(
        lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, 3))).batch(3),
    "padded_batch_strings": lambda tf: tf.data.Dataset.from_tensor_slices(
        [[1, 2, 3], [4, 5, 6]]).map(lambda r: {"ids": r[:2], "n": tf.size(r)}).padded_batch(
        2, padded_shapes={"ids": [4], "n": []}),
    "concat_cache": lambda tf: tf.data.Dataset.range(2).concatenate(
        tf.data.Dataset.range(5, 7)).cache().repeat(2),
}


def _run(tf: Any, make: Callable[[Any], Any]) -> tuple[list[Any], list[Any]]:
    with tf.Graph().as_default():
        iterator = tf.data.make_one_shot_iterator(make(tf))
        nxt = iterator.get_next()
        flat = list(nxt.values()) if isinstance(nxt, dict) else (
            list(nxt) if isinstance(nxt, tuple) else [nxt])
        specs = [(t.dtype.name, t.shape.as_list() if t.shape.rank is not None else None)
                 for t in flat if hasattr(t, "dtype")]
        out = []
        with tf.Session() as sess:
            while True:
                try:
                    out.append(sess.run(nxt))
                except tf.errors.OutOfRangeError:
                    break
        return specs, out


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    array = np.asarray(v)
    return (array.dtype.str if array.dtype != object else "object", array.tolist())


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_pipeline_matches_tensorflow(name: str) -> None:
    want_specs, want = _run(tf1, PIPELINES[name])
    got_specs, got = _run(symgrad, PIPELINES[name])
    assert got_specs == want_specs
    assert [_plain(e) for e in got] == [_plain(e) for e in want]
