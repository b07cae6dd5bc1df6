"""Provides the records of a walk: the phases, what each step did (``Step``, ``Contribution``) and sent (``Sent``).

Every view (the CLI table, the TUI, the step log, breakpoints) reads these; the
stepper makes them.  Kept apart so that what reads a step needs no stepper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..text import summarize

FORWARD, BACKWARD, SEED = "forward", "backward", "seed"


@dataclass(slots=True)
class Sent:
    """One gradient a step sent to a node: the fact under a ``Contribution``, without its formula."""

    target: int
    grad: np.ndarray  # what was sent
    before: np.ndarray | None  # the target's gradient it was added to; None when it was the first to arrive
    pos: int | None = None  # which input of the step's node the target is; None for the seed

    @property
    def accumulated(self) -> bool:
        """A second consumer's contribution: added to a gradient already there."""
        return self.before is not None


@dataclass
class Contribution:
    """One gradient sent from a node to one of its inputs during backward."""

    target: int
    name: str
    grad: np.ndarray  # what this step sent
    formula: str  # e.g. "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓"
    accumulated: bool  # added to a gradient that was already there
    summed_axes: tuple[int, ...]  # broadcast axes summed away
    ok: bool  # the contribution has the input's shape


@dataclass
class Step:
    """What one step did: the record every view (CLI table, TUI, log) shows."""

    index: int  # 1-based
    phase: str  # "forward" or "backward"
    node: int
    name: str
    op: str | None
    formula: str
    value: np.ndarray | None  # forward: the value; backward: the gradient G at the node
    contributions: list[Contribution] = field(default_factory=list)
    tangent: np.ndarray | None = None  # forward mode
    note: str = ""

    @property
    def summary(self) -> str:
        return summarize(self.value)


