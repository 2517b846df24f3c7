"""torch.optim.SGD over ember::optim::SGD."""
from .optimizer import _CppOptimizer, _no_differentiable

__all__ = ["SGD"]


class SGD(_CppOptimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum: PyTorch's arguments and
    update rule. foreach and fused are accepted and ignored (the C++ update is one loop)."""

    _kind = "SGD"

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _no_differentiable("SGD", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))
