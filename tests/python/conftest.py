"""Shared pytest setup for tests/python: makes helper modules here (gradient_checker) importable."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
