"""ember.utils.data, ember.datasets.MNIST and ember.transforms."""
import os
import pathlib

import pytest

import ember
import ember.datasets
import ember.transforms as T
from ember.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                              SubsetRandomSampler, TensorDataset, default_collate, random_split)


def values(t):
    flat = t.reshape(-1)
    return [flat.select(0, i).item() for i in range(flat.numel())]


def data_root():
    """As the C++ resolves it: $EMBER_DATA, else ../shared/data beside the checkout."""
    root = os.environ.get("EMBER_DATA") or str(pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data")
    if not os.path.exists(os.path.join(root, "mnist", "train-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST not found under {root} (set EMBER_DATA to a folder holding mnist/)")
    return root


def tensor_dataset(n=10):
    x = ember.tensor([[float(i), float(-i)] for i in range(n)])
    y = ember.tensor(list(range(n)))
    return TensorDataset(x, y)


def labels(loader):
    out = []
    for xb, yb in loader:
        out += values(yb)
    return out


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return ember.tensor([float(i)]), i * i


def test_tensor_dataset_and_batching():
    ds = tensor_dataset()
    assert len(ds) == 10
    x, y = ds[3]
    assert values(x) == [3.0, -3.0] and y.item() == 3
    assert ds[-1][1].item() == 9
    loader = DataLoader(ds, batch_size=4)
    assert len(loader) == 3
    batches = list(loader)
    assert [tuple(b[0].shape) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert isinstance(batches[0], list) and labels(loader) == list(range(10))
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert [tuple(b[1].shape) for b in DataLoader(ds, batch_size=4, drop_last=True)] == [(4,), (4,)]
    three = TensorDataset(ds.tensors[0], ds.tensors[1], ds.tensors[1])  # any number of tensors
    assert len(three[0]) == 3 and len(next(iter(DataLoader(three, batch_size=5)))) == 3


def test_shuffle_is_a_permutation_and_reproducible():
    ds = tensor_dataset(50)
    ember.manual_seed(3)
    a = DataLoader(ds, batch_size=8, shuffle=True)
    e0, e1 = labels(a), labels(a)
    assert sorted(e0) == list(range(50)) and e0 != list(range(50)) and e0 != e1  # reshuffled each epoch
    ember.manual_seed(3)
    b = DataLoader(ds, batch_size=8, shuffle=True)
    assert labels(b) == e0 and labels(b) == e1
    assert labels(DataLoader(ds, batch_size=8, shuffle=True, seed=3)) == e0
    assert labels(DataLoader(ds, batch_size=8, shuffle=True, seed=4)) != e0
    # a Python dataset with the same seed visits the same order
    class Wrapped(Dataset):
        def __len__(self):
            return 50

        def __getitem__(self, i):
            return ds[i]

    assert labels(DataLoader(Wrapped(), batch_size=8, shuffle=True, seed=3)) == e0
    # workers change nothing
    assert labels(DataLoader(ds, batch_size=8, shuffle=True, seed=3, num_workers=2)) == e0
    assert labels(DataLoader(Wrapped(), batch_size=8, shuffle=True, seed=3, num_workers=3)) == e0


def test_python_dataset_and_collate():
    loader = DataLoader(Squares(), batch_size=4)
    assert len(loader) == 3
    xb, yb = next(iter(loader))
    assert tuple(xb.shape) == (4, 1) and values(yb) == [0, 1, 4, 9] and yb.dtype == ember.int64
    c = default_collate([{"a": 1.5, "b": "x", "t": (1, 2)}, {"a": 2.5, "b": "y", "t": (3, 4)}])
    assert c["a"].dtype == ember.float64 and c["b"] == ["x", "y"] and [values(v) for v in c["t"]] == [[1, 3], [2, 4]]
    assert [values(b[1]) for b in DataLoader(Squares(), batch_size=3, num_workers=2)] == [[0, 1, 4], [9, 16, 25],
                                                                                         [36, 49, 64], [81]]
    assert [b[1] for b in DataLoader(Squares(), batch_size=None)][:3] == [0, 1, 4]
    sums = DataLoader(Squares(), batch_size=5, collate_fn=lambda batch: sum(y for _, y in batch))
    assert list(sums) == [30, 255]


def test_samplers():
    ds = tensor_dataset(10)
    assert list(SequentialSampler(ds)) == list(range(10))
    r = RandomSampler(ds, generator=7)
    assert sorted(r) == list(range(10)) and list(r) != list(r)
    assert list(BatchSampler(range(5), 2, False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, True)) == 2
    sub = SubsetRandomSampler([1, 3, 5], generator=1)
    assert sorted(sub) == [1, 3, 5]
    got = labels(DataLoader(ds, batch_size=2, sampler=[9, 8, 7]))  # C++ path with a user's order
    assert got == [9, 8, 7]
    got = [values(b[1]) for b in DataLoader(ds, batch_sampler=[[0, 5], [2]])]
    assert got == [[0, 5], [2]]


def test_subset_and_random_split():
    ds = tensor_dataset(10)
    s = Subset(ds, [4, 2])
    assert len(s) == 2 and s[1][1].item() == 2 and labels(DataLoader(s, batch_size=2)) == [4, 2]
    a, b = random_split(ds, [3, 7], generator=42)
    assert len(a) == 3 and len(b) == 7 and sorted(a.indices + b.indices) == list(range(10))
    a2, _ = random_split(ds, [3, 7], generator=42)
    assert a2.indices == a.indices
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])


def test_bad_arguments():
    ds = tensor_dataset()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(TypeError, match="'num_workers'"):
        DataLoader(ds, num_workers="2")
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=4)
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(ember.zeros(3, 2), ember.zeros(4))
    with pytest.raises(TypeError, match="argument 1"):
        TensorDataset(ember.zeros(3), [1, 2, 3])
    with pytest.raises(IndexError):
        ds[10]
    with pytest.raises(TypeError, match="generator"):
        random_split(ds, [5, 5], generator="x")


def test_mnist():
    root = data_root()
    train = ember.datasets.MNIST(root, train=True)
    test = ember.datasets.MNIST(root=root, train=False)
    assert len(train) == 60000 and len(test) == 10000
    x, y = train[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == ember.float32 and y == 5 and isinstance(y, int)
    v = values(x)
    assert min(v) == 0.0 and max(v) == 1.0
    assert tuple(train.data.shape) == (60000, 1, 28, 28) and tuple(train.targets.shape) == (60000,)
    norm = ember.datasets.MNIST(root, train=False, transform=T.Normalize((0.1307,), (0.3081,)))
    assert values(norm[0][0])[0] == pytest.approx(-0.1307 / 0.3081, rel=1e-6)
    loader = DataLoader(norm, batch_size=1000, shuffle=True, num_workers=2, seed=1)
    assert len(loader) == 10
    n = 0
    for inputs, targets in loader:
        assert tuple(inputs.shape) == (1000, 1, 28, 28) and targets.dtype == ember.int64
        n += 1
    assert n == 10
    # a Python transform and a Python target transform
    py = ember.datasets.MNIST(root, train=False, transform=lambda im: im * 2.0, target_transform=lambda t: t + 10)
    x2, y2 = py[0]
    assert max(values(x2)) == 2.0 and y2 == test[0][1] + 10
    assert values(next(iter(DataLoader(py, batch_size=3)))[1]) == [t + 10 for t in values(test.targets)[:3]]
    # a Python transform inside the C++ loader
    doubled = ember.datasets.MNIST(root, train=False, transform=T.Compose([T.Normalize(0.0, 0.5), T.Lambda(lambda im: im)]))
    xb, _ = next(iter(DataLoader(doubled, batch_size=2, num_workers=2)))
    assert max(values(xb)) == 2.0


def test_mnist_errors():
    with pytest.raises(ember.Error, match="nonexistent-ember-root"):
        ember.datasets.MNIST("/nonexistent-ember-root")
    with pytest.raises(TypeError, match="'root'"):
        ember.datasets.MNIST(3)
    with pytest.raises(TypeError, match="'transform'"):
        ember.datasets.MNIST(data_root(), transform=5)


def test_transforms_on_tensors():
    img = ember.ones(1, 4, 4)
    assert tuple(T.RandomCrop(3, padding=1)(img).shape) == (1, 3, 3)
    assert values(T.RandomHorizontalFlip(1.0)(ember.tensor([[[1.0, 2.0]]]))) == [2.0, 1.0]
    assert tuple(T.RandomAffine(10, translate=(0.1, 0.1))(img).shape) == (1, 4, 4)
    assert values(T.Compose([T.Normalize(1.0, 2.0), T.ToTensor()])(img)) == [0.0] * 16
    with pytest.raises(TypeError):
        T.Normalize(0.5, 0.5)("not a tensor")
