"""PyTorch side of bench/reduce_softmax_timing.cpp. Run: /usr/bin/python3 bench/reduce_softmax_timing.py"""
import statistics
import time

import torch


def median_us(f, iters, reps=9):
    for _ in range(iters // 10 + 1):
        f()
    t = []
    for _ in range(reps):
        a = time.perf_counter()
        for _ in range(iters):
            f()
        t.append((time.perf_counter() - a) / iters * 1e6)
    return f"median {statistics.median(t):.1f} us (min {min(t):.1f})"


torch.manual_seed(0)
x = torch.randn(64, 1000)
g = torch.randn(64, 1000)
big = torch.randn(10_000_000)
xr = x.clone().requires_grad_()
target = torch.randint(0, 1000, (64,))


def fwd_bwd():
    out = torch.log_softmax(xr, 1)
    out.backward(g)
    xr.grad = None


def ce_fwd_bwd():
    torch.nn.functional.cross_entropy(xr, target).backward()
    xr.grad = None


for nt in (1, 2):
    torch.set_num_threads(nt)
    print(f"threads={nt} log_softmax(64,1000) {median_us(lambda: torch.log_softmax(x, 1), 2000)}")
    print(f"threads={nt} softmax(64,1000) {median_us(lambda: torch.softmax(x, 1), 2000)}")
    print(f"threads={nt} log_softmax fwd+bwd(64,1000) {median_us(fwd_bwd, 1000)}")
    print(f"threads={nt} cross_entropy fwd+bwd(64,1000) {median_us(ce_fwd_bwd, 1000)}")
    print(f"threads={nt} sum(10M) {median_us(lambda: big.sum(), 20)}")
