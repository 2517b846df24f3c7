#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<harness>/ (committed; rerun after changing a format).

Small valid inputs of each format, plus a few typical broken ones; libFuzzer mutates from these.
The multi-part harnesses read FuzzedDataProvider's ConsumeRandomLengthString: a string ends at a
backslash followed by any other byte, and "\\\\" stands for one backslash.
"""
import gzip
import json
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fdp_string(s):
    """One ConsumeRandomLengthString field (then its terminator)."""
    if isinstance(s, str):
        s = s.encode()
    return s.replace(b"\\", b"\\\\") + b"\\n"


def fdp_bool(b):
    # ConsumeBool takes its byte from the end of the input.
    return bytes([1 if b else 0])


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(*v):
    return struct.pack("<%df" % len(v), *v)


def f64(*v):
    return struct.pack("<%dd" % len(v), *v)


def i64(*v):
    return struct.pack("<%dq" % len(v), *v)


def rng_state_hex():
    # Generator::get_state: mt19937_64's text form (312 words and an index), the seed, the spare
    # flag, then the spare normal as 8 raw bytes.
    text = " ".join(str(i * 2654435761 % (1 << 64)) for i in range(1, 313)) + " 312 5489 0 "
    return (text.encode() + struct.pack("<d", 0.5)).hex()


def main():
    shutil.rmtree(ROOT, ignore_errors=True)

    # safetensors
    put("safetensors", "f32_i64_bool", safetensors(
        [("w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6)), ("idx", "I64", [2], i64(7, -1)),
         ("mask", "BOOL", [3], b"\x00\x01\x01")], {"format": "pt"}))
    put("safetensors", "half_types", safetensors(
        [("a", "F16", [2], b"\x00\x3c\x00\xc0"), ("b", "BF16", [1, 2], b"\x80\x3f\x00\x40"),
         ("c", "F64", [1], f64(0.25)), ("d", "I32", [0], b""), ("e", "F32", [], f32(3.5))]))
    put("safetensors", "empty_header", safetensors([]))
    put("safetensors", "huge_shape", safetensors([("x", "F32", [1 << 40, 1 << 30], b"")]))
    put("safetensors", "truncated", safetensors([("w", "F32", [4], f32(1, 2, 3, 4))])[:-5])

    # checkpoints: nn::Linear(3, 2) with Adam's state, as save_checkpoint writes them
    model = [("model.bias", "F32", [2], f32(0.1, -0.2)), ("model.weight", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))]
    opt = [("optimizer.param_groups.0.lr", "F64", [], f64(1e-3)),
           ("optimizer.param_groups.0.eps", "F64", [], f64(1e-8)),
           ("optimizer.param_groups.0.weight_decay", "F64", [], f64(0)),
           ("optimizer.param_groups.0.amsgrad", "F64", [], f64(0)),
           ("optimizer.param_groups.0.maximize", "F64", [], f64(0)),
           ("optimizer.param_groups.0.beta1", "F64", [], f64(0.9)),
           ("optimizer.param_groups.0.beta2", "F64", [], f64(0.999)),
           ("optimizer.param_groups.0.params", "I64", [2], i64(0, 1)),
           ("optimizer.state.0.step", "F64", [], f64(3)),
           ("optimizer.state.0.exp_avg", "F32", [2, 3], f32(0, 0, 0, 0, 0, 0)),
           ("optimizer.state.0.exp_avg_sq", "F32", [2, 3], f32(0, 0, 0, 0, 0, 0)),
           ("optimizer.state.1.step", "F64", [], f64(3)),
           ("optimizer.state.1.exp_avg", "F32", [2], f32(0, 0)),
           ("optimizer.state.1.exp_avg_sq", "F32", [2], f32(0, 0))]
    meta = {"epoch": "2", "recipe": "mnist-cnn", "rng": rng_state_hex(), "world_size": "1",
            "history": "1 loss=0.5 test_accuracy=0.9\n2 loss=0.25 test_accuracy=0.95\n"}
    put("checkpoint", "linear_adam", safetensors(model + opt, meta))
    put("checkpoint", "model_only", safetensors(model, {"epoch": "1", "recipe": "mnist-cnn"}))
    put("checkpoint", "bad_epoch", safetensors(model, {"epoch": "two", "rng": "zz"}))

    # IDX: first byte 1 = images (28x28), 0 = labels; then the file, plain or gzip'd
    images = struct.pack(">IIII", 2051, 2, 28, 28) + bytes(range(256)) * 6 + bytes(32)
    labels = struct.pack(">II", 2049, 3) + bytes([7, 2, 1])
    put("idx", "images", b"\x01" + images)
    put("idx", "images_gz", b"\x01" + gzip.compress(images, mtime=0))
    put("idx", "labels", b"\x00" + labels)
    put("idx", "labels_gz", b"\x00" + gzip.compress(labels, mtime=0))
    put("idx", "labels_huge_count", b"\x00" + struct.pack(">II", 2049, 0xFFFFFFFF) + b"\x01")
    put("idx", "images_huge", b"\x01" + struct.pack(">IIII", 2051, 0xFFFFFFFF, 28, 28) + b"\x00" * 16)

    # IMDB reviews.json(.gz)
    reviews = [{"t": "A great movie, I loved it!", "s": 1}, {"t": "Dull. Don't watch <br /> it.", "s": 0},
               {"t": "caf\u00e9 \u4e2d\u6587 \U0001F600", "s": 1}]
    put("imdb", "plain.json", json.dumps(reviews))
    put("imdb", "reviews.json.gz", gzip.compress(json.dumps(reviews).encode(), mtime=0))
    put("imdb", "bad_label.json", '[{"t": "x", "s": 2}]')
    put("imdb", "nested.json", "[" * 50 + "]" * 50)

    # text files
    put("text_file", "shakespeare.txt", "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
                                        "All:\nSpeak, speak.\n")
    put("text_file", "utf8.txt", "na\u00efve caf\u00e9 \u2014 \u4e2d\u6587 \U0001F600\n")
    put("text_file", "one_char.txt", "a")
    put("text_file", "invalid_utf8.txt", b"ab\xff\xfe\xc3(cd")

    # vocabularies in checkpoint metadata: the JSON, the text, then the word (1) / char (0) flag
    # (FuzzedDataProvider takes numbers and flags from the end of the input)
    word_vocab = json.dumps(["<pad>", "<unk>", "the", "cat", "don't"])
    char_vocab = json.dumps(["\n", " ", "a", "b", "\u00e9"])
    put("vocab_json", "word", fdp_string(word_vocab) + b"the cat don't sit" + fdp_bool(True))
    put("vocab_json", "char", fdp_string(char_vocab) + b"ab ba\n" + fdp_bool(False))
    put("vocab_json", "char_hex", fdp_string('"0a2061"') + b"a a" + fdp_bool(False))

    # tokenizer.json: a BERT-style WordPiece pipeline and a GPT-2-style byte-level BPE one
    minilm = "/work/shared/data/models/all-MiniLM-L6-v2/tokenizer.json"
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world",
                                         "##s", "!", ",", "un", "##aff", "##able", "caf", "##e"])}
    bert = {"version": "1.0",
            "truncation": {"direction": "Right", "max_length": 16, "strategy": "LongestFirst", "stride": 0},
            "padding": {"strategy": {"Fixed": 16}, "direction": "Right", "pad_to_multiple_of": None,
                        "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
            "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True}
                             for t, i in vocab.items() if t.startswith("[")],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": True},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                               "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                        {"Sequence": {"id": "B", "type_id": 1}},
                                        {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                               "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]}
                                                  for t, i in vocab.items() if t in ("[CLS]", "[SEP]")}},
            "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": vocab}}
    bpe_vocab = {c: i for i, c in enumerate(["h", "e", "l", "o", "\u0120", "w", "r", "d", "he", "ll", "\u0120w",
                                             "<|endoftext|>"])}
    gpt = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [{"id": 11, "content": "<|endoftext|>", "single_word": False, "lstrip": False,
                             "rstrip": False, "normalized": True, "special": True}],
           "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
           "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
           "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                     "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                     "vocab": bpe_vocab, "merges": ["h e", "l l", "\u0120 w"]}}
    put("tokenizer_json", "bert", fdp_string(json.dumps(bert)) + fdp_string("Hello, worlds!")
        + b"unaffable caf\xc3\xa9" + fdp_bool(True))
    put("tokenizer_json", "gpt2", fdp_string(json.dumps(gpt)) + fdp_string("hello world")
        + b"<|endoftext|> hello" + fdp_bool(False))
    if os.path.exists(minilm):  # the real one, cut to a hundred vocabulary entries
        j = json.load(open(minilm))
        keep = lambda i: i < 5 or 1996 <= i < 2100  # noqa: E731  (specials, then common words)
        j["model"]["vocab"] = {k: v for k, v in j["model"]["vocab"].items() if keep(v)}
        put("tokenizer_json", "minilm_small", fdp_string(json.dumps(j))
            + fdp_string("Hello World! [SEP] a") + b"the quick brown fox" + fdp_bool(True))

    # GPT-2 vocabulary files: encoder.json, vocab.bpe, the text, then the allow_special flag
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    b2u = {b: chr(c) for b, c in zip(bs, cs)}
    spell = lambda s: "".join(b2u[b] for b in s.encode())  # noqa: E731
    enc = {spell(chr(b)) if b < 128 else b2u[b]: b for b in range(256)}
    merges = [("h", "e"), (" ", "w"), ("l", "l"), ("he", "ll"), (" w", "o")]
    for l, r in merges:
        enc[spell(l + r)] = len(enc)
    enc["<|endoftext|>"] = len(enc)
    bpe = "#version: 0.2\n" + "".join(spell(l) + " " + spell(r) + "\n" for l, r in merges)
    put("gpt2_files", "small", fdp_string(json.dumps(enc)) + fdp_string(bpe)
        + b"hello world<|endoftext|> caf\xc3\xa9" + fdp_bool(True))
    put("gpt2_files", "bad_merge", fdp_string(json.dumps(enc)) + fdp_string("h e\nx y z\n") + b"he" + fdp_bool(False))

    # BERT vocab.txt, text, pair, then the lowercase flag
    put("wordpiece", "small", fdp_string("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n!\nun\n##aff\n"
                                         "##able\n\xe4\xb8\xad\n")
        + fdp_string("Hello, Worlds! unaffable \xe4\xb8\xad\xe6\x96\x87") + b"second text" + fdp_bool(True))
    put("wordpiece", "crlf", fdp_string("[UNK]\r\na\r\n##b\r\n") + fdp_string("ab AB") + b"x" + fdp_bool(False))

    # encode on arbitrary bytes: first byte picks the tokenizer (mod 6)
    for k, text in enumerate([b"the cat sat on the mat", b"hello world, unaffable caf\xc3\xa9",
                              b"Hello World! \xe4\xb8\xad", b"<|endoftext|>\n\n  ing", b"abc\xff\xfe",
                              b"don't o'clock 'this'"]):
        put("tokenizer_encode", "t%d" % k, bytes([k]) + text)
        put("tokenizer_encode", "u%d" % k, bytes([k + 8]) + text)

    # config.json and friends: first byte picks the reader (ConsumeIntegralInRange takes it from the end)
    bert_cfg = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": 30522, "hidden_size": 384,
                "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536,
                "hidden_act": "gelu", "max_position_embeddings": 512, "type_vocab_size": 2,
                "layer_norm_eps": 1e-12, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
                "pad_token_id": 0, "position_embedding_type": "absolute"}
    gpt_cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257, "n_embd": 768,
               "n_layer": 12, "n_head": 12, "n_positions": 1024, "n_inner": None, "activation_function": "gelu_new",
               "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1,
               "tie_word_embeddings": True, "scale_attn_weights": True}
    pooling = {"word_embedding_dimension": 384, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}
    tok_cfg = {"do_lower_case": True, "tokenize_chinese_chars": True, "strip_accents": None,
               "unk_token": "[UNK]", "sep_token": {"content": "[SEP]"}, "cls_token": "[CLS]"}
    put("config_json", "bert", json.dumps(bert_cfg) + "\x00")
    put("config_json", "gpt2", json.dumps(gpt_cfg) + "\x01")
    put("config_json", "pooling", json.dumps(pooling) + "\x02")
    put("config_json", "tokenizer_config", json.dumps(tok_cfg) + "\x03")
    index = {"metadata": {"total_size": 8}, "weight_map": {"embeddings.word_embeddings.weight": "a.safetensors",
                                                           "pooler.dense.weight": "../b.safetensors"}}
    put("config_json", "folder", fdp_string(json.dumps(bert_cfg)) + json.dumps(index).encode() + b"\x04")
    put("config_json", "huge_bert", json.dumps(dict(bert_cfg, hidden_size=65536, intermediate_size=262144,
                                                    num_hidden_layers=1024)) + "\x00")

    # the command line: arguments separated by NUL bytes (argv[0] "ember" is implied)
    for k, args in enumerate([
            ["train", "mnist-cnn", "--epochs", "2", "--batch-size", "64", "--lr", "0.01", "--threads", "1"],
            ["train", "shakespeare-gpt", "--steps", "10", "--seed", "99999999999999999999999"],
            ["train", "imdb-lstm", "--epochs", "1e3", "--max-len", "-5"],
            ["eval", "ckpt.safetensors", "--batch-size", "0"],
            ["tune", "mnist-cnn", "--trials", "3", "--help"],
            ["generate", "--prompt", "To be", "--max-new-tokens", "20"],
            ["embed", "--model", "m", "--text", "a"],
            ["explain", "--method", "saliency"],
            ["distill", "--epochs", "1"],
            ["train", "bert-classifier", "--version"],
            ["train", "nope"],
            ["info"]]):
        put("cli", "args%02d" % k, b"\x00".join(a.encode() for a in args))


if __name__ == "__main__":
    main()
