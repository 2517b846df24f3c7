"""ember.text: the tokenizers' ids vs the C++ tests' expectations (tests/golden/text/gpt2_bpe.json, made
with Hugging Face tokenizers), round trips, Hugging Face's __call__, pickling and bad input."""
import json
import os
import pickle
import threading

import pytest

import ember
from ember.text import CharTokenizer, GPT2Tokenizer, WordTokenizer

from conftest import REPO, data_root


def values(t):
    return [t.select(0, i).item() for i in range(t.size(0))]


@pytest.fixture(scope="module")
def gpt2():
    return GPT2Tokenizer.from_directory(os.path.join(data_root("gpt2", "the GPT-2 vocabulary"), "gpt2"))


# ---------------------------------------------------------------- CharTokenizer

def test_char_sorted_vocabulary():
    tok = CharTokenizer.from_text("hello world")
    assert tok.vocab_size == len(tok) == 8
    assert tok.vocab == " dehlorw"
    assert tok.encode("hello") == [3, 2, 4, 4, 5]
    assert tok.decode([7, 5, 6, 4, 1]) == "world"
    assert tok.encode("") == [] and tok.decode([]) == ""
    assert "w" in tok and "x" not in tok
    assert tok.encode(b"hello") == tok.encode("hello")


def test_char_tensor_forms_and_unicode():
    tok = CharTokenizer.from_text("abc")
    t = tok.encode_tensor("cab")
    assert t.shape == (3,) and t.dtype == ember.int64 and values(t) == [2, 0, 1]
    assert tok.decode(t) == "cab" and tok.decode(t.int()) == "cab"
    assert tok.decode(2) == "c"
    text = "日本 is Japan, naïve café 🎉"
    tok = CharTokenizer.from_text(text)
    ids = tok.encode(text)
    assert len(ids) == len(text) and tok.decode(ids) == text  # one id per character, as Python's str
    assert tok.vocab == "".join(sorted(set(text))) and tok.vocab_size == len(set(text))
    assert tok.decode_bytes(ids[:1]) == "日".encode() and tok.decode(ids[-1:]) == "🎉"
    assert "é" in tok and "é".encode() in tok and "z" not in tok and "ab" not in tok
    assert CharTokenizer.from_vocab(tok.vocab) == tok == CharTokenizer.from_vocab([ord(c) for c in tok.vocab])
    with pytest.raises(ember.Error, match="not valid UTF-8 at byte 1"):
        tok.encode(b"a\xffb")


def test_char_tinyshakespeare_ids_as_nanogpt():
    root = data_root("tinyshakespeare", "TinyShakespeare")
    text = open(os.path.join(root, "tinyshakespeare", "input.txt"), encoding="utf-8").read()
    tok = CharTokenizer.from_text(text)
    assert tok.vocab_size == 65
    assert tok.encode(text[:20]) == [18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0, 14, 43, 44, 53, 56]
    assert tok.decode(tok.encode_tensor(text)) == text


def test_char_json_and_pickle():
    tok = CharTokenizer.from_text("Hi!\n\t\"quoted\" \\ é\0")
    back = CharTokenizer.from_json(tok.to_json())
    assert back == tok and back.encode("Hi é") == tok.encode("Hi é")
    assert '"type":"ember.CharTokenizer"' in tok.to_json()
    assert pickle.loads(pickle.dumps(tok)) == tok
    assert CharTokenizer.from_vocab(b"ab") == CharTokenizer.from_text("abba") == CharTokenizer.from_vocab([97, 98])


def test_char_errors():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ember.Error, match=r"character 'd' \(U\+0064\) at position 2 \(byte 2\)"):
        tok.encode("abd")
    with pytest.raises(ember.Error, match="id 5 at position 1"):
        tok.decode([1, 5])
    with pytest.raises(ember.Error, match="1-D"):
        tok.decode(ember.zeros(2, 2, dtype=ember.int64))
    with pytest.raises(ember.Error, match="empty text"):
        CharTokenizer.from_text("")
    with pytest.raises(ember.Error, match="ascending"):
        CharTokenizer.from_vocab(b"ba")
    with pytest.raises(ember.Error, match="not valid JSON"):
        CharTokenizer.from_json("{not json")
    with pytest.raises(TypeError, match="argument 'text' must be a str or bytes, not int"):
        tok.encode(3)
    with pytest.raises(TypeError, match="argument 'ids'.*not float"):
        tok.decode([1.5])
    with pytest.raises(TypeError, match="argument 'ids'.*not str"):
        tok.decode("ab")


# ---------------------------------------------------------------- WordTokenizer

def test_word_split_and_vocabulary():
    assert WordTokenizer.split_words("This movie was GREAT!! Don't miss it.") == [
        "this", "movie", "was", "great", "!", "!", "don't", "miss", "it", "."]
    assert WordTokenizer.split_words("end.<br /><br />Next") == ["end", ".", "next"]
    assert WordTokenizer.split_words("Café Amélie, ÉTÉ") == ["café", "amélie", ",", "ÉtÉ"]
    texts = ["z y x", "c b a y", "b a a z"]
    tok = WordTokenizer.build(texts)
    assert tok.vocab == ["<pad>", "<unk>", "a", "b", "y", "z", "c", "x"]
    assert WordTokenizer.build(texts, min_freq=2).vocab == ["<pad>", "<unk>", "a", "b", "y", "z"]
    assert WordTokenizer.build(texts, max_size=3).vocab == ["<pad>", "<unk>", "a", "b", "y"]
    assert WordTokenizer.build(list(reversed(texts))) == tok
    assert tok.get_vocab()["a"] == 2 and tok.id_of("a") == 2 and tok.id_of("q") == WordTokenizer.unk_token_id
    assert (tok.pad_token_id, tok.unk_token_id, tok.pad_token, tok.unk_token) == (0, 1, "<pad>", "<unk>")


def test_word_encode_decode_json():
    tok = WordTokenizer.from_words(["the", "film", "was", "."])
    ids = tok.encode("The film was dreadful.")
    assert ids == [2, 3, 4, 1, 5]
    assert tok.decode(ids) == "the film was <unk> ."
    assert tok.decode([2, 5, 0, 0]) == "the ." and tok.decode([2, 0], keep_padding=True) == "the <pad>"
    assert values(tok.encode_tensor("the end")) == [2, 1]
    assert tok.token(3) == "film"
    back = WordTokenizer.from_json(tok.to_json())
    assert back == tok and pickle.loads(pickle.dumps(tok)) == tok


def test_word_errors():
    with pytest.raises(ember.Error, match="min_freq"):
        WordTokenizer.build(["a"], min_freq=0)
    with pytest.raises(ember.Error, match="'a' appears twice"):
        WordTokenizer.from_words(["a", "b", "a"])
    with pytest.raises(ember.Error, match="id 4 at position 1"):
        WordTokenizer.from_words(["a", "b"]).decode([2, 4])
    with pytest.raises(TypeError, match="argument 'texts' must be a list of str, not str"):
        WordTokenizer.build("a b c")
    with pytest.raises(TypeError, match="argument 'texts'.*not int"):
        WordTokenizer.build(["a", 3])


# ---------------------------------------------------------------- GPT2Tokenizer

def golden_cases():
    with open(REPO / "tests" / "golden" / "text" / "gpt2_bpe.json", encoding="utf-8") as f:
        return json.load(f)["cases"]


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: c["name"])
def test_gpt2_ids_match_hugging_face(gpt2, case):
    ids = gpt2.encode(case["text"], allow_special=case["allow_special"])
    assert ids == case["ids"]
    assert gpt2.decode(ids) == case["text"]
    assert values(gpt2.encode_tensor(case["text"], allow_special=case["allow_special"])) == case["ids"]


def test_gpt2_basics(gpt2):
    assert gpt2.vocab_size == len(gpt2) == 50257 and gpt2.num_merges == 50000
    assert gpt2.eot_token == gpt2.eos_token_id == gpt2.bos_token_id == 50256
    assert gpt2.eos_token == "<|endoftext|>"
    assert gpt2.encode("<|endoftext|>") != [50256] and gpt2.encode("<|endoftext|>", allow_special=True) == [50256]
    assert gpt2.token_bytes(15496) == b"Hello"
    assert gpt2.decode(gpt2.encode_tensor("Hello world")) == "Hello world"


def test_gpt2_from_pretrained(gpt2, tmp_path):
    folder = os.path.join(data_root("gpt2", "the GPT-2 vocabulary"), "gpt2")
    assert GPT2Tokenizer.from_pretrained(folder).encode("Hello world") == [15496, 995]
    # Hugging Face's file names for the same files.
    (tmp_path / "vocab.json").write_bytes(open(os.path.join(folder, "encoder.json"), "rb").read())
    (tmp_path / "merges.txt").write_bytes(open(os.path.join(folder, "vocab.bpe"), "rb").read())
    assert GPT2Tokenizer.from_pretrained(tmp_path).encode("Hello world") == [15496, 995]
    with pytest.raises(ember.Error, match="encoder.json"):
        GPT2Tokenizer.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(ember.Error, match="nope.json"):
        GPT2Tokenizer.from_files(str(tmp_path / "nope.json"), str(tmp_path / "merges.txt"))


def test_gpt2_long_text_from_threads(gpt2):
    text = "The quick brown fox jumps over the lazy dog. " * 2000
    want = gpt2.encode(text)
    got = [None] * 4

    def run(i):
        got[i] = gpt2.encode(text)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 4 and gpt2.decode(want) == text


def test_gpt2_errors(gpt2):
    with pytest.raises(ember.Error, match="not valid UTF-8 at byte 3"):
        gpt2.encode(b"ok \xc3(")
    with pytest.raises(ember.Error, match="GPT2Tokenizer::decode"):
        gpt2.decode([50257])
    with pytest.raises(TypeError, match="argument 'text'"):
        gpt2.encode(None)


# ---------------------------------------------------------------- Hugging Face's __call__

def test_call_like_hugging_face(gpt2):
    assert gpt2("Hello world") == {"input_ids": [15496, 995], "attention_mask": [1, 1]}
    enc = gpt2(["Hello world", "a"])
    assert enc.input_ids == [[15496, 995], [64]] and enc.attention_mask == [[1, 1], [1]]
    with pytest.raises(ValueError, match="padding token"):
        gpt2(["Hello world", "a"], padding=True)
    tok = GPT2Tokenizer.from_pretrained(os.path.join(data_root("gpt2", "the GPT-2 vocabulary"), "gpt2"))
    tok.pad_token = tok.eos_token
    assert tok.pad_token_id == 50256
    enc = tok(["Hello world", "a"], padding=True, return_tensors="pt")
    assert enc["input_ids"].shape == (2, 2) and values(enc["input_ids"].select(0, 1)) == [64, 50256]
    assert values(enc["attention_mask"].select(0, 1)) == [1, 0]
    enc = tok("Hello world", truncation=True, max_length=1, return_tensors="pt")
    assert enc["input_ids"].shape == (1, 1)
    np = pytest.importorskip("numpy")
    enc = tok(["a"], padding="max_length", max_length=3, return_tensors="np")
    assert enc["input_ids"].tolist() == [[64, 50256, 50256]] and enc["input_ids"].dtype == np.int64
    with pytest.raises(ValueError, match="different lengths"):
        tok(["Hello world", "a"], return_tensors="pt")
    with pytest.raises(TypeError, match="argument 'text'"):
        tok(3)


def test_call_word_pads_with_zero():
    tok = WordTokenizer.build(["the cat sat", "the dog"])
    assert tok(["the cat", "dog"], padding=True) == {"input_ids": [[2, 3], [4, 0]], "attention_mask": [[1, 1], [1, 0]]}


def test_char_lm_data_counts_characters_as_python(tmp_path):
    text = "Größe 日本 🎉, naïve. " * 10
    ds = ember.datasets.CharLMDataset(text, block_size=4)
    assert ds.ids.numel() == int(len(text) * 0.9)  # characters, not UTF-8 bytes
    assert ds.tokenizer.vocab == "".join(sorted(set(text)))
    assert ds.tokenizer.decode(ds.ids) == text[:int(len(text) * 0.9)]
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait".encode("latin-1"))
    with pytest.raises(ember.Error, match=r"latin1.txt' is not valid UTF-8 at byte 3"):
        ember.datasets.CharLMDataset(path=path, block_size=2)
