"""ONNX export checked by ONNX itself: each recipe's model (a short real training run through the
`ember` CLI) and all-MiniLM-L6-v2 go through `ember export onnx`, then onnx.checker (full check)
and ONNX Runtime at two batch sizes (and two sequence lengths), equal to Ember's outputs within
1e-5 (1e-4 for the Transformers). Also ember.onnx.export on a model defined in Python, and the
errors. The comparison itself is tests/python/onnx_check.py (also a script)."""
import os
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import REPO, data_root  # noqa: E402
from onnx_check import check  # noqa: E402

CLI = str(REPO / "build" / "ember")
needs_cli = pytest.mark.skipif(not os.path.exists(CLI), reason="the C++ CLI build/ember is not built")


def run(cmd):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert out.returncode == 0, out.stdout
    return out.stdout


# recipe -> (data folder, training flags for a run of a few seconds)
RECIPES = {
    "mnist-cnn": ("mnist", ["--epochs", "1", "--train-limit", "500", "--no-progress"]),
    "mnist-autoencoder": ("mnist", ["--epochs", "1", "--train-limit", "256", "--no-progress"]),
    "mnist-vae": ("mnist", ["--epochs", "1", "--train-limit", "256", "--no-progress"]),
    "imdb-lstm": ("imdb", ["--epochs", "1", "--train-limit", "256", "--test-limit", "64", "--max-len", "64",
                           "--embed-dim", "16", "--hidden", "16", "--layers", "2", "--bidirectional", "true",
                           "--no-progress"]),
    "shakespeare-gpt": ("tinyshakespeare", ["--steps", "5", "--batch-size", "4", "--block-size", "32", "--n-layer", "2",
                                            "--n-head", "2", "--n-embd", "32", "--eval-interval", "5",
                                            "--eval-iters", "1", "--sample-tokens", "0"]),
}
TEXT = {"imdb-lstm", "shakespeare-gpt"}


@needs_cli
@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_exports_and_matches_onnxruntime(recipe, tmp_path):
    sub, flags = RECIPES[recipe]
    root = data_root(sub, sub)
    run([CLI, "train", recipe, *flags, "--threads", "1", "--data", root, "--checkpoint-dir", str(tmp_path)])
    ckpt, out = str(tmp_path / "last.safetensors"), str(tmp_path / "model.onnx")
    printed = run([CLI, "export", "onnx", ckpt, "--out", out, "--seq-len", "8"])
    assert "(ONNX opset 17)" in printed and "[batch" in printed, printed
    if recipe in TEXT:
        assert "[batch, sequence]" in printed, printed
    tol = 1e-4 if recipe == "shakespeare-gpt" else 1e-5
    diffs = check(ckpt, out, batches=(2, 3), seq_lens=(5, 11) if recipe in TEXT else (None,), tol=tol)
    assert len(diffs) == (4 if recipe in TEXT else 2)


@needs_cli
def test_minilm_exports_and_matches_onnxruntime(tmp_path):
    model_dir = os.path.join(data_root(os.path.join("models", "all-MiniLM-L6-v2"), "all-MiniLM-L6-v2"), "models",
                             "all-MiniLM-L6-v2")
    out = str(tmp_path / "minilm.onnx")
    printed = run([CLI, "export", "onnx", model_dir, "--out", out, "--seq-len", "8"])
    assert "output sentence_embedding: float32 [batch, 384]" in printed, printed
    check(model_dir, out, batches=(2, 3), seq_lens=(6, 13), tol=1e-4)


class TinyAttention(nn.Module):
    """A Python-defined model: its forward calls ember ops directly."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 24)
        self.norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 3)

    def forward(self, x):  # x (B, T, 8)
        B, T, C = x.shape
        q, k, v = self.proj(self.norm(x)).split(8, dim=-1)
        q, k, v = (t.reshape(B, T, 2, 4).transpose(1, 2) for t in (q, k, v))  # (B, 2, T, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
        y = F.gelu(y) + x
        return F.log_softmax(self.head(y.mean(1)), dim=-1)  # (B, 3)


def test_python_model_exports_and_matches_onnxruntime(tmp_path):
    ember.manual_seed(0)
    model = TinyAttention()
    path = str(tmp_path / "tiny.onnx")
    info = ember.onnx.export(model, (ember.randn(2, 5, 8),), path, input_names=["x"], output_names=["y"],
                             dynamic_axes={"x": {0: "batch", 1: "sequence"}})
    assert info["opset"] == 17 and info["outputs"][0][2] == ["batch", "3"]
    assert model.training  # restored
    onnx.checker.check_model(onnx.load(path), full_check=True)
    inits = {t.name for t in onnx.load(path).graph.initializer}
    assert {"proj.weight", "proj.bias", "norm.weight", "head.weight"} <= inits  # state_dict names
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model.eval()
    for b, t in [(2, 5), (4, 9)]:
        x = ember.randn(b, t, 8)
        want = model(x).detach().numpy()
        got = sess.run(None, {"x": np.array(x.numpy())})[0]
        assert np.max(np.abs(want - got)) <= 1e-5


class Cumulative(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return ember.cumsum(self.fc(x), 1)


def test_unmapped_op_is_named(tmp_path):
    path = tmp_path / "m.onnx"
    with pytest.raises(ember.Error, match="op 'cumsum' has no ONNX mapping"):
        ember.onnx.export(Cumulative(), ember.randn(2, 4), path)
    assert not path.exists()


def test_bad_path_and_opset(tmp_path):
    with pytest.raises(ember.Error, match="cannot write '/nonexistent-ember-dir/m.onnx'"):
        ember.onnx.export(Cumulative(), ember.randn(2, 4), "/nonexistent-ember-dir/m.onnx")
    with pytest.raises(ember.Error, match="opset 13 is not supported"):
        ember.onnx.export(TinyAttention(), ember.randn(2, 5, 8), tmp_path / "m.onnx", opset_version=13)


class TinyConvNet(nn.Module):
    """BatchNorm (eval), average and adaptive pooling, dropout: layers no recipe exports."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):  # (B, 1, 8, 8)
        h = self.pool(F.relu(self.bn(self.conv(x))))  # (B, 4, 4, 4)
        return self.fc(self.drop(self.gap(h).flatten(1)))  # (B, 2)


class TinyTagger(nn.Module):
    """Embedding, a bidirectional GRU over padded sequences with their lengths, mean pooling."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.gru = nn.GRU(6, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(10, 3)

    def forward(self, ids, lengths):  # (B, T) int64, (B) int64
        y, h = self.gru.forward_padded(self.emb(ids), lengths)  # (B, T, 10), (4, B, 5)
        return self.fc(y.sum(1) / lengths.unsqueeze(1).to(ember.float32)), h


def _ort_matches(model, path, inputs, names, cases, tol=1e-5):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    model.eval()
    for xs in cases:
        want = model(*[ember.from_numpy(x) for x in xs])
        want = [w.detach().numpy() for w in (want if isinstance(want, tuple) else (want,))]
        got = sess.run(None, dict(zip(names, xs)))
        for w, g in zip(want, got):
            assert w.shape == g.shape and np.max(np.abs(w - g)) <= tol


def test_batchnorm_and_pooling_export(tmp_path):
    ember.manual_seed(1)
    model = TinyConvNet()
    model.train()
    for _ in range(3):  # running statistics that are not the initial ones
        model(ember.randn(4, 1, 8, 8))
    path = str(tmp_path / "conv.onnx")
    ember.onnx.export(model, ember.randn(2, 1, 8, 8), path, input_names=["x"], dynamic_axes={"x": [0]})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    rng = np.random.default_rng(0)
    _ort_matches(model, path, None, ["x"], [[rng.standard_normal((b, 1, 8, 8)).astype(np.float32)] for b in (2, 5)])


def test_gru_with_lengths_exports(tmp_path):
    ember.manual_seed(2)
    model = TinyTagger()
    ids, lengths = ember.randint(1, 20, (2, 6)), ember.tensor([6, 3])
    path = str(tmp_path / "gru.onnx")
    ember.onnx.export(model, (ids, lengths), path, input_names=["ids", "lengths"],
                      dynamic_axes={"ids": {0: "batch", 1: "sequence"}, "lengths": {0: "batch"}})
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert sum(n.op_type == "GRU" for n in onnx.load(path).graph.node) == 2
    rng = np.random.default_rng(0)
    cases = [[rng.integers(1, 20, (b, t)), np.array(([t, 2, 1] * b)[:b], dtype=np.int64)] for b, t in [(2, 6), (3, 9)]]
    _ort_matches(model, path, None, ["ids", "lengths"], cases)
