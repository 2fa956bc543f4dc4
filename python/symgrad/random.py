"""``tf.random`` as ``tf.compat.v1`` has it: the random ops under their short names."""

from __future__ import annotations

from .framework import set_random_seed  # noqa: F401
from .random_ops import get_seed  # noqa: F401
from .random_ops import random_normal as normal  # noqa: F401
from .random_ops import random_shuffle as shuffle  # noqa: F401
from .random_ops import random_uniform as uniform  # noqa: F401
from .random_ops import truncated_normal  # noqa: F401

from .random_sampling import categorical, multinomial  # noqa: F401
from .random_sampling import random_gamma as gamma  # noqa: F401
from .random_sampling import random_poisson as poisson  # noqa: F401

__all__ = ["normal", "uniform", "truncated_normal", "shuffle", "set_random_seed", "get_seed",
           "categorical", "multinomial", "gamma", "poisson", "log_uniform_candidate_sampler",
           "uniform_candidate_sampler"]
from .candidate_sampling import log_uniform_candidate_sampler, uniform_candidate_sampler  # noqa: F401,E402
