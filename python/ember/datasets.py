"""Ember's built-in data sets with torchvision-like classes. Files are read from a data root:
`root`, else $EMBER_DATA, else the first ../shared/data beside the working directory or the
program (ember::data::resolve_data_root)."""
import os

from . import _C
from .utils.data.dataset import Dataset, _cpp_getitem

__all__ = ["MNIST"]


def _root(who, root):
    if root is None:
        return ""
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{who}(): argument 'root' must be a str or path, not {type(root).__name__}")
    return os.fspath(root)


def _transform(who, t):
    """A transform for the C++ dataset: its C++ twin when it has one, else the Python callable."""
    if t is None:
        return None
    if not callable(t):
        raise TypeError(f"{who}(): argument 'transform' must be callable, not {type(t).__name__}")
    cpp = getattr(t, "_cpp", None)
    return cpp if cpp is not None else t


class MNIST(Dataset):
    """MNIST digits: sample i is (image (1, 28, 28) float32 in [0, 1], or transform(image); label int).

    root: a folder holding mnist/ (or the IDX files themselves); None resolves the data root.
    download=True fetches missing files (verified by SHA-256) into <root>/mnist first.
    `.data` is (N, 1, 28, 28) float32 in [0, 1] (torchvision's is uint8 (N, 28, 28)); `.targets`
    is (N,) int64. A C++ transform (ember.transforms) keeps the DataLoader in C++.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        root = _root("MNIST", root)
        if not isinstance(train, bool):
            raise TypeError(f"MNIST(): argument 'train' must be a bool, not {type(train).__name__}")
        if target_transform is not None and not callable(target_transform):
            raise TypeError("MNIST(): argument 'target_transform' must be callable")
        if download:
            _C.data.MNIST.download(root)
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform  # kept alive for the C++ side
        self._impl = _C.data.MNIST(root, train, _transform("MNIST", transform))
        # target_transform is Python: such a dataset is loaded through __getitem__.
        self._cpp = self._impl if target_transform is None else None

    @_cpp_getitem
    def __getitem__(self, index):
        if isinstance(index, bool) or not hasattr(index, "__index__"):
            raise TypeError(f"MNIST: indices must be integers, not {type(index).__name__}")
        x, y = self._impl.get(index.__index__())
        y = y.item()
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __len__(self):
        return len(self._impl)

    @property
    def data(self):
        return self._impl.images

    @property
    def targets(self):
        return self._impl.targets

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        return (f"Dataset MNIST\n    Number of datapoints: {len(self)}\n    Root location: {self._impl.folder}\n"
                f"    Split: {'Train' if self.train else 'Test'}")
