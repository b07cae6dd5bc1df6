"""Benchmark the TUI where a user waits: a key to the changed screen, launch to the first screen, the worst step.

Usage: python benchmarks/bench_tui.py [--write] [--repeats N]   (--write replaces "## TUI" in benchmarks/RESULTS.md)
       python benchmarks/bench_tui.py --before DIR [--repeats N]   (the launch only, DIR's code against this)
       python benchmarks/bench_tui.py --before DIR --worst [--repeats N]   (the worst step at 10,000 nodes, paired)

Every figure is printed beside its target (issue 12):

* key to changed screen, headless: a key event is posted to the app at 160×48;
  the clock stops when the frame it causes has been composed and encoded as a
  terminal would be sent it (Textual's headless driver writes nothing, so the
  app's display step is wrapped to do the encoding and note the time).  Every
  step of each sample's walk (forward to the end, then back), and keys in the
  forward and backward passes of the 10,000-node graphs, a key every ~0.1 s as a
  user reads each step.  Target ≤ 20 ms on the samples, ≤ 33 ms at 10,000 nodes.
* key to changed screen in a real terminal: ``graphstep FILE`` runs in a tmux
  pane driven through tmux's control mode, where every byte the program writes
  arrives as an ``%output`` line; the clock runs from ``send-keys`` to the last
  byte of the screen update (no byte for 80 ms after it).
* launch to first screen in a real terminal: from typing ``graphstep FILE`` at a
  shell in that pane (Python start, imports, the file's run, layout, paint) to
  the screen showing ``step 0/``.  Target ≤ 0.4 s for the samples.  Bytecode is
  cached (a temporary ``PYTHONPYCACHEPREFIX``, one warm-up launch), as in an
  installed package: this environment sets ``PYTHONDONTWRITEBYTECODE``, which
  recompiles every graphstep module on each launch (shown separately).
* import time: ``python -X importtime -c 'import graphstep.tui.app'``.
* the worst step at 10,000 nodes (``benchmarks/graphs/chain.py``, ``wide.py``):
  key to changed screen for the first 300 steps of each pass, the wide
  concatenate's backward step among them, and for the 5 steps the stepper alone
  takes longest over the whole walk.  Target < 50 ms.

The machine may be shared: times are medians unless marked worst, and each
row's repeats are interleaved, not run back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import gc
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from textual import events

ROOT = Path(__file__).resolve().parent.parent
SIZE = (160, 48)
SAMPLES = sorted(p for p in (ROOT / "samples").glob("*.py") if "import torch" not in p.read_text())  # not PyTorch's
MLP = ROOT / "samples" / "mlp.py"
GRAPHS = {"chain": ROOT / "benchmarks" / "graphs" / "chain.py", "wide": ROOT / "benchmarks" / "graphs" / "wide.py"}
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
QUIET = 0.08  # seconds without output that end a screen update in the terminal
READING = 0.1  # seconds between keys
PYC = Path(tempfile.gettempdir()) / "graphstep-bench-pyc"


# ── headless: the frame a key causes ──
class FrameClock:
    """Notes when each frame of a headless app is composed and encoded, so a key can be timed to its frame."""

    def __init__(self, app) -> None:
        self.app, self.frames, self.arrived, self.cpu = app, [], asyncio.Event(), []
        app._display = self._display  # the headless driver writes nothing: encode as a terminal would be sent it

    def _display(self, screen, update) -> None:
        if update is not None and hasattr(update, "render_segments"):
            text = update.render_segments(self.app.console)
            self.frames.append((time.perf_counter(), text, time.thread_time()))
            self.arrived.set()

    async def press(self, key: str, timeout: float = 10.0) -> float | None:
        """Seconds from posting ``key`` to the last frame it caused (None: the screen did not change); the CPU
        time the app's thread spent meanwhile goes to ``cpu`` (what a busy machine does not inflate)."""
        self.frames.clear()
        self.arrived.clear()
        start, cpu = time.perf_counter(), time.thread_time()
        self.app.post_message(events.Key(key, key if len(key) == 1 else None))
        try:
            await asyncio.wait_for(self.arrived.wait(), timeout)
        except asyncio.TimeoutError:
            return None
        while True:  # a key may cause a second frame (a layout, a scrollbar): the screen has changed after it
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), 0.02)
            except asyncio.TimeoutError:
                self.cpu.append(self.frames[-1][2] - cpu)
                return self.frames[-1][0] - start

    async def settle(self, quiet: float = 0.05) -> None:
        """Wait until no frame has come for ``quiet`` seconds."""
        while True:
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), quiet)
            except asyncio.TimeoutError:
                return

    async def first_showing(self, text: str, timeout: float = 30.0) -> float:
        """perf_counter time of the first frame whose output contains ``text``."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            found = next((when for when, out, _ in self.frames if text in out), None)
            if found is not None:
                return found
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout)
        raise TimeoutError(text)


async def opened(path: Path, body: Callable, train: dict | None = None) -> object:
    """Run ``body(app, clock)`` on the app opened on ``path`` (``graphstep FILE --train …`` with ``train``) once its
    first screen is up."""
    from graphstep.core import heap
    from graphstep.tui.app import GraphstepApp
    from graphstep.tui.session import Session

    getattr(heap, "own_heap", lambda: None)()  # as the graphstep program (cli.main) says; before it existed,
    # every app froze its heap once the file was loaded
    app = GraphstepApp(str(path), Session(str(path), train=train))
    clock = FrameClock(app)
    async with app.run_test(size=SIZE) as pilot:
        await clock.first_showing("step 0/")
        await app.workers.wait_for_complete()
        await pilot.pause()
        return await body(app, clock)


Keys = list[tuple[float, float, int]]  # per key: (ms to the changed screen, ms of the app thread's CPU, step)


async def pressed(clock: FrameClock, key: str, st) -> tuple[float, float, int] | None:
    """Press ``key`` and time it, then read the screen for a moment as a user does (what runs when keys pause, the
    next step's layout, runs then)."""
    took = await clock.press(key)
    await asyncio.sleep(READING)
    return None if took is None else (took * 1e3, clock.cpu[-1] * 1e3, st.position)


async def sample_keys(path: Path) -> Keys:
    """Every key of a sample's whole walk: n to the end, then p back to the start."""
    async def body(app, clock):
        st, found = app.session.stepper, []
        for key in ["n"] * st.total + ["p"] * st.total:
            found.append(await pressed(clock, key, st))
        return [k for k in found if k is not None]
    return await opened(path, body)


async def training_keys(path: Path, train: dict, iterations: int = 2) -> Keys:
    """``graphstep FILE --train …``: n through ``iterations`` iterations (forward, backward, every update, the
    plot growing), then p back across them."""
    async def body(app, clock):
        training, found = app.session.training, []
        steps = iterations * training.steps_per_iteration
        for key in ["n"] * steps + ["p"] * steps:
            found.append(await pressed(clock, key, training))
        return [k for k in found if k is not None]
    return await opened(path, body, train=train)


async def heat_keys(path: Path) -> Keys:
    """``h`` on (the graph coloured by gradient norm), then the whole walk there and back."""
    async def body(app, clock):
        st, found = app.session.stepper, []
        await clock.press("h")
        for key in ["n"] * st.total + ["p"] * st.total:
            found.append(await pressed(clock, key, st))
        return [k for k in found if k is not None]
    return await opened(path, body)


async def graph_keys(path: Path, steps: int = 300, worst: list[int] = ()) -> dict[str, Keys]:
    """Keys at 10,000 nodes: the first ``steps`` of each pass (n, n, n, p), then a key onto each ``worst`` step
    (the stepper's slowest)."""
    async def body(app, clock):
        st, found = app.session.stepper, {"forward": [], "backward": [], "worst": []}
        for phase, start in (("forward", "restart"), ("backward", "forward_end")):
            getattr(app, f"action_{start}")()
            await clock.settle()  # the jump's own repaint
            for k in range(steps):
                found[phase].append(await pressed(clock, "p" if k % 4 == 3 else "n", st))
        for k in worst:
            st.run_to(k - 1)
            app.tick += 1
            await clock.settle()
            found["worst"].append(await pressed(clock, "n", st))
        return {phase: [k for k in keys if k is not None] for phase, keys in found.items()}
    return await opened(path, body)


def stepper_worst(path: Path, count: int = 5) -> list[tuple[float, int, str]]:
    """(ms, step, what) of the ``count`` steps the stepper alone takes longest on, over a second walk (the
    first warms what a process does once), the heap frozen as the TUI freezes it."""
    import graphstep as gs

    graph = gs.trace(gs.load(str(path)))
    st, times = gs.Stepper(graph), []
    while st.step() is not None:  # warm what a process does once (the formulas' naming, caches)
        pass
    st.reset()
    gc.freeze()  # as the TUI does once the graph is loaded (``settle_heap``)
    while not st.done:
        start = time.perf_counter()
        st.step()
        times.append(((time.perf_counter() - start) * 1e3, st.position))
    gc.unfreeze()
    return [(ms, k, f"{st.phase_of(k)} {st.record(k).op} {st.record(k).name}")
            for ms, k in sorted(times, reverse=True)[:count]]


def worst_steps() -> dict[str, dict]:
    """The worst-step measure of each 10,000-node graph as ``measure`` takes it, in this process: the stepper's 5
    slowest steps, then keys headless over the first 300 steps of each pass and onto those 5 (the child that
    ``paired_worst`` runs on each checkout)."""
    import graphstep

    found: dict[str, dict] = {"graphstep": graphstep.__file__}
    for name, path in GRAPHS.items():
        slowest = stepper_worst(path)
        keys = asyncio.run(graph_keys(path, worst=[k for _, k, _ in slowest]))
        found[name] = {"slowest": slowest, "keys": keys["forward"] + keys["backward"] + keys["worst"],
                       "onto_slowest": keys["worst"][:1]}
    return found


def paired_worst(before: Path, repeats: int) -> list[tuple[str, str, str]]:
    """The worst step at 10,000 nodes with graphstep at ``before`` (another checkout of the old code) and with this
    one, each run in a fresh process (``worst_steps``), alternating, the order flipped every repeat: rows of
    medians and ranges over the repeats."""
    roots = {"before": before.resolve(), "after": ROOT}
    runs: dict[str, list[dict]] = {who: [] for who in roots}
    for k in range(repeats):
        for who in (list(roots) if k % 2 == 0 else list(roots)[::-1]):
            print(f"worst steps, {who}, run {k + 1}/{repeats} …", flush=True)
            env = {**os.environ, "PYTHONPATH": str(roots[who])}
            out = subprocess.run([sys.executable, __file__, "--worst-child"], env=env, check=True,
                                 capture_output=True, text=True).stdout
            run = json.loads(out.splitlines()[-1])
            if not Path(run["graphstep"]).is_relative_to(roots[who]):
                raise SystemExit(f"the {who} run imported {run['graphstep']}, not graphstep from {roots[who]}")
            runs[who].append(run)

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} ms ({min(values):.1f}–{max(values):.1f})"

    def column(who: str, name: str, pick: Callable[[dict], float]) -> str:
        return spread([pick(run[name]) for run in runs[who]])

    rows = []
    for name in GRAPHS:
        step = runs["after"][0][name]["slowest"][0]
        measures = [
            (f"slowest step of the stepper alone, `{name}.py` (`Stepper.step`; after: step {step[1]:,}, "
             f"{step[2]})", lambda g: g["slowest"][0][0]),
            (f"key onto the stepper's slowest step, headless, `{name}.py`, CPU", lambda g: g["onto_slowest"][0][1]),
            (f"… the same key, to the changed screen, `{name}.py`", lambda g: g["onto_slowest"][0][0]),
            (f"worst step, headless, `{name}.py` (of 600 keys and the stepper's 5 slowest): the longest wait",
             lambda g: max(k[0] for k in g["keys"])),
            (f"… and the key with the most CPU, `{name}.py`", lambda g: max(k[1] for k in g["keys"])),
        ]
        rows += [(what, column("before", name, pick), column("after", name, pick)) for what, pick in measures]
    return rows


# ── a real terminal: tmux in control mode ──
class Terminal:
    """A shell in a tmux pane on a server of its own, driven through control mode: every byte the pane's program
    writes arrives as an ``%output`` line, stamped when it arrives; commands go in on stdin."""

    def __init__(self, size: tuple[int, int] = SIZE) -> None:
        self.socket = f"gsbench{os.getpid()}x{time.monotonic_ns()}"
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(["tmux", "-L", self.socket, "-f", "/dev/null", "-C", "new-session", "-x",
                                      str(size[0]), "-y", str(size[1]), "-c", str(ROOT), "sh"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_quiet(0.2, timeout=3.0)  # the shell's prompt

    def _read(self) -> None:
        fd, pending = self.proc.stdout.fileno(), b""
        while data := os.read(fd, 1 << 16):
            now = time.perf_counter()
            *lines, pending = (pending + data).split(b"\n")
            with self.lock:
                self.chunks += [(now, line.split(b" ", 2)[2]) for line in lines if line.startswith(b"%output ")]

    def command(self, text: str) -> float:
        """Send one tmux command; the time it was sent."""
        sent = time.perf_counter()
        self.proc.stdin.write(text.encode() + b"\n")
        return sent

    def wait_quiet(self, quiet: float, since: int = 0, timeout: float = 10.0) -> float | None:
        """Wait until no output for ``quiet`` s after output beyond chunk ``since``; the last chunk's time."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                last = self.chunks[-1][0] if len(self.chunks) > since else None
            if last is not None and time.perf_counter() - last > quiet:
                return last
            time.sleep(0.002)
        return None

    def launch(self, command: str, until: bytes, timeout: float = 30.0) -> tuple[float, float]:
        """Type ``command`` at the shell: (seconds from Enter to the output that completes ``until``, seconds to
        the last output that changed a character of the screen, its colours aside)."""
        with self.lock:
            since = len(self.chunks)
        self.command(f"send-keys -t 0 -l {shlex.quote(command)}")
        sent = self.command("send-keys -t 0 Enter")
        deadline = sent + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                chunks = self.chunks[since:]
            seen = b""
            for when, chunk in chunks:
                seen = seen[-len(until):] + chunk
                if until in seen:
                    self.wait_quiet(0.4, since)
                    return when - sent, self._settled(since) - sent
            time.sleep(0.002)
        raise TimeoutError(until)

    def _settled(self, since: int) -> float:
        """When the screen took its final text: the time of the last chunk (after ``since``) that changed it."""
        with self.lock:
            chunks = self.chunks[since:]
        screen, decode, texts = Screen(*SIZE), codecs.getincrementaldecoder("utf-8")("replace").decode, []
        for when, chunk in chunks:  # control mode writes bytes below 32 and backslashes as \ooo
            screen.feed(decode(re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), chunk)))
            texts.append((when, screen.text()))
        final, last = texts[-1][1], texts[-1][0]
        for when, text in reversed(texts):
            if text != final:
                break
            last = when
        return last

    def press(self, key: str) -> float | None:
        """Seconds from sending ``key`` to the last byte of the screen update it caused (None: nothing changed)."""
        with self.lock:
            since = len(self.chunks)
        sent = self.command(f"send-keys -t 0 {key}")
        last = self.wait_quiet(QUIET, since, timeout=5.0)
        return None if last is None else last - sent

    def close(self) -> None:
        try:
            self.command("kill-server")
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        socket_dir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (socket_dir / self.socket).unlink(missing_ok=True)  # a server killed this way leaves its socket


class Screen:
    """Just enough of a terminal to know what Textual's output shows: cursor moves and characters, no colours."""

    TOKEN = re.compile(r"\x1b\[([0-9;?<>=]*)([A-Za-z@`])"  # a control sequence: a cursor move, a style…
                       r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b."  # an operating system command, an escape
                       r"|([\r\n])|([^\x1b\r\n]+)")  # a line break, text

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]
        self.y = self.x = 0

    def feed(self, text: str) -> None:
        for params, final, control, chars in self.TOKEN.findall(text):
            if final in ("H", "f"):
                row, col, *_ = [int(p) if p.isdigit() else 1 for p in params.split(";")] + [1, 1]
                self.y, self.x = row - 1, col - 1
            elif final == "J" and params in ("2", "3"):
                self.rows = [[" "] * self.width for _ in range(self.height)]
            elif control == "\n":
                self.y += 1
            elif control == "\r":
                self.x = 0
            for ch in chars:
                if 0 <= self.y < self.height and 0 <= self.x < self.width:
                    self.rows[self.y][self.x] = ch
                self.x += cell_len(ch)

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.rows)


def program(cached: bool = True, root: Path = ROOT) -> str:
    """The command a user types, on the checkout at ``root``; bytecode cached as an installed package has it."""
    exe = Path(sys.executable).with_name("graphstep")
    run = str(exe) if exe.exists() else f"{sys.executable} -m graphstep.cli"
    env = f"-u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX={PYC}" if cached else "PYTHONDONTWRITEBYTECODE=1"
    return f"env {env} PYTHONPATH={root} {run}"


def terminal_launch(path: Path, cached: bool = True, root: Path = ROOT) -> tuple[float, float]:
    """Seconds from typing ``graphstep FILE`` in a fresh tmux pane to ``step 0/`` on screen, and to the screen's
    final text (the key hints, which Textual's footer adds a moment later, included); graphstep from ``root``."""
    term = Terminal()
    try:
        return term.launch(f"exec {program(cached, root)} {shlex.quote(str(path.relative_to(ROOT)))}", b"step 0/")
    finally:
        term.close()


def paired_launches(before: Path, repeats: int, paths: list[Path]) -> list[tuple[str, str, str]]:
    """Launch to first screen of graphstep at ``before`` (another checkout: ``git worktree add DIR HEAD``) and of
    this one, alternating launch by launch (the order flipped every repeat), so that a busy moment of a shared
    machine hits both alike: rows of medians and ranges."""
    roots = {"before": before.resolve(), "after": ROOT}
    for root in roots.values():
        terminal_launch(paths[0], root=root)  # writes the bytecode
    runs = {(who, p): [] for who in roots for p in paths}
    for k in range(repeats):
        for path in paths:
            for who in (list(roots) if k % 2 == 0 else list(roots)[::-1]):
                runs[who, path].append(terminal_launch(path, root=roots[who]))

    def spread(times: list[float]) -> str:
        return f"{statistics.median(times):.2f} s ({min(times):.2f}–{max(times):.2f})"

    rows = []
    for path in paths:
        first = {who: [f for f, _ in runs[who, path]] for who in roots}
        final = {who: [s for _, s in runs[who, path]] for who in roots}
        rows.append((f"launch to `step 0/`, real terminal, `{path.name}`", spread(first["before"]),
                     spread(first["after"])))
        rows.append((f"… to the final screen (key hints included), `{path.name}`", spread(final["before"]),
                     spread(final["after"])))
    return rows


def terminal_keys(path: Path, keys: list[str], first: str = "") -> list[float]:
    """ms from each key to the changed screen in tmux (``first`` is pressed untimed before them)."""
    term = Terminal()
    try:
        term.launch(f"exec {program()} {shlex.quote(str(path.relative_to(ROOT)))}", b"step 0/")
        term.wait_quiet(0.5)
        if first:
            term.press(first)
        times = []
        for key in keys:
            took = term.press(key)
            if took is not None:
                times.append(took * 1e3)
            time.sleep(READING)
        return times
    finally:
        term.close()


# ── imports ──
def import_times(repeats: int) -> tuple[float, float, list[tuple[float, str]]]:
    """(median wall s of ``python -c 'import graphstep.tui.app'``, importtime's ms, its 8 costliest packages)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(PYC)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-c", "import graphstep.tui.app"]
    subprocess.run(command, env=env, check=True)  # writes the bytecode
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        walls.append(time.perf_counter() - start)
    report = subprocess.run([sys.executable, "-X", "importtime", *command[1:]], env=env, check=True,
                            capture_output=True, text=True).stderr
    rows = re.findall(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", report)
    total = max(int(cumulative) for _, cumulative, _, _ in rows) / 1e3
    packages: dict[str, float] = {}
    for own, _, _, name in rows:
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + int(own) / 1e3
    return statistics.median(walls), total, sorted(((ms, name) for name, ms in packages.items()), reverse=True)[:8]


# ── the table ──
def ms(keys: Keys) -> str:
    """``13.1 ms (worst 41), CPU 7.9``: the median and worst wall time of the keys, and the median CPU time."""
    if not keys:
        return "—"
    walls, cpus = [k[0] for k in keys], [k[1] for k in keys]
    return f"{statistics.median(walls):.1f} ms (worst {max(walls):.0f}), CPU {statistics.median(cpus):.1f}"


def ms_wall(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} ms (worst {max(times):.0f})" if times else "—"


def verdict(keys: Keys | list[float], target: float) -> str:
    """✓ when the median (of keys: their wall time) is within ``target``."""
    walls = [k[0] if isinstance(k, tuple) else k for k in keys]
    return "✓" if walls and statistics.median(walls) <= target else "✗"


def measure(repeats: int) -> list[tuple[str, str, str]]:
    """Every row: (what, result, target with ✓ or ✗)."""
    rows = []
    tmux = shutil.which("tmux") is not None
    print("imports …", flush=True)
    wall, total, packages = import_times(repeats)
    rows.append(("`import graphstep.tui.app`, wall (with `-X importtime`: "
                 f"{total:.0f} ms; {', '.join(f'{n} {m:.0f}' for m, n in packages[:6])})", f"{wall:.2f} s", ""))
    if tmux:
        print("launch in tmux …", flush=True)
        terminal_launch(SAMPLES[0])  # writes the bytecode
        launches: dict[str, list[tuple[float, float]]] = {p.stem: [] for p in SAMPLES}
        for _ in range(repeats):  # interleaved: a busy moment hits every sample alike
            for path in SAMPLES:
                launches[path.stem].append(terminal_launch(path))
        first = {name: statistics.median(f for f, _ in v) for name, v in launches.items()}
        final = {name: statistics.median(s for _, s in v) for name, v in launches.items()}
        slowest = max(first, key=first.get)
        rows.append(("launch to first screen, real terminal, `graphstep samples/mlp.py` (then every character "
                     "final, key hints included)", f"{first['mlp']:.2f} s (then {final['mlp']:.2f} s)",
                     f"≤ 0.4 s {verdict([first['mlp']], 0.4)}"))
        rows.append((f"launch to first screen, real terminal, slowest of the {len(SAMPLES)} samples ({slowest}.py)",
                     f"{first[slowest]:.2f} s (then {final[slowest]:.2f} s)",
                     f"≤ 0.4 s {verdict([first[slowest]], 0.4)}"))
        cold = statistics.median(terminal_launch(MLP, cached=False)[0] for _ in range(repeats))
        rows.append(("launch to first screen, `samples/mlp.py`, no bytecode cache (`PYTHONDONTWRITEBYTECODE=1`, "
                     "as this environment sets it)", f"{cold:.2f} s", ""))
        for name, path in GRAPHS.items():
            big = statistics.median(terminal_launch(path)[0] for _ in range(repeats))
            rows.append((f"launch to first screen, real terminal, `{name}.py` (10,000 nodes)", f"{big:.2f} s", ""))
    print("keys headless, samples …", flush=True)
    every = []
    for path in SAMPLES:
        keys = asyncio.run(sample_keys(path))
        every += keys
        if path == MLP:
            rows.append(("key to changed screen, headless, `samples/mlp.py` (every step there and back)",
                         ms(keys), f"≤ 20 ms {verdict(keys, 20)}"))
    rows.append((f"key to changed screen, headless, all {len(SAMPLES)} samples (every step there and back)",
                 ms(every), f"≤ 20 ms {verdict(every, 20)}"))
    print("keys headless, training and heat …", flush=True)
    keys = asyncio.run(training_keys(MLP, {"iterations": 20, "lr": 0.05, "optimizer": "adam"}))
    rows.append(("key to changed screen, headless, `graphstep samples/mlp.py --train 20 --optimizer adam` (two "
                 "iterations there and back, updates and the loss plot included)", ms(keys),
                 f"≤ 20 ms {verdict(keys, 20)}"))
    keys = asyncio.run(heat_keys(MLP))
    rows.append(("key to changed screen, headless, `samples/mlp.py` with `h` (the graph coloured by gradient norm)",
                 ms(keys), f"≤ 20 ms {verdict(keys, 20)}"))
    if tmux:
        print("keys in tmux …", flush=True)
        times = terminal_keys(MLP, ["n"] * 15 + ["p"] * 15)
        rows.append(("key to changed screen, real terminal, `samples/mlp.py` (every step there and back)",
                     ms_wall(times), f"≤ 20 ms {verdict(times, 20)}"))
        for name, path in GRAPHS.items():
            times = terminal_keys(path, ["n", "n", "n", "p"] * 8, first="f")
            rows.append((f"key to changed screen, real terminal, `{name}.py` (backward pass)", ms_wall(times),
                         f"≤ 33 ms {verdict(times, 33)}"))
    for name, path in GRAPHS.items():
        print(f"{name}: stepper alone …", flush=True)
        slowest = stepper_worst(path)
        print(f"{name}: keys headless …", flush=True)
        found = asyncio.run(graph_keys(path, worst=[k for _, k, _ in slowest]))
        for phase in ("forward", "backward"):
            rows.append((f"key to changed screen, headless, `{name}.py`, first 300 steps of the {phase} pass",
                         ms(found[phase]), f"≤ 33 ms {verdict(found[phase], 33)}"))
        every, named = found["forward"] + found["backward"] + found["worst"], {k: w for _, k, w in slowest}
        took, cpu, step = max(every)
        busiest = max(every, key=lambda key: key[1])  # the most work: the worst wall time may be the machine's
        rows.append((f"worst step, headless, `{name}.py` (of the 600 above and the stepper's 5 slowest): the "
                     "longest wait, and the key with the most CPU",
                     f"{took:.0f} ms, CPU {cpu:.0f} (step {step:,}{': ' + named[step] if step in named else ''}); "
                     f"CPU {busiest[1]:.0f} ms (step {busiest[2]:,}"
                     f"{': ' + named[busiest[2]] if busiest[2] in named else ''})",
                     f"< 50 ms {'✓' if took < 50 else '✗'}"))
        alone, step, what = slowest[0]
        rows.append((f"slowest step of the stepper alone, `{name}.py` (no TUI: `graphstep/core`)",
                     f"{alone:.1f} ms (step {step:,}: {what})", f"< 50 ms {'✓' if alone < 50 else '✗'}"))
    return rows


def section(rows: list[tuple[str, str, str]], repeats: int) -> str:
    lines = ["## TUI", "",
             f"`python benchmarks/bench_tui.py --write` ({platform.machine()}, {os.cpu_count()} cores shared with "
             f"other work, Python {platform.python_version()}, Textual at {SIZE[0]}×{SIZE[1]}; medians of {repeats} "
             "interleaved runs or of every key, worst marked). Key to changed screen: from the key to the last "
             "byte of the screen update (tmux control mode) or to the composed and encoded frame (headless). "
             "Launch: from typing the command at a shell in a tmux pane to `step 0/` on screen, bytecode cached.", "",
             "| measure | result | target |", "|---|---:|---:|"]
    lines += [f"| {what} | {result} | {target} |" for what, result, target in rows]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace (or append) the "## TUI" section of RESULTS.md, leaving every other section alone."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## TUI\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


# ── kept for bench_scale.py, which imports them ──
async def first_screen(target: str) -> float:
    """Seconds from creating the app to its first screen, headless (the file run and laid out)."""
    from graphstep.core import heap
    from graphstep.tui.app import GraphstepApp

    getattr(heap, "own_heap", lambda: None)()  # as the graphstep program (older checkouts: always)
    start = time.perf_counter()
    app = GraphstepApp(target)
    clock = FrameClock(app)
    async with app.run_test(size=SIZE):
        return await clock.first_showing("step 0/") - start


async def walk(app, pilot, start: str, steps: int) -> tuple[list[float], float]:
    """Seconds per step (the action, then a full repaint: next, next, next, back from ``start``), and the median
    ms of Pilot's key round trip minus the same for a key bound to nothing."""
    getattr(app, f"action_{start}")()
    app.screen._compositor.render_update(full=True)
    inproc = []
    for k in range(steps):
        begin = time.perf_counter()
        app.action_next() if k % 4 != 3 else app.action_step_back()
        app.screen._compositor.render_update(full=True)
        inproc.append(time.perf_counter() - begin)
    getattr(app, f"action_{start}")()
    trips, idle = [], []
    for k in range(steps // 2):
        begin = time.perf_counter()
        await pilot.press("n" if k % 4 != 3 else "p")
        trips.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        await pilot.press("k")  # bound to nothing
        idle.append(time.perf_counter() - begin)
    return inproc, max(0.0, statistics.median(trips) - statistics.median(idle)) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per launch figure (default 3)")
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/RESULTS.md")
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="paired: graphstep at DIR (a worktree of the old code) against this checkout, the "
                             "launch of mlp.py and batchnorm.py, or with --worst the worst step (medians and ranges)")
    parser.add_argument("--worst", action="store_true",
                        help="with --before: the worst step at 10,000 nodes instead of the launch, each checkout in "
                             "fresh processes, alternating")
    parser.add_argument("--worst-child", action="store_true", help=argparse.SUPPRESS)  # one run of paired_worst
    args = parser.parse_args()
    if args.worst_child:
        print(json.dumps(worst_steps()))
        return 0
    if args.before is not None:
        rows = paired_worst(args.before, args.repeats) if args.worst else \
            paired_launches(args.before, args.repeats, [MLP, ROOT / "samples" / "batchnorm.py"])
        print("| measure | before | after |\n|---|---:|---:|")
        print("\n".join(f"| {what} | {old} | {new} |" for what, old, new in rows))
        return 0
    text = section(measure(args.repeats), args.repeats)
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
