"""``ember.nn`` (torch.nn): Module, Parameter, layers, losses, ``functional``, ``init`` and ``utils``.

Layers with a C++ counterpart (Linear, Conv2d, LSTM, TransformerEncoderLayer, ...) are Python Modules
over the C++ layer, sharing its tensors; Python modules and C++ layers mix at any depth."""
from .. import _C
from .parameter import Parameter, Buffer
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _module_names
from . import functional, init, utils
from .utils.rnn import PackedSequence


def sinusoidal_positional_encoding(max_len, d_model, dtype=None):
    """The (max_len, d_model) sine/cosine table of "Attention Is All You Need" (no gradient)."""
    return _C._nn.sinusoidal_positional_encoding(max_len, d_model, dtype or _C.dtype.float32)


__all__ = ["Parameter", "Buffer", "functional", "init", "utils", "PackedSequence",
           "sinusoidal_positional_encoding"] + _module_names
from . import parallel  # noqa: E402 (ember.nn.parallel.DistributedDataParallel)
