"""``ember.nn.Parameter``: a tensor that a Module registers as a parameter (torch.nn.Parameter)."""
from .. import _C
from .._C import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that ``Module.__setattr__`` registers.

    ``Parameter(data)`` aliases ``data``'s storage (``data.detach()``), as PyTorch does.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        super().__init__(data.detach())
        self.requires_grad_(requires_grad)

    @classmethod
    def _wrap(cls, t):
        # The same TensorImpl as `t` (no detach): a C++ layer's parameter seen from Python, so
        # .grad, in-place updates and dtype conversions are shared.
        p = cls.__new__(cls)
        Tensor.__init__(p, t)
        return p

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        raise TypeError("ember.nn.Parameter cannot be pickled; save a state_dict with ember.save")


class Buffer(Tensor):
    """``nn.Buffer(data, persistent=True)``: marks a tensor assigned to a Module as a buffer."""

    def __init__(self, data, *, persistent=True):
        super().__init__(data.detach())
        self.persistent = persistent
