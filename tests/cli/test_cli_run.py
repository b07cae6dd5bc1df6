"""``graphstep run``: the table, ``--check``, and the errors a user can cause (exit 2, one message)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import HAS_TORCH, REPO, line_of

from graphstep.cli import main
from graphstep.core.ops import OPS

HEADER = "import numpy as np\nimport graphstep as gs\n\n\n"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def write(tmp_path: Path, name: str, body: str) -> Path:
    """A user file: the usual imports, then ``body``."""
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def test_run_mlp_with_check_prints_the_table_and_passes(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--check"]) == 0
    out = capsys.readouterr().out
    assert "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓" in out
    assert "Σ axis 0" in out  # the bias step says the batch was summed away
    assert "gradient check passed" in out
    assert "samples/mlp.py" in out


@pytest.mark.loads_torch  # samples/torch_*.py among them: run with the other tests that import torch
def test_run_every_sample(in_repo, capsys):
    for sample in sorted((REPO / "samples").glob("*.py")):
        if sample.name.startswith("torch_") and not HAS_TORCH:
            continue
        if sample.name == "nan.py":  # its loss is NaN on purpose: central differences cannot check it
            assert main(["run", "samples/nan.py", "--check"]) == 1
            continue
        assert main(["run", f"samples/{sample.name}", "--check"]) == 0, sample.name
    out = capsys.readouterr().out
    assert "no seed" not in out  # double declares its seed
    assert "grad x (4): [2 2 2 2]" in out.replace(".", "")


def test_run_names_a_computation(in_repo, capsys):
    assert main(["run", "samples/mlp.py:mlp"]) == 0
    assert main(["run", "samples/mlp.py:nope"]) == 2
    assert "no computation named 'nope'" in capsys.readouterr().err


def test_forward_mode_prints_the_tangent(in_repo, capsys):
    assert main(["run", "samples/myfunc.py", "--mode", "forward"]) == 0
    out = capsys.readouterr().out
    assert "tangent of" in out and "bwd" not in out


def test_check_exits_1_on_a_wrong_rule(in_repo, capsys, monkeypatch):
    monkeypatch.setitem(OPS, "tanh", dataclasses.replace(OPS["tanh"], vjp=(lambda g, out, x: g * (1.0 - out),)))
    assert main(["run", "samples/mlp.py", "--check"]) == 1
    out = capsys.readouterr().out
    assert "gradient check FAILED" in out and "MISMATCH" in out


def test_vector_output_without_seed_says_ones_are_used(tmp_path, capsys):
    path = write(tmp_path, "vector.py", """\
        @gs.computation
        def vector():
            x = gs.param(np.arange(3.0), name="x")
            return x * 3
        """)
    assert main(["run", str(path), "--check"]) == 0
    out = capsys.readouterr().out
    assert "no seed given, so G = ones" in out
    assert "grad x (3): [3. 3. 3.]" in out


# ───────────────────────────── user errors: exit 2, one clear message ─────────────────────────────


def assert_one_clear_message(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("graphstep: ")
    assert err.count("graphstep: ") == 1
    for needle in needles:
        assert needle in err, f"{needle!r} not in {err!r}"


def test_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.py"
    assert main(["run", str(missing)]) == 2
    assert_one_clear_message(capsys.readouterr().err, "no such file", str(missing))


def test_syntax_error(tmp_path, capsys):
    path = write(tmp_path, "broken.py", "def f(:\n    pass\n")
    assert main(["run", str(path)]) == 2
    assert_one_clear_message(capsys.readouterr().err, "syntax error", f"broken.py:{line_of(path, 'def f(')}")


def test_no_computation(tmp_path, capsys):
    path = write(tmp_path, "plain.py", "def f():\n    return 1\n")
    assert main(["run", str(path)]) == 2
    assert_one_clear_message(capsys.readouterr().err, "no computation", "plain.py", "@gs.computation")


def test_shape_mismatch(tmp_path, capsys):
    path = write(tmp_path, "shapes.py", """\
        @gs.computation
        def bad():
            A = gs.param(np.ones((2, 3)), name="A")
            B = gs.param(np.ones((4, 3)), name="B")
            C = A @ B
            return C.sum()
        """)
    assert main(["run", str(path)]) == 2
    assert_one_clear_message(capsys.readouterr().err, f"shapes.py:{line_of(path, 'C = A @ B')}",
                             "A (2×3)", "B (4×3)", "matmul")


def test_unsupported_numpy_function(tmp_path, capsys):
    path = write(tmp_path, "unsupported.py", """\
        @gs.computation
        def bad():
            a = gs.param(np.ones(3), name="a")
            b = np.frexp(a)
            return b.sum()
        """)
    assert main(["run", str(path)]) == 2
    assert_one_clear_message(capsys.readouterr().err, f"unsupported.py:{line_of(path, 'np.frexp')}", "numpy.frexp")


def test_non_tensor_result(tmp_path, capsys):
    path = write(tmp_path, "scalar.py", """\
        @gs.computation
        def bad():
            a = gs.param(np.ones(3), name="a")
            return float(a.sum())
        """)
    assert main(["run", str(path)]) == 2
    assert_one_clear_message(capsys.readouterr().err, "scalar.py", "not a traced tensor")


# ───────────────────────────── the user's own exception: their frames only ─────────────────────────────


def assert_user_traceback(err: str, path: Path, line: int, message: str) -> None:
    assert "Traceback" in err
    assert str(path) in err or path.name in err
    assert f"line {line}" in err
    assert "graphstep/" not in err and "graphstep\\" not in err  # none of graphstep's frames
    assert message in err
    assert err.rstrip().splitlines()[-1].startswith("graphstep: ")  # one summary line at the end


def test_exception_in_user_code_shows_their_frames(tmp_path, capsys):
    path = write(tmp_path, "boom.py", """\
        def helper(a):
            return a.sum() / {}["missing"]


        @gs.computation
        def bad():
            a = gs.param(np.ones(3), name="a")
            b = a * 2
            return helper(b)
        """)
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert_user_traceback(err, path, line_of(path, '{}["missing"]'), "KeyError: 'missing'")
    assert f"line {line_of(path, 'return helper(b)')}" in err  # the whole user chain, outermost first


def test_exception_at_import_time_shows_their_frames(tmp_path, capsys):
    path = write(tmp_path, "top.py", "DATA = np.loadtxt('does-not-exist.csv')\n")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert_user_traceback(err, path, line_of(path, "np.loadtxt"), "does-not-exist.csv")
    assert "numpy/" not in err  # numpy's frames are trimmed too


# ───────────────────────────── break conditions and per-sample gradients ─────────────────────────────


def test_stop_nonfinite_stops_at_the_log_and_exits_1(in_repo, capsys):
    assert main(["run", "samples/nan.py", "--stop-nonfinite"]) == 1
    out = capsys.readouterr().out
    line = line_of(REPO / "samples" / "nan.py", "gnp.log(x - 3)")
    assert f"stopped after step 2: log gave nan in 1 of 4 values of y (4) at samples/nan.py:{line}  " \
           "y = gnp.log(x - 3): input x−3 (4) has min -2.1 max 2" in out
    assert "   2 fwd   y" in out and "   3 fwd" not in out  # the table ends at the stop
    assert "grad x" not in out


def test_without_stop_the_first_nonfinite_step_is_noted(in_repo, capsys):
    assert main(["run", "samples/nan.py"]) == 0
    out = capsys.readouterr().out
    assert "note: step 2 is the first with NaN/Inf (stop there with --stop-nonfinite): log gave nan" in out
    assert "grad x (4): [ 0.25   0.5   -0.119  0.125]" in out  # 1 / (4(x − 3)) for x = 4, 3.5, 0.9, 5
    assert main(["run", "samples/mlp.py"]) == 0
    assert "NaN" not in capsys.readouterr().out


def test_break_stops_after_the_named_node_and_exits_0(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--break", "Z2", "--break", "H", "--width", "160"]) == 0
    out = capsys.readouterr().out
    assert "stopped after step 3: breakpoint at H (tanh) after its forward step at samples/mlp.py:24  " \
           "H = gnp.tanh(Z1): value (8×16)" in out
    assert "   4 fwd" not in out


def test_break_on_an_unknown_node_is_one_clear_message(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--break", "nope"]) == 2
    captured = capsys.readouterr()
    assert_one_clear_message(captured.err, "no node 'nope' in mlp", "W1", "Z1")
    assert captured.out == ""  # refused before the table


def test_grad_norm_limit_exits_1_with_the_norm(in_repo, capsys):
    import graphstep as gs

    walker = gs.Stepper(gs.trace(gs.load("samples/mlp.py"))).run_forward()
    norm = np.linalg.norm(2 * (walker.value("Z2") - walker.value("y")) / 8)  # d(Z2−y) of the mean square
    assert main(["run", "samples/mlp.py", "--grad-norm-limit", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"stopped after step 10: backward of (Z2−y)² (power) sent d(Z2−y) (8×1) with norm {norm:.4g} > " \
           "limit 0.5" in out
    assert main(["run", "samples/mlp.py", "--grad-norm-limit", "100"]) == 0


def test_per_sample_mean_passes(in_repo, capsys):
    assert main(["run", "samples/regression.py", "--per-sample", "beta1"]) == 0
    out = capsys.readouterr().out
    assert "per-sample gradients of beta1 (5×1), n = 10 (rows of X, y)" in out
    assert "✓ the batch gradient is the mean of the per-sample gradients" in out


def test_per_sample_of_a_sum_loss_exits_1(in_repo, capsys):
    assert main(["run", "samples/least_squares.py", "--per-sample", "theta"]) == 1
    assert "✗ batch = 6 × mean" in capsys.readouterr().out


def test_per_sample_errors_are_refused_before_the_table(in_repo, capsys):
    assert main(["run", "samples/mlp.py", "--per-sample", "X"]) == 2
    captured = capsys.readouterr()
    assert_one_clear_message(captured.err, "'X' is not a param of mlp", "W1, b1, W2")
    assert captured.out == ""
    assert main(["run", "samples/myfunc.py", "--per-sample", "a"]) == 2
    captured = capsys.readouterr()
    assert_one_clear_message(captured.err, "no batch to split")
    assert captured.out == ""


LONG = """\
@gs.computation
def long():
    h = gs.param(np.linspace(0.1, 0.5, 4), name="h0")
    for k in range(1500):
        w = gs.param(np.full(4, 0.5), name=f"w{k}")
        h = np.tanh(h * w) if k != BAD else np.log(h - 1.0)
    return h.sum()
"""


def rows(out: str) -> list[int]:
    """The step numbers of the table's rows."""
    return [int(words[0]) for words in map(str.split, out.splitlines())
            if len(words) > 1 and words[0].isdigit() and words[1] in ("fwd", "bwd")]


def test_a_long_walk_prints_its_first_and_last_thousand_steps_and_full_prints_every_one(tmp_path, capsys):
    path = write(tmp_path, "long.py", "BAD = -1\n" + LONG)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    shown = rows(out)
    assert shown[:1000] == list(range(1, 1001)) and len(shown) == 2000
    last = shown[-1]
    assert shown[1000:] == list(range(last - 999, last + 1))
    assert f"… steps 1,001–{last - 1000:,} taken without a row ({last - 2000:,} steps; --full prints every one)" in out
    assert "grad w0 (4)" in out and "grad w1499 (4)" in out and "grad w700 (4)" not in out
    assert "… the gradients of 1,301 more params (--full lists every one)" in out
    assert main(["run", str(path), "--full"]) == 0
    out = capsys.readouterr().out
    assert rows(out) == list(range(1, last + 1)) and "taken without a row" not in out and "grad w700 (4)" in out


def test_a_nan_in_the_middle_of_a_long_walk_stops_there_with_its_row(tmp_path, capsys):
    path = write(tmp_path, "long.py", "BAD = 900\n" + LONG)
    assert main(["run", str(path), "--stop-nonfinite"]) == 1
    out = capsys.readouterr().out
    assert main(["run", str(path), "--stop-nonfinite", "--full"]) == 1
    full = capsys.readouterr().out
    stopped = [line for line in full.splitlines() if line.startswith("stopped after step")]
    step = int(stopped[0].split()[3].rstrip(":"))
    assert step > 1000 and stopped[0] in out  # the same stop, row by row or at run speed
    assert rows(out)[-1] == step and f"… steps 1,001–{step - 1:,} taken without a row" in out
    assert "log gave nan" in stopped[0]
