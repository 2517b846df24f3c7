"""Checks an exported ONNX file against Ember: onnx.checker (full check), then ONNX Runtime at
several batch sizes (and sequence lengths), each output compared with Ember's own.

    python tests/python/onnx_check.py SOURCE model.onnx [--batches 2,3] [--seq-lens 5,9] [--tol 1e-5]

SOURCE is what was exported (a recipe checkpoint or a model folder): ember.onnx.load_exportable
gives the same function in Ember. Inputs are random but valid (token ids seen in the example
inputs, trailing padding in some rows) and depend only on the sizes. Prints one line per size
with the largest absolute difference; exits 1 when one exceeds the tolerance.
"""
import argparse
import sys

import numpy as np
import onnx
import onnxruntime as ort

import ember


def make_inputs(model, batch, seq_len, seed=0):
    """Inputs for model (an ember.onnx.load_exportable result) at (batch, seq_len), as numpy."""
    rng = np.random.default_rng(seed + 1000 * batch + seq_len)
    out = []
    for name, ex in zip(model.input_names, model.example_inputs):
        ex = np.array(ex.numpy())
        if ex.dtype != np.int64:  # images: pixels in [0, 1)
            out.append(rng.random((batch,) + ex.shape[1:], dtype=np.float32))
            continue
        if name == "attention_mask":
            m = np.ones((batch, seq_len), dtype=np.int64)
            m[-1, seq_len // 2:] = 0  # the last row padded
            out.append(m)
        elif name == "token_type_ids":
            t = np.zeros((batch, seq_len), dtype=np.int64)
            t[:, seq_len // 2:] = 1  # a second segment
            out.append(t)
        else:
            ids = rng.choice(np.unique(ex), size=(batch, seq_len))
            if name == "tokens":  # imdb-lstm: 0 pads; the last row is shorter
                ids[-1, seq_len // 2:] = 0
            out.append(ids.astype(np.int64))
    return out


def check(source, path, batches=(2, 3), seq_lens=(None,), tol=1e-5, log=print):
    """Returns {(batch, seq_len): max abs difference}; raises AssertionError past tol."""
    onnx.checker.check_model(onnx.load(path), full_check=True)
    model = ember.onnx.load_exportable(source)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert names == list(model.input_names), (names, model.input_names)
    diffs = {}
    for b in batches:
        for t in seq_lens:
            xs = make_inputs(model, b, t or 1)
            want = [np.array(y.numpy()) for y in model([ember.from_numpy(x) for x in xs])]
            got = sess.run(None, dict(zip(names, xs)))
            assert len(got) == len(want)
            d = 0.0
            for w, g in zip(want, got):
                assert w.shape == g.shape, f"batch {b}, seq {t}: shape {g.shape} from ONNX Runtime, {w.shape} from Ember"
                d = max(d, float(np.max(np.abs(w.astype(np.float64) - g.astype(np.float64)))) if w.size else 0.0)
            diffs[(b, t)] = d
            log(f"{source}: batch {b}" + (f", sequence {t}" if t else "") + f": max |ember - onnxruntime| = {d:.3g}")
            assert d <= tol, f"batch {b}, seq {t}: max difference {d} exceeds {tol}"
    return diffs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source")
    p.add_argument("onnx_file")
    p.add_argument("--batches", default="2,3")
    p.add_argument("--seq-lens", default="")
    p.add_argument("--tol", type=float, default=1e-5)
    a = p.parse_args()
    seqs = tuple(int(s) for s in a.seq_lens.split(",") if s) or (None,)
    try:
        check(a.source, a.onnx_file, tuple(int(b) for b in a.batches.split(",")), seqs, a.tol)
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
