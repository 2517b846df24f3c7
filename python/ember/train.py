"""ember.train.Trainer: Ember's C++ training loop (ember::train::Trainer) over a Python model.

    trainer = ember.train.Trainer(model, optimizer, epochs=3, checkpoint_dir="run", resume="auto")
    result = trainer.fit(loader, lambda batch: F.cross_entropy(model(batch[0]), batch[1]),
                         evaluate=lambda: {"test_loss": ...})

The loop (zero_grad, the step function, backward, clipping, the optimizer step, evaluation,
metrics files, checkpoints and exact resume, early stopping) is C++ and runs without the GIL; the
step function and callbacks are Python. The model may be any ember.nn.Module: the Trainer hands C++
a proxy module tree holding its parameters and buffers (the same tensors) under state_dict's names,
so a checkpoint's "model." entries are its state_dict. The optimizer must be one of ember.optim's
C++ optimizers (SGD, Adam, AdamW, RMSprop, Adagrad).

Data: an ember.utils.data.DataLoader over a C++ dataset (TensorDataset, MNIST, ...) is iterated by
C++ itself; any other iterable with len() is iterated in Python, one batch per C++ step. A run with
`steps=N` draws batches from a callable (or cycles an iterable) instead of epochs.
"""
from collections import namedtuple
import os
import sys

from . import _C
from ._C import Tensor
from .autograd import no_grad

__all__ = ["Trainer", "StepOutput", "FitResult"]

_T = _C.train

StepOutput = namedtuple("StepOutput", ["loss", "samples", "correct", "tokens"], defaults=(None, -1, 0))
StepOutput.__doc__ = """What a step function may return instead of the loss alone: samples (default: the batch's
first dimension), correct predictions (-1: not counted) and tokens (sequence models)."""

FitResult = namedtuple("FitResult", ["history", "step_losses", "last_eval", "samples_per_second",
                                     "tokens_per_second", "steps_done", "stopped_early", "resumed"])

_OPTIONS = {  # name -> type; defaults are the C++ TrainerOptions'
    "epochs": int, "max_steps_per_epoch": int, "steps": int, "stop_after": int, "eval_every": int, "log_every": int,
    "loss_is_sum": bool, "grad_clip": float, "nonfinite": str, "checkpoint_dir": str, "resume": str,
    "metrics_path": str, "plot_path": str, "tensorboard_dir": str, "recipe": str, "config": str, "early_stopping_patience": int,
    "early_stopping_min_delta": float, "progress": bool, "sample_unit": str,
}
_STDOUT = object()


def _proxy(module, memo):
    """A C++ ModuleProxy tree mirroring `module`'s registered tensors and children."""
    p = memo.get(id(module))
    if p is not None:
        return p
    p = memo[id(module)] = _T.ModuleProxy(module._get_name())
    for name, t in module._parameters.items():
        if t is not None:
            p.add_parameter(name, t)
    for name, t in module._buffers.items():
        if t is not None:
            p.add_buffer(name, t, name not in module._non_persistent_buffers_set)
    for name, child in module._modules.items():
        if child is not None:
            p.add_module(name, _proxy(child, memo))
    return p


def _batch_size(batch):
    x = batch[0] if isinstance(batch, (list, tuple)) and batch else batch
    return x.size(0) if isinstance(x, Tensor) and x.dim() > 0 else 0


def _step_output(out, batch):
    if isinstance(out, Tensor):
        out = StepOutput(out)
    elif isinstance(out, dict):
        out = StepOutput(**out)
    elif isinstance(out, tuple):
        out = StepOutput(*out)
    else:
        raise TypeError(f"Trainer: the step function must return a loss Tensor, a StepOutput, a tuple or a dict, "
                        f"not {type(out).__name__}")
    if not isinstance(out.loss, Tensor):
        raise TypeError(f"Trainer: the step function's loss must be a Tensor, not {type(out.loss).__name__}")
    samples = _batch_size(batch) if out.samples is None else int(out.samples)
    return out.loss, samples, int(out.correct), int(out.tokens)


def _metrics(who, m):
    items = m.items() if isinstance(m, dict) else m
    try:
        return [(str(k), float(v)) for k, v in items]
    except (TypeError, ValueError):
        raise TypeError(f"Trainer: {who} must return a dict of str -> float") from None


def _callable(name, f):
    if f is not None and not callable(f):
        raise TypeError(f"Trainer.fit(): argument '{name}' must be callable or None, not {type(f).__name__}")
    return f


class Trainer:
    """Trainer(model, optimizer, *, epochs=1, max_steps_per_epoch=0, steps=0, stop_after=0,
    eval_every=0, log_every=0, loss_is_sum=False, grad_clip=0.0, nonfinite="stop", lr_schedule=None,
    checkpoint_dir="", resume="", metrics_path="", plot_path="", tensorboard_dir="", recipe="", config="",
    early_stopping_patience=0, early_stopping_min_delta=0.0, progress=True, sample_unit="samples",
    generators=None). lr_schedule(step) -> lr is set on every param group before each step;
    nonfinite="stop" raises on a NaN or infinite loss before the optimizer steps, "skip" drops that batch;
    resume="auto" continues from <checkpoint_dir>/last.safetensors when it exists; `generators`
    ({name: ember.Generator}) are checkpointed with the run (the default generator always is)."""

    def __init__(self, model, optimizer, *, lr_schedule=None, generators=None, **options):
        from .nn import Module

        if not isinstance(model, Module):
            raise TypeError(f"Trainer(): argument 'model' must be an ember.nn.Module, not {type(model).__name__}")
        impl = getattr(optimizer, "_impl", None)
        if not isinstance(impl, _C.optim.Optimizer):
            raise TypeError(f"Trainer(): argument 'optimizer' must be one of ember.optim's C++ optimizers (SGD, Adam, "
                            f"AdamW, RMSprop, Adagrad), not {type(optimizer).__name__}")
        opts = _T.TrainerOptions()
        opts.sample_unit = "samples"
        for name, value in options.items():
            kind = _OPTIONS.get(name)
            if kind is None:
                raise TypeError(f"Trainer(): got an unexpected keyword argument '{name}'")
            if value is None and kind is str:
                value = ""
            if isinstance(value, os.PathLike) and kind is str:
                value = os.fspath(value)
            ok = isinstance(value, kind) if kind is not int else isinstance(value, int) and not isinstance(value, bool)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value, ok = float(value), True
            if not ok:
                raise TypeError(f"Trainer(): argument '{name}' must be {kind.__name__}, not {type(value).__name__}")
            setattr(opts, name, value)
        if lr_schedule is not None:
            if not callable(lr_schedule):
                raise TypeError("Trainer(): argument 'lr_schedule' must be callable (step -> lr) or None")
            opts.lr_at = lambda step: float(lr_schedule(step))
        self.model, self.optimizer, self.options = model, optimizer, opts
        self._proxy = _proxy(model, {})
        self._cpp = _T.Trainer(self._proxy, impl, opts)
        for name, gen in (generators or {}).items():
            self.track_generator(name, gen)

    def track_generator(self, name, generator):
        """Saves `generator`'s state in each checkpoint and restores it on resume."""
        if not isinstance(generator, _C.Generator):
            raise TypeError(f"Trainer.track_generator(): argument 'generator' must be ember.Generator, not "
                            f"{type(generator).__name__}")
        self._cpp.track_generator(str(name), generator)

    @property
    def tensorboard(self):
        """With tensorboard_dir, on rank 0, once fit() has started: an ember.utils.tensorboard.SummaryWriter
        over the trainer's own event file (for images or text from on_record); else None. The trainer
        flushes and closes it."""
        cpp = self._cpp.tensorboard
        if cpp is None:
            return None
        from .utils.tensorboard import SummaryWriter
        return SummaryWriter._over(cpp)

    @property
    def rank(self):
        return self._cpp.rank

    @property
    def world_size(self):
        return self._cpp.world_size

    def fit(self, data, step, *, evaluate=None, describe=None, on_record=None, save_metadata=None,
            check_resume=None, log=_STDOUT):
        """Trains on `data` with `step(batch)` -> loss (or StepOutput / (loss, samples, ...) / dict).

        evaluate() -> {name: value} after each epoch (or every eval_every steps), under no_grad;
        describe(metrics) -> str for the log; on_record(row) after each history row (a dict with
        "epoch" or "step"); save_metadata() -> {str: str} added to checkpoints; check_resume(metadata,
        path) before a resume loads anything. log: a file object (default sys.stdout) or None."""
        _callable("step", step)
        cb = _T.Callbacks()
        x_name = "step" if self.options.steps > 0 else "epoch"
        if _callable("evaluate", evaluate) is not None:
            def run_evaluate():
                with no_grad():
                    return _metrics("evaluate", evaluate())
            cb.evaluate = run_evaluate
        if _callable("describe", describe) is not None:
            cb.describe = lambda m: str(describe(dict(m)))
        if _callable("on_record", on_record) is not None:
            cb.on_record = lambda x, values: on_record({x_name: x, **dict(values)})
        if _callable("save_metadata", save_metadata) is not None:
            cb.save_metadata = lambda: {str(k): str(v) for k, v in save_metadata().items()}
        if _callable("check_resume", check_resume) is not None:
            cb.check_resume = check_resume
        log = sys.stdout if log is _STDOUT else log
        if x_name == "step":
            r = self._fit_steps(data, step, cb, log)
        else:
            r = self._fit_epochs(data, step, cb, log)
        return FitResult([{x_name: x, **dict(v)} for x, v in r.history], list(r.step_losses), dict(r.last_eval),
                         r.samples_per_second, r.tokens_per_second, r.steps_done, r.stopped_early, r.resumed)

    def _fit_epochs(self, data, step, cb, log):
        loader = _cpp_loader(data)
        if loader is not None:  # C++ batches: [data, target] as the DataLoader yields them
            def cpp_step(x, y):
                batch = [x] if y is None else [x, y]
                return _step_output(step(batch), batch)
            return self._cpp.fit_loader(loader, cpp_step, cb, log)
        if not hasattr(data, "__iter__") or not hasattr(data, "__len__"):
            raise TypeError(f"Trainer.fit(): argument 'data' must be an iterable with len() (a DataLoader), not "
                            f"{type(data).__name__}; for a batch function pass steps= to the Trainer")
        # C++ counts the epochs and steps over a loader of batch indices; Python fetches the batches.
        index = _T.index_loader(len(data))
        state = {"it": None}

        def py_step(i, _):
            if int(i.item()) == 0:  # an epoch starts: a new pass over `data`
                _set_epoch(data, index.epoch - 1)
                state["it"] = iter(data)
            try:
                batch = next(state["it"])
            except StopIteration:
                raise _C.Error("Trainer.fit(): 'data' yielded fewer batches than its len()") from None
            return _step_output(step(batch), batch)
        return self._cpp.fit_loader(index, py_step, cb, log)

    def _fit_steps(self, data, step, cb, log):
        if callable(data) and not hasattr(data, "__iter__"):
            draw = data
        elif hasattr(data, "__iter__"):
            state = {"it": iter(data)}

            def draw():  # cycles the iterable
                try:
                    return next(state["it"])
                except StopIteration:
                    state["it"] = iter(data)
                    return next(state["it"])
        else:
            raise TypeError(f"Trainer.fit(): argument 'data' must be a batch function or an iterable, not "
                            f"{type(data).__name__}")
        pending = []

        def next_batch():
            pending.append(draw())

        def py_step(_x, _y):
            batch = pending.pop()
            return _step_output(step(batch), batch)
        return self._cpp.fit_steps(next_batch, py_step, cb, log)


def _cpp_loader(data):
    """The C++ DataLoader behind an ember DataLoader's C++ path (no user sampler), else None."""
    if getattr(data, "_cpp_dataset", None) is None or getattr(data, "_user_sampler", True):
        return None
    if data._cpp_loader is None:
        data._cpp_loader = _C.data.DataLoader(data._cpp_dataset, data.batch_size, data.shuffle, data.seed,
                                              data.drop_last, data.num_workers, data.prefetch_factor, None)
    return data._cpp_loader


def _set_epoch(data, epoch):
    """Points a Python loader's shuffling at `epoch` (so a resumed run visits the same orders)."""
    if hasattr(data, "set_epoch"):
        data.set_epoch(epoch)
        return
    for obj in (getattr(data, "sampler", None), getattr(getattr(data, "batch_sampler", None), "sampler", None)):
        if obj is not None and hasattr(obj, "_epoch"):
            obj._epoch = epoch
            return
