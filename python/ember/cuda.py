"""ember.cuda: what PyTorch scripts ask before choosing a device
(``device = "cuda" if torch.cuda.is_available() else "cpu"``)."""
import functools

from . import _C


@functools.lru_cache(maxsize=None)
def is_available():
    """True when this build has a CUDA backend registered (a tensor can be allocated on cuda:0)."""
    try:
        _C.zeros(1, device="cuda")
        return True
    except (_C.Error, ValueError, TypeError):
        return False


def device_count():
    return 1 if is_available() else 0


def manual_seed(seed):
    """Seeds every generator (Ember has one default generator for all devices)."""
    _C.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize(device=None):
    """Nothing to wait for without a CUDA backend."""
