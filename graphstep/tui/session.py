"""Provides ``Session``: the user's file, its graph, stepper and what the graph view draws, reloadable.

No Textual here: the app holds one session and redraws from it, so the same
state can be driven in tests and benchmarks without a screen.  What the graph
view draws is a ``Drawing``: every node, the graph with its repeats folded
(``grouping.fold``, the same code the exported pictures use), or the
neighbourhood of one node with context boxes (``grouping.focus``).  Drawings
are cached by what they open, so a step re-lays out only when that changes.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..analysis.gradcheck import GradcheckReport
from ..analysis.grouping import Block, Grouping, View, focus, fold, neighbourhood
from ..core.breaks import Break
from ..core.graph import Graph
from ..core.loader import load_and_trace, read_source, split_target
from ..core.stepper import FORWARD, Step, Stepper
from ..core.tracer import display_path
from ..core.usercode import user_code_error
from ..errors import GraphstepError
from ..render.layout import Layout, layout_graph, layout_view
from .jobs import EscapedError

FOLD_MEMBERS = 6  # a file opens folded when a repeat has more members than this…
FOLD_NODES = 300  # …or the graph more nodes than this (and it has repeats at all)
KEPT_DRAWINGS = 8
HOPS = (1, 6)  # focus: fewest and most hops around the focused node
FOCUS_NODES = 80  # fewer hops than asked where more would draw more nodes than this (a hub read 2,000 times)


@dataclass
class Drawing:
    """One way of drawing the graph: the items (nodes and blocks) and their terminal layout."""

    key: tuple
    layout: Layout
    view: View | None = None  # None: every node is drawn
    _steps: dict[int, tuple[list[int], list[int]]] = field(default_factory=dict, repr=False)

    def item_of(self, node: int) -> int:
        """The item (the node itself, or the block holding it) that draws ``node``."""
        return self.view.item_of[node] if self.view is not None else node

    def block(self, item: int | None) -> Block | None:
        return self.view.blocks.get(item) if self.view is not None and item is not None else None


@dataclass
class Progress:
    """How far the walk is inside a block: forward ops computed, backward steps taken, the step inside it."""

    computed: int
    ops: int
    backward: int
    backward_total: int
    current: int | None  # the node of the last step, when it lies in the block
    phase: str  # "forward" or "backward": which count says how far

    @property
    def state(self) -> str:
        """The colour of the block, as ``Stepper.state`` names the colour of a node."""
        if self.current is not None:
            return "current"
        if self.backward:
            return "grad"
        return "computed" if self.computed or not self.ops else "pending"

    @property
    def text(self) -> str:
        """``12/51 computed`` or ``3/34 backward``; nothing for a box of leaves."""
        if self.phase == "backward" and self.backward_total:
            return f"{self.backward}/{self.backward_total} backward"
        return f"{self.computed}/{self.ops} computed" if self.ops else ""


@dataclass
class Traced:
    """A new run of the user's file, made off the UI thread; ``Session.adopt`` shows it."""

    graph: Graph
    stepper: Stepper
    reseed: int
    source_lines: list[str]


def trace_file(target: str, reseed: int, mode: str, position: int) -> Traced:
    """Run the user's file and trace it, then walk to ``position``: all the slow parts of a reload, none of
    which touches what the UI draws, so a worker thread can do it while the UI keeps the old graph."""
    graph = load_and_trace(target, reseed=reseed or None)
    graph.grouping  # noqa: B018 — found here, off the UI thread: it takes a while on a large graph
    stepper = Stepper(graph, mode=mode)
    stepper.run_to(min(position, stepper.total))
    return Traced(graph, stepper, reseed, read_lines(split_target(target)[0]))


def run_error(err: Exception) -> GraphstepError:
    """What the error screen says of a failed run: the engine's error (whatever the file did, a stop included);
    for anything else, a bug in graphstep, where the user's code was."""
    if isinstance(err, GraphstepError):
        return err
    return user_code_error(err.__cause__ if isinstance(err, EscapedError) and err.__cause__ is not None else err)


def read_lines(path: str) -> list[str]:
    """The lines of the user's file for the source view, whatever its bytes (one Python cannot decode shows as �)."""
    try:
        return read_source(path).splitlines()
    except OSError:
        return []


@dataclass
class Session:
    """What the TUI shows: one traced file, where the walk is, and how the graph is drawn."""

    target: str
    mode: str = "reverse"
    graph: Graph | None = None
    stepper: Stepper | None = None
    error: GraphstepError | None = None
    check: GradcheckReport | None = None
    source_lines: list[str] = field(default_factory=list)
    reseed: int = 0  # 0: the inputs as the file draws them; k: gs.rng draws anew (key L)
    watched: list[int] = field(default_factory=list)  # node ids in the watch panel
    break_at: list[str] = field(default_factory=list)  # node names to break at (graphstep FILE --break NAME)
    grad_norm_limit: float | None = None  # e/f stop when a gradient's norm exceeds it
    stop: Break | None = None  # why e/f last stopped short
    folded: bool | None = None  # None until the first load picks the default
    focused: bool = False
    hops: int = 2
    _steps: dict[tuple[str, int], int] = field(default_factory=dict)
    _records: dict[int, Step] = field(default_factory=dict)
    _drawings: dict[tuple, Drawing] = field(default_factory=dict)
    _backward: set[int] = field(default_factory=set)  # nodes with a backward step

    @property
    def path(self) -> str:
        return split_target(self.target)[0]

    @property
    def ready(self) -> bool:
        """There is a graph to step: the last run that worked (``error`` says when the file has failed since)."""
        return self.stepper is not None

    @property
    def layout(self) -> Layout | None:
        """The layout of every node, unfolded (laid out on first use)."""
        return self.drawing(None, everything=True).layout if self.graph is not None else None

    def reload(self, reseed: int | None = None) -> bool:
        """Load and trace the file again in this thread, keeping the step position; False (and ``error``) on
        failure, the last good graph kept.  The TUI runs ``tracer(reseed)`` in a worker, then ``adopt``."""
        try:
            traced = self.tracer(reseed)()
        except GraphstepError as err:
            self.error = err
            return False
        self.adopt(traced)
        return True

    def fail(self, err: Exception) -> None:
        """A run of the file failed, or was stopped before it finished: keep what the error screen says."""
        self.error = run_error(err)

    def tracer(self, reseed: int | None = None) -> Callable[[], Traced]:
        """The run of the file a reload makes (``reseed`` draws new inputs), bound to the walk as it is now."""
        return partial(trace_file, self.target, self.reseed if reseed is None else reseed, self.mode,
                       self.stepper.position if self.stepper else 0)

    def adopt(self, traced: Traced) -> None:
        """Show a new run of the file: breakpoints and watches follow their nodes by name, the walk stays where
        it is (the user may have stepped the old graph while the file ran)."""
        graph, position = traced.graph, self.stepper.position if self.stepper else traced.stepper.position
        stepper = traced.stepper if traced.stepper.mode == self.mode else Stepper(graph, mode=self.mode)
        self._carry_marks(stepper)
        stepper.grad_norm_limit = self.grad_norm_limit
        stepper.breakpoints |= {graph.ids[name] for name in self.break_at if name in graph.ids}
        self.break_at = []  # given on the command line: applied to the first trace, then carried by name
        self.graph, self.error, self.check, self.reseed = graph, None, None, traced.reseed
        self._drawings, self._backward = {}, set(graph.backward_nodes)
        if self.folded is None:
            self.folded = folds_by_default(graph.grouping, len(graph))
        self.source_lines = traced.source_lines
        self._use(stepper, position)

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

    # ── what the graph view draws ──
    def drawing(self, anchor: int | None, everything: bool = False) -> Drawing:
        """The drawing with ``anchor`` (the current or picked node) in the open: focused on it, or its
        iterations opened in the folded graph.  Cached by what it opens."""
        key = ("all",) if everything else self._key(anchor)
        found = self._drawings.pop(key, None) or self._draw(key)
        self._drawings[key] = found  # newest last, so the oldest goes first
        while len(self._drawings) > KEPT_DRAWINGS:
            del self._drawings[next(iter(self._drawings))]
        return found

    def _key(self, anchor: int | None) -> tuple:
        grouping = self.graph.grouping
        if self.focused and anchor is not None:
            return ("focus", anchor, self.focus_hops(anchor))
        if self.folded and grouping.repeats:
            return ("fold", tuple(grouping.repeats_at(anchor).items()) if anchor is not None else ())
        return ("all",)

    def _draw(self, key: tuple) -> Drawing:
        if key[0] == "all":
            return Drawing(key, layout_graph(self.graph))
        view = focus(self.graph, key[1], key[2]) if key[0] == "focus" else fold(self.graph, opened=dict(key[1]))
        return Drawing(key, layout_view(self.graph, view), view)

    def set_hops(self, delta: int) -> None:
        self.hops = max(HOPS[0], min(HOPS[1], self.hops + delta))

    def focus_hops(self, node: int) -> int:
        """The hops asked for, or fewer where the neighbourhood would be too large to read."""
        for hops in range(self.hops, HOPS[0], -1):
            if len(neighbourhood(self.graph, node, hops)) <= FOCUS_NODES:
                return hops
        return HOPS[0]

    def progress(self, drawing: Drawing, block: Block) -> Progress:
        """Where the walk is inside ``block``, by binary search on its ops: a repaint costs no scan."""
        if block.id not in drawing._steps:
            ops = [n for n in block.nodes if self.graph.program[n][0] is not None]
            drawing._steps[block.id] = (ops, [n for n in ops if n in self._backward])
        ops, back = drawing._steps[block.id]
        last, first_back = self.frontier()
        st = self.stepper
        current = st.current if st.current is not None and drawing.item_of(st.current) == block.id else None
        return Progress(bisect_right(ops, last), len(ops), len(back) - bisect_left(back, first_back), len(back),
                        current, "backward" if st.position > st.forward_steps else "forward")

    def frontier(self) -> tuple[int, int]:
        """(last node computed forward, last node whose backward step is taken): forward runs in node order
        and backward in reverse, so everything up to the first has a value and from the second on a gradient."""
        st, graph = self.stepper, self.graph
        forward = min(st.position, st.forward_steps)
        taken = max(0, st.position - st.forward_steps - 1)  # backward steps after the seed
        last = graph.op_nodes[forward - 1] if forward else -1
        return last, graph.backward_nodes[taken - 1] if taken and st.mode == "reverse" else len(graph)

    def block_rows(self, drawing: Drawing, block: Block) -> tuple[str, list[tuple[str, str]]]:
        """(title, rows) for the inspector: what a folded block or a context box stands for."""
        p = self.progress(drawing, block)
        rows = [("stands for", block.label), ("where", block.detail)] if block.repeat else \
            [("context", block.label), ("holds", block.detail or f"{len(block)} nodes")]
        if block.repeat is not None:
            each = len(block) // (block.last - block.first + 1)
            rows.append(("nodes", f"{len(block):,} ({each} in each), {p.ops:,} ops"))
        rows.append(("forward", f"{p.computed:,}/{p.ops:,} ops computed"))
        if self.stepper.mode == "reverse":
            rows.append(("backward", f"{p.backward:,}/{p.backward_total:,} backward steps taken"))
        if p.current is not None:
            step = self.record(self.stepper.position)
            rows.append(("in progress", f"step {step.index}: {step.name} · {step.formula}"))
        if block.repeat is not None:
            kind = self.graph.grouping.groups[block.repeat.members[0]].kind
            rows.append(("", f"press o to open {kind} {block.first}"))
            return f"{block.label.split('  ')[0]} · {block.detail.split(' · ')[0]}", rows
        rows.append(("", "press o to focus there"))
        return f"context · {block.label}", rows

    def where(self, drawing: Drawing, item: int) -> str:
        """The breadcrumb of an item: ``myFunc() ▸ while a.norm() < 100 ▸ iteration 3 of 18``."""
        grouping, block = self.graph.grouping, drawing.block(item)
        if block is None:
            return grouping.breadcrumb(item)
        if block.repeat is None:
            return f"context: {block.label}"
        first = block.repeat.members[block.first - 1]
        depth = [g.id for g in grouping.chain(block.nodes[0])].index(first)
        outer = grouping.breadcrumb(block.nodes[0]).split(" ▸ ")[:depth]  # the groups around the repeat
        return " ▸ ".join([*outer, block.detail.split(" · ")[0]])

    # ── steps ──
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


def folds_by_default(grouping: Grouping, nodes: int) -> bool:
    """Fold when a repeat is long (myFunc's 17 doublings) or the graph is large; a 6-layer MLP opens unfolded."""
    return bool(grouping.repeats) and (nodes > FOLD_NODES or max(map(len, grouping.repeats)) > FOLD_MEMBERS)


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
