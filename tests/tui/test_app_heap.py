"""The app freezes its heap (``settle_heap``) only in the ``graphstep`` program: hosted by a test or a notebook it
leaves their heap alone (a freeze there kept their garbage, and each reload collected the whole process)."""

from __future__ import annotations

import gc

from support import SAMPLES
from tui_support import SIZE, press, settle

from graphstep.core import heap
from graphstep.tui.app import GraphstepApp


async def test_an_app_in_a_test_process_freezes_nothing_reloads_included():
    before = gc.get_freeze_count()
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "l")
        await settle(pilot)
        assert app.session.ready and gc.get_freeze_count() <= before  # (what was frozen before may have died)


async def test_in_the_program_the_loaded_graph_is_frozen_and_a_reload_frees_the_last(monkeypatch):
    monkeypatch.setattr(heap, "_owned", True)  # as main() says for the graphstep program (own_heap)
    try:
        app = GraphstepApp(str(SAMPLES / "mlp.py"))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            graph = app.session.graph
            assert gc.get_freeze_count() > 0 and all(o is not graph for o in gc.get_objects())  # out of its sight
            await press(pilot, "l")
            await settle(pilot)
            assert app.session.graph is not graph and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
