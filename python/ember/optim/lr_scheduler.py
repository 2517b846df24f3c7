"""torch.optim.lr_scheduler. The schedules C++ has (StepLR, MultiStepLR, ExponentialLR, LinearLR,
CosineAnnealingLR, ReduceLROnPlateau) run in C++; the others are Python, as in PyTorch, over
`optimizer.param_groups`. Any of them drives any optimizer: a pure-Python optimizer's lrs pass
through a C++ shadow optimizer around each C++ call."""
import math
import types
from bisect import bisect_right

from .. import _C
from .._C import Error
from .optimizer import Optimizer, OptionError, _CppOptimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "LambdaLR", "MultiplicativeLR", "ConstantLR", "PolynomialLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "SequentialLR", "ChainedScheduler"]


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """PyTorch's base: a subclass defines get_lr() from self.last_epoch, self.base_lrs and the
    groups' current lrs; step() writes them into the optimizer."""

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for g in optimizer.param_groups:
                g.setdefault("initial_lr", g["lr"])
        else:
            for i, g in enumerate(optimizer.param_groups):
                if "initial_lr" not in g:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an "
                                   "optimizer")
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self.step()

    def get_lr(self):
        raise NotImplementedError

    def get_last_lr(self):
        return self._last_lr

    def step(self, epoch=None):
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler


# ---- C++ schedules ----

class _Shadow:
    """A C++ optimizer mirroring a Python optimizer's group lrs, for the C++ schedulers: the lrs
    are copied in before and out after each C++ call."""

    def __init__(self, optimizer):
        self.groups = optimizer.param_groups
        # One 1-element parameter per group (never stepped): the C++ groups hold only the lrs.
        self.impl = _C.optim.make("GD", [([_C.zeros(1, requires_grad=True)], [("lr", float(g["lr"]))])
                                         for g in self.groups], [("lr", float(self.groups[0]["lr"]))])

    def __enter__(self):
        for i, g in enumerate(self.groups):
            self.impl.set_option(i, "lr", float(g["lr"]))
            self.impl.set_option(i, "initial_lr", g.get("initial_lr"))
        return self.impl

    def __exit__(self, *exc):
        for i, g in enumerate(self.groups):
            g["lr"] = self.impl.get_option(i, "lr")
            initial = self.impl.get_option(i, "initial_lr")
            if initial is not None:
                g["initial_lr"] = initial


class _Direct:
    def __init__(self, optimizer):
        self.impl = optimizer._impl

    def __enter__(self):
        return self.impl

    def __exit__(self, *exc):
        pass


_LIST_FIELDS = {"base_lrs", "_last_lr", "milestones", "min_lrs"}
_FLOAT_FIELDS = {"gamma", "start_factor", "end_factor", "eta_min", "factor", "threshold", "best", "mode_worse", "eps"}
_CODES = {"mode": ("min", "max"), "threshold_mode": ("rel", "abs")}


def _from_cpp_state(s):
    out = {}
    for k, v in s.items():
        if k in _LIST_FIELDS:
            out[k] = [int(x) for x in v] if k == "milestones" else list(v)
        elif k in _CODES:
            out[k] = _CODES[k][int(v[0])]
        else:
            out[k] = float(v[0]) if k in _FLOAT_FIELDS else int(v[0])
    return out


def _to_cpp_state(s):
    out = {}
    for k, v in s.items():
        if k in _CODES:
            v = _CODES[k].index(v)
        out[k] = [float(x) for x in v] if isinstance(v, (list, tuple)) else [float(v)]
    return out


class _CppScheduler(LRScheduler):
    """A scheduler whose schedule is C++ (make(cpp_optimizer) builds it, and takes its first step)."""

    def __init__(self, optimizer, make):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self._link = _Direct(optimizer) if isinstance(optimizer, _CppOptimizer) else _Shadow(optimizer)
        with self._link as impl:
            self._impl = self._call(make, impl)

    def _call(self, f, *args):
        try:
            return f(*args)
        except Error as e:
            raise OptionError(str(e)) from None

    def step(self, epoch=None):
        if epoch is not None:
            if epoch != 0:
                raise NotImplementedError(f"{type(self).__name__}.step(epoch) supports only epoch=0 (a restart, "
                                          "as SequentialLR does); call step() once per epoch")
            return self._restart()
        with self._link:
            self._impl.step()

    def _restart(self):
        """step(0): back to the base lrs at epoch 0 (PyTorch's closed form at 0)."""
        for g, lr in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = lr
        self._set("last_epoch", -1)
        self.step()

    def _set(self, field, value):
        s = self._impl.state_dict()
        s[field] = [float(value)]
        self._impl.load_state_dict(s)

    def _initial_step(self):
        self._set("_step_count", 0)
        self.step()

    def get_last_lr(self):
        return list(self._impl.get_last_lr())

    def get_lr(self):
        return self.get_last_lr()

    @property
    def base_lrs(self):
        return list(self._impl.base_lrs)

    @property
    def last_epoch(self):
        return self._impl.last_epoch

    @last_epoch.setter
    def last_epoch(self, value):
        self._set("last_epoch", value)

    @property
    def _step_count(self):
        return int(self._impl.state_dict()["_step_count"][0])

    def state_dict(self):
        return _from_cpp_state(self._impl.state_dict())

    def load_state_dict(self, state_dict):
        self._call(self._impl.load_state_dict, _to_cpp_state(state_dict))


def _int(who, name, v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{who}(): argument '{name}' must be an int, not {type(v).__name__}")
    return v


def _float(who, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{who}(): argument '{name}' must be a float, not {type(v).__name__}")
    return float(v)


class StepLR(_CppScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        a = (_int("StepLR", "step_size", step_size), _float("StepLR", "gamma", gamma), _int("StepLR", "last_epoch", last_epoch))
        super().__init__(optimizer, lambda o: _C.optim.StepLR(o, *a))


class MultiStepLR(_CppScheduler):
    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        ms = [_int("MultiStepLR", "milestones", m) for m in milestones]
        a = (ms, _float("MultiStepLR", "gamma", gamma), _int("MultiStepLR", "last_epoch", last_epoch))
        super().__init__(optimizer, lambda o: _C.optim.MultiStepLR(o, *a))


class ExponentialLR(_CppScheduler):
    def __init__(self, optimizer, gamma, last_epoch=-1):
        a = (_float("ExponentialLR", "gamma", gamma), _int("ExponentialLR", "last_epoch", last_epoch))
        super().__init__(optimizer, lambda o: _C.optim.ExponentialLR(o, *a))


class LinearLR(_CppScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        a = (_float("LinearLR", "start_factor", start_factor), _float("LinearLR", "end_factor", end_factor),
             _int("LinearLR", "total_iters", total_iters), _int("LinearLR", "last_epoch", last_epoch))
        super().__init__(optimizer, lambda o: _C.optim.LinearLR(o, *a))


class CosineAnnealingLR(_CppScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        a = (_int("CosineAnnealingLR", "T_max", T_max), _float("CosineAnnealingLR", "eta_min", eta_min),
             _int("CosineAnnealingLR", "last_epoch", last_epoch))
        super().__init__(optimizer, lambda o: _C.optim.CosineAnnealingLR(o, *a))


class ReduceLROnPlateau(_CppScheduler):
    """Reduces the lr when `metrics` (passed to step) stops improving."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            min_lrs = [_float("ReduceLROnPlateau", "min_lr", m) for m in min_lr]
        else:
            min_lrs = [_float("ReduceLROnPlateau", "min_lr", min_lr)] * n
        for name in ("mode", "threshold_mode"):
            if not isinstance(locals()[name], str):
                raise TypeError(f"ReduceLROnPlateau(): argument '{name}' must be a str")
        w = "ReduceLROnPlateau"
        a = (mode, _float(w, "factor", factor), _int(w, "patience", patience), _float(w, "threshold", threshold),
             threshold_mode, _int(w, "cooldown", cooldown), min_lrs, _float(w, "eps", eps))
        super().__init__(optimizer, lambda o: _C.optim.ReduceLROnPlateau(o, *a))

    def step(self, metrics, epoch=None):
        if epoch is not None:
            raise NotImplementedError("ReduceLROnPlateau.step(metrics, epoch) is deprecated in PyTorch; "
                                      "call step(metrics)")
        with self._link:
            self._impl.step(float(metrics))

    @property
    def base_lrs(self):
        return self.get_last_lr()

    @property
    def best(self):
        return self._impl.best

    @property
    def num_bad_epochs(self):
        return self._impl.num_bad_epochs


# ---- Python schedules (PyTorch's formulas) ----

class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch); one function, or one per param group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _per_group(optimizer, lr_lambda, "lr_lambda")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As PyTorch: functions are not saved, callable objects' __dict__ is."""
        s = super().state_dict()
        s["lr_lambdas"] = [None if isinstance(f, types.FunctionType) else dict(vars(f)) for f in self.lr_lambdas]
        return s

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas", [])
        super().load_state_dict(state_dict)
        for f, d in zip(self.lr_lambdas, saved):
            if d is not None:
                vars(f).update(d)


def _per_group(optimizer, f, name):
    n = len(optimizer.param_groups)
    if isinstance(f, (list, tuple)):
        if len(f) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(f)}")
        return list(f)
    if not callable(f):
        raise TypeError(f"argument '{name}' must be callable or a list of callables, not {type(f).__name__}")
    return [f] * n


class MultiplicativeLR(LambdaLR):
    """lr *= lr_lambda(epoch) every epoch after the first."""

    def get_lr(self):
        if self.last_epoch > 0:
            return [g["lr"] * f(self.last_epoch) for f, g in zip(self.lr_lambdas, self.optimizer.param_groups)]
        return [g["lr"] for g in self.optimizer.param_groups]


class ConstantLR(LRScheduler):
    """lr * factor until epoch total_iters, then lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor, self.total_iters = _float("ConstantLR", "factor", factor), _int("ConstantLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        gs = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [g["lr"] * self.factor for g in gs]
        if self.last_epoch != self.total_iters:
            return [g["lr"] for g in gs]
        return [g["lr"] * (1.0 / self.factor) for g in gs]

    def _get_closed_form_lr(self):
        return [b * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr * (1 - epoch / total_iters) ** power, then 0 after total_iters."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = _int("PolynomialLR", "total_iters", total_iters), _float("PolynomialLR", "power", power)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        gs = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch > self.total_iters:
            return [g["lr"] for g in gs]
        f = ((1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [g["lr"] * f for g in gs]

    def _get_closed_form_lr(self):
        e = min(self.total_iters, self.last_epoch)
        return [b * (1.0 - e / self.total_iters) ** self.power for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine from the initial lr to eta_min over T_i epochs, restarting with T_i *= T_mult."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.T_0, self.T_i, self.T_mult = T_0, T_0, T_mult
        self.eta_min = _float("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for b in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        self._step_count += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin): lr up from max_lr / div_factor to max_lr, then down to
    initial_lr / final_div_factor, with momentum (or Adam's beta1) cycled the other way."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal = self._cos if anneal_strategy == "cos" else self._linear
        t = self.total_steps
        if three_phase:
            self._phases = [(float(pct_start * t) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * t) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                            (t - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(float(pct_start * t) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (t - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        max_lrs = _format(optimizer, "max_lr", max_lr)
        if last_epoch == -1:
            for m, g in zip(max_lrs, groups):
                g["initial_lr"] = m / div_factor
                g["max_lr"] = m
                g["min_lr"] = g["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self.use_beta1 = "betas" in optimizer.defaults
            maxm, basem = _format(optimizer, "max_momentum", max_momentum), _format(optimizer, "base_momentum", base_momentum)
            if last_epoch == -1:
                for m, b, g in zip(maxm, basem, groups):
                    self._set_momentum(g, m)
                    g["max_momentum"], g["base_momentum"] = m, b
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, g, m):
        if self.use_beta1:
            g["betas"] = (m, *g["betas"][1:])
        else:
            g["momentum"] = m

    @staticmethod
    def _cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _linear(start, end, pct):
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(g[lr0], g[lr1], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(g[m0], g[m1], pct)
                    break
                start = end
            lrs.append(lr)
            if self.cycle_momentum:
                self._set_momentum(g, momentum)
        return lrs

    def state_dict(self):
        s = super().state_dict()
        s.pop("_anneal", None)
        s["_anneal_strategy"] = "cos" if self._anneal == self._cos else "linear"
        return s

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        strategy = state_dict.pop("_anneal_strategy", "cos")
        super().load_state_dict(state_dict)
        self._anneal = self._cos if strategy == "cos" else self._linear


def _format(optimizer, name, value):
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


class SequentialLR(LRScheduler):
    """schedulers[i] drives the lr from milestones[i-1] on (each restarted at its milestone)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer(optimizer)
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler")
        for i, s in enumerate(schedulers):
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(f"Sequential Schedulers expects all schedulers to belong to the same optimizer, but "
                                 f"got scheduler {type(s).__name__} at index {i} with a different optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones to be equal to {len(milestones)}")
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        for s in self._schedulers:  # undo the initial step each one took
            s.last_epoch -= 1
        self._schedulers[0]._initial_step()
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            s.step(0)
        else:
            s.step()
        self._last_lr = s.get_last_lr()

    def state_dict(self):
        s = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        s["_schedulers"] = [x.state_dict() for x in self._schedulers]
        return s

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        subs = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for x, sd in zip(self._schedulers, subs):
            x.load_state_dict(sd)


class ChainedScheduler(LRScheduler):
    """Steps every scheduler in order at each step()."""

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler")
        self.optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        self._schedulers = list(schedulers)
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def step(self):
        for s in self._schedulers:
            s.step()
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict
