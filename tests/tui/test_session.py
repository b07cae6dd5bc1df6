"""The TUI's headless half (``tui.session``): what the inspector's rows say of a folded block."""

from __future__ import annotations

from pathlib import Path

from support import session_at

from graphstep.tui.session import IN_PROGRESS_CHARS

WIDE_LOOP = """\
import numpy as np

import graphstep as gs


@gs.computation
def wide_loop():
    x = gs.param(np.ones(3), name="x")
    total = x.sum() * 0.0
    for i in range(3):
        parts = [x * float(k) for k in range(120)]
        total = total + np.concatenate(parts).sum()
    return total
"""


def test_a_folded_blocks_step_in_progress_shows_the_start_of_a_long_formula(tmp_path: Path):
    path = tmp_path / "wide_loop.py"
    path.write_text(WIDE_LOOP)
    session = session_at(path, 0)
    graph, stepper = session.graph, session.stepper
    concat = [nid for nid in graph.order if graph.node(nid).op == "concatenate"][1]
    stepper.run_to(stepper.plan.index(("backward", concat)) + 1)  # its backward step sends 120 gradients
    drawing = session.drawing(graph.ids["x"])  # x picked: the loop stays folded, the step in progress inside it
    (block,) = drawing.view.blocks.values()
    _, rows = session.block_rows(drawing, block)
    (row,) = [text for key, text in rows if key == "in progress"]
    formula = stepper.record(stepper.position).formula
    head = f"step {stepper.position}: {graph.name_of(concat)} · "
    assert len(formula) > 5 * IN_PROGRESS_CHARS  # 120 rules
    assert row.startswith(head) and row.endswith("…") and len(row) == len(head) + IN_PROGRESS_CHARS
    assert formula.startswith(row[len(head):-1])
