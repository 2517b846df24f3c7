"""Side by side: LSTM training throughput, Ember vs PyTorch 1.13 nn.LSTM (CPU).

Work per iteration (both frameworks): tokens (200, 64) -> Embedding(1000, 128) -> LSTM(128, 256,
num_layers, bidirectional) -> mean over time -> Linear(D*256, 10) -> cross-entropy -> backward ->
SGD(lr 0.01) step. Configurations: 1 layer unidirectional, and 2 layers bidirectional.

Usage (from the repository root, after building the bench target lstm_train):
  /usr/bin/python3 bench/lstm_vs_torch.py [--threads 1 2] [--reps 3] [--iters 10]
Each measurement is its own process; Ember and PyTorch runs are interleaved so both see the same
machine state. Prints medians over --reps runs (each the median wall time of --iters iterations
after 2 warmup iterations) and the speedup = PyTorch ms / Ember ms (> 1: Ember is faster); then the
same for process CPU time per iteration (all threads), the steadier figure on a loaded machine.
  /usr/bin/python3 bench/lstm_vs_torch.py --torch-worker --threads 1 --layers 1   # PyTorch alone
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def torch_worker(args):
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    T, B, I, H, V, C = args.seq_len, args.batch, 128, 256, 1000, 10
    D = 2 if args.bidirectional else 1
    emb = torch.nn.Embedding(V, I)
    lstm = torch.nn.LSTM(I, H, args.layers, bidirectional=args.bidirectional)
    head = torch.nn.Linear(D * H, C)
    params = list(emb.parameters()) + list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.01)
    tokens = torch.randint(0, V, (T, B))
    labels = torch.randint(0, C, (B,))

    def step():
        opt.zero_grad()
        y, _ = lstm(emb(tokens))  # (T, B, D*H)
        loss = torch.nn.functional.cross_entropy(head(y.mean(0)), labels)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    ms = []
    cpu0 = time.process_time()
    for _ in range(args.iters):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    cpu = (time.process_time() - cpu0) * 1e3 / args.iters
    ms.sort()
    print(f"ms/iter: {ms[len(ms) // 2]:.2f} best: {ms[0]:.2f} cpu ms/iter: {cpu:.2f}")


def run(cmd, env):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stdout}")
    m = re.search(r"ms/iter: ([0-9.]+) best: [0-9.]+ cpu ms/iter: ([0-9.]+)", out.stdout)
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--seq-len", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--configs", nargs="+", default=["1", "2bi"], help="1: one layer; 2bi: two bidirectional layers")
    ap.add_argument("--torch-worker", action="store_true")
    args = ap.parse_args()
    if args.torch_worker:
        args.threads = args.threads[0]
        return torch_worker(args)
    ember_bin = os.path.join(ROOT, "build", "bench", "lstm_train")
    print(f"LSTM training, batch {args.batch}, seq len {args.seq_len}, input 128, hidden 256; ms per iteration "
          f"(forward + backward + SGD), medians of {args.reps} runs x {args.iters} iterations")
    print(f"{'config':>8} {'threads':>7} {'ember ms':>9} {'torch ms':>9} {'speedup':>8} {'ember cpu':>10} "
          f"{'torch cpu':>10} {'cpu ratio':>9}")
    for cfg in args.configs:
        layers, bidir = (2, True) if cfg == "2bi" else (int(cfg), False)
        common = ["--layers", str(layers), "--iters", str(args.iters), "--seq-len", str(args.seq_len),
                  "--batch", str(args.batch)] + (["--bidirectional"] if bidir else [])
        for t in args.threads:
            env = dict(os.environ, OMP_NUM_THREADS=str(t), OPENBLAS_NUM_THREADS=str(t))
            e, p = [], []
            for _ in range(args.reps):
                e.append(run([ember_bin, "--threads", str(t)] + common, env))
                p.append(run([sys.executable, os.path.abspath(__file__), "--torch-worker", "--threads", str(t)] + common,
                             env))
            em, tm = statistics.median(r[0] for r in e), statistics.median(r[0] for r in p)
            ec, tc = statistics.median(r[1] for r in e), statistics.median(r[1] for r in p)
            print(f"{cfg:>8} {t:>7} {em:>9.1f} {tm:>9.1f} {tm / em:>7.2f}x {ec:>10.1f} {tc:>10.1f} {tc / ec:>8.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
