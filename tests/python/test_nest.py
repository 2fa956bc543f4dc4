"""tf.nest: flattening, packing and mapping nested structures, with TF 2.21's errors."""

from __future__ import annotations

import collections

import pytest

import symgrad as tf

Point = collections.namedtuple("Point", ["x", "y"])
STRUCTURE = {"b": [1, (2, 3)], "a": Point(4, {"z": 5, "c": None}), "d": "str"}


def test_flatten_and_pack_round_trip():
    assert tf.nest.flatten(STRUCTURE) == [4, None, 5, 1, 2, 3, "str"]
    assert tf.nest.flatten(7) == [7]
    assert tf.nest.is_nested(STRUCTURE) and not tf.nest.is_nested("ab")
    packed = tf.nest.pack_sequence_as(STRUCTURE, list(range(10, 17)))
    assert packed == {"b": [13, (14, 15)], "a": Point(10, {"z": 12, "c": 11}), "d": 16}
    assert isinstance(packed["a"], Point)
    ordered = collections.OrderedDict([("z", 1), ("a", 2)])
    assert tf.nest.flatten(ordered) == [2, 1]
    assert list(tf.nest.pack_sequence_as(ordered, [8, 9]).items()) == [("z", 9), ("a", 8)]
    assert tf.nest.pack_sequence_as(5, [6]) == 6


def test_deep_structures_need_no_recursion():
    deep = 0
    for _ in range(5000):
        deep = [deep]
    assert tf.nest.flatten(deep) == [0]
    again = tf.nest.map_structure(lambda v: v + 1, deep)
    assert tf.nest.flatten(again) == [1]


def test_map_structure():
    doubled = tf.nest.map_structure(lambda a, b: a + b, [1, (2, {"k": 3})], [10, (20, {"k": 30})])
    assert doubled == [11, (22, {"k": 33})]
    assert tf.nest.map_structure(lambda a, b: a, [1, 2], (3, 4), check_types=False) == [1, 2]
    with pytest.raises(TypeError, match="func must be callable, got: 3"):
        tf.nest.map_structure(3, [1])
    with pytest.raises(ValueError, match="Must provide at least one structure"):
        tf.nest.map_structure(abs)
    with pytest.raises(ValueError, match="Only valid keyword arguments are `check_types` and "
                                         "`expand_composites`, not: `bad`"):
        tf.nest.map_structure(abs, [1], bad=1)


def test_errors_read_as_tf_2_21():
    with pytest.raises(ValueError, match="Structure had 7 atoms, but flat_sequence had 2 "
                                         "items"):
        tf.nest.pack_sequence_as(STRUCTURE, [1, 2])
    with pytest.raises(ValueError, match="nest cannot guarantee that it is safe to map one "
                                         "to the other"):
        tf.nest.pack_sequence_as(5, [1, 2])
    with pytest.raises(TypeError, match="Attempted to pack value:\n  5\ninto a structure"):
        tf.nest.pack_sequence_as([1], 5)
    with pytest.raises(ValueError) as e:
        tf.nest.assert_same_structure([1, [2]], [1, 2])
    assert str(e.value) == (
        "The two structures don't have the same nested structure.\n\n"
        "First structure: type=list str=[1, [2]]\n\nSecond structure: type=list str=[1, 2]\n\n"
        'More specifically: Substructure "type=list str=[2]" is a sequence, while substructure '
        '"type=int str=2" is not\nEntire first structure:\n[., [.]]\n'
        "Entire second structure:\n[., .]")
    with pytest.raises(TypeError, match="has type Point, while second structure .* has "
                                        "type tuple"):
        tf.nest.assert_same_structure(Point(1, 2), (1, 2))
    tf.nest.assert_same_structure([1, 2], (3, 4), check_types=False)
    with pytest.raises(ValueError, match="don't have the same number of elements"):
        tf.nest.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="don't have the same set of keys"):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})
