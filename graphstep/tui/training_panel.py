"""Provides ``TrainingPanel``: with ``--train``, the update rule of the step in progress and the loss curve.

Its top says what the update phase does, or did: each update taken in this
iteration as its rule with the numbers and shapes (Adam's moments and bias
corrections one per line), the newest in bold.  Below, a ``textual-plotext``
plot of the loss and each parameter's gradient norm per iteration, drawn again
only when an iteration adds a point (the plot costs more than a step).  Only
the app of a training imports this module, and so plotext.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ..core.training import Training
from .session import Session


class TrainingPanel(Vertical):
    """The update rule and the loss curve of the session's training."""

    DEFAULT_CSS = """
    TrainingPanel { height: 3fr; min-height: 10; border: round $primary 50%; border-title-style: bold; }
    TrainingPanel > #training-rule { height: 7; padding: 0 1; }
    TrainingPanel > #training-plot { height: 1fr; min-height: 4; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._plotted: tuple = ()

    def compose(self) -> ComposeResult:
        yield Static(id="training-rule")
        yield PlotextPlot(id="training-plot")

    def show(self, session: Session) -> None:
        training = session.training
        if training is None:
            return
        losses = training.losses
        trend = f" · loss {losses[-1]:.4g}" + (f" (was {losses[-2]:.4g})" if len(losses) > 1 else "") if losses else ""
        self.border_title = f"Training · {training.describe()}{trend}"
        # the rule's lines (Adam's six at most) in a fixed height: a step repaints them, never lays the screen out,
        # and the plot below keeps its place
        self.query_one("#training-rule", Static).update(rule_text(training), layout=False)
        self._plot(training)

    def _plot(self, training: Training) -> None:
        """Loss (left axis) and gradient norms (right axis) per iteration, on a log scale where all are > 0."""
        losses, norms = training.losses, training.grad_norms
        key = (id(training), len(losses), len(next(iter(norms.values()), ())))
        if key == self._plotted:
            return
        self._plotted = key
        widget = self.query_one("#training-plot", PlotextPlot)
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        for side, series in (("left", {"loss": losses}), ("right", {f"‖d{n}‖": v for n, v in norms.items()})):
            log = all(v > 0 for values in series.values() for v in values)
            drawn = []
            for label, values in series.items():
                if values:
                    ys = [math.log10(v) for v in values] if log else values
                    plt.plot(range(1, len(ys) + 1), ys, label=label, yside=side, marker="braille")
                    drawn += ys
            if drawn:
                plt.yticks(*_ticks(min(drawn), max(drawn), log), yside=side)
        last = max(2, training.iterations)
        plt.xlim(1, last)
        plt.xticks(sorted({1 + round((last - 1) * k / 4) for k in range(5)}))  # whole iterations
        widget.refresh()


def _ticks(lo: float, hi: float, log: bool, count: int = 4) -> tuple[list[float], list[str]]:
    """Tick positions and labels; on a log scale the positions are log₁₀ and the labels the values.  The plot takes
    the log itself: plotext's own log scale takes it again each time the widget renders."""
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    places = [lo + (hi - lo) * k / (count - 1) for k in range(count)]
    return places, [f"{10 ** p if log else p:.2g}" for p in places]


def rule_text(training: Training) -> Text:
    """The update phase of the current iteration: what it will do, or the updates taken so far with their rules."""
    updates = training.updates
    text = Text()
    if not updates:
        names = ", ".join(training.names)
        text.append(f"after the backward pass, n updates {names}: {training.optimizer.formula}", style="dim")
        return text
    if len(updates) > 1:  # the earlier ones in one line, so that the newest keeps its room
        text.append("✓ " + ", ".join(f"{u.param} moved by {u.moved:.3g}" for u in updates[:-1]) + "\n", style="dim")
    for line in updates[-1].lines:
        text.append(line + "\n", style="bold")
    newest = updates[-1]
    text.append(f"‖d{newest.param}‖ = {newest.grad_norm:.4g} · {newest.param} moved by {newest.moved:.4g}")
    return text
