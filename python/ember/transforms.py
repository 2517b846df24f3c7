"""Image transforms with torchvision's names, on (C, H, W) float tensors. Normalize, RandomCrop,
RandomHorizontalFlip, RandomAffine and a Compose of only those are C++ (the DataLoader's threads
run them without the GIL); any Python callable works too, through Python. Random transforms
called from Python draw from ember's global generator; inside a DataLoader they draw from the
loader's per-sample generator (repeatable from its seed)."""
import numbers

from . import _C
from ._C import Tensor

__all__ = ["Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomAffine", "ToTensor", "Lambda",
           "InterpolationMode"]


class InterpolationMode:
    NEAREST = "nearest"
    BILINEAR = "bilinear"


class _Cpp:
    """A transform with a C++ twin `_cpp`."""

    def __call__(self, img):
        if not isinstance(img, Tensor):
            raise TypeError(f"{type(self).__name__}: expected an ember.Tensor image (C, H, W), got {type(img).__name__}")
        return self._cpp(img)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _cpp_of(t):
    return getattr(t, "_cpp", None)


class Compose(_Cpp):
    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: {type(t).__name__} is not callable")
        cpps = [_cpp_of(t) for t in self.transforms]
        self._cpp = _C.data.Compose(cpps) if all(c is not None for c in cpps) else None

    def __call__(self, img):
        if self._cpp is not None:
            return super().__call__(img)
        for t in self.transforms:
            img = t(img)
        return img


def _seq(who, name, v):
    if isinstance(v, numbers.Number):
        return [float(v)]
    try:
        return [float(x) for x in v]
    except TypeError:
        raise TypeError(f"{who}(): argument '{name}' must be a number or a sequence of numbers") from None


class Normalize(_Cpp):
    """(x - mean[c]) / std[c] per channel."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._cpp = _C.data.Normalize(_seq("Normalize", "mean", mean), _seq("Normalize", "std", std))


def _pair(who, name, v):
    if isinstance(v, numbers.Number):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2:
        return tuple(v)
    if isinstance(v, (tuple, list)) and len(v) == 1:
        return (v[0], v[0])
    raise TypeError(f"{who}(): argument '{name}' must be a number or a pair, got {v!r}")


class RandomCrop(_Cpp):
    """Pads every side with `padding` zeros, then crops `size` at a random position."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        if pad_if_needed or fill != 0 or padding_mode != "constant":
            raise NotImplementedError("RandomCrop supports only int padding with zeros")
        if padding is not None and not isinstance(padding, int):
            raise NotImplementedError("RandomCrop supports only one int padding for every side")
        self.size, self.padding = size, padding
        h, w = _pair("RandomCrop", "size", size)
        self._cpp = _C.data.RandomCrop(int(h), int(w), padding or 0)


class RandomHorizontalFlip(_Cpp):
    def __init__(self, p=0.5):
        self.p = p
        self._cpp = _C.data.RandomHorizontalFlip(float(p))


class RandomAffine(_Cpp):
    """Random rotation (degrees), translation (fractions of width and height) and scale."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation=InterpolationMode.NEAREST,
                 fill=0, center=None):
        if shear is not None or fill != 0 or center is not None:
            raise NotImplementedError("RandomAffine supports degrees, translate, scale and interpolation only")
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-degrees, degrees)
        self.degrees, self.translate, self.scale, self.interpolation = degrees, translate, scale, interpolation
        d = _pair("RandomAffine", "degrees", degrees)
        t = _pair("RandomAffine", "translate", translate) if translate is not None else (0.0, 0.0)
        s = _pair("RandomAffine", "scale", scale) if scale is not None else (1.0, 1.0)
        mode = getattr(interpolation, "value", interpolation)
        self._cpp = _C.data.RandomAffine([float(x) for x in d], [float(x) for x in t], str(mode).lower(),
                                         [float(x) for x in s])


class ToTensor:
    """A numpy (H, W[, C]) uint8 image -> (C, H, W) float32 in [0, 1]; a Tensor passes through
    (Ember's image datasets already give float tensors in [0, 1])."""

    def __call__(self, pic):
        if isinstance(pic, Tensor):
            return pic
        import numpy as np
        a = np.asarray(pic)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3:
            raise TypeError(f"ToTensor: expected an (H, W) or (H, W, C) image, got shape {a.shape}")
        scale = 255.0 if a.dtype == np.uint8 else 1.0
        a = np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32) / np.float32(scale)
        return _C.tensor(a.tolist()) if not hasattr(__import__("ember"), "from_numpy") else __import__("ember").from_numpy(a)

    def __repr__(self):
        return "ToTensor()"


class Lambda:
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)
