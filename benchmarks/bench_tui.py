"""Benchmark the TUI: launch to first screen, key press to repainted screen, terminal layout.

Usage: python benchmarks/bench_tui.py [--write]   (--write updates "## TUI" in benchmarks/RESULTS.md)

"Step" is measured three ways at 160×48: *in-process* is the action plus a
full repaint of the screen (compositor render of every widget); *round trip* is
Pilot's press-and-wait-for-idle, minus the same round trip for a key bound to
nothing; *real terminal* runs ``graphstep`` in tmux, sends a key and polls
``capture-pane`` until the screen changes (what a user waits for, including
Textual's frame timer and the terminal; skipped without tmux).
"""

from __future__ import annotations

import asyncio
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (160, 48)


def chain_file(n_layers: int) -> Path:
    """A generated computation of about 2,000 nodes: a deep tanh/matmul chain with residual adds."""
    text = f'''import numpy as np
import graphstep as gs
from graphstep import numpy as gnp

@gs.computation
def deep():
    rng = np.random.default_rng(0)
    h = gs.input(rng.standard_normal((4, 8)), name="X")
    for k in range({n_layers}):
        W = gs.param(rng.standard_normal((8, 8)) * 0.3, name=f"W{{k}}")
        h = h + gnp.tanh(h @ W)
    return gnp.mean(h ** 2)
'''
    path = Path(tempfile.mkdtemp()) / "deep.py"
    path.write_text(text)
    return path


async def first_screen(target: str) -> float:
    from graphstep.tui.app import GraphstepApp

    start = time.perf_counter()
    app = GraphstepApp(target)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()  # the app runs the file off the UI thread
        await pilot.pause()
        app.screen._compositor.render_update(full=True)
        return time.perf_counter() - start


async def step_times(target: str, steps: int = 60) -> tuple[float, float, int]:
    """(in-process ms per step, round-trip ms per step, nodes)."""
    from graphstep.tui.app import GraphstepApp

    app = GraphstepApp(target)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()  # the app runs the file off the UI thread
        await pilot.pause()
        inproc, trip = await walk(app, pilot, "forward_end", steps)
        nodes = len(app.session.graph)
    return statistics.median(inproc) * 1e3, trip, nodes


async def walk(app, pilot, start: str, steps: int) -> tuple[list[float], float]:
    """Seconds per step (action + full repaint, next, next, next, back from ``start``), and the median ms of
    Pilot's key round trip minus the same for a key bound to nothing."""
    getattr(app, f"action_{start}")()
    app.screen._compositor.render_update(full=True)
    inproc = []
    for k in range(steps):
        begin = time.perf_counter()
        app.action_next() if k % 4 != 3 else app.action_back()
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


def terminal_latency(target: str, presses: int = 40) -> tuple[float, float] | None:
    """(seconds from launch to first screen, median ms from a key to a changed screen) in tmux; None without tmux."""
    if shutil.which("tmux") is None:
        return None
    launched = time.perf_counter()
    session = f"gsbench{time.monotonic_ns()}"
    command = f"{sys.executable} -m graphstep.cli {target}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(SIZE[0]), "-y", str(SIZE[1]), command],
                   check=True)

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    try:
        deadline = time.monotonic() + 20
        while "step 0/" not in screen() and time.monotonic() < deadline:
            time.sleep(0.01)
        first = time.perf_counter() - launched
        subprocess.run(["tmux", "send-keys", "-t", session, "f"], check=True)
        time.sleep(1.0)
        waits = []
        for k in range(presses):
            before = screen()
            start = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", session, "n" if k % 2 == 0 else "p"], check=True)
            while screen() == before and time.perf_counter() - start < 2:
                pass
            waits.append(time.perf_counter() - start)
            time.sleep(0.1)
        return first, statistics.median(waits) * 1e3
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def layout_time(n: int = 5000) -> float:
    from graphstep.render.layout import layout

    rng = random.Random(0)
    inputs = {k: tuple(sorted({rng.randrange(max(0, k - 30), k) for _ in range(rng.choice([1, 2, 2]))}))
              if k >= 20 else () for k in range(n)}
    labels = {k: f"n{k}  add  (8×16)" for k in range(n)}
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        layout(range(n), inputs, labels)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> int:
    mlp = str(ROOT / "samples" / "mlp.py")
    big = str(chain_file(499))
    launch = asyncio.run(first_screen(mlp))
    mlp_in, mlp_trip, mlp_nodes = asyncio.run(step_times(mlp))
    big_launch = asyncio.run(first_screen(big))
    big_in, big_trip, big_nodes = asyncio.run(step_times(big))
    lay = layout_time()
    mlp_term, big_term = terminal_latency(mlp), terminal_latency(big)
    term = (f"| launch to first screen in a real terminal (tmux; Python start and imports included), "
            f"samples/mlp.py | {mlp_term[0]:.2f} s | < 1.5 s |\n"
            f"| key press to changed screen in a real terminal (tmux), samples/mlp.py | {mlp_term[1]:.1f} ms | |\n"
            f"| key press to changed screen in a real terminal (tmux), {big_nodes:,}-node graph | "
            f"{big_term[1]:.1f} ms | < 50 ms |") if mlp_term and big_term else "| real terminal | skipped (no tmux) | |"
    lines = [
        "## TUI",
        "",
        f"`python benchmarks/bench_tui.py --write` ({platform.machine()}, Python {platform.python_version()}, "
        f"headless Textual at {SIZE[0]}×{SIZE[1]}; medians).",
        "",
        "| measure | result | target |",
        "|---|---:|---:|",
        f"| launch to first screen, samples/mlp.py | {launch:.2f} s | < 1.5 s |",
        f"| launch to first screen, generated {big_nodes:,}-node graph | {big_launch:.2f} s | |",
        f"| step (action + full repaint), samples/mlp.py ({mlp_nodes} nodes) | {mlp_in:.1f} ms | |",
        f"| step (action + full repaint), {big_nodes:,}-node graph | {big_in:.1f} ms | < 50 ms |",
        f"| step (Pilot key round trip minus idle key), samples/mlp.py | {mlp_trip:.1f} ms | |",
        f"| step (Pilot key round trip minus idle key), {big_nodes:,}-node graph | {big_trip:.1f} ms | < 50 ms |",
        f"| terminal layout of 5,000 nodes (generations + barycenter + routing) | {lay:.2f} s | < 1 s |",
        term,
    ]
    print("\n".join(lines))
    if "--write" in sys.argv:
        write_section(ROOT / "benchmarks" / "RESULTS.md", "\n".join(lines) + "\n")
    return 0


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the "## TUI" section, leaving every other section alone."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## TUI\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text)
    path.write_text(pattern.sub(lambda _: section + "\n", text) if found else text.rstrip("\n") + "\n\n" + section)


if __name__ == "__main__":
    sys.exit(main())
