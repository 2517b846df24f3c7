"""ember.nn's Module classes (one file per family, as torch/nn/modules)."""
from .module import Module, RemovableHandle
from ._cpp import CppModule
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .layers import (Identity, Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d,
                     BatchNorm1d, BatchNorm2d, LayerNorm, Dropout, Embedding, LearnedPositionalEmbedding, ReLU,
                     ReLU6, Hardtanh, Tanh, Sigmoid, SiLU, LeakyReLU, GELU, Softmax, LogSoftmax, Softmin, Flatten,
                     Unflatten)
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from .transformer import (MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder,
                          TransformerDecoder, Transformer)
from .loss import L1Loss, MSELoss, NLLLoss, CrossEntropyLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss

__all__ = [k for k, v in dict(globals()).items() if isinstance(v, type) and not k.startswith("_")]
