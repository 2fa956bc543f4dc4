"""The stub python/symgrad/_symgrad.pyi must match the native module (mypy's stubtest).

Runs ``python -m mypy.stubtest symgrad._symgrad`` (the command in docs/api.md, "Checking the
stubs") against the installed extension; skipped when mypy is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy.stubtest", reason="mypy is not installed")
pytest.importorskip("symgrad._symgrad", reason="the native module is not built")


def test_native_stub_matches_native_module(tmp_path: Path) -> None:
    # Run outside the source tree with a private cache, so that the installed package is
    # what gets checked and no .mypy_cache is left behind.
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "mypy_cache"))
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "symgrad._symgrad"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
