"""The seed program (a PyTorch training loop for a CNN on MNIST) running on Ember.

Its lines are PyTorch's, with the imports changed; examples/README.md lists every line that
differs from the seed and why. The seed left `trainloader` undefined: it is built here over MNIST
from ../shared/data (or --data / $EMBER_DATA), normalized as `ember train mnist-cnn` does, so the
losses match that recipe's at the same --seed and --threads.

    build/venv/bin/python examples/seed_cnn.py [--epochs 10] [--seed 1] [--threads N] [--data DIR]
"""
import argparse
import time

import ember as torch
import ember.nn as nn
import ember.optim as optim
from ember import datasets, transforms

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--threads", type=int, default=0, help="0: Ember's default (all cores)")
parser.add_argument("--data", default=None, help="data root holding mnist/ (default: $EMBER_DATA, ../shared/data)")
parser.add_argument("--max-steps", type=int, default=0, help="stop each epoch after this many steps (0: all)")
args = parser.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
normalize = transforms.Normalize((0.1307,), (0.3081,))  # the training images' mean and std
trainset = datasets.MNIST(args.data, train=True, transform=normalize)
testset = datasets.MNIST(args.data, train=False, transform=normalize)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)
testloader = torch.utils.data.DataLoader(testset, batch_size=100)


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


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for epoch in range(args.epochs):
    running_loss = 0.0
    seen, start = 0, time.perf_counter()  # throughput over the epoch, as `ember train` reports it
    for i, data in enumerate(trainloader, 0):
        if args.max_steps and i == args.max_steps:
            break
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        seen += inputs.shape[0]
    steps = min(len(trainloader), args.max_steps) if args.max_steps else len(trainloader)
    print(f"Epoch {epoch + 1}, Loss: {running_loss / steps}")
    print(f"  {seen / (time.perf_counter() - start):.1f} images/s")

# Test accuracy (the seed stops at training; this shows what it learned).
correct = total = 0
net.eval()
with torch.no_grad():
    for inputs, labels in testloader:
        correct += (net(inputs).argmax(1) == labels).sum().item()
        total += labels.shape[0]
print(f"Test accuracy: {100.0 * correct / total:.2f}%")
