"""TensorBoard event files read by the tools people use: tbparse (PyPI) and TensorBoard's own
EventAccumulator. ember.utils.tensorboard.SummaryWriter's scalars, histograms, images, text and
hyperparameters read back with their values; a short `ember train mnist-cnn --tensorboard` run
holds every scalar of its metrics.csv (same epochs, same values), per-step losses and histograms;
the autoencoder's reconstruction grid is the PNG it also writes to disk."""
import csv
import os
import socket
import struct
import subprocess
import zlib

import numpy as np
import pytest

import ember
from conftest import REPO, data_root

tbparse = pytest.importorskip("tbparse")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

CLI = REPO / "build" / "ember"


def accumulator(path):
    ea = event_accumulator.EventAccumulator(str(path), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0, event_accumulator.IMAGES: 0,
        event_accumulator.TENSORS: 0})
    ea.Reload()
    return ea


def decode_png(data):
    """(H, W, C) uint8 pixels of an 8-bit, non-interlaced PNG (what Ember writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0
    c = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    out = np.zeros((h, w * c), dtype=np.int32)
    stride = w * c + 1
    for y in range(h):
        f, line = raw[y * stride], np.frombuffer(raw[y * stride + 1:(y + 1) * stride], dtype=np.uint8).astype(np.int32)
        prev = out[y - 1] if y else np.zeros(w * c, dtype=np.int32)
        cur = np.zeros(w * c, dtype=np.int32)
        for x in range(w * c):
            a = cur[x - c] if x >= c else 0
            b, d = prev[x], prev[x - c] if x >= c else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - d
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - d)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else d)
            cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
    return out.reshape(h, w, c).astype(np.uint8)


def test_summary_writer_values_read_back(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=1000)
    hwc = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    chw = ember.tensor([[[0.0, 0.5], [1.0, 0.25]]])  # (1, 2, 2) grey in [0, 1]
    with SummaryWriter(tmp_path / "run") as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_scalar("ember_scalar", ember.tensor(2.5), 7)
        w.add_histogram("normal", values, 3)
        w.add_histogram("weights", ember.arange(10).float(), 4)
        w.add_image("rgb", hwc, 1, dataformats="HWC")
        w.add_image("grey", chw, 2)
        w.add_text("notes", "Ember *says* hello", 6)
    assert w.get_logdir() == str(tmp_path / "run")

    scalars = tbparse.SummaryReader(str(tmp_path / "run")).scalars
    loss = scalars[scalars.tag == "loss"].sort_values("step")
    assert loss.step.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(loss.value, [1.0 / (s + 1) for s in range(5)], rtol=1e-7)
    assert scalars[scalars.tag == "ember_scalar"].value.tolist() == [2.5]

    ea = accumulator(tmp_path / "run")
    h = ea.Histograms("normal")
    assert len(h) == 1 and h[0].step == 3
    hv = h[0].histogram_value
    assert hv.num == 1000 and sum(hv.bucket) == 1000
    np.testing.assert_allclose([hv.min, hv.max, hv.sum, hv.sum_squares],
                               [values.min(), values.max(), values.sum(), (values ** 2).sum()], rtol=1e-12)
    # Bucket i holds [limit[i-1], limit[i]): counting each value at the first limit above it agrees.
    index = np.searchsorted(np.array(hv.bucket_limit), values, side="right")
    assert np.bincount(index, minlength=len(hv.bucket)).tolist() == list(hv.bucket)
    assert ea.Histograms("weights")[0].histogram_value.sum == 45

    rgb = ea.Images("rgb")[0]
    assert (rgb.step, rgb.width, rgb.height) == (1, 7, 5)
    np.testing.assert_array_equal(decode_png(rgb.encoded_image_string), hwc)
    grey = ea.Images("grey")[0]
    assert (grey.width, grey.height) == (2, 2)
    np.testing.assert_array_equal(decode_png(grey.encoded_image_string)[..., 0], [[0, 128], [255, 64]])

    text = ea.Tensors("notes")
    assert text[0].step == 6 and text[0].tensor_proto.string_val == [b"Ember *says* hello"]
    assert ea.SummaryMetadata("notes").plugin_data.plugin_name == "text"
    df = tbparse.SummaryReader(str(tmp_path / "run")).text
    assert df.value.tolist() == ["Ember *says* hello"]


def test_summary_writer_hparams_and_scalars_runs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "optimizer": "adam", "augment": True, "layers": 3},
                      {"hparam/accuracy": 0.97, "hparam/loss": 0.1}, run_name="trial1")
        for step in range(3):
            w.add_scalars("loss", {"train": 1.0 - 0.1 * step, "test": 2.0 - 0.1 * step}, step)
    r = tbparse.SummaryReader(str(tmp_path / "trial1"))
    hp = dict(zip(r.hparams.tag, r.hparams.value))
    assert hp == {"lr": 0.01, "optimizer": "adam", "augment": True, "layers": 3.0}
    sc = r.scalars
    np.testing.assert_allclose(sorted(sc.value), [0.1, 0.97], rtol=1e-7)
    every = tbparse.SummaryReader(str(tmp_path), extra_columns={"dir_name"}).scalars
    train = every[(every.dir_name == "loss_train") & (every.tag == "loss")].sort_values("step")
    np.testing.assert_allclose(train.value, [1.0, 0.9, 0.8], rtol=1e-7)
    assert len(every[every.dir_name == "loss_test"]) == 3


def test_summary_writer_default_dir_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_x") as w:
        w.add_scalar("a", 1, 0)
    parts = os.path.normpath(w.log_dir).split(os.sep)
    assert parts[0] == "runs" and parts[1].endswith(socket.gethostname() + "_x")
    assert any(f.startswith("events.out.tfevents.") for f in os.listdir(w.log_dir))
    with pytest.raises(ember.Error, match="cannot create the log folder '/proc/ember-tb'"):
        SummaryWriter("/proc/ember-tb")
    with SummaryWriter(tmp_path / "e") as w:
        with pytest.raises(ValueError, match="bins='tensorflow'"):
            w.add_histogram("h", [1.0], bins="auto")
        with pytest.raises(ember.Error, match="holds a NaN"):
            w.add_histogram("h", [1.0, float("nan")])
        with pytest.raises(ember.Error, match="channels, got 2"):
            w.add_image("i", np.zeros((2, 3, 3)))
        with pytest.raises(TypeError, match="hparam_dict"):
            w.add_hparams({"x": [1, 2]}, {"m": 1.0})


def run_cli(args, cwd):
    out = subprocess.run([str(CLI)] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout
    return out.stdout


@pytest.mark.skipif(not CLI.exists(), reason="the C++ CLI build/ember is not built")
def test_cli_run_scalars_equal_metrics_csv(tmp_path):
    data = data_root("mnist", "MNIST")
    run_cli(["train", "mnist-cnn", "--epochs", "2", "--max-steps", "10", "--train-limit", "640", "--threads", "2",
             "--no-progress", "--data", data, "--tensorboard", "tb", "--metrics", "metrics.csv"], tmp_path)
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    scalars = tbparse.SummaryReader(str(tmp_path / "tb")).scalars
    for column in rows[0]:
        if column == "epoch":
            continue
        got = scalars[scalars.tag == "metrics/" + column].sort_values("step")
        assert got.step.tolist() == [int(r["epoch"]) for r in rows], column
        # float32 in the event file, 8 significant digits in the CSV
        np.testing.assert_allclose(got.value, [float(r[column]) for r in rows], rtol=1e-6, err_msg=column)
    steps = scalars[scalars.tag == "train_step/loss"]
    assert sorted(steps.step) == list(range(1, 21))
    assert set(scalars[scalars.tag == "train_step/lr"].value) == {np.float32(0.01)}

    ea = accumulator(tmp_path / "tb")
    for tag in ("weights/conv1.weight", "gradients/conv1.weight", "weights/fc2.bias"):
        h = ea.Histograms(tag)
        assert [e.step for e in h] == [1, 2], tag
    assert ea.Histograms("weights/conv1.weight")[0].histogram_value.num == 32 * 1 * 3 * 3
    hp = tbparse.SummaryReader(str(tmp_path / "tb")).hparams
    hp = dict(zip(hp.tag, hp.value))
    assert hp["recipe"] == "mnist-cnn" and hp["lr"] == 0.01 and hp["epochs"] == 2


@pytest.mark.skipif(not CLI.exists(), reason="the C++ CLI build/ember is not built")
def test_cli_autoencoder_image_is_its_png(tmp_path):
    data = data_root("mnist", "MNIST")
    run_cli(["train", "mnist-autoencoder", "--epochs", "1", "--max-steps", "3", "--train-limit", "256",
             "--threads", "2", "--no-progress", "--data", data, "--tensorboard", "tb", "--images", "recon.png"],
            tmp_path)
    images = accumulator(tmp_path / "tb").Images("reconstructions")
    assert len(images) == 1 and images[0].step == 1
    png = (tmp_path / "recon.png").read_bytes()
    assert images[0].encoded_image_string == png
    pixels = decode_png(png)
    assert (images[0].height, images[0].width) == pixels.shape[:2]


def test_python_trainer_logs_and_a_resume_adds_a_file(tmp_path):
    import ember.nn as nn
    import ember.nn.functional as F
    import ember.optim as optim
    from ember.train import Trainer
    from ember.utils.data import DataLoader, TensorDataset

    ember.manual_seed(11)
    x, y = ember.randn(48, 4), ember.randint(0, 3, (48,))

    def run(epochs):
        ember.manual_seed(2)
        model = nn.Linear(4, 3)
        opt = optim.SGD(model.parameters(), lr=0.1)
        t = Trainer(model, opt, epochs=epochs, checkpoint_dir=str(tmp_path / "ckpt"), resume="auto",
                    tensorboard_dir=str(tmp_path / "tb"))
        assert t.tensorboard is None  # created when fit starts
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=3)
        # A callback adds its own summaries to the trainer's event file.
        on_record = lambda row: t.tensorboard.add_text("note", f"epoch {row['epoch']}", row["epoch"])
        return t.fit(loader, lambda b: F.cross_entropy(model(b[0]), b[1]), on_record=on_record, log=None)

    first, second = run(1), run(2)
    files = sorted(f for f in os.listdir(tmp_path / "tb") if f.startswith("events.out.tfevents."))
    assert len(files) == 2  # the resumed run wrote its own file beside the first
    scalars = tbparse.SummaryReader(str(tmp_path / "tb")).scalars
    loss = scalars[scalars.tag == "metrics/train_loss"].sort_values("step")
    assert loss.step.tolist() == [1, 2]
    np.testing.assert_allclose(loss.value, [r["train_loss"] for r in second.history], rtol=1e-6)
    steps = scalars[scalars.tag == "train_step/loss"].sort_values("step")
    assert steps.step.tolist() == list(range(1, 7))
    np.testing.assert_allclose(steps.value, first.step_losses + second.step_losses, rtol=1e-6)
    ea = accumulator(tmp_path / "tb")
    assert [e.step for e in ea.Histograms("weights/weight")] == [1, 2]
    assert [(e.step, e.tensor_proto.string_val[0]) for e in ea.Tensors("note")] == [(1, b"epoch 1"), (2, b"epoch 2")]


def test_purge_step_hides_an_earlier_files_later_events(tmp_path):
    with SummaryWriter(tmp_path) as w:  # a run that got to step 5, then stopped
        for step in range(1, 6):
            w.add_scalar("loss", 10.0 + step, step)
    with SummaryWriter(tmp_path, purge_step=3) as w:  # resumed from a checkpoint at step 2
        for step in range(3, 5):
            w.add_scalar("loss", 20.0 + step, step)
    files = [f for f in os.listdir(tmp_path) if f.startswith("events.out.tfevents.")]
    assert len(files) == 2
    events = accumulator(tmp_path).Scalars("loss")
    assert [(e.step, e.value) for e in events] == [(1, 11.0), (2, 12.0), (3, 23.0), (4, 24.0)]
