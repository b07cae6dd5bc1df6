"""What the PyTorch tests share: the mark that skips them without torch, and torch's own gradients for a script,
run as ``python FILE`` runs it.

Collecting them imports no torch (tests/pytorch/test_torch_collection.py): pytest-xdist's every worker collects every
file, and ``import torch`` costs each ~2.5 CPU-s. A test imports torch when it runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from support import HAS_TORCH

PROGRAMS = Path(__file__).resolve().parent / "programs"

needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed: pip install 'graphstep[torch]' to run "
                                                       "the PyTorch tests")


class _Reached(BaseException):
    """The chosen .backward() call has run: the script stops there."""


def torch_grads(path: Path, names, backward: int = 1) -> dict[str, np.ndarray]:
    """torch's ``.grad`` of each named param (``w``, ``net.0.weight``) from the script's ``backward``-th
    ``.backward()`` call alone, the script run by plain Python and torch, without graphstep."""
    import torch

    scope = {"__name__": "__main__", "__file__": str(path)}
    real, calls, found = torch.Tensor.backward, [0], {}

    def counting(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] < backward:
            return real(self, *args, **kwargs)
        params = {name: _param(scope, name) for name in names}
        before = {name: None if p.grad is None else p.grad.clone() for name, p in params.items()}
        real(self, *args, **kwargs)
        for name, p in params.items():
            grad = p.grad if before[name] is None else p.grad - before[name]
            found[name] = grad.detach().numpy().copy()
        raise _Reached

    torch.Tensor.backward = counting
    sys.path.insert(0, str(path.parent))
    cwd = os.getcwd()
    try:
        exec(compile(path.read_text(), str(path), "exec"), scope)
    except _Reached:
        return found
    finally:
        torch.Tensor.backward = real
        sys.path.remove(str(path.parent))
        os.chdir(cwd)
    raise AssertionError(f"{path} made fewer than {backward} .backward() calls")


def _param(scope: dict, name: str):
    """``w`` from the script's globals, or ``net.0.weight`` as ``net.get_parameter("0.weight")``."""
    head, _, rest = name.partition(".")
    return scope[head] if not rest else scope[head].get_parameter(rest)


def assert_grads_equal(stepper, expected: dict[str, np.ndarray]) -> None:
    """Each param's gradient equals torch's at float32 tolerance, in torch's dtype and shape."""
    assert set(stepper.graph.params) == set(expected)
    largest = max(float(np.abs(g).max()) for g in expected.values())  # float32 noise is relative to this
    for name, theirs in expected.items():
        mine = stepper.grad(name)
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape, name
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5 * largest, err_msg=name)
