#!/usr/bin/env bash
# Lint, format and type checks of the whole repository (every distribution and the tests), with
# the one configuration in the root pyproject.toml.  ./scripts/test.sh runs it before pytest;
# `tox -e lint,type` runs the same.  Usage: ./scripts/check.sh   (ruff and mypy installed)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m mypy
