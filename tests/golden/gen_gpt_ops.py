"""Golden cases for the ops added for GPT training: linear_cross_entropy (the tied LM head and the
mean cross-entropy fused), against PyTorch's cross_entropy(linear(x, weight), target), and
gelu_addmm (the MLP's GELU + projection, recomputing the GELU in backward), against
torch.addmm(bias, F.gelu(input), mat2).
Regenerate: /usr/bin/python3 tests/golden/gen_gpt_ops.py
"""
import torch
import torch.nn.functional as F

from golden_lib import Golden

g = Golden("gpt_ops")
r = lambda *s: torch.randn(*s)


def lce(ignore_index=-100):
    return lambda x, w, t: F.cross_entropy(F.linear(x, w), t, ignore_index=ignore_index)


g.case("linear_cross_entropy", "linear_cross_entropy", lce(), [r(5, 4), r(7, 4), torch.tensor([0, 6, 3, 3, 1])])
g.case("linear_cross_entropy_ignore", "linear_cross_entropy", lce(-1), [r(6, 3), r(9, 3) * 3,
       torch.tensor([2, -1, 8, 0, -1, 4])], {"ignore_index": -1})
g.case("linear_cross_entropy_wide", "linear_cross_entropy", lce(), [r(3, 8), r(70, 8), torch.tensor([69, 0, 35])])


def gelu_addmm(approximate):
    return lambda b, u, w: torch.addmm(b, F.gelu(u, approximate=approximate), w)


g.case("gelu_addmm_tanh", "gelu_addmm", gelu_addmm("tanh"), [r(5), r(3, 4) * 2, r(4, 5)], {"approximate": "tanh"})
g.case("gelu_addmm_erf_row_bias", "gelu_addmm", gelu_addmm("none"), [r(1, 3), r(6, 2) * 2, r(2, 3)])
g.case("gelu_addmm_no_bias", "gelu_addmm", lambda u, w: F.gelu(u, approximate="tanh") @ w, [r(4, 3) * 2, r(3, 2)],
       {"approximate": "tanh", "no_bias": True})
g.write()
