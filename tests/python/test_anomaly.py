"""NaN and infinity caught where they start: ember.autograd.detect_anomaly / set_detect_anomaly (torch's
names), and the Trainer's nonfinite="stop" | "skip"."""
import io
import math

import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.train import Trainer
from ember.utils.data import DataLoader, TensorDataset


def test_off_by_default_nan_propagates():
    assert not ember.autograd.is_anomaly_enabled() and not ember.is_anomaly_enabled()
    assert math.isnan(ember.log(ember.tensor([-1.0])).item())


def test_forward_names_the_op_and_shapes():
    x = ember.tensor([[-1.0, 2.0, 3.0]])
    with ember.autograd.detect_anomaly():
        assert ember.autograd.is_anomaly_enabled()
        with pytest.raises(ember.Error, match=r"log: anomaly detection: produced nan .*finite inputs \(\[1, 3\] float32\)"):
            ember.log(x)
    assert not ember.autograd.is_anomaly_enabled()


def test_backward_names_the_function():
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = (ember.sqrt(x) * 3).sum()
        with pytest.raises(RuntimeError, match=r"SqrtBackward: anomaly detection: returned inf .*\(a leaf\)"):
            y.backward()


def test_set_detect_anomaly_call_and_context():
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.is_anomaly_enabled()
        with ember.autograd.set_detect_anomaly(False):
            assert math.isnan(ember.log(ember.tensor([-1.0])).item())
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


def test_detect_anomaly_as_decorator():
    @ember.autograd.detect_anomaly()
    def f():
        return ember.exp(ember.tensor([1000.0]))

    with pytest.raises(ember.Error, match="exp: anomaly detection: produced inf"):
        f()
    assert not ember.autograd.is_anomaly_enabled()


def _fit(nonfinite, poison, **options):
    ember.manual_seed(2)
    model = nn.Linear(4, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    data = DataLoader(TensorDataset(ember.randn(48, 4), ember.randint(0, 2, (48,))), batch_size=16)
    calls = []

    def step(b):
        calls.append(1)
        loss = F.cross_entropy(model(b[0]), b[1])
        return loss * float("nan") if poison(len(calls)) else loss

    log = io.StringIO()
    r = Trainer(model, opt, nonfinite=nonfinite, **options).fit(data, step, log=log)
    return r, log.getvalue()


def test_trainer_stops_on_a_nan_loss():
    with pytest.raises(ember.Error, match=r"train: the loss is nan at epoch 1, step 2; .*--nonfinite skip"):
        _fit("stop", lambda call: call == 2, epochs=1)


def test_trainer_skips_and_counts():
    r, log = _fit("skip", lambda call: call == 2, epochs=1)
    assert len(r.step_losses) == 2
    assert "Skipped 1 of 3 batches of epoch 1 with a NaN or infinite loss" in log
