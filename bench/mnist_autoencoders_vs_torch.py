"""Side by side: training throughput of the MNIST autoencoder recipes, Ember vs PyTorch.

Usage (from the repository root, after building): 
  /usr/bin/python3 bench/mnist_autoencoders_vs_torch.py [--steps 200] [--reps 3] [--threads 1]
Runs `ember train mnist-autoencoder|mnist-vae --epochs 1 --max-steps N` and
bench/mnist_autoencoders_torch.py with the same model, batch (128), optimizer and thread count,
interleaved, and prints the median training images/s of each and the ratio Ember / PyTorch.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def images_per_second(cmd, env):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}")
    return float(re.search(r"([0-9.]+) images/s", p.stdout).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    env = dict(os.environ)
    print(f"batch 128, Adam(lr 1e-3), {args.steps} training steps, medians of {args.reps} interleaved runs")
    print(f"{'model':>12} {'threads':>7} {'ember img/s':>12} {'torch img/s':>12} {'ratio':>7}")
    for model in ["autoencoder", "vae"]:
        for t in args.threads:
            e, p = [], []
            for _ in range(args.reps):
                e.append(images_per_second([os.path.join(ROOT, "build", "ember"), "train", f"mnist-{model}", "--epochs",
                                            "1", "--max-steps", str(args.steps), "--threads", str(t), "--no-progress",
                                            "--data", args.data], env))
                p.append(images_per_second([sys.executable, os.path.join(ROOT, "bench", "mnist_autoencoders_torch.py"),
                                            "--model", model, "--steps", str(args.steps), "--threads", str(t),
                                            "--no-eval", "--data", args.data], dict(env, OPENBLAS_NUM_THREADS=str(t))))
            em, pm = statistics.median(e), statistics.median(p)
            print(f"{model:>12} {t:>7} {em:>12.0f} {pm:>12.0f} {em / pm:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
