"""Argument parsing shared by ember.nn's layers and functional ops: PyTorch's int-or-tuple sizes."""
from .._C import Tensor


def _ntuple(value, n, fn, arg, allow_none=False):
    """int or length-n sequence of ints -> list of n ints; a TypeError names `fn` and `arg`."""
    if value is None and allow_none:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    raise TypeError(f"{fn}(): argument '{arg}' must be an int or a tuple of {n} ints, not {value!r}")


def _pair(value, fn, arg):
    return _ntuple(value, 2, fn, arg)


def _single(value, fn, arg):
    return _ntuple(value, 1, fn, arg)[0]


def _same_padding(kernel_size, dilation, fn):
    """padding='same' for stride 1: symmetric padding, when the total dilation * (k - 1) is even."""
    pads = []
    for k, d in zip(kernel_size, dilation):
        total = d * (k - 1)
        if total % 2:
            raise ValueError(f"{fn}(): padding='same' with an even effective kernel size ({k}, dilation {d}) needs "
                             "asymmetric padding, which ember does not support; pad explicitly")
        pads.append(total // 2)
    return pads


def _conv_padding(padding, kernel_size, stride, dilation, n, fn):
    if isinstance(padding, str):
        if padding == "valid":
            return [0] * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{fn}(): padding='same' is not supported for strided convolutions")
            return _same_padding(kernel_size, dilation, fn)
        raise ValueError(f"{fn}(): invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    return _ntuple(padding, n, fn, "padding")


def _type_name(x):
    return "Tensor" if isinstance(x, Tensor) else type(x).__name__


def _check_tensor(fn, arg, value, optional=False):
    if isinstance(value, Tensor) or (optional and value is None):
        return
    raise TypeError(f"{fn}(): argument '{arg}' must be {'Tensor or None' if optional else 'Tensor'}, "
                    f"not {_type_name(value)}")
