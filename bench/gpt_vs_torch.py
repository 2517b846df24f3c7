"""Side by side: GPT training throughput and peak memory, Ember vs PyTorch (the venv's, e.g. 2.x), from scratch on
random tokens with AdamW (no dropout):
  baby  nanoGPT's shakespeare_char model: 6 layers, 6 heads, 384 wide, context 256, batch 16, vocab 65
  gpt2  GPT-2 124M: 12 layers, 12 heads, 768 wide, context 256, batch 4, vocab 50257

Usage (from the repository root, after building build/bench/gpt_train):
  /usr/bin/python3 bench/gpt_vs_torch.py [--models baby gpt2] [--threads 1 2] [--steps 10] [--reps 3]
                                         [--ember-args "--step-in-backward 1 --bounded-cache 1"]
Each run is its own process (bench/gpt_train for Ember, bench/gpt_torch.py for PyTorch), run
alternately so both see the same machine state; peak RSS is the whole process's. Prints medians
over --reps runs of each run's median step, and the ratios Ember / PyTorch (tokens/s: higher is
better; memory: lower is better). The last column compares tokens per CPU-second (user + system
time): on a shared machine it is the steadier measure for 1-thread runs; with 2 threads it also
counts time threads spend waiting, so use it with care there.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}")
    tps = float(re.search(r"tokens/s: ([0-9.]+)", out.stdout).group(1))
    tpc = float(re.search(r"tokens/cpu-s: ([0-9.]+)", out.stdout).group(1))
    mb = float(re.search(r"peak RSS MB: ([0-9.]+)", out.stdout).group(1))
    return tps, mb, tpc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["baby", "gpt2"])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ember", default=os.path.join(ROOT, "build", "bench", "gpt_train"))
    ap.add_argument("--precision", choices=["float32", "bf16"], default="float32",
                    help="bf16: Ember's AutocastGuard and torch.autocast('cpu', dtype=torch.bfloat16)")
    ap.add_argument("--ember-args", default="", help="extra gpt_train flags, e.g. '--step-in-backward 1 --bounded-cache 1'")
    args = ap.parse_args()
    print(f"{'model':>6} {'threads':>7} {'ember tok/s':>12} {'torch tok/s':>12} {'speedup':>8} {'ember MB':>9} "
          f"{'torch MB':>9} {'mem ratio':>9} {'cpu-time speedup':>17}", flush=True)
    for model in args.models:
        for t in args.threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t), EMBER_NUM_THREADS=str(t))
            common = ["--model", model, "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(t),
                      "--precision", args.precision]
            e_runs, t_runs = [], []
            for _ in range(args.reps):
                e_runs.append(run([args.ember] + common + args.ember_args.split(), env))
                t_runs.append(run([sys.executable, os.path.join(ROOT, "bench", "gpt_torch.py")] + common, env))
            e_tps = statistics.median(r[0] for r in e_runs)
            t_tps = statistics.median(r[0] for r in t_runs)
            e_mb = statistics.median(r[1] for r in e_runs)
            t_mb = statistics.median(r[1] for r in t_runs)
            e_tpc = statistics.median(r[2] for r in e_runs)
            t_tpc = statistics.median(r[2] for r in t_runs)
            print(f"{model:>6} {t:>7} {e_tps:>12.1f} {t_tps:>12.1f} {e_tps / t_tps:>7.2f}x {e_mb:>9.0f} {t_mb:>9.0f} "
                  f"{e_mb / t_mb:>8.2f}x {e_tpc / t_tpc:>16.2f}x", flush=True)


if __name__ == "__main__":
    main()
