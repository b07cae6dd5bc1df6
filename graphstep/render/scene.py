"""Provides ``Scene``: what a picture of a graph shows at one step, as plain data.

A scene knows each node's kind, state, value and gradient, which nodes reach
the output, the group (call, scope, loop iteration) each node was made in, from
``graph.grouping`` (the one place that decides grouping for the TUI and the
pictures), and which statement made several ops.  It holds a ``NodeView`` only
for the nodes its view draws and those at the edge of a folded block (whose
edges it draws): a 100,000-node loop folded into one box costs a few views, not
100,000.  It reads the ``Stepper`` but never changes it, and knows nothing of
Graphviz.
"""

from __future__ import annotations

import itertools
import linecache
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from weakref import WeakKeyDictionary

import numpy as np

from ..analysis.grouping import Grouping
from ..core.graph import Graph
from ..core.heap import paused_gc
from ..core.ops import OPS
from ..core.records import Node
from ..core.stepper import Stepper
from ..text import array_text as array_text  # how a picture writes a value; tests import it from here
from ..text import fmt_shape
from .view import EVERYTHING, Description, describe


@dataclass(eq=False)
class NodeView:
    """One node as a picture draws it."""

    id: int
    kind: str  # param, input, const, op
    name: str
    shape: tuple
    dtype: str
    state: str  # plain (no stepper), pending, computed, current, grad
    used: bool  # lies on a path to the output
    gets_grad: bool  # backward sends it a gradient (on the way from a param to the output)
    source: str
    code: str  # the source line, stripped
    op: str | None = None
    symbol: str = ""
    value: np.ndarray | None = None  # once computed (drawn as ``text.array_text`` where the node is drawn)
    grad: np.ndarray | None = None  # once a gradient arrived
    arrivals: int = 0  # gradient contributions received (2+ = accumulated)
    backward_done: bool = False  # this op already sent its gradient to its inputs
    group: int = -1  # innermost group (grouping.Group id) the node was made in, -1 outside every group
    statement: tuple = ()  # (line, visit) of an op whose statement made several ops in its group
    scope: str = ""
    inputs: tuple[int, ...] = ()
    inline: dict[int, str] = field(default_factory=dict)  # input position -> scalar const text


class Hidden(Mapping[int, str]):
    """``Scene.hidden``: node id → the id of the summary box drawn in its place.  A folded block's members are
    found through the view's ``item_of`` (``hide_block``), not written out: a 100,000-node loop folded into one box
    costs no 100,000-entry dict (5 MB, and as much again while it is built); collapse's summaries name theirs."""

    def __init__(self) -> None:
        self._nodes: dict[int, str] = {}  # hidden one by one (``hide``)
        self._boxes: dict[int, str] = {}  # folded block id → summary id (``hide_block``)
        self._item_of: list[int] = []
        self._inlined: frozenset[int] = frozenset()  # never drawn, so never hidden: constants written into ops
        self._in_boxes = 0

    def hide(self, members: list[int], sid: str) -> None:
        self._nodes.update(zip(members, itertools.repeat(sid)))

    def hide_block(self, block: int, sid: str, members: Sequence[int], item_of: list[int],
                   inlined: frozenset[int]) -> None:
        """Hide ``members``: the nodes ``item_of`` gives to ``block``, but those in ``inlined``."""
        self._item_of, self._inlined = item_of, inlined
        self._boxes[block] = sid
        self._in_boxes += len(members)

    def table(self, size: int) -> list[str | None]:
        """Node id → the summary id drawn in its place, None for a node drawn itself (or never: a constant written
        into its op), for ids below ``size``: one list for a picture's many lookups (240,000 ``get``s, half of a
        20,000-branch graph's picture), made in C from the view's ``item_of``."""
        if not self._boxes:
            table: list[str | None] = [None] * size
        else:
            table = list(map(self._boxes.get, self._item_of))
            for nid in self._inlined:
                table[nid] = None
        for nid, sid in self._nodes.items():
            table[nid] = sid
        return table

    def get(self, nid: int, default: str | None = None) -> str | None:
        sid = self._nodes.get(nid)
        if sid is None and self._boxes and nid not in self._inlined:
            sid = self._boxes.get(self._item_of[nid])
        return default if sid is None else sid

    def __getitem__(self, nid: int) -> str:
        sid = self.get(nid)
        if sid is None:
            raise KeyError(nid)
        return sid

    def __contains__(self, nid: object) -> bool:
        return self.get(nid) is not None  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self._in_boxes + len(self._nodes)

    def __iter__(self) -> Iterator[int]:
        boxes, inlined = self._boxes, self._inlined
        yield from (n for n, item in enumerate(self._item_of) if item in boxes and n not in inlined)
        yield from self._nodes


@dataclass
class Scene:
    """Everything a picture needs: nodes in order, the output and a title."""

    name: str
    nodes: dict[int, NodeView]
    output: int
    title: str
    stateful: bool
    position: int = 0
    summaries: dict[str, Summary] = field(default_factory=dict)  # large graphs: groups drawn as one box
    hidden: Hidden = field(default_factory=Hidden)  # node id -> summary id it is drawn in
    note: str = ""  # said in the picture, e.g. that nodes were collapsed
    grouping: Grouping | None = None  # the group tree the clusters are drawn from
    shown: Description | None = None  # what the view folds and opens (``render.view``), as the TUI draws it
    size: int = 0  # the nodes the picture stands for: every node but the constants written into their ops
    inlined: frozenset[int] = frozenset()  # those constants (the 2 of ``x ** 2``)

    def in_picture(self, nid: int) -> bool:
        """Whether node ``nid`` is drawn, as a box or inside a summary (not a constant written into its op)."""
        return nid not in self.inlined


@dataclass
class Summary:
    """Many nodes drawn as one box: a folded run of a repeat ("× 5"), or a line, scope or block of a huge graph."""

    id: str
    label: str
    members: Sequence[int]  # ascending node ids: a range for a folded block of consecutive nodes
    detail: str = ""
    state: str = "plain"  # the state most of its members are in
    folded: bool = False  # members of a repeat folded "× k" (drawn stacked), not a summary of a huge graph
    parent: int = -1  # the group whose cluster holds the box, -1 for the top level
    current: bool = False  # the step in progress is inside


def source_line(node: Node) -> str:
    return linecache.getline(node.file, node.line).strip() if node.file else ""


@dataclass(frozen=True)
class _Structure:
    """What every picture of one graph shares, found once per graph."""

    statements: Statements  # op node → (line, visit) of the statement that made it with other ops
    inlined: frozenset[int]  # scalar constants written into the ops that read them


_STRUCTURES: WeakKeyDictionary[Graph, _Structure] = WeakKeyDictionary()


def _structure(graph: Graph) -> _Structure:
    found = _STRUCTURES.get(graph)
    if found is None:
        found = _STRUCTURES[graph] = _Structure(statements(graph), _inlined(graph))
    return found


def _inlined(graph: Graph) -> frozenset[int]:
    """The scalar constants some op reads (a graph has few): the inputs of every op are read only when there is one."""
    records = graph.records()
    scalars = {n for n in graph.leaf_values if graph.is_scalar_const(n)}
    if not scalars:
        return frozenset()
    return frozenset(scalars.intersection(_inputs_of(records, graph.op_nodes)))


def _inputs_of(records: list[Node], nids: Iterable[int]) -> Iterator[int]:
    """The inputs of each of ``nids``, one after another, read in C: a pass over 60,000 ops without a Python
    frame per op."""
    return itertools.chain.from_iterable(map(_INPUTS, map(records.__getitem__, nids)))


_INPUTS, _KIND, _NAME = attrgetter("inputs"), attrgetter("kind"), attrgetter("name")


class Statements:
    """(line, visit) per op node whose statement made several ops inside one group (``statements``), read with
    ``get`` as a dict is.  Kept as machine integers, a run's number per node and a line and visit per run, and
    made into a tuple when asked: a picture asks for the few nodes it draws, and the 60,000 ops of a 20,000-branch
    graph as a dict of tuples held 4 MB."""

    __slots__ = ("_run", "_lines", "_visits")

    def __init__(self, run: array, lines: array, visits: array) -> None:
        self._run, self._lines, self._visits = run, lines, visits  # visit 0: a run of one op, no statement

    def get(self, nid: int, default: tuple = ()) -> tuple:
        run = self._run[nid]
        if run < 0 or not self._visits[run]:
            return default
        return self._lines[run], self._visits[run]


def statements(graph: Graph) -> Statements:
    """(line, visit) per op node whose statement made several ops inside one group, numbered per line.

    ``Z1 = X @ W1 + b1`` makes two ops in a row; ops a call makes meanwhile are
    in their own group and do not break the run.  Iterations are groups, so
    each pass of a loop over the same line is a new visit.
    """
    innermost, records = graph.grouping.innermost, graph.records()
    run_of = array("l", [-1]) * len(graph)  # op node → its run: a statement's ops in a row in one group
    lines, visits, sizes = array("l"), array("l"), array("l")  # per run
    last: dict[int, tuple[str, int]] = {}  # group -> (source, run) of its latest op
    seen_lines: dict[str, int] = {}  # source -> runs of it so far
    for nid in graph.op_nodes:
        source, group = records[nid].source, innermost[nid]
        seen = last.get(group)
        if seen is None or seen[0] != source:
            seen_lines[source] = seen_lines.get(source, 0) + 1
            seen = last[group] = (source, len(lines))
            lines.append(int(source.rsplit(":", 1)[-1]))
            visits.append(seen_lines[source])
            sizes.append(0)
        run_of[nid] = seen[1]
        sizes[seen[1]] += 1
    for run, size in enumerate(sizes):
        if size < 2:
            visits[run] = 0
    return Statements(run_of, lines, visits)


@paused_gc()  # a view per node of a huge unfolded graph: a million small objects, no cycles
def build_scene(graph: Graph, stepper: Stepper | None = None, shown: Description | None = None, *,
                folded: bool = False) -> Scene:
    """The picture's content for ``graph`` as of ``stepper`` (structure only without one), drawn as ``shown``
    (every node by default): a view of each node it draws, and of each node at the edge of one of its blocks.

    ``folded``: the repeats of ``shown`` will be drawn as "× k" boxes (``collapse.fold_repeats``), so a member at
    the edge of one is never drawn itself and gets a view of what the edges to its box read only
    (``_edge_viewer``): the 40,000 of them in a 20,000-branch graph cost 0.1 s instead of 0.7 s."""
    shown = shown or describe(graph, EVERYTHING)
    structure = _structure(graph)
    done = _backward_done(stepper)
    wanted = _wanted(graph, shown, structure.inlined)
    inside = _inside_folds(graph, shown) if folded else _never
    arrivals = _arrivals(graph, done, {nid for nid in wanted if not inside(nid)})
    edge_view = _edge_viewer(graph, stepper, structure, done)
    nodes = {nid: edge_view(nid) if inside(nid) else _node_view(graph, nid, stepper, structure, arrivals, done)
             for nid in wanted}
    return Scene(graph.name, nodes, graph.output, title(graph, stepper), stepper is not None,
                 stepper.position if stepper else 0, grouping=graph.grouping, shown=shown,
                 size=len(graph) - len(structure.inlined), inlined=structure.inlined)


def _wanted(graph: Graph, shown: Description, inlined: frozenset[int]) -> list[int]:
    """The nodes a scene needs a view of, in order: those ``shown`` draws, the output, and the members of its
    blocks with an edge to or from another item (the edges a picture draws to a block take their style from
    both ends)."""
    if shown.view is None:
        return [n for n in graph.order if n not in inlined]
    item_of, border = shown.view.item_of, shown.view.border
    return [n for n in graph.order if n not in inlined and (item_of[n] == n or n in border or n == graph.output)]


def _never(nid: int) -> bool:
    return False


def _inside_folds(graph: Graph, shown: Description):
    """Whether a node is drawn inside a folded repeat's box (the output is always viewed in full)."""
    if shown.view is None:
        return _never
    item_of, blocks, output = shown.view.item_of, shown.blocks, graph.output
    folded = {bid for bid, block in blocks.items() if block.repeat is not None}
    return lambda nid: nid != output and item_of[nid] in folded


class EdgeView:
    """A node drawn inside a folded box, as the edges to and from the box read it (``dot._edges``): a ``NodeView``
    of its kind, shape, op, inputs, inlined constants, state, use, gradient and whether it sent its own, and
    slotted: a 20,000-branch graph has 40,000 of them.  What a box's edges never read keeps its class default."""

    __slots__ = ("id", "kind", "shape", "state", "used", "op", "inputs", "inline", "grad", "backward_done")
    name = dtype = source = code = symbol = scope = ""
    value = None
    gets_grad = False
    arrivals = 0
    group = -1
    statement = ()

    def __init__(self, nid: int, node: Node, state: str, used: bool, inline: Mapping[int, str],
                 grad: np.ndarray | None, backward_done: bool) -> None:
        self.id, self.kind, self.shape, self.state, self.used = nid, node.kind, tuple(node.shape), state, used
        self.op, self.inputs, self.inline, self.grad = node.op, tuple(node.inputs), inline, grad
        self.backward_done = backward_done


_NO_INLINE = MappingProxyType({})  # the inlined constants of most ops: none


def _edge_viewer(graph: Graph, stepper: Stepper | None, structure: _Structure,
                 done: set[int]) -> Callable[[int], EdgeView]:
    """The ``EdgeView`` of a node by id, with what every view reads looked up once: a 20,000-branch graph asks
    40,000 times."""
    records, feeds, inlined = graph.records(), graph.feeds_output, structure.inlined
    state = stepper.state if stepper else _plain
    grad = stepper.grad if stepper else _no_grad

    def view(nid: int) -> EdgeView:
        node = records[nid]
        inline = None if inlined.isdisjoint(node.inputs) else \
            {k: _const_text(graph, i) for k, i in enumerate(node.inputs) if i in inlined}
        return EdgeView(nid, node, state(nid), feeds[nid], inline or _NO_INLINE, grad(nid), nid in done)

    return view


def _plain(nid: int) -> str:
    return "plain"


def _no_grad(nid: int) -> None:
    return None


def _node_view(graph: Graph, nid: int, stepper: Stepper | None, structure: _Structure, arrivals: dict[int, int],
               done: set[int]) -> NodeView:
    node = graph.node(nid)
    used, needs = graph.feeds_output[nid], graph.needs_grad[nid]
    view = NodeView(
        id=nid, kind=node.kind, name=node.name, shape=tuple(node.shape), dtype=node.dtype,
        state=stepper.state(nid) if stepper else "plain", used=used, gets_grad=used and needs,
        source=node.source, code=source_line(node), op=node.op, scope=node.scope, inputs=tuple(node.inputs),
        group=graph.grouping.innermost[nid], statement=structure.statements.get(nid, ()),
        arrivals=arrivals.get(nid, 0), backward_done=nid in done)
    if view.op:
        view.symbol, view.inline = op_label(graph, nid)
    if stepper:
        view.value, view.grad = stepper.value(nid), stepper.grad(nid)
    return view


def _backward_done(stepper: Stepper | None) -> set[int]:
    if stepper is None:
        return set()
    return set(stepper.stepped("backward"))


def _arrivals(graph: Graph, done: set[int], nodes: set[int]) -> dict[int, int]:
    """The gradient contributions each of ``nodes`` has received (2+: accumulated), as ``Stepper.arrivals``
    counts them: each backward step taken sends one to each input slot that needs a gradient.  Counted for the
    nodes a picture draws only: ``arrivals`` tallies the whole walk (0.6 s and 30 MB at 100,000 nodes)."""
    needs = graph.needs_grad
    sent = Counter(filter(nodes.__contains__, _inputs_of(graph.records(), done)))
    return {i: count for i, count in sent.items() if needs[i]}


def op_label(graph: Graph, nid: int) -> tuple[str, dict[int, str]]:
    """The op's symbol with scalar constants and keyword params written in (``** 2``, ``Σ axis=0``), and those
    constants by input position."""
    node = graph.node(nid)
    symbol = OPS[node.op].symbol or node.op
    inline = {k: _const_text(graph, i) for k, i in enumerate(node.inputs) if graph.is_scalar_const(i)}
    if inline:
        left = [inline[k] for k in sorted(inline) if k == 0]
        right = [inline[k] for k in sorted(inline) if k > 0]
        symbol = " ".join([*left, symbol, *right])
    if node.index_text:  # x[np.arange(N), y] reads [arange(12), y], not the arrays' repr
        label = index_label(node.index_text)
        symbol = symbol.replace("[]=", f"{label} =", 1).replace("[]", label, 1)
    extras = [f"{k}={v}" for k, v in node.params.items() if v is not None and v is not False and k != "index"]
    return " ".join([symbol, *extras]), inline


def _const_text(graph: Graph, nid: int) -> str:
    """A scalar constant as an op's label writes it in: the 2 of ``x ** 2``."""
    return f"{float(graph.leaf_values[nid]):g}"


def index_label(parts: tuple[str, ...], most: int = 28) -> str:
    """``[arange(12), y]``, cut with … past ``most`` characters so an op's label stays small."""
    text = ", ".join(parts)
    return f"[{text if len(text) <= most else text[:most - 1] + '…'}]"


def title(graph: Graph, stepper: Stepper | None) -> str:
    """What the picture shows, in words: the computation and where the walk stands."""
    head = " · ".join(filter(None, (graph.name, graph.file)))
    if stepper is None:
        return f"{head} · graph ({len(graph)} nodes)"
    k, total, fwd = stepper.position, stepper.total, stepper.forward_steps
    if k == 0:
        where = "before step 1: only the inputs and parameters are known"
    elif stepper.step_kind(k) == "seed":
        where = f"backward starts: seed {stepper.record(k).formula}"
    elif k < fwd:
        where = f"forward: computed {graph.name_of(stepper.current)}"
    elif k == fwd:
        where = "forward pass done"
    elif stepper.done:
        where = f"backward pass done: gradients of {_names(_param_names(graph))} ready"
    else:
        where = f"backward: gradient through {graph.name_of(stepper.current)}"
    return f"{head} · step {k} of {total} · {where}"


def _param_names(graph: Graph) -> list[str]:
    """The params' names in order, as ``graph.params`` has them, without building that dict of 40,000 ids (2 MB)
    where nothing else needs it; found once per graph (an export's picture and its last line both say them)."""
    found = _PARAM_NAMES.get(graph)
    if found is None:
        records = graph.records()
        params = itertools.compress(records, map("param".__eq__, map(_KIND, records)))  # read in C
        found = _PARAM_NAMES[graph] = list(dict.fromkeys(map(_NAME, params)))
    return found


_PARAM_NAMES: WeakKeyDictionary[Graph, list[str]] = WeakKeyDictionary()


def _names(names: list[str], most: int = 6) -> str:
    """``W1, b1, W2`` or, for thousands of params, ``W1_0, b1_0, W2_0, … (4,000 params)``: a title stays short."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:3])}, … ({len(names):,} params)"


def shape_text(view: NodeView) -> str:
    return f"{fmt_shape(view.shape)} {view.dtype}"
