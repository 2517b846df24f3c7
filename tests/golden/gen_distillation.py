"""Golden cases for distillation_loss. Regenerate: /opt/torch/bin/python tests/golden/gen_distillation.py

PyTorch's reference is Hinton et al.'s loss written with torch.nn.functional:
  alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T), reduction="batchmean")
  + (1 - alpha) * cross_entropy(s, y)
The teacher's logits get no gradient, so they travel in kwargs (as a loss's class weights do),
with their shape; the inputs are the student's logits and the labels.
"""
import torch
import torch.nn.functional as F

from golden_lib import Golden


def reference(s, t, y, T, alpha):
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean")
    return alpha * T * T * soft + (1 - alpha) * F.cross_entropy(s, y)


g = Golden("distillation")
r = lambda *s: torch.randn(*s)
cls = lambda c, n: torch.randint(0, c, (n,))


def case(name, n, c, T, alpha, scale=1.0, dtype=torch.float32):
    s, t = (r(n, c) * scale).to(dtype), (r(n, c) * 2 * scale).to(dtype)
    y = cls(c, n)
    kw = {"teacher": t.double().flatten().tolist(), "teacher_shape": [n, c], "temperature": T, "alpha": alpha}
    g.case(name, "distillation_loss", lambda s_, y_: reference(s_, t, y_, T, alpha), [s, y], kw)


case("t4_a09", 5, 10, 4.0, 0.9)           # the recipe's defaults
case("t1_a05", 4, 6, 1.0, 0.5)
case("t2_a1_teacher_only", 3, 5, 2.0, 1.0)
case("a0_plain_ce", 4, 7, 3.0, 0.0)
case("t0_5_sharpened", 6, 4, 0.5, 0.3)
case("t20_large_logits", 3, 10, 20.0, 0.7, scale=30.0)
case("f64", 4, 5, 3.0, 0.8, dtype=torch.float64)
g.write()
