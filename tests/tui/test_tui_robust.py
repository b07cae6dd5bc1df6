"""The TUI against a hostile file: the user's code runs off the UI thread (a loop, input(), sys.exit never hold
or end the app), long work shows progress and stops on esc and q, and the weak spots of issue 10 hold."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from support import SAMPLES
from textual.command import CommandList, CommandPalette
from textual.widgets import Label
from tui_support import SIZE, handled, notes, press, screen_text, settle, until

import graphstep.tui.app as tui_app
from graphstep.core.stepper import Stepper
from graphstep.errors import RuleError
from graphstep.tui.activity import ActivityBar
from graphstep.tui.app import GraphstepApp
from graphstep.tui.reports import ReportScreen
from graphstep.tui.screens import ErrorScreen, HelpScreen
from graphstep.tui.source_view import SourceView

MLP = (SAMPLES / "mlp.py").read_text()
ENDLESS = "    while True:  # an edit that never ends\n        pass\n"
JOB_ENDS = 30.0  # seconds a stopped job's thread may take to end on a busy machine


def mlp_with(before: str, lines: str) -> str:
    """mlp.py with ``lines`` inserted before the line holding ``before``."""
    assert f"    {before}" in MLP
    return MLP.replace(f"    {before}", lines + f"    {before}", 1)


def activity(app) -> str:
    """What the activity line says, "" while it is hidden: read from its label, a poll that costs nothing, where a
    screenshot per poll cost ~25 ms, and twice that while the user's endless loop holds the interpreter."""
    bars = app.screen.query(ActivityBar)
    shown = [bar.query_one(Label).content for bar in bars if bar.has_class("running")]
    return str(shown[0]) if shown else ""


async def until_activity(pilot, says: str = "esc stops it") -> str:
    """Wait until a job runs and the activity line says ``says`` (by default that the job runs and esc stops it);
    the screen then, which must say it too."""
    app = pilot.app
    await until(pilot, lambda: app.job is not None and says in activity(app))
    await handled(pilot)
    text = screen_text(app)
    assert says in text
    return text


# ── the user's code runs where it cannot hurt the UI ──

async def test_reload_into_an_endless_loop_keeps_the_ui_and_esc_stops_it(tmp_path: Path):
    path = tmp_path / "mlp.py"
    path.write_text(MLP)
    app = GraphstepApp(str(path))
    said = notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        path.write_text(mlp_with("Z1 = X @ W1 + b1", ENDLESS))
        await press(pilot, "l")
        text = await until_activity(pilot)
        assert "running" in text and "mlp.py…" in text
        job = app.job
        await press(pilot, "n")  # keys still act: the last good graph steps on while the file runs
        assert app.session.stepper.position == 3 and "step 3/15" in screen_text(app)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")  # closes the help, the file still runs
        assert not isinstance(app.screen, HelpScreen) and job.alive
        await press(pilot, "escape")  # stops it
        await until(pilot, lambda: app.job is None)
        assert job.join(JOB_ENDS)
        assert app.session.ready and app.session.error is None and app.session.stepper.position == 3
        await until(pilot, lambda: any(note.startswith("stopped") and "last run that worked" in note for note in said))
        path.write_text(MLP.replace("* 0.5", "* 0.25"))
        await press(pilot, "l")
        await settle(pilot)
        assert app.session.error is None and isinstance(app.screen, ReportScreen)  # the weights changed
        assert app.session.stepper.position == 3


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_while_the_file_still_runs(tmp_path: Path, key: str):
    path = tmp_path / "mlp.py"
    path.write_text(mlp_with("Z1 = X @ W1 + b1", ENDLESS))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await until_activity(pilot)  # at start-up: the screen is up while the file runs
        job = app.job
        await press(pilot, key)
    assert app.return_code == 130  # interrupted, as ctrl+c of `python FILE` would be
    assert job.stopped and job.join(JOB_ENDS)


async def test_esc_at_start_up_says_where_the_file_was_and_l_runs_it_again(tmp_path: Path):
    path = tmp_path / "mlp.py"
    path.write_text(mlp_with("Z1 = X @ W1 + b1", ENDLESS))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await until_activity(pilot)
        await press(pilot, "escape")
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))
        await settle(pilot)  # the error screen pushed is not yet painted
        text = screen_text(app)
        assert "stopped" in text and ("mlp.py:23" in text or "mlp.py:24" in text)  # in the loop
        path.write_text(MLP)
        await press(pilot, "l")
        await settle(pilot)
        assert app.session.ready and app.session.error is None and not isinstance(app.screen, ErrorScreen)
        path.write_text(mlp_with("Z1 = X @ W1 + b1", ENDLESS))
        await press(pilot, "l")
        await until_activity(pilot)
        await press(pilot, "escape")
        await until(pilot, lambda: app.job is None)
        await press(pilot, "q")
    assert app.return_code == 0  # stopped, but the last good run is what the app showed


async def test_quit_after_stopping_the_file_at_start_up_exits_130(tmp_path: Path):
    path = tmp_path / "mlp.py"
    path.write_text(mlp_with("Z1 = X @ W1 + b1", ENDLESS))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await until_activity(pilot)
        await press(pilot, "escape")
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))
        await press(pilot, "q")
    assert app.return_code == 130


async def test_a_file_that_reads_stdin_gets_a_clear_message(tmp_path: Path):
    path = tmp_path / "ask.py"
    path.write_text(mlp_with("Z1 = X @ W1 + b1", "    n = int(input('how many? '))\n"))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert "standard input" in text and "ask.py:23" in text


@pytest.mark.parametrize("line, said", [("sys.exit(5)", "sys.exit(5)"), ("raise KeyboardInterrupt",
                                                                          "KeyboardInterrupt")])
async def test_exit_or_interrupt_in_the_file_is_shown_with_its_line_and_exits_2(tmp_path: Path, line: str,
                                                                                said: str):
    path = tmp_path / "quits.py"
    path.write_text("import sys\n" + mlp_with("Z1 = X @ W1 + b1", f"    {line}\n"))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = screen_text(app)
        assert said in text and "quits.py:24" in text
        await press(pilot, "q")
    assert app.return_code == 2


async def test_reload_into_a_broken_file_keeps_the_last_good_graph(tmp_path: Path):
    path = tmp_path / "mlp.py"
    path.write_text(MLP)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n")
        path.write_text(mlp_with("Z1 = X @ W1 + b1", "    1 / 0\n"))
        await press(pilot, "l")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen) and "ZeroDivisionError" in screen_text(app)
        await press(pilot, "n")  # over the error screen the graph behind it does not move
        assert app.session.stepper.position == 2
        await press(pilot, "escape")  # back to the last run that worked, which says so, still usable
        assert not isinstance(app.screen, ErrorScreen) and "last good run" in screen_text(app)
        await press(pilot, "n")
        assert app.session.stepper.position == 3 and "step 3/15" in screen_text(app)
        path.write_text(MLP)
        await press(pilot, "l")
        await settle(pilot)
        assert app.session.error is None and app.session.stepper.position == 3
        assert "last good run" not in screen_text(app)
        path.write_text(mlp_with("Z1 = X @ W1 + b1", "    1 / 0\n"))
        await press(pilot, "l")
        await settle(pilot)
        await press(pilot, "q")
    assert app.return_code == 2  # quit over an error: the code the error has


async def test_reload_keeps_the_selection_by_name(tmp_path: Path):
    path = tmp_path / "mlp.py"
    path.write_text(MLP)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.pick(app.session.graph.ids["H"])
        await handled(pilot)
        before = app.selected
        path.write_text(mlp_with("Z1 = X @ W1 + b1", "    Z0 = gnp.tanh(X)\n"))  # every later node id moves
        await press(pilot, "l")
        await settle(pilot)
        graph = app.session.graph
        assert graph.ids["H"] != before
        assert app.selected == graph.ids["H"] and not app.follow
        await press(pilot, "escape")  # the report of what changed
        assert "H · tanh" in screen_text(app)


# ── the weak spots ──

async def test_a_latin1_file_opens_with_its_source(tmp_path: Path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + MLP.encode())
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.ready and "café" in "\n".join(app.session.source_lines)
        assert any("café" in line.plain for line in app.query_one(SourceView).lines)


async def test_end_on_a_zero_size_param_stops_at_its_nan_without_a_crash(tmp_path: Path):
    path = tmp_path / "empty.py"
    path.write_text("import numpy as np\nimport graphstep as gs\nfrom graphstep import numpy as gnp\n\n\n"
                    "@gs.computation\ndef empty():\n    w = gs.param(np.zeros((0,)), name='w')\n"
                    "    return gnp.mean(w * 2)\n")
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        assert "NaN" in screen_text(app)
        app.pick(app.session.graph.ids["w"])
        await press(pilot, "e", "j")
        assert "w · param" in screen_text(app)


async def test_an_engine_error_on_a_key_is_a_note_and_the_app_stays(monkeypatch):
    def broken(stepper):
        raise RuleError("matmul's rule gave dW of shape (2, 2) for W of shape (4, 16)")

    monkeypatch.setattr(Stepper, "step", broken)
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert "matmul's rule gave dW" in screen_text(app)
        await press(pilot, "e")
        assert app.session.stepper.done


@pytest.mark.parametrize("size, keys", [((80, 4), ["ctrl+p", "slash"]), ((80, 2), ["slash"]),
                                        ((6, 10), ["slash", "ctrl+p"])])
async def test_the_palette_in_a_tiny_terminal(size: tuple[int, int], keys: list[str]):
    """4 rows: no room for a page; 6 columns: the options' padding only.  The app starts at that size: laying out
    and painting the full size first, and again after, cost two thirds of the test, and either guard removed
    fails it the same way (KeyError, a wrap to width 0).  One app per size opens both palettes, one after the
    other."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await press(pilot, key, "W")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette)
                        and app.screen.query_one(CommandList).option_count > 0)
            await press(pilot, "pagedown", "pageup", "down", "pagedown")
            assert isinstance(app.screen, CommandPalette), key
            await press(pilot, "escape")
            await until(pilot, lambda: len(app.screen_stack) == 1)  # the next palette opens from the main screen
    assert app.return_code in (0, None)


# ── long work can be seen and stopped ──

LONG_WORK = {"c": ("gradcheck", "deep_mlp.py", "gradient check"),
             "g": ("per_sample_gradients", "regression.py", "per-sample gradients of beta")}


def held(monkeypatch, key: str) -> list:
    """The work ``key`` starts, held after its first unit until it is asked to stop, so its progress can be seen;
    the progress reports it made are returned."""
    name = LONG_WORK[key][0]
    reports, real = [], getattr(tui_app, name)

    def work(*args, progress, cancel: threading.Event, **kw):
        def report(done: int, total: int, what: str) -> None:
            progress(done, total, what)
            reports.append((done, total, what))
            cancel.wait(JOB_ENDS)

        return real(*args, progress=report, cancel=cancel, **kw)

    monkeypatch.setattr(tui_app, name, work)
    return reports


@pytest.mark.parametrize("key", ["c", "g"])
async def test_long_work_shows_its_progress_and_esc_stops_it(monkeypatch, key: str):
    reports = held(monkeypatch, key)
    _, sample, title = LONG_WORK[key]
    app = GraphstepApp(str(SAMPLES / sample))
    said = notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "down", key)  # inspecting another node than the current one
        await until(pilot, lambda: bool(reports))
        done, total, what = reports[0]
        text = await until_activity(pilot, f"{what} {done:,}/{total:,}")
        assert title in text and "esc stops it" in text
        assert total > 100 or key == "g"  # the check goes over a bigger graph's hundreds of entries
        job = app.job
        await press(pilot, "escape")
        await until(pilot, lambda: app.job is None)
        assert job.join(JOB_ENDS) and app.session.check is None
        await until(pilot, lambda: any(note.endswith(" stopped") for note in said))
        assert not isinstance(app.screen, ReportScreen)
        assert not app.follow  # esc stopped the work and did nothing else…
        await press(pilot, "escape")
        assert app.follow  # …the next one follows the current node again


@pytest.mark.parametrize("key", ["c", "g"])
async def test_q_during_long_work_quits_at_once(monkeypatch, key: str):
    reports = held(monkeypatch, key)
    app = GraphstepApp(str(SAMPLES / LONG_WORK[key][1]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, key)
        await until(pilot, lambda: bool(reports))
        job = app.job
        await press(pilot, "q")
    assert app.return_code == 0 and job.join(JOB_ENDS)
