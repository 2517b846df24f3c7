"""torch.optim.RMSprop over ember::optim::RMSprop."""
from .optimizer import _CppOptimizer, _no_differentiable

__all__ = ["RMSprop"]


class RMSprop(_CppOptimizer):
    _kind = "RMSprop"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _no_differentiable("RMSprop", differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))
