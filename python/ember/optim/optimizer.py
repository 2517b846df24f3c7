"""torch.optim.Optimizer: the pure-Python base users subclass, and the base of the C++-backed
optimizers, whose param groups are live views of the C++ groups."""
from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
import copy

from .. import _C
from .._C import Error, Tensor
from ..autograd import enable_grad

__all__ = ["Optimizer", "OptionError", "required"]


class OptionError(Error, ValueError):
    """A rejected optimizer or scheduler argument: an ember.Error that is also the ValueError
    PyTorch raises there."""


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _typename(x):
    return type(x).__module__ + "." + type(x).__qualname__ if isinstance(x, Tensor) else type(x).__name__


def _param_groups(params):
    """PyTorch's accepted `params`: an iterable of tensors or of param-group dicts -> list of dicts."""
    if isinstance(params, Tensor):
        raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                        "but got " + _typename(params))
    if isinstance(params, Mapping) or not isinstance(params, Iterable):
        raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                        "but got " + type(params).__name__)
    params = list(params)
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    if not isinstance(params[0], Mapping):
        return [{"params": params}]
    return [dict(g) for g in params]


def _group_params(group):
    if not isinstance(group, Mapping):
        raise TypeError(f"param group must be a dict, not {type(group).__name__}")
    if "params" not in group:
        raise ValueError("param group has no 'params' entry")
    params = group["params"]
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, (set, frozenset)):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                        "tensors in sets will change between runs. Please use a list instead.")
    params = list(params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
    return params


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer).

    A Python optimizer subclasses it as in PyTorch: ``super().__init__(params, defaults)``, then
    ``step()`` reads ``self.param_groups`` (plain dicts) and keeps per-parameter state in
    ``self.state[p]``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        for g in _param_groups(params):
            self.add_param_group(g)

    def add_param_group(self, param_group):
        params = _group_params(param_group)
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad.detach()
                    p.grad = g
                    g.zero_()

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__}.step() is not implemented")

    # ---- state dict in PyTorch's layout: parameters numbered across groups in order ----
    def state_dict(self):
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in g["params"]]
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        saved_groups, saved_state = _check_state_dict(state_dict, self.param_groups)
        by_id = {}
        for g, s in zip(self.param_groups, saved_groups):
            by_id.update(zip(s["params"], g["params"]))
        state = defaultdict(dict)
        for k, v in saved_state.items():
            if k not in by_id:
                raise ValueError(f"loaded state dict has state for parameter {k}, which is in no param group")
            p = by_id[k]
            state[p] = {n: _cast_state(n, t, p) for n, t in v.items()}
        for g, s in zip(self.param_groups, saved_groups):
            g.update({k: copy.deepcopy(v) for k, v in s.items() if k != "params"})
        self.state = state

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {g[k]}" for k in sorted(g) if k != "params"]
        return "\n".join(lines) + "\n)"


def _cast_state(name, value, param):
    """A loaded state tensor as PyTorch keeps it: the parameter's dtype, except 'step'."""
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    value = value.detach()
    if name != "step" and value.is_floating_point():
        value = value.to(param.dtype)
    return value.clone()


def _check_state_dict(state_dict, groups):
    if not isinstance(state_dict, Mapping) or "param_groups" not in state_dict or "state" not in state_dict:
        raise TypeError("load_state_dict(): argument 'state_dict' must be a dict with 'state' and 'param_groups'")
    saved_groups, saved_state = list(state_dict["param_groups"]), state_dict["state"]
    if len(saved_groups) != len(groups):
        raise ValueError("loaded state dict has a different number of parameter groups")
    for g, s in zip(groups, saved_groups):
        if len(g["params"]) != len(s["params"]):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
    return saved_groups, saved_state


def _number(who, name, value, flag=False):
    """An option value as the float C++ takes (flags as 0/1), or a TypeError naming it."""
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise TypeError(f"{who}(): argument '{name}' must be a number or a one-element Tensor")
        value = value.item()
    if flag:
        if not isinstance(value, (bool, int)) or value not in (0, 1):
            raise TypeError(f"{who}(): argument '{name}' must be a bool, not {type(value).__name__}")
        return 1.0 if value else 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{who}(): argument '{name}' must be a float, not {type(value).__name__}")
    return float(value)


class _Options:
    """The option names of one C++ optimizer (from C++), and the PyTorch <-> C++ spelling:
    PyTorch's `betas` tuple is C++'s beta1 and beta2."""

    def __init__(self, kind):
        self.kind = kind
        self.flags = {}
        for name, is_flag in _C.optim.option_names(kind):
            self.flags[name] = is_flag
        self.torch_names = []
        for name in self.flags:
            if name == "beta1":
                self.torch_names.append("betas")
            elif name != "beta2":
                self.torch_names.append(name)

    def is_option(self, key):
        return key in self.flags or (key == "betas" and "beta1" in self.flags)

    def to_cpp(self, who, group):
        """(C++ options, extras): the group's options as (name, float) pairs, other keys apart."""
        opts, extras = [], {}
        for k, v in group.items():
            if k == "params":
                continue
            if k == "betas" and "beta1" in self.flags:
                if not isinstance(v, (tuple, list)) or len(v) != 2:
                    raise TypeError(f"{who}(): argument 'betas' must be a tuple of two floats")
                opts += [("beta1", _number(who, "betas", v[0])), ("beta2", _number(who, "betas", v[1]))]
            elif k in self.flags:
                opts.append((k, _number(who, k, v, self.flags[k])))
            elif k == "initial_lr":
                opts.append((k, _number(who, k, v)))
            else:
                extras[k] = v
        return opts, extras

    def from_cpp(self, pairs):
        """C++ (name, float) pairs -> PyTorch's dict (flags as bools, betas as a tuple)."""
        d = dict(pairs)
        out = {}
        for name in self.torch_names:
            if name == "betas":
                out[name] = (d["beta1"], d["beta2"])
            else:
                out[name] = bool(d[name]) if self.flags[name] else d[name]
        if "initial_lr" in d:
            out["initial_lr"] = d["initial_lr"]
        return out


class _ParamGroup(MutableMapping):
    """One param group of a C++-backed optimizer: a dict-like view whose option reads and writes
    go to the C++ group (so a scheduler or `g['lr'] = x` changes the next step). Keys that are
    not options of the optimizer are kept here, as PyTorch keeps any key a group has."""

    __slots__ = ("_opt", "_index", "_params", "_extras")

    def __init__(self, opt, index, params, extras):
        self._opt, self._index, self._params, self._extras = opt, index, params, extras

    def _get(self, name):
        return self._opt._impl.get_option(self._index, name)

    def __getitem__(self, key):
        if key == "params":
            return self._params
        spec = self._opt._options
        if key == "betas" and "beta1" in spec.flags:
            return (self._get("beta1"), self._get("beta2"))
        if key in spec.flags:
            v = self._get(key)
            return bool(v) if spec.flags[key] else v
        if key == "initial_lr":
            v = self._get(key)
            if v is not None:
                return v
        return self._extras[key]

    def __setitem__(self, key, value):
        spec = self._opt._options
        who = type(self._opt).__name__
        if key == "params":
            raise TypeError(f"{who}: a group's 'params' cannot be replaced; use add_param_group")
        if spec.is_option(key) or key == "initial_lr":
            opts, _ = spec.to_cpp(who, {key: value})
            for name, v in opts:
                self._opt._impl.set_option(self._index, name, v)
        else:
            self._extras[key] = value

    def __delitem__(self, key):
        if key == "initial_lr" and self._get(key) is not None:
            self._opt._impl.set_option(self._index, key, None)
        else:
            del self._extras[key]

    def __iter__(self):
        yield "params"
        yield from self._opt._options.torch_names
        if self._get("initial_lr") is not None:
            yield "initial_lr"
        yield from self._extras

    def __len__(self):
        return sum(1 for _ in self)

    def __repr__(self):
        return repr(dict(self))

    def copy(self):
        return dict(self)


class _CppOptimizer(Optimizer):
    """An optimizer whose update is C++ (ember::optim): step() runs without the GIL."""

    _kind = None

    def __init__(self, params, defaults):
        who = type(self).__name__
        self._options = _Options(self._kind)
        self.defaults = dict(defaults)
        self._build(who, params, lambda groups, cpp_defaults: _C.optim.make(self._kind, groups, cpp_defaults))

    def _build(self, who, params, make):
        """Converts self.defaults and each group of `params` to C++ options, makes the C++
        optimizer with make(groups, cpp_defaults) and sets self._impl and self.param_groups."""
        cpp_defaults, _ = self._options.to_cpp(who, self.defaults)
        groups, extras = [], []
        for g in _param_groups(params):
            opts, ex = self._options.to_cpp(who, g)
            groups.append((_group_params(g), opts))
            extras.append(ex)
        try:
            self._impl = make(groups, cpp_defaults)
        except (Error, ValueError) as e:
            raise OptionError(str(e)) from None
        self.param_groups = [_ParamGroup(self, i, g[0], ex) for i, (g, ex) in enumerate(zip(groups, extras))]

    @property
    def state(self):
        """{param: {name: tensor}} for the parameters that have state (a snapshot)."""
        out = {}
        for g in self.param_groups:
            for p in g["params"]:
                s = self._impl.state_of(p)
                if s:
                    out[p] = s
        return out

    def add_param_group(self, param_group):
        who = type(self).__name__
        params = _group_params(param_group)
        opts, extras = self._options.to_cpp(who, param_group)
        try:
            self._impl.add_param_group(params, [o for o in opts if o[0] != "initial_lr"])
        except Error as e:
            raise OptionError(str(e)) from None
        group = _ParamGroup(self, len(self.param_groups), params, extras)
        self.param_groups.append(group)
        if any(o[0] == "initial_lr" for o in opts):
            group["initial_lr"] = param_group["initial_lr"]

    def zero_grad(self, set_to_none=True):
        self._impl.zero_grad(set_to_none)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._impl.step()
        return loss

    def state_dict(self):
        groups, state = self._impl.state_dict()
        out = []
        for g, (opts, ids) in zip(self.param_groups, groups):
            d = self._options.from_cpp(opts)
            d.update(copy.deepcopy(g._extras))
            d["params"] = list(ids)
            out.append(d)
        return {"state": state, "param_groups": out}

    def load_state_dict(self, state_dict):
        who = type(self).__name__
        saved_groups, saved_state = _check_state_dict(state_dict, self.param_groups)
        groups, extras = [], []
        for s in saved_groups:
            opts, ex = self._options.to_cpp(who, s)
            groups.append((opts, [int(i) for i in s["params"]]))
            extras.append(ex)
        state = {int(k): {n: t for n, t in v.items() if t is not None} for k, v in saved_state.items()}
        for v in state.values():
            for n, t in v.items():
                if not isinstance(t, Tensor):  # PyTorch < 1.12 kept 'step' as a Python number
                    v[n] = _C.tensor(float(t))
        try:
            self._impl.load_state_dict(groups, state)
        except Error as e:
            raise OptionError(str(e)) from None
        for g, ex in zip(self.param_groups, extras):
            g._extras = copy.deepcopy(ex)

    def __getstate__(self):
        raise TypeError(f"cannot pickle {type(self).__name__}; save optimizer.state_dict() instead")


def _no_differentiable(who, differentiable):
    if differentiable:
        raise ValueError(f"{who}: differentiable=True is not supported (the update runs in C++ without autograd)")
