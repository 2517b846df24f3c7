"""Under mpirun -np 2: DDP over a Python module (C++ layers, a Python parameter, nested children,
a buffer) gives, with half the batch on each rank, the gradients and the parameters that one
process computes on the whole batch; no_sync accumulation; several buckets; unused parameters."""
import ember as torch
import ember.distributed as dist
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)
        self.scale = nn.Parameter(torch.ones(6))
        self.register_buffer("calls", torch.zeros(1))

    def forward(self, x):
        return torch.tanh(self.lin(x)) * self.scale


class Net(nn.Module):
    def __init__(self, unused=False):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.block = Block()
        self.head = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        self.spare = nn.Linear(3, 3) if unused else None

    def forward(self, x):
        h = F.relu(self.conv(x)).mean(dim=(2, 3))          # (N, 2)
        h = torch.cat([h, h * 2, h * 3], dim=1)            # (N, 6)
        return self.head(self.block(h))


torch.manual_seed(100 + rank)                              # ranks start different; DDP copies rank 0's
model = Net()
ddp = DDP(model, bucket_cap_mb=0.0001)                     # tiny buckets: several allreduces in flight
assert len(ddp._bucket_parameter_names()) > 1, ddp._bucket_parameter_names()
assert list(ddp.state_dict())[0] == "module.conv.weight", list(ddp.state_dict())[:3]
torch.manual_seed(7)
ref = Net()
ref.load_state_dict(model.state_dict())                    # rank 0's weights, as a single process has them

torch.manual_seed(1)                                       # the same data on every rank
X, Y = torch.randn(8, 1, 5, 5), torch.randint(0, 3, (8,))
lo, hi = rank * 4, rank * 4 + 4
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)


def check(tag, tol=1e-5):
    worst = 0.0
    for (n, p), (_, q) in zip(model.named_parameters(), ref.named_parameters()):
        assert p.grad is not None, (tag, n)
        worst = max(worst, (p.grad - q.grad).abs().max().item(), (p - q).abs().max().item())
    assert worst < tol, (tag, worst)
    return worst


worst = 0.0
for step in range(3):
    opt.zero_grad()
    ref_opt.zero_grad()
    F.cross_entropy(ddp(X[lo:hi]), Y[lo:hi]).backward()
    F.cross_entropy(ref(X), Y).backward()
    worst = max(worst, check(f"step {step} grads"))
    opt.step()
    ref_opt.step()
    worst = max(worst, check(f"step {step} params"))

# no_sync: two micro-batches per rank, the first accumulated locally, the second synchronizes the sum
opt.zero_grad()
ref_opt.zero_grad()
with ddp.no_sync():
    (F.cross_entropy(ddp(X[lo:lo + 2]), Y[lo:lo + 2]) / 2).backward()
(F.cross_entropy(ddp(X[lo + 2:hi]), Y[lo + 2:hi]) / 2).backward()
F.cross_entropy(ref(X), Y).backward()
worst = max(worst, check("no_sync"))
stats = ddp._ddp_stats()
assert stats["iterations"] == 4 and stats["buckets"] > 1, stats

# a parameter that gets no gradient: an error without find_unused_parameters, fine with it
torch.manual_seed(3)
m2 = Net(unused=True)
d2 = DDP(m2, find_unused_parameters=True)
F.cross_entropy(d2(X[lo:hi]), Y[lo:hi]).backward()
assert m2.spare.weight.grad is None and m2.head[2].weight.grad is not None

# gradient_as_bucket_view: .grad aliases the bucket and holds the same averaged values
torch.manual_seed(3)
m3 = Net()
d3 = DDP(m3, gradient_as_bucket_view=True)
m3.load_state_dict(ref.state_dict())
ref.zero_grad()
F.cross_entropy(d3(X[lo:hi]), Y[lo:hi]).backward()
F.cross_entropy(ref(X), Y).backward()
for (n, p), (_, q) in zip(m3.named_parameters(), ref.named_parameters()):
    assert (p.grad - q.grad).abs().max().item() < 1e-5, n

# ZeRO-1 under DDP: each rank keeps half of Adam's state; the steps equal unsharded Adam's
from ember.distributed.optim import ZeroRedundancyOptimizer  # noqa: E402

torch.manual_seed(3)
m4 = Net()
d4 = DDP(m4)
ref.load_state_dict(m4.state_dict())
zero = ZeroRedundancyOptimizer(m4.parameters(), optimizer_class=torch.optim.Adam, lr=0.01)
adam = torch.optim.Adam(ref.parameters(), lr=0.01)
for step in range(3):
    zero.zero_grad()
    adam.zero_grad()
    F.cross_entropy(d4(X[lo:hi]), Y[lo:hi]).backward()
    F.cross_entropy(ref(X), Y).backward()
    zero.step()
    adam.step()
for (n, p), (_, q) in zip(m4.named_parameters(), ref.named_parameters()):
    assert (p - q).abs().max().item() < 1e-5, ("zero", n, (p - q).abs().max().item())
full = sum(t.numel() * 4 for s in adam.state.values() for k, t in s.items() if k != "step")
assert zero.local_state_bytes() < 0.6 * full, (zero.local_state_bytes(), full)
zero.consolidate_state_dict()
assert zero.state_dict()["state"].keys() == adam.state_dict()["state"].keys()

# eval mode and no_grad forwards need no communication
ddp.eval()
with torch.no_grad():
    ddp(X[lo:hi])
print(f"rank {rank} ok max|ddp - single| = {worst:.3g}", flush=True)
