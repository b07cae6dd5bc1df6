"""Benchmark graphstep at 10,000 and 100,000 nodes: ``python benchmarks/bench_scale.py [--repeats N] [--write]``.

Four generated computations: ``benchmarks/graphs/chain.py`` (1,000 residual
blocks in a ``for`` loop) and ``wide.py`` (one input feeding 2,000 branches
joined by one ``concatenate``), about 10,000 nodes each, and ``chain_100k.py``
and ``wide_100k.py``, the same ten times larger.  For each: load + trace, the
grouping, the terminal layout, the TUI's first screen (headless, and in a real
terminal through tmux with Python start and imports included), ``e`` (run to
the end: the action and a full repaint), one step (median and worst, in the
forward and in the backward pass; and Pilot's key round trip), node search,
export to SVG with the default folding, and the whole ``graphstep run`` and
``graphstep export`` commands as a user types them (the table to /dev/null;
the export's peak memory).  Times are medians of ``--repeats`` runs unless
marked worst.  ``--write`` replaces the tables of the "## Scale" section of
benchmarks/RESULTS.md, keeping its "###" subsections.
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
from graphstep.analysis.grouping import group
from graphstep.analysis.search import find_nodes
from graphstep.errors import GraphstepError
from graphstep.render.dot import to_dot
from graphstep.render.export import export
from graphstep.render.layout import layout_graph, layout_view
from graphstep.render.view import describe, view_key

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_100k import tui_open  # noqa: E402
from bench_export import command  # noqa: E402 - sibling scripts, not a package
from bench_tui import SIZE, walk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = {name: ROOT / "benchmarks" / "graphs" / f"{name}.py" for name in ("chain", "wide", "chain_100k", "wide_100k")}
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
    boxes = len(re.findall(r'^\s*"?(?:n\d+|sum_[^ "]+)"? \[', to_dot(stepper), flags=re.M))
    out = Path(tempfile.mkdtemp()) / "scale.svg"
    try:
        seconds = median_time(lambda: export(stepper, out), repeats)
    except GraphstepError as err:
        return f"fails: {_failure(str(err))}"
    return f"{seconds:.2f} s ({boxes} boxes)"


def terminal(path: str, presses: int = 30) -> tuple[float, float, float] | None:
    """(seconds from launch to first screen, median ms from a key to a changed screen, seconds from ``e`` to the
    screen of the walk's end) in tmux; None without tmux.

    On a tmux server of its own with PYTHONPATH set to this checkout, so the
    graphstep measured is this one whatever server is running.
    """
    if shutil.which("tmux") is None:
        return None
    socket, session = f"gsscale{os.getpid()}", "scale"
    tmux = ["tmux", "-L", socket]
    command_line = f"env PYTHONPATH={ROOT} {sys.executable} -m graphstep.cli {path}"
    launched = time.perf_counter()
    subprocess.run([*tmux, "new-session", "-d", "-s", session, "-c", str(ROOT), "-x", str(SIZE[0]), "-y",
                    str(SIZE[1]), command_line], check=True)

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    def until(shown: Callable[[str], bool], limit: float = 120) -> float:
        start = time.perf_counter()
        while not shown(screen()) and time.perf_counter() - start < limit:
            time.sleep(0.01)
        return time.perf_counter() - start

    try:
        until(lambda s: "step 0/" in s)
        first = time.perf_counter() - launched
        subprocess.run([*tmux, "send-keys", "-t", session, "f"], check=True)
        time.sleep(1.0)
        waits = []
        for k in range(presses):
            before = screen()
            subprocess.run([*tmux, "send-keys", "-t", session, "n" if k % 2 == 0 else "p"], check=True)
            waits.append(until(lambda s, before=before: s != before, 5))
            time.sleep(0.1)
        total = re.search(r"step \d+/([\d,]+)", screen()).group(1)
        subprocess.run([*tmux, "send-keys", "-t", session, "e"], check=True)
        end = until(lambda s: f"step {total}/{total}" in s)
        return first, statistics.median(waits) * 1e3, end
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
    graph = gs.trace(gs.load(str(path)))
    cells = {"nodes": f"{len(graph):,}"}
    cells["trace"] = f"{median_time(lambda: gs.trace(gs.load(str(path))), repeats):.2f} s"
    cells["grouping"] = f"{median_time(lambda: group(graph), repeats):.2f} s"
    cells["view"] = f"{median_time(lambda: layout_view(graph, describe(graph, view_key(graph))), repeats):.2f} s"
    if len(graph) <= 20_000:  # a 100,000-node graph unfolded is not a view anyone reads
        cells["layout"] = f"{median_time(lambda: layout_graph(graph), repeats):.2f} s"
    print(f"{name}: TUI", flush=True)
    opened = [tui_open(ROOT, path) for _ in range(repeats)]  # each in a fresh process, as a user opens it
    cells["first"] = f"{statistics.median(o['first'] for o in opened):.2f} s"
    cells["end"] = f"{statistics.median(o['end'] for o in opened):.2f} s"
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
    print(f"{name}: commands", flush=True)
    seconds, _ = command(["run", str(path)], repeats)
    cells["run"] = f"{seconds:.2f} s"
    seconds, peak = command(["export", str(path), "-o", str(Path(tempfile.mkdtemp()) / "x.svg")], repeats)
    cells["export command"] = f"{seconds:.2f} s, {peak:.0f} MB"
    print(f"{name}: real terminal", flush=True)
    term = terminal(str(path))
    cells["term first"] = f"{term[0]:.2f} s" if term else "skipped (no tmux)"
    cells["term key"] = f"{term[1]:.1f} ms" if term else "skipped (no tmux)"
    cells["term end"] = f"{term[2]:.2f} s" if term else "skipped (no tmux)"
    return cells


ROWS = [  # (cell key, what is measured, target at 10,000 nodes, target at 100,000 nodes)
    ("nodes", "nodes", "", ""),
    ("trace", "load + trace", "", ""),
    ("grouping", "grouping (calls, loops, iterations, repeats: `graph.grouping`)", "", ""),
    ("view", "the view the TUI opens on (`describe` + `layout_view`, repeats folded)", "", ""),
    ("layout", "terminal layout of every node (`layout_graph`, `z` unfolds)", "≤ 1.5 s", ""),
    ("term first", "TUI launch to first screen, real terminal (tmux; Python start, imports, trace, layout)", "< 3 s",
     "≤ 2 s"),
    ("first", "TUI launch to first screen, headless (a fresh process: app created → first frame)", "< 3 s", "≤ 2 s"),
    ("end", "`e` (run to the end) from the first screen, headless: the action and a full repaint", "", "≤ 1 s"),
    ("term end", "`e` to the screen of the walk's end, real terminal (tmux)", "", "≤ 1 s"),
    ("step forward", "step, forward pass (action + full repaint)", "< 50 ms", ""),
    ("step backward", "step, backward pass (action + full repaint)", "< 50 ms", ""),
    ("trip forward", "step, forward pass (Pilot key round trip minus idle key)", "< 50 ms", ""),
    ("trip backward", "step, backward pass (Pilot key round trip minus idle key)", "< 50 ms", ""),
    ("term key", "key press to changed screen, real terminal (tmux; at the end of the forward pass)", "< 50 ms", ""),
    ("index", "search: index build (once per graph, at the first search)", "", ""),
    ("search", f"search: one query ({len(QUERIES)} queries × 5)", "< 100 ms", ""),
    ("export end", "export SVG, default folding, after the last step (in-process)", "< 10 s", ""),
    ("export mid", "export SVG, default folding, halfway through backward (in-process)", "< 10 s", ""),
    ("run", "`graphstep run FILE` (the whole command; its table to /dev/null)", "", "≤ 3 s"),
    ("export command", "`graphstep export FILE -o x.svg` (the whole command, default folding; peak memory)", "",
     "≤ 3 s, < 200 MB"),
]


def table(results: dict[str, dict[str, str]], names: list[str], target: int) -> str:
    """The rows measured for ``names``, with the targets of column ``target`` of ROWS (2: 10,000; 3: 100,000)."""
    lines = ["| measure | " + " | ".join(f"`{n}.py`" for n in names) + " | target |",
             "|---|" + "---:|" * len(names) + "---:|"]
    for row in ROWS:
        if any(row[0] in results[n] for n in names):
            cells = " | ".join(results[n].get(row[0], "—") for n in names)
            lines.append(f"| {row[1]} | {cells} | {row[target]} |")
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace (or append) the measured part of the "## Scale" section of RESULTS.md: everything up to its
    first "###" subsection (the notes written by hand stay), and no other section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Scale\n.*?(?=^### |^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument("--graphs", nargs="*", default=list(GRAPHS), choices=list(GRAPHS), help="which to measure")
    parser.add_argument("--write", action="store_true", help="record the tables in benchmarks/RESULTS.md")
    args = parser.parse_args()
    results = {name: measure(name, GRAPHS[name], args.repeats) for name in args.graphs}
    small = [n for n in results if not n.endswith("100k")]
    large = [n for n in results if n.endswith("100k")]
    section = "\n".join([
        "## Scale",
        "",
        f"`python benchmarks/bench_scale.py --write` ({platform.machine()}, {os.cpu_count()} cores shared with "
        f"other work, Python {platform.python_version()}, headless Textual at {SIZE[0]}×{SIZE[1]}; medians of "
        f"{args.repeats} unless marked worst). `chain`: residual blocks from a `for` loop (1,000; 10,000 in "
        "`chain_100k`); `wide`: one input feeding branches joined by one `concatenate` (2,000; 20,000 in "
        "`wide_100k`). A step is measured over 40 steps (next, next, next, back) from the start of the pass; "
        "worst is the slowest of them.",
        "",
        *([table(results, small, 2), ""] if small else []),
        *(["100,000 nodes (issue 12's targets):", "", table(results, large, 3), ""] if large else []),
    ])
    print(section)
    if args.write:
        write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
