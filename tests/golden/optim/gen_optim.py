"""Golden trajectories for Ember's optimizers, LR schedulers, gradient clipping and L1 penalty.

Regenerate: /usr/bin/python3 tests/golden/optim/gen_optim.py   (PyTorch 1.13)
Writes tests/golden/optim/optim.json (a subfolder, so the op-case harness does not load it);
tests/test_optim.cpp and tests/test_scheduler.cpp replay every case.

Optimizer cases: fixed small parameters; at step s parameter i gets the gradient of a quadratic
loss, g = k * p + noise[s][i] (so the trajectory feeds back into the gradients), except where a
case lists (step, param) pairs whose gradient is None (PyTorch then skips that parameter). The
parameters after every step are recorded.
"""
import json
import os

import torch

torch.manual_seed(0)
STEPS = 5
K = 0.5


def tj(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().double().flatten().tolist()]}


def torch_opts(opts):
    """Ember option names -> torch keyword arguments."""
    o = dict(opts)
    if "beta1" in o:
        o["betas"] = (o.pop("beta1"), o.pop("beta2"))
    return o


OPT = {"GD": torch.optim.SGD, "SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW,
       "RMSprop": torch.optim.RMSprop, "Adagrad": torch.optim.Adagrad}


def optimizer_case(name, opt, options, groups=None, dtype=torch.float32, skip=()):
    params = [torch.randn(3, 4, dtype=dtype), torch.randn(4, dtype=dtype)]
    noise = [[torch.randn(p.shape, dtype=dtype) for p in params] for _ in range(STEPS)]
    ps = [p.clone().requires_grad_(True) for p in params]
    if groups is None:
        o = OPT[opt](ps, **torch_opts(options))
    else:
        o = OPT[opt]([dict(params=[ps[i] for i in g["params"]], **torch_opts(g.get("options", {}))) for g in groups],
                     **torch_opts(options))
    expected = []
    for s in range(STEPS):
        for i, p in enumerate(ps):
            if (s, i) in skip:
                p.grad = None
            else:
                with torch.no_grad():
                    p.grad = p.detach() * K + noise[s][i]
        o.step()
        expected.append([tj(p) for p in ps])
    return {"name": name, "optimizer": opt, "options": options, "groups": groups, "dtype": str(dtype)[6:], "k": K,
            "params": [tj(p) for p in params], "noise": [[tj(n) for n in step] for step in noise],
            "skip": [list(x) for x in skip], "expected": expected}


opt_cases = [
    optimizer_case("gd", "GD", {"lr": 0.1}),
    optimizer_case("sgd_plain", "SGD", {"lr": 0.1}),
    optimizer_case("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, skip=[(2, 1)]),
    optimizer_case("sgd_momentum_dampening_wd", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3,
                                                        "weight_decay": 0.01}),
    optimizer_case("sgd_nesterov_wd", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    optimizer_case("sgd_maximize", "SGD", {"lr": 0.02, "momentum": 0.5, "maximize": True}),
    optimizer_case("sgd_float64", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, dtype=torch.float64),
    optimizer_case("sgd_two_groups", "SGD", {"lr": 0.1, "momentum": 0.9},
                   groups=[{"params": [0]}, {"params": [1], "options": {"lr": 0.01, "nesterov": True}}]),
    optimizer_case("adam", "Adam", {"lr": 0.01}, skip=[(1, 0)]),
    optimizer_case("adam_amsgrad_wd", "Adam", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                                               "weight_decay": 0.1, "amsgrad": True}),
    optimizer_case("adam_maximize", "Adam", {"lr": 0.01, "maximize": True}),
    optimizer_case("adam_float64", "Adam", {"lr": 0.01, "amsgrad": True}, dtype=torch.float64),
    optimizer_case("adamw", "AdamW", {"lr": 0.01}),
    optimizer_case("adamw_amsgrad", "AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    optimizer_case("adamw_two_groups", "AdamW", {"lr": 0.01},
                   groups=[{"params": [0], "options": {"weight_decay": 0.0}}, {"params": [1]}]),
    optimizer_case("rmsprop", "RMSprop", {"lr": 0.01}),
    optimizer_case("rmsprop_centered_momentum_wd", "RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True,
                                                               "momentum": 0.9, "weight_decay": 0.01}),
    optimizer_case("rmsprop_momentum", "RMSprop", {"lr": 0.005, "momentum": 0.5, "eps": 1e-6}, skip=[(3, 1)]),
    optimizer_case("rmsprop_float64_centered", "RMSprop", {"lr": 0.01, "centered": True}, dtype=torch.float64),
    optimizer_case("adagrad", "Adagrad", {"lr": 0.1}),
    optimizer_case("adagrad_decay_init_wd", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                                                        "weight_decay": 0.05, "eps": 1e-8}, skip=[(0, 1)]),
]


# ---- LR schedulers: lrs of two param groups after construction and after each of N steps ----

def scheduler_case(name, makers, steps, metrics=None, lrs=(0.1, 0.05)):
    """makers: list of (kind, kwargs); several schedulers on one optimizer are stepped in order."""
    ps = [torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)]
    o = torch.optim.SGD([{"params": [ps[0]], "lr": lrs[0]}, {"params": [ps[1]], "lr": lrs[1]}], lr=lrs[0])
    scheds = []
    for kind, kw in makers:
        if kind == "ReduceLROnPlateau":
            scheds.append(torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kw))
        else:
            scheds.append(getattr(torch.optim.lr_scheduler, kind)(o, **kw))
    out = [[g["lr"] for g in o.param_groups]]
    for s in range(steps):
        o.step()
        for sc in scheds:
            if isinstance(sc, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sc.step(metrics[s])
            else:
                sc.step()
        out.append([g["lr"] for g in o.param_groups])
    return {"name": name, "schedulers": [{"kind": k, "args": a} for k, a in makers], "group_lrs": list(lrs),
            "metrics": metrics, "lrs": out}


plateau_metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.905, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.7, 0.75, 0.76, 0.77]
sched_cases = [
    scheduler_case("step", [("StepLR", {"step_size": 3, "gamma": 0.5})], 12),
    scheduler_case("multistep_repeated", [("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.1})], 12),
    scheduler_case("exponential", [("ExponentialLR", {"gamma": 0.9})], 10),
    scheduler_case("linear_warmup", [("LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 4})], 8),
    scheduler_case("linear_decay", [("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 5})], 8),
    scheduler_case("cosine", [("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001})], 16),
    scheduler_case("cosine_zero_min", [("CosineAnnealingLR", {"T_max": 3})], 9),
    scheduler_case("warmup_then_exponential", [("LinearLR", {"start_factor": 0.1, "total_iters": 3}),
                                               ("ExponentialLR", {"gamma": 0.95})], 8),
    scheduler_case("plateau_min_rel", [("ReduceLROnPlateau", {"mode": "min", "factor": 0.5, "patience": 2,
                                                              "cooldown": 1, "min_lr": 0.01})], 16, plateau_metrics),
    scheduler_case("plateau_max_abs", [("ReduceLROnPlateau", {"mode": "max", "factor": 0.1, "patience": 1,
                                                              "threshold": 0.05, "threshold_mode": "abs",
                                                              "min_lr": [0.001, 0.0]})], 16,
                   [-m for m in plateau_metrics]),
]


# ---- gradient clipping ----

def clip_case(name, max_norm, norm_type, scale=1.0):
    grads = [torch.randn(3, 4) * scale, torch.randn(5) * scale]
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
    return {"name": name, "max_norm": max_norm, "norm_type": norm_type if norm_type != float("inf") else "inf",
            "grads": [tj(g) for g in grads], "total_norm": float(total), "clipped": [tj(p.grad) for p in ps]}


clip_cases = [clip_case("l2_clipped", 1.0, 2.0), clip_case("l2_not_clipped", 100.0, 2.0),
              clip_case("inf", 0.5, float("inf")), clip_case("l1", 2.0, 1.0), clip_case("l3", 0.7, 3.0, 2.0)]

grads = [torch.randn(3, 4) * 2, torch.randn(5) * 2]
ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
for p, g in zip(ps, grads):
    p.grad = g.clone()
torch.nn.utils.clip_grad_value_(ps, 0.8)
clip_value = {"clip_value": 0.8, "grads": [tj(g) for g in grads], "clipped": [tj(p.grad) for p in ps]}

# ---- L1 penalty: value and gradient (including an exact zero, whose gradient is 0) ----
w = torch.randn(3, 4)
w[0, 0] = 0.0
b = torch.randn(5)
w.requires_grad_(True)
b.requires_grad_(True)
pen = 0.01 * (w.abs().sum() + b.abs().sum())
pen.backward()
l1 = {"lambda": 0.01, "params": [tj(w), tj(b)], "value": float(pen), "grads": [tj(w.grad), tj(b.grad)]}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
with open(path + ".tmp", "w") as f:
    json.dump({"torch": torch.__version__, "optimizers": opt_cases, "schedulers": sched_cases, "clip": clip_cases,
               "clip_value": clip_value, "l1": l1}, f)
os.replace(path + ".tmp", path)
print(f"wrote {len(opt_cases)} optimizer, {len(sched_cases)} scheduler and {len(clip_cases)} clipping cases to {path}")
