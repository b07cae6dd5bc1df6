"""Benchmark issue 12's 100,000-node targets the way a user meets them, optionally paired with an earlier checkout.

Usage: python benchmarks/bench_100k.py [--before CHECKOUT] [--repeats N] [--graphs chain_100k wide_100k]
                                      [--measures run export tui]

Every figure is one fresh process, as a user starts it:

* ``graphstep run benchmarks/graphs/G.py`` (its table to /dev/null): wall seconds from spawn to exit (Python start,
  imports, trace, walk, printing, exit) and the process's peak RSS (``VmHWM``).  Target ≤ 3 s.
* ``graphstep export G.py -o x.svg`` (default folding): the same.  Target ≤ 3 s and < 200 MB.
* TUI open, headless at 160×48: from creating the app to the first frame showing ``step 0/``
  (``bench_tui.first_screen``'s clock), then ``e`` a second later (``READ_SECONDS``), as a user who has read the
  screen presses it (the action and a full repaint; the walk's backward half compiles meanwhile, see
  ``Program.prepare``).  Targets ≤ 2 s and ≤ 1 s.

Beside each wall time, the CPU time it took (the child's user + system; the TUI process's own CPU clock): on a
shared machine wall times follow the load, CPU times much less.

The commands run through ``main()`` with no arguments, as the ``graphstep`` script calls it (so ``run`` and
``export`` hold their heap: ``core.heap.hold_heap``).  Another checkout
(``--before``, e.g. a ``git worktree add /tmp/before HEAD``) is imported past the editable install's finder.
Checkouts alternate within each repeat, so a load that comes and goes on a shared machine falls on both; the
table gives medians and ranges.  Each checkout's ``graphstep`` is compiled first (``compileall``), as an install
leaves it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAPHS = ("chain_100k", "wide_100k")
MEASURES = ("run", "export", "tui")
READ_SECONDS = 1.0  # between the first screen and ``e``: a user reads the screen before running to the end

_IMPORT = """import sys
tree = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path[:0] = [tree, BENCH]  # this checkout's bench_tui: the same clock for both
import graphstep
assert graphstep.__file__.startswith(tree), graphstep.__file__
"""

COMMAND = _IMPORT + """from graphstep.cli import main
code = main()  # as the graphstep script calls it
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
sys.stderr.write(f"\\npeak {peak}\\n")
sys.exit(code)
"""

TUI = _IMPORT + """import asyncio, json, time
from graphstep.tui.app import GraphstepApp
from bench_tui import SIZE, FrameClock

async def measure(target):
    from graphstep.core import heap
    getattr(heap, "own_heap", lambda: None)()  # as the graphstep program says (cli.main), which freezes what a load
    # builds: without it a full collection of the 100,000-node graph (0.15-0.2 s) fell before the first screen
    start, cpu = time.perf_counter(), time.process_time()
    app = GraphstepApp(target)
    clock = FrameClock(app)
    async with app.run_test(size=SIZE) as pilot:
        first = await clock.first_showing("step 0/") - start
        first_cpu = time.process_time() - cpu
        await app.workers.wait_for_complete()
        await pilot.pause(PAUSE)  # the user reads the first screen
        begin, cpu = time.perf_counter(), time.process_time()
        app.action_end()
        app.screen._compositor.render_update(full=True)
        return first, first_cpu, time.perf_counter() - begin, time.process_time() - cpu

first, first_cpu, end, end_cpu = asyncio.run(measure(sys.argv[1]))
print(json.dumps({"first": first, "first cpu": first_cpu, "end": end, "end cpu": end_cpu}))
"""


def _script(template: str) -> str:
    return template.replace("BENCH", repr(str(ROOT / "benchmarks"))).replace("PAUSE", repr(READ_SECONDS))


def command(tree: Path, args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MB) of ``graphstep ARGS`` from checkout ``tree``, output to /dev/null."""
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", _script(COMMAND), str(tree), *args],
                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peaks = re.findall(r"^peak (\d+)$", done.stderr, flags=re.M)
    if done.returncode != 0 or not peaks:
        raise RuntimeError(f"graphstep {' '.join(args)} in {tree} failed:\n{done.stderr[-2000:]}")
    return seconds, cpu, int(peaks[-1]) / 1024


def tui_open(tree: Path, path: Path) -> dict[str, float]:
    """Seconds to the first screen and of ``e`` (``first``, ``end``), and the process's CPU seconds in each
    (``first cpu``, ``end cpu``), of a fresh headless app on ``path`` from checkout ``tree``."""
    done = subprocess.run([sys.executable, "-c", _script(TUI), str(tree), str(path)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"TUI on {path} in {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(trees: dict[str, Path], graphs: list[str], repeats: int,
            measures: tuple[str, ...] = MEASURES) -> dict[tuple[str, str, str], list[float]]:
    """{(measure, graph, checkout): values} of ``measures``, the checkouts alternating within every repeat."""
    out = Path(tempfile.mkdtemp()) / "x.svg"
    results: dict[tuple[str, str, str], list[float]] = {}
    for tree in trees.values():  # as an install leaves it: where PYTHONDONTWRITEBYTECODE is set, a checkout never
        # compiled would compile graphstep at every start (0.1 s), one that ran its tests would not
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "graphstep")], check=True,
                       stdout=subprocess.DEVNULL)

    def note(key: tuple[str, str, str], value: float) -> None:
        results.setdefault(key, []).append(value)

    for k in range(repeats):
        for graph in graphs:
            path = ROOT / "benchmarks" / "graphs" / f"{graph}.py"
            order = list(trees.items()) if k % 2 == 0 else list(reversed(trees.items()))
            for label, tree in order:
                for name, args in (("run", ["run", str(path)]),
                                   ("export", ["export", str(path), "-o", str(out), "--force"])):
                    if name not in measures:
                        continue
                    seconds, cpu, peak = command(tree, args)
                    note((name, graph, label), seconds)
                    note((f"{name} cpu", graph, label), cpu)
                    note((f"{name} MB", graph, label), peak)
                if "tui" not in measures:
                    continue
                opened = tui_open(tree, path)
                for name, key in (("open", "first"), ("open cpu", "first cpu"), ("e", "end"), ("e cpu", "end cpu")):
                    note((name, graph, label), opened[key])
            print(f"repeat {k + 1}/{repeats} done", file=sys.stderr, flush=True)
    return results


ROWS = [  # (key, what, unit, target)
    ("run", "`graphstep run G.py` (table to /dev/null), wall", "s", "≤ 3 s"),
    ("run cpu", "… its CPU time (user + system)", "s", ""),
    ("run MB", "… its peak RSS", "MB", ""),
    ("export", "`graphstep export G.py -o x.svg` (default folding), wall", "s", "≤ 3 s"),
    ("export cpu", "… its CPU time", "s", ""),
    ("export MB", "… its peak RSS", "MB", "< 200 MB"),
    ("open", "TUI open, headless: app created → first screen", "s", "≤ 2 s"),
    ("open cpu", "… the process's CPU time meanwhile", "s", ""),
    ("e", f"`e` {READ_SECONDS:g} s after the first screen (action + full repaint)", "s", "≤ 1 s"),
    ("e cpu", "… its CPU time", "s", ""),
]


def cell(values: list[float], unit: str) -> str:
    """Median and range: ``2.71 s (2.60–2.95)``; MB as whole numbers."""
    digits = 0 if unit == "MB" else 2
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{med:.{digits}f} {unit} ({lo:.{digits}f}–{hi:.{digits}f})"


def table(results: dict, trees: dict[str, Path], graphs: list[str]) -> str:
    labels = list(trees)
    head = "| measure | graph | " + " | ".join(labels) + " | target |"
    lines = [head, "|---|---|" + "---:|" * len(labels) + "---:|"]
    for key, what, unit, target in ROWS:
        for graph in graphs:
            if (key, graph, labels[0]) not in results:
                continue
            cells = " | ".join(cell(results[(key, graph, label)], unit) for label in labels)
            lines.append(f"| {what} | `{graph}.py` | {cells} | {target} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an earlier checkout to pair with this one (a git worktree)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure and checkout (default 3)")
    parser.add_argument("--graphs", nargs="*", default=list(GRAPHS), choices=GRAPHS)
    parser.add_argument("--measures", nargs="*", default=list(MEASURES), choices=MEASURES,
                        help="which commands to time (default all): run, export, the TUI's open and e")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT} if args.before else {"this checkout": ROOT}
    results = measure(trees, args.graphs, args.repeats, tuple(args.measures))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; {args.repeats} repeats")
    print(table(results, trees, args.graphs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
