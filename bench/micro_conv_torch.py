"""PyTorch side of bench/micro_conv.cpp: the same work, median and best wall time, best process CPU time.
Run: /usr/bin/python3 bench/micro_conv_torch.py [threads...]   (default: 1 2)"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def time_ms(fn, reps, warmup=2):
    for _ in range(warmup):
        fn()
    ts, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1e3)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts), min(ts), min(cpu)


def main():
    threads = [int(a) for a in sys.argv[1:]] or [1, 2]
    torch.manual_seed(0)
    for nt in threads:
        torch.set_num_threads(nt)
        for n in (512, 1024, 2048):
            a, b = torch.randn(n, n), torch.randn(n, n)
            med, best, cpu = time_ms(lambda: torch.matmul(a, b), reps=15 if n < 2048 else 7)
            print(f"torch threads={nt} matmul {n}: {med:.3f} ms (best {best:.3f}, cpu {cpu:.3f})  "
                  f"{2 * n ** 3 / med / 1e6:.1f} GFLOP/s (best {2 * n ** 3 / best / 1e6:.1f})")
        for name, (cin, cout, hw, xgrad) in {"conv1 1->32 28x28": (1, 32, 28, False),
                                              "conv2 32->64 26x26": (32, 64, 26, True)}.items():
            x = torch.randn(64, cin, hw, hw, requires_grad=xgrad)
            w = (torch.randn(cout, cin, 3, 3) * 0.1).requires_grad_()
            bias = torch.randn(cout, requires_grad=True)
            go = torch.randn(64, cout, hw - 2, hw - 2)

            def fwd():
                with torch.no_grad():
                    F.conv2d(x, w, bias)

            def step():
                F.conv2d(x, w, bias).backward(go)
            f = time_ms(fwd, reps=15)
            b = time_ms(step, reps=15)
            print(f"torch threads={nt} {name} fwd: {f[0]:.3f} ms (best {f[1]:.3f}, cpu {f[2]:.3f})  "
                  f"fwd+bwd: {b[0]:.3f} ms (best {b[1]:.3f}, cpu {b[2]:.3f})")


if __name__ == "__main__":
    main()
