#!/usr/bin/env bash
# Uses Ember as a user would after `cmake --install`: installs the build tree into a fresh prefix,
# checks that only what users need was installed, then either
#   cmake      builds examples/ as a separate CMake project with find_package(Ember) and trains
#              the seed CNN for a few batches, or
#   pkg-config compiles pkgconfig_main.cpp with `pkg-config --cflags --libs ember` and runs it.
# Usage: installed_package.sh cmake|pkg-config BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
mode=$1 build=$2 src=$3 work=$4
rm -rf "$work"; mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
# The manifest holds every installed file: anything outside the user-facing set is a leak
# (tests, benchmarks, examples, GoogleTest, ...).
unexpected=$(sed -e "s|^$prefix/||" "$build/install_manifest.txt" | grep -Ev \
  '^include/ember/.+\.h$|^lib[^/]*(/[^/]+)?/(libember\.so(\.[0-9.]+)?|libember_mpi\.so|cmake/Ember/[A-Za-z-]+\.cmake|pkgconfig/ember\.pc)$|^bin/ember$' || true)
if [[ -n "$unexpected" ]]; then echo "installed files users do not need:"; echo "$unexpected"; exit 1; fi
libdir=$(dirname "$(find "$prefix" -name 'libember.so' | head -n1)")
echo "installed $(wc -l <"$build/install_manifest.txt") files, $(du -sh "$prefix" | cut -f1) under $prefix"

case "$mode" in
  cmake)
    # A clean environment: only the prefix tells CMake where Ember is.
    cmake -S "$src/examples" -B "$work/examples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log"
    cmake --build "$work/examples" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
    # The executable finds libember.so through the RUNPATH CMake gave it, nothing else.
    out=$(env -u LD_LIBRARY_PATH EMBER_NUM_THREADS=1 "$work/examples/mnist_cnn" "" 60)
    echo "$out"
    # 60 batches of SGD take the mean loss from ln 10 = 2.30 to well under 1.5.
    awk '/^Batches 60, Loss: /{ ok = ($4 > 0 && $4 < 1.5) } END { exit !ok }' <<<"$out" ||
      { echo "expected 'Batches 60, Loss: L' with 0 < L < 1.5"; exit 1; }
    # A user's own model on train::Trainer: 3 short epochs, then a second run that resumes after
    # the third from the checkpoint and trains no further.
    rm -rf "$work/fit"
    out=$(env -u LD_LIBRARY_PATH EMBER_NUM_THREADS=1 "$work/examples/fit_mlp" "" "$work/fit" 30)
    echo "$out"
    awk '/^Test accuracy: /{ ok = ($3 + 0 > 80) } END { exit !ok }' <<<"$out" ||
      { echo "expected 'Test accuracy: A%' with A > 80 after 90 steps"; exit 1; }
    out=$(env -u LD_LIBRARY_PATH EMBER_NUM_THREADS=1 "$work/examples/fit_mlp" "" "$work/fit" 30)
    echo "$out"
    grep -q "^Resumed from .*last.safetensors after epoch 3" <<<"$out" || { echo "expected a resume after epoch 3"; exit 1; }
    ! grep -q "^Epoch" <<<"$out" || { echo "the resumed run trained again"; exit 1; }
    ;;
  pkg-config)
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    flags=$(pkg-config --cflags --libs ember)
    echo "pkg-config --cflags --libs ember: $flags"
    # shellcheck disable=SC2086
    g++ -std=c++20 -O1 "$src/tests/install/pkgconfig_main.cpp" -o "$work/pkgconfig_main" $flags \
      -Wl,-rpath,"$libdir"
    out=$(env -u LD_LIBRARY_PATH "$work/pkgconfig_main")
    echo "$out"
    grep -qx "grad: 2 4 6" <<<"$out" || { echo "expected 'grad: 2 4 6'"; exit 1; }
    grep -q "ember: matmul: shapes \\[2, 3\\] and \\[4, 5\\] cannot be multiplied" <<<"$out" || { echo "expected an ember::Error from a bad matmul"; exit 1; }
    ;;
  *) echo "unknown mode '$mode'"; exit 2 ;;
esac
