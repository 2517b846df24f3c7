"""Under mpirun -np 2, by argv[1]:
  models  rank 1 builds another model: DDP raises ember.Error on every rank, naming the difference;
  raise   rank 1 raises while rank 0 waits in a collective: the job ends (non-zero), naming rank 1."""
import sys

import ember as torch
import ember.distributed as dist
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group()
rank = dist.get_rank()
if sys.argv[1] == "models":
    model = nn.Sequential(nn.Linear(4, 3 if rank == 0 else 5), nn.Linear(3 if rank == 0 else 5, 2))
    try:
        DDP(model)
    except torch.Error as e:
        print(f"rank {rank} raised: {e}", flush=True)
    else:
        raise AssertionError("no error")
    for bad in (lambda: DDP("model"), lambda: DDP(model, bucket_cap_mb="big"), lambda: DDP(model, device_ids=[0])):
        try:
            bad()
        except (TypeError, ValueError) as e:
            print(f"rank {rank} refused: {type(e).__name__}: {e}", flush=True)
    dist.barrier()
elif sys.argv[1] == "raise":
    if rank == 1:
        raise ValueError("injected failure")
    dist.all_reduce(torch.ones(1))                        # waits for rank 1, which never comes
    print("rank 0 must not get here", flush=True)
