"""test_shape_folding.py's programs against TensorFlow itself: the static shape of each.
Skipped when tensorflow is not importable (the normal test run); see test_tf_oracle.py for
how to run it."""

from __future__ import annotations

import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402
from test_shape_folding import CASES  # noqa: E402

tf1.disable_eager_execution()


@pytest.mark.parametrize("name", sorted(CASES))
def test_static_shape_matches_tf(name):
    build, expected = CASES[name]
    with tf1.Graph().as_default():
        want = build(tf1).shape
    with symgrad.Graph().as_default():
        got = build(symgrad).shape
    assert got.as_list() == want.as_list() == list(expected)
