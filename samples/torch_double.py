# ruff: noqa: B018 - seeds/004's notebook cells, verbatim
import torch

torch.manual_seed(0)

x = torch.arange(4.0, requires_grad=True)
x

y = x * 2
y

y.backward(torch.ones(4))  # 等价于 y.sum().backward()
x.grad
