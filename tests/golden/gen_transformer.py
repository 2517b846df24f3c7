"""Golden cases for nn::MultiheadAttention and the Transformer layers/stacks, from torch 1.13's modules.
Regenerate: /usr/bin/python3 tests/golden/gen_transformer.py  (writes tests/golden/modules/*.json)

Each case builds the torch module (dropout 0, training mode, so no fast path), replaces every
parameter with random values (so that, e.g., the layers of a stack differ), and records its
state_dict, the inputs and masks, the outputs, random upstream gradients, and the gradients of
the inputs and of every parameter. tests/test_transformer.cpp loads the state_dict into the Ember
module and compares, and checks the same gradients by finite differences in float64.

Ember-only flags in "call" (torch 1.13 has no is_causal): "is_causal" asks Ember for its causal
flag instead of passing the causal mask that torch was given.
Floats are written with float32's shortest round-trip repr to keep the files small.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modules")
torch.manual_seed(0)


def tj(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.flatten().tolist()]
    else:
        data = [float(repr(np.float32(v))) if math.isfinite(v) else str(v) for v in t.flatten().tolist()]
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


def randomize(m):
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.split(".")[-2:-1] and name.split(".")[-2].startswith("norm") and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.5 * torch.randn_like(p))


class File:
    def __init__(self, name):
        self.name = name
        self.cases = []

    def case(self, name, module_kind, config, m, inputs, run, call=None):
        """inputs: ordered dict name -> tensor (float ones get gradients unless named *mask*);
        run(m, **inputs) -> tuple of outputs."""
        m.train()
        randomize(m)
        ins = {}
        for k, v in inputs.items():
            v = v.clone()
            if v.is_floating_point() and "mask" not in k:
                v.requires_grad_(True)
            ins[k] = v
        outs = run(m, **ins)
        outs = [o for o in outs if o is not None]
        gos = [torch.randn_like(o) for o in outs]
        grad_in = [v for v in ins.values() if v.requires_grad]
        params = list(m.named_parameters())
        grads = torch.autograd.grad(outs, grad_in + [p for _, p in params], gos, allow_unused=True)
        gi, gp = grads[:len(grad_in)], grads[len(grad_in):]
        self.cases.append({
            "name": name, "module": module_kind, "config": config, "call": call or {},
            "state": {k: tj(v) for k, v in m.state_dict().items()},
            "state_keys": list(m.state_dict().keys()),  # PyTorch's order (JSON objects are unordered)
            "inputs": {k: dict(tj(v), requires_grad=bool(v.requires_grad)) for k, v in ins.items()},
            "outputs": [tj(o) for o in outs], "grad_outputs": [tj(g) for g in gos],
            "input_grads": {k: tj(g) for k, g in zip([k for k, v in ins.items() if v.requires_grad], gi)},
            "param_grads": {n: tj(g if g is not None else torch.zeros_like(p)) for (n, p), g in zip(params, gp)},
        })

    def write(self):
        os.makedirs(OUT, exist_ok=True)
        path = os.path.join(OUT, f"{self.name}.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"torch": torch.__version__, "cases": self.cases}, f, separators=(",", ":"))
        os.replace(path + ".tmp", path)
        print(f"wrote {len(self.cases)} cases to {path} ({os.path.getsize(path)} bytes)")


r = lambda *s: torch.randn(*s)
E, H, L, S, N = 4, 2, 3, 5, 2


def causal(n):
    return nn.Transformer.generate_square_subsequent_mask(n)


# ---------------- MultiheadAttention ----------------
mha = File("mha")


def mha_case(name, x_shapes, cfg, call, masks=None, self_attn=False):
    m = nn.MultiheadAttention(cfg["embed_dim"], cfg["num_heads"], bias=cfg.get("bias", True),
                              batch_first=cfg.get("batch_first", False), kdim=cfg.get("kdim"), vdim=cfg.get("vdim"))
    masks = masks or {}
    if self_attn:
        inputs = {"query": r(*x_shapes[0])}
    else:
        inputs = {"query": r(*x_shapes[0]), "key": r(*x_shapes[1]), "value": r(*x_shapes[2])}
    inputs.update(masks)

    def run(m, query, key=None, value=None, key_padding_mask=None, attn_mask=None):
        if key is None:
            key = value = query
        return m(query, key, value, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                 need_weights=call.get("need_weights", True),
                 average_attn_weights=call.get("average_attn_weights", True))
    call = dict(call, self_attn=self_attn)
    mha.case(name, "mha", cfg, m, inputs, run, call)


base = {"embed_dim": E, "num_heads": H}
mha_case("self_seq_first_weights", [(L, N, E)], base, {"need_weights": True}, self_attn=True)
mha_case("self_batch_first_no_weights", [(N, L, E)], dict(base, batch_first=True), {"need_weights": False},
         self_attn=True)
mha_case("cross_per_head_weights", [(L, N, E), (S, N, E), (S, N, E)], base,
         {"need_weights": True, "average_attn_weights": False})
kpm = torch.tensor([[False, False, False, True, True], [False, True, False, False, False]])
am_bool = torch.tensor([[False, True, False, False, False], [False, False, True, False, False],
                        [True, False, False, False, False]])
mha_case("bool_masks_weights", [(L, N, E), (S, N, E), (S, N, E)], base, {"need_weights": True},
         {"key_padding_mask": kpm, "attn_mask": am_bool})
mha_case("float_3d_mask_and_bool_kpm", [(N, L, E), (N, S, E), (N, S, E)], dict(base, batch_first=True),
         {"need_weights": False}, {"key_padding_mask": kpm, "attn_mask": r(N * H, L, S)})
mha_case("float_kpm", [(L, N, E), (S, N, E), (S, N, E)], base, {"need_weights": True},
         {"key_padding_mask": r(N, S)})
mha_case("kdim_vdim", [(L, N, E), (S, N, 3), (S, N, 5)], dict(base, kdim=3, vdim=5), {"need_weights": True},
         {"key_padding_mask": kpm})
mha_case("no_bias", [(L, N, E), (S, N, E), (S, N, E)], dict(base, bias=False), {"need_weights": False})
mha_case("unbatched", [(L, E), (S, E), (S, E)], base, {"need_weights": True},
         {"key_padding_mask": torch.tensor([False, False, True, False, False])})
mha_case("causal_mask", [(N, 4, E)], dict(base, batch_first=True), {"need_weights": False},
         {"attn_mask": causal(4)}, self_attn=True)
mha_case("is_causal_fused", [(N, 4, E)], dict(base, batch_first=True), {"need_weights": False, "is_causal": True},
         {"attn_mask": causal(4)}, self_attn=True)
mha_case("is_causal_weights_kpm", [(4, N, E)], base, {"need_weights": True, "is_causal": True},
         {"attn_mask": causal(4), "key_padding_mask": torch.tensor([[False] * 3 + [True], [False] * 4])},
         self_attn=True)
mha.write()

# ---------------- Transformer layers and stacks ----------------
tr = File("transformer")
FF = 6


def layer_cfg(**kw):
    cfg = {"d_model": E, "nhead": H, "dim_feedforward": FF, "activation": "relu", "layer_norm_eps": 1e-5,
           "batch_first": False, "norm_first": False}
    cfg.update(kw)
    return cfg


def enc_layer(cfg):
    return nn.TransformerEncoderLayer(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"], 0.0, cfg["activation"],
                                      cfg["layer_norm_eps"], cfg["batch_first"], cfg["norm_first"])


def dec_layer(cfg):
    return nn.TransformerDecoderLayer(cfg["d_model"], cfg["nhead"], cfg["dim_feedforward"], 0.0, cfg["activation"],
                                      cfg["layer_norm_eps"], cfg["batch_first"], cfg["norm_first"])


def seq(T, cfg):
    return r(N, T, E) if cfg["batch_first"] else r(T, N, E)


def enc_case(name, cfg, masks=None, call=None, stack=None):
    if stack:
        m = nn.TransformerEncoder(enc_layer(cfg), stack, norm=nn.LayerNorm(E))
        kind, cfg = "encoder", dict(cfg, num_layers=stack, final_norm=True)
    else:
        m, kind = enc_layer(cfg), "encoder_layer"
    inputs = {"src": seq(4, cfg)}
    inputs.update(masks or {})

    def run(m, src, src_mask=None, src_key_padding_mask=None):
        if stack:
            return (m(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask),)
        return (m(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask),)
    tr.case(name, kind, cfg, m, inputs, run, call)


kpm4 = torch.tensor([[False, False, True, True], [False, False, False, False]])
enc_case("enc_post_relu", layer_cfg())
enc_case("enc_post_relu_masks", layer_cfg(), {"src_mask": causal(4), "src_key_padding_mask": kpm4})
enc_case("enc_pre_gelu_batch_first", layer_cfg(activation="gelu", batch_first=True, norm_first=True),
         {"src_key_padding_mask": kpm4})
enc_case("enc_is_causal_eps", layer_cfg(layer_norm_eps=1e-3, norm_first=True), {"src_mask": causal(4)},
         {"is_causal": True})
enc_case("encoder_stack_norm", layer_cfg(activation="gelu"), {"src_key_padding_mask": kpm4}, stack=2)


def dec_case(name, cfg, masks=None, call=None, stack=None):
    if stack:
        m = nn.TransformerDecoder(dec_layer(cfg), stack, norm=nn.LayerNorm(E))
        kind, cfg = "decoder", dict(cfg, num_layers=stack, final_norm=True)
    else:
        m, kind = dec_layer(cfg), "decoder_layer"
    inputs = {"tgt": seq(3, cfg), "memory": seq(5, cfg)}
    inputs.update(masks or {})

    def run(m, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None):
        return (m(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask, tgt_key_padding_mask=tgt_key_padding_mask,
                  memory_key_padding_mask=memory_key_padding_mask),)
    tr.case(name, kind, cfg, m, inputs, run, call)


mem_kpm = torch.tensor([[False, False, False, True, True], [False, False, False, False, True]])
dec_case("dec_post_relu", layer_cfg(), {"tgt_mask": causal(3), "memory_key_padding_mask": mem_kpm})
dec_case("dec_pre_gelu_batch_first", layer_cfg(activation="gelu", batch_first=True, norm_first=True),
         {"memory_mask": am_bool, "tgt_key_padding_mask": torch.tensor([[False, False, True], [False, False, False]])})
dec_case("dec_is_causal", layer_cfg(), {"tgt_mask": causal(3)}, {"tgt_is_causal": True})
dec_case("decoder_stack_norm", layer_cfg(norm_first=True), {"tgt_mask": causal(3), "memory_key_padding_mask": mem_kpm},
         stack=2)
tr.write()
