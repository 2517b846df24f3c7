"""Golden values for ember::models::GPT: an independent GPT-2 in PyTorch 1.13 (nanoGPT's structure
with Hugging Face's Conv1D weight layout (in, out) and names), a tiny config, random weights
(LayerNorms too, so their affine parameters matter), computed in float64.

Regenerate: /usr/bin/python3 tests/golden/models/gen_gpt.py
Writes, beside this script:
  gpt_hf.safetensors    the weights as GPT2LMHeadModel saves them: "transformer." prefix, the
                        causal-mask buffers h.N.attn.bias / h.N.attn.masked_bias, and the tied
                        lm_head.weight, all of which Ember's loader must cope with (float32)
  gpt_grads.safetensors d(loss)/d(parameter) for every parameter, Ember's names (float64)
  gpt.json              config, idx, targets (one position ignored with -1), logits and loss
tests/test_gpt.cpp loads the weights, runs forward and backward and compares.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from safetensors_lib import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
cfg = dict(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=16, layer_norm_epsilon=1e-5)
B, T = 2, 10
C, V, nh = cfg["n_embd"], cfg["vocab_size"], cfg["n_head"]
dt = torch.float64


def rn(*s, std=0.2):
    return (torch.randn(*s, dtype=dt) * std).requires_grad_(True)


# Parameters by Ember's (= Hugging Face GPT2Model's) names.
P = {"wte.weight": rn(V, C), "wpe.weight": rn(cfg["block_size"], C)}
for i in range(cfg["n_layer"]):
    p = f"h.{i}."
    P[p + "ln_1.weight"] = (1 + torch.randn(C, dtype=dt) * 0.1).requires_grad_(True)
    P[p + "ln_1.bias"] = rn(C, std=0.1)
    P[p + "attn.c_attn.weight"] = rn(C, 3 * C)
    P[p + "attn.c_attn.bias"] = rn(3 * C, std=0.1)
    P[p + "attn.c_proj.weight"] = rn(C, C)
    P[p + "attn.c_proj.bias"] = rn(C, std=0.1)
    P[p + "ln_2.weight"] = (1 + torch.randn(C, dtype=dt) * 0.1).requires_grad_(True)
    P[p + "ln_2.bias"] = rn(C, std=0.1)
    P[p + "mlp.c_fc.weight"] = rn(C, 4 * C)
    P[p + "mlp.c_fc.bias"] = rn(4 * C, std=0.1)
    P[p + "mlp.c_proj.weight"] = rn(4 * C, C)
    P[p + "mlp.c_proj.bias"] = rn(C, std=0.1)
P["ln_f.weight"] = (1 + torch.randn(C, dtype=dt) * 0.1).requires_grad_(True)
P["ln_f.bias"] = rn(C, std=0.1)
# Ember stores float32: round the weights first so both sides start from the same values.
with torch.no_grad():
    for v in P.values():
        v.copy_(v.float().double())


def conv1d(x, w, b):  # Hugging Face's Conv1D: x @ w + b with w (in, out)
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).view(*x.shape[:-1], w.shape[1])


def layer_norm(x, name):
    return F.layer_norm(x, (C,), P[name + ".weight"], P[name + ".bias"], cfg["layer_norm_epsilon"])


def attention(x, p):
    Bx, Tx, _ = x.shape
    q, k, v = conv1d(x, P[p + "c_attn.weight"], P[p + "c_attn.bias"]).split(C, dim=2)
    q, k, v = (t.view(Bx, Tx, nh, C // nh).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hd)
    att = q @ k.transpose(-2, -1) / math.sqrt(C // nh)
    mask = torch.tril(torch.ones(Tx, Tx, dtype=torch.bool))
    att = att.masked_fill(~mask, float("-inf")).softmax(-1)
    y = (att @ v).transpose(1, 2).reshape(Bx, Tx, C)
    return conv1d(y, P[p + "c_proj.weight"], P[p + "c_proj.bias"])


def gpt(idx, targets):
    x = P["wte.weight"][idx] + P["wpe.weight"][torch.arange(idx.shape[1])]
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        x = x + attention(layer_norm(x, p + "ln_1"), p + "attn.")
        hdn = F.gelu(conv1d(layer_norm(x, p + "ln_2"), P[p + "mlp.c_fc.weight"], P[p + "mlp.c_fc.bias"]), approximate="tanh")
        x = x + conv1d(hdn, P[p + "mlp.c_proj.weight"], P[p + "mlp.c_proj.bias"])
    x = layer_norm(x, "ln_f")
    logits = x @ P["wte.weight"].t()
    loss = F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)
    return logits, loss


idx = torch.randint(0, V, (B, T))
targets = torch.randint(0, V, (B, T))
targets[1, 3] = -1
logits, loss = gpt(idx, targets)
loss.backward()

hf = {}
for k, v in P.items():
    hf["transformer." + k] = v.detach().float()
for i in range(cfg["n_layer"]):
    bs = cfg["block_size"]
    hf[f"transformer.h.{i}.attn.bias"] = torch.tril(torch.ones(bs, bs)).view(1, 1, bs, bs)
    hf[f"transformer.h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
hf["lm_head.weight"] = P["wte.weight"].detach().float()
save_file(hf, os.path.join(HERE, "gpt_hf.safetensors"), {"format": "pt"})
save_file({k: v.grad for k, v in P.items()}, os.path.join(HERE, "gpt_grads.safetensors"))


def tj(t):
    return {"shape": list(t.shape), "data": t.detach().double().flatten().tolist()}


with open(os.path.join(HERE, "gpt.json"), "w") as f:
    json.dump({"torch": torch.__version__, "config": cfg, "idx": tj(idx), "targets": tj(targets), "logits": tj(logits),
               "loss": loss.item()}, f)
print("loss", loss.item())
