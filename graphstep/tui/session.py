"""Provides ``Session``: the user's file, its graph, stepper and what the graph view draws, reloadable.

No Textual here: the app holds one session and redraws from it, so the same
state can be driven in tests and benchmarks without a screen.  What the graph
view draws is a ``Drawing``: a ``render.view`` description (every node, the
repeats folded, or the neighbourhood of one node with context boxes; the same
decisions the exported pictures draw from) and its terminal layout.  Drawings
are cached by their view key, so a step re-lays out only when that changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..analysis.gradcheck import GradcheckReport
from ..analysis.grouping import Block, View
from ..core.breaks import Break
from ..core.graph import Graph
from ..core.heap import holding
from ..core.loader import load_and_trace, read_source, split_target
from ..core.partial import failed_node
from ..core.stepper import FORWARD, Step, Stepper
from ..core.tracer import display_path
from ..core.training import Training, carry_marks
from ..core.usercode import user_code_error
from ..errors import GraphstepError
from ..render.layout import Layout, layout_graph, layout_view
from ..render.view import EVERYTHING, HOPS, Description, ViewKey, describe, folded_repeats, view_key
from ..render.view import FOLD_NODES as FOLD_NODES  # the app shows the breadcrumb for graphs this large
from .jobs import EscapedError

KEPT_DRAWINGS = 8
IN_PROGRESS_CHARS = 300  # of the formula a folded block's "in progress" row shows (the inspector wraps it)


@dataclass
class Drawing:
    """One way of drawing the graph: what it shows (a ``render.view`` description) and its terminal layout."""

    shown: Description
    layout: Layout

    @property
    def key(self) -> ViewKey:
        return self.shown.key

    @property
    def view(self) -> View | None:
        """The items and edges drawn; None when every node is."""
        return self.shown.view

    def item_of(self, node: int) -> int:
        """The item (the node itself, or the block holding it) that draws ``node``."""
        return self.shown.item_of(node)

    def block(self, item: int | None) -> Block | None:
        return self.shown.block(item)


@dataclass
class Traced:
    """A new run of the user's file, made off the UI thread; ``Session.adopt`` shows it."""

    graph: Graph
    stepper: Stepper
    reseed: int
    source_lines: list[str]
    failure: GraphstepError | None = None  # a call failed while tracing: ``graph`` is the graph up to it


def _cut(step: Step, chars: int) -> str:
    """The step's formula, at most ``chars`` long (a concat's backward step: 2,000 rules, written only as needed)."""
    text = step.formula_prefix(chars + 1)
    return text if len(text) <= chars else text[:chars - 1] + "…"


def trace_file(target: str, reseed: int, mode: str, position: int) -> Traced:
    """Run the user's file and trace it, then walk to ``position``: all the slow parts of a reload, none of
    which touches what the UI draws, so a worker thread can do it while the UI keeps the old graph."""
    with holding():  # what the load builds lives with the graph: frozen, not walked by the collector again
        try:
            graph, failure = load_and_trace(target, reseed=reseed or None), None
        except GraphstepError as err:
            if err.partial_graph is None:
                raise
            graph, failure = err.partial_graph, err  # shown up to the call that failed (``core.partial``), in red
        graph.grouping  # noqa: B018 — found here, off the UI thread: it takes a while on a large graph
        stepper = Stepper(graph, mode=mode)
        stepper.run_to(min(position, stepper.total))
    return Traced(graph, stepper, reseed, read_lines(split_target(target)[0]), failure)


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
    failure: GraphstepError | None = None  # the graph shown is the file's up to a call that failed while tracing
    failed: int | None = None  # then the node of that call, drawn red
    check: GradcheckReport | None = None
    source_lines: list[str] = field(default_factory=list)
    reseed: int = 0  # 0: the inputs as the file draws them; k: gs.rng draws anew (key L)
    watched: list[int] = field(default_factory=list)  # node ids in the watch panel
    break_at: list[str] = field(default_factory=list)  # node names to break at (graphstep FILE --break NAME)
    grad_norm_limit: float | None = None  # e/f stop when a gradient's norm exceeds it
    stop: Break | None = None  # why e/f last stopped short
    fold: bool | None = None  # every repeat folded (True), none (False), or by the default rule (None)
    focused: bool = False
    hops: int = 2
    train: dict | None = None  # graphstep FILE --train N: ``Training``'s options
    training: Training | None = None  # then n, p, e… walk it, and ``stepper`` is its current iteration's
    _records: dict[int, Step] = field(default_factory=dict)
    _drawings: dict[ViewKey, Drawing] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return split_target(self.target)[0]

    @property
    def ready(self) -> bool:
        """There is a graph to step: the last run that worked (``error`` says when the file has failed since)."""
        return self.stepper is not None

    @property
    def folded(self) -> bool:
        """Whether the graph view folds a repeat now; ``z`` sets it: off folds none, on every repeat."""
        return self.graph is not None and bool(folded_repeats(self.graph, self.fold))

    @folded.setter
    def folded(self, on: bool) -> None:
        self.fold = on

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
        trained_to = self.training.position if self.training is not None else 0
        stepper = traced.stepper if traced.stepper.mode == self.mode else Stepper(graph, mode=self.mode)
        self._carry_marks(stepper)
        stepper.grad_norm_limit = self.grad_norm_limit
        stepper.breakpoints |= {graph.ids[name] for name in self.break_at if name in graph.ids}
        self.break_at = []  # given on the command line: applied to the first trace, then carried by name
        self.graph, self.error, self.check, self.reseed = graph, None, None, traced.reseed
        self.failure, self.failed = traced.failure, failed_node(graph) if traced.failure is not None else None
        self._drawings = {}
        self.source_lines = traced.source_lines
        self._use(stepper, position)
        if self.train is not None and self.failure is None:
            self._train(trained_to)

    def _train(self, position: int) -> None:
        """``--train``: a training of the new graph, at the position the last one had; a graph that cannot be
        trained (no params, not a scalar loss) is the error screen's, over the untrained walk."""
        try:
            self.training = Training(self.graph, **self.train)
        except GraphstepError as err:
            self.training, self.error = None, err
            return
        carry_marks(self.stepper, self.training.stepper)
        self.training.run_to(position)
        self._follow_training()

    def walk_node(self) -> int | None:
        """The node the walk is on: the stepper's current node, or in a training's update phase the param updated
        last (so the graph, inspector and source follow an update as they follow a step)."""
        training = self.training
        if training is not None and training.updates:
            return training.updates[-1].node
        return self.stepper.current

    def move(self, method: Callable):
        """Move the walk with ``method``: a ``Stepper`` method (``Stepper.step``) or a function of the stepper.
        Training, the ``Training``'s method of that name (n and p cross iterations and updates) or the function
        of the training, which walks as a stepper does."""
        if self.training is None:
            return method(self.stepper)
        own = getattr(Stepper, method.__name__, None) is method
        done = getattr(self.training, method.__name__)() if own else method(self.training)
        self._follow_training()
        return done

    def _follow_training(self) -> None:
        """Show the current iteration's stepper (its records are not the last one's)."""
        if self.stepper is not self.training.stepper:
            self.stepper, self._records = self.training.stepper, {}

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
        if self.training is not None:
            return  # training runs reverse mode only
        self.mode = mode
        if self.graph is not None:
            stepper = Stepper(self.graph, mode=mode)
            self._carry_marks(stepper)
            self._use(stepper, self.stepper.position if self.stepper else 0)

    def _use(self, stepper: Stepper, position: int) -> None:
        self.stepper = stepper.run_to(min(position, stepper.total))
        self._records = {}

    # ── what the graph view draws ──
    def drawing(self, anchor: int | None, everything: bool = False, *, following: bool = False) -> Drawing:
        """The drawing with ``anchor`` (the current or a picked node) in the open: focused on it, or its
        iterations opened in the folded graph.  ``following`` the walk, a folded graph opens what the step in
        progress is in, as the pictures do (``render.view.view_key`` decides).  Cached by the view key."""
        picked = None if following and not self.focused else anchor
        key = EVERYTHING if everything else view_key(self.graph, self.stepper, anchor=picked, fold_option=self.fold,
                                                     focused=self.focused, hops=self.hops)
        found = self._drawings.pop(key, None) or self._draw(key)
        self._drawings[key] = found  # newest last, so the oldest goes first
        self._forget_old_drawings()
        return found

    def prepare_next(self) -> None:
        """Lay out now the drawing the next step will show while following the walk, if it is a new one: stepping
        into the next iteration of a folded loop then draws at once (a view of 10,000 nodes takes ~10 ms)."""
        st = self.stepper
        if st is None or st.done:
            return
        upcoming = st.node_of(st.position + 1)
        last = st.position + 1 == st.total and not self.focused  # a finished walk folds each repeat whole
        key = view_key(self.graph, None, anchor=None if last else upcoming, fold_option=self.fold,
                       focused=self.focused, hops=self.hops)
        if key not in self._drawings:
            self._drawings[key] = self._draw(key)
            self._forget_old_drawings()

    def _forget_old_drawings(self) -> None:
        while len(self._drawings) > KEPT_DRAWINGS:
            del self._drawings[next(iter(self._drawings))]

    def _draw(self, key: ViewKey) -> Drawing:
        shown = describe(self.graph, key)
        return Drawing(shown, layout_graph(self.graph) if shown.view is None else layout_view(self.graph, shown))

    def set_hops(self, delta: int) -> None:
        self.hops = max(HOPS[0], min(HOPS[1], self.hops + delta))

    def block_rows(self, drawing: Drawing, block: Block) -> tuple[str, list[tuple[str, str]]]:
        """(title, rows) for the inspector: what a folded block or a context box stands for."""
        p = drawing.shown.progress(self.stepper, block)
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
            rows.append(("in progress", f"step {step.index}: {step.name} · {_cut(step, IN_PROGRESS_CHARS)}"))
        if block.repeat is not None:
            opens = self.graph.grouping.member_title(block.repeat, block.first)
            rows.append(("", f"press o to open {opens}"))
        else:
            rows.append(("", "press o to focus there"))
        return drawing.shown.title(block), rows

    # ── steps ──
    def step_of(self, node: int, phase: str = FORWARD) -> int | None:
        """The 1-based index of the node's forward (or backward) step in the plan, if it has one."""
        return self.stepper.step_of(node, phase) if self.stepper else None

    def taken(self, node: int, phase: str = FORWARD) -> Step | None:
        """The record of the node's forward or backward step once it has been taken."""
        k = self.step_of(node, phase)
        return self.record(k) if k is not None and self.stepper and k <= self.stepper.position else None

    def record(self, k: int) -> Step:
        """Step ``k``'s record, cached: records up to the position never change."""
        if k not in self._records:
            self._records[k] = self.stepper.record(k)
        return self._records[k]

    def keep(self, record: Step) -> None:
        """Cache a record the stepper has just made (``Stepper.step`` returns one): a concat of 2,000 inputs
        takes ~40 ms to describe its backward step."""
        self._records[record.index] = record

    def forget_records(self) -> None:
        self._records = {}

    def display_name(self) -> str:
        """``samples/mlp.py:mlp``: the file as the user would type it, and the computation."""
        name = self.graph.name if self.graph is not None else ""
        return f"{short_path(self.path)}:{name}" if name else short_path(self.path)


def short_path(path: str) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    return display_path(os.path.abspath(path))
