"""Provides the typed records of a trace and a walk: what the tracer recorded of each node (``Node``), the
phases, what each step did (``Step``, ``Contribution``) and sent (``Sent``).

Every view (the CLI table, the TUI, the step log, breakpoints) reads these; the
tracer and the stepper make them.  Kept apart so that what reads a node or a step
needs neither a tracer nor a stepper.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from ..text import summarize

if TYPE_CHECKING:
    from .formulas import Rule

FORWARD, BACKWARD, SEED = "forward", "backward", "seed"
NO_PARAMS: dict[str, Any] = {}  # the params of every node that has none, shared (6 MB at 100,000 nodes): never written


@dataclass(slots=True)
class Node:
    """One traced node, op or leaf: what it computes, its shape, and where the user's code made it.

    Mutable on purpose: op nodes get their ``name`` only when a name is first asked for after the trace
    (``Graph`` and ``Tensor.name`` call ``Tracer.named``; ``naming.finish_names`` also renames repeats ``h#2``),
    and an indexing op its ``index_text`` right after it is recorded.  The tracer builds one per node on its hot
    path, positionally: no validation, nothing computed here.
    """

    kind: str  # "param", "input", "const" or "op"
    op: str | None  # primitive name (a key of ops.OPS); None for leaves
    name: str | None  # user name, the variable the source line assigns to, or an automatic one; None until named
    shape: tuple[int, ...]
    dtype: str  # the NumPy dtype's name, "float64"
    inputs: tuple[int, ...]  # input node ids in argument order (x * x lists x twice)
    params: dict[str, Any]  # the op's keyword arguments (axis, index…), as its forward takes them
    file: str  # the code's filename, as linecache reads it
    line: int
    source: str  # "file.py:LINE", the path as the user types it
    scope: str  # "layer1/attention" inside nested gs.scope blocks, "" outside
    func: str  # the function whose line made it
    call: int  # that function's call (an index into Graph.calls); -1 when made outside the traced call
    stack: tuple[tuple[int, int, int], ...]  # user frames, outermost first: (call id, line, bytecode offset)
    index_text: tuple[str, ...] | None = None  # an indexing op's index parts as written: ("arange(12)", "y")

    @property
    def label(self) -> str:
        """How an error names the node while tracing, before op nodes are named: its name, else its op."""
        return self.name or self.op or self.kind

    def attributes(self) -> dict[str, Any]:
        """The fields as a dict: a node's attributes in ``Graph.nx`` (DESIGN.md's keys, and the rest)."""
        return {name: getattr(self, name) for name in NODE_FIELDS}


NODE_FIELDS = tuple(f.name for f in fields(Node))  # in declaration order, the keys of Node.attributes()


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
    """One gradient sent from a node to one of its inputs during backward.

    Its ``formula`` is written when first read: a concat of 2,000 inputs sends 2,000 gradients in one step, and a
    view shows a few of them (writing each rule's text is most of what recording such a step costs).
    """

    target: int
    name: str
    grad: np.ndarray  # what this step sent
    accumulated: bool  # added to a gradient that was already there
    summed_axes: tuple[int, ...]  # broadcast axes summed away
    ok: bool  # the contribution has the input's shape
    _rule: Callable[[], Rule] = field(repr=False, compare=False)  # the rule that sent it, worked out when called

    @functools.cached_property
    def formula(self) -> str:
        """The rule with its shapes and check, e.g. ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓`` (``dx += …`` when
        accumulated)."""
        return self._rule().gives(np.shape(self.grad), self.ok, added=self.accumulated)


@dataclass
class Step:
    """What one step did: the record every view (CLI table, TUI, log) shows.

    Its ``formula`` is written when first read, as its contributions' are: the step log shows one line of a
    concat's 2,000-part backward formula (``formula_prefix``), and a loop of ``step()`` that reads none writes none.
    """

    index: int  # 1-based
    phase: str  # "forward" or "backward"
    node: int
    name: str
    op: str | None
    value: np.ndarray | None  # forward: the value; backward: the gradient G at the node
    contributions: list[Contribution] = field(default_factory=list)
    tangent: np.ndarray | None = None  # forward mode
    note: str = ""
    # how the formula is written (a forward step's rule, the seed); None: the contributions' formulas joined
    _formula: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def formula(self) -> str:
        """The step's rule with shapes: ``Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)``, ``dloss = 1  ()``, or a
        backward step's contributions, ``dX = G·W1ᵀ  … ✓; dW1 = Xᵀ·G  … ✓``."""
        if self._formula is not None:
            return self._formula()
        return "; ".join(c.formula for c in self.contributions)

    def formula_prefix(self, width: int) -> str:
        """``formula[:width]``, writing only the contributions' formulas it needs (one log line of 2,000)."""
        if self._formula is not None:
            return self.formula[:width]
        parts, length = [], -2  # the length of the parts joined by "; "
        for c in self.contributions:
            if length >= width:
                break
            parts.append(c.formula)
            length += len(c.formula) + 2
        return "; ".join(parts)[:width]

    @property
    def summary(self) -> str:
        return summarize(self.value)
