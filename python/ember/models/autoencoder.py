"""The MNIST autoencoders (ember::models::ConvAutoencoder, VAE) with PyTorch's parameter names."""
from .. import _C
from ..nn.modules._cpp import CppModule
from ._util import check_generator, check_int, check_tensor

_M = _C.models
vae_loss = _M.vae_loss
vae_kl_divergence = _M.vae_kl_divergence


class ConvAutoencoder(CppModule):
    """encoder / decoder Sequentials (encoder.0.weight ... decoder.5.bias); forward = decode(encode(x))."""

    _cpp_class = _M.ConvAutoencoder
    _cpp_attrs = ("latent_dim", "width")

    def __init__(self, latent_dim=32, width=16):
        super().__init__()
        check_int("ConvAutoencoder", "latent_dim", latent_dim)
        check_int("ConvAutoencoder", "width", width)
        self._adopt(_M.ConvAutoencoder(latent_dim, width))

    def encode(self, x):
        check_tensor("ConvAutoencoder.encode", "x", x)
        return self._cpp.encode(x)

    def decode(self, z):
        check_tensor("ConvAutoencoder.decode", "z", z)
        return self._cpp.decode(z)

    def forward(self, x):
        check_tensor("ConvAutoencoder.forward", "x", x)
        return self._cpp.forward(x)


class VAE(CppModule):
    """PyTorch's examples/vae: forward(x, generator=None) -> (recon, mu, logvar)."""

    _cpp_class = _M.VAE
    _cpp_attrs = ("latent_dim", "hidden", "input")

    def __init__(self, latent_dim=20, hidden=400, input=784):  # noqa: A002 (the C++ name)
        super().__init__()
        for n, v in (("latent_dim", latent_dim), ("hidden", hidden), ("input", input)):
            check_int("VAE", n, v)
        self._adopt(_M.VAE(latent_dim, hidden, input))

    def encode(self, x):
        check_tensor("VAE.encode", "x", x)
        return self._cpp.encode(x)

    def decode(self, z):
        check_tensor("VAE.decode", "z", z)
        return self._cpp.decode(z)

    @staticmethod
    def reparameterize(mu, logvar, eps=None):
        """mu + eps * exp(logvar / 2); eps a Tensor, or drawn from an ember.Generator (None: default)."""
        check_tensor("VAE.reparameterize", "mu", mu)
        check_tensor("VAE.reparameterize", "logvar", logvar)
        return _M.VAE.reparameterize(mu, logvar, eps)

    def forward(self, x, generator=None):
        check_tensor("VAE.forward", "x", x)
        check_generator("VAE.forward", generator)
        return self._cpp.forward(x, generator)
