"""ember.datasets' text data sets: IMDB, TinyShakespeare, CharLMDataset, TokenWindows: sizes, first
items, shapes, the DataLoader over them (C++ path) and bad input."""
import pytest

import ember
import ember.datasets as D
import ember.text
from ember.utils.data import DataLoader

from conftest import data_root


def values(t):
    flat = t.reshape(-1)
    return [flat.select(0, i).item() for i in range(flat.numel())]


@pytest.fixture(scope="module")
def imdb_train():
    return D.IMDB(data_root("imdb", "IMDB"), train=True)


@pytest.fixture(scope="module")
def imdb_texts():
    return D.read_imdb(data_root("imdb", "IMDB"))


@pytest.fixture(scope="module")
def shakespeare():
    return D.TinyShakespeare(data_root("tinyshakespeare", "TinyShakespeare"), block_size=64)


# ---------------------------------------------------------------- IMDB

def test_imdb_train_split_and_vocabulary(imdb_train):
    ds = imdb_train
    assert len(ds) == 25000
    assert ds.data.shape == (25000, 200) and ds.data.dtype == ember.int64
    assert ds.targets.shape == (25000,) and ds.lengths.shape == (25000,)
    assert ds.tokenizer.vocab_size == 25002 and ds.tokenizer.token(2) == "the"
    assert ds.tokenizer.id_of("br") == ds.tokenizer.unk_token_id  # <br /> tags are gone
    x, y = ds[0]
    assert x.shape == (200,) and y == 0
    assert ds[12500][1] == 1
    assert sum(values(ds.targets)) == 12500


def test_imdb_rows_are_padded_encodings(imdb_train, imdb_texts):
    ds, texts = imdb_train, imdb_texts[0].texts
    assert texts[0].startswith("Once again Mr. Costner has dragged out a")
    for i in (0, 1, 24999):
        ids = ds.tokenizer.encode(texts[i])[-200:]  # truncate="tail" keeps the last tokens
        assert values(ds[i][0]) == ids + [0] * (200 - len(ids))
        assert values(ds.lengths.narrow(0, i, 1)) == [len(ids)]


def test_imdb_test_split_shares_the_vocabulary(imdb_train, imdb_texts):
    root = data_root("imdb", "IMDB")
    test = D.IMDB(root, split="test", max_len=64, truncate="head")
    assert test.tokenizer is imdb_train.tokenizer  # built from the training reviews, once
    assert len(test) == 25000 and test.data.shape == (25000, 64)
    train_texts, test_texts = imdb_texts
    assert test_texts.texts[0].startswith("Story of a man who has unnatural feeling")
    assert len(train_texts) == 25000 and train_texts.labels[12500] == 1
    # Head truncation: the row is the first 64 word ids of the review.
    want = imdb_train.tokenizer.encode(test_texts.texts[0])[:64]
    assert values(test[0][0])[:len(want)] == want


def test_imdb_through_the_dataloader(imdb_train):
    loader = DataLoader(imdb_train, batch_size=512, shuffle=True, seed=3)
    assert loader._cpp_dataset is not None  # loaded by C++
    n = pos = 0
    for tokens, labels in loader:
        assert tokens.shape[1] == 200 and tokens.dtype == ember.int64 and labels.dtype == ember.int64
        assert D.padded_lengths(tokens).shape == labels.shape
        n += labels.shape[0]
        pos += sum(values(labels))
    assert (n, pos) == (25000, 12500)


def test_imdb_custom_tokenizer_and_errors(tmp_path):
    root = data_root("imdb", "IMDB")
    tok = ember.text.WordTokenizer.from_words(["the", "movie"])
    ds = D.IMDB(root, train=False, tokenizer=tok, max_len=8)
    assert ds.tokenizer is tok and set(values(ds.data.narrow(0, 0, 50))) <= {0, 1, 2, 3}
    with pytest.raises(TypeError, match="argument 'tokenizer'"):
        D.IMDB(root, tokenizer=ember.text.CharTokenizer.from_text("ab"))
    with pytest.raises(ValueError, match="argument 'split'"):
        D.IMDB(root, split="validation")
    with pytest.raises(ValueError, match="argument 'truncate'"):
        D.IMDB(root, truncate="middle")
    with pytest.raises(ValueError, match="argument 'max_len'"):
        D.IMDB(root, max_len=0)
    with pytest.raises(TypeError, match="argument 'root'"):
        D.IMDB(3)
    with pytest.raises(ember.Error, match="reviews.json.gz"):
        D.IMDB(str(tmp_path))  # a data root without imdb/


def test_imdb_small_split_in_cpp():
    # The C++ class over any labelled texts: empty reviews become one <unk>.
    tok = ember.text.WordTokenizer.build(["a b", "b"])
    split = ember._C.data.TextSplit(["", "b a b a", "  "], [0, 1, 1])
    ds = ember._C.data.IMDB(split, tok, 3, False)
    assert values(ds.lengths) == [1, 3, 1] and values(ds.tokens) == [1, 0, 0, 2, 3, 2, 1, 0, 0]


# ---------------------------------------------------------------- character-level LM

def test_tinyshakespeare_as_nanogpt(shakespeare):
    ds = shakespeare
    assert ds.vocab_size == 65 and ds.ids.numel() == 1003854
    assert len(ds) == (1003854 - 1) // 64
    x, y = ds[0]
    assert x.shape == (64,) and y.shape == (64,) and x.dtype == ember.int64
    assert ds.tokenizer.decode(x).startswith("First Citizen:")
    assert values(x)[1:] == values(y)[:-1]
    val = D.TinyShakespeare(data_root("tinyshakespeare", "TinyShakespeare"), train=False, block_size=64)
    assert val.split == "val" and val.ids.numel() == 111540
    assert values(val.ids.narrow(0, 0, 10)) == [12, 0, 0, 19, 30, 17, 25, 21, 27, 10]  # "?\n\nGREMIO:"


def test_tinyshakespeare_sample_batch_and_loader(shakespeare):
    x, y = shakespeare.sample_batch(8, generator=1337)
    assert x.shape == (8, 64) and y.shape == (8, 64)
    assert values(x.select(1, 1)) == values(y.select(1, 0))  # y is x shifted by one token
    again, _ = shakespeare.sample_batch(8, generator=1337)
    assert values(again) == values(x)
    assert shakespeare.sample_batch(2, block_size=16)[0].shape == (2, 16)
    loader = DataLoader(shakespeare, batch_size=1000)
    assert loader._cpp_dataset is not None
    batches = list(loader)
    assert len(batches) == len(loader) == -(-len(shakespeare) // 1000)
    assert batches[0][0].shape == (1000, 64) and values(batches[0][0].select(0, 0)) == values(shakespeare[0][0])
    with pytest.raises(TypeError, match="argument 'generator'"):
        shakespeare.sample_batch(2, generator="seed")


def test_char_lm_from_text_and_file(tmp_path):
    ds = D.CharLMDataset("abcdefgh", block_size=2)
    assert len(ds) == 3 and ds.ids.numel() == 7  # floor(8 * 0.9) training characters
    assert [values(t) for t in ds[1]] == [[2, 3], [3, 4]]
    assert [values(t) for t in ds[-1]] == [[4, 5], [5, 6]]
    path = tmp_path / "corpus.txt"
    path.write_text("hello world, " * 10)
    f = D.CharLMDataset(path=path, split="val", block_size=4)
    assert f.split == "val" and f.ids.numel() == 13 and f.tokenizer == ember.text.CharTokenizer.from_text("hello world,")
    with pytest.raises(ember.Error, match="missing.txt"):
        D.CharLMDataset(path=tmp_path / "missing.txt")
    with pytest.raises(ember.Error, match="block_size"):
        D.CharLMDataset("abcdefgh", block_size=7)
    with pytest.raises(ember.Error, match="train_fraction"):
        D.CharLMDataset("abcdefgh", train_fraction=1.5)
    with pytest.raises(TypeError, match="one of 'text' or 'path'"):
        D.CharLMDataset()
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(TypeError, match="indices must be integers"):
        ds["0"]


def test_token_windows_over_gpt2_ids():
    ids = ember.tensor(list(range(11)), dtype=ember.int64)
    ds = D.TokenWindows(ids, 5)
    assert len(ds) == 2 and [values(t) for t in ds[1]] == [[5, 6, 7, 8, 9], [6, 7, 8, 9, 10]]
    xb, yb = next(iter(DataLoader(ds, batch_size=2)))
    assert xb.shape == (2, 5) and values(yb.select(0, 0)) == [1, 2, 3, 4, 5]
    with pytest.raises(ember.Error, match="block_size"):
        D.TokenWindows(ids, 11)
