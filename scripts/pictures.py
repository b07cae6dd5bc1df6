"""Regenerates the Graphviz pictures in screenshots/: ``python scripts/pictures.py`` from the repository root.

For each sample: the graph after the forward pass and at the end of the
backward pass, as PNG (for README and slides) and SVG (scalable, with
tooltips).  Then the grouping pictures: the deep MLP folded "× k" halfway
through the backward pass of its third layer (that layer open, showing the
gradients arriving), the same MLP unfolded with every layer in its clusters,
and myfunc's ``while`` loop folded around the iteration being stepped.
"""

from __future__ import annotations

import os
from pathlib import Path

import graphstep as gs

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ("mlp", "regression", "myfunc")


def backward_at(graph: gs.Graph, name: str) -> gs.Stepper:
    """A stepper whose last step was the backward step through node ``name``."""
    st = gs.Stepper(graph)
    for k in range(st.forward_steps + 1, st.total + 1):
        if st.run_to(k).current == graph.ids[name]:
            return st
    raise ValueError(f"no backward step through {name}")


def grouping_pictures() -> list[tuple[str, gs.Stepper, dict]]:
    """(file stem, stepper, export options) of the pictures that show grouping and folding."""
    deep = gs.trace(gs.load("samples/deep_mlp.py"))
    myfunc = gs.trace(gs.load("samples/myfunc.py"))
    return [("deep_mlp-folded", backward_at(deep, "Z#3"), {"fold": True}),
            ("deep_mlp-grouped", gs.Stepper(deep).run(), {"fold": False}),
            ("myfunc-folded", backward_at(myfunc, "a#5"), {"fold": True})]


def main() -> None:
    os.chdir(ROOT)  # sources in the pictures read samples/….py
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name in SAMPLES:
        graph = gs.trace(gs.load(f"samples/{name}.py"))
        stepper = gs.Stepper(graph)
        for label, step in (("forward", stepper.forward_steps), ("end", stepper.total)):
            for fmt in ("png", "svg"):
                path = gs.export(graph, out / f"graph-{name}-{label}.{fmt}", step=step, force=True)
                print(f"wrote {path.relative_to(ROOT)}")
    for stem, stepper, options in grouping_pictures():
        for fmt in ("png", "svg"):
            path = gs.export(stepper, out / f"graph-{stem}.{fmt}", force=True, **options)
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
