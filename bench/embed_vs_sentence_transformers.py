"""Sentence embeddings side by side: `ember embed` against sentence-transformers on PyTorch.

    /opt/torch/bin/python bench/embed_vs_sentence_transformers.py [--texts 1000] [--reps 3] [--threads 1 2]

The same 1,000 IMDB test reviews (one per line; newlines inside a review become spaces), all-MiniLM-L6-v2,
max_seq_length 256, batch 32, each run in its own process at the same thread count, interleaved.
Throughput is texts/s of the encoding alone (model loading excluded, as each side reports it);
peak RSS is the whole process's. Prints medians and the ratios ember / torch.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from imdb_subset import load_reviews, test_indices  # noqa: E402

TORCH_SIDE = r"""
import sys, time, torch
from sentence_transformers import SentenceTransformer
torch.set_num_threads(int(sys.argv[3]))
texts = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
model = SentenceTransformer(sys.argv[1], device="cpu")
start = time.perf_counter()
model.encode(texts, batch_size=32)
secs = time.perf_counter() - start
print(f"embedded {len(texts)} texts in {secs} s, {len(texts) / secs} texts/s", file=sys.stderr)
"""


def run(cmd, env):
    """(texts/s, peak RSS in MB) of one process."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return float(re.search(r"([0-9.]+) texts/s", err).group(1)), usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--texts", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ember", default=os.path.join(ROOT, "build", "ember"))
    args = ap.parse_args()
    model = os.path.join(args.data, "models", "all-MiniLM-L6-v2")
    reviews = load_reviews(args.data)
    texts = [reviews[i]["t"].replace("\n", " ").replace("\r", " ") for i in test_indices(len(reviews), args.texts)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "texts.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in texts))
        print(f"all-MiniLM-L6-v2, {len(texts)} IMDB reviews, max 256 tokens, batch 32, medians of {args.reps}")
        print(f"{'threads':>7} {'ember texts/s':>14} {'torch texts/s':>14} {'ratio':>6} {'ember MB':>9} {'torch MB':>9}")
        for t in args.threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1")
            e, q = [], []
            for _ in range(args.reps):
                e.append(run([args.ember, "embed", "--model", model, "--file", path, "--out",
                              os.path.join(tmp, "e.npy"), "--batch-size", "32", "--threads", str(t)], env))
                q.append(run([sys.executable, "-c", TORCH_SIDE, model, path, str(t)], env))
            es, qs = statistics.median(x[0] for x in e), statistics.median(x[0] for x in q)
            em, qm = statistics.median(x[1] for x in e), statistics.median(x[1] for x in q)
            print(f"{t:>7} {es:>14.1f} {qs:>14.1f} {es / qs:>5.2f}x {em:>9.0f} {qm:>9.0f}", flush=True)


if __name__ == "__main__":
    main()
