"""``graphstep FILE --train N`` in the TUI: the iteration in the status bar and breadcrumb, the update steps' rules,
the loss curve, and the step keys crossing iterations exactly."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from key_runs import press_through
from support import SAMPLES
from tui_support import SIZE, handled, press, screen_text, settle

from graphstep.core.training import UPDATE
from graphstep.tui.app import GraphstepApp
from graphstep.tui.session import Session


def training_app(name: str = "mlp", **options) -> GraphstepApp:
    target = str(SAMPLES / f"{name}.py")
    return GraphstepApp(target, Session(target, train={"iterations": 3, "lr": 0.1, "optimizer": "sgd", **options}))


async def test_update_phase_shows_the_rule_the_plot_grows_and_the_step_log_lists_the_updates():
    from textual_plotext import PlotextPlot

    from graphstep.tui.step_log import StepLog

    app = training_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "iteration 1/3 · forward · step 0/18" in screen_text(app)
        await press(pilot, "e")  # to the end of the iteration: its update phase taken
        training = app.session.training
        text = screen_text(app)
        assert training.position == 18 and "iteration 1/3 · update · step 18/18" in text
        assert "W2 ← W2 − 0.1·dW2  (16×1)" in text and "iteration 1 of 3" in text
        await press(pilot, "p", "p")
        text = screen_text(app)
        assert training.phase == UPDATE and "iteration 1/3 · update · step 16/18" in text
        assert "W1 ← W1 − 0.1·dW1  (4×16)" in text and "W2 ← W2" not in text
        await press(pilot, "p")
        assert "iteration 1/3 · backward · step 15/18" in screen_text(app)
        await press_through(pilot, "n", "n", "n", "n")  # the last two updates, then the next iteration's first step
        assert app.session.stepper is training.stepper and training.iteration == 1
        text = screen_text(app)
        assert "iteration 2/3 · forward · step 1/18" in text
        plot = app.query_one("#training-plot", PlotextPlot)
        assert plot.plt._active.monitor.y[0] == pytest.approx([np.log10(training.losses[0])])  # iteration 1's loss
        assert "‖dW1‖" in text  # the legend
        # the step log, from the start again: the updates listed, the graph on the param being updated
        await press_through(pilot, "r", paint=False)
        graph = app.session.graph
        assert training.position == 0 and app.nav.follow
        await press_through(pilot, "e", "p")  # iteration 1's second update (b1) is the newest step
        log = app.query_one(StepLog)
        assert log.border_title == "Steps · 17 of 18 · iteration 1/3"
        text = screen_text(app)
        assert "  16 upd W1           W1 ← W1 − 0.1·dW1  (4×16)" in text and "  17 upd b1" in text
        assert app.nav.selected == graph.ids["b1"] and app.nav.follow and "b1 · param" in text
        left, top = log.gutter.top_left
        await pilot.click("#log", offset=(left + 5, top + 16 - 1 - log.scroll_offset.y))  # the line of W1's update
        await handled(pilot)
        assert app.nav.selected == graph.ids["W1"] and not app.nav.follow
        await press_through(pilot, "escape", "p")  # the first update: W1
        assert app.nav.selected == graph.ids["W1"] and "  17 upd" not in screen_text(app)
        await press_through(pilot, "p", paint=False)  # the last backward step: the stepper's current node again
        assert app.nav.selected == training.stepper.current == graph.ids["X@W1"]
        await press_through(pilot, "n", "n", "n", "n", paint=False)  # on into iteration 2: the log starts again
        assert log.border_title == "Steps · 1 of 18 · iteration 2/3" and app.nav.selected == graph.ids["X@W1"]


async def test_step_keys_cross_iterations_exactly():
    app = training_app("regression", optimizer="momentum")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        training = app.session.training
        per = training.steps_per_iteration
        await press_through(pilot, "e", "e", paint=False)
        assert training.position == 2 * per
        params = training.params
        await press_through(pilot, "n", paint=False)
        assert training.iteration == 2 and app.session.stepper.position == 1
        await press_through(pilot, "p", "p", "p", paint=False)  # back over the boundary and two updates
        assert training.position == 2 * per - 2 and training.phase == "backward"
        await press_through(pilot, "n", "n", paint=False)
        assert all(np.array_equal(training.params[k], v) for k, v in params.items())
        await press(pilot, "r")
        assert training.position == 0 and "iteration 1/3 · forward · step 0/" in screen_text(app)


def test_a_run_without_training_never_imports_plotext():
    code = "import sys, graphstep.tui.app; sys.exit('textual_plotext' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


async def test_x_draws_the_iteration_on_screen_with_the_loss_curve(tmp_path):
    import shutil

    from tui_support import notes

    from graphstep.render.engines import find_renderer

    if find_renderer() is None:
        pytest.skip("Graphviz is not installed")
    target = str(tmp_path / "mlp.py")
    shutil.copy(SAMPLES / "mlp.py", target)
    app = GraphstepApp(target, Session(target, train={"iterations": 3, "lr": 0.1, "optimizer": "sgd"}))
    said = notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_through(pilot, "e", "e", "p", "x")  # iteration 2, its second update
        await settle(pilot)
        assert app.session.training.position == 2 * 18 - 1  # the walk on screen did not move
    svg = tmp_path / "mlp-iteration2-step17.svg"
    assert said == [f"wrote {svg} and {svg.with_suffix('.png')}"] and svg.with_suffix(".png").exists()
    text = svg.read_text()
    assert "Training" in text and "drawn: iteration 2 of 3 · update 2 of 3: b1 ← b1 − 0.1·db1" in text
