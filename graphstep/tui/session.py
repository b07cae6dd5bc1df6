"""Provides ``Session``: the user's file, its graph, stepper and terminal layout, reloadable.

No Textual here: the app holds one session and redraws from it, so the same
state can be driven in tests and benchmarks without a screen.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field

from ..breaks import Break
from ..errors import GraphstepError
from ..gradcheck import GradcheckReport
from ..graph import Graph, trace
from ..loader import load, split_target
from ..render.layout import Layout, layout_graph
from ..stepper import FORWARD, Step, Stepper
from ..tracer import display_path


@dataclass
class Session:
    """What the TUI shows: one traced file and where the walk is."""

    target: str
    mode: str = "reverse"
    graph: Graph | None = None
    stepper: Stepper | None = None
    layout: Layout | None = None
    error: GraphstepError | None = None
    check: GradcheckReport | None = None
    source_lines: list[str] = field(default_factory=list)
    reseed: int = 0  # 0: the inputs as the file draws them; k: gs.rng draws anew (key L)
    watched: list[int] = field(default_factory=list)  # node ids in the watch panel
    break_at: list[str] = field(default_factory=list)  # node names to break at (graphstep FILE --break NAME)
    grad_norm_limit: float | None = None  # e/f stop when a gradient's norm exceeds it
    stop: Break | None = None  # why e/f last stopped short
    _steps: dict[tuple[str, int], int] = field(default_factory=dict)
    _records: dict[int, Step] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return split_target(self.target)[0]

    @property
    def ready(self) -> bool:
        return self.stepper is not None and self.error is None

    def reload(self, reseed: int | None = None) -> bool:
        """Load and trace the file again, keeping the step position; False (and ``error``) on failure.

        Breakpoints and watches follow their nodes by name; ``reseed`` draws new inputs.
        """
        position = self.stepper.position if self.stepper else 0
        draw = self.reseed if reseed is None else reseed
        try:
            graph = trace(load(self.target), reseed=draw or None)
            stepper = Stepper(graph, mode=self.mode)
        except GraphstepError as err:
            self.error = err
            return False
        self._carry_marks(stepper)
        stepper.grad_norm_limit = self.grad_norm_limit
        stepper.breakpoints |= {graph.ids[name] for name in self.break_at if name in graph.ids}
        self.break_at = []  # given on the command line: applied to the first trace, then carried by name
        self.graph, self.error, self.check, self.reseed = graph, None, None, draw
        self.layout = layout_graph(graph)
        _settle()
        self._read_source()
        self._use(stepper, position)
        return True

    def _carry_marks(self, stepper: Stepper) -> None:
        """Keep breakpoints, the NaN/grad-norm settings and watches on the nodes of the same name."""
        if self.stepper is None:
            return
        old, new = self.graph, stepper.graph
        stepper.breakpoints = {new.ids[old.name_of(n)] for n in self.stepper.breakpoints if old.name_of(n) in new.ids}
        stepper.break_on_nonfinite = self.stepper.break_on_nonfinite
        stepper.grad_norm_limit = self.stepper.grad_norm_limit
        self.watched = [new.ids[old.name_of(n)] for n in self.watched if old.name_of(n) in new.ids]

    def set_mode(self, mode: str) -> None:
        """Switch between reverse and forward accumulation, keeping the position where possible."""
        self.mode = mode
        if self.graph is not None:
            stepper = Stepper(self.graph, mode=mode)
            self._carry_marks(stepper)
            self._use(stepper, self.stepper.position if self.stepper else 0)

    def _use(self, stepper: Stepper, position: int) -> None:
        self.stepper = stepper.run_to(min(position, stepper.total))
        self._steps = {(kind, node): k for k, (kind, node) in enumerate(stepper.plan, start=1)}
        self._records = {}

    def _read_source(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                self.source_lines = f.read().splitlines()
        except OSError:
            self.source_lines = []

    def step_of(self, node: int, phase: str = FORWARD) -> int | None:
        """The 1-based index of the node's forward (or backward) step in the plan, if it has one."""
        return self._steps.get((phase, node))

    def taken(self, node: int, phase: str = FORWARD) -> Step | None:
        """The record of the node's forward or backward step once it has been taken."""
        k = self.step_of(node, phase)
        return self.record(k) if k is not None and self.stepper and k <= self.stepper.position else None

    def record(self, k: int) -> Step:
        """Step ``k``'s record, cached: records up to the position never change."""
        if k not in self._records:
            self._records[k] = self.stepper.record(k)
        return self._records[k]

    def forget_records(self) -> None:
        self._records = {}

    def display_name(self) -> str:
        """``samples/mlp.py:mlp``: the file as the user would type it, and the computation."""
        name = self.graph.name if self.graph is not None else ""
        return f"{short_path(self.path)}:{name}" if name else short_path(self.path)


def _settle() -> None:
    """Collect once and freeze what the trace left, so no full GC pass (75 ms at 10k nodes) lands on a key press."""
    gc.unfreeze()  # the previous trace may be garbage now
    gc.collect()
    gc.freeze()


def short_path(path: str) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    return display_path(os.path.abspath(path))


def human_bytes(n: int) -> str:
    """``3.2 KB``: a byte count for the status bar."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
