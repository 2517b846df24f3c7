"""``ember.nn.init`` (torch.nn.init): in-place initializers over ember::nn::init; each returns the tensor
it was given and records no gradient. Randomness comes from the default generator (ember.manual_seed)."""

from .. import _C
from ._utils import _check_tensor

_nn = _C._nn


def _gen(generator, fn):
    if generator is not None:
        raise NotImplementedError(f"{fn}(): a custom generator is not supported yet; seed with ember.manual_seed")


def calculate_gain(nonlinearity, param=None):
    return _nn.calculate_gain(nonlinearity, 0.01 if param is None else float(param))


def _calculate_fan_in_and_fan_out(tensor):
    return _nn.calculate_fan_in_and_fan_out(tensor)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    _check_tensor("uniform_", "tensor", tensor)
    _gen(generator, "uniform_")
    return _nn.uniform_(tensor, a, b)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    _check_tensor("normal_", "tensor", tensor)
    _gen(generator, "normal_")
    return _nn.normal_(tensor, mean, std)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    _check_tensor("trunc_normal_", "tensor", tensor)
    _gen(generator, "trunc_normal_")
    return _nn.trunc_normal_(tensor, mean, std, a, b)


def constant_(tensor, val):
    _check_tensor("constant_", "tensor", tensor)
    return _nn.constant_(tensor, val)


def zeros_(tensor):
    _check_tensor("zeros_", "tensor", tensor)
    return _nn.zeros_(tensor)


def ones_(tensor):
    _check_tensor("ones_", "tensor", tensor)
    return _nn.ones_(tensor)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    _check_tensor("xavier_uniform_", "tensor", tensor)
    _gen(generator, "xavier_uniform_")
    return _nn.xavier_uniform_(tensor, gain)


def xavier_normal_(tensor, gain=1.0, generator=None):
    _check_tensor("xavier_normal_", "tensor", tensor)
    _gen(generator, "xavier_normal_")
    return _nn.xavier_normal_(tensor, gain)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    _check_tensor("kaiming_uniform_", "tensor", tensor)
    _gen(generator, "kaiming_uniform_")
    return _nn.kaiming_uniform_(tensor, float(a), mode, nonlinearity)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    _check_tensor("kaiming_normal_", "tensor", tensor)
    _gen(generator, "kaiming_normal_")
    return _nn.kaiming_normal_(tensor, float(a), mode, nonlinearity)


__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]
