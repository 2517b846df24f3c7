"""ember.utils: torch.utils's data package, and tensorboard (import ember.utils.tensorboard, as torch's)."""
from . import data

__all__ = ["data"]
