"""sentence-transformers' SentenceTransformer over ember::models::SentenceTransformer: the pipeline
of a folder's modules.json (BERT, pooling, normalization), its tokenizer and max_seq_length.

    model = ember.models.SentenceTransformer("all-MiniLM-L6-v2")
    emb = model.encode(["A man is eating.", "Someone eats."])      # numpy (2, 384)
"""
import os

from .. import _C
from ..nn.modules._cpp import wrap_cpp

_M = _C.models


class SentenceTransformer:
    """SentenceTransformer(path): encode(sentences, batch_size=32, convert_to_tensor=False,
    normalize_embeddings=False) as sentence-transformers' (a str gives one vector; numpy unless
    convert_to_tensor). The BERT is `model.transformer` (an ember.models.BertModel)."""

    def __init__(self, model_name_or_path, device=None):
        if not isinstance(model_name_or_path, (str, os.PathLike)):
            raise TypeError("SentenceTransformer(): argument 'model_name_or_path' must be a str or os.PathLike, not "
                            f"{type(model_name_or_path).__name__}")
        if device not in (None, "cpu"):
            raise _C.Error(f"SentenceTransformer: device {device!r} is not supported yet (Ember runs on the CPU)")
        self._impl = _M.SentenceTransformer.from_pretrained(os.fspath(model_name_or_path))
        self.transformer = wrap_cpp(self._impl.model)

    @property
    def max_seq_length(self):
        return self._impl.max_seq_length

    @property
    def tokenizer(self):
        return self._impl.tokenizer

    def get_sentence_embedding_dimension(self):
        return self._impl.dimension

    def encode(self, sentences, batch_size=32, convert_to_tensor=False, convert_to_numpy=True,
               normalize_embeddings=False, show_progress_bar=None):
        single = isinstance(sentences, str)
        texts = [sentences] if single else sentences
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
            raise TypeError(f"SentenceTransformer.encode(): argument 'sentences' must be a str or a list of str, not "
                            f"{type(sentences).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"SentenceTransformer.encode(): argument 'batch_size' must be int, not "
                            f"{type(batch_size).__name__}")
        emb = self._impl.encode(list(texts), batch_size)  # (N, D) float32
        if normalize_embeddings:
            emb = emb / emb.norm(dim=1, keepdim=True).clamp(min=1e-12)
        if single:
            emb = emb[0]
        if convert_to_tensor or not convert_to_numpy:
            return emb
        return emb.numpy()

    def __call__(self, sentences, **kwargs):
        return self.encode(sentences, **kwargs)

    def __repr__(self):
        return (f"SentenceTransformer(max_seq_length={self.max_seq_length}, "
                f"dimension={self.get_sentence_embedding_dimension()}, normalize={self._impl.normalizes})")
