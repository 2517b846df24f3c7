"""The bert-classifier recipe in PyTorch + transformers: the anchor for `ember train bert-classifier`.

Fine-tunes a BERT-family folder (default all-MiniLM-L6-v2) with a classification head on an IMDB
subset, AdamW with linear warmup and decay, then evaluates on IMDB's test split. The subset and
its order are Ember's (bench/imdb_subset.py): the same reviews, the same batches.

    /opt/torch/bin/python bench/bert_classifier_torch.py [--train-size 10000] [--epochs 1]
        [--max-len 128] [--eval-max-len 256] [--batch-size 32] [--lr 1e-4] [--warmup 0.1]
        [--weight-decay 0.01] [--seed 1] [--threads 2] [--eval-size 0 (all 25,000)] [--max-steps 0]

Prints one JSON line: train sequences/s (training steps only), peak RSS, test accuracy.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imdb_subset import load_reviews, test_indices, train_batches  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "..", "shared", "data", "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--train-size", type=int, default=10000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--eval-max-len", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=0.1, help="fraction of the steps")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-size", type=int, default=0, help="0: the whole test split")
    ap.add_argument("--max-steps", type=int, default=0,
                    help="train this many steps (0: all); the lr schedule spans them, as Ember's --max-steps (1 epoch)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    reviews = load_reviews(args.data)
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=2)
    batches = train_batches(len(reviews), args.train_size, args.batch_size, args.epochs, args.seed)
    if args.max_steps:
        batches = batches[:args.max_steps]
    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm"))]
    rest = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": rest, "weight_decay": 0.0}], lr=args.lr)
    sched = get_linear_schedule_with_warmup(opt, int(args.warmup * len(batches)), len(batches))
    model.train()
    seen, train_time, losses = 0, 0.0, []
    for step, idx in enumerate(batches):
        enc = tok([reviews[i]["t"] for i in idx], truncation=True, max_length=args.max_len, padding=True,
                  return_tensors="pt")
        labels = torch.tensor([reviews[i]["s"] for i in idx])
        t0 = time.perf_counter()
        out = model(**enc, labels=labels)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
        sched.step()
        train_time += time.perf_counter() - t0
        seen += len(idx)
        losses.append(out.loss.item())
        if (step + 1) % 20 == 0:
            print(f"step {step + 1}/{len(batches)} loss {sum(losses[-20:]) / 20:.4f} "
                  f"{seen / train_time:.1f} seq/s", file=sys.stderr, flush=True)
    model.eval()
    test = test_indices(len(reviews), args.eval_size)
    correct = 0
    with torch.no_grad():
        for b in range(0, len(test), 64):
            idx = test[b:b + 64]
            enc = tok([reviews[i]["t"] for i in idx], truncation=True, max_length=args.eval_max_len, padding=True,
                      return_tensors="pt")
            pred = model(**enc).logits.argmax(1)
            correct += sum(int(p) == reviews[i]["s"] for p, i in zip(pred.tolist(), idx))
    print(json.dumps({"impl": "torch", "torch": torch.__version__, "threads": args.threads,
                      "train_seq_per_s": seen / train_time, "train_s": train_time, "steps": len(batches),
                      "final_loss": sum(losses[-20:]) / min(20, len(losses)),
                      "test_accuracy": correct / len(test), "test_size": len(test),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
