"""Golden sentence embeddings of all-MiniLM-L6-v2, from sentence-transformers on PyTorch 2.x.

Run with the benchmark venv (torch, sentence-transformers and tokenizers from PyPI):
  /opt/torch/bin/python tests/golden/models/gen_minilm_embeddings.py [--data ../shared/data]
Writes, beside this script:
  minilm_embeddings.json          the 200 texts, each one's token ids (truncated at the model's
                                  max_seq_length, 256) and the versions that made them
  minilm_embeddings.safetensors   "embeddings" (200, 384) float32: SentenceTransformer.encode's
                                  output (mean pooling over the attention mask, then L2 normalize)
The texts: 40 written here (accents, CJK, emoji, punctuation runs, long words, empty and
whitespace-only strings, other scripts) and 160 IMDB reviews, many longer than 256 tokens.
"""
import argparse
import gzip
import json
import os
import random

import sentence_transformers
import tokenizers
import torch
from safetensors.torch import save_file
from sentence_transformers import SentenceTransformer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

WRITTEN = [
    "",
    "   ",
    "\t\n",
    "Hello world",
    "hello world",
    "HELLO WORLD!!!",
    "The cat sat on the mat.",
    "A man is playing a guitar.",
    "Café, naïve, Ångström, façade, résumé, Zürich, São Paulo.",
    "Crème brûlée is a French dessert; jalapeño is a pepper.",
    "東京は日本の首都です。",
    "我喜欢学习机器学习和深度学习。",
    "한국어 문장도 토큰화됩니다.",
    "Emoji: 😀🎉👍🏽 and a family 👨‍👩‍👧‍👦 in one line.",
    "Punctuation runs: ?!?!... --- ((())) [[]] {{}} ;;; :::",
    "Wait...what?!?! No way!!!",
    "supercalifragilisticexpialidocious " * 3,
    "a" * 150,
    "pneumonoultramicroscopicsilicovolcanoconiosis is a long word",
    "Numbers 1234567890, 3.14159, -42, 1e10 and 100%.",
    "Visit https://example.com/path?query=1&x=y or mail someone@example.org.",
    "It's, don't, won't, y'all, rock 'n' roll.",
    "Привет, как дела? Всё хорошо.",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "สวัสดีชาวโลก",
    "Γειά σου Κόσμε",
    "Mixed: English, 日本語, русский, العربية in one sentence.",
    "Tabs\tand\nnewlines\r\nand  double  spaces.",
    "Control\x07chars\x00here",
    "C++ and C# and F# are languages; so is Python 3.11.",
    "The quick brown fox jumps over the lazy dog.",
    "A lovely, sunny day at the beach with friends.",
    "The stock market crashed and investors panicked.",
    "I absolutely loved this movie, a masterpiece!",
    "Worst film I have ever seen. Total waste of time.",
    "Machine learning models need data, compute and care.",
    "She sells sea shells by the sea shore.",
    "ÀÉÎÕÜ àéîõü ÇçÑñ ßẞ ﬁ ﬂ",
    "The end.",
]


def imdb_texts(data, n, seed):
    with gzip.open(os.path.join(data, "imdb", "reviews.json.gz"), "rt", encoding="utf-8") as f:
        reviews = json.load(f)
    rng = random.Random(seed)
    picks = sorted(rng.sample(range(len(reviews)), n))
    return [reviews[i]["t"] for i in picks]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    args = ap.parse_args()
    folder = os.path.join(args.data, "models", "all-MiniLM-L6-v2")
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic reductions
    model = SentenceTransformer(folder, device="cpu")
    texts = WRITTEN + imdb_texts(args.data, 160, seed=15)
    assert len(texts) == 200
    emb = model.encode(texts, batch_size=32, convert_to_tensor=True, normalize_embeddings=False)
    features = model.tokenize(texts)
    ids = [[int(i) for i, m in zip(row, mask) if m] for row, mask in
           zip(features["input_ids"].tolist(), features["attention_mask"].tolist())]
    meta = {"model": "all-MiniLM-L6-v2", "max_seq_length": model.max_seq_length, "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__, "tokenizers": tokenizers.__version__}
    with open(os.path.join(HERE, "minilm_embeddings.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "texts": texts, "ids": ids}, f, ensure_ascii=False, separators=(",", ":"))
    save_file({"embeddings": emb.float().contiguous()}, os.path.join(HERE, "minilm_embeddings.safetensors"),
              metadata={k: str(v) for k, v in meta.items()})
    longest = max(len(i) for i in ids)
    print(f"wrote 200 embeddings {tuple(emb.shape)}; longest input {longest} tokens; "
          f"{sum(len(i) == model.max_seq_length for i in ids)} truncated at {model.max_seq_length}")


if __name__ == "__main__":
    main()
