"""Tests that stepping between drawings of different sizes keeps the graph view's virtual size, so that the
screen is not laid out again (a scrollbar coming and going), and that a smaller drawing is still shown whole."""

from __future__ import annotations

from support import SAMPLES
from tui_support import SIZE, handled, press, settle

from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView


async def test_stepping_keeps_the_largest_drawing_size_and_shows_each_drawing_from_its_corner():
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view, sizes, largest = app.query_one(GraphView), set(), (0, 0)
        for _ in range(app.session.stepper.forward_steps):
            await press(pilot, "n")
            layout, region = view.layout_, view.scrollable_content_region
            sizes.add((layout.width, layout.height))
            largest = max(largest[0], layout.width), max(largest[1], layout.height)
            assert (view.virtual_size.width, view.virtual_size.height) == largest
            assert view.scroll_x <= max(0, layout.width - region.width)  # no column of it scrolled off needlessly
            assert view.scroll_y <= max(0, layout.height - region.height)
        assert len(sizes) > 1  # the walk did draw views of different sizes


async def test_a_walk_over_drawings_already_seen_keeps_the_virtual_size():
    """A new virtual size is what makes Textual lay the whole screen out (``virtual_size`` is a layout reactive):
    once every drawing of the pass has been seen, stepping through it again never changes it."""
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        steps = app.session.stepper.forward_steps
        # every drawing of the forward pass shown once, there and back: the view takes its size from each drawing
        # as it is shown (``GraphView.show``), so these walks need not wait for every screen to be painted
        for step in [app.action_next] * steps + [app.action_step_back] * steps:
            step()
        await handled(pilot)
        view = app.query_one(GraphView)
        seen = {view.virtual_size}
        for _ in range(steps):
            await press(pilot, "n")
            seen.add(view.virtual_size)
        assert len(seen) == 1, seen
