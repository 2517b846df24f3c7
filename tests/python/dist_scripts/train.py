"""The seed CNN trained data-parallel, written as for torch.distributed:

    mpirun -np 2 python train.py --batch-size 16     # or alone: python train.py --batch-size 32

Each rank trains on its DistributedSampler share; rank 0 prints and saves the final state dict
(--out). Both runs see the same samples at each step, so they end with the same weights."""
import argparse
import time

import ember as torch
import ember.distributed as dist
import ember.nn as nn
import ember.optim as optim
from ember import datasets, transforms
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, DistributedSampler, Subset

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=None)
parser.add_argument("--images", type=int, default=512)
parser.add_argument("--batch-size", type=int, default=16, help="per rank")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--out", default=None)
args = parser.parse_args()

dist.init_process_group(backend="gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(1)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = nn.functional.relu(self.conv1(x))
        x = nn.functional.relu(self.conv2(x))
        x = nn.functional.max_pool2d(x, 2, 2)
        x = x.view(-1, 64 * 12 * 12)
        x = nn.functional.relu(self.fc1(x))
        x = self.fc2(x)
        return nn.functional.log_softmax(x, dim=1)


trainset = Subset(datasets.MNIST(args.data, train=True, transform=transforms.Normalize((0.1307,), (0.3081,))),
                  range(args.images))
sampler = DistributedSampler(trainset, seed=1)
trainloader = DataLoader(trainset, batch_size=args.batch_size, sampler=sampler)
net = Net()
model = DDP(net)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
start = time.perf_counter()
for epoch in range(args.epochs):
    sampler.set_epoch(epoch)
    running_loss = torch.zeros(1, dtype=torch.float64)
    for inputs, labels in trainloader:
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    dist.all_reduce(running_loss, op=dist.ReduceOp.AVG)
    if rank == 0:
        print(f"Epoch {epoch + 1}, Loss: {running_loss.item() / len(trainloader):.6f}", flush=True)
seconds = time.perf_counter() - start

# Every rank must hold the same weights: compare with rank 0's, bit for bit.
mine = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
theirs = mine.clone()
dist.broadcast(theirs, src=0)
same = torch.tensor([int(torch.equal(mine, theirs))], dtype=torch.int64)
dist.all_reduce(same, op=dist.ReduceOp.MIN)
if rank == 0:
    print(f"ranks identical: {bool(same.item())}; {world} rank(s), {args.epochs * args.images / seconds:.0f} images/s",
          flush=True)
    if args.out:
        torch.save(net.state_dict(), args.out)
dist.destroy_process_group()
