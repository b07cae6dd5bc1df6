"""Regenerates the Graphviz pictures in screenshots/: ``python scripts/pictures.py`` from the repository root.

For each sample: the graph after the forward pass and at the end of the
backward pass, as PNG (for README and slides) and SVG (scalable, with tooltips).
"""

from __future__ import annotations

import os
from pathlib import Path

import graphstep as gs

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ("mlp", "regression", "myfunc")


def main() -> None:
    os.chdir(ROOT)  # sources in the pictures read samples/….py
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name in SAMPLES:
        graph = gs.trace(gs.load(f"samples/{name}.py"))
        stepper = gs.Stepper(graph)
        for label, step in (("forward", stepper.forward_steps), ("end", stepper.total)):
            for fmt in ("png", "svg"):
                path = gs.export(graph, out / f"graph-{name}-{label}.{fmt}", step=step)
                print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
