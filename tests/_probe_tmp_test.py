from test_tui import SAMPLES, SIZE, settle

from graphstep.errors import GraphstepError
from graphstep.tui.app import GraphstepApp
from graphstep.tui.screens import ErrorScreen


async def test_error_screen_closed_before_mount():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(ErrorScreen(GraphstepError("boom"), "x.py", back=True))
        app.pop_screen()
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)
