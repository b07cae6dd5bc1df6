"""The TUI on a plain PyTorch script: it opens, steps to the end, and shows a module parameter's gradient."""

from __future__ import annotations

import pytest
from support import SAMPLES
from torch_support import needs_torch

pytestmark = needs_torch
pytest.importorskip("textual")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))  # the TUI tests' helpers
from key_runs import press_through  # noqa: E402
from tui_support import SIZE, handled, screen_text, settle  # noqa: E402

from graphstep.tui.app import GraphstepApp  # noqa: E402


async def test_tui_steps_a_torch_script_and_shows_a_layers_gradient():
    app = GraphstepApp(str(SAMPLES / "torch_mlp.py"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "step 0/23" in text and "net.0.weight" in text
        await press_through(pilot, "e", paint=False)  # the screen is read once net.0.weight is picked
        st = app.session.stepper
        assert st.done
        app.pick(app.session.graph.id("net.0.weight"))
        await handled(pilot)
        text = screen_text(app)
        assert "net.0.weight · param" in text and "(16×4) float32" in text and "grad" in text
        assert "dnet.0.weight = Gᵀ  (4×16) → (16×4) ✓" in text
