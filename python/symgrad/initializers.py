"""``tf.compat.v1.initializers``: the initializer classes under their short names, and the
variance-scaling presets ``he_normal``, ``he_uniform``, ``lecun_normal``, ``lecun_uniform``."""

from __future__ import annotations

from .variables import constant_initializer as constant
from .variables import global_variables_initializer as global_variables
from .variables import glorot_normal_initializer as glorot_normal
from .variables import glorot_uniform_initializer as glorot_uniform
from .variables import he_normal, he_uniform, lecun_normal, lecun_uniform
from .variables import local_variables_initializer as local_variables
from .variables import ones_initializer as ones
from .variables import random_normal_initializer as random_normal
from .variables import random_uniform_initializer as random_uniform
from .variables import truncated_normal_initializer as truncated_normal
from .variables import variables_initializer as variables
from .variables import variance_scaling_initializer as variance_scaling
from .variables import zeros_initializer as zeros
from .init_orthogonal import orthogonal_initializer as orthogonal

__all__ = ["constant", "global_variables", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform", "lecun_normal", "lecun_uniform", "local_variables", "ones",
           "random_normal", "random_uniform", "truncated_normal", "variables",
           "variance_scaling", "zeros", "orthogonal"]
from .misc_ops import identity_initializer as identity  # noqa: E402
from .misc_ops import uniform_unit_scaling_initializer as uniform_unit_scaling  # noqa: E402
from .train.monitored_session import tables_initializer  # noqa: E402

__all__ += ["identity", "uniform_unit_scaling", "tables_initializer"]
