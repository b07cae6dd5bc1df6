"""The fixtures tests/tui shares: one running app on samples/mlp.py per test module, for the tests that only step,
select, open and close things over an unchanged file (an app start and a run of the file cost more than most of
those tests' own keys)."""

from __future__ import annotations

import pytest_asyncio
from support import SAMPLES
from tui_support import SIZE, back_at_start, screen_text, settle, still_running

from graphstep.tui.app import GraphstepApp


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running_mlp():
    """The module's app on samples/mlp.py, and the start screen it showed.  Its tests run in its event loop
    (``pytest.mark.asyncio(loop_scope="module")``)."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        yield pilot, screen_text(app)


@pytest_asyncio.fixture(loop_scope="module")
async def mlp_pilot(running_mlp):
    """The shared app, back at its start screen for the test (``back_at_start`` asserts it is exactly that), and
    still up after it: what leaving run_test checked (``return_code in (0, None)``, nothing raised inside the
    app)."""
    pilot, start = running_mlp
    await back_at_start(pilot, start)
    yield pilot
    still_running(pilot.app)
