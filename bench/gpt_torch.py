"""PyTorch 1.13 side of bench/gpt_vs_torch.py: the same GPT-2 architecture as ember::models::GPT
(nanoGPT's model: pre-norm blocks, GELU (tanh), tied head, biases), random token batches, AdamW,
no dropout; prints the median step time, tokens/s and this process's peak RSS.
  /usr/bin/python3 bench/gpt_torch.py --model baby|gpt2 [--steps 10] [--warmup 2] [--threads N]
"""
import argparse
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, nh):
        super().__init__()
        self.nh = nh
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.attn_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.mlp_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def attn(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.nh, C // self.nh).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)  # torch 1.13 has no fused SDPA
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.attn_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, block, L, nh, C):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(block, C)
        self.h = nn.ModuleList(Block(C, nh) for _ in range(L))
        self.ln_f = nn.LayerNorm(C)
        for n, p in self.named_parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L) if n.endswith("proj.weight") else 0.02)
            elif "ln" not in n:
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # tied head
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["baby", "gpt2"], default="baby")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--precision", choices=["float32", "bf16"], default="float32",
                    help="bf16: forward and loss under torch.autocast('cpu', dtype=torch.bfloat16)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model == "baby":
        V, block, L, nh, C, B = 65, 256, 6, 6, 384, 16
    else:
        V, block, L, nh, C, B = 50257, 256, 12, 12, 768, 4
    model = GPT(V, block, L, nh, C)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=6e-4, betas=(0.9, 0.95))
    times, cpu = [], []  # wall and process CPU time per step (see gpt_train.cpp)
    for s in range(args.warmup + args.steps):
        x, y = torch.randint(0, V, (B, block)), torch.randint(0, V, (B, block))
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss = model(x, y)
        loss.backward()
        opt.step()
        lv = loss.item()
        if s >= args.warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    med, med_cpu = statistics.median(times), statistics.median(cpu)
    n = sum(p.numel() for p in model.parameters())
    print(f"model {args.model} params {n} threads {torch.get_num_threads()} batch {B} block {block} loss {lv:.4f}")
    print(f"median step {med:.4f} s (cpu {med_cpu:.4f} s), tokens/s: {B * block / med:.1f}, "
          f"tokens/cpu-s: {B * block / med_cpu:.1f}, peak RSS MB: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0:.1f}")


if __name__ == "__main__":
    main()
