"""Side by side: causal scaled-dot-product attention, Ember (fused kernel and composite) vs PyTorch 1.13.

Torch 1.13 has no fused SDPA on the CPU, so its side is the composite every 1.13 model runs:
softmax(q @ k^T * scale masked by a precomputed causal mask) [dropout] @ v. Same shapes, same
thread count, same work (forward without grad; forward + backward into q, k and v).

Usage (repository root, after `ninja -C build attention_bench`):
  /usr/bin/python3 bench/attention_vs_torch.py [--threads 1 2] [--reps 9] [--rounds 2]
Ember and PyTorch run in alternating rounds so both see the same machine load; the table gives
medians over rounds of each round's median wall ms and the best process CPU ms, and the ratios
PyTorch / Ember-fused and Ember-composite / Ember-fused (> 1: the fused kernel is faster).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = [("baby-gpt B16 H6 T256 D64", 16, 6, 256, 64), ("gpt2-small B4 H12 T256 D64", 4, 12, 256, 64)]
WORKS = [("fwd causal", False, 0.0), ("fwd+bwd causal", True, 0.0), ("fwd+bwd causal dropout0.2", True, 0.2)]


def time_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    ts, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1e3)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(cpu)


def torch_round(nt, reps):
    torch.set_num_threads(nt)
    torch.manual_seed(0)
    out = {}
    for sname, B, H, T, D in SHAPES:
        q, k, v, go = (torch.randn(B, H, T, D) for _ in range(4))
        masked = ~torch.ones(T, T, dtype=torch.bool).tril()
        scale = 1.0 / 8.0

        def sdpa(q, k, v, p):
            w = torch.softmax((q @ k.transpose(-2, -1) * scale).masked_fill(masked, float("-inf")), -1)
            if p > 0:
                w = F.dropout(w, p)
            return w @ v

        for wname, backward, p in WORKS:
            if backward:
                qr, kr, vr = (x.clone().requires_grad_() for x in (q, k, v))
                fn = lambda: sdpa(qr, kr, vr, p).backward(go)
            else:
                def fn():
                    with torch.no_grad():
                        sdpa(q, k, v, p)
            out[(sname, wname, nt)] = time_ms(fn, reps)
    return out


def ember_round(nt, reps):
    exe = os.path.join(ROOT, "build", "bench", "attention_bench")
    res = subprocess.run([exe, str(nt), "--reps", str(reps)], capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{exe} failed:\n{res.stdout}{res.stderr}")
    out = {}
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            sname, wname, t, impl, med, best, cpu = [x.strip() for x in line[len("RESULT "):].split("|")]
            out[(sname, wname, int(t), impl)] = (float(med), float(cpu))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    print(f"torch {torch.__version__}; ms: median wall / best CPU; medians over {args.rounds} alternating rounds")
    print(f"{'work':<52} {'th':>2} {'ember fused':>16} {'ember composite':>16} {'torch composite':>16} "
          f"{'torch/fused':>12} {'comp/fused':>11}")
    for nt in args.threads:
        e_rounds, t_rounds = [], []
        for _ in range(args.rounds):
            e_rounds.append(ember_round(nt, args.reps))
            t_rounds.append(torch_round(nt, args.reps))
        for sname, *_ in SHAPES:
            for wname, _, _ in WORKS:
                def med(rounds, key, i):
                    return statistics.median(r[key][i] for r in rounds)
                fused = [med(e_rounds, (sname, wname, nt, "fused"), i) for i in (0, 1)]
                comp = [med(e_rounds, (sname, wname, nt, "composite"), i) for i in (0, 1)]
                tor = [med(t_rounds, (sname, wname, nt), i) for i in (0, 1)]
                cell = lambda x: f"{x[0]:7.2f} /{x[1]:7.2f}"
                print(f"{sname + ', ' + wname:<52} {nt:>2} {cell(fused):>16} {cell(comp):>16} {cell(tor):>16} "
                      f"{tor[0] / fused[0]:5.2f}/{tor[1] / fused[1]:5.2f} {comp[0] / fused[0]:5.2f}/{comp[1] / fused[1]:5.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
