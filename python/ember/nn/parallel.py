"""``ember.nn.parallel.DistributedDataParallel`` (torch's) over ember::distributed's DDP: the
gradients of the wrapped module's parameters are averaged over ranks during backward, in buckets
that overlap communication with the rest of backward."""
from contextlib import contextmanager

from .. import _C
from .._C import is_grad_enabled
from .modules.module import Module

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wraps `module` (any ember.nn.Module, Python or C++ layers): construction checks that every
    rank built the same model and copies rank 0's parameters and buffers to all; ``forward`` runs
    the module; ``loss.backward()`` leaves averaged gradients in ``.grad`` on every rank.
    ``state_dict`` keys are the module's, prefixed ``module.``."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        from .. import distributed as dist
        super().__init__()
        who = "DistributedDataParallel"
        if not isinstance(module, Module):
            raise TypeError(f"{who}(): argument 'module' must be an ember.nn.Module, not {type(module).__name__}")
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError(f"{who}: device_ids and output_device must be None for a CPU module "
                             f"(got device_ids={device_ids!r}, output_device={output_device!r})")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)):
            raise TypeError(f"{who}(): argument 'bucket_cap_mb' must be a number, not {type(bucket_cap_mb).__name__}")
        pg = dist._group(process_group, who)
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.device_ids = None
        self.process_group = pg
        # Buffers are broadcast from Python at each forward (a Python module may rebind them);
        # parameters are registered once, by their handles, so C++'s gradient hooks see them.
        object.__setattr__(self, "_ddp", _C.distributed.DistributedDataParallel(
            list(module.named_parameters()), list(module.named_buffers()), module.training, pg,
            float(bucket_cap_mb), False, self.find_unused_parameters, self.gradient_as_bucket_view))

    def forward(self, *inputs, **kwargs):
        self._ddp.pre_forward(self.module.training)
        if self.broadcast_buffers and self.module.training and is_grad_enabled() and self.process_group.size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _C.distributed.broadcast_coalesced(self.process_group, buffers, 0)
        return self.module(*inputs, **kwargs)

    @contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate .grad locally; the first one after averages the sum."""
        with self._ddp.no_sync():
            yield

    def _bucket_parameter_names(self):
        """Parameter names of each gradient bucket, in launch order."""
        return self._ddp.bucket_parameter_names()

    def _ddp_stats(self):
        """Iterations, buckets, bytes per iteration and time spent in DDP's hooks and waits."""
        return self._ddp.stats()
