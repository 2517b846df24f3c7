"""``ember.nn.functional`` (torch.nn.functional): activations, convolution, pooling, normalization,
attention and losses, with PyTorch's signatures; each parses its arguments and calls the C++ op."""
import functools
import inspect

from .. import _C
from .._C import Tensor
from ._utils import _check_tensor, _conv_padding, _ntuple, _pair, _single, _type_name

_nn = _C._nn

_TENSOR_ARGS = {"input", "weight", "target", "query", "key", "value", "tensor", "running_mean", "running_var",
                "bias", "attn_mask", "pos_weight"}
_OPTIONAL = {"bias", "weight", "running_mean", "running_var", "attn_mask", "pos_weight"}


def _typed(fn):
    """On a TypeError from the C++ call, names the argument that is not a Tensor (PyTorch's message);
    costs nothing on the normal path."""
    sig = inspect.signature(fn)
    optional_here = {n for n in _OPTIONAL if n in sig.parameters and sig.parameters[n].default is None}

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                raise
            for name, value in bound.arguments.items():
                if name in _TENSOR_ARGS:
                    _check_tensor(fn.__name__, name, value, optional=name in optional_here)
            raise

    return wrapper


# ---- activations ----
@_typed
def relu(input, inplace=False):
    return _nn.relu(input)


def relu_(input):
    return input.copy_(_nn.relu(input))


@_typed
def relu6(input, inplace=False):
    return _nn.clamp(input, 0, 6)


@_typed
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _nn.clamp(input, min_val, max_val)


@_typed
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _nn.leaky_relu(input, negative_slope)


@_typed
def gelu(input, approximate="none"):
    return _nn.gelu(input, approximate)


@_typed
def silu(input, inplace=False):
    return _nn.silu(input)


@_typed
def sigmoid(input):
    return _nn.sigmoid(input)


@_typed
def tanh(input):
    return _nn.tanh(input)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


@_typed
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _nn.softmax(input, _softmax_dim(input.dim()) if dim is None else dim)


@_typed
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _nn.log_softmax(input, _softmax_dim(input.dim()) if dim is None else dim)


@_typed
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


@_typed
def dropout(input, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return _nn.dropout(input, p, training)


# ---- linear, convolution, pooling ----
@_typed
def linear(input, weight, bias=None):
    return _nn.linear(input, weight, bias)


@_typed
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _single(stride, "conv1d", "stride"), _single(dilation, "conv1d", "dilation")
    _check_tensor("conv1d", "weight", weight)
    padding = _conv_padding(padding, [weight.shape[-1]], [stride], [dilation], 1, "conv1d")[0]
    return _nn.conv1d(input, weight, bias, stride, padding, dilation, groups)


@_typed
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    stride, dilation = _pair(stride, "conv2d", "stride"), _pair(dilation, "conv2d", "dilation")
    _check_tensor("conv2d", "weight", weight)
    padding = _conv_padding(padding, list(weight.shape[-2:]), stride, dilation, 2, "conv2d")
    return _nn.conv2d(input, weight, bias, stride, padding, dilation, groups)


@_typed
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    f = "conv_transpose2d"
    return _nn.conv_transpose2d(input, weight, bias, _pair(stride, f, "stride"), _pair(padding, f, "padding"),
                                _pair(output_padding, f, "output_padding"), groups, _pair(dilation, f, "dilation"))


@_typed
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not supported by ember")
    f = "max_pool2d"
    k = _pair(kernel_size, f, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, f, "stride")
    return _nn.max_pool2d(input, k, s, _pair(padding, f, "padding"), _pair(dilation, f, "dilation"), ceil_mode)


@_typed
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if divisor_override is not None:
        raise NotImplementedError("avg_pool2d(divisor_override=...) is not supported by ember")
    f = "avg_pool2d"
    k = _pair(kernel_size, f, "kernel_size")
    s = k if stride is None or stride == [] else _pair(stride, f, "stride")
    return _nn.avg_pool2d(input, k, s, _pair(padding, f, "padding"), ceil_mode, count_include_pad)


@_typed
def adaptive_avg_pool2d(input, output_size):
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2 and None in output_size:
        _check_tensor("adaptive_avg_pool2d", "input", input)
        output_size = [input.shape[-2 + i] if v is None else v for i, v in enumerate(output_size)]
    return _nn.adaptive_avg_pool2d(input, _pair(output_size, "adaptive_avg_pool2d", "output_size"))


@_typed
def pad(input, pad, mode="constant", value=None):
    """Constant padding only: ``pad = (left, right, top, bottom, ...)`` from the last dim backwards."""
    if mode != "constant":
        raise NotImplementedError(f"pad(): mode={mode!r} is not supported by ember (only 'constant')")
    if not isinstance(pad, (tuple, list)) or not all(isinstance(p, int) for p in pad):
        raise TypeError(f"pad(): argument 'pad' must be a tuple of ints, not {_type_name(pad)}")
    return _nn.pad(input, list(pad), 0.0 if value is None else value)


# ---- normalization, embedding, attention ----
@_typed
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = [normalized_shape]
    return _nn.layer_norm(input, list(normalized_shape), weight, bias, eps)


@_typed
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return _nn.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@_typed
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding(): max_norm, scale_grad_by_freq and sparse are not supported by ember")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return _nn.embedding(input, weight, padding_idx)


@_typed
def one_hot(tensor, num_classes=-1):
    return _nn.one_hot(tensor, num_classes)


@_typed
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention(enable_gqa=True) is not supported by ember")
    return _nn.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)


# ---- losses ----
def _reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return ("mean" if size_average else "sum") if reduce else "none"


@_typed
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    return _nn.cross_entropy(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction),
                             label_smoothing)


@_typed
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    return _nn.nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))


@_typed
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _nn.mse_loss(input, target, _reduction(size_average, reduce, reduction))


@_typed
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _nn.l1_loss(input, target, _reduction(size_average, reduce, reduction))


@_typed
def distillation_loss(student_logits, teacher_logits, target, temperature=4.0, alpha=0.9):
    """Knowledge distillation (Hinton et al. 2015), Ember's own (no torch equivalent):
    alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T), "batchmean") + (1 - alpha) * cross_entropy(s, target);
    the teacher's logits get no gradient."""
    return _nn.distillation_loss(student_logits, teacher_logits, target, temperature, alpha)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _nn.binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))


@_typed
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    return _nn.binary_cross_entropy_with_logits(input, target, weight, _reduction(size_average, reduce, reduction),
                                                pos_weight)


@_typed
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    reduction = _reduction(size_average, reduce, reduction)
    if reduction == "batchmean":  # the KL divergence per batch element, as the math defines it
        out = _nn.kl_div(input, target, "sum", log_target)
        return out / input.shape[0] if input.dim() > 0 else out
    return _nn.kl_div(input, target, reduction, log_target)


def linear_cross_entropy(input, weight, target, ignore_index=-100):
    """ember's fused ``cross_entropy(linear(input, weight), target)`` (mean) that never holds the logits."""
    return _nn.linear_cross_entropy(input, weight, target, ignore_index)
