"""Per-op overhead from Python: Ember's package vs PyTorch, and numpy() / from_numpy cost by size.

Usage (from the repository root, after scripts/python_env.sh):
  /opt/torch/bin/python bench/python_overhead.py [--reps 5] [--threads 1]
Each measurement runs in its own process (build/venv's Python for Ember, this interpreter for
PyTorch), alternating, and prints the medians: microseconds per 1-element `a + b` with autograd
(both inputs require grad), without autograd, and per `numpy()` + `from_numpy` round trip of a
1 KB and a 100 MB float32 tensor (constant time: no copy).
"""
import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = r"""
import sys, timeit
lib = __import__(sys.argv[1])
lib.set_num_threads(int(sys.argv[2]))
a = lib.ones(1, requires_grad=True); b = lib.ones(1, requires_grad=True)
c = lib.ones(1); d = lib.ones(1)
def best(stmt, g, n):
    return min(timeit.repeat(stmt, globals=g, number=n, repeat=7)) / n * 1e6
add_grad = best("a + b", {"a": a, "b": b}, 200000)
add_plain = best("c + d", {"c": c, "d": d}, 200000)
small = lib.ones(256); big = lib.ones(25 * 1024 * 1024)  # 1 KB, 100 MB
rt_small = best("lib.from_numpy(t.numpy())", {"lib": lib, "t": small}, 20000)
rt_big = best("lib.from_numpy(t.numpy())", {"lib": lib, "t": big}, 20000)
print(add_grad, add_plain, rt_small, rt_big)
"""


def probe(python, lib, threads):
    out = subprocess.run([python, "-c", PROBE, lib, str(threads)], stdout=subprocess.PIPE, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ember-python", default=os.path.join(ROOT, "build", "venv", "bin", "python"))
    args = ap.parse_args()
    e, t = [], []
    for _ in range(args.reps):
        e.append(probe(args.ember_python, "ember", args.threads))
        t.append(probe(sys.executable, "torch", args.threads))
    med = lambda runs, i: statistics.median(r[i] for r in runs)  # noqa: E731
    names = ["a + b, autograd (us)", "a + b, no grad (us)", "numpy+from_numpy 1 KB (us)", "numpy+from_numpy 100 MB (us)"]
    print(f"medians of {args.reps} runs, {args.threads} thread(s)")
    print(f"{'':>30} {'ember':>8} {'torch':>8} {'ember/torch':>12}")
    for i, n in enumerate(names):
        print(f"{n:>30} {med(e, i):>8.3f} {med(t, i):>8.3f} {med(e, i) / med(t, i):>11.2f}x")


if __name__ == "__main__":
    main()
