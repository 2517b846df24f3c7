"""Shared helpers for the Python tests: the golden files of tests/golden (PyTorch's values and
gradients, recorded by tests/golden/gen_*.py) and tensor comparison."""
import json
import math
import os
import pathlib

import numpy as np
import pytest

import ember

GOLDEN_DIR = pathlib.Path(__file__).resolve().parents[1] / "golden"
REPO = pathlib.Path(__file__).resolve().parents[2]


def data_root(sub, name):
    """$EMBER_DATA, else ../shared/data beside the checkout; skips when `sub` is absent."""
    root = os.environ.get("EMBER_DATA") or str(REPO.parent / "shared" / "data")
    if not os.path.isdir(os.path.join(root, sub)):
        pytest.skip(f"{name} not found under {root} (set EMBER_DATA to a folder holding {sub}/)")
    return root

DTYPES = {"float32": ember.float32, "float64": ember.float64, "float16": ember.float16,
          "bfloat16": ember.bfloat16, "int32": ember.int32, "int64": ember.int64, "bool": ember.bool}


def load_golden(family):
    """The cases of tests/golden/<family>.json."""
    with open(GOLDEN_DIR / f"{family}.json") as f:
        return json.load(f)["cases"]


def _values(spec):
    # JSON has no inf/nan: the generators write them as strings.
    return [float(v) if isinstance(v, str) else v for v in spec["data"]]


def to_ember(spec, requires_grad=None):
    """An ember tensor from a golden {shape, dtype, data} entry."""
    dt = DTYPES[spec["dtype"]]
    t = ember.tensor(_values(spec), dtype=dt).reshape(tuple(spec["shape"]))
    rg = spec.get("requires_grad", False) if requires_grad is None else requires_grad
    return t.requires_grad_(True) if rg else t


def to_numpy(t):
    t = t.detach()
    if t.dtype in (ember.bfloat16, ember.float16):
        t = t.float()
    return np.array(t.numpy())


def assert_close(actual, spec, rtol=1e-5, atol=1e-6, what="output"):
    """actual (an ember tensor) equals the golden entry: shape, dtype and values."""
    assert isinstance(actual, ember.Tensor), f"{what}: expected a Tensor, got {type(actual).__name__}"
    assert list(actual.shape) == spec["shape"], f"{what}: shape {list(actual.shape)} != {spec['shape']}"
    assert actual.dtype == DTYPES[spec["dtype"]], f"{what}: dtype {actual.dtype} != {spec['dtype']}"
    expected = np.array(_values(spec), dtype=np.float64).reshape(spec["shape"])
    got = to_numpy(actual).astype(np.float64)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def numeric_grad(f, x, eps=1e-6):
    """Central differences of the scalar f(x) for a float64 numpy array x."""
    g = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += eps
        xm.flat[i] -= eps
        g.flat[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def is_finite_spec(spec):
    return all(not isinstance(v, str) or not (math.isinf(float(v)) or math.isnan(float(v))) for v in spec["data"])
