"""Loads checkpoints written by ember (tests/python/test_serialization.py::test_files_for_pytorch) into
PyTorch's modules (strict load_state_dict) and compares PyTorch's outputs with ember's. Run by hand:

    EMBER_INTEROP_DIR=/tmp/ember-interop PYTHONPATH=python python -m pytest tests/python -k for_pytorch
    /opt/torch/bin/python tests/python/golden/check_ember_files.py /tmp/ember-interop
"""
import os
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import Net  # noqa: E402

torch.backends.mha.set_fastpath_enabled(False)
d = sys.argv[1]
models = {
    "cnn": Net(4, 8, 16, 8 * 4 * 4),
    "lstm": nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True),
    "tenc": nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True),
    "bn": nn.BatchNorm2d(3),
}
ok = True
for name, m in models.items():
    m.load_state_dict(load_file(os.path.join(d, name + ".safetensors")))
    m.eval()
    io = load_file(os.path.join(d, name + "_io.safetensors"))
    with torch.no_grad():
        out = m(io["x"])
    out = out[0] if isinstance(out, tuple) else out
    diff = (out - io["out"]).abs().max().item()
    ok &= diff < 1e-5
    print(f"{name}: max |torch - ember| = {diff:.3g}")
print("OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
