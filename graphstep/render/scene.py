"""Provides ``Scene``: what a picture of a graph shows at one step, as plain data.

A scene knows each node's kind, state and value summaries, which nodes reach
the output, the group (call, scope, loop iteration) each node was made in, from
``graph.grouping`` (the one place that decides grouping for the TUI and the
pictures), and which statement made several ops.  It reads the ``Stepper`` but
never changes it, and knows nothing of Graphviz.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field

from ..analysis.grouping import Grouping
from ..core.graph import Graph
from ..core.ops import OPS
from ..core.stepper import Stepper
from ..text import array_text, fmt_shape
from .view import Description


@dataclass
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
    value: str | None = None  # summary once computed
    grad: str | None = None  # summary once a gradient arrived
    arrivals: int = 0  # gradient contributions received (2+ = accumulated)
    backward_done: bool = False  # this op already sent its gradient to its inputs
    group: int = -1  # innermost group (grouping.Group id) the node was made in, -1 outside every group
    statement: tuple = ()  # (line, visit) of an op whose statement made several ops in its group
    scope: str = ""
    inputs: tuple[int, ...] = ()
    inline: dict[int, str] = field(default_factory=dict)  # input position -> scalar const text


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
    hidden: dict[int, str] = field(default_factory=dict)  # node id -> summary id it is drawn in
    note: str = ""  # said in the picture, e.g. that nodes were collapsed
    grouping: Grouping | None = None  # the group tree the clusters are drawn from
    shown: Description | None = None  # what the view folds and opens (``render.view``), as the TUI draws it


@dataclass
class Summary:
    """Many nodes drawn as one box: a folded run of a repeat ("× 5"), or a line, scope or block of a huge graph."""

    id: str
    label: str
    members: list[int]
    detail: str = ""
    state: str = "plain"  # the state most of its members are in
    folded: bool = False  # members of a repeat folded "× k" (drawn stacked), not a summary of a huge graph
    parent: int = -1  # the group whose cluster holds the box, -1 for the top level
    current: bool = False  # the step in progress is inside


def source_line(node: dict) -> str:
    return linecache.getline(node["file"], node["line"]).strip() if node.get("file") else ""


def statements(graph: Graph) -> dict[int, tuple]:
    """(line, visit) per op node: the run of ops one statement made inside one group, numbered per line.

    ``Z1 = X @ W1 + b1`` makes two ops in a row; ops a call makes meanwhile are
    in their own group and do not break the run.  Iterations are groups, so
    each pass of a loop over the same line is a new visit.
    """
    innermost = graph.grouping.innermost
    last: dict[int, tuple[str, tuple]] = {}  # group -> (source, key) of its latest op
    visits: dict[str, int] = {}
    result: dict[int, tuple] = {}
    for nid in graph.op_nodes:
        source, group = graph.node(nid)["source"], innermost[nid]
        seen = last.get(group)
        if seen is None or seen[0] != source:
            visits[source] = visits.get(source, 0) + 1
            seen = last[group] = (source, (int(source.rsplit(":", 1)[-1]), visits[source]))
        result[nid] = seen[1]
    return result


def build_scene(graph: Graph, stepper: Stepper | None = None) -> Scene:
    """The picture's content for ``graph`` as of ``stepper`` (structure only without one)."""
    used, needs = graph.feeds_output, graph.needs_grad
    runs = statements(graph)
    sizes: dict[tuple, int] = {}
    for key in runs.values():
        sizes[key] = sizes.get(key, 0) + 1
    innermost = graph.grouping.innermost
    arrivals = stepper.arrivals() if stepper else {}
    done = _backward_done(stepper)
    nodes = {}
    for nid in graph.order:
        node = graph.node(nid)
        if graph.is_scalar_const(nid) and all(is_op(graph, c) for c in graph.nx.successors(nid)) \
                and graph.nx.out_degree(nid) > 0:
            continue
        run = runs.get(nid, ())
        view = NodeView(
            id=nid, kind=node["kind"], name=node["name"], shape=tuple(node["shape"]), dtype=node["dtype"],
            state=stepper.state(nid) if stepper else "plain", used=used[nid], gets_grad=used[nid] and needs[nid],
            source=node["source"], code=source_line(node), op=node["op"], scope=node.get("scope", ""),
            inputs=tuple(node["inputs"]),
            group=innermost[nid], statement=run if run and sizes[run] > 1 else (),
            arrivals=arrivals.get(nid, 0), backward_done=nid in done)
        if view.op:
            view.symbol = _op_label(graph, nid, view)
        if stepper:
            view.value = array_text(stepper.value(nid))
            view.grad = array_text(stepper.grad(nid))
        nodes[nid] = view
    return Scene(graph.name, nodes, graph.output, title(graph, stepper), stepper is not None,
                 stepper.position if stepper else 0, grouping=graph.grouping)


def is_op(graph: Graph, nid: int) -> bool:
    return graph.node(nid)["kind"] == "op"


def _backward_done(stepper: Stepper | None) -> set[int]:
    if stepper is None:
        return set()
    return set(stepper.stepped("backward"))


def _op_label(graph: Graph, nid: int, view: NodeView) -> str:
    """The op's symbol, with scalar constants and keyword params written in: ``** 2``, ``Σ axis=0``."""
    node = graph.node(nid)
    symbol = OPS[node["op"]].symbol or node["op"]
    for k, i in enumerate(node["inputs"]):
        if graph.is_scalar_const(i):
            view.inline[k] = f"{float(graph.leaf_values[i]):g}"
    if view.inline:
        left = [view.inline[k] for k in sorted(view.inline) if k == 0]
        right = [view.inline[k] for k in sorted(view.inline) if k > 0]
        symbol = " ".join([*left, symbol, *right])
    if node.get("index_text"):  # x[np.arange(N), y] reads [arange(12), y], not the arrays' repr
        label = index_label(node["index_text"])
        symbol = symbol.replace("[]=", f"{label} =", 1).replace("[]", label, 1)
    extras = [f"{k}={v}" for k, v in node["params"].items() if v is not None and v is not False and k != "index"]
    return " ".join([symbol, *extras])


def index_label(parts: tuple[str, ...], most: int = 28) -> str:
    """``[arange(12), y]``, cut with … past ``most`` characters so an op's label stays small."""
    text = ", ".join(parts)
    return f"[{text if len(text) <= most else text[:most - 1] + '…'}]"


def title(graph: Graph, stepper: Stepper | None) -> str:
    """What the picture shows, in words: the computation and where the walk stands."""
    head = f"{graph.name} · {graph.node(graph.output)['source'].rsplit(':', 1)[0]}"
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
        where = f"backward pass done: gradients of {_names(list(graph.params))} ready"
    else:
        where = f"backward: gradient through {graph.name_of(stepper.current)}"
    return f"{head} · step {k} of {total} · {where}"


def _names(names: list[str], most: int = 6) -> str:
    """``W1, b1, W2`` or, for thousands of params, ``W1_0, b1_0, W2_0, … (4,000 params)``: a title stays short."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:3])}, … ({len(names):,} params)"


def shape_text(view: NodeView) -> str:
    return f"{fmt_shape(view.shape)} {view.dtype}"
