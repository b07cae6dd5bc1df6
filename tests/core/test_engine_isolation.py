"""The engine is UI-free: tracing and stepping load neither textual nor graphviz."""

from __future__ import annotations

import json
import subprocess
import sys

from support import REPO

SCRIPT = """
import json, sys
import graphstep as gs
graph = gs.trace(gs.load(sys.argv[1]))
stepper = gs.Stepper(graph)
while stepper.step() is not None:
    pass
stepper.step_back()
stepper.step()
report = gs.gradcheck(graph)
forward = gs.Stepper(graph, mode="forward").run()
print(json.dumps({"ok": report.ok, "W1": stepper.grad("W1").shape,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                   ("textual", "graphviz", "pygraphviz", "rich"))}))
"""


def test_engine_loads_no_ui_or_graphviz():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "samples" / "mlp.py")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["W1"] == [4, 16]  # it really traced and stepped
    loaded = set(result["loaded"])
    for module in ("textual", "graphviz", "pygraphviz"):
        assert module not in loaded, f"importing the engine loaded {module}"
