"""The key bar: the bindings' keys on the bottom line as Textual's Footer shows them, one widget drawing them all."""

from __future__ import annotations

from pathlib import Path

from support import SAMPLES
from textual.app import App, ComposeResult
from textual.binding import Binding
from tui_support import SIZE, handled, press, screen_text, settle

import graphstep.tui.app
from graphstep.tui.app import GraphstepApp
from graphstep.tui.key_bar import KeyBar

MAIN_KEYS = (" n next  p back  f fwd end  e end  r restart  c check  x export  l reload  b break  w watch  i entry"
             "  / find  ? help  q quit")


def bottom(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_the_keys_that_show_one_per_action_and_the_palettes_on_the_right_edge():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = bottom(app)
        assert line.startswith(MAIN_KEYS + " ")  # n, space and right step: n alone names the action
        assert line.endswith("▏^p palette") and len(line) == SIZE[0] - 1  # then its padding, as in the Footer
        assert len(app.query(KeyBar)) == 1 and not app.query("KeyBar *")  # one widget, no widget per key
        await press(pilot, "e", "i")  # entry mode: its keys first, its own key gone (check_action says False)
        line = bottom(app)
        assert line.startswith(" d value/grad  esc leave  n next  p back") and " i entry" not in line


async def test_a_click_on_a_key_presses_it_and_between_keys_does_nothing():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.query_one(KeyBar)
        step = next(key for key in bar.placed if key.action == "next")
        await pilot.click(KeyBar, offset=(step.start + len(step.label) - 2, 0))
        await handled(pilot)
        assert app.session.stepper.position == 1
        await pilot.click(KeyBar, offset=(SIZE[0] - 14, 0))  # the gap before the palette's key
        await handled(pilot)
        assert app.session.stepper.position == 1 and len(app.screen_stack) == 1
        palette = bar.placed[-1]
        assert palette.palette and bar.key_at(palette.start) == palette and bar.key_at(palette.start - 1) is None


async def test_a_narrow_terminal_keeps_the_keys_that_fit_and_the_palettes():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        line = bottom(app)
        assert line.startswith(" n next  p back  f fwd end  e end  r restart ") and line.endswith("▏^p palette")
        assert "c check" not in line and len(line) <= 60  # a key is drawn whole or not at all


class Keys(App):
    """A key check_action disables (None) is shown dimmed; a click on it rings the bell instead of pressing it."""

    BINDINGS = [Binding("a", "count", "count"), Binding("b", "never", "never"), Binding("c", "hidden", "hidden")]
    ENABLE_COMMAND_PALETTE = False
    CSS_PATH = Path(graphstep.tui.app.__file__).with_name("app.tcss")  # the bar's colours, as the app has them

    def __init__(self) -> None:
        super().__init__()
        self.counted, self.bells = 0, 0

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return {"never": None, "hidden": False}.get(action, True)

    def action_count(self) -> None:
        self.counted += 1

    def bell(self) -> None:
        self.bells += 1


async def test_a_disabled_key_is_dimmed_and_rings_the_bell_a_hovered_key_is_lit():
    app = Keys()
    async with app.run_test(size=(40, 3)) as pilot:
        await handled(pilot)
        bar = app.query_one(KeyBar)
        assert [(key.label, key.enabled) for key in bar.placed] == [(" a count ", True), (" b never ", False)]
        rendered = bar.render()
        style_at = lambda x: rendered.get_style_at_offset(app.console, x)  # noqa: E731
        assert rendered.plain == " a count  b never " and not style_at(1).dim and style_at(10).dim
        await pilot.click(KeyBar, offset=(10, 0))
        await pilot.click(KeyBar, offset=(1, 0))
        await handled(pilot)
        assert (app.counted, app.bells) == (1, 1)
        plain = bar.render().get_style_at_offset(app.console, 1).bgcolor
        await pilot.hover(KeyBar, offset=(1, 0))
        await handled(pilot)
        assert bar.render().get_style_at_offset(app.console, 1).bgcolor != plain
        await pilot.hover(KeyBar, offset=(30, 0))
        await handled(pilot)
        assert bar.render().get_style_at_offset(app.console, 1).bgcolor == plain
