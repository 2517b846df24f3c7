"""ember.optim: PyTorch's optimizers (C++ updates) and learning-rate schedulers."""
from .optimizer import Optimizer, OptionError
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from . import lr_scheduler
from .._C.optim import clip_grad_norm_, clip_grad_value_, l1_penalty

__all__ = ["Optimizer", "OptionError", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler",
           "clip_grad_norm_", "clip_grad_value_", "l1_penalty"]
