"""``graphstep run`` on PyTorch scripts: ``--check`` against torch's autograd, ``--backward N``, exit codes, the
error for functions graphstep cannot map, and the one line a machine without torch gets."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from processes import run
from support import REPO, SAMPLES, line_of
from torch_support import PROGRAMS, needs_torch

from graphstep.cli import main


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


@needs_torch
def test_run_mlp_check_agrees_with_torch_autograd(in_repo, capsys):
    assert main(["run", "samples/torch_mlp.py", "--check"]) == 0
    out = capsys.readouterr().out
    assert "gradient check passed" in out
    for name in ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"):
        assert f"torch autograd agrees: {name} max rel diff " in out
    assert "dnet.0.weightᵀ = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓" in out
    called = line_of(SAMPLES / "torch_mlp.py", "loss = loss_fn(logits, y)") + 1  # loss.backward()
    assert f"note: recorded up to the 1st .backward() call, at samples/torch_mlp.py:{called}" in out


@needs_torch
def test_backward_picks_the_nth_call(in_repo, capsys):
    assert main(["run", str(PROGRAMS / "sgd_loop.py"), "--backward", "3", "--check"]) == 0
    out = capsys.readouterr().out
    assert "recorded up to the 3rd .backward() call" in out and "DISAGREES" not in out
    assert main(["run", str(PROGRAMS / "sgd_loop.py"), "--backward", "9"]) == 2
    err = capsys.readouterr().err
    assert "calls .backward() 5 times, so there is no 9th call to record" in err
    assert "choose --backward between 1 and 5" in err


def test_backward_on_a_numpy_file_is_refused(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--backward", "2"]) == 2
    assert "does not import torch" in capsys.readouterr().err


@needs_torch
def test_a_script_without_backward_says_so(tmp_path, capsys):
    path = tmp_path / "forward_only.py"
    path.write_text("import torch\nx = torch.ones(2, requires_grad=True)\nprint((x * 2).sum().item())\n")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "the script never calls .backward()" in err and err.count("\n") == 2  # the message and its hint


@needs_torch
def test_unmapped_functions_are_listed_with_their_lines(tmp_path, capsys):
    path = tmp_path / "unmapped.py"
    path.write_text(textwrap.dedent("""\
        import torch
        import torch.nn.functional as F

        x = torch.randn(3, requires_grad=True)
        h = F.gelu(x)
        z = torch.erf(h) + x.cosh()
        z.sum().backward()
        """))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "torch.nn.functional.gelu (the exact GELU needs erf" in err
    assert f"unmapped.py:{line_of(path, 'gelu')}" in err
    assert f"torch.erf at {path}:{line_of(path, 'erf')}" in err
    assert "cosh" not in err  # mapped: only what cannot be recorded is listed
    assert "Traceback" not in err


def test_without_torch_a_script_gets_one_line():
    """torch hidden (``sys.modules['torch'] = None``): a PyTorch script is one message, exit 2; NumPy files run.
    Each is a ``graphstep`` process forked from the tests' zygote (tests/processes.py), which never imports torch,
    with torch hidden before ``main`` runs, as a program that hides it first and then imports graphstep has it."""
    script = run(["run", "samples/torch_mlp.py"], REPO, hidden=["torch"])
    assert script.returncode == 2 and script.stdout == ""
    assert script.stderr.count("\n") == 1
    assert "torch is not installed: pip install 'graphstep[torch]'" in script.stderr
    assert "--index-url https://download.pytorch.org/whl/cpu" in script.stderr
    numpy_file = run(["run", "samples/mlp.py"], REPO, hidden=["torch"])
    assert numpy_file.returncode == 0, numpy_file.stderr


def test_numpy_files_never_load_torch():
    program = ("import sys, graphstep as gs\n"
               "st = gs.Stepper(gs.trace(gs.load('samples/mlp.py'))).run()\n"
               "print('torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


@needs_torch
def test_export_takes_a_script(tmp_path, in_repo):
    out = tmp_path / "mlp.dot"
    assert main(["export", str(SAMPLES / "torch_myfunc.py"), "-o", str(out)]) == 0
    assert "a#2" in Path(out).read_text()


@needs_torch
def test_a_shape_mismatch_in_a_script_is_graphsteps_message_and_its_graph_up_to_it(tmp_path, capsys):
    """torch refuses ``H @ W2``; the mapping refuses it the same way, so the message names the operands and their
    shapes as for a NumPy file, and export draws the graph recorded up to the failing call (exit 2 both)."""
    path = tmp_path / "bad_shapes.py"
    path.write_text(textwrap.dedent("""\
        import torch

        torch.manual_seed(0)
        X = torch.randn(8, 4)
        W1 = torch.randn(4, 16, requires_grad=True)
        W2 = torch.randn(1, 16, requires_grad=True)
        H = torch.tanh(X @ W1)
        Z = H @ W2
        Z.pow(2).mean().backward()
        """))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"bad_shapes.py:{line_of(path, 'Z = H @ W2')}: matmul cannot combine" in err
    assert "(8×16), W2 (1×16)" in err and "Traceback" not in err
    out = tmp_path / "bad.dot"
    assert main(["export", str(path), "-o", str(out)]) == 2
    dot = out.read_text()
    assert "W2" in dot and "failed" in dot and "(1×16)" in dot
