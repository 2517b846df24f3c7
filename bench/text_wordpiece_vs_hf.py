"""WordPiece batch encoding: Ember's text::Tokenizer against Hugging Face `tokenizers`, same work,
same threads, interleaved in one run.

Work: all-MiniLM-L6-v2's tokenizer.json, encode_batch of the first 1,000 IMDB reviews, truncation
at 256 tokens, no padding (both sides; `tokenizers` also builds its offsets, so does Ember).
Threads: Ember's set_num_threads(T) and `tokenizers`' RAYON_NUM_THREADS=T (with
TOKENIZERS_PARALLELISM on when T > 1), set before it is imported. Rounds alternate an Ember
process (bench/text_tokenizers wordpiece: a warm-up, then REPS timed batches) and REPS timed
batches of `tokenizers` in this process (after its own warm-up); the figures are medians over all
rounds. Both must produce the same number of tokens (asserted).

    /opt/torch/bin/python bench/text_wordpiece_vs_hf.py --threads 2 [--rounds 5] [--reps 3]
        [--build build] [--data ../shared/data]
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--reps", type=int, default=3)
parser.add_argument("--build", default=os.path.join(REPO, "build"))
parser.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "data"))
args = parser.parse_args()

os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # before importing tokenizers: its thread pool
os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"
import gzip  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402


def hf_setup():
    tok = Tokenizer.from_file(os.path.join(args.data, "models", "all-MiniLM-L6-v2", "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    with gzip.open(os.path.join(args.data, "imdb", "reviews.json.gz"), "rt", encoding="utf-8") as f:
        reviews = [r["t"] for r in json.load(f)[:1000]]
    return tok, reviews


def hf_round(tok, reviews):
    out = []
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        encodings = tok.encode_batch(reviews)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        out.append({"wall_s": wall, "cpu_s": cpu, "tokens": sum(len(e.ids) for e in encodings)})
    return out


def ember_round():
    exe = os.path.join(args.build, "bench", "text_tokenizers")
    res = subprocess.run([exe, "wordpiece", args.data, str(args.threads), str(args.reps)], check=True,
                         capture_output=True, text=True)
    return [json.loads(line) for line in res.stdout.splitlines()]


def main():
    tok, reviews = hf_setup()
    tok.encode_batch(reviews)  # warm-up (rayon's pool, allocator)
    size = sum(len(r.encode("utf-8")) for r in reviews)
    ember, hf = [], []
    for _ in range(args.rounds):
        ember += ember_round()
        hf += hf_round(tok, reviews)
    assert {r["tokens"] for r in ember} == {r["tokens"] for r in hf}, (ember[0]["tokens"], hf[0]["tokens"])

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    e_wall, h_wall, e_cpu, h_cpu = med(ember, "wall_s"), med(hf, "wall_s"), med(ember, "cpu_s"), med(hf, "cpu_s")
    print(f"tokenizers {tokenizers.__version__}, {len(reviews)} reviews ({size / 1e6:.2f} MB, {hf[0]['tokens']} tokens), "
          f"truncation 256, threads {args.threads}, {len(ember)} runs each ({args.rounds} interleaved rounds)")
    print(f"{'':12} {'wall ms':>9} {'MB/s':>7} {'cpu ms':>9}")
    print(f"{'ember':12} {e_wall * 1e3:9.1f} {size / e_wall / 1e6:7.2f} {e_cpu * 1e3:9.1f}")
    print(f"{'tokenizers':12} {h_wall * 1e3:9.1f} {size / h_wall / 1e6:7.2f} {h_cpu * 1e3:9.1f}")
    print(f"speed-up (tokenizers / ember): wall {h_wall / e_wall:.2f}x, cpu {h_cpu / e_cpu:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
