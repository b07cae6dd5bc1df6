"""What a Stepper and a Graph say about themselves in a notebook or a REPL: the stepper where its walk stands,
the graph's title its computation's name, and its file only when a reader could open it."""

from __future__ import annotations

import numpy as np
from support import sample

import graphstep as gs
from graphstep.render.scene import title


def test_a_stepper_says_where_it_stands() -> None:
    st = gs.Stepper(sample("mlp"))
    assert repr(st) == "Stepper(mlp, before step 1/15)"
    st.step()
    assert repr(st) == "Stepper(mlp, forward step 1/15, at X@W1)"
    assert repr(st.run_to(12)) == "Stepper(mlp, backward step 12/15, at Z2)"
    assert repr(st.run()) == "Stepper(mlp, backward step 15/15, at X@W1, done)"


def test_a_forward_mode_stepper_says_so() -> None:
    st = gs.Stepper(sample("mlp"), mode="forward")
    assert repr(st) == f"Stepper(mlp, before step 1/{st.total}, forward mode)"


def traced_in(filename: str) -> gs.Graph:
    """A function written in ``filename`` (as Jupyter compiles a cell into a temporary file), traced."""
    code = "def square_sum(w):\n    return (w * w).sum()\n"
    scope: dict = {}
    exec(compile(code, filename, "exec"), scope)  # noqa: S102 - the cell's code, under the cell's file name
    return gs.trace(scope["square_sum"], np.ones(3))


def test_a_graph_title_names_the_computation_and_not_a_notebook_cells_file() -> None:
    for cell in ("/tmp/ipykernel_4242/2810236.py", "<string>", "<stdin>"):
        graph = traced_in(cell)
        assert graph.file == ""
        assert title(graph, None) == "square_sum · graph (3 nodes)"
        assert title(graph, gs.Stepper(graph).run()).startswith("square_sum · step 5 of 5 · ")


def test_a_graph_from_a_file_keeps_the_file_in_its_title() -> None:
    graph = sample("mlp")
    assert graph.file.endswith("samples/mlp.py")
    assert title(graph, None) == f"mlp · {graph.file} · graph (13 nodes)"
