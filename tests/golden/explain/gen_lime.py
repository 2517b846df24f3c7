"""LIME on a small MLP (10 features), for tests/test_explain_lime.cpp.

Run: /opt/torch/bin/python tests/golden/explain/gen_lime.py   (torch, lime, scikit-learn, numpy)
Writes lime.json next to this file: the weights, 20 inputs with their targets, and per input the
on/off patterns (300 x 10, row 0 all on), with the `lime` package's fit on exactly those patterns:
LimeBase.explain_instance_with_data with lime image's kernel (sqrt(exp(-d^2 / 0.25^2)) on the
cosine distance to the all-on pattern), feature_selection='none' and its default Ridge(alpha=1).
Switched-off features take 0 (lime's hide_color).
"""
import json
import os

import numpy as np
import sklearn.metrics
import torch
from lime.lime_base import LimeBase
from torch import nn

F, N, P, WIDTH = 10, 20, 300, 0.25


def tj(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.flatten().tolist()}


def main():
    torch.manual_seed(19)
    model = nn.Sequential(nn.Linear(F, 16), nn.Tanh(), nn.Linear(16, 3)).eval()
    x = torch.randn(N, F)
    targets = [i % 3 for i in range(N)]
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d ** 2) / WIDTH ** 2)), verbose=False)
    cases = []
    for e in range(N):
        rng = np.random.RandomState(e)
        z = rng.randint(0, 2, (P, F))
        z[0, :] = 1
        with torch.no_grad():
            preds = model(torch.as_tensor(z, dtype=torch.float32) * x[e]).double().numpy()  # (P, 3)
        d = sklearn.metrics.pairwise_distances(z, z[0].reshape(1, -1), metric="cosine").ravel()
        intercept, exp, score, _ = base.explain_instance_with_data(z, preds, d, targets[e], F,
                                                                    feature_selection="none")
        coef = np.zeros(F)
        for i, c in exp:
            coef[i] = c
        cases.append({"z": {"shape": [P, F], "data": z.flatten().tolist()}, "coef": tj(coef), "intercept": float(intercept), "score": float(score)})
    out = {
        "weights": {k: tj(v.detach().numpy()) for k, v in model.state_dict().items()},
        "inputs": tj(x.numpy()), "targets": targets, "kernel_width": WIDTH, "cases": cases,
    }
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lime.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
