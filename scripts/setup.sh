#!/usr/bin/env bash
# Installs Ember's build and test dependencies from Debian's packages. Idempotent; needs root
# (or sudo). Skips apt entirely when everything is already installed.
set -euo pipefail
PKGS=(cmake ninja-build g++ pkg-config libopenblas-dev libopenblas0-openmp zlib1g-dev nlohmann-json3-dev libcli11-dev
      libgtest-dev libgmock-dev libbenchmark-dev libpng-dev libdnnl-dev libcurl4-openssl-dev libssl-dev
      libpcre2-dev libutf8proc-dev openmpi-bin libopenmpi-dev
      # the Python package: headers for the extension, venv for pip (nanobind etc. come from PyPI)
      python3-dev python3-venv
      # libdnnl-dev's CMake config calls find_package(OpenCL): without these, configure fails.
      ocl-icd-opencl-dev
      # scripts/fuzz.sh: clang with libFuzzer and the sanitizers' runtimes, and clang's OpenMP
      clang libclang-rt-14-dev libomp-dev
      # ONNX export (the ONNX protobuf schema and checker) and TensorBoard event files (protobuf)
      libonnx-dev libprotobuf-dev protobuf-compiler)
# Optional extras for golden-file regeneration and side-by-side benchmarks (not needed to build/test).
if [[ "${EMBER_WITH_TORCH:-0}" == "1" ]]; then PKGS+=(python3-torch python3-numpy libtorch-dev); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
