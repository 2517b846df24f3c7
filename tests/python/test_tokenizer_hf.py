"""ember.text.Tokenizer (Hugging Face tokenizer.json) from Python: ids, type ids, masks and
character offsets against `tokenizers`' golden cases (tests/golden/text/hf_tokenizers.json, for
all-MiniLM-L6-v2's tokenizer), transformers-style calls, decode, and bad input; and
ember.models.SentenceTransformer against sentence-transformers' embeddings."""
import copy
import json
import os
import pathlib

import numpy as np
import pytest

import ember
from ember.text import Tokenizer

from conftest import data_root

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"


@pytest.fixture(scope="module")
def minilm_dir():
    return os.path.join(data_root("models/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"), "models", "all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def tok(minilm_dir):
    return Tokenizer.from_pretrained(minilm_dir)


def test_encode_equals_tokenizers_on_the_golden_cases(tok):
    g = json.loads((GOLDEN / "text" / "hf_tokenizers.json").read_text(encoding="utf-8"))
    plain = copy.copy(tok)  # settings {truncation: null, padding: null}: none; settings null: the file's (128)
    plain.no_truncation()
    plain.no_padding()
    checked = 0
    for case in g["cases"]:
        settings = case.get("settings")
        if case["tokenizer"] != "minilm" or (settings and (settings["truncation"] or settings["padding"])) \
                or "error" in case or "pair" in case:
            continue
        text = g["texts"][case["text"]]
        e = (tok if settings is None else plain).encode(text, add_special_tokens=case["add_special_tokens"])
        assert e.ids == case["ids"], text
        assert "".join(map(str, e.type_ids)) == case["type_ids"]
        assert "".join(map(str, e.attention_mask)) == case["attention_mask"]
        assert [x for o in e.offsets for x in o] == case["offsets"], text
        if "tokens" in case:
            assert e.tokens == case["tokens"]
        checked += 1
    assert checked > 50


def test_call_pads_truncates_and_pairs_as_transformers(tok):
    out = tok(["Hello, world!", "A much longer sentence than the first one, with more words."], padding=True,
              truncation=True, max_length=8, return_tensors="pt")
    assert list(out["input_ids"].shape) == [2, 8]
    assert out["attention_mask"].tolist()[0] == [1, 1, 1, 1, 1, 1, 0, 0]
    assert out.input_ids.tolist()[1][-1] == tok.token_to_id("[SEP]")
    pair = tok("first text", "second", return_tensors=None)
    assert pair["token_type_ids"] == [0, 0, 0, 0, 1, 1]
    assert tok.decode(pair["input_ids"]) == "first text second"
    assert tok.decode(pair["input_ids"], skip_special_tokens=False) == "[CLS] first text [SEP] second [SEP]"
    assert tok.truncation is None or "max_length" in tok.truncation  # the original is unchanged by calls
    plain = copy.copy(tok)
    plain.no_padding()
    e = plain.encode_batch(["a b"])
    assert len(e) == 1 and e[0].word_ids == [None, 0, 1, None]


def test_bad_input_is_a_clear_error(tok, tmp_path):
    with pytest.raises(ember.Error, match="tokenizer.json"):
        Tokenizer.from_pretrained(tmp_path)
    (tmp_path / "tokenizer.json").write_text('{"model": {"type": "Unigram"}}')
    with pytest.raises(ember.Error, match="Unigram"):
        Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    with pytest.raises(TypeError, match="'text'"):
        tok(3)
    with pytest.raises(ValueError, match="padding"):
        tok("x", padding="sideways")
    with pytest.raises(ember.Error):
        tok.decode([10 ** 9])


def test_sentence_transformer_equals_sentence_transformers(minilm_dir):
    st = ember.models.SentenceTransformer(minilm_dir)
    assert st.max_seq_length == 256 and st.get_sentence_embedding_dimension() == 384
    g = json.loads((GOLDEN / "models" / "minilm_embeddings.json").read_text(encoding="utf-8"))
    want = ember.load(str(GOLDEN / "models" / "minilm_embeddings.safetensors"))["embeddings"].numpy()
    texts = g["texts"][:48]  # the written texts and some reviews; the C++ test runs all 200
    got = st.encode(texts, batch_size=16)
    assert isinstance(got, np.ndarray) and got.shape == (48, 384)
    np.testing.assert_allclose(got, want[:48], atol=1e-5, rtol=0)
    one = st.encode(texts[3], convert_to_tensor=True)
    assert list(one.shape) == [384]
    with pytest.raises(TypeError, match="'sentences'"):
        st.encode(5)
