"""Under mpirun -np 2: every collective's values, async forms, objects and argument errors.
Prints 'rank R ok' on each rank; any failed check raises (and ends the job non-zero)."""
import ember as torch
import ember.distributed as dist

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2 and dist.is_initialized() and dist.get_backend() == "mpi", (world, dist.get_backend())


def close(a, b):
    assert torch.allclose(a, torch.tensor(b, dtype=a.dtype)), (rank, a.tolist(), b)


t = torch.tensor([1.0, 2.0]) * (rank + 1)          # rank 0: [1, 2], rank 1: [2, 4]
dist.all_reduce(t)
close(t, [3.0, 6.0])
for op, want in ((dist.ReduceOp.AVG, [1.5, 3.0]), (dist.ReduceOp.MAX, [2.0, 4.0]),
                 (dist.ReduceOp.MIN, [1.0, 2.0]), (dist.ReduceOp.PRODUCT, [2.0, 8.0])):
    t = torch.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t, op=op)
    close(t, want)
i = torch.tensor([rank + 1], dtype=torch.int64)
dist.all_reduce(i)
assert i.tolist() == [3]

t = torch.full((2, 3), float(rank))
dist.broadcast(t, src=1)
close(t, [[1.0] * 3] * 2)

outs = [torch.zeros(2) for _ in range(world)]
dist.all_gather(outs, torch.tensor([rank, 10 + rank], dtype=torch.float32))
close(outs[0], [0.0, 10.0])
close(outs[1], [1.0, 11.0])
big = torch.zeros(4)
dist.all_gather_into_tensor(big, torch.tensor([rank, rank], dtype=torch.float32))
close(big, [0.0, 0.0, 1.0, 1.0])

out = torch.zeros(2)
dist.reduce_scatter(out, [torch.ones(2) * (rank + 1), torch.ones(2) * 10 * (rank + 1)])
close(out, [3.0, 3.0] if rank == 0 else [30.0, 30.0])
out = torch.zeros(1)
dist.reduce_scatter_tensor(out, torch.tensor([1.0, 2.0]) * (rank + 1), op=dist.ReduceOp.AVG)
close(out, [1.5] if rank == 0 else [3.0])

g = [torch.zeros(1), torch.zeros(1)] if rank == 0 else None
dist.gather(torch.tensor([rank + 5.0]), g, dst=0)
if rank == 0:
    close(g[0], [5.0])
    close(g[1], [6.0])
s = torch.zeros(2)
dist.scatter(s, [torch.tensor([1.0, 1.0]), torch.tensor([2.0, 2.0])] if rank == 1 else None, src=1)
close(s, [1.0 + rank] * 2)

# async: the Work completes, and the tensor list is filled on wait()
t = torch.ones(3) * rank
w = dist.all_reduce(t, async_op=True)
w.wait()
close(t, [1.0] * 3)
outs = [torch.zeros(1) for _ in range(world)]
w = dist.all_gather(outs, torch.tensor([rank * 1.0]), async_op=True)
w.wait()
close(outs[1], [1.0])
assert dist.barrier(async_op=True).wait()
dist.barrier()

# a leaf that requires grad can be broadcast, as in PyTorch (dist.broadcast(param, 0))
p = torch.nn.Parameter(torch.ones(2) * rank)
dist.broadcast(p, 0)
close(p.detach(), [0.0, 0.0])

objs = [None, None]
dist.all_gather_object(objs, {"rank": rank, "s": "x" * (rank * 20)})
assert objs == [{"rank": 0, "s": ""}, {"rank": 1, "s": "x" * 20}], objs
lst = [1, "two", {"three": 3}] if rank == 0 else [None, None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [1, "two", {"three": 3}], lst


# a collective waits without the GIL: rank 0's other Python thread runs while it waits for rank 1
import threading  # noqa: E402
import time  # noqa: E402

ticks, stop = [0], threading.Event()


def tick():
    while not stop.is_set():
        ticks[0] += 1
        time.sleep(0.01)


th = threading.Thread(target=tick)
th.start()
if rank == 1:
    time.sleep(0.5)
before = ticks[0]
dist.all_reduce(torch.ones(1))
during = ticks[0] - before
stop.set()
th.join()
assert rank == 1 or during >= 10, ("the GIL was held while waiting", during)


def raises(exc, fn, *want):
    try:
        fn()
    except exc as e:
        for w in want:
            assert w in str(e), (str(e), w)
        return
    raise AssertionError(f"{fn} did not raise {exc.__name__}")


raises(TypeError, lambda: dist.all_reduce([1.0, 2.0]), "argument 'tensor'", "list")
raises(TypeError, lambda: dist.all_reduce(torch.ones(2), op="sum"), "argument 'op'")
raises(TypeError, lambda: dist.broadcast(torch.ones(2), src="0"), "argument 'src'")
raises(RuntimeError, lambda: dist.broadcast(torch.ones(2), src=2), "src=2")
raises(RuntimeError, lambda: dist.all_gather([torch.zeros(1)], torch.zeros(1)), "2 ranks")
raises(RuntimeError, lambda: dist.all_reduce(torch.ones(2, 3).t()), "not contiguous")
raises(RuntimeError, lambda: dist.init_process_group("gloo"), "twice")
dist.barrier()
print(f"rank {rank} ok", flush=True)
dist.destroy_process_group()
assert not dist.is_initialized()
