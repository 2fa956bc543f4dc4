"""TensorShape with TF 2.x semantics (pure Python)."""

import pytest

from symgrad.tensor_shape import Dimension, TensorShape, as_shape, unknown_shape


def test_known_shape_basics():
    s = TensorShape([2, 3])
    assert s.as_list() == [2, 3]
    assert s.rank == 2 and s.ndims == 2
    assert len(s) == 2
    assert list(s) == [2, 3]
    assert s.is_fully_defined()
    assert s.num_elements() == 6


def test_indexing():
    s = TensorShape([2, None, 4])
    assert s[0] == 2 and isinstance(s[0], int)
    assert s[1] is None
    assert s[-1] == 4
    assert s[1:] == TensorShape([None, 4])
    assert isinstance(s[1:], TensorShape)
    with pytest.raises(IndexError):
        s[5]


def test_unknown_rank():
    s = TensorShape(None)
    assert s.rank is None and s.ndims is None
    assert s[0] is None
    assert s[1:] == TensorShape(None)
    assert not s.is_fully_defined()
    assert s.num_elements() is None
    with pytest.raises(ValueError, match="Cannot take the length of shape with unknown rank."):
        len(s)
    with pytest.raises(ValueError, match="Cannot iterate over a shape with unknown rank."):
        list(s)
    with pytest.raises(ValueError, match=r"as_list\(\) is not defined on an unknown TensorShape."):
        s.as_list()


def test_text():
    assert repr(TensorShape([2, 3])) == "TensorShape([2, 3])"
    assert repr(TensorShape([None, 3])) == "TensorShape([None, 3])"
    assert repr(TensorShape(None)) == "TensorShape(None)"
    assert repr(TensorShape([])) == "TensorShape([])"
    assert str(TensorShape([2, 3])) == "(2, 3)"
    assert str(TensorShape([None, 3])) == "(None, 3)"
    assert str(TensorShape([2])) == "(2,)"
    assert str(TensorShape([])) == "()"
    assert str(TensorShape(None)) == "<unknown>"


def test_equality():
    assert TensorShape([2, 3]) == [2, 3]
    assert TensorShape([2, 3]) == (2, 3)
    assert TensorShape([None, 3]) == [None, 3]
    assert TensorShape(None) == TensorShape(None)
    assert TensorShape([2]) != TensorShape(None)
    assert TensorShape([2, 3]) != [3, 2]
    assert not (TensorShape([2, 3]) == "a")
    assert hash(TensorShape([2, 3])) == hash(TensorShape((2, 3)))


def test_scalar_shape():
    s = TensorShape([])
    assert s.rank == 0 and s.is_fully_defined() and s.num_elements() == 1


def test_compatibility_and_merge():
    assert TensorShape([2, None]).is_compatible_with([2, 3])
    assert not TensorShape([2]).is_compatible_with([2, 3])
    assert TensorShape(None).is_compatible_with([1])
    assert TensorShape([2, None]).merge_with([None, 3]) == [2, 3]
    assert TensorShape(None).merge_with([4]) == [4]
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(3, 3\) are not compatible"):
        TensorShape([2, 3]).merge_with([3, 3])
    with pytest.raises(ValueError, match=r"Shapes \(2, 3\) and \(3,\) are not compatible"):
        TensorShape([2, 3]).merge_with([3])


def test_concatenate_and_add():
    assert TensorShape([2, 3]).concatenate([4]) == [2, 3, 4]
    assert TensorShape(None).concatenate([4]) == TensorShape(None)
    assert TensorShape([2]) + TensorShape([4]) == [2, 4]
    assert [1] + TensorShape([2]) == [1, 2]


def test_with_rank_and_specific_compatible():
    assert TensorShape(None).with_rank(2) == [None, None]
    with pytest.raises(ValueError, match=r"Shape \(2, 3\) must have rank 3"):
        TensorShape([2, 3]).with_rank(3)
    assert TensorShape([2, None]).most_specific_compatible_shape([2, 3]) == [2, None]
    assert unknown_shape(2) == [None, None]


def test_dimension_validation():
    with pytest.raises(TypeError, match="Dimension value must be integer or None"):
        TensorShape([2.5])
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        TensorShape([-1])
    assert TensorShape(3) == [3]
    assert as_shape((1, 2)) == [1, 2]


def test_dims_are_dimensions():
    dims = TensorShape([2, None]).dims
    assert [d.value for d in dims] == [2, None]
    assert repr(Dimension(2)) == "Dimension(2)"
    assert int(Dimension(5)) == 5
    assert (Dimension(None) == 3) is None
    assert Dimension(3) == 3
