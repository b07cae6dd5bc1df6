"""Provides ``EntryCursor``: the inspector's entry mode, with no Textual in it.

In entry mode a cursor sits on one entry of the selected node's gradient (or its
value: ``d`` switches) and the inspector explains that one number.  The cursor
keeps its index across steps, so the same entry is explained again as the walk
moves; it follows the node's shape when another node is picked or the file is
reloaded.  ``span`` chooses which rows and columns of a large array are drawn so
that the cursor stays in view.  The app asks these methods, then redraws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GraphstepError

ROWS, COLUMNS, SLICES = -2, -1, -3  # the axes the keys move along, counted from the end: ↑ ↓, ← →, pgup pgdn


@dataclass
class EntryCursor:
    """Entry mode: on or off, the node, value or gradient, and the index under the cursor."""

    active: bool = False
    node: int | None = None
    shape: tuple[int, ...] = ()
    gradient: bool = False
    index: tuple[int, ...] = ()

    def enter(self, node: int, shape: tuple[int, ...], gradient: bool) -> None:
        """Start on entry 0 of ``node``'s gradient (``gradient``: when the node gets one), else of its value."""
        self.active, self.node, self.shape, self.gradient = True, node, tuple(shape), gradient
        self.index = (0,) * len(self.shape)

    def leave(self) -> None:
        """esc: the arrows select nodes again; the index is kept for the next time."""
        self.active = False

    def follow(self, node: int, shape: tuple[int, ...], has_gradient: bool) -> None:
        """Stay on ``node`` as it is now: a newly picked node starts on its gradient when it has one, the same
        node keeps the user's choice while it can (forward mode has no gradient); the index is clamped to the
        shape, so a reload that changed the shape still has the cursor on an entry."""
        self.gradient = has_gradient if node != self.node else self.gradient and has_gradient
        self.node, self.shape = node, tuple(shape)
        kept = self.index[-len(self.shape):] if self.shape else ()
        kept = (0,) * (len(self.shape) - len(kept)) + tuple(kept)
        self.index = tuple(_clamp(i, n) for i, n in zip(kept, self.shape))

    def move(self, axis: int, delta: int) -> None:
        """Move ``delta`` entries along ``axis`` (``ROWS``, ``COLUMNS``), stopping at the edges; ``SLICES`` steps
        through the leading axes of a 3-D or larger array in order, one 2-D slice at a time."""
        ndim = len(self.shape)
        if axis == SLICES:
            if ndim > 2 and 0 not in self.shape:
                self.index = self._slice_moved(delta) + self.index[-2:]
            return
        if ndim < -axis:
            return  # a vector has no rows to move along; a scalar nothing
        a = ndim + axis
        at = _clamp(self.index[a] + delta, self.shape[a])
        self.index = self.index[:a] + (at,) + self.index[a + 1:]

    def _slice_moved(self, delta: int) -> tuple[int, ...]:
        """The leading indices ``delta`` slices on, counting the slices in C order (an odometer), clamped."""
        lead = self.shape[:-2]
        flat = int(np.ravel_multi_index(self.index[:-2], lead)) + delta
        return tuple(int(i) for i in np.unravel_index(_clamp(flat, int(np.prod(lead))), lead))

    def jump(self, node: int, shape: tuple[int, ...], gradient: bool, index: tuple[int, ...]) -> None:
        """enter on a term: the cursor on another node's entry (``follow_term``), entry mode on."""
        self.enter(node, shape, gradient)
        self.place(index)

    def place(self, index: tuple[int, ...]) -> None:
        """A click on an entry: the cursor there (clamped, as every move is)."""
        if len(index) == len(self.shape):
            self.index = tuple(_clamp(i, n) for i, n in zip(index, self.shape))

    def switch(self, has_gradient: bool) -> bool:
        """``d``: value ↔ gradient.  False (nothing changes) when the node gets no gradient."""
        if not has_gradient:
            return False
        self.gradient = not self.gradient
        return True


def gets_gradient(session, node: int) -> bool:
    """Whether ``node`` of the session's graph has a gradient to explore: in reverse mode, with a param upstream
    and the output downstream (``explain`` says when it arrives)."""
    graph = session.graph
    return session.mode == "reverse" and bool(graph.needs_grad[node]) and bool(graph.feeds_output[node])


def follow_term(session, cursor: EntryCursor, same_kind: bool = True) -> tuple[int, tuple[int, ...], bool] | None:
    """Where enter (``same_kind``) or o goes from the entry under the cursor: the entry a factor of its largest term
    reads (``Explanation.next_entry``): from a gradient entry its G, towards the output, or (o) the value that
    weighted it; from a value the input entry it was made from.  None where nothing is explained yet or the
    entry is a leaf's or the seed."""
    from ..analysis.explain import explain_at

    try:
        explained = explain_at(session.stepper, cursor.node, cursor.index, cursor.gradient)
    except GraphstepError:
        return None
    return explained.next_entry(cursor.gradient == same_kind)


def clicked_array(lines: list, y: int) -> str | None:
    """``"value"`` or ``"grad"`` when line ``y`` of the inspector's painted lines (``Strip``s) belongs to that row,
    whose name starts the row's first line: a click there enters entry mode on that array."""
    for line in reversed(lines[:y + 1]):
        text = line.text
        if text[:1].strip():  # a row's first line: its name in the first column
            return text.split()[0] if text.split()[0] in ("value", "grad") else None
    return None


def _clamp(i: int, n: int) -> int:
    """``i`` kept on an axis of ``n`` entries (0 on an empty axis: the inspector says there is no entry)."""
    return min(max(i, 0), max(n - 1, 0))


def span(at: int, size: int, fit: int) -> range:
    """The ``fit`` consecutive indices of an axis of ``size`` drawn with ``at`` among them, ``at`` as near the
    middle as the edges allow: a large array is drawn as the window around the cursor."""
    fit = max(1, min(fit, size))
    start = min(max(at - fit // 2, 0), size - fit)
    return range(start, start + fit)
