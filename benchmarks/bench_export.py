"""Export time against graph size: ``python benchmarks/bench_export.py [--write]``.

Graphs of about 100, 1,000 and 5,000 nodes are traced from two synthetic
functions (a deep chain from a loop, and a random layered DAG) and exported to
SVG with the renderer graphstep finds, by default (repeats folded "× k",
collapsed above 800 boxes) and with ``--full``.  Two graphs of 10,000 nodes
follow: a residual chain of 2,500 loop iterations and a wide fan-out (one
input into 2,000 branches joined by one concatenate), exported after the last
step, halfway through backward, and with ``--no-fold``; the target is < 10 s.
``--write`` records the tables in the "## Export" section of
benchmarks/RESULTS.md (other sections are left alone).
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


def measure(graph: gs.Graph, timeout: float, position: int | None = None, **options) -> str:
    """Seconds to build the DOT and render SVG of the state after ``position`` steps (default: the end), boxes drawn."""
    st = gs.Stepper(graph)
    st.run_to(st.total if position is None else position)
    start = time.perf_counter()
    dot = to_dot(st, **options)
    boxes = len(re.findall(r"^\s*(?:n\d+|sum_\w+) \[", dot, flags=re.M))
    try:
        render(dot, "svg", timeout=timeout)
    except GraphstepError:
        return f"stopped at {timeout:g} s ({boxes:,} boxes)"
    return f"{time.perf_counter() - start:.2f} s ({boxes:,} boxes)"


def table(timeout: float) -> str:
    rows = ["| graph | nodes | default (repeats folded, collapsed above 800) | `--full` |", "|---|---:|---:|---:|"]
    for make in (chain, layered):
        for size in SIZES:
            graph = make(size)
            rows.append(f"| {make.__name__} | {len(graph):,} | {measure(graph, timeout)} | "
                        f"{measure(graph, timeout, full=True)} |")
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
    large = large_table(args.timeout)
    if args.write:
        write_section(f"`python benchmarks/bench_export.py --write` ({platform.machine()}, Python "
                      f"{platform.python_version()}, {renderer.describe() if renderer else 'no renderer'}): "
                      "time to build the DOT and lay out and draw an SVG of the state after the full forward "
                      "and backward pass; boxes = tensors and summaries drawn. By default repeats (loop "
                      "iterations or calls doing the same thing) with more than 6 members, and every repeat in "
                      "graphs over 300 nodes, are folded into one \"× k\" box, with the iteration holding the step "
                      f"in progress opened.\n\n{body}\n\n10,000-node graphs (target < 10 s):\n\n{large}\n")


if __name__ == "__main__":
    main()
