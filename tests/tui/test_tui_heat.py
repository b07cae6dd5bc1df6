"""Tests values at a glance in the TUI (issue 14, part 3): the inspector writes a small matrix out entry by entry on
its heat colours, draws a large one as a map of tiles with its histogram, marks NaN; the graph's boxes carry their
value and gradient; ``h`` colours the graph by a metric, with its legend."""

from __future__ import annotations

import textwrap

from key_runs import press_through
from support import SAMPLES
from tui_support import SIZE, handled, press, screen_text, settle, walked_to

from graphstep.render.heat import heat_class
from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView
from graphstep.tui.inspector import Inspector


def words(text: str) -> set[str]:
    return set(text.split())


def backgrounds(app, text: str) -> set:
    """The background colours the inspector paints the cells reading ``text`` with."""
    return {seg.style.bgcolor for line in app.query_one(Inspector).lines for seg in line
            if seg.style is not None and seg.text.strip() == text}


async def test_a_small_matrix_is_written_out_entry_by_entry_on_its_heat_colours_and_a_gradient_too():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "X")
        x = app.session.stepper.value("X")  # (8×4): every one of its 32 entries on the screen
        text = screen_text(app)
        assert {f"{v:.3g}" for v in x.ravel()} <= words(text)
        assert "min -2.33 mean -0.152 max 1.37" in text  # and its summary under it
        low, high = f"{x.min():.3g}", f"{x.max():.3g}"  # the darkest of each side, in different colours
        assert heat_class(x.min(), abs(x).max()) == "neg4" and backgrounds(app, low) != backgrounds(app, high)
        assert None not in backgrounds(app, low) | backgrounds(app, high)
        app.pick(app.session.graph.id("W2"))
        await handled(pilot)
        st = app.session.stepper  # W2 (16×1): taller than 12 rows, so each array is wrapped across lines
        text = " ".join(line.text for line in app.query_one(Inspector).lines)
        assert {f"{v:.3g}" for v in st.grad("W2").ravel()} <= words(text)
        assert {f"{v:.3g}" for v in st.value("W2").ravel()} <= words(text)


async def test_a_large_matrix_is_a_map_of_tiles_with_its_summary_and_histogram(tmp_path):
    path = tmp_path / "big.py"
    path.write_text(textwrap.dedent("""\
        import graphstep as gs
        from graphstep import numpy as gnp

        @gs.computation
        def big():
            rng = gs.rng(0)
            X = gs.input(rng.standard_normal((40, 100)), name="X")
            W = gs.param(rng.standard_normal((100, 30)) * 0.1, name="W")
            return gnp.mean(gnp.tanh(X @ W) ** 2)
        """))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "X")
        text = " ".join(line.text for line in app.query_one(Inspector).lines)
        assert "(40×100) float64  min" in text and "mean" in text and "max" in text
        assert "a cell: mean of 4×" in text and "histogram" in text
        assert any(bar in text for bar in "▁▂▃▄▅▆▇█")
        x = app.session.stepper.value("X")
        assert f"{x[0, 0]:.3g}" not in words(text)  # 4,000 entries: none written out


async def test_nan_and_infinity_are_marked_in_the_matrix():
    app = GraphstepApp(str(SAMPLES / "nan.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "y")  # log(x − 3) of (4, 3.5, 0.9, 5): one entry is NaN
        assert "nan" in words(screen_text(app))
        nan, number = backgrounds(app, "nan"), backgrounds(app, "0")
        assert nan and nan.isdisjoint(number)


async def test_the_graph_boxes_carry_their_value_and_gradient_and_a_step_back_takes_them_off_again():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press_through(pilot, *"nnnnnnnnnnnn")  # step 12: loss has G 1, (Z2−y)² its value and gradient norms
        text = screen_text(app)
        loss = f"{float(app.session.stepper.value('loss')):.2g}"
        assert f"─ {loss} ─" in text and "─ G 1 ─" in text and "G‖0.35‖" in text
        await press(pilot, "r")  # back to the start: no gradient, no computed value on any op's box
        text = screen_text(app)
        assert "G‖" not in text and "‖9.7‖" not in text and "‖1.9‖" in text  # W2, a param, has its value


async def test_h_colours_the_graph_by_each_metric_in_turn_with_its_legend_and_the_help_screen_names_it():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert "colour the graph by gradient norm" in screen_text(app)
        await press_through(pilot, "escape", *"nnnnnnnnnn")  # help closed; mid-backward: gradients, values, bytes held
        view = app.query_one(GraphView)
        assert "pending · computed" in screen_text(app)
        for metric, legend in [("grad", "‖G‖ gradient norm"), ("value", "max |value|"),
                               ("held", "bytes held for backward"), (None, "pending · computed")]:
            await press(pilot, "h")
            text = screen_text(app)
            assert view.metric == metric and legend in text
            if metric is not None:
                assert "h: next" in text
                painted = [look.level for look in view._painted.values()]
                assert painted and all(level is not None for level in painted) and max(painted) == 4
