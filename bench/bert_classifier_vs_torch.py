"""Fine-tuning throughput side by side: `ember train bert-classifier` against the same recipe in
PyTorch + transformers (bench/bert_classifier_torch.py), on the same IMDB batches.

    /opt/torch/bin/python bench/bert_classifier_vs_torch.py [--steps 30] [--reps 3] [--threads 2]
        [--max-len 128] [--batch-size 32]

Each run is its own process at the same thread count, interleaved ember, torch, ember, ...; each
trains --steps steps of the default recipe (all-MiniLM-L6-v2, AdamW, warmup and linear decay) and
evaluates 64 test reviews (not timed). Throughput is training sequences/s over the steps as each
side reports it (forward, backward and optimizer step; tokenization excluded on both sides). Prints
the medians and the ratio ember / torch.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd):
    """The process's stdout (its stderr carries progress and warnings)."""
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ember", default=os.path.join(ROOT, "build", "ember"))
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    size = args.steps * args.batch_size
    common = ["--train-size", str(size), "--max-len", str(args.max_len), "--batch-size", str(args.batch_size),
              "--threads", str(args.threads), "--max-steps", str(args.steps)]
    ember_cmd = [args.ember, "train", "bert-classifier", "--test-limit", "64", "--no-progress"] + common
    torch_cmd = [sys.executable, os.path.join(HERE, "bert_classifier_torch.py"), "--eval-size", "64"] + common
    ember, torch = [], []
    for rep in range(args.reps):
        e = float(re.search(r"Training: ([0-9.]+) reviews/s", run(ember_cmd)).group(1))
        t = json.loads(run(torch_cmd).strip().splitlines()[-1])["train_seq_per_s"]
        ember.append(e), torch.append(t)
        print(f"rep {rep + 1}: ember {e:.2f} seq/s, torch {t:.2f} seq/s", file=sys.stderr, flush=True)
    me, mt = statistics.median(ember), statistics.median(torch)
    print(f"threads {args.threads}, {args.steps} steps of batch {args.batch_size} x max {args.max_len} tokens: "
          f"ember {me:.2f} seq/s, torch {mt:.2f} seq/s, ratio {me / mt:.2f}x (medians of {args.reps})")


if __name__ == "__main__":
    main()
