"""Golden cases for the autoencoder models (include/ember/models/autoencoder.h), written as torch
modules with the same structure and parameter names. Regenerate:
  /usr/bin/python3 tests/golden/gen_autoencoder.py
Writes tests/golden/models/autoencoder.json (outside the op harness's top-level folder). Sizes are
shrunk through the models' width/hidden arguments so the file stays small.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from golden_lib import _tensor_json as _full_json


def _tensor_json(t):
    """float32 values with 9 significant digits: exactly the float32, and half the JSON of 17."""
    j = _full_json(t)
    if j["dtype"] == "float32":
        j["data"] = [float("%.9g" % v) for v in j["data"]]
    return j

torch.manual_seed(0)
HERE = os.path.dirname(os.path.abspath(__file__))


class ConvAutoencoder(nn.Module):
    def __init__(self, latent_dim=32, width=16):
        super().__init__()
        w = width
        self.encoder = nn.Sequential(nn.Conv2d(1, w, 3, 2, 1), nn.ReLU(), nn.Conv2d(w, 2 * w, 3, 2, 1), nn.ReLU(),
                                     nn.Flatten(), nn.Linear(2 * w * 49, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 2 * w * 49), nn.ReLU(), nn.Unflatten(1, (2 * w, 7, 7)),
                                     nn.ConvTranspose2d(2 * w, w, 3, 2, 1, output_padding=1), nn.ReLU(),
                                     nn.ConvTranspose2d(w, 1, 3, 2, 1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    """PyTorch's examples/vae/main.py, sizes as arguments."""

    def __init__(self, latent_dim=20, hidden=400, input=784):
        super().__init__()
        self.input = input
        self.fc1 = nn.Linear(input, hidden)
        self.fc21 = nn.Linear(hidden, latent_dim)
        self.fc22 = nn.Linear(hidden, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden)
        self.fc4 = nn.Linear(hidden, input)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x, reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def state(m):
    return {"order": list(m.state_dict().keys()), "tensors": {k: _tensor_json(v) for k, v in m.state_dict().items()},
            "keys": [[k, list(v.shape)] for k, v in m.state_dict().items()]}


def grads(m):
    return {k: _tensor_json(p.grad) for k, p in m.named_parameters()}


out = {"torch": torch.__version__}

# Default-size key names and shapes (no values).
out["conv_autoencoder_keys"] = [[k, list(v.shape)] for k, v in ConvAutoencoder().state_dict().items()]
out["vae_keys"] = [[k, list(v.shape)] for k, v in VAE().state_dict().items()]

# Conv autoencoder, width 2, latent 4: output and gradients of sum(output * g).
ae = ConvAutoencoder(latent_dim=4, width=2)
x = torch.rand(1, 1, 28, 28)
y = ae(x)
g = torch.randn(y.shape)
(y * g).sum().backward()
out["conv_autoencoder"] = {"latent_dim": 4, "width": 2, "state": state(ae), "input": _tensor_json(x),
                           "output": _tensor_json(y), "grad_output": _tensor_json(g), "grads": grads(ae)}

# VAE, 12 inputs, hidden 6, latent 3: the example's forward with given noise, its loss and gradients.
vae = VAE(latent_dim=3, hidden=6, input=12)
x = torch.rand(4, 12)
eps = torch.randn(4, 3)
mu, logvar = vae.encode(x)
recon = vae.decode(vae.reparameterize(mu, logvar, eps))
loss = loss_function(recon, x, mu, logvar)
kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
loss.backward()
out["vae"] = {"latent_dim": 3, "hidden": 6, "input": 12, "state": state(vae), "x": _tensor_json(x),
              "eps": _tensor_json(eps), "mu": _tensor_json(mu), "logvar": _tensor_json(logvar),
              "recon": _tensor_json(recon), "loss": float(loss), "kl": float(kl), "grads": grads(vae)}

path = os.path.join(HERE, "models", "autoencoder.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(out, f)
os.replace(path + ".tmp", path)
print(f"wrote {path} ({os.path.getsize(path)} bytes)")
