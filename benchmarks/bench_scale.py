"""Benchmark graphstep at 10,000 nodes: ``python benchmarks/bench_scale.py [--repeats N] [--write]``.

Two generated computations are measured side by side: ``benchmarks/graphs/chain.py``
(1,000 residual blocks in a ``for`` loop, 16,000 ranks deep in the layout) and
``benchmarks/graphs/wide.py`` (one input feeding 2,000 branches joined by one
``concatenate``).  For each: load + trace, the terminal layout, the TUI's first
screen (headless, and in a real terminal through tmux with Python start and
imports included), one step (in-process action + full repaint, median and
worst, in the forward and in the backward pass; and Pilot's key round trip),
node search (index build, then queries), and export to SVG with the default
folding.  Times are medians of ``--repeats`` runs unless marked worst.
``--write`` replaces the "## Scale" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import graphstep as gs
from graphstep.analysis.search import find_nodes
from graphstep.errors import GraphstepError
from graphstep.render.dot import to_dot
from graphstep.render.export import export
from graphstep.render.layout import layout_graph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tui import SIZE, first_screen, walk  # noqa: E402 - a sibling script, not a package

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = {"chain": ROOT / "benchmarks" / "graphs" / "chain.py", "wide": ROOT / "benchmarks" / "graphs" / "wide.py"}
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
QUERIES = ("W1_5", "w12", "a#99", "matmul", "op:matmul", "param", "kind:input", "line:20", "chain.py:21",
           "tanh line:20", "zzz")


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def step_times(path: str, start: str, steps: int = 40) -> tuple[float, float, float]:
    """(median ms, worst ms) of an action plus a full repaint, then the median Pilot round trip minus an idle key.

    ``start`` is the action that places the walk first (``restart``: forward
    pass; ``forward_end``: backward pass); steps go next, next, next, back.
    """
    from graphstep.tui.app import GraphstepApp

    app = GraphstepApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()  # the app runs the file off the UI thread
        await pilot.pause()
        inproc, trip = await walk(app, pilot, start, steps)
    return statistics.median(inproc) * 1e3, max(inproc) * 1e3, trip


def search_times(graph: gs.Graph) -> tuple[float, float, float]:
    """(index build ms, median query ms, worst query ms) over QUERIES, each query run 5 times."""
    start = time.perf_counter()
    find_nodes(graph, "X")
    build = time.perf_counter() - start
    times = []
    for query in QUERIES:
        for _ in range(5):
            start = time.perf_counter()
            find_nodes(graph, query)
            times.append(time.perf_counter() - start)
    return build * 1e3, statistics.median(times) * 1e3, max(times) * 1e3


def export_result(graph: gs.Graph, position: int, repeats: int) -> str:
    """Seconds to export an SVG of the state after ``position`` steps (default folding), boxes drawn; or the error."""
    stepper = gs.Stepper(graph).run_to(position)
    boxes = len(re.findall(r"^\s*(?:n\d+|sum_\w+) \[", to_dot(stepper), flags=re.M))
    out = Path(tempfile.mkdtemp()) / "scale.svg"
    try:
        seconds = median_time(lambda: export(stepper, out), repeats)
    except GraphstepError as err:
        return f"fails: {_failure(str(err))}"
    return f"{seconds:.2f} s ({boxes} boxes)"


def terminal_latency(path: str, presses: int = 30) -> tuple[float, float] | None:
    """(seconds from launch to first screen, median ms from a key to a changed screen) in tmux; None without tmux.

    Like bench_tui's, but on a tmux server of its own with PYTHONPATH set to this
    checkout, so the graphstep measured is this one whatever server is running.
    """
    if shutil.which("tmux") is None:
        return None
    socket, session = f"gsscale{os.getpid()}", "scale"
    tmux = ["tmux", "-L", socket]
    command = f"env PYTHONPATH={ROOT} {sys.executable} -m graphstep.cli {path}"
    launched = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-c", str(ROOT), "-x", str(SIZE[0]), "-y",
                    str(SIZE[1]), command], check=True)

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    try:
        deadline = time.monotonic() + 30
        while "step 0/" not in screen() and time.monotonic() < deadline:
            time.sleep(0.01)
        first = time.perf_counter() - launched
        subprocess.run([*tmux, "send-keys", "-t", session, "f"], check=True)
        time.sleep(1.0)
        waits = []
        for k in range(presses):
            before = screen()
            start = time.perf_counter()
            subprocess.run([*tmux, "send-keys", "-t", session, "n" if k % 2 == 0 else "p"], check=True)
            while screen() == before and time.perf_counter() - start < 5:
                pass
            waits.append(time.perf_counter() - start)
            time.sleep(0.1)
        return first, statistics.median(waits) * 1e3
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def _failure(message: str) -> str:
    """Graphviz's complaint in a few words: its HTML labels are limited to 16,384 characters."""
    if "String starting:<" in message:
        return "Graphviz rejects an HTML label over 16,384 characters"
    return message.splitlines()[0][-80:]


def measure(name: str, path: Path, repeats: int) -> dict[str, str]:
    """Every measure of one graph, as table cells."""
    print(f"{name}: tracing", flush=True)
    fn = gs.load(str(path))
    graph = gs.trace(fn)
    cells = {"nodes": f"{len(graph):,}"}
    cells["trace"] = f"{median_time(lambda: gs.trace(gs.load(str(path))), repeats):.2f} s"
    cells["layout"] = f"{median_time(lambda: layout_graph(graph), repeats):.2f} s"
    print(f"{name}: TUI", flush=True)
    cells["first"] = f"{statistics.median(asyncio.run(first_screen(str(path))) for _ in range(repeats)):.2f} s"
    for phase, start in (("forward", "restart"), ("backward", "forward_end")):
        med, worst, trip = asyncio.run(step_times(str(path), start))
        cells[f"step {phase}"] = f"{med:.1f} ms (worst {worst:,.0f} ms)"
        cells[f"trip {phase}"] = f"{trip:.1f} ms"
    build, query, worst = search_times(graph)
    cells["search"] = f"{query:.2f} ms (worst {worst:.2f} ms)"
    cells["index"] = f"{build:.0f} ms"
    print(f"{name}: export", flush=True)
    total = gs.Stepper(graph)
    cells["export end"] = export_result(graph, total.total, repeats)
    cells["export mid"] = export_result(graph, (total.forward_steps + total.total) // 2, repeats)
    print(f"{name}: real terminal", flush=True)
    term = terminal_latency(str(path))
    cells["term first"] = f"{term[0]:.2f} s" if term else "skipped (no tmux)"
    cells["term key"] = f"{term[1]:.1f} ms" if term else "skipped (no tmux)"
    return cells


ROWS = [  # (cell key, what is measured, target)
    ("nodes", "nodes", ""),
    ("trace", "load + trace", ""),
    ("layout", "terminal layout (`layout_graph`)", "≤ 1.5 s"),
    ("term first", "TUI launch to first screen, real terminal (tmux; Python start, imports, trace, layout)", "< 3 s"),
    ("first", "TUI launch to first screen, headless", "< 3 s"),
    ("step forward", "step, forward pass (action + full repaint)", "< 50 ms"),
    ("step backward", "step, backward pass (action + full repaint)", "< 50 ms"),
    ("trip forward", "step, forward pass (Pilot key round trip minus idle key)", "< 50 ms"),
    ("trip backward", "step, backward pass (Pilot key round trip minus idle key)", "< 50 ms"),
    ("term key", "key press to changed screen, real terminal (tmux; at the end of the forward pass)", "< 50 ms"),
    ("index", "search: index build (once per graph)", ""),
    ("search", f"search: one query ({len(QUERIES)} queries × 5)", "< 100 ms"),
    ("export end", "export SVG, default folding, after the last step", "< 10 s"),
    ("export mid", "export SVG, default folding, halfway through backward", "< 10 s"),
]


def table(results: dict[str, dict[str, str]]) -> str:
    names = list(results)
    lines = ["| measure | " + " | ".join(f"`{n}.py`" for n in names) + " | target |",
             "|---|" + "---:|" * len(names) + "---:|"]
    for key, what, target in ROWS:
        lines.append(f"| {what} | " + " | ".join(results[n][key] for n in names) + f" | {target} |")
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace (or append) the "## Scale" section of RESULTS.md, leaving every other section alone."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Scale\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/RESULTS.md")
    args = parser.parse_args()
    results = {name: measure(name, path, args.repeats) for name, path in GRAPHS.items()}
    section = "\n".join([
        "## Scale",
        "",
        f"`python benchmarks/bench_scale.py --write` ({platform.machine()}, Python {platform.python_version()}, "
        f"headless Textual at {SIZE[0]}×{SIZE[1]}; medians of {args.repeats} unless marked worst). "
        "`chain`: 1,000 residual blocks from a `for` loop; `wide`: one input feeding 2,000 branches joined by "
        "one `concatenate`. A step is measured over 40 steps (next, next, next, back) from the start of the "
        "pass; worst is the slowest of them.",
        "",
        table(results),
        "",
    ])
    print(section)
    if args.write:
        write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
