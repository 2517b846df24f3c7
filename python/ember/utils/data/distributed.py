"""ember.utils.data.distributed: where PyTorch scripts import DistributedSampler from."""
from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
