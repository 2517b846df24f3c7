"""Golden data for dtypes: PyTorch's promotion rules and its conversions between dtypes.
Regenerate: /usr/bin/python3 tests/golden/gen_dtype.py

Writes tests/golden/dtype/promotion.json and tests/golden/dtype/conversion.json (a sub-folder:
the op harness loads every tests/golden/*.json as op cases). Read by tests/test_dtype.cpp.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dtype")
DTYPES = [torch.bool, torch.int32, torch.int64, torch.float16, torch.bfloat16, torch.float32, torch.float64]
name = lambda d: str(d).replace("torch.", "")


def write(fname, obj):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, fname)
    with open(path + ".tmp", "w") as f:
        json.dump(dict(obj, torch=torch.__version__), f, indent=0)
    os.replace(path + ".tmp", path)
    print("wrote", path)


# ---- promotion ----
table = {name(a): {name(b): name(torch.promote_types(a, b)) for b in DTYPES} for a in DTYPES}
one = lambda d, shape: torch.ones(shape, dtype=d)
result_type = []
for a in DTYPES:
    for b in DTYPES:
        result_type.append({"a": name(a), "a_dim": 1, "b": name(b), "b_dim": 0,
                            "result": name(torch.result_type(one(a, (2,)), one(b, ())))})
        result_type.append({"a": name(a), "a_dim": 0, "b": name(b), "b_dim": 0,
                            "result": name(torch.result_type(one(a, ()), one(b, ())))})
scalar_type = []
for a in DTYPES:
    for kind, value in (("bool", True), ("int", 2), ("float", 2.5)):
        for dim in (1, 0):
            t = one(a, (2,) if dim else ())
            scalar_type.append({"a": name(a), "a_dim": dim, "scalar": kind, "result": name(torch.result_type(t, value))})
write("promotion.json", {"dtypes": [name(d) for d in DTYPES], "promote_types": table,
                         "result_type": result_type, "scalar_result_type": scalar_type})


# ---- conversions ----
def f32_bits(t):
    return [v & 0xFFFFFFFF for v in t.float().view(torch.int32).tolist()]


def f16_bits(t):
    return [v & 0xFFFF for v in t.view(torch.int16).tolist()]


specials = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 2 / 3, 65504.0, 65505.0, 65519.0, 65520.0, 70000.0, -70000.0,
            6.1035156e-05, 6.0e-05, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08, 1.0e-8, 1e-40, -1e-40,
            1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20,
            3.3895314e38, 3.4028235e38, -3.4028235e38, 1.1754944e-38, 1e38,
            float("inf"), -float("inf"), float("nan")]
vals = torch.cat([torch.tensor(specials, dtype=torch.float32),
                  torch.randn(100) * torch.logspace(-8, 5, 100),
                  torch.rand(40) * 65536,
                  # every float32 whose lower bits are an exact tie or one ulp either side of it
                  (torch.randint(0, 2 ** 15, (30,), dtype=torch.int32) * 2 ** 16 + 0x3F000000 + 2 ** 15 +
                   torch.randint(-1, 2, (30,), dtype=torch.int32)).view(torch.float32),
                  (torch.randint(0, 2 ** 10, (30,), dtype=torch.int32) * 2 ** 13 + 0x3F000000 + 2 ** 12 +
                   torch.randint(-1, 2, (30,), dtype=torch.int32)).view(torch.float32)])
half = vals.half()
bf = vals.bfloat16()
halves = {"float32_bits": f32_bits(vals), "float16_bits": f16_bits(half), "float16_back_bits": f32_bits(half.float()),
          "bfloat16_bits": f16_bits(bf), "bfloat16_back_bits": f32_bits(bf.float())}
# float64 -> 16-bit: PyTorch goes through float32 first.
d = torch.tensor([1 + 2 ** -11 + 2 ** -40, 0.1, 65519.99999999, 1 + 2 ** -8 + 2 ** -35], dtype=torch.float64)
halves_f64 = {"float64": d.tolist(), "float16_bits": f16_bits(d.half()), "bfloat16_bits": f16_bits(d.bfloat16())}


def enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


casts = []


def cast(src, dst):
    casts.append({"from": name(src.dtype), "to": name(dst), "in": [enc(v) for v in src.tolist()],
                  "out": [enc(v) for v in src.to(dst).tolist()]})


fl = torch.tensor([0.0, -0.0, 0.4, 0.5, 0.99, 1.0, 1.5, 2.5, -0.4, -0.5, -1.5, -2.7, 123456.78, -2147483520.0,
                   2147483520.0])
cast(fl, torch.int32)
cast(fl, torch.int64)
cast(fl.double() * 1000, torch.int64)
cast(torch.tensor([0.0, -0.0, 0.1, -3.0, float("nan"), float("inf")]), torch.bool)
cast(torch.tensor([0.0, 1e-300, -1.0], dtype=torch.float64), torch.bool)
big = torch.tensor([0, 1, -1, 2 ** 24, 2 ** 24 + 1, 2 ** 24 + 3, -(2 ** 24) - 1, 2 ** 31 - 1, 2 ** 53 + 1,
                    2 ** 62 + 2 ** 40 + 1, -(2 ** 63)], dtype=torch.int64)
cast(big, torch.float32)
cast(big, torch.float64)
cast(big, torch.int32)  # wraps modulo 2^32, as a C++ conversion does
cast(big, torch.bool)
cast(big, torch.float16)
cast(torch.tensor([-7, 0, 3, 2 ** 31 - 1], dtype=torch.int32), torch.int64)
cast(torch.tensor([-7, 0, 3, 2 ** 24 + 1], dtype=torch.int32), torch.float32)
cast(torch.tensor([True, False]), torch.float32)
cast(torch.tensor([True, False]), torch.int64)
cast(torch.tensor([0.1, 1e-30, 1e30, -2.5]), torch.float64)
cast(torch.tensor([0.1, 1e-50, 1e300, -2.5, 3.4028235677973366e38, 3.4028236e38], dtype=torch.float64), torch.float32)
write("conversion.json", {"halves": halves, "halves_from_float64": halves_f64, "casts": casts})
