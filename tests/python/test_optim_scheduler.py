"""ember.optim.lr_scheduler: the C++ schedules against the PyTorch 1.13 golden lrs (with a C++
optimizer and with a pure-Python one), the Python schedules against values PyTorch 2 printed."""
import json
import pathlib

import pytest

import ember
import ember.optim as optim
from ember.optim import lr_scheduler as L

GOLDEN = json.loads((pathlib.Path(__file__).parents[1] / "golden" / "optim" / "optim.json").read_text())


class PlainSGD(optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        pass


def two_groups(lrs, python):
    ps = [ember.zeros(2, requires_grad=True), ember.zeros(2, requires_grad=True)]
    groups = [{"params": [ps[0]], "lr": lrs[0]}, {"params": [ps[1]], "lr": lrs[1]}]
    return PlainSGD(groups, lr=lrs[0]) if python else optim.SGD(groups, lr=lrs[0])


@pytest.mark.parametrize("python", [False, True], ids=["cpp_optimizer", "python_optimizer"])
@pytest.mark.parametrize("case", GOLDEN["schedulers"], ids=lambda c: c["name"])
def test_matches_pytorch(case, python):
    opt = two_groups(case["group_lrs"], python)
    scheds = [getattr(L, s["kind"])(opt, **s["args"]) for s in case["schedulers"]]
    got = [[g["lr"] for g in opt.param_groups]]
    for s in range(len(case["lrs"]) - 1):
        opt.step()
        for sc in scheds:
            if isinstance(sc, L.ReduceLROnPlateau):
                sc.step(case["metrics"][s])
            else:
                sc.step()
        got.append([g["lr"] for g in opt.param_groups])
    for step, (g, w) in enumerate(zip(got, case["lrs"])):
        assert g == pytest.approx(w, rel=1e-12, abs=1e-15), step
    assert scheds[-1].get_last_lr() == pytest.approx(got[-1])


def sgd(lr=0.1, momentum=0.9):
    return optim.SGD([ember.zeros(1, requires_grad=True)], lr=lr, momentum=momentum)


def trace(opt, sched, n):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


# values printed by PyTorch 2 for the same programs
def test_one_cycle():
    opt = sgd()
    assert trace(opt, L.OneCycleLR(opt, 1.0, total_steps=10), 9) == pytest.approx(
        [0.04, 0.52, 1.0, 0.950484632013, 0.81174565395, 0.611262021936, 0.388741978064, 0.18825834605,
         0.049519367987, 4e-06], abs=1e-11)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    opt = optim.Adam([ember.zeros(1, requires_grad=True)], lr=0.1)
    s = L.OneCycleLR(opt, 0.5, total_steps=8, three_phase=True, anneal_strategy="linear")
    assert trace(opt, s, 7) == pytest.approx([0.02, 0.362857142857, 0.294285714286, 0.019047714286, 0.014286285714,
                                              0.009524857143, 0.004763428571, 2e-06], abs=1e-11)
    assert opt.param_groups[0]["betas"] == pytest.approx((0.95, 0.999))
    with pytest.raises(ValueError, match="total_steps"):
        L.OneCycleLR(opt, 1.0)


def test_sequential_with_cpp_and_python_schedules():
    opt = sgd()
    s = L.SequentialLR(opt, [L.LinearLR(opt, 0.1, total_iters=3), L.ExponentialLR(opt, 0.9)], [3])
    assert trace(opt, s, 7) == pytest.approx([0.01, 0.04, 0.07, 0.1, 0.09, 0.081, 0.0729, 0.06561])
    opt = sgd()
    s = L.SequentialLR(opt, [L.ConstantLR(opt, 0.5, total_iters=2), L.StepLR(opt, 2, 0.5)], [4])
    assert trace(opt, s, 9) == pytest.approx([0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_python_schedules():
    opt = sgd()
    assert trace(opt, L.CosineAnnealingWarmRestarts(opt, 3, 2, 0.01), 10) == pytest.approx(
        [0.1, 0.0775, 0.0325, 0.1, 0.09397114317, 0.0775, 0.055, 0.0325, 0.01602885683, 0.1, 0.098466662183])
    opt = sgd()
    assert trace(opt, L.PolynomialLR(opt, 4, 2.0), 6) == pytest.approx([0.1, 0.05625, 0.025, 0.00625, 0, 0, 0])
    opt = sgd()
    assert trace(opt, L.MultiplicativeLR(opt, lambda e: 0.5), 3) == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    opt = sgd()
    assert trace(opt, L.LambdaLR(opt, lambda e: 1.0 / (e + 1)), 3) == pytest.approx([0.1, 0.05, 0.1 / 3, 0.025])


def test_state_dict_round_trip():
    opt = sgd()
    s = L.MultiStepLR(opt, [2, 4], gamma=0.5)
    trace(opt, s, 3)
    sd = s.state_dict()
    assert sd["milestones"] == [2, 4] and sd["last_epoch"] == 3 and sd["gamma"] == 0.5
    opt2 = sgd()
    opt2.load_state_dict(opt.state_dict())  # lrs and initial_lr live in the optimizer's state
    s2 = L.MultiStepLR(opt2, [7], gamma=0.1, last_epoch=3)
    s2.load_state_dict(sd)
    assert trace(opt2, s2, 3) == trace(opt, s, 3)
    p = L.ReduceLROnPlateau(sgd(), mode="max", patience=0)
    p.step(1.0)
    p.step(0.5)
    sd = p.state_dict()
    assert sd["mode"] == "max" and sd["best"] == 1.0
    q = L.ReduceLROnPlateau(sgd())
    q.load_state_dict(sd)
    assert q.state_dict() == sd


def test_bad_arguments():
    opt = sgd()
    with pytest.raises(TypeError):
        L.StepLR("not an optimizer", 3)
    with pytest.raises(TypeError, match="'step_size'"):
        L.StepLR(opt, 2.5)
    with pytest.raises(ValueError, match="step_size"):
        L.StepLR(opt, 0)
    with pytest.raises(ValueError, match="mode"):
        L.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(KeyError, match="initial_lr"):
        L.LambdaLR(sgd(), lambda e: 1.0, last_epoch=3)
