"""Why graphstep records with a ``__torch_function__`` mode and not a ``TorchDispatchMode`` (see
``graphstep/pytorch/recorder.py``): on an ``nn.Sequential`` MLP with ``nn.CrossEntropyLoss``, what each mode sees."""

from __future__ import annotations

from torch_support import needs_torch

pytestmark = needs_torch


def function_calls():
    """A ``__torch_function__`` mode listing the calls autograd records: graphstep's nodes come from these."""
    import torch
    from torch.overrides import TorchFunctionMode

    class FunctionCalls(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.seen = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            result = func(*args, **(kwargs or {}))
            if torch.is_grad_enabled() and isinstance(result, torch.Tensor) and result.grad_fn is not None:
                self.seen.append(func.__name__)
            return result

    return FunctionCalls()


def dispatch_calls():
    """A ``TorchDispatchMode`` listing the aten ops dispatched to it, after autograd."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class DispatchCalls(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.seen = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.seen.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    return DispatchCalls()


def mlp_step(mode) -> tuple[list[str], list[str]]:
    """The MLP's forward pass under ``mode``, then backward outside it; then backward under it: what it saw."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    X, y = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    with mode:
        loss = nn.CrossEntropyLoss()(net(X), y)
    forward = list(mode.seen)
    with mode:
        loss.backward()
    return forward, mode.seen[len(forward):]


def test_function_mode_sees_the_calls_the_user_wrote():
    forward, backward = mlp_step(function_calls())
    assert forward == ["linear", "relu", "linear", "cross_entropy"]
    assert backward == []  # torch's own backward pass is not recorded a second time


def test_dispatch_mode_sees_aten_after_autograd_decomposed_it():
    forward, backward = mlp_step(dispatch_calls())
    assert forward == ["t", "addmm", "relu", "detach", "t", "addmm", "_log_softmax", "detach", "nll_loss_forward"]
    assert "addmm" in forward and "linear" not in forward and "cross_entropy" not in forward
    assert len(backward) > 20  # and every op of torch's own backward pass
