"""What a PyTorch program may do around its gradient: change tensors in place, draw dropout masks, be a
``@gs.computation`` — handled as torch handles it, or refused clearly, never silently wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import line_of
from torch_support import assert_grads_equal, needs_torch, torch_grads

import graphstep as gs
from graphstep.errors import GraphstepError

pytestmark = needs_torch


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "script.py"
    path.write_text("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n" + textwrap.dedent(body))
    return path


def test_in_place_ops_record_the_value_before_and_move_on(tmp_path):
    path = script(tmp_path, """\
        torch.manual_seed(0)
        w = torch.randn(3, requires_grad=True)
        h = w * 2
        h.add_(1)
        h[0] = 5.0
        h = torch.relu_(h)
        x = torch.ones(3)
        x.mul_(w)
        x += h
        loss = (h * x).sum()
        loss.backward()
        """)
    st = gs.Stepper(gs.trace(gs.load(str(path)))).run()
    assert_grads_equal(st, torch_grads(path, ["w"]))
    assert [st.graph.node(n).op for n in st.graph.order if st.graph.node(n).op] == [
        "multiply", "add", "setitem", "relu", "multiply", "add", "multiply", "sum"]


def test_a_param_changed_after_its_use_is_refused(tmp_path):
    path = script(tmp_path, """\
        w = torch.randn(3, requires_grad=True)
        loss = (w * w).sum()
        with torch.no_grad():
            w -= 0.1 * w
        (loss + w.sum()).backward()
        """)
    with pytest.raises(GraphstepError, match=r"w \(3\) was changed in place after the recorded computation used it"
                       ) as err:
        gs.trace(gs.load(str(path)))
    assert err.value.source.endswith(f":{line_of(path, 'loss + w.sum()')}")


def test_a_tensor_from_before_the_previous_backward_is_refused(tmp_path):
    path = script(tmp_path, """\
        w = torch.randn(3, requires_grad=True)
        shared = w * 2
        for step in range(2):
            (shared * step).sum().backward(retain_graph=True)
        """)
    gs.trace(gs.load(str(path)))  # the first call is recorded from the start
    from graphstep.pytorch import load

    with pytest.raises(GraphstepError, match="shared .* was computed before .backward.. call 1"):
        gs.trace(load(str(path), backward=2))


def test_dropout_is_the_mask_it_drew(tmp_path):
    path = script(tmp_path, """\
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Dropout(0.5), nn.Linear(10, 1))
        X = torch.randn(4, 6)
        loss = net(X).pow(2).mean()
        loss.backward()
        """)
    graph = gs.trace(gs.load(str(path)))
    st = gs.Stepper(graph).run()
    assert_grads_equal(st, torch_grads(path, ["net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias"]))
    mask = graph.leaf_values[graph.id("mask")]
    assert mask.dtype == bool and mask.shape == (4, 10) and 0 < mask.sum() < 40


def test_a_computation_with_a_torch_body(tmp_path):
    path = tmp_path / "comp.py"
    path.write_text(textwrap.dedent("""\
        import torch
        import graphstep as gs

        X = torch.randn(5, 2, generator=torch.Generator().manual_seed(0))

        @gs.computation
        def regression():
            w = torch.zeros(2, requires_grad=True)
            b = torch.tensor(0.5, requires_grad=True)
            return ((X @ w + b - 1.0) ** 2).mean()
        """))
    graph = gs.trace(gs.load(str(path)))
    st = gs.Stepper(graph).run()
    X = graph.leaf_values[graph.inputs["X"]]
    residual = 0.5 - 1.0
    np.testing.assert_allclose(st.grad("w"), 2 * residual * X.mean(0), rtol=1e-6)
    np.testing.assert_allclose(st.grad("b"), 2 * residual, rtol=1e-6)
    assert graph.node("w").source.endswith("comp.py:8")


def test_a_computation_returning_a_number_is_refused(tmp_path):
    path = tmp_path / "comp.py"
    path.write_text("import torch\nimport graphstep as gs\n\n\n@gs.computation\ndef f():\n"
                    "    w = torch.ones(2, requires_grad=True)\n    return (w * 2).sum().item()\n")
    with pytest.raises(GraphstepError, match="returned float, not a tensor"):
        gs.trace(gs.load(str(path)))


def test_the_script_runs_as_python_runs_it(tmp_path, capsys):
    path = script(tmp_path, """\
        import sys
        assert __name__ == "__main__" and sys.argv == [__file__]
        w = torch.ones(2, requires_grad=True)
        print("before backward")
        (w * 3).sum().backward()
        print("never printed")
        """)
    path.write_text(path.read_text().replace("sys.argv == [__file__]", f"sys.argv == [{str(path)!r}]"))
    gs.trace(gs.load(str(path)))
    out = capsys.readouterr().out
    assert "before backward" in out and "never printed" not in out
