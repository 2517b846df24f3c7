"""Golden cases for scaled_dot_product_attention. Regenerate: /usr/bin/python3 tests/golden/gen_attention.py

Torch 1.13 (Debian's) has no public F.scaled_dot_product_attention, so the reference is the torch
composite that defines torch 2.x's contract: softmax(q @ k^T * scale + mask) @ v, where a bool mask
is True where a query may attend (False -> -inf) and a float mask is added to the scores, and
is_causal is the top-left aligned lower triangle tril(ones(L, S)). Dropout is random, so it is
tested statistically in tests/test_attention.cpp, not here.
"""
import math

import torch

from golden_lib import Golden

g = Golden("attention")
r = lambda *s: torch.randn(*s)


def sdpa_ref(q, k, v, mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    s = scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
    scores = q @ k.transpose(-2, -1) * s  # (*, L, S)
    if is_causal:
        mask = torch.ones(L, S, dtype=torch.bool).tril()
    if mask is not None:
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask
    return torch.softmax(scores, -1) @ v


def case(name, q, k, v, mask=None, is_causal=False, scale=None, **extra):
    kw = {"is_causal": is_causal}
    if scale is not None:
        kw["scale"] = scale
    inputs = [q, k, v] + ([mask] if mask is not None else [])
    fn = lambda q, k, v, *m: sdpa_ref(q, k, v, m[0] if m else None, is_causal, scale)
    g.case(name, "scaled_dot_product_attention", fn, inputs, kw, **extra)


case("no_mask_3d", r(2, 3, 4), r(2, 3, 4), r(2, 3, 4))
case("l_ne_s_ev_ne_e", r(2, 3, 4), r(2, 5, 4), r(2, 5, 2))
case("4d_heads", r(2, 2, 4, 3), r(2, 2, 4, 3), r(2, 2, 4, 3))
case("2d_unbatched", r(3, 4), r(5, 4), r(5, 3))
# Batch dims broadcast: k and v shared over the heads dim, q over the batch dim.
case("broadcast_batch", r(1, 2, 3, 4), r(2, 1, 5, 4), r(2, 1, 5, 3))
case("custom_scale", r(2, 3, 4), r(2, 4, 4), r(2, 4, 3), scale=0.3)
case("causal_square", r(2, 2, 5, 3), r(2, 2, 5, 3), r(2, 2, 5, 3), is_causal=True)
case("causal_l_lt_s", r(2, 3, 4), r(2, 6, 4), r(2, 6, 2), is_causal=True)
case("causal_l_gt_s", r(2, 5, 4), r(2, 3, 4), r(2, 3, 3), is_causal=True)
case("causal_scale", r(1, 4, 2), r(1, 4, 2), r(1, 4, 2), is_causal=True, scale=2.0)
# Bool masks: True = may attend. Every row keeps at least one key (else the row is NaN).
bool_ls = torch.tensor([[True, False, True, True, False],
                        [False, True, True, False, False],
                        [True, True, True, True, True]])
case("bool_mask_ls", r(2, 3, 4), r(2, 5, 4), r(2, 5, 3), bool_ls)
key_pad = torch.tensor([[[True, True, True, False]]])  # (1, 1, S): mask the last key for every row
case("bool_mask_key_padding", r(2, 3, 4), r(2, 4, 4), r(2, 4, 2), key_pad)
per_batch = torch.rand(2, 1, 3, 4) > 0.3
per_batch[..., 0] = True
case("bool_mask_per_batch", r(2, 2, 3, 4), r(2, 2, 4, 4), r(2, 2, 4, 3), per_batch)
# Float masks are added to the scores, and get a gradient (the sum over broadcast dims).
case("float_mask_ls", r(2, 3, 4), r(2, 4, 4), r(2, 4, 3), r(3, 4))
case("float_mask_full", r(2, 2, 3, 2), r(2, 2, 4, 2), r(2, 2, 4, 3), r(2, 2, 3, 4))
float_inf = torch.zeros(3, 4)
float_inf[0, 2:] = float("-inf")
float_inf[2, 0] = float("-inf")
# -inf entries: their gradient is 0 in both libraries, but finite differences across -inf are meaningless.
case("float_mask_with_inf", r(2, 3, 4), r(2, 4, 4), r(2, 4, 3), float_inf, gradcheck=False)
case("float64", r(2, 3, 4).double(), r(2, 4, 4).double(), r(2, 4, 3).double(), is_causal=True)
# A query row with every key masked out: NaN, as PyTorch's reference composite gives.
all_masked = torch.tensor([[True, True, False], [False, False, False]])
case("fully_masked_row_nan", r(2, 3), r(3, 3), r(3, 2), all_masked, grad=False)


# nn::sinusoidal_positional_encoding: the table of "Attention Is All You Need", as the PyTorch
# tutorial's PositionalEncoding computes it (float64, then float32); odd d_model drops the last cos.
def sinusoidal(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)[:, :d_model // 2]
    return pe.float()


for max_len, d_model in [(6, 8), (50, 16), (4, 5)]:
    g.case(f"sinusoidal_{max_len}x{d_model}", "sinusoidal_positional_encoding", lambda: sinusoidal(max_len, d_model), [],
           {"max_len": max_len, "d_model": d_model}, grad=False)
g.write()
