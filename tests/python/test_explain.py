"""ember.explain from Python: each method on a linear model, where every attribution has a closed
form (saliency |W_t|, the others x * W_t), on a small CNN (integrated gradients' completeness),
and its errors. The C++ tests hold the same methods to Captum's numbers (tests/golden/explain)."""
import pytest

import ember
import ember.nn as nn


def close(a, b, tol=1e-5):
    return (a - b).abs().max().item() <= tol * max(1.0, b.abs().max().item())


@pytest.fixture
def linear():
    ember.manual_seed(0)
    lin = nn.Linear(6, 3)
    x = ember.randn(4, 6)
    return lin, x


def test_linear_closed_forms(linear):
    lin, x = linear
    t = [0, 2, 1, 2]
    w = lin.weight.detach().index_select(0, ember.tensor(t))  # (4, 6): W_t per example
    assert close(ember.explain.saliency(lin, x, target=t), w.abs())
    assert close(ember.explain.saliency(lin, x, target=t, abs=False), w)
    assert close(ember.explain.input_x_gradient(lin, x, target=t), x * w)
    attr, delta = ember.explain.integrated_gradients(lin, x, target=t, return_convergence_delta=True)
    assert close(attr, x * w) and delta.abs().max().item() < 1e-4
    assert close(ember.explain.occlusion(lin, x, target=t, sliding_window_shapes=(1,)), x * w)
    assert close(ember.explain.shapley_values(lin, x, target=t), x * w)
    assert close(ember.explain.kernel_shap(lin, x, target=t), x * w, 1e-4)
    attr, coef, _, score = ember.explain.lime(lin, x, target=t, ridge_alpha=0.0, generator=3, return_surrogate=True)
    assert close(attr, x * w, 1e-4) and score.min().item() > 0.999  # linear: the surrogate is exact
    sg = ember.explain.smoothgrad(lin, x, target=ember.tensor(t), stdevs=0.5, samples=3, generator=1)
    assert close(sg, w.abs())  # a linear model's gradient ignores the noise


def test_integrated_gradients_complete_on_a_cnn():
    ember.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))  # smooth
    model.eval()
    x = ember.rand(3, 1, 8, 8)
    attr, delta = ember.explain.integrated_gradients(model, x, target=2, steps=50, return_convergence_delta=True)
    assert attr.shape == x.shape
    gap = (model(x) - model(ember.zeros_like(x))).select(1, 2).detach()
    assert close(delta.to(ember.float32), attr.sum((1, 2, 3)) - gap, 1e-4)  # delta is the completeness gap
    assert (delta.abs() / gap.abs()).max().item() < 0.01
    assert not model[0].weight.grad  # only input gradients were taken


def test_errors_name_the_problem(linear):
    lin, x = linear
    with pytest.raises(ember.Error, match="target"):
        ember.explain.saliency(lin, x)
    with pytest.raises(ember.Error, match="3 classes|class"):
        ember.explain.saliency(lin, x, target=7)
    with pytest.raises(ember.Error, match="steps"):
        ember.explain.integrated_gradients(lin, x, target=0, steps=0)
    with pytest.raises(ember.Error, match="method"):
        ember.explain.integrated_gradients(lin, x, target=0, method="simpson")
    with pytest.raises(ember.Error, match="sliding_window"):
        ember.explain.occlusion(lin, x, target=0)
    with pytest.raises(TypeError, match="callable"):
        ember.explain.saliency(42, x, target=0)


def test_distillation_loss_from_python():
    """ember.nn.functional.distillation_loss: the C++ op (held to PyTorch by its golden test) here
    against its formula from Ember's own ops, and the teacher gets no gradient."""
    F = ember.nn.functional
    ember.manual_seed(4)
    s = ember.randn(5, 7, requires_grad=True)
    t = ember.randn(5, 7, requires_grad=True)
    y = ember.tensor([0, 3, 6, 2, 1])
    T, a = 3.0, 0.7
    got = F.distillation_loss(s, t, y, temperature=T, alpha=a)
    p = F.softmax(t.detach() / T, 1)
    kl = (p * (p.log() - F.log_softmax(s / T, 1))).sum() / 5
    want = a * T * T * kl + (1 - a) * F.cross_entropy(s, y)
    assert abs(got.item() - want.item()) < 1e-5
    got.backward()
    assert s.grad is not None and t.grad is None
    with pytest.raises(ember.Error, match="distillation_loss.*temperature"):
        F.distillation_loss(s, t, y, temperature=0.0)
