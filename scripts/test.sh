#!/usr/bin/env bash
# The whole test suite: the Rust crate's tests (no Python needed), then the package built
# and installed into the active Python environment, then the pytest suite against it.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

echo "== cargo clippy"
# With the binding: the `python` feature compiles src/python too.
cargo clippy --release --all-targets --features python -- -D warnings

echo "== cargo test"
# SYMGRAD_LONG_TESTS=1 runs the long versions of the property, scale and memory tests.
cargo test --release

echo "== install symgrad and the test dependencies"
"$python" -m pip install --quiet --upgrade pip
"$python" -m pip install --quiet ".[test]"

echo "== pytest"
# Run from the tests folder so the installed package, not the source tree, is imported.
cd tests/python
"$python" -m pytest -q -p no:cacheprovider .
