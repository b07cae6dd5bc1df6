"""Tests entry mode (issue 14, part 1): the headless cursor (moves, clamps, value ↔ gradient, follows the node's
shape), then through Pilot on samples/mlp.py: ``i`` puts a cursor on an entry of the selected node and the inspector
explains it with ``explain``'s numbers, stepping explains the same entry again, esc gives the arrows back."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from key_runs import press_through
from support import SAMPLES, sample
from tui_support import SIZE, handled, notes, press, screen_text, settle, walked_to

import graphstep as gs
from graphstep.tui.app import GraphstepApp
from graphstep.tui.entry import COLUMNS, ROWS, SLICES, EntryCursor, span
from graphstep.tui.inspector import Inspector

# ───────────────────────────── the cursor, headless ─────────────────────────────


def cursor(shape: tuple[int, ...], gradient: bool = True) -> EntryCursor:
    c = EntryCursor()
    c.enter(7, shape, gradient)
    return c


def test_entering_starts_on_the_first_entry_of_the_gradient_or_the_value():
    assert (cursor((4, 16)).index, cursor((4, 16)).gradient, cursor((4, 16)).active) == ((0, 0), True, True)
    assert cursor((3,), gradient=False).gradient is False
    assert cursor(()).index == ()


def test_arrows_move_along_rows_and_columns_and_stop_at_the_edges():
    c = cursor((4, 16))
    c.move(ROWS, 1), c.move(ROWS, 1), c.move(COLUMNS, 5)
    assert c.index == (2, 5)
    for _ in range(10):
        c.move(ROWS, 1)
        c.move(COLUMNS, -1)
    assert c.index == (3, 0)
    c.move(COLUMNS, 99)
    assert c.index == (3, 15)


def test_a_vector_moves_left_and_right_only_and_a_scalar_not_at_all():
    v = cursor((5,))
    v.move(COLUMNS, 2), v.move(ROWS, 1), v.move(SLICES, 1)
    assert v.index == (2,)
    s = cursor(())
    s.move(COLUMNS, 1), s.move(ROWS, 1)
    assert s.index == ()


def test_page_keys_step_through_the_slices_of_a_larger_array_in_order():
    c = cursor((2, 3, 4, 5))
    c.move(ROWS, 2), c.move(COLUMNS, 4)
    for expected in [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 2)]:
        c.move(SLICES, 1)
        assert c.index == (*expected, 2, 4)  # the row and column stay where they were
    c.move(SLICES, -4)
    assert c.index == (0, 1, 2, 4)
    m = cursor((4, 16))
    m.move(SLICES, 1)
    assert m.index == (0, 0)


def test_d_switches_value_and_gradient_only_when_the_node_gets_a_gradient():
    c = cursor((4, 16))
    assert c.switch(True) and c.gradient is False
    assert c.switch(True) and c.gradient is True
    assert not c.switch(False) and c.gradient is True


def test_the_cursor_follows_the_node_and_its_shape():
    c = cursor((4, 16))
    c.move(ROWS, 3), c.move(COLUMNS, 12), c.switch(True)
    c.follow(7, (4, 16), True)  # a step: the same entry, the user's choice of the value kept
    assert (c.index, c.gradient) == ((3, 12), False)
    c.follow(7, (2, 8), True)  # a reload that shrank it: the nearest entry
    assert c.index == (1, 7)
    c.follow(8, (16,), True)  # another node: its gradient, the index fitted to its shape
    assert (c.node, c.index, c.gradient) == (8, (7,), True)
    c.follow(8, (16,), False)  # forward mode: no gradient, so the value
    assert c.gradient is False
    c.follow(9, (), False)
    assert c.index == ()
    c.follow(10, (0, 3), False)  # an empty array: still an index, the inspector says there is no entry
    assert c.index == (0, 0)


def test_a_click_places_the_cursor_and_leaving_keeps_it():
    c = cursor((4, 16))
    c.place((2, 5))
    assert c.index == (2, 5)
    c.place((9, 99))
    assert c.index == (3, 15)
    c.place((1,))  # not an index of this array: ignored
    assert c.index == (3, 15)
    c.leave()
    assert not c.active and c.index == (3, 15)


@pytest.mark.parametrize(("at", "size", "fit", "expected"), [
    (0, 16, 5, range(0, 5)), (8, 16, 5, range(6, 11)), (15, 16, 5, range(11, 16)),
    (2, 4, 8, range(0, 4)), (0, 1, 0, range(0, 1)),
])
def test_the_drawn_window_holds_the_cursor_near_its_middle(at, size, fit, expected):
    assert span(at, size, fit) == expected


# ───────────────────────────── the view, through Pilot ─────────────────────────────


def explained(app, entry: str) -> gs.Explanation:
    return gs.explain(app.session.stepper, entry)


def total_text(x: float) -> str:
    """A total as ``explain`` writes it: 4 significant digits, a true minus sign."""
    return f"= {x:.4g}".replace("-", "−")


def inspector_text(app) -> str:
    """The inspector's lines as one line of words: a long sum wraps where the panel ends."""
    return " ".join(" ".join(line.text.split()) for line in app.query_one(Inspector).lines)


async def test_an_entry_of_dW1_is_explained_enter_and_o_follow_its_terms_and_esc_gives_the_arrows_back():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "W1")
        graph, st = app.session.graph, app.session.stepper
        await press_through(pilot, "i", "down", "down", *["right"] * 5)  # dW1[2,5] = Σₖ X[k,2]·G[k,5]
        assert app.entry.active and app.entry.index == (2, 5) and app.entry.gradient
        text = screen_text(app)
        assert "dW1[2,5] = Σₖ X[k,2]·G[k,5]" in text
        ex = explained(app, "dW1[2,5]")
        assert ex.value == st.grad("W1")[2, 5]
        words = inspector_text(app)
        assert total_text(ex.total) in words and total_text(st.grad("W1")[2, 5]) in words
        assert "from X@W1 (matmul, input 1)" in words
        footer = text.splitlines()[-1]  # the footer names entry mode's keys, and still ends with help and quit
        assert "d value/grad  esc leave  n next" in footer and "? help  q quit" in footer and "i entry" not in footer
        await press(pilot, "d")
        text = screen_text(app)
        assert "W1[2,5] = " in text and "(a param)" in text
        await press_through(pilot, "d", paint=False)  # back on dW1[2,5], to follow its terms
        assert (app.nav.selected, app.entry.index, app.entry.gradient) == (graph.id("W1"), (2, 5), True)
        k = int(np.argmax(np.abs(st.value("X")[:, 2] * st.grad("X@W1")[:, 5])))  # its largest term
        await press(pilot, "enter")  # its G: d(X@W1)[k,5], one step nearer the output
        assert (app.nav.selected, app.entry.index, app.entry.gradient) == (graph.id("X@W1"), (k, 5), True)
        assert f"d(X@W1)[{k},5] = G[{k},5]" in screen_text(app)
        await press_through(pilot, "enter", paint=False)  # d(X@W1) = G of Z1: dZ1[k,5]
        assert (app.nav.selected, app.entry.index) == (graph.id("Z1"), (k, 5))
        app.pick(graph.id("W1"))
        app.entry.place((2, 5))  # the cursor kept its place (5) in its row; back to dW1[2,5]
        await handled(pilot)
        await press(pilot, "o")  # from dW1[2,5] the other way: the value X[k,2] that weighs G
        assert (app.nav.selected, app.entry.index, app.entry.gradient) == (graph.id("X"), (k, 2), False)
        assert f"X[{k},2] = " in screen_text(app)
        said = notes(app)
        await press_through(pilot, "enter", paint=False)  # a leaf's entry is made from nothing: said, the cursor stays
        assert app.entry.index == (k, 2) and said and said[0].startswith("nothing to follow")
        await press_through(pilot, "escape", "enter", paint=False)  # outside entry mode enter does what it did before
        assert not app.entry.active
        # esc leaves entry mode, and the arrows step and select again
        w1 = graph.id("W1")
        app.pick(w1)
        await press_through(pilot, "i", "left", "up", "down")
        assert (st.position, app.nav.selected, app.entry.index) == (st.total, w1, (1, 0))
        assert "inspecting W1 (esc: leave entry)" in screen_text(app)  # the status bar says what esc does now
        await press(pilot, "escape")
        text = screen_text(app)
        assert not app.entry.active and "dW1[1,0] = " not in text
        assert "inspecting W1 (esc: follow)" in text
        await press_through(pilot, "left", paint=False)
        assert st.position == st.total - 1
        await press_through(pilot, "down", paint=False)
        assert app.nav.selected != w1
        await press_through(pilot, "escape", paint=False)
        assert app.nav.follow  # the second esc follows the walk, as before


async def test_stepping_in_entry_mode_explains_the_same_entry_as_the_gradient_arrives():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "Z1", "f")
        await press_through(pilot, "i", *["down"] * 3, *["right"] * 7)
        text = screen_text(app)
        assert "dZ1[3,7]: the gradient has not arrived yet" in text
        assert "Z1[3,7] = Σₖ X[3,k]·W1[k,7] + b1[7]" in text  # meanwhile, how the value is made
        z1, st = app.session.graph.id("Z1"), app.session.stepper
        while st.grad(z1) is None:
            await press_through(pilot, "n", paint=False)
            assert app.nav.selected == z1 and app.entry.index == (3, 7)  # the walk moves, the cursor stays
        await handled(pilot)
        assert "dZ1[3,7] = G[3,7]·(1 − H[3,7]²)" in screen_text(app)
        assert total_text(st.grad(z1)[3, 7]) in inspector_text(app)
        await press(pilot, "p")
        assert "dZ1[3,7]: the gradient has not arrived yet" in screen_text(app)


BIG = '''
    import graphstep as gs


    @gs.computation
    def big():
        rng = gs.rng(1)
        X = gs.input(rng.standard_normal((50, 40)), name="X")
        W = gs.param(rng.standard_normal((40, 30)), name="W")
        return (X @ W).sum()
'''


async def test_a_large_matrix_is_drawn_as_the_window_around_the_cursor(tmp_path: Path):
    path = tmp_path / "big.py"
    path.write_text(textwrap.dedent(BIG))
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "W")
        await press_through(pilot, "i", paint=False)
        app.entry.place((32, 26))  # where 32 downs and 26 rights lead (the moves: the headless tests above)
        await press_through(pilot, "down", "right")
        assert app.entry.index == (33, 27)
        text = screen_text(app)
        assert "rows 29–36 of 40 · columns 24–29 of 30" in text  # the window around the cursor
        assert "dW[33,27] = Σₖ X[k,33]·G[k,27]" in text
        words = inspector_text(app)
        assert "(50 terms)" in words and total_text(app.session.stepper.grad("W")[33, 27]) in words


async def test_forward_mode_explores_the_value():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "H", "f")
        await press_through(pilot, "i", "m")
        await settle(pilot)
        assert app.session.mode == "forward" and not app.entry.gradient
        assert "H[0,0] = tanh" in screen_text(app)


async def test_page_keys_move_through_the_slices_of_the_attention_weights():
    app = GraphstepApp(str(SAMPLES / "attention.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "P")
        await press_through(pilot, "i", "pagedown", "pagedown", "pagedown", "down", "right")
        assert app.entry.index == (1, 1, 1, 1)
        text = screen_text(app)
        assert "slice [1,1,:,:]" in text and "dP (2×2×5×5)" in text
        assert "dP[1,1,1,1] = " in inspector_text(app)


def test_enter_goes_where_the_explanation_reads():
    st = gs.Stepper(sample("mlp")).run()
    graph = st.graph
    z2 = gs.explain(st, "Z2[3,0]")  # Σₖ H[3,k]·W2[k,0]: the H entry of the largest term
    k = int(np.argmax(np.abs(st.value("H")[3] * st.value("W2")[:, 0])))
    assert z2.next_entry(False) == (graph.id("H"), (3, k), False)
    assert gs.explain(st, "H[3,7]").next_entry(False) == (graph.id("Z1"), (3, 7), False)  # tanh of Z1[3,7]
    assert gs.explain(st, "dZ1[3,7]").next_entry(True) == (graph.id("H"), (3, 7), True)  # G of the tanh
    assert gs.explain(st, "dloss").next_entry(True) is None and gs.explain(st, "X[0,0]").next_entry() is None


async def test_a_click_on_the_gradient_or_the_value_enters_entry_mode_on_it_and_a_click_on_an_entry_moves_there():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await walked_to(pilot, "W1")
        inspector = app.query_one(Inspector)
        left, top = inspector.gutter.top_left
        rows = [line.text for line in inspector.lines]
        grad = next(y for y, text in enumerate(rows) if text.startswith("grad"))
        await pilot.click("#inspector", offset=(left + 20, top + grad + 1))  # the gradient's second line
        await handled(pilot)
        assert app.entry.active and app.entry.gradient and app.nav.selected == app.session.graph.id("W1")
        assert "dW1[0,0] = " in screen_text(app)
        await press(pilot, "escape")
        value = next(y for y, text in enumerate(rows) if text.startswith("value"))
        await pilot.click("#inspector", offset=(left + 20, top + value))
        await handled(pilot)
        assert app.entry.active and not app.entry.gradient and "W1[0,0] = " in screen_text(app)
        await press(pilot, "escape")
        await pilot.click("#inspector", offset=(left + 2, top))  # the shape row: not an array
        await handled(pilot)
        assert not app.entry.active
        await press(pilot, "i")  # entry mode afresh: dW1[0,0]; a click on an entry moves the cursor there
        assert (app.nav.selected, app.entry.index, app.entry.gradient) == (app.session.graph.id("W1"), (0, 0), True)
        line, x0, x1, index = next(cell for cell in inspector.cells if cell[3] == (3, 2))
        await pilot.click("#inspector", offset=(left + x1 - 2, top + line))
        await handled(pilot)
        assert app.entry.index == (3, 2) and "dW1[3,2] = Σₖ X[k,3]·G[k,2]" in screen_text(app)
        await pilot.mouse_down("#inspector", offset=(2, 1))  # a drag still selects text
        await pilot.hover("#inspector", offset=(30, 6))
        await pilot.mouse_up("#inspector", offset=(30, 6))
        assert "entry" in (app.screen.get_selected_text() or "")
