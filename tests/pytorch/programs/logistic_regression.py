"""Logistic regression on two blobs: sigmoid, binary cross-entropy, an L2 penalty."""
import torch

torch.manual_seed(1)
X = torch.cat([torch.randn(6, 2) + 1.5, torch.randn(6, 2) - 1.5])
y = torch.cat([torch.ones(6), torch.zeros(6)])
w = torch.zeros(2, requires_grad=True)
b = torch.zeros(1, requires_grad=True)

p = torch.sigmoid(X @ w + b)
loss = torch.nn.functional.binary_cross_entropy(p, y) + 0.01 * (w ** 2).sum()
loss.backward()
