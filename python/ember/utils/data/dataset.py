"""Datasets (torch.utils.data.dataset). A dataset with a C++ twin (`_cpp`: TensorDataset of one or
two tensors, Subset of such, ember.datasets.MNIST, ...) is loaded by the C++ DataLoader."""
import bisect
import math

from ... import _C
from ..._C import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]

# The __getitem__ methods that return what the C++ dataset's get() returns: a subclass that
# overrides __getitem__ is loaded through Python.
_CPP_GETITEMS = set()


def _cpp_getitem(f):
    _CPP_GETITEMS.add(f)
    return f


def _cpp_of(dataset):
    """The C++ dataset the DataLoader may load instead of calling dataset[i], or None."""
    cpp = getattr(dataset, "_cpp", None)
    if cpp is None or type(dataset).__getitem__ not in _CPP_GETITEMS:
        return None
    return cpp


def _index(who, index, n):
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError(f"{who}: indices must be integers, not {type(index).__name__}")
    index = index.__index__()
    if index < -n or index >= n:
        raise IndexError(f"{who}: index {index} is out of range for a dataset of size {n}")
    return index + n if index < 0 else index


class Dataset:
    """A map-style dataset: subclasses define __getitem__ (and __len__ for the DataLoader)."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define __iter__."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")


class TensorDataset(Dataset):
    """Sample i is (t[i] for t in tensors); all tensors share their first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset(): argument {i} must be an ember.Tensor, not {type(t).__name__}")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset(): tensor {i} is 0-d; each tensor needs a first (sample) dimension")
        if any(t.size(0) != tensors[0].size(0) for t in tensors):
            raise ValueError("Size mismatch between tensors: first dimensions "
                             + ", ".join(str(t.size(0)) for t in tensors))
        self.tensors = tensors
        self._cpp = _C.data.TensorDataset(*tensors) if len(tensors) <= 2 else None

    @_cpp_getitem
    def __getitem__(self, index):
        i = _index("TensorDataset", index, len(self))
        if self._cpp is not None:
            x, y = self._cpp.get(i)
            return (x,) if y is None else (x, y)
        return tuple(t.select(0, i) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]
        base = _cpp_of(dataset)
        self._cpp = _C.data.Subset(base, self.indices) if base is not None else None

    @_cpp_getitem
    def __getitem__(self, idx):
        if isinstance(idx, list):
            return [self.dataset[self.indices[i]] for i in idx]
        i = _index("Subset", idx, len(self.indices))
        return self.dataset[self.indices[i]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        idx = _index("ConcatDataset", idx, len(self))
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[d][idx - (self.cumulative_sizes[d - 1] if d else 0)]


def _seed_of(generator, who="generator"):
    """An explicit seed from `generator`: an int, or an object with initial_seed() (a
    torch.Generator-like one, e.g. ember.Generator().manual_seed(42)); None stays None."""
    if generator is None or (isinstance(generator, int) and not isinstance(generator, bool)):
        return generator
    f = getattr(generator, "initial_seed", None)
    if f is None:
        raise TypeError(f"argument '{who}' must be a Generator (with initial_seed()) or an int seed, "
                        f"not {type(generator).__name__}")
    return int(f())


def random_split(dataset, lengths, generator=None):
    """Non-overlapping random Subsets of the given lengths (or fractions summing to 1). The
    permutation is the C++ random_split's: from `generator`'s seed, else from ember's global
    generator (advancing it, as PyTorch does)."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and all(0 <= f <= 1 for f in lengths) and n > 0:
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, int) or x < 0:
            raise ValueError(f"random_split(): lengths must be non-negative ints or fractions, got {x!r}")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    return [Subset(dataset, idx) for idx in _C.data.split_indices(n, lengths, _seed_of(generator))]
