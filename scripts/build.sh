#!/usr/bin/env bash
# Configures and builds Ember into build/ (or $EMBER_BUILD_DIR). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${EMBER_BUILD_DIR:-build}"
# Tests and benchmarks on explicitly: `pip install .` (scripts/python_env.sh) reconfigures the same
# directory with them off by default, and its cache would otherwise stick. Later "$@" flags win.
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${EMBER_BUILD_TYPE:-Release}" -DEMBER_BUILD_TESTS=ON \
  -DEMBER_BUILD_BENCH=ON "$@" >/dev/null
# EMBER_TARGETS: build only these targets (default: all).
# shellcheck disable=SC2086
ninja -C "$dir" -j"$(nproc)" ${EMBER_TARGETS:-}
