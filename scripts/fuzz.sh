#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, clang + ASan + UBSan) into build-fuzz/ and runs each for
# SECONDS_PER_HARNESS seconds (default 60) on a scratch copy of its seed corpus (fuzz/corpus/<name>,
# never changed here). Fails when any harness reports a crash, leak, sanitizer report, timeout or
# an allocation over the limits below. Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
# Extra libFuzzer flags: EMBER_FUZZ_FLAGS="-runs=1000000" (e.g. a fixed number of executions).
# The harnesses write their scratch files under /dev/shm (EMBER_FUZZ_TMPDIR to change).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
dir="${EMBER_FUZZ_BUILD_DIR:-build-fuzz}"
all=(safetensors checkpoint idx imdb text_file vocab_json tokenizer_json wordpiece gpt2_files tokenizer_encode
     config_json cli)
names=("$@")
((${#names[@]})) || names=("${all[@]}")

if [[ "${EMBER_FUZZ_NO_BUILD:-0}" != "1" ]]; then  # 1: run what is built (e.g. two runs side by side)
echo "== fuzz build ($dir, clang)"
# Only libember and the harnesses: no tests, benchmarks or Python. -O1 with line tables keeps the
# build short and the reports readable; the parsers are instrumented (CMakeLists.txt, EMBER_FUZZ).
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMBER_FUZZ=ON \
  -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_BENCH=OFF -DEMBER_BUILD_PYTHON=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" >/dev/null
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
ninja -C "$dir" -j"$(nproc)" "${targets[@]}"
fi

# A hostile header must be refused before it allocates: over 1 GiB in one allocation or 2 GiB of
# memory is a finding, as is an input that takes over 10 s.
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export EMBER_NUM_THREADS=1 OMP_NUM_THREADS=1
failed=()
printf '%-18s %12s %10s  %s\n' harness executions exec/s result
for n in "${names[@]}"; do
  work="$dir/fuzz_runs/$n"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp fuzz/corpus/"$n"/* "$work/corpus/"
  rc=0
  # shellcheck disable=SC2086
  "$dir/fuzz/fuzz_$n" "$work/corpus" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -timeout=10 -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    ${EMBER_FUZZ_FLAGS:-} >"$work/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  if ((rc == 0)); then
    result=ok
  else
    result="FAILED (exit $rc; $work/log, inputs in $work/artifacts/)"
    failed+=("$n")
  fi
  printf '%-18s %12s %10s  %s\n' "$n" "${execs:-?}" "${speed:-?}" "$result"
done
if ((${#failed[@]})); then
  for n in "${failed[@]}"; do
    echo "-- fuzz_$n:"
    grep -E -A30 '^==[0-9]+==ERROR|runtime error|deadly signal|uncaught|out-of-memory|malloc\(|leak' \
      "$dir/fuzz_runs/$n/log" | head -60 || tail -n 40 "$dir/fuzz_runs/$n/log"
  done
  echo "fuzz: ${#failed[@]} harness(es) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#names[@]} harnesses ran ${secs}s each without a finding"
