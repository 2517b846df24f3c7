"""torch.optim.Adam and AdamW over ember::optim::Adam and AdamW."""
from .optimizer import _CppOptimizer, _no_differentiable

__all__ = ["Adam", "AdamW"]


class Adam(_CppOptimizer):
    """Adam (L2 weight decay added to the gradient); decoupled_weight_decay=True is AdamW."""

    _kind = "Adam"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _no_differentiable("Adam", differentiable)
        if decoupled_weight_decay:
            self._kind = "AdamW"
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))


class AdamW(_CppOptimizer):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    _kind = "AdamW"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        _no_differentiable("AdamW", differentiable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))
