"""ember.train.Trainer: the C++ loop over Python models and data; checkpoint + resume reproduce the
uninterrupted run; options, callbacks and errors."""
import csv

import pytest

import ember
import ember.models as M
import ember.nn as nn
import ember.nn.functional as F
import ember.optim as optim
from ember.train import StepOutput, Trainer
from ember.utils.data import DataLoader, Dataset, TensorDataset


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = ember.get_num_threads()  # tiny models: one thread is fastest on a loaded machine
    ember.set_num_threads(1)
    yield
    ember.set_num_threads(n)


class Net(nn.Module):  # Python and C++ layers, a buffer-holding BatchNorm, dropout, a bare Parameter
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(8, 3)
        self.scale = nn.Parameter(ember.ones(1))

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.bn(self.fc1(x))))) * self.scale


class PyData(Dataset):  # a Python dataset: batched in Python
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


ember.manual_seed(11)
X, Y = ember.randn(48, 4), ember.randint(0, 3, (48,))


def make_loader(kind):
    if kind == "cpp":
        return DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True, seed=3)
    return DataLoader(PyData(X, Y), batch_size=16, shuffle=True, seed=3)


def run(kind, epochs, **options):
    ember.manual_seed(2)
    model = Net()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    trainer = Trainer(model, opt, epochs=epochs, **options)
    result = trainer.fit(make_loader(kind), lambda b: F.cross_entropy(model(b[0]), b[1]),
                         evaluate=lambda: {"test_loss": F.cross_entropy(model(X), Y).item()}, log=None)
    return result, model


@pytest.mark.parametrize("kind", ["cpp", "python"])
def test_checkpoint_and_resume_reproduce_the_uninterrupted_run(tmp_path, kind):
    full, m_full = run(kind, 3)
    assert [r["epoch"] for r in full.history] == [1, 2, 3] and len(full.step_losses) == 9
    assert full.history[-1]["train_loss"] < full.history[0]["train_loss"]
    first, _ = run(kind, 1, checkpoint_dir=str(tmp_path))
    assert first.step_losses == full.step_losses[:3]
    rest, m_rest = run(kind, 3, checkpoint_dir=str(tmp_path), resume="auto")
    assert rest.resumed and rest.steps_done == 6
    assert rest.step_losses == full.step_losses[3:]  # exactly: weights, momentum, RNG, data order
    assert [r["test_loss"] for r in rest.history] == [r["test_loss"] for r in full.history]
    for (k, a), b in zip(m_full.state_dict().items(), m_rest.state_dict().values()):
        assert ember.equal(a, b), k
    sd = ember.load(tmp_path / "last.safetensors")
    assert {"model.fc1.weight", "model.bn.running_mean", "model.bn.num_batches_tracked", "model.scale"} <= set(sd)
    assert any(k.startswith("optimizer.") for k in sd)
    rows = list(csv.DictReader(open(tmp_path / "metrics.csv")))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]


def test_step_runs_resume_with_tracked_generators(tmp_path):
    text = "to be or not to be, that is the question. " * 20
    ds = ember.datasets.CharLMDataset(text, block_size=8)

    def run_steps(stop_after, resume=""):
        ember.manual_seed(4)
        model = M.GPT(vocab_size=ds.vocab_size, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.1)
        opt = optim.AdamW(model.parameters(), lr=3e-3)
        gen = ember.Generator().manual_seed(9)
        trainer = Trainer(model, opt, steps=8, eval_every=4, stop_after=stop_after, checkpoint_dir=str(tmp_path),
                          resume=resume, lr_schedule=lambda s: 3e-3 * (1 - s / 8), grad_clip=1.0,
                          generators={"data": gen})
        seen = []

        def step(batch):
            x, y = batch
            return StepOutput(model(x, y)[1], samples=x.size(0), tokens=x.numel())
        r = trainer.fit(lambda: ds.sample_batch(4, generator=gen), step, on_record=seen.append, log=None,
                        evaluate=lambda: {"val_loss": model(*ds.sample_batch(4, generator=1))[1].item()})
        return r, seen, opt

    full, rows, opt = run_steps(0)
    assert len(full.step_losses) == 8 and [r["step"] for r in rows] == [0, 4, 8]
    assert opt.param_groups[0]["lr"] == pytest.approx(3e-3 / 8)  # the schedule's last step
    assert full.history[-1]["lr"] == pytest.approx(0.0)
    half, _, _ = run_steps(4)
    assert half.step_losses == full.step_losses[:4]
    rest, _, _ = run_steps(0, resume="auto")
    assert rest.resumed and rest.step_losses == full.step_losses[4:]


def test_callbacks_early_stopping_and_metadata(tmp_path):
    ember.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    losses = iter([1.0, 0.9, 0.95, 0.97, 0.99, 1.2])
    described, meta_seen = [], []
    out = []

    class Log:
        def write(self, s):
            out.append(s)

    trainer = Trainer(model, opt, epochs=6, early_stopping_patience=2, checkpoint_dir=str(tmp_path))
    data = [(X[i:i + 16], Y[i:i + 16]) for i in range(0, 48, 16)]  # a plain list of batches
    r = trainer.fit(data, lambda b: StepOutput(F.cross_entropy(model(b[0]), b[1]), correct=1),
                    evaluate=lambda: {"test_loss": next(losses)},
                    describe=lambda m: (described.append(m), f"custom {m['test_loss']}")[1],
                    save_metadata=lambda: {"vocab": "abc"}, log=Log())
    assert r.stopped_early and len(r.history) == 4
    assert r.history[0]["train_accuracy"] == pytest.approx(3 / 48)
    assert described[0] == {"test_loss": 1.0} and "custom 1.0" in "".join(out)
    assert "Early stopping" in "".join(out)
    t2 = Trainer(model, opt, epochs=6, checkpoint_dir=str(tmp_path), resume="auto")
    t2.fit(data, lambda b: F.cross_entropy(model(b[0]), b[1]), log=None,
           check_resume=lambda meta, path: meta_seen.append((meta["vocab"], meta["epoch"])))
    assert meta_seen == [("abc", "4")]


def test_errors(tmp_path):
    model = Net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="'model'"):
        Trainer("net", opt)
    with pytest.raises(TypeError, match="'optimizer'"):
        Trainer(model, object())
    with pytest.raises(TypeError, match="'epochs'"):
        Trainer(model, opt, epochs="3")
    with pytest.raises(TypeError, match="'colour'"):
        Trainer(model, opt, colour=1)
    with pytest.raises(TypeError, match="'lr_schedule'"):
        Trainer(model, opt, lr_schedule=0.1)
    with pytest.raises(ember.Error, match="--max-steps"):
        Trainer(model, opt, max_steps_per_epoch=-1)
    t = Trainer(model, opt)
    with pytest.raises(TypeError, match="'data'"):
        t.fit(42, lambda b: None, log=None)
    with pytest.raises(TypeError, match="step function"):
        t.fit(make_loader("cpp"), lambda b: 1.0, log=None)
    with pytest.raises(ValueError, match="from the step"):  # a Python exception passes through C++

        def bad(b):
            raise ValueError("from the step")
        t.fit(make_loader("python"), bad, log=None)
    with pytest.raises(ember.Error, match="scalar loss"):
        t.fit(make_loader("cpp"), lambda b: model(b[0]), log=None)
    with pytest.raises(ember.Error):
        Trainer(model, opt, resume=str(tmp_path / "missing.safetensors")).fit(
            make_loader("cpp"), lambda b: F.cross_entropy(model(b[0]), b[1]), log=None)


def test_trainer_steps_equal_a_python_loop():
    def make():
        ember.manual_seed(5)
        net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        return net, optim.Adam(net.parameters(), lr=1e-2)

    net, opt = make()
    by_hand, loader = [], make_loader("cpp")
    for _ in range(2):
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            by_hand.append(loss.item())
    net2, opt2 = make()
    r = Trainer(net2, opt2, epochs=2).fit(make_loader("cpp"), lambda b: F.cross_entropy(net2(b[0]), b[1]), log=None)
    assert r.step_losses == by_hand
    assert ember.equal(net[0].weight, net2[0].weight)
