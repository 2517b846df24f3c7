"""How close PyTorch itself gets on the DDP equivalence check of issue 5, for comparison with
tests/distributed/test_ddp.cpp: the seed CNN, 20 steps of SGD (lr 0.01, momentum 0.9) or Adam
(lr 1e-3), N ranks x batch 32 against one process x batch 32 N.

What DDP computes is emulated exactly in one process: each rank's gradient on its 32 samples,
divided by N and summed (an allreduce of N float32 values in a fixed order), then the same
optimizer step everywhere. Also prints the same run's own noise: one process at 1 and at 2
threads.

Usage: /usr/bin/python3 bench/ddp_equivalence_torch.py [--data ../shared/data] [--ranks 2]
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F

from mnist_cnn_torch import Net, read_idx


def train(images, labels, optimizer_name, ranks, split, threads, steps=20, batch=32):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Net()
    if optimizer_name == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = batch * ranks
    for step in range(steps):
        x, y = images[step * g:(step + 1) * g], labels[step * g:(step + 1) * g]
        opt.zero_grad()
        if not split:
            F.nll_loss(net(x), y).backward()
        else:
            grads = None
            for r in range(ranks):
                net.zero_grad()
                F.nll_loss(net(x[r * batch:(r + 1) * batch]), y[r * batch:(r + 1) * batch]).backward()
                mine = [p.grad.detach() / ranks for p in net.parameters()]
                grads = mine if grads is None else [a + b for a, b in zip(grads, mine)]
            for p, gr in zip(net.parameters(), grads):
                p.grad = gr.clone()
        opt.step()
    return [p.detach().clone() for p in net.parameters()]


def max_abs_diff(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--ranks", type=int, default=2)
    args = ap.parse_args()
    root = os.path.join(args.data, "mnist")
    imgs = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))[:20 * 32 * args.ranks]
    lbls = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))[:20 * 32 * args.ranks]
    x = (torch.from_numpy(imgs.astype(np.float32) / 255.0).unsqueeze(1) - 0.1307) / 0.3081
    y = torch.from_numpy(lbls.astype(np.int64))
    for name in ("sgd", "adam"):
        whole = train(x, y, name, args.ranks, split=False, threads=1)
        ddp = train(x, y, name, args.ranks, split=True, threads=1)
        two = train(x, y, name, args.ranks, split=False, threads=2)
        print(f"torch {torch.__version__} {name}, 20 steps: {args.ranks} ranks x batch 32 vs 1 process x batch "
              f"{32 * args.ranks}: max |diff| {max_abs_diff(whole, ddp):.3g}; "
              f"1 process at 1 vs 2 threads: {max_abs_diff(whole, two):.3g}")


if __name__ == "__main__":
    main()
