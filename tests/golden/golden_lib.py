"""Shared helpers for the golden-file generators (run with Debian's /usr/bin/python3 + python3-torch).

Each case records the op name, its kwargs, its inputs, PyTorch's output, an upstream gradient and
PyTorch's input gradients. The C++ side (tests/golden_harness.cpp) replays every case through the
op registry, with contiguous and with non-contiguous inputs, and also runs finite differences.
"""
import json
import math
import os

import torch


def _tensor_json(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.flatten().tolist()]
    elif t.dtype in (torch.int32, torch.int64):
        data = [int(v) for v in t.flatten().tolist()]
    else:
        # JSON has no inf/nan: those travel as the strings "inf", "-inf" and "nan".
        data = [float(v) if math.isfinite(v) else str(v) for v in t.double().flatten().tolist()]
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


class Golden:
    def __init__(self, family, seed=0):
        self.family = family
        self.cases = []
        torch.manual_seed(seed)

    def case(self, name, op, fn, inputs, kwargs=None, grad=True, rtol=1e-5, atol=1e-6, gradcheck=True,
             noncontig=True):
        """fn(*inputs) -> tensor, computed in PyTorch. Float inputs get gradients when grad=True."""
        inputs = [x.clone() for x in inputs]
        for x in inputs:
            if grad and x.is_floating_point():
                x.requires_grad_(True)
        out = fn(*inputs)
        entry = {"name": name, "op": op, "kwargs": kwargs or {}, "rtol": rtol, "atol": atol,
                 "inputs": [dict(_tensor_json(x), requires_grad=bool(x.requires_grad)) for x in inputs],
                 "output": _tensor_json(out), "gradcheck": bool(gradcheck and grad),
                 "noncontig": bool(noncontig)}
        if grad and out.requires_grad:
            g = torch.randn(out.shape, dtype=out.dtype)
            grads = torch.autograd.grad(out, [x for x in inputs if x.requires_grad], g, allow_unused=True)
            it = iter(grads)
            entry["grad_output"] = _tensor_json(g)
            entry["grads"] = []
            for x in inputs:
                if x.requires_grad:
                    gx = next(it)
                    entry["grads"].append(_tensor_json(gx if gx is not None else torch.zeros_like(x)))
                else:
                    entry["grads"].append(None)
        self.cases.append(entry)

    def write(self):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{self.family}.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"family": self.family, "torch": torch.__version__, "cases": self.cases}, f)
        os.replace(path + ".tmp", path)
        print(f"wrote {len(self.cases)} cases to {path}")
