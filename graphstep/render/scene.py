"""Provides ``Scene``: what a picture of a graph shows at one step, as plain data.

A scene knows each node's kind, state and value summaries, which nodes reach
the output, and which source-line visit (a loop iteration) each op belongs to.
It reads the ``Stepper`` but never changes it, and knows nothing of Graphviz.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field

import numpy as np

from ..graph import Graph
from ..ops import OPS, fmt_shape
from ..stepper import Stepper, summarize
from ..tracer import _assigned_name

FULL_ARRAY = 4  # arrays up to 4×4 are shown in full


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
    source: str
    code: str  # the source line, stripped
    op: str | None = None
    symbol: str = ""
    value: str | None = None  # summary once computed
    grad: str | None = None  # summary once a gradient arrived
    arrivals: int = 0  # gradient contributions received (2+ = accumulated)
    backward_done: bool = False  # this op already sent its gradient to its inputs
    iteration: int = 0  # 1-based visit of a line that ran several times, else 0
    visit: tuple = ()  # (file, line, visit) of an op node
    loop: tuple = ()  # (file, first line of the loop's lines, iteration) of an op in an unrolled loop
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
    loops: dict[tuple, str] = field(default_factory=dict)  # loop key -> "iteration 3 · a = a * 2"


@dataclass
class Summary:
    """Many nodes drawn as one box (a repeated line, a scope, a block of a huge graph)."""

    id: str
    label: str
    members: list[int]
    detail: str = ""
    state: str = "plain"  # the state most of its members are in


def array_text(a: np.ndarray | None) -> str | None:
    """The full array when it fits in 4×4 (one line per row), else min/mean/max."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.4g}"
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    if a.ndim <= 2 and rows.shape[0] <= FULL_ARRAY and rows.shape[1] <= FULL_ARRAY and np.all(np.isfinite(a)):
        return "\n".join("[" + "  ".join(f"{x:.3g}" for x in row) + "]" for row in rows)
    return summarize(a)


def source_line(node: dict) -> str:
    return linecache.getline(node["file"], node["line"]).strip() if node.get("file") else ""


def line_visits(graph: Graph) -> dict[int, tuple]:
    """(file, line, visit) per op node: an unrolled loop visits the same line again and again.

    A node joins the open visit of its line when it consumes a node of that
    visit or directly follows one; the visit closes at the node named after the
    variable the line assigns (``a = a * 2`` closes at ``a#3``).
    """
    visits: dict[tuple, int] = {}
    open_nodes: dict[tuple, set[int]] = {}
    result: dict[int, tuple] = {}
    prev_key = None
    for nid in graph.op_nodes:
        node = graph.node(nid)
        key = (node["file"], node["line"])
        members = open_nodes.get(key)
        joins = members is not None and (prev_key == key or any(i in members for i in node["inputs"]))
        if not joins:
            visits[key] = visits.get(key, 0) + 1
            members = open_nodes[key] = set()
        members.add(nid)
        result[nid] = (*key, visits[key])
        target = _assigned_name(*key)
        if target and node["name"].split("#")[0] == target:
            del open_nodes[key]
        prev_key = key
    return result


def build_scene(graph: Graph, stepper: Stepper | None = None) -> Scene:
    """The picture's content for ``graph`` as of ``stepper`` (structure only without one)."""
    used = graph.feeds_output
    visits = line_visits(graph)
    repeats: dict[tuple, int] = {}
    for key in visits.values():
        repeats[key[:2]] = max(repeats.get(key[:2], 0), key[2])
    blocks = loop_blocks(repeats)
    arrivals = stepper.arrivals() if stepper else {}
    done = _backward_done(stepper)
    nodes = {}
    for nid in graph.order:
        node = graph.node(nid)
        if graph.is_scalar_const(nid) and all(is_op(graph, c) for c in graph.nx.successors(nid)) \
                and graph.nx.out_degree(nid) > 0:
            continue
        visit = visits.get(nid, ())
        view = NodeView(
            id=nid, kind=node["kind"], name=node["name"], shape=tuple(node["shape"]), dtype=node["dtype"],
            state=stepper.state(nid) if stepper else "plain", used=used[nid], source=node["source"],
            code=source_line(node), op=node["op"], scope=node.get("scope", ""), inputs=tuple(node["inputs"]),
            visit=visit, iteration=visit[2] if visit and repeats[visit[:2]] > 1 else 0,
            arrivals=arrivals.get(nid, 0), backward_done=nid in done)
        if visit and visit[:2] in blocks:
            view.loop = (visit[0], blocks[visit[:2]], visit[2])
        if view.op:
            view.symbol = _op_label(graph, nid, view)
        if stepper:
            view.value = array_text(stepper.value(nid))
            view.grad = array_text(stepper.grad(nid))
        nodes[nid] = view
    scene = Scene(graph.name, nodes, graph.output, title(graph, stepper), stepper is not None,
                  stepper.position if stepper else 0)
    scene.loops = _loop_labels(nodes.values(), blocks)
    return scene


def loop_blocks(repeats: dict[tuple, int]) -> dict[tuple, int]:
    """Lines that ran several times, grouped into loops: (file, line) -> the loop's first line.

    Repeated lines at most two apart (``while`` test and body) are taken as one loop.
    """
    blocks: dict[tuple, int] = {}
    last: tuple | None = None
    for file, line in sorted(key for key, n in repeats.items() if n > 1):
        start = blocks[last] if last and last[0] == file and line - last[1] <= 2 else line
        blocks[(file, line)] = start
        last = (file, line)
    return blocks


def _loop_labels(views, blocks: dict[tuple, int]) -> dict[tuple, str]:
    """``iteration 3 ·  while a.norm() < 100:  a = a * 2``: the iteration and the loop's code."""
    code = {}
    for v in views:
        if v.loop:
            code.setdefault(v.loop[:2], {})[v.visit[1]] = v.code
    text = {loop: _clip("   ".join(c for _, c in sorted(lines.items()))) for loop, lines in code.items()}
    return {v.loop: f"iteration {v.loop[2]} ·  {text[v.loop[:2]]}" for v in views if v.loop}


def is_op(graph: Graph, nid: int) -> bool:
    return graph.node(nid)["kind"] == "op"


def _backward_done(stepper: Stepper | None) -> set[int]:
    if stepper is None:
        return set()
    return {nid for kind, nid in stepper.plan[stepper.forward_steps:stepper.position] if kind == "backward"}


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
    extras = [f"{k}={v}" for k, v in node["params"].items() if v is not None and v is not False]
    return " ".join([symbol, *extras])


def title(graph: Graph, stepper: Stepper | None) -> str:
    """What the picture shows, in words: the computation and where the walk stands."""
    head = f"{graph.name} · {graph.node(graph.output)['source'].rsplit(':', 1)[0]}"
    if stepper is None:
        return f"{head} · graph ({len(graph)} nodes)"
    k, total, fwd = stepper.position, stepper.total, stepper.forward_steps
    if k == 0:
        where = "before step 1: only the inputs and parameters are known"
    elif stepper.plan[k - 1][0] == "seed":
        where = f"backward starts: seed {stepper.record(k).formula}"
    elif k < fwd:
        where = f"forward: computed {graph.name_of(stepper.current)}"
    elif k == fwd:
        where = "forward pass done"
    elif stepper.done:
        where = "backward pass done: gradients of " + ", ".join(graph.params) + " ready"
    else:
        where = f"backward: gradient through {graph.name_of(stepper.current)}"
    return f"{head} · step {k} of {total} · {where}"


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def shape_text(view: NodeView) -> str:
    return f"{fmt_shape(view.shape)} {view.dtype}"
