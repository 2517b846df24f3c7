"""ember.save / ember.load: safetensors round trips, nested checkpoints, the file format PyTorch's
safetensors reader expects (checked here with a plain-Python parser), and errors."""
from collections import OrderedDict
import json
import os
import struct

import pytest

import ember
import ember.nn as nn
from ember.serialization import load, load_metadata, save
from nn_helpers import assert_equal, golden
from test_nn_module import Net


def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data_len = len(f.read())
    return header, data_len


def test_state_dict_round_trip(tmp_path):
    net = Net(4, 8, 16, 8 * 4 * 4)
    path = tmp_path / "net.safetensors"
    save(net.state_dict(), path)
    sd = load(str(path))
    assert isinstance(sd, OrderedDict) and list(sd) == list(net.state_dict())
    other = Net(4, 8, 16, 8 * 4 * 4)
    other.load_state_dict(sd)
    x = ember.randn(2, 1, 12, 12)
    assert_equal(other(x), net(x))
    assert not [p for p in os.listdir(tmp_path) if ".tmp." in p]  # the atomic writer's temporary is gone


def test_file_is_standard_safetensors(tmp_path):
    sd = OrderedDict([("a.weight", ember.randn(3, 2)), ("b", ember.tensor([1, 2, 3])),
                      ("c", ember.zeros(2, dtype=ember.float64)), ("d", ember.tensor([True, False]))])
    path = tmp_path / "x.safetensors"
    save(sd, path, metadata={"format": "pt"})
    header, data_len = read_header(path)
    assert header["__metadata__"] == {"format": "pt"}
    assert {k: v["dtype"] for k, v in header.items() if k != "__metadata__"} == {
        "a.weight": "F32", "b": "I64", "c": "F64", "d": "BOOL"}
    assert header["a.weight"]["shape"] == [3, 2]
    ends = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0 and ends[-1][1] == data_len
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:]))  # contiguous, no gaps
    assert load_metadata(path) == {"format": "pt"}


def test_pytorch_made_file_loads(tmp_path):
    sd = golden("lstm")  # written by safetensors.torch.save_file
    assert set(sd) == set(nn.LSTM(5, 6, num_layers=2, bidirectional=True).state_dict())
    m = nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True)
    m.load_state_dict(sd)
    save(m.state_dict(), tmp_path / "again.safetensors")
    again = load(tmp_path / "again.safetensors")
    for k in sd:
        assert_equal(again[k], sd[k], k)


def test_tensor_and_nested_checkpoint(tmp_path):
    t = ember.randn(2, 3)
    save(t, tmp_path / "t.safetensors")
    back = load(tmp_path / "t.safetensors")
    assert isinstance(back, ember.Tensor)
    assert_equal(back, t)
    ckpt = {"model": nn.Linear(2, 2).state_dict(), "epoch": 3, "lr": 0.1, "name": "run",
            "opt": {"state": {0: {"momentum_buffer": ember.ones(2)}}, "param_groups": [{"params": [0, 1]}]},
            "shape": (2, 3), "none": None}
    save(ckpt, tmp_path / "ckpt.safetensors")
    back = load(tmp_path / "ckpt.safetensors")
    assert back["epoch"] == 3 and back["lr"] == 0.1 and back["name"] == "run" and back["none"] is None
    assert back["shape"] == (2, 3) and back["opt"]["param_groups"] == [{"params": [0, 1]}]
    assert_equal(back["opt"]["state"][0]["momentum_buffer"], ember.ones(2))
    assert list(back["model"]) == ["weight", "bias"] and isinstance(back["model"], OrderedDict)
    header, _ = read_header(tmp_path / "ckpt.safetensors")
    assert "model.weight" in header and "opt.state.0.momentum_buffer" in header


def test_save_parameters_and_views(tmp_path):
    lin = nn.Linear(4, 3)
    w_t = lin.weight.t()  # non-contiguous: written in logical order
    save({"w": lin.weight, "wt": w_t}, tmp_path / "p.safetensors")
    back = load(tmp_path / "p.safetensors")
    assert not back["w"].requires_grad
    assert_equal(back["wt"], w_t.contiguous())


def test_errors(tmp_path):
    with pytest.raises(TypeError, match="cannot save a set"):
        save({"a": {1, 2}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="argument 'f' must be a path"):
        save({"a": ember.ones(1)}, 3)
    with pytest.raises(ember.Error):
        load(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(ember.Error):
        load(bad)


def test_files_for_pytorch(tmp_path):
    """Ember-written checkpoints for golden/check_ember_files.py, which loads them into PyTorch's modules
    and compares outputs (run by hand: EMBER_INTEROP_DIR=/tmp/x pytest -k for_pytorch, then
    /opt/torch/bin/python tests/python/golden/check_ember_files.py /tmp/x)."""
    out_dir = os.environ.get("EMBER_INTEROP_DIR", str(tmp_path))
    os.makedirs(out_dir, exist_ok=True)
    ember.manual_seed(5)
    models = {
        "cnn": (Net(4, 8, 16, 8 * 4 * 4), [ember.randn(3, 1, 12, 12)]),
        "lstm": (nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True), [ember.randn(2, 4, 5)]),
        "tenc": (nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), [ember.randn(2, 5, 8)]),
        "bn": (nn.BatchNorm2d(3), [ember.randn(4, 3, 2, 2)]),
    }
    for name, (m, inputs) in models.items():
        if name == "bn":
            m(inputs[0])  # training step: running stats move away from their defaults
        m.eval()
        out = m(*inputs)
        out = out[0] if isinstance(out, tuple) else out
        save(m.state_dict(), os.path.join(out_dir, name + ".safetensors"))
        save({"x": inputs[0], "out": out}, os.path.join(out_dir, name + "_io.safetensors"))
        assert set(load(os.path.join(out_dir, name + ".safetensors"))) == set(m.state_dict())
