"""Python Modules over C++ layers. A wrapper holds ``self._cpp`` (the bound ember::nn layer) and
registers the C++ layer's own tensors (same TensorImpls) as its Parameters and buffers, and its C++
children as wrapper children, so state_dict names, optimizers, ``.grad`` and ``load_state_dict`` all
act on what the C++ forward reads."""
from ... import _C
from ..._C import Tensor
from ..parameter import Parameter
from .module import Module, _tensor_key

_nn = _C._nn
_WRAPPERS = {}  # C++ class -> Python wrapper class


def _adopt_tensor(t, memo, as_param):
    key = ("t", _tensor_key(t))
    obj = memo.get(key)
    if obj is None:
        obj = memo[key] = Parameter._wrap(t) if as_param else t
    return obj


def wrap_cpp(cpp, memo=None):
    """The Python module over C++ module `cpp` (its registered wrapper class, or CppModule)."""
    memo = {} if memo is None else memo
    key = ("m", id(cpp))
    if key in memo:
        return memo[key]
    cls = _WRAPPERS.get(type(cpp), CppModule)
    if not isinstance(cls, type):  # a factory (C++ containers -> Python containers)
        return cls(cpp, memo)
    obj = cls.__new__(cls)
    Module.__init__(obj)
    memo[key] = obj
    obj._adopt(cpp, memo)
    return obj


class CppModule(Module):
    """A Module whose computation is a C++ ember::nn layer (``self._cpp``)."""

    _cpp_class = None
    _cpp_attrs = ()  # attributes read from the C++ layer (in_features, ...)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_cpp_class") is not None:
            _WRAPPERS[cls._cpp_class] = cls

    def _adopt(self, cpp, memo=None):
        memo = {} if memo is None else memo
        memo[("m", id(cpp))] = self
        d = self.__dict__
        d["_cpp"] = cpp
        for name, t in cpp._named_parameters():
            self._parameters[name] = _adopt_tensor(t, memo, True)
        for name, t in cpp._named_buffers():
            self._buffers[name] = _adopt_tensor(t, memo, False)
        for name, child in cpp._named_children():
            self._modules[name] = wrap_cpp(child, memo)
        d["training"] = cpp.training
        for a in self._cpp_attrs:
            d[a] = getattr(cpp, a)

    def _finish(self, device=None, dtype=None):
        """PyTorch's factory kwargs: device (CPU only) and dtype, applied after construction."""
        if device is not None:
            dev = _C.device(device) if isinstance(device, str) else device
            if dev.type != "cpu":
                raise _C.Error(f"{self._get_name()}: device {dev} is not supported yet (parameters live on the CPU)")
        if dtype is not None:
            self.to(dtype)

    # Writes reach the C++ layer: a replaced parameter or buffer is what its forward reads next.
    def register_parameter(self, name, param):
        super().register_parameter(name, param)
        if "_cpp" in self.__dict__:
            self._cpp._set_param(name, param)

    def _set_buffer(self, name, tensor):
        super()._set_buffer(name, tensor)
        if "_cpp" in self.__dict__:
            self._cpp._set_buffer(name, tensor)

    def _set_module(self, name, module):
        if "_cpp" in self.__dict__ and name in self._modules:
            raise TypeError(f"cannot replace '{name}' of {self._get_name()}: it is a C++ layer's submodule, which "
                            "its C++ forward calls directly; build a Python module instead")
        super()._set_module(name, module)

    def _absent(self, *names):
        # PyTorch registers absent optional tensors as None (bias=False); the C++ layer just has none.
        for n in names:
            if n not in self._parameters:
                self._parameters[n] = None

    def train(self, mode=True):
        super().train(mode)
        self._cpp.train(mode)
        return self

    def forward(self, *args, **kwargs):
        return self._cpp.forward(*args, **kwargs)

    def extra_repr(self):
        return self._cpp.extra_repr()

    def _get_name(self):
        return type(self).__name__ if type(self) is not CppModule else self._cpp._type_name()


class _Layer1(CppModule):
    """A C++ layer with forward(input) -> Tensor."""

    def forward(self, input):
        try:
            return self._cpp.forward(input)
        except TypeError:
            if not isinstance(input, Tensor):
                raise TypeError(f"{self._get_name()}.forward(): argument 'input' must be Tensor, "
                                f"not {type(input).__name__}") from None
            raise
