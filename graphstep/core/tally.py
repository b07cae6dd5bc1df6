"""Provides ``Tally``: the running counts of a walk the views ask for on every repaint, the bytes of forward
values held for backward and the contributions each node has received, kept per position.

Each step's effect is fixed by the plan, so a tally follows its stepper lazily: a query applies (or reverts)
only the steps since the last one, and the stepper's hot loop (``run_to``) pays nothing.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .records import BACKWARD, FORWARD

if TYPE_CHECKING:
    from .stepper import Stepper


class Tally:
    """Bytes held for backward and contributions arrived, as of ``position``; ``arrival_steps`` per node."""

    def __init__(self, st: Stepper) -> None:
        self.position, self.held = 0, 0
        self.arrivals: dict[int, int] = {}
        self.holds: dict[int, int] = {}  # node → backward steps still needing its value
        self.nbytes: dict[int, int] = {}  # node → bytes of its value (fixed once computed)
        self.saved: dict[int, tuple[int, ...]] = {}  # backward node → the values its rule reads
        program = st.graph.program
        for nid in st.graph.vjp_program:
            op, inputs, _ = program[nid]
            keep = (nid,) if op.saves in ("out", "both") else ()
            self.saved[nid] = keep + (tuple(inputs) if op.saves in ("inputs", "both") else ())
        self._plan, self._program, self._needs = st.plan, program, st.graph.needs_grad

    @functools.cached_property
    def arrival_steps(self) -> dict[int, list[int]]:
        """Per node, the backward steps sending it a contribution: found when first asked (the inspector's list
        of contributions), not when the status bar first shows the bytes held."""
        steps: dict[int, list[int]] = {}
        program, needs = self._program, self._needs
        for k, (kind, nid) in enumerate(self._plan, start=1):
            if kind == BACKWARD:  # the inputs needing a gradient, each once (x·x: one step, two arrivals), as in
                for i in dict.fromkeys(program[nid][1]):  # Stepper.changed, without making the step's VJP calls
                    if needs[i]:
                        steps.setdefault(i, []).append(k)
        return steps

    def sync(self, st: Stepper) -> None:
        """Apply (or revert) the steps between the tally's position and the stepper's."""
        while self.position < st.position:
            self.position += 1
            self._apply(st, self.position, 1)
        while self.position > st.position:
            self._apply(st, self.position, -1)
            self.position -= 1

    def _apply(self, st: Stepper, k: int, sign: int) -> None:
        kind, nid = st.plan[k - 1]
        if kind == FORWARD and nid in self.saved:
            for n in self.saved[nid]:
                self._hold(st, n, sign)
        elif kind == BACKWARD:
            for n in self.saved[nid]:  # backward done: its saved values may be freed
                self._hold(st, n, -sign)
            needs = self._needs
            for i in self._program[nid][1]:  # each input sent a gradient, as the step's VJP calls (x·x: twice)
                if not needs[i]:
                    continue
                count = self.arrivals.get(i, 0) + sign
                if count:
                    self.arrivals[i] = count
                else:
                    del self.arrivals[i]

    def _hold(self, st: Stepper, n: int, sign: int) -> None:
        count = self.holds.get(n, 0)
        if sign > 0 and count == 0:
            if n not in self.nbytes:
                self.nbytes[n] = st.value(n).nbytes
            self.held += self.nbytes[n]
        elif sign < 0 and count == 1:
            self.held -= self.nbytes[n]
        if count + sign:
            self.holds[n] = count + sign
        else:
            del self.holds[n]
