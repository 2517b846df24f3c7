#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs the whole suite (C++ and, after
# `pip install .` into build/venv, Python), then runs the
# unit tests and the CLI's error paths again under AddressSanitizer + UndefinedBehaviorSanitizer,
# and runs each fuzz harness briefly (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
jobs="$(nproc)"
echo "== Release build and tests"
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== Python package (pip install . into build/venv) and its tests"
bash scripts/python_env.sh
build/venv/bin/python -m pytest tests/python -q -p no:cacheprovider
if [[ "${EMBER_SKIP_SANITIZERS:-0}" != "1" ]]; then
  echo "== ASan + UBSan build and tests"
  # Only what the sanitizer pass runs: the library, the unit tests and the CLI. -O1 with line
  # tables keeps the build short and the reports readable. Training and mpirun tests already ran
  # above; under ASan they would take most of an hour.
  EMBER_BUILD_DIR=build-asan EMBER_BUILD_TYPE=RelWithDebInfo EMBER_TARGETS="ember_tests ember_cli" \
    bash scripts/build.sh -DEMBER_SANITIZE=ON -DEMBER_BUILD_BENCH=OFF \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 EMBER_NUM_THREADS=1
  # One process per shard instead of one per test: an ASan process start costs about a second.
  pids=()
  for ((i = 0; i < jobs; ++i)); do
    GTEST_TOTAL_SHARDS="$jobs" GTEST_SHARD_INDEX="$i" ./build-asan/tests/ember_tests --gtest_brief=1 \
      >"build-asan/unit_shard_$i.log" 2>&1 &
    pids+=($!)
  done
  failed=0
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      failed=1
      echo "-- ASan unit-test shard $i failed:"
      tail -n 200 "build-asan/unit_shard_$i.log"
    fi
  done
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -R '^cli\.'
  ((failed == 0)) || { echo "ASan + UBSan: unit tests failed"; exit 1; }
fi
if [[ "${EMBER_SKIP_FUZZ:-0}" != "1" ]]; then
  # Each libFuzzer harness for 5 s from its seed corpus (about a minute in all, after the build of
  # libember and the harnesses with clang into build-fuzz/); longer runs: scripts/fuzz.sh SECONDS.
  echo "== Fuzzing (libFuzzer + ASan + UBSan), 5 s per harness"
  bash scripts/fuzz.sh 5
fi
