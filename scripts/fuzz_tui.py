"""Fuzzes the TUI with Pilot: any exception inside the app is a failure, reported with what reproduces it.

Usage: python scripts/fuzz_tui.py [--seed S] [--keys N] [--samples mlp,myfunc,…]   (default: every sample)

For each sample, a copy of the file in a temporary folder (so ``x`` writes its
pictures there) gets ``N`` random actions drawn from ``random.Random(seed)``:
every key the app, its screens, the palettes and their inputs bind (plus the
arrows, tab, page and home keys, esc and enter), text typed into whatever input
has the focus, resizes down to 1×1, clicks, double clicks and wheel turns at
random cells, and reloads (``l``, ``L``) after rewriting the copy into a
broken file (a syntax error, a NameError, an endless loop then esc, ``input()``,
``sys.exit(3)``) or back to the fixed one.  Then the fixed file is reloaded, the
screen must show its graph, and ``q`` must exit 0 with no thread left behind.

The actions are drawn without looking at the app, so one seed always draws the
same ones; their effect can differ (the user's file runs in a thread), so a
failure prints the action's index and the actions before it.  Quitting keys are
pressed only where they close a dialog; the palette's own Quit command may still
end the app, which then starts again on the same file (counted as ``quits``).
Exits 1 on the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList
from textual.widgets._footer import FooterKey

from graphstep.tui.app import GraphstepApp
from graphstep.tui.palette import Palette
from graphstep.tui.reports import ReportScreen
from graphstep.tui.screens import ErrorScreen, HelpScreen

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
START = (120, 36)
SIZES = [(1, 1), (2, 2), (10, 5), (80, 24), (200, 60), (160, 48), (40, 12), (6, 10), (80, 4)]
MOVES = ["up", "down", "left", "right", "tab", "shift+tab", "pageup", "pagedown", "home", "end", "escape", "enter",
         "backspace", "delete", "space", "ctrl+p", "slash"]
QUIT_KEYS = {"q", "ctrl+q"}  # q also closes the help and report screens: pressed only there
SLOW_KEYS = {"x": 0.15, "c": 0.5, "g": 0.5}  # export writes pictures; check and per-sample gradients are jobs
TYPED = "abcdefghijklmnopqrstuvwxyzXWLZ0123456789 _:.#[]()-+*/@,;'\"!?<>=~|\\{}^%&$`éλ×∂→ ᵀ"
ENDLESS = "endless loop"
EDITS = {  # name: the lines put before the computation's last ``return`` (None: the file as it was)
    "fixed": None,
    "syntax error": "    x = (1 +\n",
    "NameError": "    undefined_name_in_the_users_file + 1\n",
    ENDLESS: "    while True:\n        pass\n",
    "input()": "    input('how many? ')\n",
    "sys.exit(3)": "    import sys\n    sys.exit(3)\n",
}
WEIGHTS = {"key": 70, "type": 8, "resize": 5, "click": 8, "scroll": 3, "edit": 4, "settle": 2}
POLLS = 3000  # bound on the pauses spent waiting for one condition (a busy machine runs a job slowly)
THREAD_ENDS = 30.0  # seconds a stopped job's thread may take to end


def key_alphabet() -> list[str]:
    """Every key bound by the app, its screens, the palettes and the widgets in them, and the moving keys."""
    keys = {GraphstepApp.COMMAND_PALETTE_BINDING, *MOVES}
    for cls in (GraphstepApp, App, Screen, HelpScreen, ErrorScreen, ReportScreen, Palette, CommandPalette, Input,
                OptionList):
        for binding in cls.BINDINGS:
            spec = binding.key if isinstance(binding, Binding) else binding[0]
            keys.update(key.strip() for key in spec.split(","))
    return sorted(keys)


def edited(source: str, edit: str) -> str:
    """The sample's source with ``EDITS[edit]`` put before the computation's last ``return``."""
    lines = EDITS[edit]
    if lines is None:
        return source
    at = source.rindex("\n    return ") + 1
    return source[:at] + lines + source[at:]


@dataclass(frozen=True)
class Action:
    """One thing the fuzzer does; ``arg`` says with what (a key, text, a size, a cell as fractions of the screen)."""

    kind: str
    arg: object = None

    def __str__(self) -> str:
        return f"{self.kind} {self.arg!r}" if self.arg is not None else self.kind


def actions(rng: random.Random, alphabet: list[str]) -> Iterator[Action]:
    """An endless stream of actions that depends on the seed only, never on the app's state."""
    weights = [SLOW_KEYS.get(key, 1.0) for key in alphabet]
    kinds, kind_weights = list(WEIGHTS), list(WEIGHTS.values())
    pending_escape = None  # an endless loop is stopped by esc a few actions after it starts
    while True:
        if pending_escape == 0:
            pending_escape = None
            yield Action("key", "escape")
            continue
        if pending_escape is not None:
            pending_escape -= 1
        kind = rng.choices(kinds, kind_weights)[0]
        if kind == "key":
            yield Action("key", rng.choices(alphabet, weights)[0])
        elif kind == "type":
            yield Action("type", "".join(rng.choice(TYPED) for _ in range(rng.randint(1, 12))))
        elif kind == "resize":
            size = rng.choice(SIZES) if rng.random() < 0.6 else (rng.randint(1, 220), rng.randint(1, 70))
            yield Action("resize", size)
        elif kind in ("click", "scroll"):
            yield Action(kind, (rng.random(), rng.random(), rng.choice([1, 1, 1, 2]) if kind == "click"
                                else rng.choice(["up", "down"])))
        elif kind == "edit":
            edit = rng.choice(list(EDITS))
            pending_escape = rng.randint(0, 4) if edit == ENDLESS else pending_escape
            yield Action("edit", (edit, rng.choice(["l", "l", "L"])))
        else:
            yield Action(kind)


class FuzzError(AssertionError):
    """The app raised (or ended, or hung) under the fuzzer: the message says how to get there again."""


@dataclass
class Summary:
    """What one sample's run did."""

    sample: str
    actions: int = 0
    skipped: int = 0  # actions that did not apply (typing with no input focused, q outside a dialog)
    quits: int = 0  # the app ended on its own (the palette's Quit command) and was started again
    edits: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        edits = ", ".join(f"{k} ×{n}" for k, n in sorted(self.edits.items()))
        return (f"{self.sample:<18} {self.actions:>6} actions ({self.skipped} skipped, {self.quits} quits) "
                f"in {self.seconds:5.1f}s · reloads: {edits or 'none'}")


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text: a full repaint of every widget on the screen."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
                      force_terminal=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until ``condition()`` holds, polled with a bound generous enough for a busy machine."""
    for _ in range(POLLS):
        if condition():
            return
        await pilot.pause(0.01)
    raise FuzzError(f"the app never reached this state: {what}")


class Fuzzer:
    """Drives ``GraphstepApp`` on a copy of one sample with the actions of one seed."""

    def __init__(self, sample: Path, seed: int, keys: int, workdir: Path) -> None:
        self.sample, self.seed, self.budget = sample, seed, keys
        self.source = sample.read_text()
        self.file = workdir / sample.name
        self.file.write_text(self.source)
        self.workdir = workdir
        self.stream = actions(random.Random(f"{seed}:{sample.stem}"), key_alphabet())
        self.final_key = random.Random(seed).choice(sorted(QUIT_KEYS))
        self.done: list[Action] = []
        self.edit = "fixed"
        self.summary = Summary(sample.stem)

    async def run(self) -> Summary:
        """Every action of the budget, in as many app sessions as quits need, then the clean ending."""
        started = time.perf_counter()
        while True:
            app = self._app()
            try:
                async with app.run_test(size=START, notifications=True) as pilot:
                    ended = await self._session(pilot)
                    if ended:
                        await self._finish(pilot)
            except FuzzError as failure:
                raise FuzzError(self._where(str(failure))) from failure
            except Exception as err:  # raised inside the app (run_test re-raises it) or by Pilot
                raise FuzzError(self._where(f"{type(err).__name__}: {err}")) from err
            if ended:
                break
            self._quit_checked(app)
        await self._threads_end(app)
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def _app(self) -> GraphstepApp:
        app = GraphstepApp(str(self.file))
        original = app.deliver_screenshot  # the palette's Screenshot command: into the work folder, not ~/Downloads
        app.deliver_screenshot = lambda filename=None, path=None, **kw: original(filename, str(self.workdir), **kw)
        return app

    async def _session(self, pilot: Pilot) -> bool:
        """Act until the budget is spent (True) or the app ends on its own (False)."""
        app = pilot.app
        await until(pilot, lambda: app.session.ready or app.session.error is not None or app.job is not None,
                    "the file started to run")
        while len(self.done) < self.budget:
            action = next(self.stream)
            self.done.append(action)
            applied = await self._do(pilot, action)
            self.summary.actions += applied
            self.summary.skipped += not applied
            if app.return_code is not None:
                return False
        return True

    async def _do(self, pilot: Pilot, action: Action) -> bool:
        """Perform one action; False when it does not apply to the app as it is."""
        app, kind, arg = pilot.app, action.kind, action.arg
        if kind == "key":
            if arg in QUIT_KEYS and not _quit_key_closes_a_dialog(app):
                return False
            await pilot.press(arg)
        elif kind == "type":
            if not isinstance(app.focused, Input):
                return False
            await pilot.press(*arg)
        elif kind == "resize":
            await pilot.resize_terminal(*arg)
            screen_text(app)
        elif kind == "click":
            x, y = _cell(app, arg)
            if _quits_on_click(app, x, y):
                return False
            await pilot.click(offset=(x, y), times=arg[2])
        elif kind == "scroll":
            x, y = _cell(app, arg)
            wheel = events.MouseScrollDown if arg[2] == "down" else events.MouseScrollUp
            app.post_message(wheel(None, x, y, 0, 0, 0, False, False, False, screen_x=x, screen_y=y))
            await pilot.pause()
        elif kind == "edit":
            edit, key = arg
            self.file.write_text(edited(self.source, edit))
            self.edit = edit
            self.summary.edits[edit] = self.summary.edits.get(edit, 0) + 1
            await pilot.press(key)
        elif kind == "settle":
            await until(pilot, lambda: app.job is None or self.edit == ENDLESS, "the job ended")
            screen_text(app)
        return True

    async def _finish(self, pilot: Pilot) -> None:
        """The fixed file again: its graph on the screen, every dialog closed, then quit with exit code 0."""
        app = pilot.app
        self.done.append(Action("finish"))
        await pilot.resize_terminal(*START)
        self.file.write_text(self.source)
        self.edit = "fixed"
        await self._close_dialogs(pilot)
        await pilot.press("l")
        await until(pilot, lambda: app.job is None and app.session.error is None and app.session.ready,
                    "the fixed file traced again")
        await app.workers.wait_for_complete()
        await self._close_dialogs(pilot)
        st = app.session.stepper
        shown = screen_text(app)
        if f"step {st.position}/{st.total}" not in shown:
            raise FuzzError(f"the status line does not show step {st.position}/{st.total}:\n{shown}")
        self.done.append(Action("key", self.final_key))
        await pilot.press(self.final_key)
        await until(pilot, lambda: app.return_code is not None, "quit")
        if app.return_code != 0:
            raise FuzzError(f"{self.final_key} on the fixed file exited {app.return_code}, not 0")

    async def _close_dialogs(self, pilot: Pilot) -> None:
        """esc until the main screen shows (the help, a report, a palette, the error screen of a broken run)."""
        app = pilot.app
        for _ in range(20):
            if len(app.screen_stack) == 1 or isinstance(app.screen, ErrorScreen):
                return
            await pilot.press("escape")
        raise FuzzError(f"esc does not close {type(app.screen).__name__}")

    def _quit_checked(self, app: GraphstepApp) -> None:
        """The app ended on its own: fine after a key or click that can quit (the palette's Quit), not else."""
        last = self.done[-1]
        if last.kind not in ("key", "click") or (last.kind == "key" and last.arg not in ("enter", *QUIT_KEYS)):
            raise FuzzError(self._where(f"the app ended (exit code {app.return_code}) on {last}"))
        self.summary.quits += 1

    async def _threads_end(self, app: GraphstepApp) -> None:
        """No job's thread outlives the app (a stopped endless loop ends, input() never blocks)."""
        if app.stuck:
            await asyncio.to_thread(lambda: [job.join(THREAD_ENDS) for job in app._started])
        if app.stuck:
            raise FuzzError(self._where("a job's thread is still running after the app ended"))

    def _where(self, what: str) -> str:
        """How to get there again: the seed, the sample, the action's index and the actions before it."""
        index = len(self.done) - 1
        recent = "\n".join(f"  #{k}: {a}" for k, a in enumerate(self.done) if k >= index - 15)
        return (f"{self.sample.name}, seed {self.seed}, action #{index} ({self.done[-1] if self.done else 'start'}):"
                f" {what}\n"
                f"  reproduce: python scripts/fuzz_tui.py --seed {self.seed} --keys {self.budget} "
                f"--samples {self.sample.stem}\n  the actions before it:\n{recent}")


def _quit_key_closes_a_dialog(app: App) -> bool:
    """q closes the help and the report screens and is typed into an input; nowhere else is it harmless."""
    if isinstance(app.focused, Input):
        return True
    quiet = all(worker.is_finished for worker in app.workers) and getattr(app, "job", None) is None
    return quiet and isinstance(app.screen, HelpScreen | ReportScreen) and app.focused is None


def _cell(app: App, arg: tuple) -> tuple[int, int]:
    """The cell at fractions (fx, fy) of the screen, whatever its size."""
    width, height = app.size
    return min(int(arg[0] * width), width - 1), min(int(arg[1] * height), height - 1)


def _quits_on_click(app: App, x: int, y: int) -> bool:
    """A click on the footer's ``q quit``."""
    try:
        widget, _ = app.get_widget_at(x, y)
    except Exception:  # no widget there (a screen too small to hold one)
        return False
    keys = [w for w in (widget, *widget.ancestors) if isinstance(w, FooterKey)]
    return any(key.action.split(".")[-1] == "quit" for key in keys)


async def fuzz(sample: Path, seed: int, keys: int, workdir: Path) -> Summary:
    """Fuzz the TUI on a copy of ``sample`` in ``workdir``; raises ``FuzzError`` on anything the app raised."""
    return await Fuzzer(sample, seed, keys, workdir).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="the seed of the random actions (default 0)")
    parser.add_argument("--keys", type=int, default=3000, help="actions per sample (default 3000)")
    parser.add_argument("--samples", default="", help="comma-separated sample names (default: every sample)")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.samples.split(",") if name.strip()]
    samples = [SAMPLES / f"{name}.py" for name in names] or sorted(SAMPLES.glob("*.py"))
    missing = [str(path) for path in samples if not path.is_file()]
    if missing:
        parser.error(f"no such sample: {', '.join(missing)}")
    total = Summary("total")
    for sample in samples:
        workdir = Path(tempfile.mkdtemp(prefix=f"fuzz-{sample.stem}-"))
        try:
            summary = asyncio.run(fuzz(sample, args.seed, args.keys, workdir))
        except FuzzError as failure:
            print(f"FAILED {failure}", file=sys.stderr)
            cause = failure.__cause__.__cause__ if isinstance(failure.__cause__, FuzzError) else failure.__cause__
            if cause is not None:
                import traceback

                traceback.print_exception(cause, file=sys.stderr)
            return 1
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(summary, flush=True)
        for name in ("actions", "skipped", "quits", "seconds"):
            setattr(total, name, getattr(total, name) + getattr(summary, name))
        for edit, n in summary.edits.items():
            total.edits[edit] = total.edits.get(edit, 0) + n
    print(total)
    print(f"0 exceptions in {total.actions:,} actions on {len(samples)} samples (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
