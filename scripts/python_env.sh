#!/usr/bin/env bash
# The Python package for the tests: a venv (build/venv, or $EMBER_VENV) with the build and test
# tools from PyPI (and the checkers the interop tests compare against: onnx, onnxruntime,
# tbparse, tensorboard), then `pip install .` into it reusing the CMake tree in build/ (or
# $EMBER_BUILD_DIR), so only the extension is compiled when the library is already built.
# Users just run `pip install .` (README, "Python").
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EMBER_VENV:-build/venv}"
dir="${EMBER_BUILD_DIR:-build}"
if [[ ! -x "$venv/bin/python" ]]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "nanobind>=2.0" "scikit-build-core>=0.10" numpy pytest \
  onnx onnxruntime tbparse tensorboard  # the tests of ONNX export and TensorBoard logs
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
  --config-settings=build-dir="$dir" .
