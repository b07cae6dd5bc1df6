"""A Stepper in Jupyter (``render/notebook.py``): a notebook executed by nbclient in a kernel of this venv's
Python shows the interactive stepper, steps it by clicking, and its saved widget state and outputs say where
it stands; without ipywidgets or a kernel, the static picture as before."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from notebooks import execute
from support import REPO, SAMPLES, sample

import graphstep as gs
from graphstep.render.notebook import StepperWidget, inspector_text, mimebundle, status_text

# Looked up, not imported: Jupyter's modules cost every test worker ~0.3 s to import, and only the worker that runs
# these tests needs them.
MISSING = [name for name in ("nbformat", "nbclient", "ipykernel", "ipywidgets")
           if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"no {', '.join(MISSING)} (pip install -e '.[dev,notebook]')")

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CELLS = [
    f"import graphstep as gs\nst = gs.Stepper(gs.trace(gs.load({str(SAMPLES / 'mlp.py')!r})))\nst",
    # each move draws the picture with Graphviz (~40 CPU-ms): eleven steps at once, then the click
    "w = gs.widget(st)\nw.go(11)\nbefore = w.svg\nw.buttons['next'].click()\n"
    "print(w.status.value)\nprint(st)\nprint('picture changed:', w.svg != before)\nw",
    "w.node.value = st.graph.id('W2')\nprint(w.inspector.value)",
]


@pytest.fixture(scope="module")
def executed():
    """examples/stepper.ipynb, then ``CELLS``, run in one kernel (a kernel costs a CPU-second to start): the
    example first, so it runs as a reader opens it; ``CELLS`` import and make all they use."""
    import nbformat

    notebook = nbformat.read(REPO / "examples" / "stepper.ipynb", as_version=4)
    notebook.cells += [nbformat.v4.new_code_cell(cell) for cell in CELLS]
    return execute(notebook, REPO / "examples")


def ours(k: int) -> int:
    """Where ``CELLS[k]`` is in the executed notebook: after the example's cells, counted from the end."""
    return k - len(CELLS)


def outputs(notebook, cell: int) -> tuple[str, dict]:
    """The printed text of a cell, and the data of what it displays."""
    found = notebook.cells[cell].outputs
    text = "".join(o.get("text", "") for o in found if o.output_type == "stream")
    shown = next((o.data for o in found if o.output_type == "execute_result"), {})
    return text, shown


def test_a_stepper_shows_as_an_interactive_stepper_with_its_picture_beside(executed) -> None:
    _, shown = outputs(executed, ours(0))
    assert WIDGET_VIEW in shown
    assert shown["text/plain"] == "Stepper(mlp, before step 1/15)"
    assert shown["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))  # for viewers that draw no widgets


def test_clicking_next_steps_the_stepper_and_redraws(executed) -> None:
    text, shown = outputs(executed, ours(1))
    status, where, changed = text.splitlines()
    assert status.startswith("backward step 12/15 · Z2: dH = G·W2ᵀ  (8×1)·(1×16) → (8×16) ✓")
    assert where == "Stepper(mlp, backward step 12/15, at Z2)"
    assert changed == "picture changed: True"
    state = executed.metadata.widgets[WIDGET_STATE]["state"]
    model = state[shown[WIDGET_VIEW]["model_id"]]
    assert model["model_name"] == "VBoxModel"
    values = {m["model_name"]: m["state"].get("value") for m in within(state, shown[WIDGET_VIEW]["model_id"])}
    assert values["IntSliderModel"] == 12
    assert values["LabelModel"] == status


def within(state: dict, model_id: str) -> list[dict]:
    """The widget model ``model_id`` and every model inside it: the notebook holds other steppers' too."""
    model = state[model_id]
    inner = [ref.removeprefix("IPY_MODEL_") for ref in model["state"].get("children", [])]
    return [model, *(found for child in inner for found in within(state, child))]


def test_the_inspector_shows_the_picked_node(executed) -> None:
    text, _ = outputs(executed, ours(2))
    assert "W2 · " in text and "samples/mlp.py" in text
    assert "kind      parameter (gets a gradient)" in text
    assert "grad      [[" in text  # dW2 arrived at step 12
    assert "received  step 12 from Z2: dW2 = Hᵀ·G  (16×8)·(8×1) → (16×1) ✓" in text


def test_outside_a_kernel_a_stepper_is_its_static_picture() -> None:
    bundle = mimebundle(gs.Stepper(sample("mlp")))
    assert WIDGET_VIEW not in bundle
    assert set(bundle) == {"image/svg+xml", "text/plain"}


def test_the_widget_drives_its_stepper_both_ways() -> None:
    st = gs.Stepper(sample("mlp"))
    widget = StepperWidget(st)
    widget.buttons["end"].click()
    assert (st.position, widget.slider.value) == (15, 15)
    assert status_text(st).startswith("backward step 15/15 · done · X@W1: dW1 = Xᵀ·G")
    widget.slider.value = 3  # the slider moves the stepper back
    assert st.position == 3 and widget.status.value == status_text(st)
    widget.buttons["back"].click()
    widget.buttons["start"].click()
    widget.buttons["back"].click()  # before step 1 there is nothing to undo
    assert st.position == 0 and widget.slider.value == 0
    assert widget.status.value == "before step 1/15: only the inputs and parameters are known"


def test_the_inspector_text_says_what_is_pending() -> None:
    st = gs.Stepper(sample("mlp")).run_to(1)
    text = inspector_text(st, st.graph.id("H"))
    assert "forward   H = tanh Z1  (8×16) → (8×16)   (pending)" in text
    assert "value     not computed yet" in text and "grad      none yet" in text


def test_without_ipywidgets_the_widget_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(gs.GraphstepError, match="needs ipywidgets") as err:
        gs.widget(gs.Stepper(sample("mlp")))
    assert err.value.hint == "pip install 'graphstep[notebook]'"


def test_the_example_notebook_runs(executed) -> None:
    _, widget = outputs(executed, 3)
    assert WIDGET_VIEW in widget
    _, last = outputs(executed, 4)
    assert last["text/plain"] == "(Stepper(mlp, backward step 12/15, at Z2), (16, 1))"


def test_a_big_graph_offers_its_params_inputs_and_output_to_inspect(monkeypatch) -> None:
    graph = sample("mlp")
    monkeypatch.setattr("graphstep.render.notebook.PICKABLE", 5)
    names = [name for name, _ in StepperWidget(gs.Stepper(graph)).node.options[1:]]
    assert sorted(names) == sorted([*graph.params, *graph.inputs, "loss"])


def test_without_graphviz_the_widget_still_steps_and_says_why_there_is_no_picture(monkeypatch) -> None:
    def no_graphviz(*_, **__):
        raise gs.GraphstepError("Graphviz is not installed")

    monkeypatch.setattr("graphstep.render.notebook.picture", no_graphviz)
    widget = StepperWidget(gs.Stepper(sample("mlp")))
    widget.buttons["next"].click()
    assert widget.stepper.position == 1 and widget.svg == ""
    assert widget.picture.value == "<pre>no picture: Graphviz is not installed</pre>"
