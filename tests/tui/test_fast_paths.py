"""Tests the TUI's shortcuts for speed draw exactly what the slow way drew: the drawing laid out ahead of a step is
the one the step shows, and the inspector's grid is Rich's ``Table.grid``, cell for cell."""

from __future__ import annotations

import random

import pytest
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text
from support import SAMPLES, session_at

from graphstep.tui.inspector import grid_lines


@pytest.mark.parametrize("focused", [False, True])
def test_the_drawing_laid_out_ahead_of_each_step_is_the_one_the_step_shows(focused):
    session = session_at(SAMPLES / "myfunc.py")  # a folded while loop: a new drawing at each iteration
    session.focused = focused
    st = session.stepper
    while not st.done:
        session.prepare_next()
        prepared = dict(session._drawings)
        st.step()
        shown = session.drawing(st.current, following=True)
        assert prepared.get(shown.key) is shown, f"step {st.position}: the step drew anew"


def rich_grid(rows: list[tuple[str, Text]]) -> Table:
    """The inspector's grid as it was drawn before ``grid_lines``."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, min_width=9)
    table.add_column(ratio=1)
    for key, value in rows:
        table.add_row(key, value)
    return table


def cells(lines) -> list[list[tuple[str, Style | None]]]:
    return [[(ch, seg.style) for seg in line if not seg.control for ch in seg.text] for line in lines]


def random_rows(rng: random.Random) -> list[tuple[str, Text]]:
    """Keys as the inspector has them; values of words, long words, newlines, tabs and wide characters, styled."""
    words = ["[[", "0.12", "-0.4", "dW1", "=", "Xᵀ·G", "(4×8)·(8×16)", "→", "✓", "a" * 30, "…", "\n  ", "\t", "漢字"]
    rows = []
    for _ in range(rng.randint(1, 8)):
        key = rng.choice(["shape", "kind", "forward", "backward", "", "value", "received", "gradcheck", "in progress"])
        value = Text(" ".join(rng.choice(words) for _ in range(rng.randint(0, rng.choice([3, 25])))),
                     style=rng.choice(["", "dim", "bold red"]))
        value.highlight_words(["✓"], style="green")
        rows.append((key, value))
    return rows


def test_the_inspector_grid_is_richs_table_grid_cell_for_cell():
    console = Console(width=200, color_system="truecolor")
    base, rng = Style(color="white", bgcolor="black"), random.Random(0)
    for _ in range(300):
        rows, width = random_rows(rng), rng.randint(20, 100)
        ours = cells(grid_lines(rows, width, console, base))
        rich = cells(console.render_lines(rich_grid(rows), console.options.update_width(width), style=base))
        assert ours == rich, (width, rows)
