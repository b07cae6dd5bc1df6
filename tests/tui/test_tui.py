"""Tests the terminal stepper with Pilot: every key of the contract moves the Stepper and the screen shows it."""

from __future__ import annotations

import random
import shutil
from functools import partial
from pathlib import Path

import pytest
from support import SAMPLES
from textual import events
from textual.command import CommandList
from tui_support import SIZE, handled, notes, press, screen_text, settle

from graphstep.render import export
from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView
from graphstep.tui.screens import ErrorScreen, HelpScreen

pytestmark = pytest.mark.asyncio(loop_scope="module")  # the tests on one shared app run in its event loop


@pytest.fixture
def mlp_copy(tmp_path: Path) -> Path:
    path = tmp_path / "mlp.py"
    shutil.copy(SAMPLES / "mlp.py", path)
    return path


async def test_start_screen_shows_graph_source_and_status(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await handled(pilot)
    text = screen_text(app)
    assert "step 0/15" in text and "reverse mode" in text
    assert "X  input  (8×4)" in text and "W1  param  (4×16)" in text
    assert "Z1 = X @ W1 + b1" in text


async def test_next_keys_take_one_step_and_show_the_node(mlp_pilot):
    """n, space and → each take a step: two presses of one of them from the start show the second step's node."""
    pilot, app = mlp_pilot, mlp_pilot.app
    for key in ["n", "space", "right"]:  # one app for the three keys, each from the start again (r)
        await press(pilot, "r")
        assert app.session.stepper.position == 0, f"r before {key}"
        await press(pilot, key, key)
        assert app.session.stepper.position == 2, key
        text = screen_text(app)
        assert "step 2/15" in text, key
        assert "Z1 · add · samples/mlp.py:23" in text, key
        assert "Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)" in text, key


async def test_step_back_restores_the_screen(mlp_pilot):
    """p and ← each undo a step: the screen is the one before it, exactly."""
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "n", "n", "n")
    before = screen_text(app)
    for key in ["p", "left"]:  # one app for both keys, each a step on from the same screen and back
        await press(pilot, "n", key)
        assert app.session.stepper.position == 3, key
        assert screen_text(app) == before, key


async def test_forward_end_restart_and_gradients_after_backward(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    st = app.session.stepper
    await press(pilot, "f")
    assert st.position == st.forward_steps == 7
    assert "forward · step 7/15" in screen_text(app)
    await press(pilot, "e")
    st, text = app.session.stepper, screen_text(app)
    assert st.done and "done · step 15/15" in text
    assert "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓" in text
    app.pick(app.session.graph.id("b1"))
    await handled(pilot)
    text = screen_text(app)
    assert "b1 · param" in text and "grad" in text and "(16) float64" in text
    assert "summed over broadcast axis 0" in text
    await press(pilot, "r")
    assert app.session.stepper.position == 0 and "step 0/15" in screen_text(app)


async def test_select_keys_and_follow(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "n")
    first = app.selected
    await press(pilot, "down")
    assert app.selected != first and not app.follow
    await press(pilot, "up")
    assert app.selected == first
    await press(pilot, "tab")
    assert app.selected != first
    name = app.session.graph.name_of(app.selected)
    assert f"inspecting {name}" in screen_text(app)
    pinned = app.selected
    await press(pilot, "n", "n", "n")
    assert app.selected == pinned and not app.follow  # selection stays pinned while stepping
    await press(pilot, "escape")
    assert app.follow and app.selected == app.session.stepper.current


async def test_click_on_a_node_selects_it(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    view = app.query_one(GraphView)
    w1 = app.session.graph.id("W1")
    box = view.layout_.boxes[w1]
    x, y = box.x + 3 - view.scroll_offset.x + 1, box.y + 1 - view.scroll_offset.y + 1
    await pilot.click(GraphView, offset=(x, y))
    assert app.selected == w1
    assert "W1 · param" in screen_text(app)


async def test_step_log_click_selects_that_steps_node(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "n", "n", "n")
    await pilot.click("#log", offset=(3, 1))
    assert app.selected == app.session.record(1).node


async def test_check_shows_the_result_per_parameter():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "e", "c")
        await app.workers.wait_for_complete()
        await handled(pilot)
        assert app.session.check is not None and app.session.check.ok
        app.pick(app.session.graph.id("W1"))
        await handled(pilot)
        assert "W1: rel err" in screen_text(app)


async def test_export_writes_next_to_the_file(mlp_copy, monkeypatch):
    calls = []
    monkeypatch.setattr("graphstep.render.export.export", lambda stepper, path, fold: calls.append((stepper.position,
                                                                                                  str(path))))
    app = GraphstepApp(str(mlp_copy))
    said = notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "x")
        await settle(pilot)
        assert calls == [(2, str(mlp_copy.with_name("mlp-step2.svg"))), (2, str(mlp_copy.with_name("mlp-step2.png")))]
        assert len(said) == 1 and said[0].startswith("wrote ") and said[0].endswith("mlp-step2.svg and "
                                                                             f"{mlp_copy.parent}/mlp-step2.png")


async def test_export_draws_the_repeats_folded_as_the_tui_shows_them(tmp_path, monkeypatch):
    """``x`` after ``z``: the picture is unfolded like the screen; ``z`` again, folded like it."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "myfunc.py", tmp_path / "myfunc.py")
    # the SVG only: the PNG beside it (a second Graphviz drawing per x) is not what this test reads
    monkeypatch.setattr("graphstep.render.export.export_beside", partial(export.export_beside, formats=("svg",)))
    app = GraphstepApp("myfunc.py")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "n", "z", "x")
        await settle(pilot)
        unfolded = (tmp_path / "myfunc-step4.svg").read_text()
        await press(pilot, "z", "x")
        await settle(pilot)
        folded = (tmp_path / "myfunc-step4.svg").read_text()
    assert "× 15" not in unfolded and unfolded.count('class="node"') > 30  # every iteration drawn, as on screen
    assert "× 15" in folded  # the iterations after the one the step is in, as one box


async def test_export_failure_is_a_notification(mlp_copy, monkeypatch):
    def broken(stepper, path, fold):
        raise RuntimeError("Graphviz not installed")

    monkeypatch.setattr("graphstep.render.export.export", broken)
    app = GraphstepApp(str(mlp_copy))
    said = notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "x")
        await settle(pilot)
        assert said == ["export failed: Graphviz not installed"]


async def test_reload_keeps_the_position(mlp_copy):
    app = GraphstepApp(str(mlp_copy))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "n", "n")
        mlp_copy.write_text(mlp_copy.read_text().replace("* 0.5", "* 0.25"))
        await press(pilot, "l")
        await settle(pilot)
        assert app.session.stepper.position == 4
        assert "step 4/15" in screen_text(app)


async def test_mode_switch_shows_tangents(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "n", "n", "m")
    st = app.session.stepper
    assert st.mode == "forward" and st.position == 2
    text = screen_text(app)
    assert "forward mode" in text and "tangent" in text
    await press(pilot, "m")
    assert app.session.stepper.mode == "reverse"


async def test_help_and_quit():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "gradient check of every parameter" in screen_text(app)
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)
        await press(pilot, "q")
    assert app.return_code in (0, None)


async def until_listed(pilot, query: str) -> None:
    """Wait until the find palette lists what ``query`` finds: it searches in a worker, started once the typed
    keys have reached its input (an enter before that would pick a hit of the query typed so far)."""
    for _ in range(100):
        await settle(pilot)
        results = pilot.app.screen.query_one(CommandList)
        if any(f"“{query}”" in str(results.get_option_at_index(i).prompt) for i in range(results.option_count)):
            return
    raise AssertionError(f"the palette never listed the hits of {query!r}")


async def test_find_jumps_to_a_node_by_name(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "slash")
    await press(pilot, *"W2")
    await until_listed(pilot, "W2")
    await press(pilot, "enter")
    await handled(pilot)
    assert app.selected == app.session.graph.id("W2")


async def test_jacobian_on_request():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "j")
        assert "local Jacobian" in screen_text(app)


async def test_broken_file_shows_the_error_screen_and_reload_recovers(tmp_path):
    path = tmp_path / "broken.py"
    good = (SAMPLES / "double.py").read_text()
    path.write_text(good.replace("@gs.computation\ndef", "@gs.computation\ndef", 1)
                    .replace("    x = ", "    1 / 0\n    x = ", 1))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await handled(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert "ZeroDivisionError" in text and "broken.py" in text and "Traceback" in text
        await press(pilot, "n")  # no stepper: nothing happens
        path.write_text(good)
        await press(pilot, "l")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorScreen)
        assert app.session.ready and "step 0/" in screen_text(app)


async def test_survives_resize_and_random_keys():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    keys = ["n", "space", "right", "p", "left", "f", "e", "r", "m", "up", "down", "tab", "shift+tab",
            "escape", "j", "c"]
    rng = random.Random(4)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for size in [(80, 24), (200, 60), (60, 15), SIZE]:
            await pilot.resize_terminal(*size)
            await press(pilot, "n", "n")
        visited: set[int] = set()
        for burst in range(20):  # a learner mashing keys: five queued presses, then the screen catches up
            for key in (rng.choice(keys) for _ in range(5)):
                app.post_message(events.Key(key, key if len(key) == 1 else (" " if key == "space" else None)))
            await handled(pilot)
            visited.add(app.session.stepper.position)
            if burst % 10 == 0:
                screen_text(app)  # a full repaint mid-way must not fail either
        await app.workers.wait_for_complete()
        await handled(pilot)
        st = app.session.stepper
        assert len(visited) > 5  # the keys really stepped back and forth
        assert 0 <= st.position <= st.total
        assert f"step {st.position}/{st.total}" in screen_text(app)


PANELS = ["#status", "#where", "#graph", "#source", "#inspector", "#watches", "#log", "KeyBar"]


async def test_a_mouse_drag_over_every_panel_selects_text_without_failing():
    """A drag selects text (Textual asks each widget under it for its text): every panel answers, none raises."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "w")
        shown = [panel for panel in PANELS if app.query_one(panel).region]
        assert {"#graph", "#inspector", "#watches", "#log"} <= set(shown)
        for panel in shown:
            width = app.query_one(panel).region.width
            await pilot.mouse_down(panel, offset=(1, 0))
            await pilot.hover(panel, offset=(min(20, width - 1), 0))
            await pilot.mouse_up(panel, offset=(min(20, width - 1), 0))
            app.screen.get_selected_text()  # what ctrl+c copies
            app.screen.clear_selection()
        await pilot.mouse_down("#inspector", offset=(2, 1))
        await pilot.hover("#inspector", offset=(30, 3))
        await pilot.mouse_up("#inspector", offset=(30, 3))
        assert "shape" in (app.screen.get_selected_text() or "")


async def test_every_builtin_theme_draws_the_app():
    """Every colour comes from app.tcss through theme variables: each of Textual's themes draws every panel."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=(120, 40)) as pilot:  # every panel, and a third fewer cells per theme to draw
        await settle(pilot)
        await press(pilot, "e", "w", "c")
        await settle(pilot)
        for theme in sorted(app.available_themes):
            app.theme = theme
            await handled(pilot)
            text = screen_text(app)
            assert "done · step 15/15" in text, theme
            assert "pending · computed · unused · grad ·  current" in text, theme  # the graph's legend


async def test_the_inspector_says_why_the_selected_nodes_rule_is_what_it_is(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    app.pick(app.session.graph.id("H"))
    await handled(pilot)
    assert "why       tanh′ = 1 − tanh²: the slope comes from the output" in screen_text(app)
