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
from pathlib import Path

import pytest
from test_tui import SAMPLES, SIZE, settle
from textual import events
from textual.command import CommandList, CommandPalette

from graphstep.tui.app import GraphstepApp
from graphstep.tui.screens import ErrorScreen

SEED = 10
KEYS = 160  # actions per sample: every binding at least once, in well under 40 s for the file on 2 busy cores
FUZZED = ["mlp", "myfunc", "deep_mlp", "nan", "attention", "batchnorm"]


def _fuzzer():
    """``scripts/fuzz_tui.py`` as a module (scripts/ is no package)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_tui.py"
    spec = importlib.util.spec_from_file_location("fuzz_tui", path)
    module = sys.modules.setdefault("fuzz_tui", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


fuzz_tui = _fuzzer()


@pytest.mark.parametrize("name", FUZZED)
async def test_fuzz_every_binding_resizes_clicks_and_reloads(name: str, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing the app writes lands in the repository
    before = sorted(SAMPLES.iterdir())
    summary = await fuzz_tui.fuzz(SAMPLES / f"{name}.py", SEED, KEYS, tmp_path)
    assert set(fuzz_tui.key_alphabet()) - summary.pressed <= {"q"}  # q only where it closes a dialog
    assert set(summary.edits) == set(fuzz_tui.EDITS)  # every broken file, and the fixed one
    assert summary.actions >= KEYS * 3 // 4  # most actions applied to the app (typing needs an input)
    assert sorted(SAMPLES.iterdir()) == before  # pictures went beside the copy, not into samples/


def test_the_actions_depend_on_the_seed_only():
    alphabet = fuzz_tui.key_alphabet()
    draw = lambda seed: [a for a, _ in zip(fuzz_tui.actions(fuzz_tui.random.Random(seed), alphabet), range(300))]
    assert draw(SEED) == draw(SEED) != draw(SEED + 1)
    assert {"escape", "enter", "tab", "ctrl+p", "slash", "question_mark", "pagedown", "x", "l"} <= set(alphabet)
    assert not {"ctrl+q"} & {a.arg for a in draw(SEED) if a.kind == "key"} - {"ctrl+q"}


def test_edits_go_before_the_last_return():
    source = (SAMPLES / "myfunc.py").read_text()  # returns inside myFunc too: the computation's is the last
    broken = fuzz_tui.edited(source, "sys.exit(3)")
    assert broken.endswith("    import sys\n    sys.exit(3)\n    return myFunc(a)\n")
    assert fuzz_tui.edited(source, "fixed") == source


# ── the bugs the fuzzer found ──

def mouse(kind: type[events.MouseEvent], x: int, y: int) -> events.MouseEvent:
    """A mouse event as the terminal sends it to the app."""
    return kind(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)


def double_click(app, x: int, y: int) -> None:
    """Two clicks posted at once, as a quick double click reaches a busy app: both before it handles the first."""
    for _ in range(2):
        app.post_message(mouse(events.MouseDown, x, y))
        app.post_message(mouse(events.MouseUp, x, y))


@pytest.mark.parametrize("key", ["ctrl+p", "slash"])
async def test_double_click_outside_the_palette_closes_it_once(key: str):
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        assert isinstance(app.screen, CommandPalette)
        double_click(app, 2, SIZE[1] - 3)  # below the palette: the first click closes it
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette) and len(app.screen_stack) == 1
    assert app.return_code in (0, None)  # before the fix: ScreenStackError, the second click popped the app's screen


async def test_double_click_on_a_palette_result_picks_it_once():
    app = GraphstepApp(str(SAMPLES / "mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"W2")
        await pilot.pause()
        results = app.screen.query_one(CommandList)
        for _ in range(200):  # the palette searches in a worker
            if results.option_count:
                break
            await pilot.pause()
        x, y = results.region.x + 2, results.region.y + 1
        double_click(app, x, y)
        await pilot.pause()
        assert len(app.screen_stack) == 1 and app.session.graph.name_of(app.selected) == "W2"
    assert app.return_code in (0, None)


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
            await pilot.pause()
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen) and "sys.exit(3)" in str(app.screen.query_one("#error-body")
                                                                             .render())
        await pilot.press("q")
    assert app.return_code == 2
