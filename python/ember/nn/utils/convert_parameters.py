"""torch.nn.utils.parameters_to_vector / vector_to_parameters."""
from ... import _C
from ..._C import Tensor
from ...autograd import no_grad

_nn = _C._nn


def parameters_to_vector(parameters):
    """One flat tensor of all parameters, in order (differentiable)."""
    return _nn.cat([p.reshape(-1) for p in parameters], 0)


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of `vec` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec.narrow(0, offset, n).view(list(p.shape)))
            offset += n
