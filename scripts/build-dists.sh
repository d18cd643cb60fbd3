#!/bin/sh
# Build a wheel of every ember distribution (the core and each connector, sink and plugin)
# into dist/, without their third-party dependencies. Install from there with, e.g.:
#   pip install --find-links dist ember ember-socket ember-kafka
set -eu
cd "$(dirname "$0")/.."
mkdir -p dist
for project in . connectors/* sinks/* plugins/*; do
    [ -f "$project/pyproject.toml" ] || continue
    echo "building $project"
    python -m pip wheel --quiet --no-deps --wheel-dir dist "$project"
done
ls dist
