"""Captum's attributions on a tiny CNN, for tests/test_explain_golden.cpp.

Run with a Python that has torch and captum (here /opt/torch/bin/python):
    /opt/torch/bin/python tests/golden/explain/gen_captum.py
Writes captum.json next to this file: the model's weights (PyTorch's state_dict names), the inputs,
targets and baselines, and each method's attributions (and IG's convergence deltas).
"""
import json
import os

import captum
import torch
from captum.attr import IntegratedGradients, InputXGradient, NoiseTunnel, Occlusion, Saliency
from torch import nn


class TinyCNN(nn.Module):
    """(N, 1, 8, 8) -> (N, 3) logits; the C++ test builds the same layers."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)   # -> (N, 4, 6, 6)
        self.fc1 = nn.Linear(36, 10)     # after a 2x2 max pool: (N, 36)
        self.fc2 = nn.Linear(10, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        h = torch.max_pool2d(h, 2).flatten(1)
        return self.fc2(torch.tanh(self.fc1(h)))


def tj(t):
    t = t.detach().double()
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


def main():
    torch.manual_seed(18)
    model = TinyCNN().eval()
    x = torch.randn(4, 1, 8, 8)
    targets = [0, 1, 2, 1]
    tt = torch.tensor(targets)
    shifted = torch.full((1, 8, 8), -0.5)  # a non-zero baseline, broadcast over the batch

    out = {"captum": captum.__version__, "torch": torch.__version__,
           "weights": {k: tj(v) for k, v in model.state_dict().items()},
           "inputs": tj(x), "targets": targets, "logits": tj(model(x)), "cases": []}

    def case(name, attr, **extra):
        out["cases"].append(dict(name=name, attributions=tj(attr), **extra))

    case("saliency_abs", Saliency(model).attribute(x, target=tt), method="saliency", abs=True)
    case("saliency_signed", Saliency(model).attribute(x, target=tt, abs=False), method="saliency", abs=False)
    case("input_x_gradient", InputXGradient(model).attribute(x, target=tt), method="input_x_gradient")
    ig = IntegratedGradients(model)
    for method, baseline in (("gausslegendre", None), ("riemann_trapezoid", shifted)):
        kwargs = {} if baseline is None else {"baselines": baseline.unsqueeze(0).expand_as(x)}
        attr, delta = ig.attribute(x, target=tt, n_steps=50, method=method, return_convergence_delta=True, **kwargs)
        case(f"ig_{method}", attr, method="integrated_gradients", integration=method, steps=50,
             baseline=None if baseline is None else tj(baseline), delta=tj(delta))
    occ = Occlusion(model)
    for window, strides, base in (((1, 3, 3), (1, 2, 2), 0.0), ((1, 2, 2), 1, -0.5)):
        attr = occ.attribute(x, sliding_window_shapes=window, strides=strides, target=tt, baselines=base)
        s = list(strides) if isinstance(strides, tuple) else [strides] * 3
        case(f"occlusion_{'x'.join(map(str, window))}_s{''.join(map(str, s))}", attr, method="occlusion",
             window=list(window), strides=s, baseline_value=base)
    # SmoothGrad: Ember's noise differs from torch's, so only the mean over many samples is
    # comparable; recorded for a loose check.
    torch.manual_seed(0)
    sg = NoiseTunnel(Saliency(model)).attribute(x, target=tt, nt_type="smoothgrad", nt_samples=2000, stdevs=0.3)
    case("smoothgrad_2000", sg, method="smoothgrad", samples=2000, stdev=0.3)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "captum.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: {len(out['cases'])} cases")


if __name__ == "__main__":
    main()
