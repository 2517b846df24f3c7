#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole suite, then runs it
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== Release build and tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
if [[ "${EMBER_SKIP_SANITIZERS:-0}" != "1" ]]; then
  echo "== ASan + UBSan build and tests"
  EMBER_BUILD_DIR=build-asan EMBER_BUILD_TYPE=RelWithDebInfo bash scripts/build.sh -DEMBER_SANITIZE=ON -DEMBER_BUILD_BENCH=OFF
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -LE "training|distributed"
fi
