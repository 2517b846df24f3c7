"""Integrated gradients (50 Gauss-Legendre steps) on the seed CNN: Ember (build/explain_ig) beside
Captum on PyTorch, same threads, same MNIST test images, median of 9 runs each.

Run: /opt/torch/bin/python bench/explain_vs_captum.py [--threads 1 2] [--sizes 1 16] [--exe build/explain_ig]
Ember's weights are frozen (requires_grad false; see bench/explain_ig.cpp), and also timed trainable.
Both sides use their defaults otherwise: Captum feeds all n*50 scaled images in one batch (internal_batch_size
None), Ember in chunks of at most 256 rows. ratio = Captum time / Ember time (> 1: Ember faster).
"""
import argparse
import gzip
import os
import statistics
import subprocess
import time

import numpy as np
import torch
from captum.attr import IntegratedGradients
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    """The seed CNN (PyTorch's MNIST example) with the right fc1 size, as ember::models::MnistCNN."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return F.log_softmax(self.fc2(x), dim=1)


def mnist_test(root, n):
    d = os.path.join(root, "mnist")
    def read(name, offset):
        for f in (os.path.join(d, name), os.path.join(d, name + ".gz")):
            if os.path.exists(f):
                with (gzip.open(f) if f.endswith(".gz") else open(f, "rb")) as fh:
                    return np.frombuffer(fh.read(), np.uint8, offset=offset)
        raise FileNotFoundError(f"{name} under {d}")
    images = read("t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)[:n].astype(np.float32) / 255
    labels = read("t10k-labels-idx1-ubyte", 8)[:n].astype(np.int64)
    return (torch.from_numpy(images) - 0.1307) / 0.3081, torch.from_numpy(labels)


def captum_ms(threads, n, root):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    ig = IntegratedGradients(Net().eval())
    x, t = mnist_test(root, n)
    for _ in range(2):
        ig.attribute(x, target=t, n_steps=50)
    ts = []
    for _ in range(9):
        t0 = time.perf_counter()
        ig.attribute(x, target=t, n_steps=50)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def ember_ms(exe, threads, sizes, root):
    env = dict(os.environ, EMBER_DATA=root, EMBER_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([exe, str(threads), *map(str, sizes)], env=env, check=True, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():  # "ig50 n=<N> <ms>" (frozen weights) or "ig50-trainable n=<N> <ms>"
        label, n, ms = line.split()
        res[(label, int(n[2:]))] = float(ms)
    return res


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 16])
    p.add_argument("--exe", default=os.path.join(here, "..", "build", "explain_ig"))
    p.add_argument("--data", default=os.environ.get("EMBER_DATA", os.path.join(here, "..", "..", "shared", "data")))
    a = p.parse_args()
    print(f"torch {torch.__version__}, captum {__import__('captum').__version__}")
    print(f"{'threads':>7} {'images':>6} {'ember ms':>10} {'captum ms':>10} {'ratio':>7}  "
          f"{'ember ms, trainable weights':>28} {'ratio':>7}")
    for th in a.threads:
        em = ember_ms(a.exe, th, a.sizes, a.data)
        for n in a.sizes:
            cm = captum_ms(th, n, a.data)
            e, et = em[("ig50", n)], em[("ig50-trainable", n)]
            print(f"{th:>7} {n:>6} {e:>10.2f} {cm:>10.2f} {cm / e:>6.2f}x  {et:>28.2f} {cm / et:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
