"""MultiheadAttention and the Transformer layers over their C++ counterparts (torch.nn names:
self_attn, linear1, norm1, layers.N, ...), and nn.Transformer composed from them as PyTorch does."""
from ... import _C
from .. import functional as F
from ..init import xavier_uniform_
from ._cpp import CppModule, wrap_cpp
from .container import ModuleList
from .layers import LayerNorm, NonDynamicallyQuantizableLinear
from .module import Module

_nn = _C._nn


class MultiheadAttention(CppModule):
    """forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (attn_output, attn_weights or None)."""

    _cpp_class = _nn.MultiheadAttention
    _cpp_attrs = ("embed_dim", "num_heads", "head_dim", "kdim", "vdim", "dropout", "batch_first")

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported by ember")
        self._adopt(_nn.MultiheadAttention(embed_dim, num_heads, float(dropout), bias, batch_first, kdim, vdim))
        self._finish(device, dtype)

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        d = self.__dict__
        d["_qkv_same_embed_dim"] = "in_proj_weight" in self._parameters
        self._absent("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias")
        d["bias_k"] = d["bias_v"] = None
        d["add_zero_attn"] = False
        self._modules["out_proj"].__class__ = NonDynamicallyQuantizableLinear

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        return self._cpp.forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                                 is_causal)

    def extra_repr(self):
        return ""


def _activation_name(activation, cls):
    if isinstance(activation, str):
        return activation
    if activation is F.relu:
        return "relu"
    if activation is F.gelu:
        return "gelu"
    raise NotImplementedError(f"{cls}: activation must be 'relu', 'gelu', F.relu or F.gelu in ember")


class TransformerEncoderLayer(CppModule):
    _cpp_class = _nn.TransformerEncoderLayer
    _cpp_attrs = ("batch_first", "norm_first")

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if not bias:
            raise NotImplementedError("TransformerEncoderLayer(bias=False) is not supported by ember")
        self._adopt(_nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, float(dropout),
                                                _activation_name(activation, "TransformerEncoderLayer"),
                                                layer_norm_eps, batch_first, norm_first))
        self._finish(device, dtype)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        return self._cpp.forward(src, src_mask, src_key_padding_mask, bool(is_causal))

    def extra_repr(self):
        return ""


class TransformerDecoderLayer(CppModule):
    _cpp_class = _nn.TransformerDecoderLayer
    _cpp_attrs = ("batch_first", "norm_first")

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if not bias:
            raise NotImplementedError("TransformerDecoderLayer(bias=False) is not supported by ember")
        self._adopt(_nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, float(dropout),
                                                _activation_name(activation, "TransformerDecoderLayer"),
                                                layer_norm_eps, batch_first, norm_first))
        self._finish(device, dtype)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        return self._cpp.forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                                 bool(tgt_is_causal), bool(memory_is_causal))

    def extra_repr(self):
        return ""


def _cpp_of(module, what, cls, expected):
    if module is None:
        return None
    if not isinstance(module, expected) or module._cpp is None:
        raise TypeError(f"{cls}(): argument '{what}' must be an ember.nn.{expected.__name__}, "
                        f"not {type(module).__name__}")
    return module._cpp


class TransformerEncoder(CppModule):
    """num_layers copies of encoder_layer (its arguments and initial values), then the optional norm."""

    _cpp_class = _nn.TransformerEncoder
    _cpp_attrs = ("num_layers",)

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        cpp = _nn.TransformerEncoder(_cpp_of(encoder_layer, "encoder_layer", "TransformerEncoder",
                                             TransformerEncoderLayer), num_layers,
                                     _cpp_of(norm, "norm", "TransformerEncoder", LayerNorm))
        self._adopt(cpp, {} if norm is None else {("m", id(norm._cpp)): norm})
        self._modules.setdefault("norm", None)

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        return self._cpp.forward(src, mask, src_key_padding_mask, bool(is_causal))

    def extra_repr(self):
        return ""


class TransformerDecoder(CppModule):
    _cpp_class = _nn.TransformerDecoder
    _cpp_attrs = ("num_layers",)

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        cpp = _nn.TransformerDecoder(_cpp_of(decoder_layer, "decoder_layer", "TransformerDecoder",
                                             TransformerDecoderLayer), num_layers,
                                     _cpp_of(norm, "norm", "TransformerDecoder", LayerNorm))
        self._adopt(cpp, {} if norm is None else {("m", id(norm._cpp)): norm})
        self._modules.setdefault("norm", None)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        return self._cpp.forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
                                 bool(tgt_is_causal), bool(memory_is_causal))

    def extra_repr(self):
        return ""


class Transformer(Module):
    """torch.nn.Transformer: an encoder and a decoder stack with final LayerNorms, xavier-initialized."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, LayerNorm(d_model, eps=layer_norm_eps))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, LayerNorm(d_model, eps=layer_norm_eps))
        for p in self.parameters():
            if p.dim() > 1:
                xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        if dtype is not None:
            self.to(dtype)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        return _nn.generate_square_subsequent_mask(sz, dtype or _C.dtype.float32)
