"""``ember.distributed`` (torch.distributed) over ember::distributed: one process per rank,
started by ``mpirun -np N python train.py``; without mpirun, a world of one.

Backends: "mpi" (Open MPI, loaded at run time from libember_mpi.so) and "single" (a world of
one). PyTorch's CPU backend name "gloo" (and None) means whichever the launch gives: "mpi" under
mpirun, else "single". "nccl" needs CUDA, which this build lacks.

Collectives run without the GIL; every rank must issue the same collectives in the same order,
from the thread that called init_process_group.
"""
import datetime
import os
import pickle
import sys

from .. import _C
from .._C import Error, Tensor
from ..autograd import no_grad

_d = _C.distributed
ReduceOp = _d.ReduceOp

__all__ = ["Backend", "ReduceOp", "Work", "ProcessGroup", "GroupMember", "group", "DistError",
           "is_available", "is_initialized", "is_mpi_available", "is_gloo_available", "is_nccl_available",
           "is_torchelastic_launched", "init_process_group", "destroy_process_group", "new_group",
           "get_rank", "get_world_size", "get_backend", "get_node_local_rank", "barrier", "monitored_barrier",
           "all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "gather", "scatter",
           "reduce_scatter", "reduce_scatter_tensor", "all_gather_object", "broadcast_object_list"]


class DistError(Error, ValueError):
    """A misuse of ember.distributed (no default group, a bad rank): an ember.Error (RuntimeError)
    that is also the ValueError PyTorch raises for some of them."""


class Backend(str):
    """Backend names; ``Backend("GLOO") == "gloo"``."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    MPI = "mpi"
    NCCL = "nccl"
    SINGLE = "single"

    def __new__(cls, name):
        if not isinstance(name, str):
            raise TypeError(f"Backend(): argument 'name' must be str, not {type(name).__name__}")
        return str.__new__(cls, name.lower())


ProcessGroup = _d.ProcessGroup


class GroupMember:
    """``GroupMember.WORLD`` (also ``group.WORLD``): the default group once initialized."""
    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember

_state = {"pg": None, "excepthook": None}


def _cpp_backend(backend):
    if backend is None:
        return "auto"
    if not isinstance(backend, str):
        raise TypeError(f"init_process_group(): argument 'backend' must be str or None, not {type(backend).__name__}")
    b = backend.lower()
    if "," in b or ":" in b:  # "cpu:gloo,cuda:nccl": the CPU entry is the one that can run here
        parts = dict(p.split(":", 1) for p in b.split(",") if ":" in p)
        b = parts.get("cpu", b)
    return {"gloo": "auto", "auto": "auto", "undefined": "auto"}.get(b, b)


def _abort_on_uncaught(exc_type, exc, tb):
    # A rank that dies with an exception must not leave the others waiting in a collective until
    # the timeout: print the traceback, then end the whole job (MPI_Abort) naming this rank.
    hook = _state["excepthook"] or sys.__excepthook__
    hook(exc_type, exc, tb)
    if not issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
        _d.abort_job_on_error(f"{exc_type.__name__}: {exc}", 1)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Joins the job's default group. Under mpirun the ranks and world size come from the launcher
    (init_method and store are not needed); `world_size` / `rank`, when given, must agree with it."""
    if _state["pg"] is not None:
        raise DistError("trying to initialize the default process group twice!")
    for name, v in (("world_size", world_size), ("rank", rank)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"init_process_group(): argument '{name}' must be int, not {type(v).__name__}")
    if timeout is not None and not isinstance(timeout, (datetime.timedelta, int, float)):
        raise TypeError(f"init_process_group(): argument 'timeout' must be a datetime.timedelta, "
                        f"not {type(timeout).__name__}")
    pg = _d.init_process_group(_cpp_backend(backend))
    if world_size not in (-1, pg.size()) or rank not in (-1, pg.rank()):
        raise DistError(f"init_process_group: world_size={world_size}, rank={rank} were asked for, but this process "
                        f"is rank {pg.rank()} of {pg.size()} as started (start N ranks with `mpirun -np N`)")
    if timeout is not None:
        pg.timeout_seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
    _state["pg"] = GroupMember.WORLD = pg
    if pg.size() > 1 and sys.excepthook is not _abort_on_uncaught:
        _state["excepthook"], sys.excepthook = sys.excepthook, _abort_on_uncaught


def destroy_process_group(group=None):
    """Forgets the default group. MPI itself stays initialized until exit (it can start only
    once per process), so a later init_process_group with the same backend joins the same world."""
    if group is not None and group is not _state["pg"]:
        raise DistError("destroy_process_group: only the default group exists")
    _state["pg"] = GroupMember.WORLD = None
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook, _state["excepthook"] = _state["excepthook"] or sys.__excepthook__, None


def is_available():
    return True


def is_initialized():
    return _state["pg"] is not None


def is_mpi_available():
    return "mpi" in _d.available_backends()


def is_gloo_available():
    return True  # "gloo" names the CPU backend: MPI under mpirun, a world of one without


def is_nccl_available():
    return False


def is_torchelastic_launched():
    return False


def _group(g, op):
    pg = _state["pg"]
    if pg is None:
        raise DistError(f"{op}: Default process group has not been initialized, please make sure to call "
                        "init_process_group.")
    if g is None or g is pg:
        return pg
    if isinstance(g, ProcessGroup):
        return g
    raise TypeError(f"{op}(): argument 'group' must be a ProcessGroup or None, not {type(g).__name__}")


def _tensor(t, op, arg="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    return t


def _op(op, who):
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{who}(): argument 'op' must be ReduceOp, not {type(op).__name__}")
    return op


def _rank_arg(r, pg, who, arg):
    if isinstance(r, bool) or not isinstance(r, int):
        raise TypeError(f"{who}(): argument '{arg}' must be int, not {type(r).__name__}")
    if not 0 <= r < pg.size():
        raise DistError(f"{who}: {arg}={r} is not a rank of this group of {pg.size()}")
    return r


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False):
    """Only the whole world is supported: ranks=None or every rank."""
    pg = _group(None, "new_group")
    if ranks is not None and sorted(ranks) != list(range(pg.size())):
        raise NotImplementedError("new_group: Ember's process groups span every rank; subgroups are not supported")
    return pg


def get_rank(group=None):
    return _group(group, "get_rank").rank()


def get_world_size(group=None):
    return _group(group, "get_world_size").size()


def get_backend(group=None):
    return Backend(_group(group, "get_backend").backend())


def get_node_local_rank(fallback_rank=None):
    for k in ("LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"):
        if k in os.environ:
            return int(os.environ[k])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("get_node_local_rank: no local rank in the environment (LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_RANK)")


class Work:
    """A collective in flight (async_op=True): ``wait()`` blocks until done; ``then`` copies results."""

    def __init__(self, work, then=None):
        self._work, self._then = work, then

    def is_completed(self):
        return self._work.is_completed() and (self._finish() or True)

    def wait(self, timeout=None):
        self._work.wait()
        self._finish()
        return True

    def _finish(self):
        if self._then is not None:
            then, self._then = self._then, None
            then()


def _run(work, async_op, then=None):
    w = Work(work, then)
    if async_op:
        return w
    w.wait()
    return None


def _copy(dst, src):
    with no_grad():
        dst.copy_(src)


def _root(a, b):
    """`dst`/`src` or its `group_dst`/`group_src` spelling (one group: the same ranks); rank 0 if neither."""
    return a if a is not None else (b if b is not None else 0)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """`tensor` becomes, on every rank, the reduction of every rank's `tensor` (in place)."""
    pg = _group(group, "all_reduce")
    return _run(pg.allreduce(_tensor(tensor, "all_reduce"), _op(op, "all_reduce")), async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """The reduction lands on rank `dst` (every rank gets it here: one allreduce)."""
    pg = _group(group, "reduce")
    _rank_arg(_root(dst, group_dst), pg, "reduce", "dst")
    return _run(pg.allreduce(_tensor(tensor, "reduce"), _op(op, "reduce")), async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """`tensor` becomes rank `src`'s `tensor` on every rank (in place)."""
    pg = _group(group, "broadcast")
    src = _rank_arg(_root(src, group_src), pg, "broadcast", "src")
    return _run(pg.broadcast(_tensor(tensor, "broadcast"), src), async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Rank r's `input_tensor` lands in block r of `output_tensor` (world_size times as many elements)."""
    pg = _group(group, "all_gather_into_tensor")
    out = _tensor(output_tensor, "all_gather_into_tensor", "output_tensor")
    inp = _tensor(input_tensor, "all_gather_into_tensor", "input_tensor")
    return _run(pg.allgather(out, inp.contiguous()), async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` receives rank r's `tensor`."""
    pg = _group(group, "all_gather")
    _tensor(tensor, "all_gather")
    if not isinstance(tensor_list, list) or not all(isinstance(t, Tensor) for t in tensor_list):
        raise TypeError("all_gather(): argument 'tensor_list' must be a list of Tensors")
    if len(tensor_list) != pg.size():
        raise DistError(f"all_gather: tensor_list has {len(tensor_list)} tensors; the world has {pg.size()} ranks")
    out = _C.empty((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype)

    def then():
        for r, t in enumerate(tensor_list):
            _copy(t, out[r].view(t.shape))
    return _run(pg.allgather(out, tensor.contiguous()), async_op, then)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank `dst`, ``gather_list[r]`` receives rank r's `tensor` (one allgather)."""
    pg = _group(group, "gather")
    dst = _rank_arg(_root(dst, group_dst), pg, "gather", "dst")
    _tensor(tensor, "gather")
    if pg.rank() == dst:
        if not isinstance(gather_list, list) or len(gather_list) != pg.size():
            raise DistError(f"gather: on rank dst={dst}, gather_list must be a list of {pg.size()} tensors")
    out = _C.empty((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype)

    def then():
        if pg.rank() == dst:
            for r, t in enumerate(gather_list):
                _copy(t, out[r].view(t.shape))
    return _run(pg.allgather(out, tensor.contiguous()), async_op, then)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """`tensor` receives ``scatter_list[rank]`` of rank `src` (one broadcast of the whole list)."""
    pg = _group(group, "scatter")
    src = _rank_arg(_root(src, group_src), pg, "scatter", "src")
    _tensor(tensor, "scatter")
    if pg.rank() == src:
        if not isinstance(scatter_list, list) or len(scatter_list) != pg.size():
            raise DistError(f"scatter: on rank src={src}, scatter_list must be a list of {pg.size()} tensors")
        buf = _C.stack([t.reshape(tuple(tensor.shape)) for t in scatter_list]).contiguous()
    else:
        buf = _C.empty((pg.size(),) + tuple(tensor.shape), dtype=tensor.dtype)
    return _run(pg.broadcast(buf, src), async_op, lambda: _copy(tensor, buf[pg.rank()]))


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` receives block `rank` of the reduction of every rank's `input`."""
    pg = _group(group, "reduce_scatter_tensor")
    out = _tensor(output, "reduce_scatter_tensor", "output")
    inp = _tensor(input, "reduce_scatter_tensor", "input")
    return _run(pg.reduce_scatter(out, inp.contiguous(), _op(op, "reduce_scatter_tensor")), async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` receives the reduction of every rank's ``input_list[rank]``."""
    pg = _group(group, "reduce_scatter")
    out = _tensor(output, "reduce_scatter", "output")
    if not isinstance(input_list, list) or not all(isinstance(t, Tensor) for t in input_list):
        raise TypeError("reduce_scatter(): argument 'input_list' must be a list of Tensors")
    if len(input_list) != pg.size():
        raise DistError(f"reduce_scatter: input_list has {len(input_list)} tensors; the world has {pg.size()} ranks")
    inp = _C.cat([t.reshape(-1) for t in input_list])
    return _run(pg.reduce_scatter(out, inp, _op(op, "reduce_scatter")), async_op)


def barrier(group=None, async_op=False, device_ids=None):
    return _run(_group(group, "barrier").barrier(), async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    barrier(group)


# ---- Python objects (pickled, sent as int64 words) ----
def _to_tensor(obj):
    data = pickle.dumps(obj)
    n = len(data)
    data += b"\0" * (-n % 8)
    words = [int.from_bytes(data[i:i + 8], "little", signed=True) for i in range(0, len(data), 8)]
    return n, _C.tensor(words, dtype=_C.dtype.int64)


def _from_tensor(t, n):
    return pickle.loads(b"".join(int(w).to_bytes(8, "little", signed=True) for w in t.tolist())[:n])


def all_gather_object(object_list, obj, group=None):
    """``object_list[r]`` receives rank r's picklable `obj`."""
    pg = _group(group, "all_gather_object")
    if not isinstance(object_list, list) or len(object_list) != pg.size():
        raise DistError(f"all_gather_object: object_list must be a list of {pg.size()} entries")
    n, t = _to_tensor(obj)
    sizes = _C.tensor([n, t.numel()], dtype=_C.dtype.int64)
    all_sizes = _C.empty((pg.size(), 2), dtype=_C.dtype.int64)
    pg.allgather(all_sizes, sizes).wait()
    longest = int(all_sizes[:, 1].max().item())
    buf = _C.zeros(longest, dtype=_C.dtype.int64)
    buf[:t.numel()] = t
    out = _C.empty((pg.size(), longest), dtype=_C.dtype.int64)
    pg.allgather(out, buf).wait()
    for r in range(pg.size()):
        object_list[r] = _from_tensor(out[r], int(all_sizes[r, 0].item()))


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Every rank's `object_list` becomes rank `src`'s (same length on every rank)."""
    pg = _group(group, "broadcast_object_list")
    src = _rank_arg(_root(src, group_src), pg, "broadcast_object_list", "src")
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list(): argument 'object_list' must be a list, not "
                        f"{type(object_list).__name__}")
    n, t = _to_tensor(list(object_list)) if pg.rank() == src else (0, None)
    sizes = _C.tensor([n, 0 if t is None else t.numel()], dtype=_C.dtype.int64)
    pg.broadcast(sizes, src).wait()
    n, words = (int(v) for v in sizes.tolist())
    buf = t if t is not None else _C.empty(words, dtype=_C.dtype.int64)
    pg.broadcast(buf, src).wait()
    object_list[:] = _from_tensor(buf, n)
