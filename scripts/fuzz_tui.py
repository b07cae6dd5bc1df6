"""Fuzzes the TUI with Pilot: any exception inside the app is a failure, reported with what reproduces it.

Usage: python scripts/fuzz_tui.py [--seed S] [--keys N] [--samples mlp,myfunc,…]   (default: every sample)

For each sample, a copy of the file in a temporary folder (so ``x`` writes its
pictures there) gets ``N`` random actions drawn from ``random.Random(seed)``:
every key the app, its screens, the palettes and their inputs bind (plus the
arrows, tab, page and home keys, esc and enter), text typed into whatever input
has the focus, resizes down to 1×1, clicks, double clicks, drags and wheel
turns at random cells, and reloads (``l``, ``L``) after rewriting the copy into a
broken file (a syntax error, a NameError, an endless loop then esc, ``input()``,
``sys.exit(3)``) or back to the fixed one.  Then the fixed file is reloaded, the
screen must show its graph, and ``q`` must exit 0 with no thread left behind.

The actions are drawn without looking at the app, so one seed always draws the
same ones; their effect can differ (the user's file runs in a thread), so a
failure prints the action's index and the actions before it.  q is pressed only
where it closes a dialog or is typed, ctrl+q only at the end; the palette's own
Quit command may still end the app, which then starts again on the same file
(counted as ``quits``).  Exits 1 on the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.geometry import Size
from textual.keys import KEY_NAME_REPLACEMENTS, key_to_character
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList

from graphstep.tui.app import GraphstepApp
from graphstep.tui.key_bar import KeyBar
from graphstep.tui.palette import Palette
from graphstep.tui.reports import ReportScreen
from graphstep.tui.screens import ErrorScreen, HelpScreen
from graphstep.tui.status_bar import StatusBar

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
START = (120, 36)
SIZES = [(1, 1), (2, 2), (10, 5), (80, 24), (200, 60), (160, 48), (40, 12), (6, 10), (80, 4)]
MOVES = ["up", "down", "left", "right", "tab", "shift+tab", "pageup", "pagedown", "home", "end", "escape", "enter",
         "backspace", "delete", "space", "ctrl+p", "slash"]
QUIT_KEYS = {"q", "ctrl+q"}  # q also closes the help and report screens: pressed only there, ctrl+q at the end
TYPED = "abcdefghijklmnopqrstuvwxyzXWLZ0123456789 _:.#[]()-+*/@,;'\"!?<>=~|\\{}^%&$`éλ×∂→ ᵀ"
ENDLESS = "endless loop"
EDITS = {  # name: the lines put before the computation's last ``return`` (None: the file as it was)
    "fixed": None,
    "syntax error": "    x = (1 +\n",
    "NameError": "    undefined_name_in_the_users_file + 1\n",
    ENDLESS: "    while True:\n        pass\n",
    "input()": "    input()\n",
    "sys.exit(3)": "    import sys\n    sys.exit(3)\n",
}
WEIGHTS = {"key": 72, "type": 8, "resize": 5, "click": 9, "scroll": 3, "drag": 2, "settle": 3}
EDIT_GAP = (6, 18)  # actions between two edits of the file (each kind once in every six)
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
    """An endless stream of actions that depends on the seed only, never on the app's state.

    Keys are dealt from a shuffled deck of the whole alphabet, so every binding is pressed once in the first
    ``len(alphabet)`` keys, and once in each round after; the edits of the file likewise, one every
    ``EDIT_GAP`` actions.
    """
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    deck: list[str] = []
    edits: list[str] = []
    edit_in = rng.randint(*EDIT_GAP)
    escape_in = None  # an endless loop is stopped by esc a few actions after it starts
    while True:
        if escape_in == 0:
            escape_in = None
            yield Action("key", "escape")
            continue
        escape_in = escape_in - 1 if escape_in is not None else None
        edit_in -= 1
        kind = "edit" if edit_in == 0 else rng.choices(kinds, weights)[0]
        if kind == "key":
            deck = deck or rng.sample(alphabet, len(alphabet))
            yield Action("key", deck.pop())
        elif kind == "type":
            yield Action("type", "".join(rng.choice(TYPED) for _ in range(rng.randint(1, 12))))
        elif kind == "resize":
            yield Action("resize", rng.choice(SIZES) if rng.random() < 0.6 else (rng.randint(1, 220),
                                                                                rng.randint(1, 70)))
        elif kind in ("click", "scroll"):
            how = rng.choice([1, 1, 1, 2]) if kind == "click" else rng.choice(["up", "down"])
            yield Action(kind, (rng.random(), rng.random(), how))
        elif kind == "drag":
            yield Action(kind, (rng.random(), rng.random(), rng.random(), rng.random()))
        elif kind == "edit":
            edits = edits or rng.sample(list(EDITS), len(EDITS))
            edit, edit_in = edits.pop(), rng.randint(*EDIT_GAP)
            escape_in = rng.randint(0, 3) if edit == ENDLESS else escape_in
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
    pressed: set[str] = field(default_factory=set)  # the keys of the alphabet pressed at least once
    seconds: float = 0.0

    def __str__(self) -> str:
        edits = ", ".join(f"{k} ×{n}" for k, n in sorted(self.edits.items()))
        return (f"{self.sample:<18} {self.actions:>6} actions ({self.skipped} skipped, {self.quits} quits) "
                f"in {self.seconds:5.1f}s · reloads: {edits or 'none'}")


def repaint_all(app: App) -> None:
    """Render every widget on the screen, whole (a widget that fails to draw raises here): a screenshot."""
    app.export_screenshot()


def key_of(character: str) -> str:
    """The key a terminal's driver names a typed character by: itself, or its Unicode name (``/``: ``slash``)."""
    name = character if character.isalnum() else unicodedata.name(character, character).lower()
    name = name.replace("-", "_").replace(" ", "_")
    return KEY_NAME_REPLACEMENTS.get(name, name)


async def handled(pilot: Pilot) -> None:
    """Wait until the app and the widgets on its screen have handled what was posted to them, and repaint."""
    await pilot.pause(0)  # the app handles the event and forwards it (a key to the focused input)…
    await pilot.pause(0)  # …which then handles it; pause also repaints what changed


async def until(pilot: Pilot, condition: Callable[[], bool], what: str | Callable[[], str]) -> None:
    """Let the app run until ``condition()`` holds, polled with a bound generous enough for a busy machine."""
    for _ in range(POLLS):
        if condition():
            return
        await pilot.pause(0.01)
    raise FuzzError(f"the app never reached this state: {what() if callable(what) else what}")


def _job_state(app: GraphstepApp) -> str:
    """What runs, where its thread is, and every other job not yet ended."""
    if app.job is None:
        return "no job runs"
    lines = ["the job ended; still running:"]
    for job in app._started:
        frame = sys._current_frames().get(job._thread.ident)
        where = "".join(traceback.format_stack(frame)[-3:]) if frame is not None else "  (no frame)\n"
        lines.append(f"{'*' if job is app.job else ' '} {job.what!r} stopped {job.stopped}, done {job.done}, "
                     f"alive {job.alive}, progress {job.progress}, thread {job._thread.ident}, in:\n{where}")
    return "\n".join(lines)


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
        self.looped = False  # a job has run since the file was the endless one (and may still run that)
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

    @property
    def may_loop(self) -> bool:
        """A run of the file may be the endless loop: the file is that now, or was while the jobs now running
        ran (l over the help screen does not stop them)."""
        return self.edit == ENDLESS or self.looped

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
        """Perform one action as a terminal sends it (events posted to the app, no waiting for idle in between),
        then let the app handle it; False when it does not apply to the app as it is."""
        app, kind, arg = pilot.app, action.kind, action.arg
        if kind == "key":
            if arg in QUIT_KEYS and not (arg == "q" and _q_closes_a_dialog(app)):
                return False
            app.post_message(events.Key(arg, key_to_character(arg)))
            self.summary.pressed.add(arg)
        elif kind == "type":
            if not isinstance(app.focused, Input):
                return False
            for char in arg:
                app.post_message(events.Key(key_of(char), char))
        elif kind == "resize":
            app.post_message(events.Resize(Size(*arg), Size(*arg)))  # what the driver posts on SIGWINCH
        elif kind in ("click", "scroll"):
            x, y = _cell(app, arg)
            if kind == "click" and _quits_on_click(app, x, y):
                return False
            for event in _mouse_events(kind, x, y, arg[2]):
                app.post_message(event)
        elif kind == "drag":  # a text selection, from one cell to another
            (x, y), (x2, y2) = _cell(app, arg[:2]), _cell(app, arg[2:])
            if _quits_on_click(app, x, y) or _quits_on_click(app, x2, y2):
                return False
            for event, at in ((events.MouseDown, (x, y)), (events.MouseMove, (x2, y2)), (events.MouseUp, (x2, y2))):
                app.post_message(mouse_event(event, *at, button=1))
        elif kind == "edit":
            edit, key = arg
            self.file.write_text(edited(self.source, edit))
            self.edit = edit
            self.summary.edits[edit] = self.summary.edits.get(edit, 0) + 1
            app.post_message(events.Key(key, key))
        elif kind == "settle":  # wait for what ends by itself: not a run of the endless file, which esc stops
            await until(pilot, lambda: app.job is None or app.job.kind == "file" and self.may_loop,
                        lambda: _job_state(app))
            repaint_all(app)
        await handled(pilot)
        self.looped = app.job is not None and (self.looped or self.edit == ENDLESS)
        if kind == "resize":
            repaint_all(app)
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
        st, status = app.session.stepper, app.query_one(StatusBar).text.plain  # the palette's Keys panel may hide it
        repaint_all(app)
        if f"step {st.position}/{st.total}" not in status:
            raise FuzzError(f"the status line says {status!r}, not step {st.position}/{st.total}")
        self.done.append(Action("key", self.final_key))
        self.summary.pressed.add(self.final_key)
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
        """The app ended on its own: fine just after enter, a click or a drag ending on the palette's Quit (it
        runs a moment after it is chosen), not after anything else."""
        if not any(a.kind in ("click", "drag") or a == Action("key", "enter") for a in self.done[-2:]):
            raise FuzzError(self._where(f"the app ended (exit code {app.return_code})"))
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


def _q_closes_a_dialog(app: App) -> bool:
    """q closes the help and the report screens and is typed into an input; nowhere else is it harmless
    (ctrl+q quits from anywhere).  Only while nothing runs: a run of the file that fails opens the error
    screen over whatever is on top, and q there quits."""
    quiet = all(worker.is_finished for worker in app.workers) and getattr(app, "job", None) is None
    return quiet and (isinstance(app.focused, Input) or isinstance(app.screen, HelpScreen | ReportScreen))


def _cell(app: App, arg: tuple) -> tuple[int, int]:
    """The cell at fractions (fx, fy) of the screen, whatever its size."""
    width, height = app.size
    return min(int(arg[0] * width), width - 1), min(int(arg[1] * height), height - 1)


def _mouse_events(kind: str, x: int, y: int, how: int | str) -> list[events.MouseEvent]:
    """The pointer moved to a cell, then a click (down and up, ``how`` times: 2 is a double click) or a turn of
    the wheel (``how``: up or down)."""
    if kind == "scroll":
        return [mouse_event(events.MouseMove, x, y), mouse_event(events.MouseScrollDown if how == "down" else
                                                      events.MouseScrollUp, x, y)]
    clicks = [mouse_event(event, x, y, button=1) for _ in range(how) for event in (events.MouseDown, events.MouseUp)]
    return [mouse_event(events.MouseMove, x, y), *clicks]


def mouse_event(kind: type[events.MouseEvent], x: int, y: int, button: int = 0) -> events.MouseEvent:
    """A mouse event as the terminal's driver posts it to the app."""
    return kind(None, x, y, 0, 0, button, False, False, False, screen_x=x, screen_y=y)


def _quits_on_click(app: App, x: int, y: int) -> bool:
    """A click on the key bar's ``q quit``."""
    try:
        widget, _ = app.get_widget_at(x, y)
    except Exception:  # no widget there (a screen too small to hold one)
        return False
    if not isinstance(widget, KeyBar):
        return False
    key = widget.key_at(x - widget.region.x)
    return key is not None and key.action.split(".")[-1] == "quit"


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
