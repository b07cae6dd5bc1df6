"""Tests folding, focus and search in the TUI with Pilot: a view changes, the walk does not."""

from __future__ import annotations

from pathlib import Path

import pytest
from key_runs import press_through
from support import SAMPLES
from tui_support import SIZE, handled, press, screen_text, settle

from graphstep.analysis.search import find_nodes
from graphstep.tui.app import GraphstepApp
from graphstep.tui.breadcrumb import Breadcrumb
from graphstep.tui.graph_view import GraphView

MYFUNC_BLOCK = "while a.norm() < 100: a = a * 2"
LAYER_BLOCK = "for k in range(1, LAYERS + 1): H = layer(H, W, b)"


def drawn(app) -> set[int]:
    """The items that have a box in the graph view now."""
    return set(app.query_one(GraphView).layout_.boxes)


def in_view(view: GraphView) -> str:
    """The text in the graph view's window, read from its layout as ``render_line`` paints it: what a screenshot
    of the view reads (box borders, values and progress aside), at a thousandth of a screenshot's cost."""
    (sx, sy), size = view.scroll_offset, view.scrollable_content_region.size
    rows = []
    for row in range(sy, sy + size.height):
        line = ""
        for run in view.layout_.runs(row, sx, sx + size.width):
            start = max(run.x, sx)
            line = line.ljust(start - sx) + run.text[start - run.x:sx + size.width - run.x]
        rows.append(line)
    return "\n".join(rows)


async def test_myfunc_opens_folded_into_one_block_and_a_click_on_the_block_selects_it():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await handled(pilot)
        k = len(app.session.graph.grouping.repeats[0])
        text = screen_text(app)
        assert text.count(f"× {k}  {MYFUNC_BLOCK}") == 1
        assert "Graph · folded (z)" in text and "0/34 computed" in text
        assert "myfunc() ▸" not in text  # a at the top level: the breadcrumb is the computation alone
        assert "myfunc()" in text and "node 1 of 54" in text
        view = app.query_one(GraphView)  # the first screen, as it opened: a click on the block selects it
        (block_id,) = view.drawing.view.blocks
        box = view.layout_.boxes[block_id]
        x, y = box.x + 3 - view.scroll_offset.x + 1, box.y + 1 - view.scroll_offset.y + 1
        await pilot.click(GraphView, offset=(x, y))
        assert app.selected == block_id
        assert "× 17 · iterations 1–17 of 18" in screen_text(app)


async def test_stepping_folded_visits_every_node_and_shows_the_current_one():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        st, view = app.session.stepper, app.query_one(GraphView)
        grouping = app.session.graph.grouping
        visited, inside = [], []
        for position in range(1, st.total + 1):
            await press_through(pilot, "n", paint=False)  # the checks read the app's state, not the painted screen
            assert st.position == position  # one node per key, folded or not
            visited.append(st.current)
            shown = view.drawing.item_of(st.current)  # done: every repeat folds whole
            assert shown in drawn(app) and app.selected == shown and (shown == st.current) != st.done
            if grouping.repeat_at(st.current) is not None and position < st.forward_steps:
                window = in_view(view)
                assert "× " in window, position  # the other iterations stay folded around it
                if not inside:  # the screen reads as the view's window does
                    await handled(pilot)
                    label = window[window.index("× "):].split("│")[0].rstrip()
                    assert label.startswith("× ") and label in screen_text(app)
                inside.append(position)
        assert visited == [node for _, node in st.plan] and len(inside) > 30


async def test_deep_mlp_opens_unfolded_focus_shows_a_neighbourhood_in_context_and_z_folds_its_layers():
    app = GraphstepApp(str(SAMPLES / "deep_mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await handled(pilot)
        assert not app.session.folded and "× " not in screen_text(app)
        graph, st, view = app.session.graph, app.session.stepper, app.query_one(GraphView)
        # focus (v) on Z#4: its neighbourhood, the other iterations as context boxes, the breadcrumb
        while st.current != graph.ids["Z#4"]:
            await press_through(pilot, "n", paint=False)
        await press(pilot, "v")
        text = screen_text(app)
        assert "Graph · focus, 2 hops" in text
        labels = {block.label for block in view.drawing.view.blocks.values()}
        assert {"iterations 1–3 of 6", "iterations 5–6 of 6"} <= labels  # context, drawn above and below
        assert "iterations 5–6 of 6" in view.layout_.text()
        assert "deep_mlp() ▸ for k in range(1, LAYERS + 1) ▸ iteration 4 of 6 ▸ layer()" in text
        assert len(drawn(app)) < 20
        await press(pilot, "minus")
        assert "focus, 1 hop" in screen_text(app) and len(drawn(app)) < 12
        await press_through(pilot, "n", paint=False)
        assert st.current in drawn(app)  # the focus follows the walk
        await press(pilot, "v")
        assert "Graph · focus" not in screen_text(app)
        # folding (z) from the start again
        await press_through(pilot, "r", paint=False)
        assert st.position == 0 and not app.session.folded and not app.session.focused and app.nav.follow
        await press(pilot, "z")
        assert f"× 6  {LAYER_BLOCK}" in screen_text(app)
        while st.current != graph.ids["Z#3"]:
            await press_through(pilot, "n", paint=False)
        await handled(pilot)
        text = screen_text(app)
        assert f"× 2  {LAYER_BLOCK}" in text and f"× 3  {LAYER_BLOCK}" in text
        assert "Z#3  add  (8×16)" in text and "iteration 3 of 6 ▸ layer()" in text
        await press_through(pilot, "f", *["n"] * 12)  # mid-backward, inside layer 4
        text = screen_text(app)
        assert "iteration 4 of 6" in text and "6/6 backward" in text and "0/9 backward" in text


async def test_z_unfolds_and_folds_again_and_a_selected_block_says_what_it_stands_for_and_o_opens_it():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_through(pilot, "n", "n", "n", "n", "z")
        assert not app.session.folded and app.query_one(GraphView).drawing.view is None
        assert "× " not in screen_text(app) and len(drawn(app)) > 30
        assert app.selected == app.session.stepper.current
        await press(pilot, "z")
        assert app.session.folded and f"iteration 1 of 18  {MYFUNC_BLOCK}" in screen_text(app)  # iteration 2 open
        await press_through(pilot, *["n"] * 3, paint=False)  # step 7, following the walk, then down to a block
        assert app.session.stepper.position == 7 and app.follow
        await press_through(pilot, "down", "down")
        view = app.query_one(GraphView)
        block = view.drawing.block(app.selected)
        assert block is not None and not app.follow
        text = screen_text(app)
        assert "× 13 · iterations 5–17 of 18" in text and "0/26 ops computed" in text
        assert "press o to open iteration 5" in text
        await press(pilot, "o")
        first = block.nodes[0]
        assert app.selected == first and first in drawn(app)
        text = screen_text(app)
        assert "iteration 5 of 18" in text
        # the current step (iteration 4) is now folded away: its block shows the step in progress
        current_block = view.drawing.block(view.drawing.item_of(app.session.stepper.current))
        assert current_block is not None and "▶ 7/8 computed" in text
        await press(pilot, "n")
        assert "▶ 8/8 computed" in screen_text(app)
        await press_through(pilot, "escape", paint=False)
        assert app.follow and app.session.stepper.current in drawn(app)


async def test_search_then_brackets_visit_every_match_in_order():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matches = find_nodes(app.session.graph, "op:multiply")
        await press_through(pilot, "slash", *"op:multiply")
        await settle(pilot)  # the palette's search runs in a worker: its hits are listed once it ends
        await press(pilot, "enter")
        await handled(pilot)
        assert app.selected == matches[0] and f"match 1/{len(matches)} “op:multiply”" in screen_text(app)
        for k in range(1, len(matches)):
            await press_through(pilot, "right_square_bracket", paint=False)
            assert app.selected == matches[k] and matches[k] in drawn(app)  # a folded match opens
        await press_through(pilot, "right_square_bracket", paint=False)
        assert app.selected == matches[0]  # wraps around
        await press(pilot, "left_square_bracket")
        assert app.selected == matches[-1] and f"match {len(matches)}/{len(matches)}" in screen_text(app)


async def test_small_graphs_look_as_before():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "z")
        text = screen_text(app)
        assert not app.query_one(Breadcrumb).display and "× " not in text
        assert "nothing repeats in this graph" in text


BIG = """
import numpy as np
import graphstep as gs
from graphstep import numpy as gnp

@gs.computation
def big():
    x = gs.param(np.linspace(-1, 1, 4), name="x")
    for _ in range(2500):
        x = gnp.tanh(x) * 0.5 + x
    return gnp.sum(x)
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.py"
    path.write_text(BIG)
    return path


async def test_ten_thousand_nodes_start_step_and_search(big_file):
    """Start, step and search on 10,000 nodes (their times: benchmarks/bench_scale.py, never asserted here)."""
    app = GraphstepApp(str(big_file))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(400):  # the trace may run in a worker: wait for the graph, not for a clock
            if getattr(app.session, "graph", None) is not None and app.session.ready:
                break
            await handled(pilot)
        assert len(app.session.graph) > 10_000 and app.session.folded
        for k in range(30):
            app.action_next() if k % 4 != 3 else app.action_step_back()
        await handled(pilot)
        assert app.session.stepper.position == 23 - 7  # 23 steps forward, 7 back
        app.use_matches("op:tanh", find_nodes(app.session.graph, "op:tanh"))
        app.action_match(1)
        await handled(pilot)
        text = screen_text(app)
        assert "node " in text and "of 10,002" in text
