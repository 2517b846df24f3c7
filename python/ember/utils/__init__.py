"""ember.utils: torch.utils's data package."""
from . import data

__all__ = ["data"]
