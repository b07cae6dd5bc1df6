"""``tracer.look_through``: a library that calls back into the user's code (as torch's ``Module.__call__`` calls a
``forward``) is looked through: nodes carry the user's lines, and loops and calls around it still group.
Needs no torch: the library here is a file of its own."""

from __future__ import annotations

import sys
import textwrap

import graphstep as gs
from graphstep.core import tracer


def test_a_library_between_user_frames_is_looked_through(tmp_path, monkeypatch):
    library = tmp_path / "lib" / "caller.py"
    library.parent.mkdir()
    library.write_text("def call(fn, *args):\n    result = fn(*args)\n    return result\n")
    user = tmp_path / "user.py"
    user.write_text(textwrap.dedent("""\
        import numpy as np
        import graphstep as gs
        import caller

        def layer(h):
            return np.tanh(h) * 2

        @gs.computation
        def net():
            h = gs.param(np.ones(3), name="w")
            for _ in range(3):
                h = caller.call(layer, h)
            return h.sum()
        """))
    monkeypatch.syspath_prepend(str(library.parent))
    tracer.look_through(str(library.parent))
    try:
        graph = gs.trace(gs.load(str(user)))
    finally:
        sys.modules.pop("caller", None)
    tanh = [graph.node(n) for n in graph.order if graph.node(n).op == "tanh"]
    assert [node.source.rsplit(":", 1)[1] for node in tanh] == ["6"] * 3  # the user's line, not caller.py's
    assert all(node.func == "layer" for node in tanh)
    labels = [g.label for g in graph.grouping.groups]
    assert labels.count("layer()") == 3 and "for _ in range(3)" in labels  # the call through the library is a call
    assert {graph.grouping.groups[g].label for g in graph.grouping.repeats[0].members} == {"iteration 1",
                                                                                           "iteration 2",
                                                                                           "iteration 3"}
    assert graph.calls[tanh[0].call]["site"] == 12  # called from the loop's line, through caller.call
    assert "result" not in {graph.node(n).name for n in graph.order}  # the library's own variable names nothing
