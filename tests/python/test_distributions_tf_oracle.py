"""test_distributions.py's programs against TensorFlow itself. Skipped when tensorflow is not
importable (the normal test run); see test_tf_oracle.py for how to run it."""

from __future__ import annotations

import numpy as np
import pytest

tensorflow = pytest.importorskip("tensorflow")
pytest.importorskip("symgrad._symgrad")

import tensorflow.compat.v1 as tf1  # noqa: E402

import symgrad  # noqa: E402
import test_distributions  # noqa: E402

tf1.disable_eager_execution()


def _values(module, build=None):
    saved = test_distributions.tf, test_distributions.D
    test_distributions.tf, test_distributions.D = module, module.distributions
    try:
        with module.Graph().as_default():
            ts = (build or test_distributions._build)()
            names = {k: v.name for k, v in ts.items()}
            with module.Session() as sess:
                return sess.run(ts), names
    finally:
        test_distributions.tf, test_distributions.D = saved


def test_values_and_names_match_tf():
    want, want_names = _values(tf1)
    got, got_names = _values(symgrad)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert got_names == want_names


def test_gamma_family_values_and_names_match_tf():
    want, want_names = _values(tf1, test_distributions._build_gamma_family)
    got, got_names = _values(symgrad, test_distributions._build_gamma_family)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert got_names == want_names
