"""Golden cases for losses. Regenerate: /usr/bin/python3 tests/golden/gen_loss.py

Class weights, weights and pos_weight travel in kwargs (lists), not as inputs, because PyTorch
gives them no gradient; the C++ registry builds tensors from them.
"""
import torch
import torch.nn.functional as F

from golden_lib import Golden

g = Golden("loss")
r = lambda *s: torch.randn(*s)
cls = lambda c, *s: torch.randint(0, c, s)
prob = lambda *s: torch.rand(*s) * 0.9 + 0.05  # strictly inside (0, 1)

# ---- cross_entropy ----
w5 = torch.rand(5) + 0.5
t_ign = torch.tensor([1, -100, 4, 0, -100, 2])
g.case("ce_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(4, 5), cls(5, 4)])
g.case("ce_sum", "cross_entropy", lambda x, t: F.cross_entropy(x, t, reduction="sum"), [r(4, 5), cls(5, 4)],
       {"reduction": "sum"})
g.case("ce_none", "cross_entropy", lambda x, t: F.cross_entropy(x, t, reduction="none"), [r(4, 5), cls(5, 4)],
       {"reduction": "none"})
g.case("ce_weight_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t, weight=w5), [r(6, 5), cls(5, 6)],
       {"weight": w5.tolist()})
g.case("ce_weight_none", "cross_entropy", lambda x, t: F.cross_entropy(x, t, weight=w5, reduction="none"),
       [r(6, 5), cls(5, 6)], {"weight": w5.tolist(), "reduction": "none"})
g.case("ce_ignore_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(6, 5), t_ign])
g.case("ce_ignore_weight_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t, weight=w5), [r(6, 5), t_ign],
       {"weight": w5.tolist()})
g.case("ce_ignore_in_range", "cross_entropy", lambda x, t: F.cross_entropy(x, t, ignore_index=2, reduction="sum"),
       [r(6, 5), torch.tensor([2, 0, 2, 4, 1, 3])], {"ignore_index": 2, "reduction": "sum"})
g.case("ce_smooth_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [r(4, 5), cls(5, 4)],
       {"label_smoothing": 0.1})
g.case("ce_smooth_ignore_mean", "cross_entropy", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.2),
       [r(6, 5), t_ign], {"label_smoothing": 0.2})
g.case("ce_smooth_weight_ignore_mean", "cross_entropy",
       lambda x, t: F.cross_entropy(x, t, weight=w5, label_smoothing=0.3), [r(6, 5), t_ign],
       {"weight": w5.tolist(), "label_smoothing": 0.3})
g.case("ce_smooth_weight_none", "cross_entropy",
       lambda x, t: F.cross_entropy(x, t, weight=w5, label_smoothing=0.3, reduction="none"), [r(6, 5), t_ign],
       {"weight": w5.tolist(), "label_smoothing": 0.3, "reduction": "none"})
g.case("ce_smooth_sum", "cross_entropy", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.25, reduction="sum"),
       [r(4, 5), cls(5, 4)], {"label_smoothing": 0.25, "reduction": "sum"})
g.case("ce_kdim", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(2, 3, 4), cls(3, 2, 4)])
g.case("ce_kdim_weight_none", "cross_entropy", lambda x, t: F.cross_entropy(x, t, weight=w5[:3], reduction="none"),
       [r(2, 3, 2, 2), cls(3, 2, 2, 2)], {"weight": w5[:3].tolist(), "reduction": "none"})
g.case("ce_unbatched", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(5), torch.tensor(3)])
g.case("ce_f64", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(3, 4).double(), cls(4, 3)])
g.case("ce_large_logits", "cross_entropy", lambda x, t: F.cross_entropy(x, t), [r(3, 40) * 30 + 200, cls(40, 3)])
g.case("ce_probs", "cross_entropy", lambda x, p: F.cross_entropy(x, p), [r(3, 4), torch.softmax(r(3, 4), 1)])
g.case("ce_probs_weight_smooth_none", "cross_entropy",
       lambda x, p: F.cross_entropy(x, p, weight=w5[:4], label_smoothing=0.1, reduction="none"),
       [r(3, 4), torch.softmax(r(3, 4), 1)], {"weight": w5[:4].tolist(), "label_smoothing": 0.1, "reduction": "none"})

# ---- nll_loss ----
g.case("nll_mean", "nll_loss", lambda x, t: F.nll_loss(x, t), [torch.log_softmax(r(4, 5), 1), cls(5, 4)])
g.case("nll_weight_ignore", "nll_loss", lambda x, t: F.nll_loss(x, t, weight=w5), [r(6, 5), t_ign],
       {"weight": w5.tolist()})
g.case("nll_none_kdim", "nll_loss", lambda x, t: F.nll_loss(x, t, reduction="none"), [r(2, 4, 3), cls(4, 2, 3)],
       {"reduction": "none"})
g.case("nll_sum_ignore_custom", "nll_loss", lambda x, t: F.nll_loss(x, t, ignore_index=0, reduction="sum"),
       [r(5, 3), torch.tensor([0, 1, 2, 0, 1])], {"ignore_index": 0, "reduction": "sum"})

# ---- mse / l1 ----
for red in ("mean", "sum", "none"):
    g.case(f"mse_{red}", "mse_loss", lambda x, y, red=red: F.mse_loss(x, y, reduction=red), [r(3, 4), r(3, 4)],
           {"reduction": red})
    g.case(f"l1_{red}", "l1_loss", lambda x, y, red=red: F.l1_loss(x, y, reduction=red), [r(3, 4), r(3, 4)],
           {"reduction": red})
g.case("mse_f64", "mse_loss", lambda x, y: F.mse_loss(x, y), [r(5).double(), r(5).double()])

# ---- binary_cross_entropy ----
w4 = torch.rand(4) + 0.5
g.case("bce_mean", "binary_cross_entropy", lambda x, t: F.binary_cross_entropy(x, t), [prob(3, 4), prob(3, 4)])
g.case("bce_weight_none", "binary_cross_entropy", lambda x, t: F.binary_cross_entropy(x, t, weight=w4, reduction="none"),
       [prob(3, 4), torch.randint(0, 2, (3, 4)).float()], {"weight": w4.tolist(), "reduction": "none"})
g.case("bce_sum", "binary_cross_entropy", lambda x, t: F.binary_cross_entropy(x, t, reduction="sum"),
       [prob(5), prob(5)], {"reduction": "sum"})
g.case("bce_clamped_log", "binary_cross_entropy", lambda x, t: F.binary_cross_entropy(x, t, reduction="none"),
       [torch.tensor([0.0, 1.0, 0.5, 1e-45]), torch.tensor([1.0, 0.0, 1.0, 1.0])], {"reduction": "none"}, grad=False)

# ---- binary_cross_entropy_with_logits ----
pw = torch.rand(4) * 2 + 0.2
x_zero = r(3, 4)
x_zero[0, 0] = 0.0  # the kink of max/abs: the gradient must still be sigmoid(x) - t
g.case("bcel_mean", "binary_cross_entropy_with_logits", lambda x, t: F.binary_cross_entropy_with_logits(x, t),
       [x_zero, prob(3, 4)])
g.case("bcel_weight_pos_none", "binary_cross_entropy_with_logits",
       lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=w4, pos_weight=pw, reduction="none"),
       [x_zero, prob(3, 4)], {"weight": w4.tolist(), "pos_weight": pw.tolist(), "reduction": "none"})
g.case("bcel_pos_sum", "binary_cross_entropy_with_logits",
       lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="sum"),
       [r(2, 4) * 3, torch.randint(0, 2, (2, 4)).float()], {"pos_weight": pw.tolist(), "reduction": "sum"})
g.case("bcel_extreme_logits", "binary_cross_entropy_with_logits",
       lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
       [torch.tensor([-200.0, 200.0, -30.0, 40.0]), torch.tensor([1.0, 0.0, 0.5, 1.0])], {"reduction": "none"})

# ---- kl_div ----
logq = lambda *s: torch.log_softmax(r(*s), -1)
for red in ("mean", "sum", "none", "batchmean"):
    g.case(f"kl_{red}", "kl_div", lambda x, t, red=red: F.kl_div(x, t, reduction=red), [logq(3, 4), prob(3, 4)],
           {"reduction": red})
g.case("kl_log_target", "kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
       [logq(3, 4), logq(3, 4)], {"reduction": "batchmean", "log_target": True})
g.case("kl_zero_target", "kl_div", lambda x, t: F.kl_div(x, t, reduction="none"),
       [logq(2, 3), torch.tensor([[0.0, 0.3, 0.7], [0.5, 0.0, 0.5]])], {"reduction": "none"}, grad=False)

g.write()
