"""The seed's CNN trained in PyTorch on MNIST, for side-by-side throughput with `ember train`.

Usage: /usr/bin/python3 bench/mnist_cnn_torch.py --threads 1 --steps 200 [--data ../shared/data]
Prints one line: "images/s: X". Same network, loss, optimizer (SGD lr 0.01 momentum 0.9),
batch 64 and shuffled MNIST training data as `ember train mnist-cnn`.
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = x.view(-1, 64 * 12 * 12)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--data", default=os.environ.get("EMBER_DATA", "../shared/data"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    images = read_idx(os.path.join(args.data, "mnist", "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "mnist", "train-labels-idx1-ubyte.gz"))
    x_all = torch.from_numpy(images.copy()).unsqueeze(1)  # (60000, 1, 28, 28) uint8
    y_all = torch.from_numpy(labels.astype(np.int64))
    ds = torch.utils.data.TensorDataset(x_all, y_all)
    loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    step, seen, start = 0, 0, None
    for inputs, targets in loader:
        inputs = inputs.float().div_(255.0).sub_(0.1307).div_(0.3081)  # as ember's recipe
        if step == 5:  # warm-up steps are not timed
            start, seen = time.perf_counter(), 0
        optimizer.zero_grad()
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()
        loss.item()
        seen += inputs.shape[0]
        step += 1
        if step >= args.steps + 5:
            break
    print(f"images/s: {seen / (time.perf_counter() - start):.1f}")


if __name__ == "__main__":
    main()
