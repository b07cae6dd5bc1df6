"""Softmax attention of one head: scores Q·Kᵀ/√d with .transpose(-2, -1), a softmax, a weighted sum of V."""
import math

import torch

torch.manual_seed(3)
x = torch.randn(2, 5, 8)
Wq = torch.randn(8, 4, requires_grad=True)
Wk = torch.randn(8, 4, requires_grad=True)
Wv = torch.randn(8, 4, requires_grad=True)

q, k, v = x @ Wq, x @ Wk, x @ Wv
scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
weights = torch.softmax(scores, dim=-1)
out = weights @ v
loss = (out ** 2).mean()
loss.backward()
