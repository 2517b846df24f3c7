"""The IMDB subset and batch order of `ember train bert-classifier`, for the PyTorch anchor.

Ember's fixed split (../shared/data/README.md): review i trains when i % 25000 < 12500. The
subset of N training reviews takes every (12500 / (N / 2))-th review of each class, so it is
balanced and spread over the split; the batches come from a shuffle of it per epoch.
The shuffle is this module's own (a 64-bit LCG over Fisher-Yates), written the same way in
Ember's recipe, so both sides see the same batches.
"""
import gzip
import json
import os


def load_reviews(data_root):
    with gzip.open(os.path.join(data_root, "imdb", "reviews.json.gz"), "rt", encoding="utf-8") as f:
        return json.load(f)


def train_subset(n_reviews, size):
    half = n_reviews // 2  # negatives first, then positives
    per_class = min(size // 2, half // 2)
    stride = (half // 2) / per_class
    out = []
    for base in (0, half):
        out += [base + int(k * stride) for k in range(per_class)]
    return out


def test_indices(n_reviews, size=0):
    half = n_reviews // 2
    idx = [i for i in range(n_reviews) if i % half >= half // 2]
    if size and size < len(idx):
        stride = len(idx) / size
        idx = [idx[int(k * stride)] for k in range(size)]
    return idx


def shuffle(items, seed):
    """Fisher-Yates with Knuth's MMIX LCG; the C++ recipe implements the same steps."""
    items = list(items)
    state = (seed * 6364136223846793005 + 1442695040888963407) % 2**64
    for i in range(len(items) - 1, 0, -1):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        j = (state >> 33) % (i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def train_batches(n_reviews, size, batch_size, epochs, seed):
    subset = train_subset(n_reviews, size)
    batches = []
    for e in range(epochs):
        order = shuffle(subset, seed + e)
        batches += [order[b:b + batch_size] for b in range(0, len(order), batch_size)]
    return batches
