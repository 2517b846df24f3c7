"""Feed-forward layers over their C++ counterparts: Linear, convolutions, pooling, normalization,
dropout, embedding, activations, Flatten/Unflatten (PyTorch's constructor arguments and defaults)."""
from ... import _C
from ..._C import Tensor
from .. import functional as F
from .._utils import _conv_padding, _ntuple, _pair
from ..parameter import Parameter
from ._cpp import CppModule, _Layer1
from .module import Module

_nn = _C._nn


class Identity(Module):
    """Returns its input; accepts and ignores any constructor arguments (torch.nn.Identity)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(_Layer1):
    _cpp_class = _nn.Linear
    _cpp_attrs = ("in_features", "out_features")

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self._adopt(_nn.Linear(in_features, out_features, bias))
        self._absent("bias")
        self._finish(device, dtype)

    def reset_parameters(self):
        self._cpp.reset_parameters()


class NonDynamicallyQuantizableLinear(Linear):
    """MultiheadAttention.out_proj's class name in PyTorch (a plain Linear)."""

    _cpp_class = None


class _ConvNd(_Layer1):
    _n = 2

    def _common(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                output_padding=0):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not supported by ember (only 'zeros')")
        n = self._n
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = tuple(_ntuple(kernel_size, n, name, "kernel_size"))
        self.stride = tuple(_ntuple(stride, n, name, "stride"))
        self.dilation = tuple(_ntuple(dilation, n, name, "dilation"))
        self.padding = padding if isinstance(padding, str) else tuple(_ntuple(padding, n, name, "padding"))
        self.output_padding = tuple(_ntuple(output_padding, n, name, "output_padding"))
        self.padding_mode = padding_mode
        self.transposed = False
        return list(_conv_padding(padding, self.kernel_size, self.stride, self.dilation, n, name))

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self._absent("bias")
        d = self.__dict__
        if "kernel_size" not in d:  # a C++ layer's child: its arguments come from C++
            tup = (lambda v: (v,)) if self._n == 1 else tuple
            for a in ("in_channels", "out_channels", "groups"):
                d[a] = getattr(cpp, a)
            for a in ("kernel_size", "stride", "padding", "dilation"):
                d[a] = tup(getattr(cpp, a))
            d["output_padding"] = tuple(getattr(cpp, "output_padding", (0,) * self._n))
            d["padding_mode"], d["transposed"] = "zeros", hasattr(cpp, "output_padding")

    def extra_repr(self):
        n = self._n
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * n:
            s += ", padding={padding}"
        if self.dilation != (1,) * n:
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * n:
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        return s.format(**self.__dict__)


class Conv1d(_ConvNd):
    _cpp_class = _nn.Conv1d
    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        pad = self._common(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode)
        self._adopt(_nn.Conv1d(in_channels, out_channels, self.kernel_size[0], self.stride[0], pad[0],
                               self.dilation[0], groups, bias))
        self._absent("bias")
        self._finish(device, dtype)


class Conv2d(_ConvNd):
    _cpp_class = _nn.Conv2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        pad = self._common(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode)
        self._adopt(_nn.Conv2d(in_channels, out_channels, list(self.kernel_size), list(self.stride), pad,
                               list(self.dilation), groups, bias))
        self._absent("bias")
        self._finish(device, dtype)


class ConvTranspose2d(_ConvNd):
    _cpp_class = _nn.ConvTranspose2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        if isinstance(padding, str):
            raise TypeError("ConvTranspose2d(): argument 'padding' must be an int or a tuple of 2 ints")
        pad = self._common(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                           padding_mode, output_padding)
        self.transposed = True
        self._adopt(_nn.ConvTranspose2d(in_channels, out_channels, list(self.kernel_size), list(self.stride), pad,
                                        list(self.output_padding), groups, bias, list(self.dilation)))
        self._absent("bias")
        self._finish(device, dtype)


class MaxPool2d(_Layer1):
    _cpp_class = _nn.MaxPool2d

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d(return_indices=True) is not supported by ember")
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.dilation, self.return_indices, self.ceil_mode = padding, dilation, return_indices, ceil_mode
        f = "MaxPool2d"
        self._adopt(_nn.MaxPool2d(_pair(kernel_size, f, "kernel_size"), _pair(self.stride, f, "stride"),
                                  _pair(padding, f, "padding"), _pair(dilation, f, "dilation"), ceil_mode))

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Layer1):
    _cpp_class = _nn.AvgPool2d

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        if divisor_override is not None:
            raise NotImplementedError("AvgPool2d(divisor_override=...) is not supported by ember")
        self.kernel_size, self.stride = kernel_size, kernel_size if stride is None else stride
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = None
        f = "AvgPool2d"
        self._adopt(_nn.AvgPool2d(_pair(kernel_size, f, "kernel_size"), _pair(self.stride, f, "stride"),
                                  _pair(padding, f, "padding"), ceil_mode, count_include_pad))

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(_Layer1):
    _cpp_class = _nn.AdaptiveAvgPool2d

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size
        if isinstance(output_size, (tuple, list)) and None in output_size:
            self.__dict__["_cpp"] = None  # sizes taken from the input: the functional form
        else:
            self._adopt(_nn.AdaptiveAvgPool2d(_pair(output_size, "AdaptiveAvgPool2d", "output_size")))

    def forward(self, input):
        if self._cpp is None:
            return F.adaptive_avg_pool2d(input, self.output_size)
        return super().forward(input)

    def train(self, mode=True):
        return Module.train(self, mode) if self._cpp is None else super().train(mode)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _BatchNorm(_Layer1):
    _cpp_attrs = ("num_features", "eps", "momentum", "affine", "track_running_stats")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if momentum is None:
            raise NotImplementedError(f"{type(self).__name__}(momentum=None) (a cumulative average) is not supported "
                                      "by ember")
        self._adopt(self._cpp_class(num_features, eps, momentum, affine, track_running_stats))
        if affine and not bias:
            self.bias = None
        self._finish(device, dtype)

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self._absent("weight", "bias")
        for b in ("running_mean", "running_var", "num_batches_tracked"):
            self._buffers.setdefault(b, None)

    def extra_repr(self):
        return ("{num_features}, eps={eps}, momentum={momentum}, affine={affine}, bias={use_bias}, "
                "track_running_stats={track_running_stats}".format(**self.__dict__, use_bias=self.bias is not None))

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()


class BatchNorm1d(_BatchNorm):
    _cpp_class = _nn.BatchNorm1d


class BatchNorm2d(_BatchNorm):
    _cpp_class = _nn.BatchNorm2d


class LayerNorm(_Layer1):
    _cpp_class = _nn.LayerNorm

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        self._adopt(_nn.LayerNorm(shape, eps, elementwise_affine))
        if elementwise_affine and not bias:
            self.bias = None
        self._finish(device, dtype)

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self.__dict__["normalized_shape"] = tuple(cpp.normalized_shape)
        self.__dict__["eps"] = cpp.eps
        self.__dict__["elementwise_affine"] = "weight" in self._parameters
        self._absent("weight", "bias")

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class Dropout(_Layer1):
    """Zeroes elements with probability p in training (scaling the rest by 1 / (1 - p)); identity in eval."""

    _cpp_class = _nn.Dropout
    _cpp_attrs = ("p",)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise TypeError(f"Dropout(): argument 'p' must be a float, not {type(p).__name__}")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.inplace = inplace
        self._adopt(_nn.Dropout(float(p)))

    def extra_repr(self):
        return f"p={self.p}, inplace={getattr(self, 'inplace', False)}"


class Embedding(_Layer1):
    _cpp_class = _nn.Embedding
    _cpp_attrs = ("num_embeddings", "embedding_dim", "padding_idx")

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: max_norm, scale_grad_by_freq and sparse are not supported by ember")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("Padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self._adopt(_nn.Embedding(num_embeddings, embedding_dim, padding_idx))
        self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse = None, norm_type, False, False
        if _weight is not None:
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise ValueError("Shape of weight does not match num_embeddings and embedding_dim")
            self.weight = Parameter(_weight, requires_grad=not _freeze)
        self._finish(device, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        if embeddings.dim() != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=embeddings,
                   _freeze=freeze)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class LearnedPositionalEmbedding(Embedding):
    """ember's learned (max_len, d) position table (GPT-2's wpe): forward(positions) or forward_range(T, offset)."""

    _cpp_class = _nn.LearnedPositionalEmbedding

    def __init__(self, max_len, embedding_dim):
        CppModule.__init__(self)
        self._adopt(_nn.LearnedPositionalEmbedding(max_len, embedding_dim))

    def forward_range(self, length, offset=0):
        return self._cpp.forward_range(length, offset)


# ---- activations (PyTorch's `inplace` is accepted; ember computes out of place) ----
class ReLU(_Layer1):
    _cpp_class = _nn.ReLU

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
        self._adopt(_nn.ReLU())

    def extra_repr(self):
        return "inplace=True" if getattr(self, "inplace", False) else ""


class Tanh(_Layer1):
    _cpp_class = _nn.Tanh

    def __init__(self):
        super().__init__()
        self._adopt(_nn.Tanh())


class Sigmoid(_Layer1):
    _cpp_class = _nn.Sigmoid

    def __init__(self):
        super().__init__()
        self._adopt(_nn.Sigmoid())


class SiLU(_Layer1):
    _cpp_class = _nn.SiLU

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
        self._adopt(_nn.SiLU())

    def extra_repr(self):
        return "inplace=True" if getattr(self, "inplace", False) else ""


class LeakyReLU(_Layer1):
    _cpp_class = _nn.LeakyReLU
    _cpp_attrs = ("negative_slope",)

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.inplace = inplace
        self._adopt(_nn.LeakyReLU(negative_slope))

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if getattr(self, "inplace", False) else "")


class GELU(_Layer1):
    _cpp_class = _nn.GELU
    _cpp_attrs = ("approximate",)

    def __init__(self, approximate="none"):
        super().__init__()
        self._adopt(_nn.GELU(approximate))

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class ReLU6(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu6(input)


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmax(Module):
    """softmax over `dim` (None: PyTorch's legacy choice, 0 for 0-, 1- and 3-d input, else 1)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Softmin(Softmax):
    def forward(self, input):
        return F.softmin(input, self.dim)


class Flatten(_Layer1):
    _cpp_class = _nn.Flatten
    _cpp_attrs = ("start_dim", "end_dim")

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self._adopt(_nn.Flatten(start_dim, end_dim))

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(_Layer1):
    _cpp_class = _nn.Unflatten
    _cpp_attrs = ("dim", "unflattened_size")

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise NotImplementedError("Unflatten with a named dim is not supported by ember")
        self._adopt(_nn.Unflatten(dim, list(unflattened_size)))

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self.__dict__["unflattened_size"] = tuple(self.unflattened_size)  # a tuple, as PyTorch's

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
