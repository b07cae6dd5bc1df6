"""Export time against graph size: ``python benchmarks/bench_export.py [--write]``.

Graphs of about 100, 1,000 and 5,000 nodes are traced from two synthetic
functions (a deep chain from a loop, and a random layered DAG) and exported to
SVG with the renderer graphstep finds: by default (repeats folded "× k",
collapsed above 800 boxes), with ``--full`` as ``export`` draws it (laid out
by dot up to ``positions.DOT_BOXES`` boxes, placed by graphstep's own layout
and drawn by ``neato -n2`` above), and with ``--full`` laid out by dot
whatever the size, for comparison.  Two graphs of 10,000 nodes follow: a
residual chain of 2,500 loop iterations and a wide fan-out (one input into
2,000 branches joined by one concatenate), exported after the last step,
halfway through backward, and with ``--no-fold``; the target is < 10 s.  Last,
the whole ``graphstep export`` command on ``benchmarks/graphs/chain_100k.py``
and ``wide_100k.py`` (100,000 nodes), as a user types it: its time and peak
memory (target ≤ 3 s, < 200 MB).  ``--write`` replaces the tables of the
"## Export" section of benchmarks/RESULTS.md, keeping its "###" subsections.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import graphstep as gs
from graphstep.errors import GraphstepError
from graphstep.render.dot import Picture, picture_scene
from graphstep.render.engines import find_renderer, render
from graphstep.render.export import draw
from graphstep.render.positions import DOT_BOXES

SIZES = (100, 1_000, 5_000)
ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("RESULTS.md")
HUGE = [ROOT / "benchmarks" / "graphs" / f"{name}.py" for name in ("chain_100k", "wide_100k")]


def chain(n: int) -> gs.Graph:
    """A deep chain from one loop: three nodes per iteration (multiply, its scalar, tanh)."""
    def fn(x):
        for _ in range(n // 3):
            x = gs.numpy.tanh(x * 0.5)
        return gs.numpy.sum(x)

    return gs.trace(fn, np.ones(4))


def residual_chain(n: int = 10_000) -> gs.Graph:
    """``x = tanh(x)·0.5 + x`` in a loop: four nodes per iteration (tanh, the scalar, multiply, add)."""
    def fn(x):
        for _ in range(n // 4):
            x = gs.numpy.tanh(x) * 0.5 + x
        return gs.numpy.sum(x)

    return gs.trace(fn, np.ones(2))


def wide(n: int = 10_000) -> gs.Graph:
    """One input fanning out into ``n / 5`` branches ``tanh(x·w + b)``, joined again by one concatenate."""
    def fn(x):
        heads = []
        for k in range(n // 5):
            w = gs.param(np.full((4, 1), 0.1 * (k % 7)), name=f"w{k}")
            b = gs.param(np.zeros(1), name=f"b{k}")
            heads.append(gs.numpy.tanh(x @ w + b))
        return gs.numpy.mean(gs.numpy.concatenate(heads, axis=1) ** 2)

    return gs.trace(fn, np.ones((2, 4)))


def layered(n: int, width: int = 20, seed: int = 0) -> gs.Graph:
    """A random layered DAG: each node of a layer adds two random nodes of the layer before."""
    picks = np.random.default_rng(seed).integers(0, width, size=(n // width, width, 2))

    def fn(x):
        layer = [gs.numpy.tanh(x) for _ in range(width)]
        for pairs in picks[1:]:
            layer = [layer[i] + layer[j] for i, j in pairs]
        return gs.numpy.sum(gs.numpy.stack(layer))

    return gs.trace(fn, np.ones(3))


def measure(graph: gs.Graph, timeout: float, position: int | None = None, *, by_dot: bool = False,
            **options) -> str:
    """Seconds to draw an SVG of the state after ``position`` steps (default: the end) as ``export`` does, boxes
    drawn; ``by_dot``: laid out by dot whatever the size."""
    st = gs.Stepper(graph)
    st.run_to(st.total if position is None else position)
    start = time.perf_counter()
    drawn = Picture(picture_scene(st, **options))
    try:
        render(drawn.dot(), "svg", timeout=timeout) if by_dot else draw(drawn, "svg", timeout=timeout)
    except GraphstepError:
        return f"stopped at {timeout:g} s ({drawn.boxes:,} boxes)"
    return f"{time.perf_counter() - start:.2f} s ({drawn.boxes:,} boxes)"


PEAK = """import sys
from graphstep.cli import main
code = main()  # as the graphstep script calls it: the program holds its heap (core.heap.hold_heap)
try:  # the peak of this program's own memory: ru_maxrss would count the benchmark's, from before the exec
    peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
except OSError:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"\\npeak {peak}\\n")
sys.exit(code)
"""


def command(args: list[str], repeats: int) -> tuple[float, float]:
    """(median seconds, largest peak MB) of ``graphstep ARGS`` run as a user runs it, its output to /dev/null."""
    report = PEAK
    times, peaks = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", report, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - start)
        peaks.append(int(re.findall(r"^peak (\d+)$", done.stderr, flags=re.M)[-1]) / 1024)
    return statistics.median(times), max(peaks)


def table(timeout: float) -> str:
    rows = ["| graph | nodes | default (repeats folded, collapsed above 800) | `--full` | `--full`, laid out by dot |",
            "|---|---:|---:|---:|---:|"]
    for make in (chain, layered):
        for size in SIZES:
            graph = make(size)
            rows.append(f"| {make.__name__} | {len(graph):,} | {measure(graph, timeout)} | "
                        f"{measure(graph, timeout, full=True)} | {measure(graph, timeout, full=True, by_dot=True)} |")
            print(rows[-1], flush=True)
    return "\n".join(rows)


def large_table(timeout: float) -> str:
    """The 10,000-node cases: default folding at the end and mid-backward, and ``--no-fold`` (collapsed)."""
    rows = ["| graph | nodes | after the last step | halfway through backward | `--no-fold` |",
            "|---|---:|---:|---:|---:|"]
    for make in (residual_chain, wide):
        graph = make()
        st = gs.Stepper(graph)
        mid = (st.forward_steps + st.total) // 2
        rows.append(f"| {make.__name__.replace('_', ' ')} | {len(graph):,} | {measure(graph, timeout)} | "
                    f"{measure(graph, timeout, mid)} | {measure(graph, timeout, fold=False)} |")
        print(rows[-1], flush=True)
    return "\n".join(rows)


def huge_table(repeats: int) -> str:
    """The whole ``graphstep export`` command at 100,000 nodes: time and peak memory."""
    rows = ["| graph | nodes | `graphstep export FILE -o x.svg` | peak memory |", "|---|---:|---:|---:|"]
    for path in HUGE:
        seconds, peak = command(["export", str(path), "-o", str(Path(tempfile.mkdtemp()) / "x.svg")], repeats)
        rows.append(f"| `{path.relative_to(ROOT)}` | {len(gs.trace(gs.load(str(path)))):,} | {seconds:.2f} s | "
                    f"{peak:.0f} MB |")
        print(rows[-1], flush=True)
    return "\n".join(rows)


def write_section(body: str) -> None:
    """Replace (or append) the measured part of the ``## Export`` section of RESULTS.md: everything up to its
    first "###" subsection (the notes written by hand stay), and no other section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    section = f"## Export\n\n{body.strip()}\n"
    pattern = re.compile(r"^## Export\n.*?(?=^### |^## |\Z)", flags=re.M | re.S)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the results in benchmarks/RESULTS.md")
    parser.add_argument("--timeout", type=float, default=60.0, help="stop a layout after this many seconds")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each whole command (median time)")
    args = parser.parse_args()
    renderer = find_renderer()
    print(f"renderer: {renderer.describe() if renderer else 'none'}")
    body = table(args.timeout)
    large = large_table(args.timeout)
    huge = huge_table(args.repeats)
    if args.write:
        write_section(f"`python benchmarks/bench_export.py --write` ({platform.machine()}, {os.cpu_count()} cores "
                      f"shared with other work, Python {platform.python_version()}, "
                      f"{renderer.describe() if renderer else 'no renderer'}): time to build the picture and draw "
                      "an SVG of the state after the full forward and backward pass; boxes = tensors and summaries "
                      "drawn. By default repeats (loop iterations or calls doing the same thing) with more than 6 "
                      "members, and every repeat in graphs over 300 nodes, are folded into one \"× k\" box, with "
                      "the iteration holding the step in progress opened. A picture of up to "
                      f"{DOT_BOXES} boxes is laid out by dot; a larger one is placed by graphstep's own layered "
                      "layout and drawn by `neato -n2` (the `--full` column; the last column asks dot to lay out "
                      f"every picture).\n\n{body}\n\n10,000-node graphs (target < 10 s):\n\n{large}\n\n"
                      f"100,000-node graphs, the whole command as a user types it (median of {args.repeats}; target "
                      f"≤ 3 s and < 200 MB):\n\n{huge}\n")


if __name__ == "__main__":
    main()
