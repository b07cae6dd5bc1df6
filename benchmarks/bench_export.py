"""Export time against graph size: ``python benchmarks/bench_export.py [--full] [--write]``.

Graphs of about 100, 1,000 and 5,000 nodes are traced from two synthetic
functions (a deep chain from a loop, and a random layered DAG) and exported to
SVG with the renderer graphstep finds.  ``--write`` records the table in the
"## Export" section of benchmarks/RESULTS.md (other sections are left alone).
"""

from __future__ import annotations

import argparse
import platform
import re
import time
from pathlib import Path

import numpy as np

import graphstep as gs
from graphstep.errors import GraphstepError
from graphstep.render.dot import to_dot
from graphstep.render.engines import find_renderer, render

SIZES = (100, 1_000, 5_000)
RESULTS = Path(__file__).with_name("RESULTS.md")


def chain(n: int) -> gs.Graph:
    """A deep chain from one loop: three nodes per iteration (multiply, its scalar, tanh)."""
    def fn(x):
        for _ in range(n // 3):
            x = gs.numpy.tanh(x * 0.5)
        return gs.numpy.sum(x)

    return gs.trace(fn, np.ones(4))


def layered(n: int, width: int = 20, seed: int = 0) -> gs.Graph:
    """A random layered DAG: each node of a layer adds two random nodes of the layer before."""
    picks = np.random.default_rng(seed).integers(0, width, size=(n // width, width, 2))

    def fn(x):
        layer = [gs.numpy.tanh(x) for _ in range(width)]
        for pairs in picks[1:]:
            layer = [layer[i] + layer[j] for i, j in pairs]
        return gs.numpy.sum(gs.numpy.stack(layer))

    return gs.trace(fn, np.ones(3))


def measure(graph: gs.Graph, full: bool, timeout: float) -> str:
    """Seconds to build the DOT and render SVG, with the boxes drawn; or where the layout was stopped."""
    st = gs.Stepper(graph).run()
    start = time.perf_counter()
    dot = to_dot(st, full=full)
    boxes = len(re.findall(r"^\s*(?:n\d+|sum_\w+) \[", dot, flags=re.M))
    try:
        render(dot, "svg", timeout=timeout)
    except GraphstepError:
        return f"stopped at {timeout:g} s ({boxes:,} boxes)"
    return f"{time.perf_counter() - start:.2f} s ({boxes:,} boxes)"


def table(timeout: float) -> str:
    rows = ["| graph | nodes | default (collapsed above 800) | `--full` |", "|---|---:|---:|---:|"]
    for make in (chain, layered):
        for size in SIZES:
            graph = make(size)
            rows.append(f"| {make.__name__} | {len(graph):,} | {measure(graph, False, timeout)} | "
                        f"{measure(graph, True, timeout)} |")
            print(rows[-1], flush=True)
    return "\n".join(rows)


def write_section(body: str) -> None:
    """Replace (or append) the ``## Export`` section of RESULTS.md, leaving other sections untouched."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    section = f"## Export\n\n{body.strip()}\n"
    pattern = re.compile(r"^## Export\n.*?(?=^## |\Z)", flags=re.M | re.S)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the results in benchmarks/RESULTS.md")
    parser.add_argument("--timeout", type=float, default=60.0, help="stop a layout after this many seconds")
    args = parser.parse_args()
    renderer = find_renderer()
    print(f"renderer: {renderer.describe() if renderer else 'none'}")
    body = table(args.timeout)
    if args.write:
        write_section(f"`python benchmarks/bench_export.py --write` ({platform.machine()}, Python "
                      f"{platform.python_version()}, {renderer.describe() if renderer else 'no renderer'}): "
                      "time to build the DOT and lay out and draw an SVG of the state after the full forward "
                      "and backward pass; boxes = tensors and summaries drawn. Loops with more than 6 "
                      f"iterations are folded by default.\n\n{body}\n")


if __name__ == "__main__":
    main()
