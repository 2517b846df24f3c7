"""The seed program (examples/seed_cnn.py) trains for real: one epoch of MNIST, and its losses equal
the C++ recipe's (`ember train mnist-cnn`) at the same seed and thread count."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("EMBER_DATA", os.path.join(ROOT, "..", "shared", "data"))
SEED = os.path.join(ROOT, "examples", "seed_cnn.py")
CLI = os.path.join(ROOT, "build", "ember")

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "mnist")),
                                reason=f"MNIST not found under {DATA} (set EMBER_DATA)")


def run(cmd):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    assert out.returncode == 0, out.stdout
    return out.stdout


def test_one_epoch_reaches_98_percent():
    out = run([sys.executable, SEED, "--epochs", "1", "--threads", "2", "--data", DATA])
    loss = float(re.search(r"Epoch 1, Loss: ([0-9.]+)", out).group(1))
    acc = float(re.search(r"Test accuracy: ([0-9.]+)%", out).group(1))
    assert loss < 0.25, out
    assert acc >= 98.0, out


@pytest.mark.skipif(not os.path.exists(CLI), reason="the C++ CLI build/ember is not built")
def test_losses_equal_the_cpp_recipe():
    args = ["--epochs", "2", "--max-steps", "60", "--threads", "2", "--seed", "3", "--data", DATA]
    py = run([sys.executable, SEED] + args)
    cpp = run([CLI, "train", "mnist-cnn", "--no-progress"] + args)
    py_losses = [float(x) for x in re.findall(r"Epoch \d+, Loss: ([0-9.]+)", py)]
    cpp_losses = [float(x) for x in re.findall(r"Epoch \d+, Loss: ([0-9.]+)", cpp)]
    assert len(py_losses) == len(cpp_losses) == 2
    # the CLI prints 6 significant digits
    assert all(abs(p - c) <= 5e-6 * max(1.0, c) for p, c in zip(py_losses, cpp_losses)), (py_losses, cpp_losses)
    assert re.search(r"Test accuracy: ([0-9.]+)%", py).group(1) == re.search(r"Test accuracy: ([0-9.]+)%", cpp).group(1)
