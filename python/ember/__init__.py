"""Ember: a deep-learning framework with a C++20 core and PyTorch's names.

Code written for PyTorch runs with its imports changed: ``import ember as torch``,
``import ember.nn as nn``, ``import ember.optim as optim``.
"""
from . import _C
from ._C import Error, Tensor, device, dtype, promote_types
from ._C import manual_seed, set_num_threads, get_num_threads, is_grad_enabled
from ._C import tensor, zeros, ones, empty, rand, randn
from ._C import relu, softmax, log_softmax, matmul, sum, mean

# dtypes, with PyTorch's aliases
bool = dtype.bool  # noqa: A001 (shadows the builtin inside this namespace, as torch.bool does)
int32 = int = dtype.int32  # noqa: A001
int64 = long = dtype.int64
float16 = half = dtype.float16
bfloat16 = dtype.bfloat16
float32 = float = dtype.float32  # noqa: A001
float64 = double = dtype.float64

from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode  # noqa: E402
from . import autograd  # noqa: E402

__version__ = "0.1.0"
from . import optim, utils, datasets, transforms  # noqa: E402
from . import nn  # noqa: E402
from .serialization import save, load  # noqa: E402
