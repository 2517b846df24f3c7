"""default_collate / default_convert (torch.utils.data._utils.collate): samples -> a batch."""
import collections.abc

from ... import _C
from ..._C import Tensor

__all__ = ["default_collate", "default_convert"]


def _from_numpy(a):
    import ember
    f = getattr(ember, "from_numpy", None)
    return f(a) if f is not None else _C.tensor(a.tolist())


def _is_numpy(x):
    return type(x).__module__ == "numpy"


def default_collate(batch):
    """Stacks tensors (and numpy arrays) along a new first dim; ints, floats and bools become
    1-D tensors (int64, float64, bool); strings stay lists; tuples, lists, dicts and namedtuples
    are collated field by field (a tuple sample gives a list, as in PyTorch)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.data.stack(list(batch))
    if _is_numpy(elem):
        if getattr(elem, "dtype", None) is not None and elem.dtype.kind in "SUaO":
            raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or lists; found {elem.dtype}")
        if getattr(elem, "shape", ()) == ():
            return default_collate([b.item() for b in batch])
        return default_collate([_from_numpy(b) for b in batch])
    if isinstance(elem, float):
        return _C.tensor(list(batch), dtype=_C.dtype.float64)
    if isinstance(elem, int):  # bool included: a bool tensor
        return _C.tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        out = {k: default_collate([d[k] for d in batch]) for k in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        n = len(elem)
        if any(len(b) != n for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    + type(elem).__name__)


def default_convert(data):
    """batch_size=None: numpy arrays become tensors, containers are converted element-wise."""
    if _is_numpy(data) and getattr(data, "shape", ()) != ():
        return _from_numpy(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data
