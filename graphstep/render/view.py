"""Provides what a view of a graph shows, decided once for the terminal and the pictures.

``view_key`` decides which repeats are folded (every one, none, or by the
default rule: the long ones, all of them in a large graph) and which member of
each stays open (the one holding the step in progress, or a node the user
picked); ``describe`` turns the key into the items to draw, nodes and blocks,
each block with its words; and ``Description.progress`` says how far the walk
is inside a block and how to colour it.  The TUI lays a description out in the terminal and ``to_dot``
draws it with Graphviz; neither decides any of this, so they cannot disagree.
UI-neutral: imports only core and analysis (``grouping`` finds what repeats;
this module decides what a view does with them).
"""

from __future__ import annotations

import functools
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import NamedTuple

from ..analysis.grouping import Block, View, focus, fold, neighbourhood
from ..core.graph import Graph
from ..core.stepper import Stepper

FOLD_MEMBERS = 6  # by default, repeats with more members than this are folded…
FOLD_NODES = 300  # …and every repeat of a graph with more nodes than this
HOPS = (1, 6)  # focus: fewest and most hops around the focused node
FOCUS_NODES = 80  # fewer hops than asked where more would draw more nodes than this (a hub read 2,000 times)
KINDS = {"param": "parameter (gets a gradient)", "input": "input (data, no gradient needed)", "const": "constant",
         "op": "operation"}  # what a node is, as the inspector and the notebook say it


# ───────────────────────────── the decisions ─────────────────────────────


def default_folds(graph: Graph) -> frozenset[int]:
    """The repeats folded unless the user says otherwise: the long ones (myFunc's 17 doublings), and every
    one in a large graph; a 6-layer MLP opens unfolded, a ×3 loop beside a ×17 one stays open."""
    large = len(graph) > FOLD_NODES
    return frozenset(r.id for r in graph.grouping.repeats if large or len(r) > FOLD_MEMBERS)


def folded_repeats(graph: Graph, fold_option: bool | None = None) -> frozenset[int]:
    """The ids of the repeats to fold: every one (True), none (False) or by the default rule (None)."""
    if fold_option is None:
        return default_folds(graph)
    return frozenset(r.id for r in graph.grouping.repeats) if fold_option else frozenset()


def in_progress(stepper: Stepper | None) -> int | None:
    """The node of the step in progress, which a view following the walk opens: none before the first step,
    nor once the walk is done (a finished walk folds each repeat whole, its last step marked on the box)."""
    return None if stepper is None or stepper.done else stepper.current


def focus_hops(graph: Graph, node: int, hops: int) -> int:
    """The hops asked for, or fewer where the neighbourhood would be too large to read."""
    for fewer in range(hops, HOPS[0], -1):
        if len(neighbourhood(graph, node, fewer)) <= FOCUS_NODES:
            return fewer
    return HOPS[0]


class ViewKey(NamedTuple):
    """What a view shows, as a value: equal keys draw the same items, so a drawing is cached by its key.

    ``kind`` is "all" (every node), "fold" (the ``folded`` repeats drawn as blocks, except the member of each
    named in ``opened``) or "focus" (``node`` and what lies within ``hops`` edges, the rest as context boxes).
    """

    kind: str
    node: int | None = None
    hops: int = 0
    folded: frozenset[int] = frozenset()
    opened: tuple[tuple[int, int], ...] = ()  # (repeat id, member drawn in full), sorted


EVERYTHING = ViewKey("all")


def view_key(graph: Graph, stepper: Stepper | None = None, *, anchor: int | None = None,
             fold_option: bool | None = None, focused: bool = False, hops: int = 2) -> ViewKey:
    """The view of ``graph`` as of ``stepper`` with ``anchor`` in the open (a node the user picked or focuses
    on; None follows the walk): focused on it, or every folded repeat around it opened at the member holding
    it, so stepping shows each node while the rest stays folded."""
    if focused and anchor is not None:
        return ViewKey("focus", anchor, focus_hops(graph, anchor, hops))
    folded = folded_repeats(graph, fold_option)
    if not folded:
        return EVERYTHING
    node = anchor if anchor is not None else in_progress(stepper)
    around = graph.grouping.repeats_at(node) if node is not None else {}
    return ViewKey("fold", folded=folded, opened=tuple(sorted((r, k) for r, k in around.items() if r in folded)))


def describe(graph: Graph, key: ViewKey) -> Description:
    """The items a view with ``key`` draws, from ``grouping``'s structure."""
    if key.kind == "focus":
        return Description(key, graph, focus(graph, key.node, key.hops))
    if key.kind == "fold":
        return Description(key, graph, fold(graph, folded=key.folded, opened=dict(key.opened)))
    return Description(key, graph, None)


# ───────────────────────────── what it draws ─────────────────────────────


@dataclass(frozen=True)
class BlockProgress:
    """How far the walk is inside a block: forward ops computed, backward steps taken, the step inside it."""

    computed: int
    ops: int
    backward: int
    backward_total: int
    current: int | None  # the node of the last step, when it lies in the block
    phase: str  # "forward" or "backward": which count says how far

    @property
    def fill(self) -> str:
        """How far the walk has reached the block, named as ``Stepper.state`` names a node's colour."""
        if self.backward:
            return "grad"
        return "computed" if self.computed or not self.ops else "pending"

    @property
    def state(self) -> str:
        """The block's colour: ``current`` while the last step lies inside, else how far the walk has reached it."""
        return "current" if self.current is not None else self.fill

    @property
    def text(self) -> str:
        """``12/51 computed`` or ``3/34 backward``: the count that moves now; nothing for a box of leaves."""
        if self.phase == "backward" and self.backward_total:
            return f"{self.backward}/{self.backward_total} backward"
        return f"{self.computed}/{self.ops} computed" if self.ops else ""

    @property
    def counts(self) -> str:
        """``values 12/51 · backward steps 3/34``: both counts, where there is room for them."""
        back = f" · backward steps {self.backward}/{self.backward_total}" if self.backward_total else ""
        return f"values {self.computed}/{self.ops}{back}"


@dataclass
class Description:
    """What a view draws: its key, and the items (nodes and blocks) with their edges; ``view`` None draws every
    node.  Every word a block says and every count it shows comes from here."""

    key: ViewKey
    graph: Graph = field(repr=False)
    view: View | None
    _ops: dict[int, tuple[array, array]] = field(default_factory=dict, repr=False)

    @property
    def blocks(self) -> dict[int, Block]:
        return self.view.blocks if self.view is not None else {}

    def item_of(self, node: int) -> int:
        """The item (the node itself, or the block holding it) that draws ``node``."""
        return self.view.item_of[node] if self.view is not None else node

    def block(self, item: int | None) -> Block | None:
        return self.blocks.get(item) if item is not None else None

    def label(self, block: Block) -> str:
        """The one line a box says: ``× 17  while a.norm() < 100: a = a * 2``, ``iterations 1–3 of 6 · 15 nodes``."""
        return block.label if block.repeat is not None or not block.detail else f"{block.label} · {block.detail}"

    def title(self, block: Block) -> str:
        """``× 13 · iterations 5–17 of 18`` (a folded run), ``iteration 1 of 18`` (one member), ``context · …``."""
        if block.repeat is None:
            return f"context · {block.label}"
        count, span = block.label.split("  ")[0], block.detail.split(" · ")[0]
        return span if count == span else f"{count} · {span}"

    def member_at(self, block: Block, node: int) -> str:
        """``iteration 3 of 18`` or ``call 3 of 6``: the member of a folded block that holds ``node``."""
        grouping = self.graph.grouping
        for g in grouping.chain(node):
            rid, k = grouping.member_of.get(g.id, (-1, 0))
            if block.repeat is not None and rid == block.repeat.id:
                return grouping.member_title(block.repeat, k)
        return "it"

    def where(self, item: int) -> str:
        """The breadcrumb of an item: ``myFunc() ▸ while a.norm() < 100 ▸ iteration 3 of 18``."""
        grouping, block = self.graph.grouping, self.block(item)
        if block is None:
            return grouping.breadcrumb(item)
        if block.repeat is None:
            return f"context: {block.label}"
        chain = [g.id for g in grouping.chain(block.nodes[0])]
        outer = grouping.breadcrumb(block.nodes[0]).split(" ▸ ")[:chain.index(block.repeat.members[block.first - 1])]
        return " ▸ ".join([*outer, block.detail.split(" · ")[0]])

    @functools.cached_property
    def _backward(self) -> bytearray:
        """1 for each node backward steps through: a byte per node, not a 60,000-int set (2 MB)."""
        mask = bytearray(len(self.graph))
        for nid in self.graph.backward_nodes:
            mask[nid] = 1
        return mask

    def progress(self, stepper: Stepper, block: Block) -> BlockProgress:
        """Where the walk is inside ``block``, by binary search on its ops: a repaint costs no scan.  The ops are
        kept as machine integers: a block of 60,000 ops held as ints cost 2 MB."""
        if block.id not in self._ops:
            program, nodes = self.graph.program, block.nodes  # read in C: 60,000 ops in a wide graph's block
            entries = map(itemgetter(0), map(program.__getitem__, nodes))
            ops = array("q", compress(nodes, map(is_not, entries, repeat(None))))
            self._ops[block.id] = (ops, array("q", compress(ops, map(self._backward.__getitem__, ops))))
        ops, back = self._ops[block.id]
        last, first_back = stepper.frontier()
        current = stepper.current if stepper.current is not None and self.item_of(stepper.current) == block.id \
            else None
        return BlockProgress(bisect_right(ops, last), len(ops), len(back) - bisect_left(back, first_back), len(back),
                             current, stepper.phase_of(stepper.position))

