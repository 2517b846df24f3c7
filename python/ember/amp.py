"""Mixed precision: ``ember.autocast`` as ``torch.autocast`` on the CPU.

Inside the block (or decorated function) matmul, mm, bmm, addmm, linear, the convolutions and
scaled_dot_product_attention multiply in bfloat16 with float32 accumulation; everything else, and
the parameters, stay float32. Backward runs each op's gradient products at the precision its
forward ran at, so ``loss.backward()`` goes outside the block, as in PyTorch's recipe. Unlike
PyTorch, the products' outputs stay float32 (more accurate; no bf16 tensors appear). On CPUs
without AVX512_BF16/AMX the products are emulated: correct, not faster
(``ember.amp.native()`` says which).
"""
import functools

from . import _C

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "native"]


def is_autocast_enabled(device_type=None):
    """torch.is_autocast_enabled: whether autocast is on in this thread."""
    return _C.is_autocast_enabled()


def get_autocast_dtype(device_type="cpu"):
    """torch.get_autocast_dtype: the lower-precision type, bfloat16 on the CPU."""
    return _C.dtype.bfloat16


def native():
    """True when this CPU multiplies bfloat16 natively (AVX512_BF16 or AMX through oneDNN)."""
    return _C._autocast_native()


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager
    and decorator. device_type "cpu" (Ember's device); dtype bfloat16 (the default and the only
    CPU autocast type here: float16 raises)."""

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise TypeError(f"autocast: device_type must be a string such as 'cpu', got {type(device_type).__name__}")
        if device_type != "cpu" and enabled:
            raise _C.Error(f"autocast: device_type '{device_type}' has no backend in this build of Ember; "
                           "use device_type='cpu'")
        self.device_type = device_type
        self.fast_dtype = _C.dtype.bfloat16 if dtype is None else dtype
        self._enabled = bool(enabled)
        if self._enabled and self.fast_dtype != _C.dtype.bfloat16:
            raise _C.Error(f"autocast: dtype {self.fast_dtype} is not supported on the CPU; use ember.bfloat16")

    def __enter__(self):
        self._prev = _C.is_autocast_enabled()
        if self.device_type == "cpu":
            _C._set_autocast_enabled(self._enabled, _C.dtype.bfloat16)
        return self

    def __exit__(self, *exc):
        _C._set_autocast_enabled(self._prev, _C.dtype.bfloat16)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self._enabled):
                return fn(*args, **kwargs)
        return wrapper
