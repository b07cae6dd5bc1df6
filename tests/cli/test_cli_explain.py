"""``graphstep run --explain``: an entry as its scalar sum after the table; a bad entry is one line, exit 2."""

from __future__ import annotations

import pytest
from support import REPO

from graphstep.cli import main


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def test_explain_prints_each_entry_after_the_results(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--explain", "dW1[2,5]", "--explain", "Z1[3,7]"]) == 0
    out = capsys.readouterr().out
    results = out.index("grad W1")
    assert out.index("explain dW1[2,5]:") > results
    assert "  dW1[2,5] = Σₖ X[k,2]·G[k,5] = (" in out and "2 more (8 terms)" in out
    assert "  Z1[3,7] = Σₖ X[3,k]·W1[k,7] + b1[7] = (" in out


def test_explain_after_a_break_uses_the_numbers_at_the_stop_and_says_so(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--break", "H", "--explain", "H[3,7]", "--explain", "dW1[2,5]"]) == 0
    out = capsys.readouterr().out
    assert out.index("stopped after step 3: breakpoint at H") < out.index("explain H[3,7] (as of step 3, where the "
                                                                           "walk stopped):")
    assert "  H[3,7] = tanh Z1[3,7] = tanh (" in out
    assert "  dW1[2,5]: the gradient has not arrived yet (step 3 of 15; it arrives at step 15)" in out


@pytest.mark.parametrize(("entry", "message"), [("dW1[4,5]", "dW1 has shape (4×16)"), ("dnope", "no node 'dnope'")])
def test_a_bad_entry_is_one_message_before_the_table(in_repo, capsys, entry, message):
    assert main(["run", "samples/mlp.py", "--explain", entry]) == 2
    captured = capsys.readouterr()
    assert "step" not in captured.out  # nothing walked
    first = captured.err.splitlines()[0]
    assert first.startswith("graphstep: ") and message in first


def test_forward_mode_has_no_gradient_to_explain(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--mode", "forward", "--explain", "dW1[0,0]"]) == 2
    captured = capsys.readouterr()
    assert "explain dW1" not in captured.out and "forward mode computes tangents" in captured.err
