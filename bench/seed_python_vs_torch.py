"""Side by side: the seed program in Python on Ember, the C++ recipe, and PyTorch.

Usage (from the repository root, after scripts/test.sh or scripts/python_env.sh):
  /opt/torch/bin/python bench/seed_python_vs_torch.py [--steps 300] [--reps 3] [--threads 1 2]
Runs, interleaved and each in its own process at the same thread count:
  - examples/seed_cnn.py with build/venv's Python (Ember's package),
  - `build/ember train mnist-cnn` (the C++ recipe, same model, data, seed and optimizer),
  - bench/mnist_cnn_torch.py with this interpreter (PyTorch; warm-up steps untimed, which favours it).
Prints the medians of images/s and the ratios python/torch and python/C++.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def images_per_second(cmd, env):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}")
    m = re.search(r"([0-9.]+) images/s", out.stdout) or re.search(r"images/s: ([0-9.]+)", out.stdout)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--ember-python", default=os.path.join(ROOT, "build", "venv", "bin", "python"))
    args = ap.parse_args()
    env = dict(os.environ)
    print(f"seed CNN, batch 64, SGD(lr 0.01, momentum 0.9), {args.steps} steps, medians of {args.reps} runs")
    print(f"{'threads':>7} {'py img/s':>9} {'C++ img/s':>10} {'torch img/s':>12} {'py/torch':>9} {'py/C++':>7}")
    for t in args.threads:
        py, cpp, tor = [], [], []
        for _ in range(args.reps):
            py.append(images_per_second([args.ember_python, os.path.join(ROOT, "examples", "seed_cnn.py"), "--epochs", "1",
                                         "--max-steps", str(args.steps), "--threads", str(t), "--data", args.data], env))
            cpp.append(images_per_second([os.path.join(ROOT, "build", "ember"), "train", "mnist-cnn", "--epochs", "1",
                                          "--no-progress", "--max-steps", str(args.steps), "--threads", str(t),
                                          "--data", args.data], env))
            tor.append(images_per_second([sys.executable, os.path.join(ROOT, "bench", "mnist_cnn_torch.py"), "--threads",
                                          str(t), "--steps", str(args.steps), "--data", args.data],
                                         dict(env, OPENBLAS_NUM_THREADS=str(t))))
        p, c, q = (statistics.median(x) for x in (py, cpp, tor))
        print(f"{t:>7} {p:>9.0f} {c:>10.0f} {q:>12.0f} {p / q:>8.2f}x {p / c:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
