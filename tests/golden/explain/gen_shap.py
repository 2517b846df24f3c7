"""Shapley values of a small MLP (10 features), for tests/test_explain_shapley.cpp.

Run: /opt/torch/bin/python tests/golden/explain/gen_shap.py   (torch, shap, numpy)
Writes shap.json next to this file: the weights, inputs, targets and baseline; the exact Shapley
values by enumerating all 1024 coalitions here; shap.KernelExplainer's values with its default
budget (which enumerates every coalition for 10 features); and, with 200 samples, the mean and
standard deviation of KernelExplainer's values over 30 seeds (its sampling noise).
"""
import itertools
import json
import math
import os

import numpy as np
import shap
import torch
from torch import nn

F = 10


def tj(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.flatten().tolist()}


def main():
    torch.manual_seed(18)
    model = nn.Sequential(nn.Linear(F, 16), nn.Tanh(), nn.Linear(16, 3)).eval()
    x = torch.randn(3, F)
    baseline = torch.randn(1, F) * 0.5
    targets = [0, 1, 2]

    def f(a):  # numpy (n, F) -> (n, 3)
        with torch.no_grad():
            return model(torch.as_tensor(a, dtype=torch.float32)).double().numpy()

    # Exact: phi_i = sum_S |S|! (F - |S| - 1)! / F! (v(S + i) - v(S)).
    coalitions = np.array(list(itertools.product([0, 1], repeat=F)), dtype=np.float64)  # (1024, F)
    exact = np.zeros((3, F))
    for e, t in enumerate(targets):
        rows = baseline.numpy() + coalitions * (x[e].numpy() - baseline.numpy())
        v = dict(zip(map(tuple, coalitions.astype(int)), f(rows)[:, t]))
        for i in range(F):
            for c, val in v.items():
                if c[i]:
                    continue
                s = sum(c)
                w = math.factorial(s) * math.factorial(F - s - 1) / math.factorial(F)
                with_i = c[:i] + (1,) + c[i + 1:]
                exact[e, i] += w * (v[with_i] - val)

    def kernel(nsamples, seed):
        np.random.seed(seed)
        ex = shap.KernelExplainer(f, baseline.numpy())
        sv = ex.shap_values(x.numpy(), nsamples=nsamples, l1_reg=0, silent=True)
        sv = np.asarray(sv)
        if sv.shape == (3, F, 3):  # (N, F, outputs), shap >= 0.45
            return np.stack([sv[e, :, t] for e, t in enumerate(targets)])
        raise RuntimeError(f"unexpected shap_values shape {sv.shape}")

    full = kernel("auto", 0)
    runs = np.stack([kernel(200, s) for s in range(30)])  # (30, 3, F)
    print("shap default budget vs exact:", np.abs(full - exact).max())
    print("shap 200 samples: mean |error| vs exact", np.abs(runs - exact).mean(), "std", runs.std(0).mean())

    out = {"shap": shap.__version__, "weights": {k: tj(v.detach()) for k, v in model.state_dict().items()},
           "inputs": tj(x), "baseline": tj(baseline), "targets": targets, "exact": tj(exact),
           "shap_full_budget": tj(full), "shap_200_mean": tj(runs.mean(0)), "shap_200_std": tj(runs.std(0)),
           "shap_200_rms_error": float(np.sqrt(((runs - exact) ** 2).mean()))}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shap.json")
    with open(path + ".tmp", "w") as fh:
        json.dump(out, fh)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
