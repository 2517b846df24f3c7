"""``ember.save`` / ``ember.load`` in the safetensors format (files written atomically by the C++ writer).

A dict of tensors (a state_dict) is saved as plain safetensors, so PyTorch's ``safetensors.torch.load_file``
reads it and ``ember.load`` reads files written by ``safetensors.torch.save_file``. A single tensor, or a
nested container (``{"model": sd, "optimizer": opt.state_dict(), "epoch": 3}``), is saved as its tensors under
dotted keys plus the structure (JSON, with the non-tensor values) in the file's metadata."""
from collections import OrderedDict
import json
import os

from . import _C
from ._C import Tensor

_io = _C._io
_STRUCTURE = "ember.structure"  # metadata key of the nested form


def _is_flat(obj):
    return isinstance(obj, dict) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def _encode(obj, path, tensors):
    """JSON-able description of obj; tensors go to `tensors` under dotted keys."""
    if isinstance(obj, Tensor):
        key = path or "tensor"
        if key in tensors:
            raise ValueError(f"ember.save: two entries flatten to the same key {key!r}")
        tensors[key] = obj.detach()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"ember.save: dict keys must be str or int, got {type(k).__name__} at {path or 'top'}")
            items.append([k, _encode(v, f"{path}.{k}" if path else str(k), tensors)])
        return {"__dict__": items, "ordered": isinstance(obj, OrderedDict)}
    if isinstance(obj, (list, tuple)):
        enc = [_encode(v, f"{path}.{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"__tuple__": enc} if isinstance(obj, tuple) else {"__list__": enc}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"__value__": obj}
    raise TypeError(f"ember.save: cannot save a {type(obj).__name__} (at {path or 'top'}); supported: tensors, "
                    "dicts, lists, tuples, numbers, strings and None")


def _decode(desc, tensors):
    if "__tensor__" in desc:
        return tensors[desc["__tensor__"]]
    if "__dict__" in desc:
        d = OrderedDict() if desc.get("ordered") else {}
        for k, v in desc["__dict__"]:
            d[k] = _decode(v, tensors)
        return d
    if "__list__" in desc:
        return [_decode(v, tensors) for v in desc["__list__"]]
    if "__tuple__" in desc:
        return tuple(_decode(v, tensors) for v in desc["__tuple__"])
    return desc["__value__"]


def _path(f, fn):
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    raise TypeError(f"{fn}(): argument 'f' must be a path (str or os.PathLike), not {type(f).__name__}; "
                    "file objects are not supported")


def save(obj, f, metadata=None):
    """Saves a tensor, a state_dict, or a nested container of tensors and plain values to path `f`.

    metadata: optional {str: str} stored in the safetensors header."""
    path = _path(f, "save")
    meta = dict(metadata or {})
    if _is_flat(obj):
        tensors = [(k, v.detach()) for k, v in obj.items()]
    else:
        flat = {}
        meta[_STRUCTURE] = json.dumps(_encode(obj, "", flat))
        tensors = list(flat.items())
    _io.save_safetensors(path, tensors, meta)


def load(f, map_location=None, weights_only=True, mmap=None, **kwargs):
    """Loads what ``save`` wrote, or any safetensors file (an OrderedDict of tensors in file order)."""
    path = _path(f, "load")
    if map_location is not None and str(map_location) != "cpu" and getattr(map_location, "type", "cpu") != "cpu":
        raise _C.Error(f"load: map_location={map_location!r} is not supported (tensors load on the CPU)")
    tensors, meta = _io.load_safetensors(path)
    if _STRUCTURE in meta:
        return _decode(json.loads(meta[_STRUCTURE]), dict(tensors))
    return OrderedDict(tensors)


def load_metadata(f):
    """The safetensors header's ``__metadata__`` ({str: str}) of a file."""
    return _io.load_safetensors(_path(f, "load_metadata"))[1]
