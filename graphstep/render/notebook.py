"""Provides ``StepperWidget``: a Stepper in Jupyter as an interactive stepper (the ``graphstep[notebook]`` extra).

Buttons and a slider move the stepper; beside the picture of its state (the SVG ``gs.export`` writes) stands
the inspector text of the step's node, or of a node picked from a list.  The widget drives the Stepper it was
made for, so ``st.grad("W1")`` in the next cell reads what the picture shows.  ipywidgets is imported here
only, when a widget is made; without it, or outside a kernel, a Stepper shows its static picture.
"""

from __future__ import annotations

import html
import sys

import numpy as np

from ..core.records import BACKWARD, FORWARD
from ..core.stepper import Stepper
from ..errors import GraphstepError
from ..text import fmt_array, fmt_shape
from .export import picture
from .view import KINDS

BUTTONS = {"start": "« start", "back": "‹ back", "next": "next ›", "end": "end »"}  # text: no glyph a font lacks
FOLLOW = "the step's node"
PICKABLE = 1000  # nodes listed to inspect: a bigger graph lists its params, inputs and output
FIT = "<style>.graphstep-picture svg { max-width: 100%; height: auto; }</style>"  # Graphviz sizes it in points


def mimebundle(stepper: Stepper) -> dict:
    """Jupyter's display of a Stepper: the interactive stepper in a kernel that has ipywidgets, with the static
    picture beside it for viewers of the saved notebook that draw no widgets (GitHub, nbviewer)."""
    from .dot import mimebundle as static

    if not widgets_usable():
        return static(stepper)
    widget = StepperWidget(stepper)
    bundle = {**widget.view._repr_mimebundle_(), "text/plain": repr(stepper)}
    return {"image/svg+xml": widget.svg, **bundle} if widget.svg else bundle


def widgets_usable() -> bool:
    """ipywidgets is installed and this is a Jupyter kernel (a widget elsewhere would draw nothing)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


class StepperWidget:
    """The controls, picture and inspector of one Stepper; ``view`` is the ipywidgets box Jupyter shows."""

    def __init__(self, stepper: Stepper) -> None:
        try:
            import ipywidgets as w
        except ImportError:
            raise GraphstepError("an interactive stepper needs ipywidgets",
                                 hint="pip install 'graphstep[notebook]'") from None
        self.stepper, graph = stepper, stepper.graph
        self.buttons = {name: w.Button(description=label, layout=w.Layout(width="auto"))
                        for name, label in BUTTONS.items()}
        self.slider = w.IntSlider(value=stepper.position, min=0, max=stepper.total, description="step",
                                  continuous_update=False)
        self.status = w.Label()
        self.node = w.Dropdown(options=[(FOLLOW, None), *((graph.name_of(n), n) for n in pickable(graph))],
                               value=None, description="inspect")
        self.picture = w.HTML(layout=w.Layout(flex="3 1 0", overflow="auto", max_height="640px"))
        self.inspector = w.HTML(layout=w.Layout(flex="2 1 0", overflow="auto", max_height="640px"))
        self.view = w.VBox([w.HBox([*self.buttons.values(), self.slider]), self.status,
                            w.HBox([self.picture, w.VBox([self.node, self.inspector], layout=w.Layout(flex="2 1 0"))])])
        self.svg, self._shown = "", None
        moves = {"start": lambda: 0, "back": lambda: stepper.position - 1, "next": lambda: stepper.position + 1,
                 "end": lambda: stepper.total}
        for name, button in self.buttons.items():
            button.on_click(lambda _, move=moves[name]: self.go(move()))
        self.slider.observe(lambda change: self.go(change["new"]), "value")
        self.node.observe(lambda _: self.show(), "value")
        self.show()

    def go(self, position: int) -> None:
        """Walk the stepper to ``position`` (clamped to its steps) and show it there."""
        position = max(0, min(position, self.stepper.total))
        if position != self.stepper.position:
            self.stepper.run_to(position)
        self.slider.value = position  # a button's move: the slider follows (its event comes back here, shown)
        self.show()

    def show(self) -> None:
        """Draw the stepper's state: once per position and inspected node."""
        stepper = self.stepper
        node = self.node.value if self.node.value is not None else stepper.current
        if self._shown == (stepper.position, node):
            return
        self._shown = (stepper.position, node)
        self.status.value = status_text(stepper)
        try:
            self.svg = picture(stepper, "svg").decode("utf-8")
            self.picture.value = FIT + f"<div class='graphstep-picture'>{self.svg}</div>"
        except GraphstepError as err:  # no Graphviz: the controls and the inspector still work
            self.svg, self.picture.value = "", f"<pre>no picture: {html.escape(err.message)}</pre>"
        text = inspector_text(stepper, node) if node is not None else "before step 1: pick a node to inspect"
        self.inspector.value = f"<pre style='line-height:1.3;margin:0'>{html.escape(text)}</pre>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return self.view._repr_mimebundle_(include=include, exclude=exclude)


def pickable(graph) -> list[int]:
    """The nodes the inspector's list offers: all of them, or in a big graph those a learner asks about first."""
    if len(graph) <= PICKABLE:
        return list(graph.order)
    return sorted({*graph.params.values(), *graph.inputs.values(), graph.output})


def status_text(stepper: Stepper) -> str:
    """``backward step 12/15 · Z2: dH = G·W2ᵀ …``: where the walk stands and what the last step did."""
    k = stepper.position
    if k == 0:
        return f"before step 1/{stepper.total}: only the inputs and parameters are known"
    step = stepper.record(k)
    done = " · done" if stepper.done else ""
    return f"{stepper.phase_of(k)} step {k}/{stepper.total}{done} · {step.name}: {step.formula}"


def inspector_text(stepper: Stepper, node: int) -> str:
    """What the stepper knows about ``node`` as plain text, the TUI inspector's rows without colour: kind,
    formulas, value, gradient and the gradients it received."""
    graph = stepper.graph
    record = graph.node(node)
    rows = [("shape", f"{fmt_shape(record.shape)} {record.dtype}"), ("kind", KINDS.get(record.kind, record.kind)),
            *_formulas(stepper, node), ("value", _array(stepper.value(node), "not computed yet")),
            ("grad", _array(stepper.grad(node), "none yet"))]
    rows += [("received" if i == 0 else "", f"step {k} from {stepper.record(k).name}: {c.formula}")
             for i, (k, c) in enumerate(stepper.contributions_to(node))]
    head = " · ".join(filter(None, (record.name, record.op, record.source)))
    return "\n".join([head, *(_row(key, text) for key, text in rows)])


def _formulas(stepper: Stepper, node: int) -> list[tuple[str, str]]:
    graph = stepper.graph
    if graph.node(node).op is None:
        return [("backward", "a leaf: its gradient is the sum of what its consumers send")]
    taken = stepper.step_of(node, FORWARD)
    pending = "" if taken is not None and taken <= stepper.position else "   (pending)"
    rows = [("forward", graph.forward_formula(node) + pending)]
    back = stepper.step_of(node, BACKWARD)
    if back is not None and back <= stepper.position:
        rows += [("backward" if i == 0 else "", c.formula) for i, c in enumerate(stepper.record(back).contributions)]
    elif back is not None:
        rows += [("backward" if i == 0 else "", f"{rule}   (pending)")
                 for i, rule in enumerate(graph.backward_formulas(node))]
    return rows


def _array(a, missing: str) -> str:
    return missing if a is None else fmt_array(np.asarray(a), width=56, max_lines=8)


def _row(key: str, text: str) -> str:
    """``key       text``, the text's later lines under its first."""
    first, *rest = text.splitlines() or [""]
    return "\n".join([f"{key:<9} {first}", *(f"{'':<9} {line}" for line in rest)])
