"""Shared by the ember.nn tests: golden-file access and tensor comparison without numpy or torch."""
import json
import os

import ember
from ember.serialization import load

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def golden(name):
    return load(os.path.join(GOLDEN, name + ".safetensors"))


def golden_json(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return json.load(f)


def assert_close(actual, expected, atol=1e-5, rtol=1e-4, what=""):
    assert isinstance(actual, ember.Tensor), f"{what}: got {type(actual).__name__}"
    assert tuple(actual.shape) == tuple(expected.shape), f"{what}: shape {actual.shape} != {expected.shape}"
    a, e = actual.detach().to(ember.float64), expected.detach().to(ember.float64)
    bad = abs(a - e) > (abs(e) * rtol + atol)
    n_bad = ember.sum(bad.to(ember.float64)).item()
    assert n_bad == 0, f"{what}: {int(n_bad)} of {e.numel()} elements differ; max |diff| sum {ember.sum(abs(a - e)).item()}"


def assert_equal(actual, expected, what=""):
    assert_close(actual, expected, 0.0, 0.0, what)
