"""Side by side: the seed CNN's training throughput and peak memory, Ember vs PyTorch.

Usage (from the repository root, after scripts/build.sh):
  /usr/bin/python3 bench/mnist_cnn_vs_torch.py [--steps 200] [--reps 3] [--threads 1 2]
Each run is its own process, so peak RSS (ru_maxrss) is per framework. Prints medians of --reps
runs and the ratios Ember / PyTorch (throughput: higher is better; memory: lower is better).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}")
    m = re.search(r"([0-9.]+) images/s", out) or re.search(r"images/s: ([0-9.]+)", out)
    return float(m.group(1)), usage.ru_maxrss / 1024.0  # images/s, MB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    env = dict(os.environ)
    ember = [os.path.join(ROOT, "build", "ember"), "train", "mnist-cnn", "--epochs", "1", "--no-progress",
             "--data", args.data]
    print(f"seed CNN, batch 64, SGD(lr 0.01, momentum 0.9), {args.steps} steps, medians of {args.reps} runs")
    print(f"{'threads':>7} {'ember img/s':>12} {'torch img/s':>12} {'speedup':>8} {'ember MB':>9} {'torch MB':>9} {'mem ratio':>9}")
    for t in args.threads:
        e_runs, t_runs = [], []
        for _ in range(args.reps):  # interleaved, so both see the same machine state
            e_runs.append(run(ember + ["--threads", str(t), "--max-steps", str(args.steps)], env))
            t_runs.append(run([sys.executable, os.path.join(ROOT, "bench", "mnist_cnn_torch.py"), "--threads", str(t),
                               "--steps", str(args.steps), "--data", args.data], dict(env, OPENBLAS_NUM_THREADS=str(t))))
        e_ips = statistics.median(r[0] for r in e_runs)
        t_ips = statistics.median(r[0] for r in t_runs)
        e_mb = statistics.median(r[1] for r in e_runs)
        t_mb = statistics.median(r[1] for r in t_runs)
        print(f"{t:>7} {e_ips:>12.0f} {t_ips:>12.0f} {e_ips / t_ips:>7.2f}x {e_mb:>9.0f} {t_mb:>9.0f} {e_mb / t_mb:>8.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
