"""Recurrent layers and cells over their C++ counterparts (torch.nn.RNN/LSTM/GRU and cells): PyTorch's
arguments, parameter names (weight_ih_l0, ..._reverse), return values and PackedSequence input."""
from ... import _C
from ._cpp import CppModule

_nn = _C._nn


class RNNBase(CppModule):
    _cpp_attrs = ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")

    def _build(self, cpp, proj_size, device, dtype):
        if proj_size:
            raise NotImplementedError(f"{type(self).__name__}(proj_size={proj_size}) is not supported by ember")
        self._adopt(cpp)
        self._finish(device, dtype)

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self.__dict__["proj_size"] = 0
        self.__dict__["_flat_weights_names"] = list(self._parameters)

    @property
    def _flat_weights(self):
        return [self._parameters[n] for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        pass  # cuDNN's weight layout; nothing to do on ember

    def reset_parameters(self):
        self._cpp.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


class RNN(RNNBase):
    """Elman RNN (tanh or relu). forward(input, hx=None) -> (output, h_n)."""

    _cpp_class = _nn.RNN

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        self._build(_nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first, float(dropout),
                            bidirectional), 0, device, dtype)

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self.__dict__["nonlinearity"] = cpp.nonlinearity

    def forward(self, input, hx=None):
        return self._cpp.forward(input, hx)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else "")


def _forward_padded(self, input, lengths):
    """input (B, T, I) with batch_first (else (T, B, I)) padded, lengths (B) int64: what
    pack_padded_sequence, forward and pad_packed_sequence(total_length=T) give, as one op that
    ember.onnx.export writes as ONNX's LSTM / GRU. GRU: (output, h_n); LSTM: (output, (h_n, c_n))."""
    out, h, c = self._cpp.forward_padded(input, lengths)
    return (out, (h, c)) if c is not None else (out, h)


class GRU(RNNBase):
    """forward(input, hx=None) -> (output, h_n)."""

    _cpp_class = _nn.GRU

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__()
        self._build(_nn.GRU(input_size, hidden_size, num_layers, bias, batch_first, float(dropout), bidirectional),
                    0, device, dtype)

    def forward(self, input, hx=None):
        return self._cpp.forward(input, hx)

    forward_padded = _forward_padded


class LSTM(RNNBase):
    """forward(input, hx=None) with hx = (h_0, c_0) -> (output, (h_n, c_n))."""

    _cpp_class = _nn.LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self._build(_nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first, float(dropout), bidirectional),
                    proj_size, device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            out, h, c = self._cpp.forward(input)
        else:
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError("LSTM.forward(): argument 'hx' must be a tuple (h_0, c_0)")
            out, h, c = self._cpp.forward(input, hx[0], hx[1])
        return out, (h, c)

    forward_padded = _forward_padded


class RNNCellBase(CppModule):
    _cpp_attrs = ("input_size", "hidden_size", "bias")

    def _adopt(self, cpp, memo=None):
        super()._adopt(cpp, memo)
        self._absent("bias_ih", "bias_hh")

    def reset_parameters(self):
        self._cpp.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    _cpp_class = _nn.RNNCell
    _cpp_attrs = RNNCellBase._cpp_attrs + ("nonlinearity",)

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__()
        self._adopt(_nn.RNNCell(input_size, hidden_size, bias, nonlinearity))
        self._finish(device, dtype)

    def forward(self, input, hx=None):
        return self._cpp.forward(input, hx)


class GRUCell(RNNCellBase):
    _cpp_class = _nn.GRUCell

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self._adopt(_nn.GRUCell(input_size, hidden_size, bias))
        self._finish(device, dtype)

    def forward(self, input, hx=None):
        return self._cpp.forward(input, hx)


class LSTMCell(RNNCellBase):
    """forward(input, hx=None) with hx = (h, c) -> (h', c')."""

    _cpp_class = _nn.LSTMCell

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self._adopt(_nn.LSTMCell(input_size, hidden_size, bias))
        self._finish(device, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            return self._cpp.forward(input)
        return self._cpp.forward(input, hx[0], hx[1])
