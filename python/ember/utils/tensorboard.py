"""ember.utils.tensorboard: torch.utils.tensorboard's SummaryWriter over Ember's C++ event-file
writer (train::TensorBoardWriter): the same method names and arguments, files that
`tensorboard --logdir` shows.

    from ember.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", loss, step)
        w.add_histogram("fc1.weight", model.fc1.weight, step)
        w.add_image("sample", img, step)              # (3, H, W) floats in [0, 1], or uint8
        w.add_hparams({"lr": 0.01}, {"hparam/accuracy": 0.98})
"""
import os
import socket
import time
from datetime import datetime

import numpy as np

from .. import _C
from .._C import Tensor

__all__ = ["SummaryWriter"]


def _tensor(x, what):
    """An ember.Tensor of x (an ember, numpy or torch tensor, a list or a number)."""
    if isinstance(x, Tensor):
        return x.detach()
    a = np.asarray(x.detach().cpu() if hasattr(x, "detach") and hasattr(x, "cpu") else x)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)  # uint8 images: Ember has no uint8 dtype
    elif np.issubdtype(a.dtype, np.floating) or a.dtype == np.bool_:
        a = a.astype(np.float64 if a.dtype == np.float64 else np.float32)  # bool: 0 or 1, as floats
    else:
        raise TypeError(f"SummaryWriter.{what}: expected numbers, got an array of {a.dtype}")
    return _C.from_numpy(np.ascontiguousarray(a))


def _step(global_step):
    return 0 if global_step is None else int(global_step)


def _walltime(walltime):
    return 0.0 if walltime is None else float(walltime)


class SummaryWriter:
    """SummaryWriter(log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
    filename_suffix=""). log_dir defaults to runs/<date>_<host><comment>, as PyTorch's. Events are
    buffered and written on flush(), close(), every max_queue events and flush_secs seconds.
    purge_step: TensorBoard hides the events that earlier files in log_dir hold at this step and
    later (a run resumed from an older checkpoint), as PyTorch's."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self._max_queue, self._flush_secs, self._suffix = int(max_queue), float(flush_secs), filename_suffix
        self._writer = _C.tensorboard.TensorBoardWriter(self.log_dir, self._max_queue, self._flush_secs, filename_suffix,
                                                        -1 if purge_step is None else int(purge_step))
        self._scalars_writers = {}  # add_scalars: one run per series, as PyTorch's

    @classmethod
    def _over(cls, writer):
        """A SummaryWriter over an existing ember._C.tensorboard.TensorBoardWriter (Trainer.tensorboard)."""
        self = cls.__new__(cls)
        self.log_dir, self._writer, self._scalars_writers = writer.log_dir, writer, {}
        self._max_queue, self._flush_secs, self._suffix = 100, 10.0, ""
        return self

    def get_logdir(self):
        return self.log_dir

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """Stored as float32 (TensorBoard's simple_value); new_style and double_precision are accepted for
        compatibility and change nothing."""
        self._writer.add_scalar(tag, float(scalar_value), _step(global_step), _walltime(walltime))

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Each key becomes its own run <log_dir>/<main_tag>_<key> holding scalars tagged main_tag, so
        TensorBoard draws them on one chart (PyTorch's layout)."""
        for key, value in tag_scalar_dict.items():
            folder = os.path.join(self.log_dir, main_tag.replace("/", "_") + "_" + key)
            w = self._scalars_writers.get(folder)
            if w is None:
                w = self._scalars_writers[folder] = _C.tensorboard.TensorBoardWriter(
                    folder, self._max_queue, self._flush_secs, self._suffix)
            w.add_scalar(main_tag, float(value), _step(global_step), _walltime(walltime))

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """TensorBoard's default exponential buckets (bins="tensorflow", PyTorch's default)."""
        if bins != "tensorflow":
            raise ValueError(f"SummaryWriter.add_histogram: bins={bins!r} is not supported; use bins='tensorflow' "
                             "(TensorBoard's default exponential buckets)")
        self._writer.add_histogram(tag, _tensor(values, "add_histogram"), _step(global_step), _walltime(walltime))

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """img_tensor: (C, H, W), (H, W, C) or (H, W) by dataformats, with 1, 3 or 4 channels: floats in
        [0, 1] or integers 0-255 (uint8)."""
        self._writer.add_image(tag, _tensor(img_tensor, "add_image"), _step(global_step), dataformats,
                               _walltime(walltime))

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._writer.add_text(tag, str(text_string), _step(global_step), _walltime(walltime))

    def add_hparams(self, hparam_dict, metric_dict, run_name=None, global_step=None):
        """As PyTorch's: a run <log_dir>/<run_name> (default: the time) holding the hyperparameters
        (bool, int, float or str; a scalar tensor becomes its value) and each metric as a scalar."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("SummaryWriter.add_hparams: hparam_dict and metric_dict must be dicts")
        hp = {}
        for k, v in hparam_dict.items():
            if isinstance(v, Tensor) or (hasattr(v, "item") and not isinstance(v, (bool, int, float, str))):
                v = v.item()
            hp[k] = v
        metrics = [(str(k), float(v.item() if hasattr(v, "item") else v)) for k, v in metric_dict.items()]
        folder = os.path.join(self.log_dir, run_name or str(time.time()))
        w = _C.tensorboard.TensorBoardWriter(folder, self._max_queue, self._flush_secs, self._suffix)
        try:
            w.add_hparams(hp, metrics, True, _step(global_step))
        finally:
            w.close()

    def flush(self):
        self._writer.flush()
        for w in self._scalars_writers.values():
            w.flush()

    def close(self):
        self._writer.close()
        for w in self._scalars_writers.values():
            w.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
