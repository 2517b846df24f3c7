"""Golden values for ember::models::BertModel: an independent BERT encoder + pooler in PyTorch 1.13
(Hugging Face's structure and names, written out with torch.nn.functional), a tiny config, random
weights (LayerNorms too), computed in float64.

Regenerate: /usr/bin/python3 tests/golden/models/gen_bert.py
Writes, beside this script:
  bert_hf.safetensors    the weights as BertForPreTraining saves them: "bert." prefix, the
                         embeddings.position_ids buffer and a cls.* head, which Ember's loader
                         skips (float32)
  bert_grads.safetensors gradients of sum(seq * g_seq) + sum(pooled * g_pooled) for every
                         parameter, Ember's names (float64)
  bert.json              config, input_ids (the second sequence padded with 3 pad tokens),
                         attention_mask, token_type_ids, g_seq, g_pooled and both outputs
The pad row of word_embeddings gets no gradient (padding_idx), as in Hugging Face.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from safetensors_lib import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(1)
cfg = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
           max_position_embeddings=12, type_vocab_size=2, layer_norm_eps=1e-12, pad_token_id=0)
B, T = 2, 7
H, I, nh = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
dt = torch.float64


def rn(*s, std=0.3):
    return (torch.randn(*s, dtype=dt) * std).requires_grad_(True)


def ln_params(prefix):
    P[prefix + ".weight"] = (1 + torch.randn(H, dtype=dt) * 0.1).requires_grad_(True)
    P[prefix + ".bias"] = rn(H, std=0.1)


def linear_params(prefix, i, o):
    P[prefix + ".weight"] = rn(o, i)
    P[prefix + ".bias"] = rn(o, std=0.1)


# Parameters by Hugging Face BertModel's names, in its state_dict order.
P = {}
P["embeddings.word_embeddings.weight"] = rn(cfg["vocab_size"], H)
P["embeddings.position_embeddings.weight"] = rn(cfg["max_position_embeddings"], H)
P["embeddings.token_type_embeddings.weight"] = rn(cfg["type_vocab_size"], H)
ln_params("embeddings.LayerNorm")
for i in range(cfg["num_hidden_layers"]):
    p = f"encoder.layer.{i}."
    for n in ("query", "key", "value"):
        linear_params(p + "attention.self." + n, H, H)
    linear_params(p + "attention.output.dense", H, H)
    ln_params(p + "attention.output.LayerNorm")
    linear_params(p + "intermediate.dense", H, I)
    linear_params(p + "output.dense", I, H)
    ln_params(p + "output.LayerNorm")
linear_params("pooler.dense", H, H)
with torch.no_grad():
    for v in P.values():
        v.copy_(v.float().double())  # Ember stores float32: start both sides from the same values


def lin(x, name):
    return F.linear(x, P[name + ".weight"], P[name + ".bias"])


def ln(x, name):
    return F.layer_norm(x, (H,), P[name + ".weight"], P[name + ".bias"], cfg["layer_norm_eps"])


def bert(ids, mask, types):
    Bx, Tx = ids.shape
    x = (F.embedding(ids, P["embeddings.word_embeddings.weight"], padding_idx=cfg["pad_token_id"])
         + F.embedding(torch.arange(Tx), P["embeddings.position_embeddings.weight"])
         + F.embedding(types, P["embeddings.token_type_embeddings.weight"]))
    x = ln(x, "embeddings.LayerNorm")
    additive = (1.0 - mask.to(dt))[:, None, None, :] * torch.finfo(dt).min  # Hugging Face's extended mask
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def heads(n):
            return lin(x, p + "attention.self." + n).view(Bx, Tx, nh, H // nh).transpose(1, 2)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(-1, -2) / math.sqrt(H // nh) + additive
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(Bx, Tx, H)
        a = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inter = F.gelu(lin(a, p + "intermediate.dense"))
        x = ln(lin(inter, p + "output.dense") + a, p + "output.LayerNorm")
    pooled = torch.tanh(lin(x[:, 0], "pooler.dense"))
    return x, pooled


ids = torch.randint(1, cfg["vocab_size"], (B, T))
ids[0, 2] = 0  # a pad token inside a real sequence: its embedding row still gets no gradient
mask = torch.ones(B, T, dtype=torch.int64)
ids[1, 4:] = 0
mask[1, 4:] = 0
types = torch.zeros(B, T, dtype=torch.int64)
types[:, 3:] = 1
seq, pooled = bert(ids, mask, types)
g_seq, g_pooled = torch.randn(seq.shape, dtype=dt), torch.randn(pooled.shape, dtype=dt)
((seq * g_seq).sum() + (pooled * g_pooled).sum()).backward()

hf = {"bert." + k: v.detach().float() for k, v in P.items()}
hf["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).view(1, -1)
hf["cls.predictions.bias"] = torch.zeros(cfg["vocab_size"])
save_file(hf, os.path.join(HERE, "bert_hf.safetensors"), {"format": "pt"})
save_file({k: v.grad for k, v in P.items()}, os.path.join(HERE, "bert_grads.safetensors"))


def tj(t):
    return {"shape": list(t.shape), "data": t.detach().double().flatten().tolist()}


with open(os.path.join(HERE, "bert.json"), "w") as f:
    json.dump({"torch": torch.__version__, "config": cfg, "input_ids": tj(ids), "attention_mask": tj(mask),
               "token_type_ids": tj(types), "g_seq": tj(g_seq), "g_pooled": tj(g_pooled),
               "sequence_output": tj(seq), "pooled_output": tj(pooled)}, f)
print("pooled[0, :4]", pooled[0, :4].tolist())
