"""PyTorch side of bench/micro_conv.cpp: the same work, the same medians.
Run: /usr/bin/python3 bench/micro_linalg_conv_torch.py [threads...]   (default: 1 2)"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    torch.manual_seed(0)
    for nt in threads:
        torch.set_num_threads(nt)
        for n in (512, 1024, 2048):
            a, b = torch.randn(n, n), torch.randn(n, n)
            ms = median_ms(lambda: torch.matmul(a, b), reps=15 if n < 2048 else 7)
            print(f"torch threads={nt} matmul {n}: {ms:.3f} ms  {2 * n ** 3 / ms / 1e6:.1f} GFLOP/s")
        for name, (cin, cout, hw, xgrad) in {"conv1 1->32 28x28": (1, 32, 28, False),
                                              "conv2 32->64 26x26": (32, 64, 26, True)}.items():
            x = torch.randn(64, cin, hw, hw, requires_grad=xgrad)
            w = (torch.randn(cout, cin, 3, 3) * 0.1).requires_grad_()
            bias = torch.randn(cout, requires_grad=True)
            go = torch.randn(64, cout, hw - 2, hw - 2)
            fwd = median_ms(lambda: F.conv2d(x, w, bias), reps=15)

            def step():
                y = F.conv2d(x, w, bias)
                y.backward(go)
            both = median_ms(step, reps=15)
            print(f"torch threads={nt} {name} fwd: {fwd:.3f} ms  fwd+bwd: {both:.3f} ms")


if __name__ == "__main__":
    main()
