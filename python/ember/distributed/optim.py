"""``ember.distributed.optim.ZeroRedundancyOptimizer`` (torch's): ZeRO-1 over
ember::distributed::ZeroRedundancyOptimizer. Each rank keeps the optimizer state of its shard of
the parameters only; a step updates the shard, then an allgather gives every rank the whole update."""
import inspect

from .. import _C
from ..optim.optimizer import _CppOptimizer, _Options

__all__ = ["ZeroRedundancyOptimizer"]


class ZeroRedundancyOptimizer(_CppOptimizer):
    """``ZeroRedundancyOptimizer(params, optimizer_class=optim.Adam, lr=1e-3, ...)``: the inner
    optimizer must be one of Ember's C++ optimizers (SGD, Adam, AdamW, RMSprop, Adagrad). Call
    ``consolidate_state_dict()`` on every rank before ``state_dict()``; the result equals the
    unsharded optimizer's."""

    def __init__(self, params, optimizer_class, process_group=None, parameters_as_bucket_view=False,
                 overlap_with_ddp=False, **defaults):
        from . import _group
        who = "ZeroRedundancyOptimizer"
        kind = getattr(optimizer_class, "_kind", None) if isinstance(optimizer_class, type) else None
        if kind is None or not issubclass(optimizer_class, _CppOptimizer):
            raise TypeError(f"{who}(): argument 'optimizer_class' must be one of ember.optim's optimizer classes "
                            f"(SGD, Adam, AdamW, RMSprop, Adagrad), not {optimizer_class!r}")
        if overlap_with_ddp:
            raise NotImplementedError(f"{who}: overlap_with_ddp is not supported; step after backward")
        pg = _group(process_group, who)
        # The inner class's own defaults for the arguments not given, as optimizer_class(params) has.
        sig = inspect.signature(optimizer_class.__init__)
        full = {k: p.default for k, p in sig.parameters.items()
                if p.default is not inspect.Parameter.empty and k not in ("foreach", "fused", "differentiable")}
        unknown = set(defaults) - set(full)
        if unknown:
            raise TypeError(f"{who}: {optimizer_class.__name__} has no argument {sorted(unknown)[0]!r}")
        full.update(defaults)
        self._kind = kind
        self._options = _Options(kind)
        self.optim = optimizer_class
        self.defaults = {k: v for k, v in full.items() if self._options.is_option(k)}
        self._build(who, params, lambda groups, cpp_defaults: _C.distributed.ZeroRedundancyOptimizer(
            kind, groups, cpp_defaults, pg))

    def add_param_group(self, param_group):
        raise NotImplementedError("ZeroRedundancyOptimizer: param groups are fixed at construction (each is sharded "
                                  "across ranks); pass every group to the constructor")

    def consolidate_state_dict(self, to=0):
        """Collective: gathers every rank's shard of the state (on every rank; `to` is accepted)."""
        self._impl.consolidate_state_dict()

    def local_state_bytes(self):
        """Bytes of optimizer state this rank holds."""
        return self._impl.local_state_bytes()
