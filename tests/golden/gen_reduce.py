"""Golden cases for reductions and softmax. Regenerate: /usr/bin/python3 tests/golden/gen_reduce.py

Shapes stay tiny: every case with gradients also runs float64 finite differences in C++.
Cases whose inputs have ties (max/min) skip finite differences: the function has a kink there.
p = inf is written as the string "inf" (JSON has no infinity).
"""
import torch

from golden_lib import Golden

g = Golden("reduce")
r = lambda *s: torch.randn(*s)
ties = lambda *s: torch.randint(0, 3, s).float()  # many equal values

# ---- var / std ----
g.case("var_dim", "var", lambda a: torch.var(a, dim=1), [r(3, 4)], {"dims": [1]})
g.case("var_all", "var", lambda a: torch.var(a), [r(3, 4)], {})
g.case("var_multi_keep_pop", "var", lambda a: torch.var(a, dim=(0, 2), correction=0, keepdim=True), [r(2, 3, 4)],
       {"dims": [0, 2], "correction": 0, "keepdim": True})
g.case("var_neg_dim_f64", "var", lambda a: torch.var(a, dim=-1), [r(3, 5).double()], {"dims": [-1]})
# Values 100 +- 0.01: x - mean cancels catastrophically in float32, so the mean's last-bit rounding
# (ulp(100) = 7.6e-6) shows in the gradient; the forward is computed in double here.
g.case("var_offset_values", "var", lambda a: torch.var(a, dim=0), [r(6, 3) * 0.01 + 100.0], {"dims": [0]},
       rtol=1e-4, atol=1e-6)
g.case("std_dim", "std", lambda a: torch.std(a, dim=1), [r(3, 4)], {"dims": [1]})
g.case("std_all_pop", "std", lambda a: torch.std(a, dim=None, correction=0), [r(3, 4)], {"correction": 0})
g.case("std_cols_keep", "std", lambda a: torch.std(a, dim=0, keepdim=True), [r(5, 3)], {"dims": [0], "keepdim": True})

# ---- amax / amin / max / min ----
g.case("amax_dim", "amax", lambda a: torch.amax(a, dim=1), [r(3, 4)], {"dims": [1]})
g.case("amax_multi_keep", "amax", lambda a: torch.amax(a, dim=(0, 2), keepdim=True), [r(2, 3, 4)],
       {"dims": [0, 2], "keepdim": True})
g.case("amax_ties", "amax", lambda a: torch.amax(a, dim=1), [ties(3, 5)], {"dims": [1]}, gradcheck=False)
g.case("amin_dim0", "amin", lambda a: torch.amin(a, dim=0), [r(4, 3)], {"dims": [0]})
g.case("amin_ties_all", "amin", lambda a: torch.amin(a), [ties(3, 4)], {}, gradcheck=False)
g.case("amax_int", "amax", lambda a: torch.amax(a, dim=0), [torch.randint(-9, 9, (3, 4))], {"dims": [0]})
g.case("max_all", "max_all", lambda a: a.max(), [r(3, 4)])
g.case("max_all_ties", "max_all", lambda a: a.max(), [ties(3, 4)], gradcheck=False)
g.case("min_all", "min_all", lambda a: a.min(), [r(2, 3, 2)])
g.case("max_dim_values", "max_dim_values", lambda a: torch.max(a, 1)[0], [r(3, 4)], {"dim": 1})
g.case("max_dim_values_ties_keep", "max_dim_values", lambda a: torch.max(a, 0, keepdim=True)[0], [ties(4, 3)],
       {"dim": 0, "keepdim": True}, gradcheck=False)
g.case("max_dim_indices", "max_dim_indices", lambda a: torch.max(a, 1)[1], [r(3, 4)], {"dim": 1}, grad=False)
g.case("max_dim_indices_ties", "max_dim_indices", lambda a: torch.max(a, -1)[1], [ties(4, 5)], {"dim": -1},
       grad=False)
g.case("min_dim_values", "min_dim_values", lambda a: torch.min(a, 0)[0], [r(2, 3, 4)], {"dim": 0})
g.case("min_dim_indices_ties_keep", "min_dim_indices", lambda a: torch.min(a, 1, keepdim=True)[1], [ties(3, 4, 2)],
       {"dim": 1, "keepdim": True}, grad=False)
g.case("argmax_all", "argmax", lambda a: torch.argmax(a), [r(3, 4)], grad=False)
g.case("argmax_dim", "argmax", lambda a: torch.argmax(a, dim=0), [ties(4, 3)], {"dim": 0}, grad=False)
g.case("argmax_keep", "argmax", lambda a: torch.argmax(a, dim=1, keepdim=True), [r(3, 4)], {"dim": 1, "keepdim": True},
       grad=False)
g.case("argmin_all_ties", "argmin", lambda a: torch.argmin(a), [ties(3, 4)], grad=False)
g.case("argmin_dim_int", "argmin", lambda a: torch.argmin(a, dim=1), [torch.randint(0, 4, (3, 5))], {"dim": 1},
       grad=False)

# ---- logsumexp ----
g.case("logsumexp_dim", "logsumexp", lambda a: torch.logsumexp(a, dim=1), [r(3, 4)], {"dims": [1]})
g.case("logsumexp_cols_keep", "logsumexp", lambda a: torch.logsumexp(a, dim=0, keepdim=True), [r(3, 19)],
       {"dims": [0], "keepdim": True})
g.case("logsumexp_multi", "logsumexp", lambda a: torch.logsumexp(a, dim=(0, 2)), [r(2, 3, 4)], {"dims": [0, 2]})
g.case("logsumexp_large_values", "logsumexp", lambda a: torch.logsumexp(a, dim=1), [r(2, 33) * 30 + 1000],
       {"dims": [1]})
g.case("logsumexp_f64", "logsumexp", lambda a: torch.logsumexp(a, dim=-1), [r(2, 6).double()], {"dims": [-1]})

# ---- norm ----
vn = torch.linalg.vector_norm
g.case("norm_2_all", "norm", lambda a: vn(a), [r(3, 4)], {})
g.case("norm_2_dim", "norm", lambda a: vn(a, 2, dim=1), [r(3, 4)], {"p": 2, "dims": [1]})
g.case("norm_1_dim_keep", "norm", lambda a: vn(a, 1, dim=0, keepdim=True), [r(3, 4)],
       {"p": 1, "dims": [0], "keepdim": True})
g.case("norm_3_multi", "norm", lambda a: vn(a, 3, dim=(0, 2)), [r(2, 3, 4)], {"p": 3, "dims": [0, 2]})
g.case("norm_half", "norm", lambda a: vn(a, 0.5, dim=1), [r(3, 4)], {"p": 0.5, "dims": [1]})
g.case("norm_inf", "norm", lambda a: vn(a, float("inf"), dim=1), [r(3, 4)], {"p": "inf", "dims": [1]})
g.case("norm_neg_inf", "norm", lambda a: vn(a, float("-inf")), [r(3, 4)], {"p": "-inf"})
g.case("norm_0", "norm", lambda a: vn(a, 0, dim=1), [torch.tensor([[0.0, 1.5, 0.0], [2.0, -1.0, 3.0]])],
       {"p": 0, "dims": [1]})
g.case("norm_2_f64", "norm", lambda a: vn(a, dim=0), [r(4, 3).double()], {"dims": [0]})

# ---- prod ----
g.case("prod_all", "prod", lambda a: torch.prod(a), [r(2, 3)])
g.case("prod_dim", "prod", lambda a: torch.prod(a, 1), [r(3, 4)], {"dim": 1})
g.case("prod_dim0_keep", "prod", lambda a: torch.prod(a, 0, keepdim=True), [r(3, 4)], {"dim": 0, "keepdim": True})
g.case("prod_one_zero", "prod", lambda a: torch.prod(a, 1), [torch.tensor([[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]])],
       {"dim": 1})
g.case("prod_two_zeros", "prod", lambda a: torch.prod(a), [torch.tensor([0.0, 2.0, 0.0, 3.0])])
g.case("prod_int", "prod", lambda a: torch.prod(a, 0), [torch.randint(-3, 4, (3, 4))], {"dim": 0})

# ---- cumsum / any / all ----
g.case("cumsum_dim1", "cumsum", lambda a: torch.cumsum(a, 1), [r(3, 4)], {"dim": 1})
g.case("cumsum_dim0", "cumsum", lambda a: torch.cumsum(a, 0), [r(3, 2, 4)], {"dim": 0})
g.case("cumsum_neg_dim", "cumsum", lambda a: torch.cumsum(a, -1), [r(2, 5)], {"dim": -1})
g.case("cumsum_int", "cumsum", lambda a: torch.cumsum(a, 0), [torch.randint(-5, 5, (4, 3)).int()], {"dim": 0})
g.case("any_true", "any", torch.any, [torch.tensor([[0.0, 0.0], [0.0, 2.0]])], grad=False)
g.case("any_false", "any", torch.any, [torch.zeros(2, 3)], grad=False)
g.case("all_true", "all", torch.all, [torch.tensor([[1, 2], [3, -1]])], grad=False)
g.case("all_false_bool", "all", torch.all, [torch.tensor([True, False, True])], grad=False)

# ---- sum over a 0-dim tensor (dim 0 is accepted and reduces nothing) ----
g.case("sum_0dim", "sum_dims", lambda a: torch.sum(a, dim=0), [torch.tensor(1.5)], {"dims": [0]})

# ---- softmax / log_softmax ----
for name, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
    g.case(f"{name}_last", name, lambda a, fn=fn: fn(a, -1), [r(3, 5)], {"dim": -1})
    g.case(f"{name}_rows_avx_tail", name, lambda a, fn=fn: fn(a, 1), [r(2, 45)], {"dim": 1})
    g.case(f"{name}_dim0", name, lambda a, fn=fn: fn(a, 0), [r(4, 3)], {"dim": 0})
    g.case(f"{name}_middle_strips", name, lambda a, fn=fn: fn(a, 1), [r(2, 3, 19)], {"dim": 1})
    g.case(f"{name}_large_logits", name, lambda a, fn=fn: fn(a, 1), [r(2, 33) * 20 + 500], {"dim": 1})
    g.case(f"{name}_f64", name, lambda a, fn=fn: fn(a, 1), [r(2, 3, 4).double()], {"dim": 1})
    g.case(f"{name}_0dim", name, lambda a, fn=fn: fn(a, 0), [torch.tensor(0.3)], {"dim": 0})

g.write()
