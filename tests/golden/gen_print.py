"""Golden cases for tensor printing: PyTorch's repr of tensors that tests/test_print.cpp rebuilds in
Ember and prints. Regenerate: /usr/bin/python3 tests/golden/gen_print.py

Written to tests/golden/print/cases.json (a sub-folder, because the op harness loads every
tests/golden/*.json as op cases). Each case holds the tensor's shape, dtype and values (non-finite
floats as the strings "nan", "inf", "-inf"), whether it requires grad, an optional op applied
before printing (the test maps the same name to the Ember op), and torch's repr.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
cases = []


def values(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return [bool(v) for v in t.flatten().tolist()]
    if not t.is_floating_point():
        return [int(v) for v in t.flatten().tolist()]
    out = []
    for v in t.double().flatten().tolist():
        out.append(("nan" if math.isnan(v) else "inf" if v > 0 else "-inf") if not math.isfinite(v) else v)
    return out


def case(name, t, op=None, requires_grad=False):
    """t: the tensor to build; op: applied to it (after requires_grad_) before printing."""
    x = t.clone()
    if requires_grad:
        x.requires_grad_(True)
    shown = OPS[op](x) if op else x
    cases.append({"name": name, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                  "data": values(t), "requires_grad": requires_grad, "op": op or "", "repr": repr(shown)})


# Ops whose grad_fn names match Ember's (name + "0"), and views that change the printed layout.
OPS = {
    "add_scalar": lambda x: x + 1,
    "mul": lambda x: x * x,
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "exp": lambda x: x.exp(),
    "neg": lambda x: -x,
    "tanh": lambda x: x.tanh(),
    "relu": lambda x: x.relu(),
    "view": lambda x: x.view(-1),
    "permute": lambda x: x.permute(1, 0),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "expand": lambda x: x.unsqueeze(0).expand(2, *x.shape),
    "clone": lambda x: x.clone(),
    "select": lambda x: x[1],
    "transpose": lambda x: x.transpose(0, 1),
    "slice_step": lambda x: x[:, ::2],
}

f32 = torch.float32
# Integer-valued floats, fixed and scientific notation.
case("int_valued_2x2", torch.tensor([[1., 2.], [3., 4.]]))
case("int_valued_negative", torch.tensor([-1., 20., 300.]))
case("randn_3x4", torch.randn(3, 4))
case("randn_2x3x4", torch.randn(2, 3, 4))
case("randn_4d", torch.randn(2, 1, 2, 3))
case("randn_1d_wraps", torch.randn(25))
case("wide_values_wrap", torch.randn(20) * 100)
case("sci_small", torch.tensor([1e-5, 1.0, 0.5]))
case("sci_large", torch.tensor([1.5e9, 2.0, 3.25]))
case("sci_ratio", torch.tensor([0.5, 2000.5]))
case("sci_int_valued", torch.tensor([1., 1e9]))
case("sci_int_ratio", torch.tensor([1., 5000.]))
case("sci_negative_exponent3", torch.tensor([1e-300, 1.0], dtype=torch.float64))
case("fixed_boundary", torch.tensor([0.0001, 0.1]))
case("rounding", torch.tensor([0.12345, 0.99995, 2.00005, -0.015]))
case("rounding_ties_sci", torch.tensor([0.12345, 0.99995, 2.00005, -0.00015]))
case("zeros", torch.zeros(3))
case("negative_zero", torch.tensor([-0.0, 1.5]))
case("mixed_zero", torch.tensor([0.0, 0.25, -3.0]))
# Non-finite values.
case("nan_inf", torch.tensor([1., float("nan"), float("inf"), -float("inf")]))
case("nan_fraction", torch.tensor([0.5, float("nan")]))
case("all_nan", torch.tensor([float("nan"), float("nan")]))
case("nan_0d", torch.tensor(float("nan")))
case("inf_sci", torch.tensor([1e-5, float("inf"), -2.0]))
# 0-dim tensors.
case("scalar_float", torch.tensor(3.5))
case("scalar_int_valued", torch.tensor(-2.0))
case("scalar_int", torch.tensor(7))
case("scalar_bool", torch.tensor(True))
case("scalar_f64", torch.tensor(0.1, dtype=torch.float64))
# Integer and bool tensors.
case("int64", torch.tensor([-3, 10, 200]))
case("int64_2d", torch.tensor([[1, -22], [333, 4]]))
case("int64_large", torch.tensor([1, 123456789012]))
case("int32", torch.tensor([[1, 2], [3, 4]], dtype=torch.int32))
case("bool_2x3", torch.tensor([[True, False, True], [False, False, True]]))
case("arange_int_wraps", torch.arange(40))
# Other dtypes.
case("float64", torch.randn(2, 3, dtype=torch.float64))
case("float16", torch.tensor([0.1, -2.5, 65504.0]).half())
case("bfloat16", torch.tensor([0.1, -2.5, 3.0e38]).bfloat16())
case("float16_int_valued", torch.tensor([1., 2.]).half())
# Empty tensors.
case("empty_1d", torch.zeros(0))
case("empty_2d", torch.zeros(0, 3))
case("empty_3d_int", torch.zeros(2, 0, 3, dtype=torch.int64))
case("empty_int64_1d", torch.zeros(0, dtype=torch.int64))
case("empty_bool", torch.zeros(0, dtype=torch.bool))
case("empty_f64", torch.zeros(0, 2, dtype=torch.float64))
# Summarized (more than 1000 elements): edge items only, and widths from those only.
case("summarized_1d", torch.arange(2000, dtype=f32) * 0.5)
case("summarized_2d", torch.arange(1200, dtype=f32).reshape(30, 40) / 8)
case("summarized_3d_int", torch.arange(1331).reshape(11, 11, 11))
case("summarized_small_dim", (torch.arange(1010, dtype=f32) / 4).reshape(2, 505))
case("summarized_big_values_hidden", torch.cat([torch.ones(3), torch.full((1000,), 1e9), torch.ones(3)]))
# Autograd suffixes.
case("leaf_requires_grad", torch.randn(2, 2), requires_grad=True)
case("leaf_f64_wraps_suffix", torch.randn(8, dtype=torch.float64), requires_grad=True)
case("leaf_0d", torch.tensor(1.25), requires_grad=True)
for op in OPS:
    if op in ("transpose", "slice_step"):
        case(f"view_{op}", torch.randn(3, 4))
        continue
    case(f"grad_fn_{op}", torch.randn(3, 4), op=op, requires_grad=True)
case("grad_fn_f64", torch.randn(2, 2, dtype=torch.float64), op="exp", requires_grad=True)
case("grad_fn_long_line", torch.randn(9), op="add_scalar", requires_grad=True)

# The view cases print a non-contiguous view; record the op for them.
for c in cases:
    if c["name"].startswith("view_"):
        c["op"] = c["name"][len("view_"):]
        t = torch.tensor(c["data"], dtype=torch.float32).reshape(c["shape"])
        c["repr"] = repr(OPS[c["op"]](t))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "print", "cases.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
os.replace(path + ".tmp", path)
print(f"wrote {len(cases)} cases to {path}")
