"""A two-layer MLP classifier in plain PyTorch: graphstep records it up to loss.backward().

Run `graphstep samples/torch_mlp.py`: `net.0: Linear`, `net.1: ReLU` and `net.2: Linear` are groups, and the
cross-entropy is log-softmax, the label's entry, the mean — each a step.
"""

import torch
from torch import nn

torch.manual_seed(0)

X = torch.randn(8, 4)                 # 8 samples, 4 features (rows are samples)
y = torch.tensor([0, 1, 2, 1, 0, 2, 1, 0])  # integer class labels

net = nn.Sequential(
    nn.Linear(4, 16),
    nn.ReLU(),
    nn.Linear(16, 3),
)
loss_fn = nn.CrossEntropyLoss()

logits = net(X)
loss = loss_fn(logits, y)
loss.backward()

print(f"loss {loss.item():.4f}, |grad W1| {net[0].weight.grad.norm():.4f}")
