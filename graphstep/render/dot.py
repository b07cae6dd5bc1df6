"""Provides ``to_dot``: Graphviz DOT text of a graph at any step, and notebook display.

Each tensor is a box with its name, shape and dtype and, once known, its value
and gradient; each op is a small ellipse with its symbol, fed by edges that
carry the input's shape (micrograd's picture, with graphstep's state on top).
Clusters are the groups of ``graph.grouping`` (calls, scopes, loops and their
iterations, nested), with a statement that made several ops as the innermost
cluster; a folded repeat is one stacked box "× k", folded and opened as
``render.view`` decides for the TUI too.  DOT node names come from
node ids (``n5`` the tensor, ``op5`` its op), so the text is stable and can be
compared with a golden file.
"""

from __future__ import annotations

import functools
import html
import textwrap
from typing import TYPE_CHECKING, Any

import graphviz
import numpy as np
from graphviz.quoting import quote

from ..core.graph import Graph
from ..core.partial import FAILED
from ..core.stepper import Stepper
from ..text import array_text, fmt_shape
from . import style as S
from .collapse import collapse, fold_repeats
from .failure import failure_note, failure_of
from .heat import as_matrix, heat_grid
from .scene import NodeView, Scene, Summary, build_scene, shape_text
from .view import EVERYTHING, describe, view_key

if TYPE_CHECKING:
    from .positions import Placement

LIMIT = 800  # above this many boxes (after folding repeats) the picture collapses lines into summaries
FULL_MATRIX = 12  # a value or gradient up to 12×12 is written out entry by entry, in heat colours


def to_dot(subject: Graph | Stepper, *, rankdir: str = "TB", full: bool = False, fold: bool | None = None,
           limit: int = LIMIT) -> str:
    """DOT text of a Graph (structure) or a Stepper (its current state).

    ``fold``: True folds every repeat into a "× k" box, False none, None (the
    default) the repeats longer than 6 members, and all of them in graphs over
    300 nodes (``view.default_folds``); the member holding the step in progress
    stays open.  A picture still over ``limit`` boxes is collapsed further; ``full``
    draws every node, neither folded nor collapsed.
    """
    return scene_dot(picture_scene(subject, full=full, fold=fold, limit=limit), rankdir=rankdir)


def picture_scene(subject: Graph | Stepper, *, full: bool = False, fold: bool | None = None,
                  limit: int = LIMIT) -> Scene:
    """What the picture of ``subject`` draws: its scene, folded as the TUI folds it (``scene.shown``)."""
    graph, stepper = split_subject(subject)
    shown = describe(graph, EVERYTHING if full else view_key(graph, stepper, fold_option=fold))
    scene = build_scene(graph, stepper, shown, folded=not full)  # fold_repeats below
    scene.note = failure_note(graph)  # a graph recorded up to a call that failed says so under its title
    if full:
        return scene
    scene = fold_repeats(scene, shown, stepper)
    if scene.size - len(scene.hidden) + len(scene.summaries) > limit:
        scene = collapse(scene, graph, limit)
    return scene


def split_subject(subject: Graph | Stepper) -> tuple[Graph, Stepper | None]:
    if isinstance(subject, Stepper):
        return subject.graph, subject
    if isinstance(subject, Graph):
        return subject, None
    from ..errors import GraphstepError

    raise GraphstepError(f"cannot draw a {type(subject).__name__}: pass a Graph or a Stepper")


def scene_dot(scene: Scene, *, rankdir: str = "TB") -> str:
    """The DOT source of a scene: title, clusters, nodes, edges and legend."""
    return Picture(scene, rankdir).dot()


class Picture:
    """A scene as Graphviz statements: the nodes of each cluster (their DOT names, and how each is written), the
    cluster titles and the edges.  ``dot()`` writes them for dot to lay out, or with the place of every node and
    cluster given (``render.positions``), for Graphviz to draw as they stand."""

    def __init__(self, scene: Scene, rankdir: str = "TB") -> None:
        self.scene, self.rankdir = scene, rankdir
        box = scene.hidden.table(len(scene.shown.graph))  # node id → the summary drawn in its place, or None
        self.nodes, self.titles = _placements(scene, box)  # cluster path → (DOT name, statement) of its nodes
        self.edges = [*_edges(scene, box), *((src, dst, {"style": "invis"}) for src, dst in _time_edges(scene, box))]

    @property
    def boxes(self) -> int:
        """The boxes drawn: tensors and summaries (an op's small ellipse goes with its result)."""
        return sum(not name.startswith("op") for names in self.nodes.values() for name, _ in names)

    def dot(self, placed: Placement | None = None) -> str:
        """The DOT source, for dot to lay out; or ``placed`` (``render.positions``): every node, edge and
        cluster where graphstep's own layout put it, for ``neato -n2`` to draw."""
        g = self._digraph()
        _emit(g, self.nodes, self.titles, placed.bounds if placed else {})
        routes = placed.routes if placed else {}
        for src, dst, attrs in self.edges:
            pos, lp = routes.get((src, dst), (None, None))
            g.body.append(_edge_line(src, dst, **attrs, pos=pos, lp=lp))  # None: not said
        for name, (x, y) in (placed.centres if placed else {}).items():  # a node named again adds attributes
            g.body.append(_node_line(name, pos=f"{x:.1f},{y:.1f}!"))
        return g.source

    def sizing_dot(self) -> str:
        """Every node as it is drawn, all at one place, and nothing else: what Graphviz needs to measure them."""
        g = self._digraph()
        g.attr("node", pos="0,0!")
        g.body += [line for names in self.nodes.values() for _, line in names]
        return g.source

    def _digraph(self) -> graphviz.Digraph:
        scene = self.scene
        g = graphviz.Digraph(name=_slug(scene.name) or "graph")
        label = S.title_html(scene.title, scene.note, scene.stateful)
        g.attr(rankdir=self.rankdir, label=label, labelloc="t", labeljust="l", fontname=S.FONT, fontsize="16",
               nodesep="0.3", ranksep="0.35", newrank="true", tooltip=scene.title)
        g.attr("node", fontname=S.FONT, fontsize="11", color=S.BORDER)
        g.attr("edge", fontname=S.FONT, fontsize="9", color=S.EDGE, fontcolor=S.MUTED, arrowsize="0.7")
        return g


# ── clusters ──

Place = tuple[str, str]  # a node's DOT name, and its statement
FILL = {"loop": S.LOOP, "iteration": S.ITERATION}  # calls, scopes and statements: S.CLUSTER


def _placements(scene: Scene, box: list[str | None]) -> tuple[dict[tuple, list[Place]], dict[tuple, str]]:
    """Which nodes go in which cluster: the node's groups, outermost first, then its statement (``box``: the
    summary drawn in place of each node, ``Hidden.table``)."""
    placements: dict[tuple, list[Place]] = {}
    labels: dict[tuple, str] = {}
    paths: dict[int, tuple] = {}
    firsts: dict[tuple, int] = {}  # statement -> its first node drawn, which orders the clusters
    whole = _whole_statements(scene, box)
    for v in scene.nodes.values():
        if box[v.id] is not None:
            continue
        path = _group_path(scene, v.group, paths, labels)
        if v.statement and v.statement not in whole:
            key = ("line", firsts.setdefault(v.statement, v.id), *v.statement)
            labels[key] = f"line {v.statement[0]}:  {v.code}"
            path = (*path, key)
        stmts = placements.setdefault(path, [])
        if v.op:
            stmts.append((f"op{v.id}", _op_node(v, scene)))
        stmts.append((f"n{v.id}", _tensor_node(v, scene)))
    for s in scene.summaries.values():
        placements.setdefault(_group_path(scene, s.parent, paths, labels), []).append(
            (s.id, _summary_node(s)))
    return placements, labels


def _whole_statements(scene: Scene, box: list[str | None]) -> set[tuple]:
    """Statements that are all their group draws (each iteration of ``x = tanh(x) * 0.5 + x``): no inner cluster."""
    per_group: dict[int, int] = {}
    per_statement: dict[tuple, tuple[int, int]] = {}
    for v in scene.nodes.values():
        if box[v.id] is None and v.group >= 0:
            per_group[v.group] = per_group.get(v.group, 0) + 1
            if v.statement:
                count = per_statement.get(v.statement, (v.group, 0))[1]
                per_statement[v.statement] = (v.group, count + 1)
    return {key for key, (group, count) in per_statement.items() if count == per_group[group]}


def _group_path(scene: Scene, gid: int, paths: dict[int, tuple], labels: dict[tuple, str]) -> tuple:
    """The cluster keys of group ``gid`` and its ancestors, outermost first (memoised per group)."""
    if gid < 0:
        return ()
    path = paths.get(gid)
    if path is None:
        g = scene.grouping.groups[gid]
        key = (g.kind, g.start, g.id)
        labels[key] = scene.grouping.title(g)  # layer(), while a.norm() < 100, iteration 3 of 18
        path = paths[gid] = (*_group_path(scene, g.parent, paths, labels), key)
    return path


def _emit(g: graphviz.Digraph, placements: dict[tuple, list[tuple[str, str]]], labels: dict[tuple, str],
          bounds: dict[tuple, tuple[float, float, float, float]]) -> None:
    """Nodes of the top level, then each cluster with its nodes and sub-clusters, in order of their first node;
    a cluster in ``bounds`` is drawn as that box."""
    children: dict[tuple, set[tuple]] = {}  # indexed once: finding them per cluster was quadratic
    for path in placements:
        for depth in range(len(path)):
            children.setdefault(path[:depth], set()).add(path[depth])

    def walk(graph: graphviz.Digraph, path: tuple) -> None:
        graph.body += [line for _, line in placements.get(path, [])]
        for key in sorted(children.get(path, ()), key=lambda k: (k[1], k[0])):
            with graph.subgraph(name="cluster_" + _cluster_name(key)) as c:
                c.attr(label=labels[key], labeljust="l", fontsize="10", fontcolor=S.MUTED, style="rounded,filled",
                       color=S.PENDING, fillcolor=FILL.get(key[0], S.CLUSTER))
                if (*path, key) in bounds:
                    c.attr(bb=",".join(f"{v:.1f}" for v in bounds[(*path, key)]))
                walk(c, (*path, key))

    walk(g, ())


def _cluster_name(key: tuple) -> str:
    """``line_23_1`` for a statement, ``iteration_7`` (the group id) for a group: stable, made of ids."""
    return f"line_{key[2]}_{key[3]}" if key[0] == "line" else f"{key[0]}_{key[2]}"


# ── nodes ──

def _tensor_node(v: NodeView, scene: Scene) -> str:
    if v.kind == FAILED:
        return _failed_node(v, scene)
    attrs = _node_style(v)
    return _node_line(f"n{v.id}", label=_tensor_html(v, scene), shape="box", margin="0.04",
                      tooltip=f"{v.source}  {v.code}", **attrs)


def _op_node(v: NodeView, scene: Scene) -> str:
    attrs = _node_style(v)
    fill = {"computed": S.VALUE, "current": S.HEADER["param"]}.get(v.state, "#ffffff")
    if v.backward_done:
        fill = S.GRAD
    label = v.symbol if v.symbol else (v.op or "")
    return _node_line(f"op{v.id}", label=label, shape="ellipse", fontsize="12", margin="0.05,0.02", height="0.3",
                      width="0.4", fillcolor=fill, tooltip=f"{v.op}: {v.code}",
                      **{**attrs, "style": attrs["style"] + ",filled"})


def _failed_node(v: NodeView, scene: Scene) -> str:
    """The call that failed while tracing: a red box with its op, its operands' shapes, the message and the
    line annotated under each operand with its shape (``render.failure``)."""
    failure = failure_of(scene.shown.graph)
    mono = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in failure.annotation)
    reason = "<BR/>".join(_esc(line) for line in textwrap.wrap(failure.reason, 60))
    rows = [f'<TR><TD BGCOLOR="{S.FAILED_FILL}"><B>{_esc(v.name)}</B> <FONT POINT-SIZE="9" COLOR="{S.FAILED}">'
            f'failed</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="10">{_esc(failure.signature)}</FONT></TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="9" COLOR="{S.FAILED}">{reason}</FONT></TD></TR>',
            f'<TR><TD ALIGN="LEFT"><FONT FACE="{S.MONO}" POINT-SIZE="9">{mono}<BR ALIGN="LEFT"/></FONT></TD></TR>']
    label = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'
    return _node_line(f"n{v.id}", label=label, shape="box", margin="0.04", style="rounded,bold", color=S.FAILED,
                      penwidth="2", fontcolor=S.FAILED, tooltip=failure.message, **{"class": "failed"})


def _node_style(v: NodeView) -> dict[str, str]:
    if v.state == "current":
        return {"style": "rounded" if v.used else "rounded,dotted", "color": S.CURRENT, "penwidth": "3"}
    if not v.used:
        return {"style": "rounded,dotted", "color": S.MUTED, "fontcolor": S.MUTED}
    if v.state == "pending":
        return {"style": "rounded,dashed", "color": S.PENDING, "fontcolor": S.MUTED}
    return {"style": "rounded", "color": S.BORDER}


def _tensor_html(v: NodeView, scene: Scene) -> str:
    name = f"<B>{_esc(v.name)}</B>"
    tags = [S.KIND_WORD[v.kind]] if S.KIND_WORD[v.kind] else []
    if v.id == scene.output:
        tags.append("output")
    if not v.used:
        tags.append("unused")
    tag = f' <FONT POINT-SIZE="9" COLOR="{S.MUTED}">{" · ".join(tags)}</FONT>' if tags else ""
    mark = f' <FONT COLOR="{S.CURRENT}">◀ step {scene.position}</FONT>' if v.state == "current" else ""
    rows = [f'<TR><TD BGCOLOR="{S.HEADER[v.kind]}">{name}{tag}{mark}</TD></TR>',
            f'<TR><TD><FONT POINT-SIZE="10">{_esc(shape_text(v))}</FONT></TD></TR>']
    if v.value is not None and scene.stateful:
        rows.append(_array_rows("value", v.value, S.VALUE))
    if v.grad is not None:
        accumulated = v.arrivals >= 2
        word = f"grad Σ{v.arrivals}" if accumulated else "grad"
        rows.append(_array_rows(word, v.grad, S.GRAD_SUM if accumulated else S.GRAD))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'


def _array_rows(word: str, a, colour: str) -> str:
    """A value or gradient: a small matrix entry by entry on its heat colours (the 12×3 gradient of a softmax
    classifier as its 36 numbers), anything else as ``text.array_text`` writes it (a scalar, min/mean/max)."""
    a = np.asarray(a)
    m = as_matrix(a)
    if a.ndim == 0 or a.ndim > 2 or a.dtype.kind not in "biuf" or max(m.shape) > FULL_MATRIX:
        return _array_row(word, array_text(a), colour)
    return (f'<TR><TD BGCOLOR="{colour}" ALIGN="LEFT"><FONT POINT-SIZE="9">{word}  </FONT></TD></TR>'
            f'<TR><TD BGCOLOR="{colour}">{_heat_table(m)}</TD></TR>')


def _heat_table(m: np.ndarray) -> str:
    """The entries of a 2-D array as a table of cells, each on its heat colour (``render.heat``)."""
    grid = heat_grid(m, *m.shape)
    rows = []
    for texts, classes in zip(grid.texts, grid.classes):
        cells = []
        for text, cls in zip(texts, classes):
            bg, fg = S.heat_colours(cls)
            cells.append(f'<TD BGCOLOR="{bg}" ALIGN="RIGHT"><FONT FACE="{S.MONO}" POINT-SIZE="8" COLOR="{fg}">'
                         f'{_esc(text)}</FONT></TD>')
        rows.append(f"<TR>{''.join(cells)}</TR>")
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">{"".join(rows)}</TABLE>'


def _array_row(word: str, text: str, colour: str) -> str:
    lines = '<BR ALIGN="LEFT"/>'.join(_esc(line) for line in text.split("\n"))
    return (f'<TR><TD BGCOLOR="{colour}" ALIGN="LEFT"><FONT POINT-SIZE="9">{word}  </FONT>'
            f'<FONT FACE="{S.MONO}" POINT-SIZE="9">{lines}</FONT></TD></TR>')


def _summary_node(s: Summary) -> str:
    """A folded repeat is a stacked box (``box3d``) headed "× k …"; a collapsed part of a huge graph a bold box."""
    detail = "".join(f'<TR><TD><FONT POINT-SIZE="9"{_marked(line)}>{_esc(line)}</FONT></TD></TR>'
                     for line in s.detail.split("\n") if line)
    header = S.HEADER["fold" if s.folded else "summary"]
    label = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
             f'<TR><TD BGCOLOR="{header}"><B>{_esc(s.label)}</B></TD></TR>{detail}</TABLE>>')
    fill = {"computed": S.VALUE, "grad": S.GRAD, "current": S.HEADER["param"]}.get(s.state, "#ffffff")
    border = {"color": S.CURRENT, "penwidth": "3"} if s.current else {}
    shape = {"shape": "box3d", "style": "filled"} if s.folded else {"shape": "box", "style": "rounded,filled,bold"}
    what = "folded: the stepper still visits each node" if s.folded else "drawn as one box"
    return _node_line(s.id, label=label, fillcolor=fill, margin="0.04", tooltip=f"{len(s.members)} nodes {what}",
                      **shape, **border)


def _marked(line: str) -> str:
    return f' COLOR="{S.CURRENT}"' if line.startswith("◀") else ""


# ── edges ──

def _edge_line(src: str, dst: str, **attrs: str | None) -> str:
    """``Digraph.edge``'s statement (see ``_statement``)."""
    return _statement(f"{_quoted(src)} -> {_quoted(dst)}", attrs)


def _node_line(name: str, **attrs: str | None) -> str:
    """``Digraph.node``'s statement (see ``_statement``)."""
    return _statement(_quoted(name), attrs)


def _statement(head: str, attrs: dict[str, str | None]) -> str:
    """A statement as Graphviz's Python package writes it (the label first, then the rest sorted, ``None`` left
    out), each word quoted once: a picture says the same few colours, styles and shapes over thousands of nodes
    and edges, and quoting them each time was most of the DOT's time."""
    said = [("label", attrs.get("label")), *sorted((k, v) for k, v in attrs.items() if k != "label")]
    items = " ".join(f"{_quoted(k)}={_quoted(v)}" for k, v in said if v is not None)
    return f"\t{head}{f' [{items}]' if items else ''}\n"


@functools.lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote(text)


def _edges(scene: Scene, box: list[str | None]) -> list[tuple[str, str, dict[str, Any]]]:
    """Input tensor → op (labelled with the shape that flows), op → its result; summaries merge theirs."""
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for v in scene.nodes.values():
        if v.kind == FAILED:  # no op to pass through: its operands feed the red box, each with its shape
            edges.update(((box[i] or f"n{i}", f"n{v.id}"), _failed_edge(scene, i)) for i in v.inputs)
        if not v.op:
            continue
        own = f"op{v.id}"
        dst_op = box[v.id] or own
        if dst_op == own:
            edges[(dst_op, f"n{v.id}")] = {"color": _edge_colour(v), "style": _edge_style(v)}
        for k, i in enumerate(v.inputs):
            if k in v.inline:
                continue
            src = box[i] or f"n{i}"
            if src != dst_op:
                _merge(edges, (src, dst_op), _input_edge(scene, v, i))
    return [(s, d, _finish(a)) for (s, d), a in edges.items()]


def _time_edges(scene: Scene, box: list[str | None]) -> list[tuple[str, str]]:
    """Invisible edges that put a group starting with a leaf below the sibling group before it.

    Layer k of a deep MLP begins with its parameter W(k), which no edge ties
    to layer k−1; Graphviz would rank it beside layer k−1's end, and the
    iteration clusters, which may not overlap, would step sideways like stairs.
    """
    grouping, edges, records = scene.grouping, {}, scene.shown.graph.records()
    for siblings in [grouping.roots, *(g.children for g in grouping.groups)] if grouping else ():
        for previous, gid in zip(siblings, siblings[1:]):
            first, last = grouping.groups[gid].start, grouping.groups[previous].end - 1
            if not (scene.in_picture(first) and scene.in_picture(last)) or records[first].inputs:
                continue
            src, dst = box[last] or f"n{last}", box[first] or f"n{first}"
            if src != dst:
                edges[(src, dst)] = None
    return list(edges)


def _input_edge(scene: Scene, v: NodeView, i: int) -> dict[str, Any]:
    src = scene.nodes.get(i)
    shape = src.shape if src else ()
    broadcast = not shape and v.shape != ()  # a scalar spread over a tensor: say so
    attrs: dict[str, Any] = {"label": _shape_label(shape) if shape or broadcast else "", "style": _edge_style(v)}
    flowed = v.backward_done and src is not None and src.grad is not None
    attrs["color"] = S.EDGE_GRAD if flowed else _edge_colour(v)
    if flowed:
        attrs["penwidth"] = "2"
    return attrs


@functools.lru_cache(maxsize=1024)
def _shape_label(shape: tuple) -> str:
    """`` (2, 4)``: an edge says the shape that flows, written once per shape (40,000 edges meet in a wide graph's
    boxes)."""
    return f" {fmt_shape(shape)}"


def _failed_edge(scene: Scene, i: int) -> dict[str, Any]:
    src = scene.nodes.get(i)
    return {"label": f" {fmt_shape(src.shape)}" if src else "", "color": S.FAILED, "fontcolor": S.FAILED}


def _merge(edges: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str], new: dict[str, Any]) -> None:
    """Edges merged into a summary: the strongest style wins (gradient > solid > dashed); count them.  ``new`` is
    the edge's own dict, kept or dropped: no copy per edge merged."""
    old = edges.get(key)
    if old is None:
        new["_count"] = 1
        edges[key] = new
    elif _rank(new) > _rank(old):
        new["_count"] = old["_count"] + 1
        edges[key] = new
    else:
        old["_count"] += 1


def _rank(attrs: dict[str, Any]) -> tuple[bool, bool]:
    return attrs["color"] == S.EDGE_GRAD, attrs["style"] == ""


def _finish(attrs: dict[str, Any]) -> dict[str, Any]:
    count = attrs.pop("_count", 1)
    if count > 1:
        attrs["label"] = f"{attrs.get('label', '')} · {count} edges".strip(" ·")
    return {k: v for k, v in attrs.items() if v}


def _edge_style(v: NodeView) -> str:
    return "dashed" if v.state == "pending" or not v.used else ""


def _edge_colour(v: NodeView) -> str:
    return S.PENDING if v.state == "pending" or not v.used else S.EDGE


# ── notebooks ──

def mimebundle(subject: Graph | Stepper) -> dict[str, str]:
    """Jupyter display: an SVG when a Graphviz renderer is found, else the DOT text."""
    from ..errors import GraphstepError
    from .engines import render

    dot = to_dot(subject)
    try:
        svg = render(dot, "svg").decode("utf-8")
    except GraphstepError as err:
        return {"text/plain": f"{subject!r}\n(no picture: {err.message})\n{dot}"}
    return {"image/svg+xml": svg, "text/plain": repr(subject)}


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)
