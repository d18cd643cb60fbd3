#!/usr/bin/env bash
# Sets up everything the test suite needs on a bare machine, then runs all tests.
# Usage: ./scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# Python packages: the core, every plugin distribution of this repository, test tools.
"$PYTHON" -m pip install --quiet --upgrade pip
"$PYTHON" -m pip install --quiet -e ".[test]"
for dist in connectors/* sinks/* plugins/*; do
    if [ -f "$dist/pyproject.toml" ]; then
        "$PYTHON" -m pip install --quiet -e "$dist"
    fi
done
"$PYTHON" -m pip install --quiet "moto[server]>=5" boto3

# Services are started by the tests' own fixtures on free loopback ports.
export PYTHONHASHSEED=${PYTHONHASHSEED:-random}
exec "$PYTHON" -m pytest tests -q -p no:cacheprovider "$@"
