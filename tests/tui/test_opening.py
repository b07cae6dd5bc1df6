"""The first screen: the panels are drawn once the file has run (not empty first, then again), or once it has run
for ``GRACE`` (a slow file: its source is there to read while it runs)."""

from __future__ import annotations

from pathlib import Path

from support import SAMPLES
from tui_support import SIZE, handled, press, screen_text, settle, until

import graphstep.tui.app as tui_app
from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView
from graphstep.tui.screens import ErrorScreen

ENDLESS = "import graphstep as gs\n\n\n@gs.computation\ndef f():\n    while True:  # the loop\n        pass\n"


def body_shown(app) -> bool:
    return app.query_one("#body").display


async def test_a_file_that_runs_quickly_opens_on_its_panels_drawn_once(monkeypatch):
    monkeypatch.setattr(tui_app, "GRACE", 3600.0)  # only the file's end can show the panels
    drawn: list[int] = []
    show = GraphView.show
    monkeypatch.setattr(GraphView, "show", lambda view, *a, **kw: drawn.append(view.size.width) or show(view, *a, **kw))
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert body_shown(app) and app.session.ready
        assert "Graph" in screen_text(app) and "Z1 = X @ W1 + b1" in screen_text(app)
        assert drawn == [0]  # drawn once, before it ever had a size: never laid out empty, then again


async def test_a_slow_file_keeps_its_panels_hidden_until_grace_and_shows_them_when_stopped(tmp_path: Path,
                                                                                            monkeypatch):
    path = tmp_path / "slow.py"
    path.write_text(ENDLESS)
    monkeypatch.setattr(tui_app, "GRACE", 3600.0)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.job is not None)
        await handled(pilot)
        assert not body_shown(app) and "while True:  # the loop" not in screen_text(app)
        await press(pilot, "escape")
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))
        assert body_shown(app)  # behind the error screen, for when the file runs again


async def test_the_panels_show_after_grace_while_the_file_still_runs_under_the_help(tmp_path: Path, monkeypatch):
    path = tmp_path / "slow.py"
    path.write_text(ENDLESS)
    monkeypatch.setattr(tui_app, "GRACE", 0.3)  # time enough for the help to come up first (if not, still right)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.job is not None)
        await press(pilot, "question_mark")  # the help on top when GRACE ends: the panels are on the main screen
        await until(pilot, lambda: body_shown(app))
        assert app.job is not None
        await press(pilot, "escape")  # closes the help
        assert "while True:  # the loop" in screen_text(app)
        await press(pilot, "escape")  # stops the file
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))
