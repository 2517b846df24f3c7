"""Samplers (torch.utils.data.sampler): which indices an epoch visits, in what order. Shuffles
are the C++ DataLoader's (from a seed and an epoch counter), so a Python dataset and a C++ one
shuffled with the same seed visit the same order."""
import random

from ... import _C
from .dataset import _seed_of

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler"]


def _resolve_seed(generator):
    """The generator's seed, else the seed last given to ember.manual_seed (the default
    generator's seed; not a draw, so creating a sampler does not change later random numbers)."""
    seed = _seed_of(generator)
    return _C.data.default_seed() if seed is None else seed


class Sampler:
    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class _Epochs:
    """A seed and an epoch counter advanced by each iteration."""

    def _next_epoch(self):
        e = self._epoch
        self._epoch += 1
        return e


class RandomSampler(Sampler, _Epochs):
    """A new permutation each iteration (epoch e: the C++ loader's shuffle for (seed, e))."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)
                                        or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator
        self.seed = _resolve_seed(generator)
        self._epoch = 0

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, epoch = len(self.data_source), self._next_epoch()
        if self.replacement:
            rng = random.Random(self.seed * 1000003 + epoch)
            return iter([rng.randrange(n) for _ in range(self.num_samples)])
        out = []
        k = 0
        while len(out) < self.num_samples:  # num_samples > n: successive permutations
            out += _C.data.epoch_order(n, self.seed, epoch + k)
            k += 1
        return iter(out[: self.num_samples])

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler, _Epochs):
    def __init__(self, indices, generator=None):
        self.indices = list(indices)
        self.generator = generator
        self.seed = _resolve_seed(generator)
        self._epoch = 0

    def __iter__(self):
        perm = _C.data.epoch_order(len(self.indices), self.seed, self._next_epoch())
        return iter([self.indices[i] for i in perm])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler, _Epochs):
    """num_samples indices drawn with the given weights (with replacement only)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not replacement:
            raise NotImplementedError("WeightedRandomSampler(replacement=False) is not supported yet")
        w = weights.tolist() if hasattr(weights, "tolist") else list(weights)
        self.weights, self.num_samples, self.replacement = [float(x) for x in w], num_samples, replacement
        self.seed = _resolve_seed(generator)
        self._epoch = 0

    def __iter__(self):
        rng = random.Random(self.seed * 1000003 + self._next_epoch())
        return iter(rng.choices(range(len(self.weights)), self.weights, k=self.num_samples))

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of batch_size."""

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size


class DistributedSampler(Sampler):
    """This rank's share of the dataset (ember::distributed::DistributedSampler): every rank
    shuffles with the same seed and epoch; call set_epoch(e) each epoch, as in PyTorch."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            try:
                from ... import distributed as dist
                num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
                rank = dist.get_rank() if rank is None else rank
            except (ImportError, AttributeError, RuntimeError) as e:
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or initialize "
                                   f"ember.distributed first ({e})") from None
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        self._cpp = _C.data.DistributedSampler(len(dataset), num_replicas, rank, shuffle, seed, drop_last)

    def __iter__(self):
        return iter(self._cpp.indices(self.epoch))

    def __len__(self):
        return len(self._cpp)

    def set_epoch(self, epoch):
        self.epoch = epoch
