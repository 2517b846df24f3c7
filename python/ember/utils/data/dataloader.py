"""DataLoader (torch.utils.data.DataLoader).

Two paths. A C++ dataset (see dataset._cpp_of) with the default collate runs the C++ DataLoader:
batching, shuffling and `num_workers` loader threads in C++, the GIL released while a batch is
waited for. Any other dataset is batched in Python with `collate_fn` (default_collate), on
`num_workers` threads when > 0.

Seeds: shuffling (and the random transforms of C++ datasets) follows the seed `seed=` (an Ember
extension), else `generator`'s initial_seed(), else the seed last passed to ember.manual_seed
(read, not drawn). Iteration e of a loader visits the C++ loader's order for (seed, e) on both
paths, so `ember.manual_seed(s)` makes a run repeatable and matches the C++ recipe with --seed s.
"""
import collections
from concurrent.futures import ThreadPoolExecutor

from ... import _C
from .collate import default_collate, default_convert
from .dataset import IterableDataset, _cpp_of
from .sampler import BatchSampler, RandomSampler, SequentialSampler, Sampler, _resolve_seed

__all__ = ["DataLoader"]


class DataLoader:
    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, seed=None):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int):
            raise TypeError(f"DataLoader(): argument 'num_workers' must be an int, not {type(num_workers).__name__}")
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if prefetch_factor is None:
            prefetch_factor = 2
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) or prefetch_factor < 1:
            raise ValueError(f"prefetch_factor should be a positive integer, got {prefetch_factor!r}")
        if not (hasattr(dataset, "__getitem__") or isinstance(dataset, IterableDataset)):
            raise TypeError(f"DataLoader(): argument 'dataset' must be a Dataset, not {type(dataset).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("DataLoader(): argument 'collate_fn' must be callable")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise TypeError("DataLoader(): argument 'seed' must be a non-negative int")
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.drop_last, self.generator, self.timeout = drop_last, generator, timeout
        self.seed = seed if seed is not None else _resolve_seed(generator)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler/batch_sampler option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        self._user_sampler = sampler is not None
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=self.seed) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        elif batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.batch_size, self.shuffle = batch_size, bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None else default_convert)
        self._cpp_dataset = _cpp_of(dataset) if collate_fn is None and batch_size is not None else None
        self._cpp_loader = None
        self._epoch = 0

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def __iter__(self):
        if self._cpp_dataset is not None:
            return self._cpp_iter()
        return self._python_iter()

    # ---- C++ path ----
    def _cpp_iter(self):
        args = (self._cpp_dataset, self.batch_size)
        opts = (self.drop_last, self.num_workers, self.prefetch_factor)
        if not self._user_sampler:
            if self._cpp_loader is None:
                self._cpp_loader = _C.data.DataLoader(*args, self.shuffle, self.seed, *opts, None)
            return _C.data.iterate(self._cpp_loader)
        # A user's sampler: its order of this epoch, loaded by C++.
        order = _C.data.ListSampler([int(i) for i in self.sampler])
        loader = _C.data.DataLoader(*args, False, self.seed, *opts, order)
        loader.epoch = self._epoch  # per-sample transform randomness differs per epoch
        self._epoch += 1
        return _C.data.iterate(loader)

    # ---- Python path ----
    def _batches(self):
        """Lists of samples (or single samples when batch_size is None), in order."""
        ds = self.dataset
        if self._iterable:
            if self.batch_size is None:
                yield from ((s,) for s in ds)
                return
            batch = []
            for s in ds:
                batch.append(s)
                if len(batch) == self.batch_size:
                    yield batch
                    batch = []
            if batch and not self.drop_last:
                yield batch
            return
        if self.batch_sampler is None:
            yield from ((i,) for i in self.sampler)
            return
        yield from self.batch_sampler

    def _fetch(self, indices):
        if self._iterable:
            samples = indices
        elif hasattr(self.dataset, "__getitems__"):
            samples = self.dataset.__getitems__(list(indices))
        else:
            samples = [self.dataset[i] for i in indices]
        if self.batch_size is None and self.batch_sampler is None:
            return self.collate_fn(samples[0])
        return self.collate_fn(samples)

    def _python_iter(self):
        if self.num_workers == 0:
            for b in self._batches():
                yield self._fetch(b)
            return
        # Threads, results in order; at most num_workers * prefetch_factor batches in flight.
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="ember-dataloader")
        pending = collections.deque()
        try:
            for b in self._batches():
                pending.append(pool.submit(self._fetch, b))
                if len(pending) >= self.num_workers * self.prefetch_factor:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
