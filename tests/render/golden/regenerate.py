"""Regenerates the golden DOT files: ``python tests/render/golden/regenerate.py`` from the repository root.

Run it only after a deliberate change to the picture, and review the diff.
"""

from pathlib import Path

import graphstep as gs
from graphstep.render.dot import to_dot

GOLDEN = Path(__file__).parent
MLP_STEP = 10  # mid-backward: values, gradients, pending gradients and the current node all show


def mlp_dot() -> str:
    stepper = gs.Stepper(gs.trace(gs.load("samples/mlp.py"))).run_to(MLP_STEP)
    return to_dot(stepper)


if __name__ == "__main__":
    (GOLDEN / "mlp-step10.dot").write_text(mlp_dot(), encoding="utf-8")
    print("wrote", GOLDEN / "mlp-step10.dot")
