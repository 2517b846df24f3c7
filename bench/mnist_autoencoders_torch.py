"""PyTorch 1.13 side of `ember train mnist-autoencoder` / `ember train mnist-vae`: the same models,
data (raw MNIST pixels in [0, 1]), Adam(lr 1e-3), batch 128 and test metrics, for comparing
throughput and the reached reconstruction error / test loss.

  /usr/bin/python3 bench/mnist_autoencoders_torch.py --model vae --epochs 1 --threads 1 [--steps N]
Prints one line per epoch in the ember CLI's format (`... N images/s ...`).
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def images(path):
    with gzip.open(path) as f:
        b = f.read()
    return torch.from_numpy(np.frombuffer(b, np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)


class ConvAutoencoder(nn.Module):
    def __init__(self, latent_dim=32, w=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, w, 3, 2, 1), nn.ReLU(), nn.Conv2d(w, 2 * w, 3, 2, 1), nn.ReLU(),
                                     nn.Flatten(), nn.Linear(2 * w * 49, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 2 * w * 49), nn.ReLU(), nn.Unflatten(1, (2 * w, 7, 7)),
                                     nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(w, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class VAE(nn.Module):  # PyTorch's examples/vae/main.py
    def __init__(self, latent_dim=20):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, latent_dim), nn.Linear(400, latent_dim)
        self.fc3, self.fc4 = nn.Linear(latent_dim, 400), nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def vae_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce, kld


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["autoencoder", "vae"], required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="stop each epoch after this many steps (0: whole epoch)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-eval", action="store_true")
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = images(os.path.join(args.data, "mnist", "train-images-idx3-ubyte.gz"))
    test = images(os.path.join(args.data, "mnist", "t10k-images-idx3-ubyte.gz"))
    model = ConvAutoencoder() if args.model == "autoencoder" else VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        perm = torch.randperm(len(train))
        steps = (len(train) + 127) // 128
        if args.steps:
            steps = min(steps, args.steps)
        model.train()
        total, n, t0 = 0.0, 0, time.perf_counter()
        for s in range(steps):
            x = train[perm[s * 128:(s + 1) * 128]]
            opt.zero_grad()
            if args.model == "autoencoder":
                loss = F.binary_cross_entropy(model(x), x)
                total += loss.item() * len(x)
            else:
                recon, mu, logvar = model(x)
                bce, kld = vae_loss(recon, x, mu, logvar)
                loss = bce + kld
                total += loss.item()
            loss.backward()
            opt.step()
            n += len(x)
        secs = time.perf_counter() - t0
        line = f"Epoch {epoch + 1}, train loss {total / n:.4f}"
        if not args.no_eval:
            model.eval()
            with torch.no_grad():
                if args.model == "autoencoder":
                    r = torch.cat([model(test[i:i + 500]) for i in range(0, len(test), 500)])
                    line += (f"; test per pixel: mse {F.mse_loss(r, test).item():.4f}, "
                             f"bce {F.binary_cross_entropy(r, test).item():.4f}")
                else:
                    bce = kl = 0.0
                    for i in range(0, len(test), 500):
                        x = test[i:i + 500]
                        recon, mu, logvar = model(x)
                        b, k = vae_loss(recon, x, mu, logvar)
                        bce, kl = bce + b.item(), kl + k.item()
                    line += f"; test loss {(bce + kl) / len(test):.4f} (bce {bce / len(test):.4f}, kl {kl / len(test):.4f})"
        print(f"{line}, {n / secs:.0f} images/s, {secs:.1f} s", flush=True)


if __name__ == "__main__":
    main()
