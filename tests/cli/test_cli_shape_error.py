"""``graphstep export`` and ``graphstep run`` on a file whose trace fails (issue 14 part 4): export draws the
graph recorded up to the failing call, that call red with its operands' shapes, and both still exit 2 with the
one message they always gave."""

from __future__ import annotations

import re
import shutil

import pytest
from support import SAMPLES

from graphstep.cli.main import main

MESSAGE = ("matmul cannot combine H (8×16), W2 (1×16): inner dimensions differ: (8×16)·(1×16) needs 16 == 1 "
           "(node Z2)")


@pytest.fixture
def broken(tmp_path, monkeypatch):
    """samples/broken/mlp_shapes.py in a folder of its own, the working directory."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "broken" / "mlp_shapes.py", tmp_path / "mlp_shapes.py")
    source = (tmp_path / "mlp_shapes.py").read_text().splitlines()
    line = 1 + max(k for k, text in enumerate(source) if "Z2 = H @ W2" in text)  # the code, after the docstring's
    return f"mlp_shapes.py:{line}"


def the_message(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("graphstep: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_run_exits_2_with_the_message_as_before(broken, capsys):
    assert main(["run", "mlp_shapes.py"]) == 2
    done = capsys.readouterr()
    assert the_message(done.err) == f"graphstep: {broken}: {MESSAGE}" and done.out == ""


def test_export_dot_draws_the_partial_graph_with_the_failing_node_red(broken, tmp_path, capsys):
    assert main(["export", "mlp_shapes.py", "-o", "x.dot"]) == 2
    done = capsys.readouterr()
    assert the_message(done.err) == f"graphstep: {broken}: {MESSAGE}"
    assert "wrote x.dot" in done.out
    dot = (tmp_path / "x.dot").read_text()
    failed = re.search(r"\tn8 \[(.*)\]\n", dot).group(1)
    assert "Z2" in failed and "failed" in failed and 'color="#c92a2a"' in failed and "class=failed" in failed
    assert "matmul  H (8×16), W2 (1×16)" in failed
    assert "Z2 = H @ W2" in failed and "8×16 1×16" in failed  # the line annotated under each operand
    assert 'n7 -> n8 [label=" (8×16)" color="#c92a2a"' in dot and 'n4 -> n8 [label=" (1×16)"' in dot
    for name in ("X@W1", "Z1", "H"):  # what was recorded before it, computed
        assert f"<B>{name}</B>" in dot
    assert "Z2#" not in dot and "loss" not in dot


def test_export_svg_and_png_are_written_too(broken, tmp_path, capsys):
    assert main(["export", "mlp_shapes.py", "-o", "x.svg"]) == 2
    assert main(["export", "mlp_shapes.py", "-o", "x.png"]) == 2
    assert (tmp_path / "x.svg").read_text().count("matmul &#160;H (8×16), W2 (1×16)") == 1
    assert (tmp_path / "x.png").read_bytes().startswith(b"\x89PNG")
    assert capsys.readouterr().err.count(MESSAGE) == 2
