"""SVG snapshots of the main screens: what a learner sees, cell for cell and colour for colour.

Each test drives the app to one screen and compares Textual's SVG screenshot with the one accepted in
``__snapshots__/test_snapshots/`` (pytest-textual-snapshot).  After a deliberate change to the look, run
``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the new pictures; a failure writes
``snapshot_report.html`` with both side by side.

A screen must be the same on every machine and every run: the app shows paths relative to the working
directory, so each test runs from a fixed one; the theme is set and ``NO_COLOR`` (which Textual obeys) is
cleared; and a test waits for the user's file to run (``settle``) rather than sleeping, so the activity line,
the one place that shows elapsed seconds, is gone before the picture is taken.  No screen here raises a
notification: those expire on a timer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import REPO, SAMPLES
from tui_support import SIZE, press, settle

from graphstep.tui.app import GraphstepApp

DARK, LIGHT = "textual-dark", "textual-light"


@pytest.fixture(autouse=True)
def same_screen_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths show as ``samples/mlp.py`` whatever the checkout's location; colours are never switched off."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("NO_COLOR", raising=False)


def snapshot(snap_compare, target: str, *keys: str, theme: str = DARK,
             then: Callable[[GraphstepApp], None] | None = None) -> bool:
    """Open ``target`` in ``theme``, wait for the file to run, press ``keys``, call ``then(app)``, compare."""
    app = GraphstepApp(target)

    async def drive(pilot) -> None:
        app.theme = theme  # not Textual's default, which TEXTUAL_THEME may change
        await settle(pilot)
        await press(pilot, *keys)
        if then is not None:
            then(app)
        await settle(pilot)

    return snap_compare(app, terminal_size=SIZE, run_before=drive)


def test_mlp_at_start(snap_compare):
    assert snapshot(snap_compare, "samples/mlp.py")


@pytest.mark.parametrize("theme", [DARK, LIGHT])
def test_mlp_mid_backward_inspecting_a_value_and_its_gradient(snap_compare, theme):
    """Step 12 of 15 (to the end, three back): W2 has its gradient; nodes computed, with a gradient, current."""
    assert snapshot(snap_compare, "samples/mlp.py", "e", "p", "p", "p", theme=theme,
                    then=lambda app: app.pick(app.session.graph.id("W2")))


def test_help_screen(snap_compare):
    assert snapshot(snap_compare, "samples/mlp.py", "question_mark")


def test_myfunc_opens_with_its_loop_folded(snap_compare):
    """The ``while`` loop's 17 doublings drawn as one block ``× 17``."""
    assert snapshot(snap_compare, "samples/myfunc.py")


def test_a_shape_mismatch_opens_on_the_graph_up_to_it(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """W1 made (5×16): ``X @ W1`` cannot multiply, and the failing call is a red node after the leaves, the
    inspector saying why under the annotated line.  Run from the file's folder, so it shows as ``mlp.py``."""
    source = (SAMPLES / "mlp.py").read_text()
    (tmp_path / "mlp.py").write_text(source.replace("standard_normal((4, 16))", "standard_normal((5, 16))"))
    monkeypatch.chdir(tmp_path)
    assert snapshot(snap_compare, "mlp.py")
