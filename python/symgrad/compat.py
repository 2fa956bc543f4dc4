"""``tf.compat``: ``symgrad.compat.v1`` is symgrad itself.

Scripts written for TF 2 often say ``tf.compat.v1.placeholder(...)``, or
``import tensorflow.compat.v1 as tf``; symgrad's top level already is the ``tf.compat.v1``
surface, so ``v1`` names the package rather than a copy of it.
"""

from __future__ import annotations

import sys

__all__ = ["v1"]

v1 = sys.modules[__package__]
