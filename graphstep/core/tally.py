"""Provides ``Tally``: the running counts of a walk the views ask for on every repaint, the bytes of forward
values held for backward and the contributions each node has received, kept per position.

Each step's effect is fixed by the plan, so a tally follows its stepper lazily: a query applies (or reverts)
only the steps since the last one, and the stepper's hot loop (``run_to``) pays nothing.
"""

from __future__ import annotations

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
        self.arrival_steps: dict[int, list[int]] = {}  # node → backward steps sending it a contribution
        self.saved: dict[int, tuple[int, ...]] = {}  # backward node → the values its rule reads
        for nid, (op, inputs, _) in enumerate(st.graph.program):
            if nid in st.graph.vjp_program:
                keep = (nid,) if op.saves in ("out", "both") else ()
                self.saved[nid] = keep + (tuple(inputs) if op.saves in ("inputs", "both") else ())
        for k, (kind, _) in enumerate(st.plan, start=1):
            if kind == BACKWARD:
                for i in st.changed(k):  # x·x: one step, two arrivals
                    self.arrival_steps.setdefault(i, []).append(k)

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
            for _, i, _, _ in st.graph.vjp_program[nid]:
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
