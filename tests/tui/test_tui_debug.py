"""The TUI as a debugger: breakpoints (b), first-NaN stops, watches (w), compare on reload (l, L), per-sample (g)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from key_runs import press_through
from support import SAMPLES
from tui_support import SIZE, handled, notes, press, screen_text, settle

from graphstep.cli import main
from graphstep.tui.app import GraphstepApp
from graphstep.tui.reports import ReportScreen
from graphstep.tui.watch_panel import WatchPanel


async def test_e_stops_at_the_first_nan_with_its_source_line():
    app = GraphstepApp(str(SAMPLES / "nan.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        await handled(pilot)
        graph, st = app.session.graph, app.session.stepper
        log = graph.ids["y"]
        assert st.current == log and not st.done
        assert np.isnan(st.value(log)).any()
        assert app.selected == log
        text = screen_text(app)
        assert "stopped" in text and "nan.py:19" in text and "log" in text


async def test_watch_panel_shows_value_and_gradient_and_lights_changes():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        graph, st = app.session.graph, app.session.stepper
        panel = app.query_one(WatchPanel)
        assert not panel.display
        app.pick(graph.ids["W1"])
        await press(pilot, "w")
        assert app.session.watched == [graph.ids["W1"]] and panel.display
        text = screen_text(app)
        assert "W1" in text and "Watches · 1" in text
        st.run_to(st.plan.index(("backward", graph.ids["X@W1"])))
        await press(pilot, "n")  # the matmul's backward step sends dW1 = Xᵀ·G
        text = screen_text(app)
        assert "● W1" in text
        await press(pilot, "p")  # the step before sent nothing to W1
        assert "● W1" not in screen_text(app)
        app.pick(graph.ids["W1"])
        await press_through(pilot, "w", paint=False)
        assert not panel.display


async def test_new_random_inputs_show_what_changed(tmp_path: Path):
    path = tmp_path / "myfunc.py"
    shutil.copy(SAMPLES / "myfunc.py", path)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = len(app.session.graph)
        for _ in range(4):  # until a draw changes the loop count
            await press(pilot, "L")
            await settle(pilot)
            await handled(pilot)
            if isinstance(app.screen, ReportScreen):
                break
        assert isinstance(app.screen, ReportScreen)
        text = screen_text(app)
        assert "What changed" in text and "new random inputs" in text
        assert len(app.session.graph) != before
        assert "a = a * 2" in text  # the loop body ran a different number of times
        await press_through(pilot, "escape", paint=False)
        assert not isinstance(app.screen, ReportScreen)


async def test_reload_after_an_edit_keeps_breakpoints_and_watches(tmp_path: Path):
    path = tmp_path / "mlp.py"
    shutil.copy(SAMPLES / "mlp.py", path)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        graph = app.session.graph
        app.pick(graph.ids["Z2"])
        await press_through(pilot, "b", "w", paint=False)
        path.write_text(path.read_text().replace("* 0.5", "* 0.25"))
        await press(pilot, "l")
        await settle(pilot)
        await handled(pilot)
        new = app.session.graph
        assert app.session.stepper.breakpoints == {new.ids["Z2"]}
        assert app.session.watched == [new.ids["Z2"]]
        assert isinstance(app.screen, ReportScreen)  # the weights changed, so values did
        assert "W1" in screen_text(app)


async def test_per_sample_gradients_screen_for_the_selected_param():
    app = GraphstepApp(str(SAMPLES / "regression.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.pick(app.session.graph.ids["beta1"])
        await press(pilot, "g")
        await settle(pilot)  # the gradients are taken in a job, whose report then opens
        assert isinstance(app.screen, ReportScreen) and app.screen.ok
        text = screen_text(app)
        assert "Per-sample gradients of beta1" in text and "✓" in text


def test_cli_break_on_an_unknown_node_is_a_clear_error(capsys):
    assert main([str(SAMPLES / "mlp.py"), "--break", "nope"]) == 2
    err = capsys.readouterr().err
    assert "--break nope: no node of that name" in err and "W1" in err


async def test_breakpoints_stop_e_in_both_passes_shift_e_goes_back_to_them_and_t_runs_to_the_selected_node():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    said = notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        graph, st = app.session.graph, app.session.stepper
        h = graph.ids["H"]
        app.pick(h)
        await press(pilot, "b")
        assert st.breakpoints == {h}
        assert "┏●b━" in screen_text(app)  # marked on the selected box's top border
        await press_through(pilot, "e", paint=False)
        assert st.plan[st.position - 1] == ("forward", h)
        assert st.value("H") is not None and st.value("Z2") is None
        await press_through(pilot, "e", paint=False)
        assert st.plan[st.position - 1] == ("backward", h)
        assert st.grad("W2") is not None and st.grad("W1") is None
        await press_through(pilot, "e", paint=False)
        assert st.done
        await press_through(pilot, "E", paint=False)  # reverse-continue: to H backward, then forward
        assert st.plan[st.position - 1] == ("backward", h) and "breakpoint at H" in said[-1]
        await press(pilot, "E")
        assert st.plan[st.position - 1] == ("forward", h) and st.value("Z2") is None
        assert f"step {st.position}/{st.total}" in screen_text(app)
        await press_through(pilot, "E", paint=False)  # no stop before: the start
        assert st.position == 0
        app.pick(h)
        await press_through(pilot, "b", paint=False)  # clear H's breakpoint
        assert not st.breakpoints
        app.pick(graph.ids["Z2"])
        await press_through(pilot, "t", paint=False)  # run to cursor: Z2's forward step, its backward one, the first
        assert st.plan[st.position - 1] == ("forward", graph.ids["Z2"])
        await press_through(pilot, "t", paint=False)
        assert st.plan[st.position - 1] == ("backward", graph.ids["Z2"])
        await press_through(pilot, "t", paint=False)
        assert st.plan[st.position - 1] == ("forward", graph.ids["Z2"])
        app.pick(graph.ids["W1"])
        await press_through(pilot, "t", paint=False)  # a param has no step of its own: said, nothing moves
        assert st.plan[st.position - 1] == ("forward", graph.ids["Z2"]) and "no step of its own" in said[-1]
        await press_through(pilot, "r", "f", paint=False)  # with no breakpoint left, f runs through
        assert st.position == st.forward_steps
