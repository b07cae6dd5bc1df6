# ruff: noqa: B015 - seeds/004's notebook cells, verbatim
import torch

torch.manual_seed(0)


def myFunc(a):
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    else:
        return -1 * a

a = torch.randn(size=(), requires_grad=True)
f = myFunc(a)
f.backward()

a.grad == f / a
