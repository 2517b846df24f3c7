"""The seed's MNIST CNN as C++ has it (ember::models::MnistCNN): conv1, conv2, fc1, fc2."""
from .. import _C
from ..nn.modules._cpp import CppModule
from ._util import check_int, check_tensor


class MnistCNN(CppModule):
    """(N, 1, 28, 28) -> (N, 10) log-probabilities; fc1_in 64 * 12 * 12 (see mnist_cnn.h)."""

    _cpp_class = _C._nn._MnistCNN

    def __init__(self, fc1_in=64 * 12 * 12, dropout=0.0):
        super().__init__()
        check_int("MnistCNN", "fc1_in", fc1_in)
        self._adopt(_C._nn._MnistCNN(fc1_in, float(dropout)))

    def forward(self, x):
        check_tensor("MnistCNN.forward", "x", x)
        return self._cpp.forward(x)

    def _get_name(self):
        return "Net"
