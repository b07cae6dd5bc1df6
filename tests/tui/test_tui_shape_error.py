"""Tests the TUI on a file whose trace fails (issue 14 part 4): it opens on the graph recorded up to the failing
call, that call red and selected, the inspector saying why with the line annotated under each operand, and l
reloads the file once it is fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import SAMPLES
from tui_support import SIZE, notes, press, screen_text, settle

from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView
from graphstep.tui.screens import ErrorScreen

BROKEN = SAMPLES / "broken" / "mlp_shapes.py"
MESSAGE = "matmul cannot combine H (8×16), W2 (1×16)"


def annotated(text: str) -> list[str]:
    """The inspector's ``line`` row and the two rows below it, from where the line's code starts."""
    rows = text.splitlines()
    k = next(k for k, row in enumerate(rows) if "line      Z2 = H @ W2" in row)
    column = rows[k].index("Z2 = H @ W2")
    return [row[column:].split("│")[0].rstrip() for row in rows[k:k + 3]]


@pytest.fixture
def broken(tmp_path) -> Path:
    """A copy of samples/broken/mlp_shapes.py, for the test to fix."""
    path = tmp_path / "mlp_shapes.py"
    shutil.copy(BROKEN, path)
    return path


async def test_opens_on_the_partial_graph_with_the_failing_node_red_and_selected(broken):
    app = GraphstepApp(str(broken))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = app.session
        assert not isinstance(app.screen, ErrorScreen) and session.ready
        assert session.failed == len(session.graph) - 1 and app.selected == session.failed
        text = screen_text(app)
        assert MESSAGE in text and "stopped at Z2 (matmul failed)" in text and "Z2  matmul  ✗ failed" in text
        assert annotated(text) == ["Z2 = H @ W2", "     ─   ──", "   8×16 1×16"]  # in the inspector
        view = app.query_one(GraphView)
        assert view._state(session.failed) == "failed"
        assert view._component("failed") != view._component("pending")  # app.tcss colours it
        await press(pilot, "f")  # the recorded part steps: every op before the failure, nothing after
        assert session.stepper.done and session.stepper.total == 3 and MESSAGE in screen_text(app)
        broken.write_text(broken.read_text().replace("(1, 16)) * 0.5", "(16, 1)) * 0.5"))
        await press(pilot, "l")
        await settle(pilot)
        assert session.failure is None and session.failed is None
        assert "loss" in session.graph.ids and session.stepper.total > len(session.graph.op_nodes)
        assert MESSAGE not in screen_text(app)


async def test_a_check_says_it_needs_the_whole_graph_and_quitting_exits_2_as_the_error_screen_did(broken):
    app = GraphstepApp(str(broken))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = notes(app)
        await press(pilot, "c", "g")
        await settle(pilot)
        assert said == [f"the file stops at Z2, so there are no gradients for {what}: fix it, then press l to reload"
                        for what in ("a gradient check", "per-sample gradients")]
        await press(pilot, "q")
    assert app.return_code == 2


LOOP = '''import numpy as np
import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def loop():
    h = gs.param(np.ones(5), name="x")
    for k in range(3):
        h = gnp.tanh(h) * 2.0
        if k == 2:
            h = np.ediff1d(h)
    return h.sum()
'''


async def test_an_unsupported_function_in_a_loop_is_scrolled_into_view(tmp_path):
    path = tmp_path / "loop.py"
    path.write_text(LOOP)
    app = GraphstepApp(str(path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        view, failed = app.query_one(GraphView), app.session.failed
        box = view.layout_.boxes[failed]
        assert view.scroll_offset.y <= box.y and box.y + 3 <= view.scroll_offset.y + view.size.height
        text = screen_text(app)
        assert "h#4  numpy.ediff1d  ✗ failed" in text and "numpy.ediff1d is not in graphstep's op" in text
        await press(pilot, "e")
        assert app.session.stepper.position == 6  # three tanh and three multiply, then nothing to do
