"""``graphstep run FILE --train N``: the update rows, the loss per iteration, the trained params; bad options exit 2."""

from __future__ import annotations

import re

import numpy as np
import pytest
from support import REPO, sample

from graphstep import Stepper, train
from graphstep.cli import main


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def test_run_train_lists_updates_and_the_loss_per_iteration(capsys):
    assert main(["run", "samples/mlp.py", "--train", "4", "--lr", "0.1", "--width", "160"]) == 0
    out = capsys.readouterr().out
    assert "15 steps + 3 updates per iteration; training: sgd, lr 0.1, 4 iterations" in out
    assert re.search(r"^  16 upd   W1 +update +\(4×16\) +W1 ← W1 − 0\.1·dW1  \(4×16\)", out, re.M)
    assert "… iterations 2–4 taken without rows (--full lists every step)" in out
    trained = train(sample("mlp"), 4, 0.1)
    rows = re.findall(r"^ +(\d) +(\S+) +(\S+) +(\S+) +(\S+)$", out, re.M)
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4]
    assert [float(r[1]) for r in rows] == pytest.approx(trained.losses, rel=1e-5)
    assert [float(r[2]) for r in rows] == pytest.approx(trained.grad_norms["W1"], rel=1e-3)
    assert "final gradient norms: ‖dW1‖ = " in out and "param W2 (16×1) after 4 iterations" in out


def test_run_train_adam_full_gives_each_line_of_the_rule_its_row(capsys):
    assert main(["run", "samples/regression.py", "--train", "2", "--lr", "0.01", "--optimizer", "adam",
                 "--full", "--width", "160"]) == 0
    out = capsys.readouterr().out
    assert out.count("iteration ") >= 2 and "iteration 2\n" in out
    assert "m̂ = m_beta1/(1 − 0.9^2) = m_beta1/0.19" in out
    assert "v_beta0 ← 0.999·v_beta0 + 0.001·dbeta0²  ()" in out


def test_regression_sample_reaches_zero_gradient(capsys):
    assert main(["run", "samples/regression_train.py", "--train", "20", "--lr", "0.5"]) == 0
    out = capsys.readouterr().out
    norm = float(re.search(r"final gradient norms: ‖dtheta‖ = (\S+)", out).group(1))
    assert norm < 1e-10
    X, y = (sample("regression_train").leaf_values[sample("regression_train").ids[n]] for n in ("X", "y"))
    assert np.allclose(train(sample("regression_train"), 20, 0.5).params["theta"], np.linalg.lstsq(X, y)[0])


@pytest.mark.parametrize(("args", "message"), [
    (["--train", "0"], "graphstep: --train must be a whole number of iterations ≥ 1, not 0"),
    (["--train", "two"], "graphstep: --train must be a whole number of iterations ≥ 1, not 'two'"),
    (["--train", "3", "--lr", "0"], "graphstep: --lr must be a finite number > 0, not 0.0"),
    (["--train", "3", "--lr", "-0.1"], "graphstep: --lr must be a finite number > 0, not -0.1"),
    (["--train", "3", "--optimizer", "rmsprop"], "graphstep: unknown optimizer 'rmsprop'"),
    (["--lr", "0.1"], "graphstep: --lr needs --train N"),
    (["--train", "3", "--check"], "graphstep: --train runs on its own: not with --check"),
])
def test_bad_training_options_exit_2_with_one_message(capsys, args, message):
    assert main(["run", "samples/mlp.py", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0] == message and captured.out == ""


def test_tui_refuses_bad_options_before_opening(capsys):
    assert main(["samples/mlp.py", "--train", "5", "--optimizer", "nope"]) == 2
    assert "unknown optimizer 'nope'" in capsys.readouterr().err


def test_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["run", "-h"])
    out = capsys.readouterr().out
    assert "--train N" in out and "--optimizer NAME" in out and "momentum" in out


def test_export_draws_a_step_of_an_iteration(tmp_path, capsys):
    out = tmp_path / "t.dot"
    assert main(["export", "samples/mlp.py", "--train", "3", "--lr", "0.1", "--step", "2:7", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (iteration 2 of 3 · step 7 of 15 · forward pass done)\n"
    params = train(sample("mlp"), 1, 0.1).params  # iteration 2 runs on the params after one update
    loss = Stepper(sample("mlp"), values=params).run_forward().value("loss")
    assert f"{float(loss):.4g}" in out.read_text()
    assert main(["export", "samples/mlp.py", "--step", "2:7", "-o", str(out)]) == 2
    assert "--step 2:7: give a number of steps" in capsys.readouterr().err


def bars(dot: str, colour: str) -> list[int]:
    """The heights of the chart's bars of one colour, in the order drawn."""
    return [int(h) for h in re.findall(rf'<TD BGCOLOR="{colour}" WIDTH="\d+" HEIGHT="(\d+)"', dot)]


def test_export_draws_the_loss_curve_and_the_gradient_norms_beside_the_graph(tmp_path, capsys):
    from graphstep.render import chart
    from graphstep.render.style import CURRENT

    out = tmp_path / "t.dot"
    assert main(["export", "samples/mlp.py", "--train", "4", "--lr", "0.1", "--step", "3:17", "-o", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (iteration 3 of 4 · update 2 of 3: b1 ← b1 − 0.1·db1  (16)"
                                              " · step 15 of 15 · backward pass done")
    dot = out.read_text()
    assert "<B>Training</B> · sgd, lr 0.1, 4 iterations · drawn: iteration 3 of 4 · update 2 of 3" in dot
    trained = train(sample("mlp"), 3, 0.1)  # iterations 1–3 have a loss and gradients; 4 is not reached
    losses, norms = trained.losses, trained.grad_norms
    loss_bars = chart.bar_heights(losses)[0]
    assert bars(dot, chart.LOSS) == loss_bars[:2] and bars(dot, CURRENT)[0] == loss_bars[2]  # iteration 3 marked
    assert bars(dot, chart.NORM) == [h for name in norms for h in chart.bar_heights(norms[name])[0][:2]]
    assert len(bars(dot, chart.EMPTY)) == 1 + len(norms)  # iteration 4 of each series: a grey baseline
    assert f"{losses[0]:.3g} → {losses[-1]:.3g}" in dot and "‖dW2‖" in dot


def test_bar_heights_take_a_log_scale_over_two_decades_and_mark_a_nan_full_height():
    from graphstep.render.chart import BAR_HEIGHT, LOWEST_BAR, bar_heights, bar_iterations

    span = BAR_HEIGHT - LOWEST_BAR
    assert bar_heights([4.0, 2.0, 1.0, 0.0]) == ([BAR_HEIGHT, LOWEST_BAR + round(span / 2),
                                                 LOWEST_BAR + round(span / 4), LOWEST_BAR], False)
    heights, log = bar_heights([1000.0, 10.0, 1.0])
    assert log and heights == [BAR_HEIGHT, LOWEST_BAR + round(span / 3), LOWEST_BAR]
    assert bar_heights([1.0, float("nan")])[0][1] == BAR_HEIGHT
    assert bar_iterations(5) == [1, 2, 3, 4, 5]
    many = bar_iterations(1000)
    assert many[0] == 1 and many[-1] == 1000 and len(many) == 80


def test_export_png_with_the_chart_and_frames_with_train_are_refused_before_writing(tmp_path, capsys):
    from graphstep.render.engines import find_renderer

    frames = tmp_path / "frames"
    assert main(["export", "samples/mlp.py", "--train", "3", "--frames", str(frames)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("graphstep: --frames draws one pass, not a training: not with --train")
    assert "--step I:K" in err
    assert not frames.exists()
    if find_renderer() is None:
        pytest.skip("Graphviz is not installed")
    out = tmp_path / "t.svg"
    assert main(["export", "samples/regression_train.py", "--train", "5", "--lr", "0.5", "-o", str(out)]) == 0
    svg = out.read_text()
    assert "Training" in svg and "(log scale)" in svg and svg.count('fill="#4c6ef5"') == 4  # losses 1–4; 5 marked
