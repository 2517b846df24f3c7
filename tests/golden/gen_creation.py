"""Golden cases for creation ops (values and dtypes). Regenerate: /usr/bin/python3 tests/golden/gen_creation.py

Exact comparison (rtol = atol = 0): ranges must reproduce PyTorch's arithmetic, not just come close.
"""
import torch

from golden_lib import Golden

g = Golden("creation")
DT = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "int32": torch.int32, "bool": torch.bool}


def case(name, op, fn, kwargs, atol=0.0):
    g.case(name, op, fn, [], kwargs, grad=False, rtol=0.0, atol=atol, noncontig=False)


def arange(name, *args, dtype=None):
    kw = {"args": list(args)}
    if dtype:
        kw["dtype"] = dtype
    case(name, "arange", lambda: torch.arange(*args, **({"dtype": DT[dtype]} if dtype else {})), kw)


arange("arange_end", 5)
arange("arange_int_step", 10, 0, -3)
arange("arange_float_step", 1, 2.5, 0.5)
arange("arange_tenths", 0, 1, 0.1)
arange("arange_negative_float", -1, 1, 0.3)
arange("arange_count_rounding", 0, 0.007, 0.001)
arange("arange_float_end_default_dtype", 4.0)
arange("arange_float64", 0, 3, 1, dtype="float64")
arange("arange_float64_fraction", 0.5, 2, 0.25, dtype="float64")
arange("arange_int64_fractional_step", 0, 5, 1.5, dtype="int64")
arange("arange_int32", -3, 3, 2, dtype="int32")
arange("arange_empty", 3, 3)


def linspace(name, start, end, steps, dtype=None):
    kw = {"start": start, "end": end, "steps": steps}
    if dtype:
        kw["dtype"] = dtype
    # Ember uses PyTorch's scalar formula. PyTorch switches to SIMD vectors (8 floats or 4 doubles
    # with AVX2) for longer ranges, which step from a vector's first value and so can differ by
    # about one rounding of a value of magnitude |start|, |end|: allow that much there.
    width = 4 if dtype == "float64" else 8
    eps = 2.3e-16 if dtype == "float64" else 1.2e-7
    atol = 0.0 if steps < width or dtype == "int64" else eps * max(abs(start), abs(end))
    case(name, "linspace", lambda: torch.linspace(start, end, steps, **({"dtype": DT[dtype]} if dtype else {})), kw, atol)


linspace("linspace_unit", 0, 1, 5)
linspace("linspace_odd", -2, 3, 7)
linspace("linspace_one_step", 2, 5, 1)
linspace("linspace_zero_steps", 0, 1, 0)
linspace("linspace_descending", 1, 0, 4)
linspace("linspace_many", -1, 1, 100)
linspace("linspace_thirds", 0, 1, 4)
linspace("linspace_float64", 0, 1, 11, dtype="float64")
linspace("linspace_int64", 0, 10, 5, dtype="int64")


def eye(name, n, m=None, dtype=None):
    kw = {"n": n}
    if m is not None:
        kw["m"] = m
    if dtype:
        kw["dtype"] = dtype
    extra = {"dtype": DT[dtype]} if dtype else {}
    case(name, "eye", lambda: torch.eye(n, m, **extra) if m is not None else torch.eye(n, **extra), kw)


eye("eye_square", 3)
eye("eye_wide", 2, 4)
eye("eye_tall", 4, 2)
eye("eye_int64", 3, dtype="int64")
eye("eye_bool", 2, dtype="bool")
eye("eye_empty", 0)
case("full_float", "full", lambda: torch.full((2, 3), 1.5), {"shape": [2, 3], "value": 1.5})
case("full_int64", "full", lambda: torch.full((2,), 7, dtype=torch.int64), {"shape": [2], "value": 7, "dtype": "int64"})
case("full_bool", "full", lambda: torch.full((2, 2), True), {"shape": [2, 2], "value": True, "dtype": "bool"})
case("full_float64_third", "full", lambda: torch.full((3,), 1 / 3, dtype=torch.float64),
     {"shape": [3], "value": 1 / 3, "dtype": "float64"})
case("full_0d", "full", lambda: torch.full((), -2.0), {"shape": [], "value": -2.0})
case("zeros_empty", "zeros", lambda: torch.zeros(2, 0), {"shape": [2, 0]})
case("zeros_int32", "zeros", lambda: torch.zeros(3, dtype=torch.int32), {"shape": [3], "dtype": "int32"})
case("ones_float64", "ones", lambda: torch.ones(2, 2, dtype=torch.float64), {"shape": [2, 2], "dtype": "float64"})
g.write()
