"""Golden encodings for text::Tokenizer (tests/test_text_wordpiece.cpp, tests/test_text_tokenizer_json.cpp)
from Hugging Face `tokenizers` (0.23.3), which shares no code with Ember.

Tokenizers covered:
  minilm      the released all-MiniLM-L6-v2 tokenizer.json (BERT WordPiece, uncased) from the data root;
  minilm_seq  the same vocabulary with other components swapped in (the "override" of each case:
              normalizer/pre-tokenizer/post-processor sections replaced before loading);
  gpt2        GPT-2's byte-level BPE, built here with `tokenizers` from the data root's
              gpt2/encoder.json + vocab.bpe, set up as Hugging Face's gpt2 tokenizer.json, and
              saved to a temporary folder (the vocabulary is never committed);
  bpe_fixture tests/golden/text/bpe_fixture_tokenizer.json: a small byte-level BPE (RoBERTa-style
              post-processor, add_prefix_space, a <mask> with lstrip) trained here on a slice of
              TinyShakespeare when the file is missing (or with --retrain); committed.
  bpe_char_fixture  tests/golden/text/bpe_char_fixture_tokenizer.json: a small BPE over characters
              (NFKD + Lowercase, Whitespace pre-tokenizer, "</w>" word ends, a limited alphabet so
              that other characters are fused <unk>s, BPEDecoder), trained the same way; committed.

Each case holds the text(s), the settings (truncation, padding, add_special_tokens) and what
`tokenizers` returns: ids, type ids, attention and special-tokens masks, word ids and character
offsets (Python's; Ember's are bytes and converts with Encoding::char_offsets). 50 IMDB reviews
(every 1,000th, truncated at 256 tokens; 15 of them for gpt2, 5 for the others) are read from the
data root and their text stored in the golden file, as are TinyShakespeare's first 3,000
characters (the very long input, truncated at 256 and 512 tokens). Run with a Python that has `tokenizers` (never commit the environment):

    /opt/torch/bin/python tests/golden/text/gen_hf_tokenizers.py [DATA_ROOT] [--retrain]
"""
import gzip
import json
import os
import sys
import tempfile

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
ROOT = ARGS[0] if ARGS else os.path.join(os.path.dirname(REPO), "shared", "data")
RETRAIN = "--retrain" in sys.argv
FIXTURE = os.path.join(HERE, "bpe_fixture_tokenizer.json")
CHAR_FIXTURE = os.path.join(HERE, "bpe_char_fixture_tokenizer.json")
OUT = os.path.join(HERE, "hf_tokenizers.json")

# ------------------------------------------------------------------------------------ texts

TEXTS = [
    # plain English, punctuation, apostrophes
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Wait... what?!?! No way!!!",
    "--- *** ___ ((( ))) [[ ]] {{ }} <<< >>> ~~~",
    "He said: \"I'm fine\" -- she said, 'you're not'.",
    "don't can't won't I'll we've they're she'd it's o'clock rock 'n' roll O'Neill's",
    "`backticks` and ^carets^ and |pipes| and $dollars$ and #hash and @at and &amp;",
    # numbers, URLs, e-mail
    "3.14159 1,000,000 2024-01-01 12:30pm $100.00 50% -7 +8 1e-5 0x1F",
    "Visit https://example.com/path/to/page?query=1&b=two#section or http://x.y.z:8080/",
    "Mail me at first.last+tag@example.co.uk, ok?",
    # accents and case
    "café naïve Ångström résumé São Paulo Zürich Ærøskøbing",
    "CAFÉ NAÏVE ÅNGSTRÖM",
    "cafe\u0301 (decomposed) and caf\u00e9 (composed)",
    "İstanbul ıi ẞ ß ǅ ﬁ ﬀ Ⅻ ½ ²",
    "Ça va? Où est l'hôtel? ¿Qué tal? ¡Olé!",
    # CJK and other scripts
    "中文字符测试，包括标点。",
    "日本語のテキスト、ひらがなとカタカナ。",
    "한국어 텍스트입니다.",
    "Hello世界mixed中文English",
    "豈 更 車 (compatibility ideographs) 𠀀 𪜀",
    "مرحبا بالعالم! هذا اختبار.",
    "नमस्ते दुनिया। यह एक परीक्षण है।",
    "สวัสดีชาวโลก นี่คือการทดสอบ",
    "Привет, мир! Это тест. ЁЖИК ёжик",
    "Καλημέρα κόσμε! ΣΊΣΥΦΟΣ σίσυφος",
    "שלום עולם",
    "Tiếng Việt có dấu: Xin chào thế giới",
    # emoji (ZWJ sequences, skin tones, flags, variation selectors)
    "I love it 😀😀😀!",
    "Thumbs up 👍🏽 and 👍",
    "Family: 👨\u200d👩\u200d👧\u200d👦 and rainbow flag 🏳️\u200d🌈",
    "I ❤️ NY ☕ ✈️ ⚽",
    "🇫🇷🇯🇵 flags",
    # long words
    "a" * 100,
    "b" * 101,
    "Supercalifragilisticexpialidocious " * 3,
    "pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "short " + "x" * 150 + " tail",
    # empty, whitespace only, control characters
    "",
    " ",
    "     ",
    "\t\n\r\n",
    "\u3000\u00a0\u2003",
    "a\x00b\x01c\x7fd",
    "bell\x07 and escape\x1b[0m",
    "replacement \ufffd char",
    "zero\u200bwidth\u200cjoiner\u200dand\u2060word",
    "soft\u00adhyphen and bidi \u202eoverride\u202c",
    "line\u2028separator\u2029paragraph",
    "private \ue000 use and noncharacter \U0010fffd",
    "vertical\x0btab\x0cform feed",
    # special tokens in the text
    "[CLS] hello [SEP] world [MASK]",
    "[cls] lowercase specials [Sep]",
    "<|endoftext|>Once upon a time<|endoftext|>",
    "<s>hi</s> <pad> <mask> there <mask>",
    # HTML as in IMDB
    "Great film.<br /><br />Would watch again!<br />10/10",
    # combining marks
    "Z\u0351\u0359a\u0315l\u0337g\u0358o",
    "a\u0317\u0301b",
]

LONG_SENTENCE = "This sentence is repeated many times to make a long input. "


def shakespeare(n):
    with open(os.path.join(ROOT, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        return f.read(n)


def imdb_reviews(k):
    with gzip.open(os.path.join(ROOT, "imdb", "reviews.json.gz"), "rt", encoding="utf-8") as f:
        reviews = json.load(f)
    step = len(reviews) // k
    return [reviews[i * step + 7]["t"] for i in range(k)]


PAIRS = [
    ("What is the capital of France?", "Paris is the capital and largest city of France."),
    ("Hello", "world"),
    ("", "only the second"),
    ("only the first", ""),
    ("café", "CAFÉ naïve"),
    ("中文", "日本語"),
    ("[CLS] inside", "and [SEP] here"),
    ("a b c d e f g h i j k l m n o p q r s t u v w x y z", "1 2 3 4 5 6 7 8 9 10"),
    ("The movie was long. " * 10, "Was it good?"),
    ("Short question?", "A much longer answer that goes on and on with many words in it. " * 6),
]

# ------------------------------------------------------------------------------------ tokenizers


def load_minilm():
    return Tokenizer.from_file(os.path.join(ROOT, "models", "all-MiniLM-L6-v2", "tokenizer.json"))


# Component swaps for "minilm_seq": the C++ test applies the same replacement to the JSON.
MINILM_SEQ_OVERRIDE = {
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}, {"type": "Strip", "strip_left": True,
                                                                             "strip_right": True}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Whitespace"}, {"type": "Digits", "individual_digits": True},
        {"type": "Punctuation", "behavior": "Isolated"}]},
    "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 102], "cls": ["[CLS]", 101]},
    "truncation": None,
    "padding": None,
}


def load_minilm_seq():
    with open(os.path.join(ROOT, "models", "all-MiniLM-L6-v2", "tokenizer.json"), encoding="utf-8") as f:
        j = json.load(f)
    j.update(MINILM_SEQ_OVERRIDE)
    return Tokenizer.from_str(json.dumps(j))


def gpt2_tokenizer(tmp):
    """GPT-2 as Hugging Face's gpt2 tokenizer.json sets it up, from encoder.json + vocab.bpe."""
    tok = Tokenizer(models.BPE.from_file(os.path.join(ROOT, "gpt2", "encoder.json"),
                                         os.path.join(ROOT, "gpt2", "vocab.bpe")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    path = os.path.join(tmp, "tokenizer.json")
    tok.save(path)
    return Tokenizer.from_file(path)  # what was written is what is tested


def bpe_fixture():
    if os.path.exists(FIXTURE) and not RETRAIN:
        return Tokenizer.from_file(FIXTURE)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=400, min_frequency=2, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    text = shakespeare(200_000)
    lines = text.split("\n")
    tok.train_from_iterator(lines, trainer=trainer)
    tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")),
                                                      trim_offsets=True, add_prefix_space=True)
    tok.save(FIXTURE, pretty=False)
    assert os.path.getsize(FIXTURE) < 100_000, "the fixture must stay small"
    return Tokenizer.from_file(FIXTURE)


def bpe_char_fixture():
    if os.path.exists(CHAR_FIXTURE) and not RETRAIN:
        return Tokenizer.from_file(CHAR_FIXTURE)
    tok = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>", fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(vocab_size=300, min_frequency=2, special_tokens=["<unk>"], limit_alphabet=40,
                                  end_of_word_suffix="</w>", show_progress=False)
    tok.train_from_iterator(shakespeare(200_000).split("\n"), trainer=trainer)
    tok.save(CHAR_FIXTURE, pretty=False)
    assert os.path.getsize(CHAR_FIXTURE) < 100_000, "the fixture must stay small"
    return Tokenizer.from_file(CHAR_FIXTURE)


# ------------------------------------------------------------------------------------ cases


def apply(tok, settings):
    """settings: None keeps the file's truncation/padding; else a dict as written to the golden."""
    if settings is None:
        return
    t = settings.get("truncation")
    if t is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(t["max_length"], strategy=t["strategy"], direction=t["direction"])
    p = settings.get("padding")
    if p is None:
        tok.no_padding()
    else:
        tok.enable_padding(direction=p["direction"], pad_id=p["pad_id"], pad_type_id=p["pad_type_id"],
                           pad_token=p["pad_token"], length=p["length"], pad_to_multiple_of=p["pad_to_multiple_of"])


def mask(bits):
    return "".join(str(b) for b in bits)


def record(e, with_tokens=True):
    r = {
        "ids": e.ids,
        "type_ids": mask(e.type_ids) if max(e.type_ids, default=0) <= 9 else e.type_ids,
        "attention_mask": mask(e.attention_mask),
        "special_tokens_mask": mask(e.special_tokens_mask),
        "word_ids": [-1 if w is None else w for w in e.word_ids],
        "offsets": [x for o in e.offsets for x in o],
    }
    if with_tokens:
        r["tokens"] = e.tokens
    return r


def trunc(n, strategy="longest_first", direction="right"):
    return {"truncation": {"max_length": n, "strategy": strategy, "direction": direction}, "padding": None}


PLAIN = {"truncation": None, "padding": None}


def pad(settings, length=None, direction="right", multiple=None, pad_id=0, pad_token="[PAD]"):
    s = dict(settings)
    s["padding"] = {"length": length, "direction": direction, "pad_to_multiple_of": multiple, "pad_id": pad_id,
                    "pad_type_id": 0, "pad_token": pad_token}
    return s


def main():
    print("tokenizers", tokenizers.__version__)
    reviews = imdb_reviews(50)
    long_texts = [shakespeare(3000), LONG_SENTENCE * 120]
    cases, batches, decodes = [], [], []
    texts, text_index = [], {}

    def text_id(t):  # each text is stored once; cases refer to it by index
        if t not in text_index:
            text_index[t] = len(texts)
            texts.append(t)
        return text_index[t]

    def single(name, tok, text, settings, add_special=True, with_tokens=True):
        apply(tok, settings)
        e = tok.encode(text, add_special_tokens=add_special)
        c = {"tokenizer": name, "text": text_id(text), "settings": settings, "add_special_tokens": add_special}
        c.update(record(e, with_tokens))
        cases.append(c)
        return e

    def pair(name, tok, a, b, settings, add_special=True):
        apply(tok, settings)
        c = {"tokenizer": name, "text": text_id(a), "pair": text_id(b), "settings": settings,
             "add_special_tokens": add_special}
        try:
            c.update(record(tok.encode(a, b, add_special_tokens=add_special), with_tokens=settings == PLAIN))
        except Exception as ex:  # e.g. only_second truncation of a second text that is too short
            c["error"] = str(ex)
        cases.append(c)

    def batch(name, tok, inputs, settings):
        apply(tok, settings)
        es = tok.encode_batch(inputs)
        ids = [[text_id(x) for x in i] if isinstance(i, list) else text_id(i) for i in inputs]
        batches.append({"tokenizer": name, "inputs": ids, "settings": settings, "encodings": [record(e) for e in es]})

    def decode(name, tok, ids, skip):
        decodes.append({"tokenizer": name, "ids": ids, "skip_special_tokens": skip,
                        "text": tok.decode(ids, skip_special_tokens=skip)})

    with tempfile.TemporaryDirectory() as tmp:
        toks = {"minilm": load_minilm(), "minilm_seq": load_minilm_seq(), "gpt2": gpt2_tokenizer(tmp),
                "bpe_fixture": bpe_fixture(), "bpe_char_fixture": bpe_char_fixture()}
        for name, tok in toks.items():
            main = name in ("minilm", "gpt2")  # the real vocabularies; the others get fewer long inputs
            n_reviews = {"minilm": 50, "gpt2": 15}.get(name, 5)
            for text in TEXTS:
                e = single(name, tok, text, PLAIN)
                if name != "minilm_seq":
                    decode(name, tok, e.ids, True)
                    if main:
                        decode(name, tok, e.ids, False)
            for text in TEXTS[:12]:
                single(name, tok, text, PLAIN, add_special=False)
            for text in long_texts:
                single(name, tok, text, trunc(256), with_tokens=False)
                if main:
                    single(name, tok, text, trunc(512), with_tokens=False)
                    single(name, tok, text, trunc(256, direction="left"), with_tokens=False)
            for text in reviews[:n_reviews]:
                single(name, tok, text, trunc(256), with_tokens=False)
            pad_token = {"minilm": "[PAD]", "minilm_seq": "[PAD]", "bpe_char_fixture": "<unk>"}.get(name, "<pad>")
            pad_id = tok.token_to_id(pad_token) or 0
            for a, b in PAIRS:
                pair(name, tok, a, b, PLAIN)
                pair(name, tok, a, b, trunc(24))
                pair(name, tok, a, b, trunc(25, direction="left"))
            for a, b in PAIRS[7:]:
                pair(name, tok, a, b, trunc(20, "only_first"))
                pair(name, tok, a, b, trunc(20, "only_second"))
                pair(name, tok, a, b, PLAIN, add_special=False)
            single(name, tok, TEXTS[1], pad(trunc(8), length=12, pad_id=pad_id, pad_token=pad_token))
            single(name, tok, TEXTS[0], pad(PLAIN, direction="left", multiple=8, pad_id=pad_id, pad_token=pad_token))
            batch(name, tok, TEXTS[:6], pad(trunc(16), pad_id=pad_id, pad_token=pad_token))
            batch(name, tok, [list(p) for p in PAIRS[:4]], pad(PLAIN, direction="left", multiple=4, pad_id=pad_id,
                                                                pad_token=pad_token))
        # The file's own truncation (128) and padding (Fixed 128) sections.
        minilm = load_minilm()
        for text in [TEXTS[0], reviews[0], long_texts[0]]:
            single("minilm", minilm, text, None, with_tokens=False)
        batch("minilm", minilm, reviews[:3], None)

    out = {"generator": "tests/golden/text/gen_hf_tokenizers.py", "tokenizers_version": tokenizers.__version__,
           "minilm_seq_override": MINILM_SEQ_OVERRIDE, "texts": texts, "cases": cases, "batches": batches, "decodes": decodes}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases, {len(batches)} batches, {len(decodes)} decodes, "
          f"{os.path.getsize(OUT) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
