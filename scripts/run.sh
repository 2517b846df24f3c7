#!/usr/bin/env bash
# The README's main command: installs dependencies, builds, and trains the seed's CNN on MNIST
# for its 10 epochs (SGD, lr 0.01, momentum 0.9, batch 64), printing the test accuracy.
# Extra arguments go to `ember train mnist-cnn` (e.g. --epochs 1, --threads 2, --data DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
EMBER_TARGETS=ember_cli bash scripts/build.sh  # the CLI alone: no tests or benchmarks
exec ./build/ember train mnist-cnn --checkpoint-dir runs/mnist-cnn "$@"
