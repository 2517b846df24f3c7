#!/usr/bin/env bash
# Configures and builds Ember into build/ (or $EMBER_BUILD_DIR). Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${EMBER_BUILD_DIR:-build}"
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${EMBER_BUILD_TYPE:-Release}" "$@" >/dev/null
# EMBER_TARGETS: build only these targets (default: all).
# shellcheck disable=SC2086
ninja -C "$dir" -j"$(nproc)" ${EMBER_TARGETS:-}
