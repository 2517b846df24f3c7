"""ember.text: Ember's tokenizers (C++, ember::text), with Hugging Face's basic calling convention.

    tok = ember.text.GPT2Tokenizer.from_pretrained("gpt2")   # <data root>/gpt2, or a folder
    tok.encode("Hello world")                  # [15496, 995]
    tok.decode([15496, 995])                   # 'Hello world'
    tok(["a b", "c"], padding=True, return_tensors="pt")["input_ids"]   # needs tok.pad_token

Tokenizer reads Hugging Face's tokenizer.json (BERT's WordPiece, GPT-2's byte-level BPE, ...) with
the `tokenizers` package's methods, and calling it works as transformers' tokenizers:

    tok = ember.text.Tokenizer.from_pretrained("all-MiniLM-L6-v2")
    tok(["a review", "another"], padding=True, truncation=True, max_length=256, return_tensors="pt")

CharTokenizer (one id per Unicode character, char-rnn / nanoGPT), WordTokenizer (IMDB-style words, <pad> = 0,
<unk> = 1) and GPT2Tokenizer (GPT-2's byte-level BPE, tiktoken's "gpt2" ids). Text is str or
bytes; encode returns a list of ints, encode_tensor a (N,) int64 tensor; decode takes a list of
ints or a 1-D int tensor. Encoding releases the GIL.
"""
import os

from . import _C
import copy

from ._C.text import CharTokenizer, Encoding, GPT2Tokenizer, Tokenizer, WordTokenizer

__all__ = ["CharTokenizer", "WordTokenizer", "GPT2Tokenizer", "Tokenizer", "Encoding", "BatchEncoding"]


class BatchEncoding(dict):
    """What calling a tokenizer returns: {"input_ids": ..., "attention_mask": ...}, also as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _as_tensor(rows, who, kind):
    if any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"{who}: the encodings have different lengths; pass padding=True (or truncation=True "
                         "with max_length) to make a tensor of them")
    n = len(rows[0]) if rows else 0
    if kind == "np":
        import numpy
        return numpy.array(rows, dtype=numpy.int64).reshape(len(rows), n)
    return _C.tensor([x for r in rows for x in r], dtype=_C.dtype.int64).reshape(len(rows), n)


def _call(self, text, padding=False, truncation=False, max_length=None, return_tensors=None,
          return_attention_mask=True, **encode_kwargs):
    """Hugging Face's tokenizer(text): input_ids (and attention_mask) of a str or a list of str.

    padding: False, True / "longest", or "max_length"; pads at the end with pad_token_id.
    truncation: keep the first max_length ids. return_tensors: None (lists), "pt" (ember
    tensors, (B, T) int64; a single text gives B = 1) or "np". encode_kwargs go to encode
    (GPT2Tokenizer: allow_special=True makes "<|endoftext|>" the special token).
    """
    who = type(self).__name__
    single = isinstance(text, (str, bytes))
    if not single and not (isinstance(text, (list, tuple)) and all(isinstance(t, (str, bytes)) for t in text)):
        raise TypeError(f"{who}(): argument 'text' must be a str or a list of str, not {type(text).__name__}")
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0):
        raise TypeError(f"{who}(): argument 'max_length' must be a non-negative int or None")
    if padding is True:
        padding = "longest"
    if padding not in (False, None, "do_not_pad", "longest", "max_length"):
        raise ValueError(f"{who}(): padding must be True, False, 'longest' or 'max_length', got {padding!r}")
    if truncation and max_length is None:
        raise ValueError(f"{who}(): truncation=True needs max_length")
    if padding == "max_length" and max_length is None:
        raise ValueError(f"{who}(): padding='max_length' needs max_length")
    ids = [self.encode(t, **encode_kwargs) for t in ([text] if single else text)]
    if truncation:
        ids = [r[:max_length] for r in ids]
    mask = [[1] * len(r) for r in ids]
    if padding in ("longest", "max_length"):
        pad = self.pad_token_id
        if pad is None:
            raise ValueError(f"{who}: asking to pad but the tokenizer has no padding token; set one, e.g. "
                             "tok.pad_token = tok.eos_token")
        width = max_length if padding == "max_length" else max((len(r) for r in ids), default=0)
        mask = [m + [0] * (width - len(m)) for m in mask]
        ids = [r + [pad] * (width - len(r)) for r in ids]
    out = BatchEncoding(input_ids=ids)
    if return_attention_mask:
        out["attention_mask"] = mask
    if return_tensors in ("pt", "np"):
        for k in out:
            out[k] = _as_tensor(out[k], who, return_tensors)
    elif return_tensors is not None:
        raise ValueError(f"{who}(): return_tensors must be None, 'pt' or 'np', got {return_tensors!r}")
    elif single:
        for k in out:
            out[k] = out[k][0]
    return out


def _pad_token_get(self):
    return self.__dict__.get("_pad_token")


def _pad_token_set(self, token):
    """A token of the vocabulary (one id) to pad with, or None."""
    if token is not None:
        ids = self.encode(token, allow_special=True) if isinstance(self, GPT2Tokenizer) else self.encode(token)
        if len(ids) != 1:
            raise ValueError(f"{type(self).__name__}: pad_token {token!r} is {len(ids)} tokens, not one")
        self.__dict__["_pad_token_id"] = ids[0]
    self.__dict__["_pad_token"] = token


for _cls in (CharTokenizer, GPT2Tokenizer):
    _cls.pad_token = property(_pad_token_get, _pad_token_set)
    _cls.pad_token_id = property(lambda self: self.__dict__.get("_pad_token_id") if self.pad_token else None)
for _cls in (CharTokenizer, WordTokenizer, GPT2Tokenizer):
    _cls.__call__ = _call

# GPT-2's one special token is its end of text, beginning of text and unknown token.
_EOT = "<|endoftext|>"
GPT2Tokenizer.eos_token = GPT2Tokenizer.bos_token = GPT2Tokenizer.unk_token = _EOT
GPT2Tokenizer.eos_token_id = GPT2Tokenizer.bos_token_id = GPT2Tokenizer.unk_token_id = property(
    lambda self: self.eot_token)


def _gpt2_from_pretrained(path="gpt2"):
    """A folder holding encoder.json and vocab.bpe (OpenAI's names) or vocab.json and merges.txt
    (Hugging Face's); "gpt2" or None, when no such folder exists, is <data root>/gpt2."""
    if path is None or (path == "gpt2" and not os.path.isdir(path)):
        path = os.path.join(_C.data.resolve_data_root(""), "gpt2")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"GPT2Tokenizer.from_pretrained(): argument 'path' must be a str or path, "
                        f"not {type(path).__name__}")
    path = os.fspath(path)
    hf = [os.path.join(path, f) for f in ("vocab.json", "merges.txt")]
    if not os.path.exists(os.path.join(path, "encoder.json")) and all(os.path.exists(f) for f in hf):
        return GPT2Tokenizer.from_files(*hf)
    return GPT2Tokenizer.from_directory(path)


GPT2Tokenizer.from_pretrained = staticmethod(_gpt2_from_pretrained)


def _tokenizer_call(self, text, text_pair=None, padding=False, truncation=False, max_length=None,
                    return_tensors=None, add_special_tokens=True, return_token_type_ids=True,
                    return_attention_mask=True):
    """transformers' tokenizer(text): input_ids, token_type_ids and attention_mask of a str, a
    list of str, or pairs (text_pair). padding: False, True / "longest" or "max_length";
    truncation: True / "longest_first", "only_first" or "only_second" (at max_length, else the
    file's truncation length); return_tensors: None (lists), "pt" or "np"."""
    who = "Tokenizer"
    single = isinstance(text, str)
    texts = [text] if single else text
    if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"{who}(): argument 'text' must be a str or a list of str, not {type(text).__name__}")
    if text_pair is not None:
        pairs = [text_pair] if isinstance(text_pair, str) else text_pair
        if not isinstance(pairs, (list, tuple)) or len(pairs) != len(texts):
            raise ValueError(f"{who}(): text_pair must match text (a str, or a list of the same length)")
        texts = list(zip(texts, pairs))
    tok = copy.copy(self)
    if truncation:
        strategy = "longest_first" if truncation is True else truncation
        if max_length is None:
            if self.truncation is None:
                raise ValueError(f"{who}(): truncation needs max_length (this tokenizer.json sets none)")
            max_length = self.truncation["max_length"]
        tok.enable_truncation(max_length, strategy=strategy)
    else:
        tok.no_truncation()
    if padding is True:
        padding = "longest"
    if padding in ("longest", "max_length"):
        p = self.padding or {}
        pad_token = p.get("pad_token", "[PAD]")
        pad_id = p.get("pad_id", self.token_to_id(pad_token))
        if pad_id is None:
            raise ValueError(f"{who}: asking to pad but the tokenizer has no padding token")
        if padding == "max_length" and max_length is None:
            raise ValueError(f"{who}(): padding='max_length' needs max_length")
        tok.enable_padding(pad_id=pad_id, pad_token=pad_token, pad_type_id=p.get("pad_type_id", 0),
                           direction=p.get("direction", "right"),
                           length=max_length if padding == "max_length" else None)
    elif padding in (False, None, "do_not_pad"):
        tok.no_padding()
    else:
        raise ValueError(f"{who}(): padding must be True, False, 'longest' or 'max_length', got {padding!r}")
    encs = tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)
    out = BatchEncoding(input_ids=[e.ids for e in encs])
    if return_token_type_ids:
        out["token_type_ids"] = [e.type_ids for e in encs]
    if return_attention_mask:
        out["attention_mask"] = [e.attention_mask for e in encs]
    if return_tensors in ("pt", "np"):
        for k in out:
            out[k] = _as_tensor(out[k], who, return_tensors)
    elif return_tensors is not None:
        raise ValueError(f"{who}(): return_tensors must be None, 'pt' or 'np', got {return_tensors!r}")
    elif single:
        for k in out:
            out[k] = out[k][0]
    return out


Tokenizer.__call__ = _tokenizer_call
_from_file, _from_pretrained = Tokenizer.from_file, Tokenizer.from_pretrained
Tokenizer.from_file = staticmethod(lambda path: _from_file(os.fspath(path)))
Tokenizer.from_pretrained = staticmethod(lambda path: _from_pretrained(os.fspath(path)))
del _cls
