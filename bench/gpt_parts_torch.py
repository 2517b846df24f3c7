"""PyTorch 1.13 side of bench/gpt_parts.cpp: parts of a GPT block, forward + backward at the baby
GPT's shapes, best process CPU time of 5 runs at 1 thread.
  /usr/bin/python3 bench/gpt_parts_torch.py
"""
import time

import torch
import torch.nn.functional as F


def best_of_5(f):
    f()  # warm up
    best = 1e9
    for _ in range(5):
        c = time.process_time()
        f()
        best = min(best, time.process_time() - c)
    return best * 1e3


def main():
    torch.set_num_threads(1)
    qkv = torch.randn(16, 256, 1152, requires_grad=True)  # (B, T, 3C)
    g = torch.randn(16, 256, 384)

    def attention():
        q, k, v = (t.view(16, 256, 6, 64).transpose(1, 2) for t in qkv.split(384, dim=2))
        att = (q @ k.transpose(-2, -1)) * (1.0 / 8.0)
        mask = torch.ones(256, 256, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        (att @ v).transpose(1, 2).contiguous().view(16, 256, 384).backward(g)
        qkv.grad = None

    print(f"attention block fwd+bwd: {best_of_5(attention):.1f} ms cpu")
    x = torch.randn(16, 256, 384, requires_grad=True)
    w, b = torch.ones(384, requires_grad=True), torch.zeros(384, requires_grad=True)
    print(f"layer_norm fwd+bwd: {best_of_5(lambda: F.layer_norm(x, (384,), w, b).backward(g)):.1f} ms cpu")
    h, gh = torch.randn(16, 256, 1536, requires_grad=True), torch.randn(16, 256, 1536)
    print(f"gelu fwd+bwd: {best_of_5(lambda: F.gelu(h, approximate='tanh').backward(gh)):.1f} ms cpu")
    a, c = torch.randn(16, 256, 384, requires_grad=True), torch.randn(16, 256, 384, requires_grad=True)
    print(f"residual add fwd+bwd: {best_of_5(lambda: (a + c).backward(g)):.1f} ms cpu")


if __name__ == "__main__":
    main()
