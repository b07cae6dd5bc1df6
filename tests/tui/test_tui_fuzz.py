"""The TUI under the fuzzer of ``scripts/fuzz_tui.py`` with a fixed seed, and the bugs it found.

Each sample gets a few hundred random actions: every key the app and its screens bind, text typed into
the palettes' inputs, resizes down to 1×1, clicks, double clicks and wheel turns at random cells, and
reloads into broken files (a syntax error, a NameError, an endless loop then esc, ``input()``,
``sys.exit(3)``) and back; then the fixed file must show its graph and ``q`` exit 0.  Any exception
inside the app fails the test with the seed and the actions that led there.  A longer run:
``python scripts/fuzz_tui.py --keys 3000``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
from support import SAMPLES
from textual import events
from textual.command import CommandInput, CommandList, CommandPalette
from textual.notifications import Notification
from textual.widgets import Input
from textual.widgets._toast import Toast
from tui_support import SIZE, handled, press, settle, until

from graphstep.errors import GraphstepError
from graphstep.tui.app import GraphstepApp
from graphstep.tui.reports import ReportScreen
from graphstep.tui.screens import ErrorScreen, HelpScreen

SEED = 10
KEYS = 130  # actions per sample: every binding and every edit at least once
FUZZED = ["myfunc"]  # a folded loop; mlp, nan and the rest of samples/: `python scripts/fuzz_tui.py` runs


def _fuzzer():
    """``scripts/fuzz_tui.py`` as a module (scripts/ is no package)."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_tui.py"
    spec = importlib.util.spec_from_file_location("fuzz_tui", path)
    module = sys.modules.setdefault("fuzz_tui", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


fuzz_tui = _fuzzer()

on_the_shared_app = pytest.mark.asyncio(loop_scope="module")  # the tests of mlp_pilot run in its app's event loop


@pytest.mark.parametrize("name", FUZZED)
async def test_fuzz_every_binding_resizes_clicks_and_reloads(name: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing the app writes lands in the repository
    before = sorted(SAMPLES.iterdir())
    summary = await fuzz_tui.fuzz(SAMPLES / f"{name}.py", SEED, KEYS, tmp_path)
    assert set(fuzz_tui.key_alphabet()) - summary.pressed <= {"q"}  # q only where it closes a dialog
    assert set(summary.edits) == set(fuzz_tui.EDITS)  # every broken file, and the fixed one
    assert summary.actions >= KEYS * 3 // 4  # most actions applied to the app (typing needs an input)
    assert sorted(SAMPLES.iterdir()) == before  # pictures went beside the copy, not into samples/


def test_the_actions_depend_on_the_seed_only_and_deal_every_key_and_edit():
    alphabet = fuzz_tui.key_alphabet()
    draw = lambda seed: [a for a, _ in zip(fuzz_tui.actions(fuzz_tui.random.Random(seed), alphabet), range(KEYS))]
    assert draw(SEED) == draw(SEED) != draw(SEED + 1)
    assert {"escape", "enter", "tab", "ctrl+p", "slash", "question_mark", "pagedown", "x", "l", "L"} <= set(alphabet)
    assert {a.arg for a in draw(SEED) if a.kind == "key"} == set(alphabet)
    assert {a.arg[0] for a in draw(SEED) if a.kind == "edit"} == set(fuzz_tui.EDITS)


def test_edits_go_before_the_last_return():
    source = (SAMPLES / "myfunc.py").read_text()  # returns inside myFunc too: the computation's is the last
    broken = fuzz_tui.edited(source, "sys.exit(3)")
    assert broken.endswith("    import sys\n    sys.exit(3)\n    return myFunc(a)\n")
    assert fuzz_tui.edited(source, "fixed") == source


# ── the bugs the fuzzer found ──

mouse = fuzz_tui.mouse_event


def double_click(app, x: int, y: int) -> None:
    """Two clicks posted at once, as a quick double click reaches a busy app: both before it handles the first."""
    for _ in range(2):
        app.post_message(mouse(events.MouseDown, x, y, button=1))
        app.post_message(mouse(events.MouseUp, x, y, button=1))


async def until_results(pilot) -> None:
    """The palette searches in a worker: wait for its first results."""
    for _ in range(200):
        if isinstance(pilot.app.screen, CommandPalette) and pilot.app.screen.query_one(CommandList).option_count:
            return
        await handled(pilot)
    raise AssertionError("the palette shows no results")


@on_the_shared_app
@pytest.mark.parametrize("key", ["ctrl+p", "slash"])
async def test_double_click_outside_the_palette_closes_it_once(mlp_pilot, key: str):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, key)
    assert isinstance(app.screen, CommandPalette)
    double_click(app, 2, SIZE[1] - 3)  # below the palette: the first click closes it
    await handled(pilot)
    assert not isinstance(app.screen, CommandPalette) and len(app.screen_stack) == 1
    # before the fix: ScreenStackError, the second click popped the app's screen (the app ends: mlp_pilot fails)


@on_the_shared_app
async def test_double_click_on_a_palette_result_picks_it_once(mlp_pilot):
    pilot, app = mlp_pilot, mlp_pilot.app
    await press(pilot, "ctrl+p", *"W2")
    await until_results(pilot)
    results = app.screen.query_one(CommandList)
    x, y = results.region.x + 2, results.region.y + 1
    double_click(app, x, y)
    await handled(pilot)
    assert len(app.screen_stack) == 1 and app.session.graph.name_of(app.selected) == "W2"


async def test_reload_while_the_error_screen_is_still_opening(tmp_path: Path, monkeypatch):
    """l at once after a run failed: the error screen closes before it is mounted, and mounts emptied."""
    path = tmp_path / "exits.py"
    path.write_text((SAMPLES / "mlp.py").read_text().replace("    return loss", "    import sys\n    sys.exit(3)\n"
                                                                              "    return loss"))
    failed = GraphstepApp._file_failed
    runs = []

    def and_reload_at_once(app, job, err):
        failed(app, job, err)
        runs.append(err)
        if len(runs) == 1:
            app.action_reload()  # the l the user pressed before the error screen came up

    monkeypatch.setattr(GraphstepApp, "_file_failed", and_reload_at_once)
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            if len(runs) == 2:
                break
            await handled(pilot)
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen) and "sys.exit(3)" in str(app.screen.query_one("#error-body")
                                                                             .render())
        await press(pilot, "q")
    assert app.return_code == 2


async def open_theme_palette(pilot) -> None:
    """ctrl+p, then the palette's own Theme command: Textual's theme picker, a palette of its own."""
    app = pilot.app
    await press(pilot, "ctrl+p", *"theme")
    await until_results(pilot)
    await press(pilot, "enter")
    for _ in range(200):
        if isinstance(app.screen, CommandPalette) and "theme" in app.screen.query_one("CommandInput").placeholder:
            return
        await handled(pilot)
    raise AssertionError("the theme picker did not open")


async def test_the_theme_picker_is_as_safe_as_the_palette():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_theme_palette(pilot)
        await until_results(pilot)
        await pilot.resize_terminal(80, 4)  # no room for a page of themes
        await press(pilot, "pagedown", "pageup")
        await pilot.resize_terminal(*SIZE)
        double_click(app, 2, SIZE[1] - 3)  # below the picker: the first click closes it, the second lands under it
        await until(pilot, lambda: len(app.screen_stack) == 1)  # closing a screen can take more than one round of
        # events on a busy machine (it failed once after `handled` alone)
    assert app.return_code in (0, None)


async def test_ctrl_p_with_the_palette_under_a_report(tmp_path: Path):
    """A reload started before the palette opened shows what changed over it; ctrl+p then opens no second one."""
    path = tmp_path / "mlp.py"
    path.write_text((SAMPLES / "mlp.py").read_text())
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        path.write_text((SAMPLES / "mlp.py").read_text().replace("* 0.5", "* 0.25"))
        app.action_reload()  # l…
        app.action_command_palette()  # …and ctrl+p, before the file has run again
        await settle(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["Screen", "Palette", "ReportScreen"]
        await press(pilot, "ctrl+p")
        assert isinstance(app.screen, ReportScreen)
        await press(pilot, "escape")
        assert isinstance(app.screen, CommandPalette)
    assert app.return_code in (0, None)


@on_the_shared_app
@pytest.mark.parametrize("screen", ["help", "report", "error"])
async def test_a_screen_closed_before_it_is_mounted(mlp_pilot, screen: str):
    """A screen closed as it opens (a key or a reload on its way) is mounted emptied: it looks nothing up."""
    pilot, app = mlp_pilot, mlp_pilot.app
    opened = {"help": lambda: HelpScreen({}), "report": lambda: ReportScreen("What changed", ["W1:", "  x"]),
              "error": lambda: ErrorScreen(GraphstepError("boom"), "mlp.py", back=True)}[screen]()
    app.push_screen(opened)
    app.pop_screen()
    await handled(pilot)
    assert len(app.screen_stack) == 1


async def test_enter_in_a_palette_under_a_report_closes_neither(tmp_path: Path):
    """An enter on its way to the palette as a reload's report opens over it: closing the palette would pop the
    top screen, the report, before it is even mounted."""
    path = tmp_path / "mlp.py"
    path.write_text((SAMPLES / "mlp.py").read_text())
    app = GraphstepApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "ctrl+p", *"W2")
        await until_results(pilot)
        await press(pilot, "down")  # W2 highlighted: enter picks it and closes the palette
        palette = app.screen
        path.write_text((SAMPLES / "mlp.py").read_text().replace("* 0.5", "* 0.25"))
        app.action_reload()  # a reload started before ctrl+p, ending now: its report comes up over the palette
        await settle(pilot)
        typed = palette.query_one(CommandInput)
        typed.post_message(Input.Submitted(typed, typed.value))  # the enter it had before the report came up
        await handled(pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["Screen", "Palette", "ReportScreen"]
        await press(pilot, "escape", "escape")
        assert len(app.screen_stack) == 1
    assert app.return_code in (0, None)


async def test_a_click_on_a_notification_that_just_expired():
    """The toast is gone from the screen, not yet from its map: Textual would start a text selection in it."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify("nothing repeats in this graph: there is nothing to fold", timeout=30)
        await handled(pilot)
        toast = app.screen.query_one(Toast)
        x, y = toast.region.x + 2, toast.region.y + 1
        await toast.parent.remove()  # as its timeout removes it
        app.post_message(mouse(events.MouseDown, x, y, button=1))
        app.post_message(mouse(events.MouseUp, x, y, button=1))
        await handled(pilot)
    assert app.return_code in (0, None)


async def test_a_toast_made_after_its_notification_expired_leaves_at_once():
    """Textual checks that a notification has time left, then its Toast reads the time again and hands it to
    set_timer: on a busy machine (another thread holding the interpreter in between) that is negative, and
    Textual's Timer then spins forever at 100 % CPU with the toast up.  Here the toast is made a second late."""
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        late = Notification("shown at its expiry", timeout=1.0, raised_at=time.time() - 2.0)
        await app.screen.mount(Toast(late))
        for _ in range(500):  # it leaves after a moment, instead of never
            if not app.screen.query(Toast):
                break
            await pilot.pause(0.01)
        assert not app.screen.query(Toast)
        await press(pilot, "n")
        assert app.session.stepper.position == 1
