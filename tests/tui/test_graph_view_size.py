"""Tests that stepping between drawings of different sizes keeps the graph view's virtual size, so that the
screen is not laid out again (a scrollbar coming and going), and that a smaller drawing is still shown whole."""

from __future__ import annotations

from key_runs import press_through
from support import SAMPLES
from tui_support import SIZE, handled, press, settle

from graphstep.tui.app import GraphstepApp
from graphstep.tui.graph_view import GraphView


async def test_stepping_keeps_the_largest_drawing_size_and_a_walk_over_drawings_already_seen_never_changes_it():
    """Stepping through the forward pass, the virtual size is the largest drawing's so far, and each drawing is
    shown from its corner.  A new virtual size is what makes Textual lay the whole screen out (``virtual_size`` is
    a layout reactive): once every drawing of the pass has been seen, stepping through it again never changes it."""
    app = GraphstepApp(str(SAMPLES / "myfunc.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view, sizes, largest = app.query_one(GraphView), set(), (0, 0)
        steps = app.session.stepper.forward_steps
        for _ in range(steps):
            await press(pilot, "n")  # painted: the scroll limits below read the view's laid-out region
            layout, region = view.layout_, view.scrollable_content_region
            sizes.add((layout.width, layout.height))
            largest = max(largest[0], layout.width), max(largest[1], layout.height)
            assert (view.virtual_size.width, view.virtual_size.height) == largest
            assert view.scroll_x <= max(0, layout.width - region.width)  # no column of it scrolled off needlessly
            assert view.scroll_y <= max(0, layout.height - region.height)
        assert len(sizes) > 1  # the walk did draw views of different sizes
        # every drawing of the forward pass has been shown; back to the start, and through them again: the view
        # takes its size from each drawing as it is shown (``GraphView.show``), so these walks need not be painted
        for _ in range(steps):
            app.action_step_back()
        await handled(pilot)
        seen = {view.virtual_size}
        for _ in range(steps):
            await press_through(pilot, "n", paint=False)
            seen.add(view.virtual_size)
        assert len(seen) == 1 and app.session.stepper.position == steps, seen
