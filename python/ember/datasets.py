"""Ember's built-in data sets with torchvision-like classes. Files are read from a data root:
`root`, else $EMBER_DATA, else the first ../shared/data beside the working directory or the
program (ember::data::resolve_data_root)."""
import os

from . import _C
from .utils.data.dataset import Dataset, _cpp_getitem

__all__ = ["MNIST", "IMDB", "TinyShakespeare", "CharLMDataset", "TokenWindows", "read_imdb", "padded_lengths"]


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


# ---------------------------------------------------------------- text

def _split(who, train, split, names):
    """split= (one of names) wins over train=; train=True is names[0], False names[1]."""
    if split is None:
        if not isinstance(train, bool):
            raise TypeError(f"{who}(): argument 'train' must be a bool, not {type(train).__name__}")
        return names[0] if train else names[1]
    if split not in names + (("validation",) if "val" in names else ()):
        raise ValueError(f"{who}(): argument 'split' must be one of {', '.join(map(repr, names))}, got {split!r}")
    return "val" if split == "validation" else split


def _index_arg(who, index):
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError(f"{who}: indices must be integers, not {type(index).__name__}")
    return index.__index__()


def _int_arg(who, name, x, minimum=1):
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{who}(): argument '{name}' must be an int, not {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{who}(): argument '{name}' must be at least {minimum}, got {x}")
    return x


# (data folder, vocab_size, min_freq) -> the training reviews' vocabulary, built once per process
# so that the test split (and a second training set) get the same one cheaply.
_IMDB_VOCABS = {}


def read_imdb(root=None):
    """The raw reviews: (train, test), each with .texts (list of str) and .labels (list of 0/1),
    in the project's fixed split of <root>/imdb/reviews.json.gz."""
    return _C.data.read_imdb(_root("read_imdb", root))


def padded_lengths(tokens, pad_id=0):
    """(B, T) token rows padded at the end with pad_id -> (B,) int64 lengths (the first pad's position)."""
    return _C.data.padded_lengths(tokens, pad_id)


class IMDB(Dataset):
    """IMDB movie reviews (Maas et al., 2011) as word ids, the C++ `ember train imdb-lstm` data.

    Sample i is (tokens (max_len,) int64, label int: 0 negative, 1 positive); 25,000 reviews per
    split. Each review is encoded by `tokenizer` (a text.WordTokenizer; default: the training
    reviews' words seen at least min_freq times, the vocab_size most frequent, plus <pad> = 0
    and <unk> = 1, the same for both splits), cut to max_len tokens (truncate="tail" keeps the
    last ones, where reviews give their verdict; "head" the first) and padded with 0 at the end.
    `.data` (N, max_len), `.targets` (N,), `.lengths` (N,): int64. Batches from the DataLoader are
    [tokens (B, max_len), labels (B,)]; padded_lengths(tokens) gives each row's length.
    """

    classes = ["neg", "pos"]

    def __init__(self, root=None, train=True, *, split=None, tokenizer=None, max_len=200, truncate="tail",
                 vocab_size=25000, min_freq=2):
        root = _root("IMDB", root)
        self.split = _split("IMDB", train, split, ("train", "test"))
        self.train = self.split == "train"
        _int_arg("IMDB", "max_len", max_len)
        if truncate not in ("head", "tail"):
            raise ValueError(f"IMDB(): argument 'truncate' must be 'head' or 'tail', got {truncate!r}")
        if tokenizer is not None and not isinstance(tokenizer, _C.text.WordTokenizer):
            raise TypeError(f"IMDB(): argument 'tokenizer' must be an ember.text.WordTokenizer, not "
                            f"{type(tokenizer).__name__}")
        folder = _C.data.resolve_data_root(root)
        reviews = _C.data.read_imdb(folder)
        if tokenizer is None:
            key = (folder, _int_arg("IMDB", "vocab_size", vocab_size), _int_arg("IMDB", "min_freq", min_freq))
            if key not in _IMDB_VOCABS:
                _IMDB_VOCABS[key] = reviews[0].build_vocab(min_freq, vocab_size)
            tokenizer = _IMDB_VOCABS[key]
        reviews = reviews[0 if self.train else 1]
        self.root, self.tokenizer, self.truncate = folder, tokenizer, truncate
        self._impl = self._cpp = _C.data.IMDB(reviews, tokenizer, max_len, truncate == "tail")

    @_cpp_getitem
    def __getitem__(self, index):
        x, y = self._impl.get(_index_arg("IMDB", index))
        return x, y.item()

    def __len__(self):
        return len(self._impl)

    @property
    def data(self):
        return self._impl.tokens

    @property
    def targets(self):
        return self._impl.labels

    @property
    def lengths(self):
        return self._impl.lengths

    @property
    def max_len(self):
        return self._impl.max_len

    def __repr__(self):
        return (f"Dataset IMDB\n    Number of datapoints: {len(self)}\n    Root location: {self.root}\n"
                f"    Split: {self.split.capitalize()}\n    max_len: {self.max_len}, truncate: {self.truncate}, "
                f"vocab_size: {self.tokenizer.vocab_size}")


class TokenWindows(Dataset):
    """A 1-D int64 token stream cut into consecutive windows of block_size: sample i is
    (ids[i*T : (i+1)*T], ids[i*T+1 : (i+1)*T+1]), the inputs and their next tokens."""

    def __init__(self, ids, block_size):
        self.block_size = _int_arg("TokenWindows", "block_size", block_size)
        self._cpp = _C.data.TokenWindows(ids, block_size)

    @_cpp_getitem
    def __getitem__(self, index):
        return self._cpp.get(_index_arg(type(self).__name__, index))

    def __len__(self):
        return len(self._cpp)


class CharLMDataset(TokenWindows):
    """A character-level language model's data (nanoGPT's shakespeare_char) from `text` (str or
    bytes) or the file at `path`: a text.CharTokenizer over all its characters (or `tokenizer`), the
    first floor(len * train_fraction) characters for training and the rest for validation.

    Sample i of the split is the i-th window of block_size tokens and its next-token targets
    ((T,), (T,) int64; every window once, in order, for evaluation); sample_batch draws random
    windows as nanoGPT trains. `.ids` is the split's token stream, `.tokenizer` the tokenizer.
    """

    def __init__(self, text=None, *, path=None, train=True, split=None, block_size=256, train_fraction=0.9,
                 tokenizer=None):
        who = type(self).__name__
        self.split = _split(who, train, split, ("train", "val"))
        if tokenizer is not None and not isinstance(tokenizer, _C.text.CharTokenizer):
            raise TypeError(f"{who}(): argument 'tokenizer' must be an ember.text.CharTokenizer, "
                            f"not {type(tokenizer).__name__}")
        if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float)):
            raise TypeError(f"{who}(): argument 'train_fraction' must be a float, not {type(train_fraction).__name__}")
        self._lm = self._load(text, path, float(train_fraction), tokenizer)
        self.block_size = _int_arg(who, "block_size", block_size)
        self._cpp = self._lm.windows(self.split, block_size)

    def _load(self, text, path, train_fraction, tokenizer):
        if (text is None) == (path is None):
            raise TypeError("CharLMDataset(): pass one of 'text' or 'path'")
        if path is not None:
            if not isinstance(path, (str, os.PathLike)):
                raise TypeError(f"CharLMDataset(): argument 'path' must be a str or path, not {type(path).__name__}")
            return _C.data.CharLMDataset.from_file(os.fspath(path), train_fraction, tokenizer)
        return _C.data.CharLMDataset(text, train_fraction, tokenizer)

    @property
    def tokenizer(self):
        return self._lm.tokenizer

    @property
    def vocab_size(self):
        return self._lm.tokenizer.vocab_size

    @property
    def ids(self):
        return self._lm.ids(self.split)

    def sample_batch(self, batch_size, block_size=None, generator=None):
        """(x, y): batch_size random windows of the split, (B, T) int64, y shifted by one token.
        generator: None (ember's global generator), an int seed, or an ember.Generator."""
        T = self.block_size if block_size is None else block_size
        return self._lm.sample_batch(self.split, batch_size, T, generator)


class TinyShakespeare(CharLMDataset):
    """TinyShakespeare (<root>/tinyshakespeare/input.txt, 1,115,394 characters, 65 distinct) as
    nanoGPT's shakespeare_char: split "train" (1,003,854 characters) or "val" (111,540)."""

    def __init__(self, root=None, train=True, *, split=None, block_size=256, train_fraction=0.9):
        self.root = _root("TinyShakespeare", root)
        super().__init__(None, train=train, split=split, block_size=block_size, train_fraction=train_fraction)

    def _load(self, text, path, train_fraction, tokenizer):
        return _C.data.CharLMDataset.tinyshakespeare(self.root, train_fraction)

    def __repr__(self):
        return (f"Dataset TinyShakespeare\n    Number of datapoints: {len(self)}\n    Split: {self.split}\n"
                f"    block_size: {self.block_size}, characters: {self.ids.numel()}")
