"""Ember: a deep-learning framework with a C++20 core and PyTorch's names.

Code written for PyTorch runs with its imports changed: ``import ember as torch``,
``import ember.nn as nn``, ``import ember.optim as optim``.
"""
from . import _C
from ._C import Error, Tensor, device, dtype, promote_types
from ._C import manual_seed, set_num_threads, get_num_threads, is_grad_enabled
# creation and random numbers
from ._C import (tensor, as_tensor, from_numpy, from_dlpack, scalar_tensor, zeros, ones, empty, full,
                 zeros_like, ones_like, empty_like, full_like, arange, linspace, eye, rand, randn, randint,
                 randperm, bernoulli, normal, rand_like, randn_like, randint_like, Generator, default_generator,
                 seed, initial_seed, get_rng_state, set_rng_state)
# elementwise
from ._C import (add, sub, subtract, rsub, mul, multiply, div, divide, true_divide, pow, maximum, minimum,
                 neg, negative, exp, log, log1p, erf, sqrt, rsqrt, square, abs, absolute, sign, sin, cos,
                 tanh, sigmoid, relu, reciprocal, clamp, clip, clamp_min, clamp_max, where, addcmul, addcdiv,
                 eq, ne, not_equal, lt, less, le, less_equal, gt, greater, ge, greater_equal, logical_and,
                 logical_or, logical_xor, logical_not, isnan, isinf, isfinite, isclose, allclose, equal)
# reductions
from ._C import (sum, mean, var, std, var_mean, std_mean, amax, amin, max, min, argmax, argmin, logsumexp,
                 norm, prod, cumsum, any, all, count_nonzero, softmax, log_softmax)
# shape, indexing, linear algebra
from ._C import (cat, concat, concatenate, stack, hstack, vstack, split, chunk, unbind, index_select, gather,
                 scatter_add, masked_fill, masked_select, nonzero, argwhere, tril, triu, flatten, unflatten,
                 reshape, transpose, swapaxes, swapdims, permute, squeeze, unsqueeze, narrow, select, t,
                 movedim, moveaxis, flip, broadcast_to, broadcast_tensors, broadcast_shapes, clone, numel,
                 is_tensor, is_floating_point, matmul, mm, bmm, dot, mv, outer, ger, addmm)

# dtypes, with PyTorch's aliases
bool = dtype.bool  # noqa: A001 (shadows the builtin inside this namespace, as torch.bool does)
int32 = int = dtype.int32  # noqa: A001
int64 = long = dtype.int64
float16 = half = dtype.float16
bfloat16 = dtype.bfloat16
float32 = float = dtype.float32  # noqa: A001
float64 = double = dtype.float64

from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode, is_anomaly_enabled  # noqa: E402
from . import amp  # noqa: E402
from . import explain  # noqa: E402
from . import onnx  # noqa: E402
from .amp import autocast, is_autocast_enabled, get_autocast_dtype  # noqa: E402
from . import autograd  # noqa: E402
from . import nn, optim, utils, datasets, transforms, text  # noqa: E402
from . import models, train, cuda, distributed  # noqa: E402
from .serialization import save, load  # noqa: E402

__version__ = "0.1.0"
