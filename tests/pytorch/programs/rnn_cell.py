"""An RNN cell unrolled over four steps, its hidden state fed back, the last state scored."""
import torch
from torch import nn

torch.manual_seed(4)
cell = nn.RNNCell(3, 5)
head = nn.Linear(5, 1)
xs = torch.randn(4, 2, 3)  # time, batch, features
target = torch.randn(2, 1)

h = torch.zeros(2, 5)
for x in xs:
    h = cell(x, h)
loss = nn.functional.mse_loss(head(h), target)
loss.backward()
