"""GPT-2 encode throughput: Ember (bench/text_tokenizers) against Hugging Face `tokenizers` on the
same documents (Shakespeare's speeches, 2,000 IMDB reviews), one thread each, in the same run. Needs a Python with `tokenizers` (a venv: see
tests/golden/text/gen_gpt2_bpe.py). Prints MB/s by wall time (median) and by CPU time (best of
the runs: steadier on a shared machine) and the ratio ember / hf (> 1: Ember is faster).

    /path/to/venv/bin/python bench/text_tokenizers_vs_hf.py [build_dir] [data_root] [reps]
"""
import gzip
import json
import os
import statistics
import subprocess
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # before importing tokenizers: its thread pool
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "build")
ROOT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(REPO), "shared", "data")
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 5


def hf_tokenizer():
    tok = Tokenizer(models.BPE.from_file(os.path.join(ROOT, "gpt2", "encoder.json"),
                                         os.path.join(ROOT, "gpt2", "vocab.bpe")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    return tok


def measure(docs, cold):
    wall, cpu, tok, n = [], [], hf_tokenizer(), 0
    for _ in range(REPS):
        if cold:
            tok = hf_tokenizer()
        t0, c0 = time.perf_counter(), time.process_time()
        n = sum(len(e.ids) for e in tok.encode_batch(docs))  # one thread (RAYON_NUM_THREADS=1)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    size = sum(len(d.encode("utf-8")) for d in docs)
    return {"tokens": n, "mb_per_s": size / statistics.median(wall) / 1e6, "mb_per_cpu_s": size / min(cpu) / 1e6}


def paragraphs(text):
    """Split at blank lines, the separator staying with the chunk before (as the C++ side)."""
    parts = text.split("\n\n")
    docs = [p + "\n\n" for p in parts[:-1]]
    return docs + [parts[-1]] if parts[-1] else docs


def main():
    out = subprocess.run([os.path.join(BUILD, "bench", "text_tokenizers"), ROOT, str(REPS)], check=True,
                         capture_output=True, text=True).stdout
    ember = {(r["name"], r["corpus"]): r for r in map(json.loads, out.splitlines())}
    with open(os.path.join(ROOT, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        corpora = {"tinyshakespeare": paragraphs(f.read())}
    with gzip.open(os.path.join(ROOT, "imdb", "reviews.json.gz"), "rt", encoding="utf-8") as f:
        corpora["imdb2000"] = [r["t"] for r in json.load(f)[:2000]]
    print(f"{'case':28} {'ember MB/s':>11} {'hf MB/s':>9} {'ratio':>6}   {'ember MB/cpu-s':>14} {'hf MB/cpu-s':>11} {'ratio':>6}")
    for corpus, text in corpora.items():
        for mode in ("cold", "warm"):
            e, h = ember[(f"gpt2_{mode}", corpus)], measure(text, mode == "cold")
            assert e["tokens"] == h["tokens"], f"token counts differ on {corpus}: {e['tokens']} vs {h['tokens']}"
            print(f"gpt2 {mode} {corpus:18} {e['mb_per_s']:11.2f} {h['mb_per_s']:9.2f} {e['mb_per_s'] / h['mb_per_s']:6.2f}"
                  f"   {e['mb_per_cpu_s']:14.2f} {h['mb_per_cpu_s']:11.2f} {e['mb_per_cpu_s'] / h['mb_per_cpu_s']:6.2f}")
    for (name, corpus), r in ember.items():
        if not name.startswith("gpt2"):
            print(f"{name} {corpus} (ember only): {r['mb_per_s']:.1f} MB/s, {r['mb_per_cpu_s']:.1f} MB/cpu-s")


if __name__ == "__main__":
    main()
