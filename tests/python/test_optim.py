"""ember.optim against the PyTorch 1.13 golden trajectories in tests/golden/optim/optim.json (the
ones the C++ tests replay), plus param groups, state dicts and a pure-Python optimizer."""
import json
import math
import pathlib

import pytest

import ember
import ember.optim as optim

GOLDEN = json.loads((pathlib.Path(__file__).parents[1] / "golden" / "optim" / "optim.json").read_text())
KINDS = {"SGD": optim.SGD, "GD": optim.SGD, "Adam": optim.Adam, "AdamW": optim.AdamW, "RMSprop": optim.RMSprop,
         "Adagrad": optim.Adagrad}


def values(t):
    flat = t.reshape(-1)
    return [flat.select(0, i).item() for i in range(flat.numel())]


def golden_tensor(j, dtype):
    return ember.tensor(j["data"], dtype=dtype).reshape(j["shape"])


def torch_kwargs(o):
    o = dict(o)
    if "beta1" in o:
        o["betas"] = (o.pop("beta1"), o.pop("beta2"))
    return o


def build(case, params):
    kw = torch_kwargs(case["options"])
    if case["groups"] is None:
        return KINDS[case["optimizer"]](params, **kw)
    groups = [dict(params=[params[i] for i in g["params"]], **torch_kwargs(g.get("options", {})))
              for g in case["groups"]]
    return KINDS[case["optimizer"]](groups, **kw)


def set_grads(case, params, s, dtype):
    for i, p in enumerate(params):
        if [s, i] in case["skip"]:
            p.grad = None
        else:
            p.grad = p.detach() * case["k"] + golden_tensor(case["noise"][s][i], dtype)


def make_params(case, dtype):
    return [golden_tensor(p, dtype).requires_grad_() for p in case["params"]]


@pytest.mark.parametrize("case", GOLDEN["optimizers"], ids=lambda c: c["name"])
def test_matches_pytorch(case):
    dtype = ember.float64 if case["dtype"] == "float64" else ember.float32
    tol = 1e-12 if dtype == ember.float64 else 2e-6
    params = make_params(case, dtype)
    opt = build(case, params)
    for s, expected in enumerate(case["expected"]):
        set_grads(case, params, s, dtype)
        opt.step()
        for p, e in zip(params, expected):
            for g, w in zip(values(p), e["data"]):
                assert abs(g - w) <= tol * (1 + abs(w)), (case["name"], s, g, w)


def test_state_dict_resumes_bit_exactly():
    case = next(c for c in GOLDEN["optimizers"] if c["name"] == "adam_amsgrad_wd")
    a = make_params(case, ember.float32)
    opt = build(case, a)
    for s in range(2):
        set_grads(case, a, s, ember.float32)
        opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["betas"] == (0.8, 0.99) and sd["param_groups"][0]["amsgrad"] is True
    assert sorted(sd["state"]) == [0, 1] and set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    b = [p.detach().clone().requires_grad_() for p in a]
    opt2 = optim.Adam(b, lr=0.5)  # every option comes from the state dict
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.02
    for s in range(2, 5):
        set_grads(case, a, s, ember.float32)
        set_grads(case, b, s, ember.float32)
        opt.step()
        opt2.step()
    for p, q in zip(a, b):
        assert values(p) == values(q)
    # the snapshot was a copy: later steps did not change it
    assert values(sd["state"][0]["step"]) == [2.0]


def test_param_group_writes_reach_the_step():
    p = ember.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    g = opt.param_groups[0]
    g["lr"] = 1.0
    p.grad = ember.ones(2)
    opt.step()
    assert values(p) == [0.0, 0.0]
    assert g["lr"] == 1.0 and g["params"][0] is p and g["nesterov"] is False
    g["custom"] = "kept"
    assert opt.state_dict()["param_groups"][0]["custom"] == "kept"
    assert set(dict(g)) >= {"params", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"}


def test_param_groups_per_group_options_and_add_param_group():
    a, b, c = (ember.ones(1, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "betas": (0.5, 0.9)}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["betas"] == (0.5, 0.9) and opt.param_groups[0]["betas"] == (0.9, 0.999)
    opt.add_param_group({"params": [c], "weight_decay": 0.1})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["lr"] == 0.1
    assert opt.param_groups[2]["weight_decay"] == 0.1
    with pytest.raises(ValueError):
        opt.add_param_group({"params": [a]})  # already optimized


def test_zero_grad_and_closure():
    p = ember.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    calls = []

    def closure():
        opt.zero_grad()
        loss = ember.sum(p * p)
        loss.backward()
        calls.append(ember.is_grad_enabled())
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 2.0
    assert values(p) == pytest.approx([0.8, 0.8])
    opt.zero_grad(set_to_none=False)
    assert values(p.grad) == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    assert isinstance(opt, optim.Optimizer)
    assert p in opt.state and "momentum_buffer" in opt.state[p]


class PlainSGD(optim.Optimizer):
    def __init__(self, params, lr=0.1):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, dict(lr=lr))

    @ember.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                state["n"] = state.get("n", 0) + 1
                p.sub_(p.grad, alpha=group["lr"])


def test_python_optimizer_subclass():
    p = ember.ones(2, requires_grad=True)
    opt = PlainSGD([p], lr=0.5)
    p.grad = ember.ones(2)
    opt.step()
    assert values(p) == [0.5, 0.5]
    sd = opt.state_dict()
    assert sd == {"state": {0: {"n": 1}}, "param_groups": [{"lr": 0.5, "params": [0]}]}
    q = ember.ones(2, requires_grad=True)
    opt2 = PlainSGD([q])
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.5 and opt2.state[q] == {"n": 1}
    opt.zero_grad()
    assert p.grad is None
    assert "PlainSGD (" in repr(opt)


def test_bad_arguments():
    p = ember.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="'lr'"):
        optim.Adam([p], lr="fast")
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([p, 3], lr=0.1)
    with pytest.raises(ValueError, match="lr") as e:
        optim.SGD([p], lr=-1.0)
    assert isinstance(e.value, ember.Error)  # the C++ message, as both
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta1"):
        optim.Adam([p], betas=(1.5, 0.9))
    with pytest.raises(TypeError, match="'betas'"):
        optim.Adam([p], betas=0.9)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(TypeError):
        opt.load_state_dict([1, 2])


def test_defaults_match_pytorch():
    p = ember.ones(1, requires_grad=True)
    assert optim.SGD([p]).param_groups[0]["lr"] == 1e-3
    g = optim.AdamW([p]).param_groups[0]
    assert (g["lr"], g["betas"], g["eps"], g["weight_decay"], g["amsgrad"]) == (1e-3, (0.9, 0.999), 1e-8, 1e-2, False)
    g = optim.RMSprop([p]).param_groups[0]
    assert (g["lr"], g["alpha"], g["eps"], g["centered"]) == (1e-2, 0.99, 1e-8, False)
    g = optim.Adagrad([p]).param_groups[0]
    assert (g["lr"], g["eps"], g["initial_accumulator_value"]) == (1e-2, 1e-10, 0.0)


def test_clip_grad_norm():
    p = ember.zeros(2, requires_grad=True)
    p.grad = ember.tensor([3.0, 4.0])
    total = optim.clip_grad_norm_([p], 1.0)
    assert total == pytest.approx(5.0)
    assert values(p.grad) == pytest.approx([0.6, 0.8], rel=1e-5)
    assert math.isfinite(total)
