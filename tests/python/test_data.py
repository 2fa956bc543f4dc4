"""tf.data: datasets, their element specs, TF 1 iterators and the values they produce.

Expected values were taken from TensorFlow 2.21 (tf.compat.v1 graph mode) running the same
pipelines; test_data_tf_oracle.py re-checks them against TF when it is installed.
"""

from __future__ import annotations

import gc
import gzip
import weakref
from typing import Any

import numpy as np
import pytest

import symgrad as tf

D = tf.data.Dataset


def collect(dataset: Any, feed: Any = None, limit: int = 1000) -> list[Any]:
    """Every element of ``dataset`` through an initializable iterator."""
    with tf.Graph().as_default():
        made = dataset() if callable(dataset) else dataset
        iterator = tf.data.make_initializable_iterator(made)
        nxt = iterator.get_next()
        with tf.Session() as sess:
            sess.run(iterator.initializer, feed)
            return drain(sess, nxt, limit)


def drain(sess: Any, nxt: Any, limit: int = 1000) -> list[Any]:
    """Runs ``nxt`` until the end of its sequence (at most ``limit`` times)."""
    out = []
    for _ in range(limit):
        try:
            out.append(sess.run(nxt))
        except tf.errors.OutOfRangeError:
            break
    return out


def values(elements: list[Any]) -> list[Any]:
    """Elements as plain Python values (numpy arrays as lists) for comparisons."""
    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        return np.asarray(v).tolist()
    return [plain(e) for e in elements]


# ----- iterators ----------------------------------------------------------------------------
def test_initializable_iterator_over_fed_placeholder():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3])
        ds = D.from_tensor_slices((x, np.arange(4))).batch(2)
        assert ds.output_types == (tf.float32, tf.int64)
        assert ds.output_shapes == (tf.TensorShape([None, 3]), tf.TensorShape([None]))
        assert ds.output_classes == (tf.Tensor, tf.Tensor)
        spec = ds.element_spec
        assert spec[0].shape == [None, 3] and spec[0].dtype == tf.float32
        it = ds.make_initializable_iterator()
        a, b = it.get_next()
        assert a.shape.as_list() == [None, 3] and b.shape.as_list() == [None]
        assert (a.dtype, b.dtype) == (tf.float32, tf.int64)
        assert (a.name, b.name) == ("IteratorGetNext:0", "IteratorGetNext:1")
        assert it.initializer.name == "MakeIterator"
        assert x in it.initializer.inputs
        assert g.get_operation_by_name("IteratorV2").outputs[0].dtype == tf.string
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError,
                               match="GetNext\\(\\) failed because the iterator has not been "
                                     "initialized"):
                sess.run(a)
            feed = np.arange(12, dtype=np.float32).reshape(4, 3)
            sess.run(it.initializer, {x: feed})
            first = sess.run([a, b])
            np.testing.assert_array_equal(first[0], feed[:2])
            np.testing.assert_array_equal(first[1], [0, 1])
            assert first[1].dtype == np.int64
            np.testing.assert_array_equal(sess.run(b), [2, 3])
            with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence") as info:
                sess.run(a)
            assert info.value.op is a.op
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(a)
            # Running the initializer again restarts, with the new feed.
            sess.run(it.initializer, {x: feed * 0})
            np.testing.assert_array_equal(sess.run(a), np.zeros((2, 3)))
            sess.run(it.initializer, {x: feed[:2]})
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="All components must have the same size in the 0th "
                                     "dimension"):
                sess.run(a)


def test_one_shot_iterator_state_is_per_session():
    with tf.Graph().as_default() as g:
        it = D.range(5).make_one_shot_iterator()
        nxt = it.get_next()
        assert nxt.op.name == "IteratorGetNext" and nxt.shape.as_list() == []
        assert g.get_operation_by_name("OneShotIterator") is not None
        with pytest.raises(ValueError, match="does not have an initializer"):
            it.initializer
        with tf.Session() as s1, tf.Session() as s2:
            assert [s1.run(nxt) for _ in range(3)] == [0, 1, 2]
            assert [s2.run(nxt) for _ in range(2)] == [0, 1]
            assert s1.run(nxt) == 3


def test_one_shot_iterator_refuses_a_placeholder_capture():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float32, [3])
        with pytest.raises(ValueError, match=r"Cannot capture a placeholder "
                                             r"\(name:Placeholder, type:Placeholder\) by value."):
            D.from_tensor_slices(p).make_one_shot_iterator()
        c = tf.constant([1.0, 2.0])
        nxt = tf.data.make_one_shot_iterator(D.from_tensor_slices(c)).get_next()
        with tf.Session() as sess:
            assert [sess.run(nxt) for _ in range(2)] == [1.0, 2.0]


def test_reinitializable_iterator_from_structure():
    with tf.Graph().as_default():
        train = D.range(3)
        test = D.range(10, 12)
        it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        nxt = it.get_next()
        init_train, init_test = it.make_initializer(train), it.make_initializer(test)
        assert init_train.name == "MakeIterator" and init_test.name == "MakeIterator_1"
        with tf.Session() as sess:
            sess.run(init_train)
            assert [sess.run(nxt) for _ in range(2)] == [0, 1]
            sess.run(init_test)
            assert [sess.run(nxt) for _ in range(2)] == [10, 11]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run(nxt)
        with pytest.raises(TypeError, match="Expected output types"):
            it.make_initializer(D.range(3).map(lambda v: tf.cast(v, tf.float32)))
        shaped = tf.data.Iterator.from_structure(tf.int64, [2])
        with pytest.raises(TypeError, match="Expected output shapes compatible with"):
            shaped.make_initializer(D.range(3))


def test_feedable_iterator_from_string_handle():
    with tf.Graph().as_default():
        handle = tf.placeholder(tf.string, [])
        a = D.range(3).make_one_shot_iterator()
        b = D.range(100, 103).make_initializable_iterator()
        it = tf.data.Iterator.from_string_handle(handle, a.output_types, a.output_shapes)
        nxt = it.get_next()
        assert nxt.dtype == tf.int64 and nxt.shape.as_list() == []
        with tf.Session() as sess:
            ha, hb = sess.run([a.string_handle(), b.string_handle()])
            assert isinstance(ha, bytes) and ha != hb
            sess.run(b.initializer)
            assert sess.run(nxt, {handle: ha}) == 0
            assert sess.run(nxt, {handle: hb}) == 100
            assert sess.run(nxt, {handle: ha}) == 1
            assert sess.run(a.get_next()) == 2


def test_element_spec_helpers_and_nested_structures():
    ds = D.from_tensor_slices({"x": np.zeros((4, 2), np.float64), "y": (np.arange(4), ["a"] * 4)})
    assert tf.data.get_output_types(ds) == {"x": tf.float64, "y": (tf.int64, tf.string)}
    assert tf.data.get_output_shapes(ds) == {"x": tf.TensorShape([2]),
                                             "y": (tf.TensorShape([]), tf.TensorShape([]))}
    assert tf.data.get_output_classes(ds) == {"x": tf.Tensor, "y": (tf.Tensor, tf.Tensor)}
    with tf.Graph().as_default():
        nxt = ds.make_one_shot_iterator().get_next()
        assert set(nxt) == {"x", "y"} and isinstance(nxt["y"], tuple)
        with tf.Session() as sess:
            got = sess.run(nxt)
    assert got["y"][1] == b"a" and got["x"].dtype == np.float64


def test_iterator_keeps_no_graph_alive():
    def build() -> weakref.ref:
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None])
            it = D.from_tensor_slices(x).map(lambda v: v * 2).make_initializable_iterator()
            nxt = it.get_next()
            with tf.Session() as sess:
                sess.run(it.initializer, {x: [1.0]})
                assert sess.run(nxt) == 2.0
        return weakref.ref(g)

    ref = build()
    gc.collect()
    assert ref() is None


# ----- sources ------------------------------------------------------------------------------
def test_sources():
    assert values(collect(D.from_tensor_slices([1.5, 2.5]))) == [1.5, 2.5]
    assert collect(D.from_tensor_slices([1.5, 2.5]))[0].dtype == np.float32
    assert values(collect(D.from_tensor_slices([[1, 2], [3, 4]]))) == [[1, 2], [3, 4]]
    assert collect(D.from_tensor_slices([[1, 2]]))[0].dtype == np.int32
    assert values(collect(D.from_tensors((np.zeros((2, 2)), 1)))) == [
        ([[0.0, 0.0], [0.0, 0.0]], 1)]
    assert values(collect(D.range(2, 9, 3))) == [2, 5, 8]
    assert values(collect(D.range(3, output_type=tf.int32))) == [0, 1, 2]
    assert D.range(3, output_type=tf.int32).output_types == tf.int32
    assert values(collect(D.from_tensor_slices(["a", "bc"]).batch(2))) == [[b"a", b"bc"]]


def test_source_errors():
    with pytest.raises(ValueError, match="Unbatching a tensor is only supported for rank >= 1"):
        D.from_tensor_slices(1.0)
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        D.from_tensor_slices((np.zeros(3), np.zeros(2)))


def test_from_generator():
    def gen():
        for i in range(3):
            yield i, [1.0] * i

    ds = D.from_generator(gen, (tf.int64, tf.float32),
                          (tf.TensorShape([]), tf.TensorShape([None])))
    assert ds.output_shapes == (tf.TensorShape([]), tf.TensorShape([None]))
    assert values(collect(ds)) == [(0, []), (1, [1.0]), (2, [1.0, 1.0])]
    # Each initialization calls the generator again; args are evaluated and passed.
    n = None
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [])
        ds = D.from_generator(lambda k: iter(range(k)), tf.int32, [], args=(n,))
        it = ds.make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            for k in (2, 3):
                sess.run(it.initializer, {n: k})
                assert drain(sess, nxt) == list(range(k))
    assert D.from_generator(lambda: iter([1]), tf.int64).output_shapes == tf.TensorShape(None)


@pytest.mark.parametrize("make, message", [
    (lambda: D.from_generator(lambda: iter([[1, 2, 3]]), tf.int64, [2]),
     "`generator` yielded an element of shape (3,) where an element of shape (2,) was "
     "expected."),
    (lambda: D.from_generator(lambda: iter([[1, 2]]), (tf.int64, tf.int64)),
     "`generator` yielded an element that did not match the expected structure. The "
     "expected structure was (tf.int64, tf.int64), but the yielded element was [1, 2]."),
    (lambda: D.from_generator(lambda: iter(["a"]), tf.int64),
     "`generator` yielded an element that could not be converted to the expected type. The "
     "expected type was int64, but the yielded element was a."),
])
def test_from_generator_errors(make, message):
    with tf.Graph().as_default():
        nxt = make().make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(nxt)
    assert message in info.value.message


def test_from_generator_argument_errors():
    with pytest.raises(TypeError, match="you need to provide either the `output_signature` "
                                        "argument or the `output_types` argument"):
        D.from_generator(lambda: iter([1]))
    with pytest.raises(TypeError, match="`generator` must be"):
        D.from_generator(3, tf.int64)


def test_text_line_dataset(tmp_path):
    plain = tmp_path / "a.txt"
    plain.write_bytes(b"one\r\ntwo\n\nthree")
    packed = tmp_path / "b.txt.gz"
    packed.write_bytes(gzip.compress(b"x\ny\n"))
    ds = tf.data.TextLineDataset([str(plain)])
    assert ds.output_types == tf.string and ds.output_shapes == tf.TensorShape([])
    assert collect(ds) == [b"one", b"two", b"", b"three"]
    assert collect(tf.data.TextLineDataset(str(packed), compression_type="GZIP")) == [b"x", b"y"]
    with tf.Graph().as_default():
        names = tf.placeholder(tf.string, [None])
        it = tf.data.TextLineDataset(names).make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer, {names: [str(plain), str(packed)]})
            assert sess.run(nxt) == b"one"
            sess.run(it.initializer, {names: [str(tmp_path / "missing")]})
            with pytest.raises(tf.errors.NotFoundError):
                sess.run(nxt)


# ----- transformations ----------------------------------------------------------------------
def test_batch_and_repeat():
    assert values(collect(D.range(5).batch(2, drop_remainder=True))) == [[0, 1], [2, 3]]
    assert D.range(5).batch(2, drop_remainder=True).output_shapes == tf.TensorShape([2])
    assert D.range(5).batch(2).output_shapes == tf.TensorShape([None])
    assert values(collect(D.range(3).repeat(2).batch(4))) == [[0, 1, 2, 0], [1, 2]]
    assert len(collect(D.range(2).repeat(), limit=7)) == 7
    assert values(collect(D.range(2).repeat(0))) == []


def test_batch_size_from_a_placeholder():
    with tf.Graph().as_default():
        size = tf.placeholder(tf.int64, [])
        it = D.range(5).batch(size).make_initializable_iterator()
        nxt = it.get_next()
        assert nxt.shape.as_list() == [None]
        with tf.Session() as sess:
            sess.run(it.initializer, {size: 3})
            np.testing.assert_array_equal(sess.run(nxt), [0, 1, 2])
            sess.run(it.initializer, {size: 4})
            np.testing.assert_array_equal(sess.run(nxt), [0, 1, 2, 3])


def test_batch_of_different_shapes_fails():
    ds = D.range(1, 4).map(lambda x: tf.fill([x], x)).batch(2)
    with tf.Graph().as_default():
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Cannot batch tensors with different shapes in component "
                                     r"0. First element had shape \[1\] and element 1 had "
                                     r"shape \[2\]."):
                sess.run(nxt)


def test_padded_batch():
    grow = D.range(1, 5).map(lambda x: tf.fill([x], x))
    assert grow.output_shapes == tf.TensorShape([None])
    assert values(collect(grow.padded_batch(2, padded_shapes=[None]))) == [
        [[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    def fixed():
        return D.range(1, 4).map(lambda x: tf.fill([x], x)).padded_batch(
            2, padded_shapes=[5], padding_values=tf.constant(-1, tf.int64))

    assert fixed().output_shapes == tf.TensorShape([None, 5])
    assert values(collect(fixed)) == [[[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]],
                                      [[3, 3, 3, -1, -1]]]
    pairs = D.range(1, 4).map(lambda x: (tf.fill([x], x), x)).padded_batch(2)
    assert pairs.output_shapes == (tf.TensorShape([None, None]), tf.TensorShape([None]))
    assert values(collect(pairs)) == [([[1, 0], [2, 2]], [1, 2]), ([[3, 3, 3]], [3])]
    with pytest.raises(ValueError, match=r"The padded shape \(1,\) is not compatible with the "
                                         r"shape \(2,\) of the corresponding input component"):
        D.from_tensors(np.zeros(2)).padded_batch(1, padded_shapes=[1])
    wider = D.from_tensors(np.ones(2)).padded_batch(1, padded_shapes=[3])
    assert values(collect(wider)) == [[[1.0, 1.0, 0.0]]]
    small = D.range(1, 4).map(lambda x: tf.fill([x], x)).padded_batch(2, padded_shapes=[2])
    with tf.Graph().as_default():
        nxt = small.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            sess.run(nxt)
            with pytest.raises(tf.errors.DataLossError,
                               match="Attempted to pad to a smaller size than the input "
                                     "element"):
                sess.run(nxt)


def test_unbatch_enumerate_zip_concatenate():
    rows = D.from_tensor_slices(np.arange(6).reshape(3, 2)).batch(2).unbatch()
    assert rows.output_shapes == tf.TensorShape([2])
    assert values(collect(rows)) == [[0, 1], [2, 3], [4, 5]]
    assert values(collect(D.range(4).batch(3).apply(tf.data.experimental.unbatch()))) == [
        0, 1, 2, 3]
    with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components"):
        D.range(3).unbatch()
    numbered = D.from_tensor_slices((np.arange(3), np.arange(3.0))).enumerate(5)
    assert numbered.output_types == (tf.int64, (tf.int64, tf.float64))
    assert values(collect(numbered)) == [(5, (0, 0.0)), (6, (1, 1.0)), (7, (2, 2.0))]
    zipped = D.zip((D.range(3), D.range(10, 15), D.from_tensors({"a": 1.0}).repeat()))
    assert values(collect(zipped)) == [(0, 10, {"a": 1.0}), (1, 11, {"a": 1.0}),
                                       (2, 12, {"a": 1.0})]
    assert values(collect(D.zip({"a": D.range(2), "b": D.range(5)}))) == [
        {"a": 0, "b": 0}, {"a": 1, "b": 1}]
    assert values(collect(D.zip(D.range(2), D.range(3)))) == [(0, 0), (1, 1)]
    with pytest.raises(TypeError, match="Python `list` is not supported"):
        D.zip([D.range(1), D.range(2)])
    joined = D.from_tensor_slices(np.zeros((2, 3))).concatenate(
        D.from_tensor_slices(np.ones((1, 3))))
    assert values(collect(joined)) == [[0.0] * 3, [0.0] * 3, [1.0] * 3]
    mixed = D.from_tensors(np.zeros(2)).concatenate(D.from_tensors(np.zeros(3)))
    assert mixed.output_shapes == tf.TensorShape([None])
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        D.range(3).concatenate(D.range(3).map(lambda x: tf.cast(x, tf.float32)))


def test_take_skip_shard_cache_prefetch_options():
    assert values(collect(D.range(10).skip(2).take(3))) == [2, 3, 4]
    assert values(collect(D.range(10).skip(-1))) == []
    assert values(collect(D.range(4).take(-1))) == [0, 1, 2, 3]
    assert values(collect(D.range(10).shard(3, 1))) == [1, 4, 7]
    assert values(collect(D.range(3).cache().repeat(2))) == [0, 1, 2, 0, 1, 2]
    assert values(collect(D.range(3).prefetch(tf.data.experimental.AUTOTUNE))) == [0, 1, 2]
    options = tf.data.Options()
    options.experimental_optimization.map_parallelization = True
    ds = D.range(2).with_options(options)
    assert ds.options() is options
    assert values(collect(ds)) == [0, 1]
    assert isinstance(D.range(1).options(), tf.data.Options)
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    with pytest.raises(TypeError, match="must return a `tf.data.Dataset`"):
        D.range(1).apply(lambda d: 3)


def test_cache_replays_the_first_pass():
    calls = []

    def count(x):
        calls.append(int(x))
        return x

    ds = D.range(3).map(lambda x: tf.py_func(count, [x], tf.int64)).cache().repeat(3)
    assert len(collect(ds)) == 9
    assert calls == [0, 1, 2]


def test_map_and_filter():
    pairs = D.from_tensor_slices((np.arange(3), np.arange(3) * 2)).map(
        lambda a, b: (a + b, [a, b]))
    assert pairs.output_types == (tf.int64, tf.int64)
    assert pairs.output_shapes == (tf.TensorShape([]), tf.TensorShape([2]))
    assert values(collect(pairs)) == [(0, [0, 0]), (3, [1, 2]), (6, [2, 4])]
    halves = D.from_tensor_slices({"x": np.arange(3.0), "y": np.arange(3)}).map(
        lambda d: d["x"] * 2)
    assert values(collect(halves)) == [0.0, 2.0, 4.0]
    assert values(collect(D.range(10).filter(lambda x: tf.equal(x % 3, 0)))) == [0, 3, 6, 9]
    # `==` of tensors is Python identity in TF 1 graphs: a constant False predicate, as TF.
    assert values(collect(D.range(10).filter(lambda x: x % 3 == 0))) == []
    with pytest.raises(ValueError, match="`predicate` must return a `tf.bool` scalar tensor"):
        D.range(3).filter(lambda x: x)
    # Python and numpy values returned by map_func become constants.
    assert values(collect(D.range(2).map(lambda x: (x, 1.5, "s")))) == [
        (0, 1.5, b"s"), (1, 1.5, b"s")]
    # Shapes the function gives its outputs are the static shapes of the elements.
    reshaped = D.from_tensor_slices(np.zeros((2, 6), np.float32)).map(
        lambda v: tf.reshape(v, [2, 3]))
    assert reshaped.output_shapes == tf.TensorShape([2, 3])


def test_map_with_py_func_and_random_ops():
    ds = D.range(3).map(lambda x: tf.py_func(lambda v: v * 10, [x], tf.int64))
    assert ds.output_shapes == tf.TensorShape(None)
    assert values(collect(ds)) == [0, 10, 20]
    noisy = D.range(4).map(lambda x: tf.random_uniform([2], seed=1))
    got = collect(noisy)
    assert all(v.shape == (2,) and 0 <= v.min() and v.max() < 1 for v in got)
    assert not np.array_equal(got[0], got[1])  # a random op's stream advances per element


def test_map_error_surfaces_with_its_class():
    ds = D.from_tensor_slices(np.array([[1.0], [2.0]])).map(
        lambda v: tf.check_numerics(tf.log(v - 2.0), "bad"))
    with tf.Graph().as_default():
        nxt = ds.make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="bad"):
                sess.run(nxt)


def test_flat_map_and_interleave():
    assert values(collect(D.range(1, 4).flat_map(lambda x: D.range(x)))) == [0, 0, 1, 0, 1, 2]
    two = D.range(1, 6).interleave(lambda x: D.from_tensors(x).repeat(x), cycle_length=2,
                                   block_length=2)
    assert values(collect(two)) == [1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5, 5]
    three = D.range(1, 6).interleave(lambda x: D.from_tensors(x).repeat(6 - x),
                                     cycle_length=3, block_length=1)
    assert values(collect(three)) == [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 1, 4, 5, 4]
    with pytest.raises(TypeError, match="must return a `Dataset` object"):
        D.range(3).flat_map(lambda x: x)
    files = D.from_tensor_slices([[1, 2], [3, 4]]).interleave(
        lambda row: D.from_tensor_slices(row * 10), cycle_length=2)
    assert values(collect(files)) == [10, 30, 20, 40]
    chained = D.range(2).apply(tf.data.experimental.parallel_interleave(
        lambda x: D.range(x, x + 2), cycle_length=2))
    assert values(collect(chained)) == [0, 1, 1, 2]


def test_shuffle_buffer_semantics_and_seeds():
    order = values(collect(D.range(20).shuffle(5, seed=3)))
    assert sorted(order) == list(range(20)) and order != list(range(20))
    assert values(collect(D.range(20).shuffle(5, seed=3))) == order
    # An element can only come out once it has entered the buffer of 5.
    assert all(v < i + 5 for i, v in enumerate(order))
    assert values(collect(D.range(6).shuffle(1))) == list(range(6))
    epochs = values(collect(D.range(10).shuffle(10, seed=1).repeat(2)))
    assert sorted(epochs[:10]) == sorted(epochs[10:]) == list(range(10))
    assert epochs[:10] != epochs[10:]
    same = values(collect(D.range(10).shuffle(10, seed=1, reshuffle_each_iteration=False)
                          .repeat(2)))
    assert same[:10] == same[10:]
    both = values(collect(D.range(8).apply(tf.data.experimental.shuffle_and_repeat(4, 2,
                                                                                   seed=0))))
    assert sorted(both) == sorted(list(range(8)) * 2)


def test_map_and_batch_and_enumerate_dataset():
    ds = D.range(5).apply(tf.data.experimental.map_and_batch(lambda x: x * 2, 2))
    assert values(collect(ds)) == [[0, 2], [4, 6], [8]]
    assert values(collect(D.range(2).apply(tf.data.experimental.enumerate_dataset(1)))) == [
        (1, 0), (2, 1)]


def test_graph_mode_python_iteration_is_refused():
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="only supports Python-style iteration in "
                                               "eager mode"):
            iter(D.range(3))


def test_eager_iteration():
    with tf.eager_mode():
        got = [int(t.numpy()) for t in D.range(3).map(lambda x: x + 1)]
        assert got == [1, 2, 3]
        it = D.range(2).make_one_shot_iterator()
        assert int(it.get_next().numpy()) == 0
        with pytest.raises(RuntimeError, match="not supported in eager mode"):
            D.range(2).make_initializable_iterator()
        pairs = list(D.from_tensor_slices(([1, 2], ["a", "b"])).as_numpy_iterator())
        assert pairs == [(1, b"a"), (2, b"b")] and isinstance(pairs[0][0], np.int32)
    with tf.Graph().as_default():
        with pytest.raises(RuntimeError, match="only supported in eager mode"):
            D.range(2).as_numpy_iterator()


def test_training_loop_fed_by_a_dataset():
    rng = np.random.RandomState(0)
    features = rng.randn(64, 3).astype(np.float32)
    labels = features @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    with tf.Graph().as_default():
        ds = D.from_tensor_slices((features, labels)).shuffle(64, seed=0).batch(16).repeat()
        x, y = ds.make_one_shot_iterator().get_next()
        w = tf.Variable(tf.zeros([3, 1]))
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss)
            for _ in range(200):
                sess.run(step)
            assert sess.run(loss) < first * 1e-3


def test_every_data_name_is_documented():
    from pathlib import Path
    import re
    doc = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    names = [f"data.{n}" for n in tf.data.__all__ if n != "DatasetV1"]
    names += [f"data.experimental.{n}" for n in tf.data.experimental.__all__]
    for cls in (tf.data.Dataset, tf.data.Iterator, tf.data.Options):
        names += [f"data.{cls.__name__.replace('DatasetV1', 'Dataset')}.{n}"
                  for n in vars(cls) if not n.startswith("_")]
    missing = [n for n in names
               if not re.search(r"`(?:symgrad\.)?" + re.escape(n) + r"(?=[`(\s,.\[=])", doc)]
    assert missing == []


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text(name)
    pattern = str(tmp_path / "*.txt")
    assert collect(D.list_files(pattern, shuffle=False)) == [
        str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert sorted(collect(D.list_files(pattern, seed=1))) == sorted(
        collect(D.list_files(pattern, shuffle=False)))
    lines = D.list_files(pattern, shuffle=False).interleave(tf.data.TextLineDataset,
                                                            cycle_length=2)
    assert collect(lines) == [b"a.txt", b"b.txt"]
    with tf.Graph().as_default():
        nxt = D.list_files(str(tmp_path / "*.none")).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched"):
                sess.run(nxt)


def test_py_func_takes_string_inputs():
    # Iterator handles and text elements reach Python callbacks as strings, as in TF.
    with tf.Graph().as_default():
        words = tf.constant(["ab", "c"])
        lengths = tf.py_func(lambda w: np.array([len(x) for x in w], np.int64), [words],
                             tf.int64)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(lengths), [2, 1])


def test_functions_capture_outer_tensors():
    with tf.Graph().as_default():
        scale = tf.constant(10, tf.int64)
        low = tf.placeholder(tf.int64, [])
        ds = (D.range(6).map(lambda x: x * scale).filter(lambda x: x >= low)
              .flat_map(lambda x: D.from_tensors(x + scale).map(lambda y: y - low)))
        assert scale in ds._captures() and low in ds._captures()
        it = ds.make_initializable_iterator()
        assert low in it.initializer.inputs
        nxt = it.get_next()
        with tf.Session() as sess:
            for bound, want in ((20, [10, 20, 30, 40]), (40, [10, 20])):
                sess.run(it.initializer, {low: bound})
                assert drain(sess, nxt) == want
        one_shot = D.range(3).map(lambda x: x + scale).make_one_shot_iterator().get_next()
        with tf.Session() as sess:
            assert sess.run(one_shot) == 10
        with pytest.raises(ValueError, match="Cannot capture a placeholder"):
            D.range(3).map(lambda x: x + low).make_one_shot_iterator()
