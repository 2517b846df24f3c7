"""torch.nn.utils.clip_grad_norm_ / clip_grad_value_ over ember::nn::utils (in place on each .grad)."""
import math

from ... import _C
from ..._C import Tensor

_nn = _C._nn


def _params(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients so their total norm is at most max_norm; returns the norm before clipping (a tensor)."""
    norm_type = math.inf if norm_type in ("inf", math.inf) else float(norm_type)
    total = _nn.clip_grad_norm_(_params(parameters), float(max_norm), norm_type, error_if_nonfinite)
    return _C.tensor(total)


clip_grad_norm = clip_grad_norm_


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element to [-clip_value, clip_value]."""
    _nn.clip_grad_value_(_params(parameters), float(clip_value))
