"""Provides ``layout``: a layered drawing of a DAG on a character grid, for the TUI.

Nodes are ranked by topological generation (leaves pulled down next to their
first consumer), long edges get one dummy slot per layer they cross, a few
barycenter sweeps order each layer to reduce crossings, and edges are routed
with box-drawing characters in the gaps between layers: each node's inputs
meet on one horizontal track and enter its box from above.  The result is a
list of text runs per row, so a view can draw only the rows it shows.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..core.heap import paused_gc
from ..core.partial import FAILED
from ..text import fmt_shape

U, D, L, R = 1, 2, 4, 8
GLYPH = {U | D: "│", L | R: "─", D | R: "┌", D | L: "┐", U | R: "└", U | L: "┘", U | D | R: "├",
         U | D | L: "┤", D | L | R: "┬", U | L | R: "┴", U | D | L | R: "┼", U: "│", D: "│", L: "─", R: "─"}
GAP = 2  # columns between neighbours in a layer
BOX_H = 3
BUS_MIN = 8  # a node feeding this many boxes of the next layer draws one shared track for them


@dataclass
class Box:
    """Where a node sits: top-left corner, width, and its three lines of text."""

    x: int
    y: int
    w: int
    lines: tuple[str, str, str]

    @property
    def center(self) -> int:
        return self.x + self.w // 2


@dataclass
class Run:
    """A horizontal piece of text on one row; ``node`` is -1 for edges."""

    x: int
    text: str
    node: int


@dataclass
class Layout:
    """The whole drawing: its size, one box per node, and the runs of each row."""

    width: int
    height: int
    boxes: dict[int, Box]
    rows: list[list[Run]] = field(default_factory=list)
    _starts: list[list[int]] = field(default_factory=list, repr=False)

    def runs(self, row: int, x0: int, x1: int) -> list[Run]:
        """The runs of ``row`` that overlap columns [x0, x1)."""
        if not 0 <= row < len(self.rows):
            return []
        runs, starts = self.rows[row], self._starts[row]
        k = max(0, bisect_right(starts, x0) - 1)
        while k > 0 and runs[k - 1].x + len(runs[k - 1].text) > x0:
            k -= 1
        found = []
        for run in runs[k:]:
            if run.x >= x1:
                break
            if run.x + len(run.text) > x0:
                found.append(run)
        return found

    def text(self) -> str:
        """The drawing as plain text (tests and debugging)."""
        out = []
        for row in self.rows:
            line = ""
            for run in row:
                line = line.ljust(run.x) + run.text
            out.append(line.rstrip())
        return "\n".join(out)


def label_of(node: Mapping, constants: Sequence[str] = ()) -> str:
    """``Z1  add  (8×16)``: name, op (or kind for leaves) with any scalar constants, and shape."""
    name = node.name if len(node.name) <= 18 else node.name[:17] + "…"
    if node.kind == FAILED:  # a call that failed while tracing (core.partial): its op, and no shape
        return f"{name}  {node.params['op']}  ✗ failed"
    op = " ".join([node.op or node.kind, *constants])
    return f"{name}  {op}  {fmt_shape(node.shape)}"


BLOCK_LABEL = (40, 60)  # block labels are padded to the first (room for progress on the border), cut at the second


def layout_view(graph, description, passes: int = 4) -> Layout:
    """Lay out a ``view.Description`` (folded repeats, a focus): nodes as ``layout_graph`` draws them, each block
    as one box saying its label.  The description is the one the pictures draw, so the TUI folds what they fold."""
    view = description.view
    fed = {s for sources in view.inputs.values() for s in sources}  # has a consumer: no pass over the whole graph

    def inlined(item: int) -> bool:  # a scalar constant written into its op
        return item not in view.blocks and graph.is_scalar_const(item) and (item in fed or bool(graph.consumers[item]))

    shown, inputs = acyclic([i for i in view.items if not inlined(i)],
                             {i: [s for s in view.inputs[i] if not inlined(s)] for i in view.items})
    labels = {}
    for i in shown:
        if i in view.blocks:
            text = description.label(view.blocks[i])
            text = text if len(text) <= BLOCK_LABEL[1] else text[:BLOCK_LABEL[1] - 1] + "…"
            labels[i] = text.ljust(BLOCK_LABEL[0])
        else:
            ins = graph.node(i).inputs
            labels[i] = label_of(graph.node(i), [graph.name_of(c) for c in ins if graph.is_scalar_const(c)])
    return layout(shown, inputs, labels, passes)


def acyclic(items: list[int], inputs: dict[int, list[int]]) -> tuple[list[int], dict[int, list[int]]]:
    """Items in a topological order (inputs first, else in the given order), without the edges of any cycle.

    A context box holds nodes from both sides of the node in focus (one feeds it, one reads it), so a
    view's edges can go round; an input still on the depth-first path closes a cycle and is not drawn.
    """
    known, state = set(items), {}  # state: 1 while on the path, 2 once placed
    order: list[int] = []
    kept: dict[int, list[int]] = {}
    for root in items:
        if root in state:
            continue
        state[root] = 1
        path = [(root, iter(inputs[root]))]
        while path:  # depth-first without recursion: views can be 10,000 items deep
            item, pending = path[-1]
            for source in pending:
                if source in known and source not in state:
                    state[source] = 1
                    path.append((source, iter(inputs[source])))
                    break
            else:
                path.pop()
                state[item] = 2
                order.append(item)
                kept[item] = [s for s in inputs[item] if s != item and state.get(s) == 2]
    return order, kept


def layout_graph(graph, passes: int = 4) -> Layout:
    """Lay out a traced ``Graph``; scalar constants are written into their op (``power 2``), not drawn."""
    info = {n: graph.node(n) for n in graph.order}
    scalar = {n for n in graph.order if graph.is_scalar_const(n)}
    consumed = {i for node in info.values() for i in node.inputs}  # not graph.nx: building it costs more
    shown = [n for n in graph.order if n not in scalar or n not in consumed]
    inputs = {n: [i for i in info[n].inputs if i not in scalar] for n in shown}
    labels = {n: label_of(info[n], [info[i].name for i in info[n].inputs if i in scalar]) for n in shown}
    return layout(shown, inputs, labels, passes)


def layout(nodes: Sequence[int], inputs: Mapping[int, Sequence[int]], labels: Mapping[int, str],
           passes: int = 4) -> Layout:
    """Lay out a DAG given in topological order; ``inputs[n]`` are the nodes feeding ``n``."""
    with paused_gc():  # hundreds of thousands of small objects, and no cycles
        layers, preds, widths, xs = arrange(nodes, inputs, lambda n: len(labels[n]) + 4, passes=passes)
        return _route(layers, preds, widths, xs, labels)


def arrange(nodes: Sequence[int], inputs: Mapping[int, Sequence[int]], width: Callable[[int], int], *,
            gap: int = GAP, lane: int = 1, passes: int = 4,
            clusters: Mapping[int, tuple] | None = None) -> tuple[list[list[int]], dict, dict, dict[int, int]]:
    """The layered layout of a DAG given in topological order, in any unit: (layers of slots, each slot's
    inputs, widths and left x).  A slot is a node (its id) or a dummy (a negative id, ``lane`` wide) where a
    long edge crosses a layer; slot ``n``'s inputs are in the order of ``inputs[n]`` without repeats.  Nodes
    with the same ``clusters`` path (outermost first) stay side by side in each layer.  The terminal view
    measures in characters; pictures graphstep places itself (``render.positions``) in points."""
    rank = _ranks(nodes, inputs)
    layers, preds = _layers_with_dummies(nodes, inputs, rank)
    widths = {n: width(n) if n >= 0 else lane for layer in layers for n in layer}
    _order(layers, preds, passes, clusters or {})
    return layers, preds, widths, _place(layers, preds, widths, gap)


def _ranks(nodes: Sequence[int], inputs: Mapping[int, Sequence[int]]) -> dict[int, int]:
    """Topological generation; a leaf sits just above its first consumer."""
    rank: dict[int, int] = {}
    consumers: dict[int, list[int]] = {n: [] for n in nodes}
    for n in nodes:
        ins = inputs.get(n, ())
        rank[n] = 1 + max((rank[i] for i in ins), default=-1)
        for i in ins:
            consumers[i].append(n)
    for n in nodes:
        if not inputs.get(n) and consumers[n]:
            rank[n] = min(rank[c] for c in consumers[n]) - 1
    return rank


def _layers_with_dummies(nodes, inputs, rank) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Layers of node ids; an edge longer than one layer gets dummy ids (negative) in between.

    A source's dummies form one lane (fan-out shares it) that only ever grows
    downwards, so an edge extends the lane from its deepest dummy instead of
    walking it from the top: a param used on every layer of a deep chain costs
    the chain's depth once, not once per use.
    """
    layers: list[list[int]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    preds: dict[int, list[int]] = {}
    dummies: dict[tuple[int, int], int] = {}  # (source, layer) -> dummy
    deepest: dict[int, int] = {}  # source -> the last layer its lane reaches
    for n in nodes:
        layers[rank[n]].append(n)
        preds[n] = []
        for i in dict.fromkeys(inputs.get(n, ())):
            end = rank[n] - 1  # the lane must reach the layer just above n
            low = deepest.get(i, rank[i])
            prev = dummies[i, low] if low > rank[i] else i
            for level in range(low + 1, end + 1):
                dummies[i, level] = prev = _dummy(dummies, layers[level], preds, prev)
            if end > low:
                deepest[i] = end
            preds[n].append(dummies[i, end] if end > rank[i] else i)
    return layers, preds


def _dummy(dummies: dict, layer: list[int], preds: dict[int, list[int]], prev: int) -> int:
    """A new dummy slot in ``layer`` fed by ``prev``."""
    d = -1 - len(dummies)
    layer.append(d)
    preds[d] = [prev]
    return d


def _order(layers: list[list[int]], preds: dict[int, list[int]], passes: int, clusters: Mapping[int, tuple]) -> None:
    """Barycenter sweeps, down then up, reordering each layer in place (the members of a cluster together)."""
    succs: dict[int, list[int]] = {n: [] for layer in layers for n in layer}
    for n, ps in preds.items():
        for p in ps:
            succs[p].append(n)
    for sweep in range(passes):
        down = sweep % 2 == 0
        seq = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for li in seq:
            ref = layers[li - 1] if down else layers[li + 1]
            pos = {n: k for k, n in enumerate(ref)}
            nbrs = preds if down else succs
            layer = layers[li]
            keys = {}
            for k, n in enumerate(layer):
                ps = [pos[p] for p in nbrs[n] if p in pos]
                keys[n] = sum(ps) / len(ps) if ps else k
            layer.sort(key=_in_clusters(layer, keys, clusters) if clusters else keys.__getitem__)


def _in_clusters(layer: list[int], keys: dict[int, float], clusters: Mapping[int, tuple]) -> Callable[[int], tuple]:
    """A sort key that orders a layer by barycenter, each cluster's members together where the mean of theirs
    puts them: (the mean of the outermost cluster, …, the node's own)."""
    sums: dict[tuple, list[float]] = {}
    for n in layer:
        path = clusters.get(n, ())
        for depth in range(1, len(path) + 1):
            total = sums.setdefault(path[:depth], [0.0, 0])
            total[0] += keys[n]
            total[1] += 1
    means = {prefix: total / count for prefix, (total, count) in sums.items()}
    return lambda n: (*(means[clusters[n][:depth]] for depth in range(1, len(clusters.get(n, ())) + 1)), keys[n])


def _place(layers, preds, widths, gap: int) -> dict[int, int]:
    """Left x of every slot: each near the mean of its inputs' centres, without overlaps."""
    xs: dict[int, int] = {}
    for layer in layers:
        x = 0
        for n in layer:
            xs[n] = x
            x += widths[n] + gap
    succs: dict[int, list[int]] = {}
    for n, ps in preds.items():
        for p in ps:
            succs.setdefault(p, []).append(n)
    for sweep in range(3):
        seq = layers[1:] if sweep % 2 == 0 else layers[-2::-1]
        nbrs = preds if sweep % 2 == 0 else succs
        for layer in seq:
            want = []
            for n in layer:
                cs = [xs[p] + widths[p] // 2 for p in nbrs.get(n, ())]
                want.append(round(sum(cs) / len(cs)) - widths[n] // 2 if cs else xs[n])
            _pack(layer, want, widths, xs, gap)
    shift = min(xs.values(), default=0)
    return {n: x - shift + 1 for n, x in xs.items()}


def _pack(layer: list[int], want: list[int], widths, xs, gap: int) -> None:
    """Average of pushing right and pushing left from the wanted positions, then resolve overlaps."""
    right, left = list(want), list(want)
    for k in range(1, len(layer)):
        right[k] = max(right[k], right[k - 1] + widths[layer[k - 1]] + gap)
    for k in range(len(layer) - 2, -1, -1):
        left[k] = min(left[k], left[k + 1] - widths[layer[k]] - gap)
    prev_end = None
    for k, n in enumerate(layer):
        x = (right[k] + left[k]) // 2
        if prev_end is not None:
            x = max(x, prev_end + gap)
        xs[n] = x
        prev_end = x + widths[n]


def _route(layers, preds, widths, xs, labels) -> Layout:
    """Place layers top to bottom and draw each gap's edges on as few tracks as needed."""
    grid = _Grid()
    boxes: dict[int, Box] = {}
    has_out = {p for ps in preds.values() for p in ps}
    y = 0
    for li, layer in enumerate(layers):
        for n in layer:
            if n >= 0:
                boxes[n] = _box(xs[n], y, widths[n], labels[n], bool(preds[n]), n in has_out)
            else:
                grid.vline(xs[n], y, y + BOX_H)
        y += BOX_H
        if li + 1 < len(layers):
            y += _route_gap(layers[li + 1], preds, widths, xs, y, grid)
    width = max((xs[n] + widths[n] for layer in layers for n in layer), default=0) + 1
    return _assemble(width, y, boxes, grid)


class _Grid:
    """Edge drawing: vertical cells as direction masks, horizontal tracks as spans."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], int] = {}
        self.spans: dict[int, list[tuple[int, int]]] = {}
        self.joins: set[tuple[int, int]] = set()

    def mark(self, row: int, col: int, mask: int) -> None:
        self.cells[row, col] = self.cells.get((row, col), 0) | mask

    def vline(self, col: int, y0: int, y1: int) -> None:
        """A vertical line through rows [y0, y1)."""
        cells = self.cells
        for row in range(y0, y1):
            cells[row, col] = cells.get((row, col), 0) | U | D


def _route_gap(targets, preds, widths, xs, y0, grid: _Grid) -> int:
    """Route the edges into one layer; returns the gap's height in rows.

    Each target's inputs meet on one track.  A source feeding BUS_MIN or more
    targets of the layer gets a shared track of its own (a bus) that they all
    drop from, so fan-out costs one row instead of one row per consumer.
    """
    centre = {n: xs[n] + widths[n] // 2 for v in targets for n in (v, *preds[v])}
    buses = _buses(targets, preds, centre)
    bus_groups, groups = [], []
    for source, entries in buses.items():
        exit_ = centre[source]
        bus_groups.append((min(exit_, entries[0]), max(exit_, entries[-1]), entries, [exit_]))
    for v in targets:
        if preds[v]:
            entry = centre[v]
            exits = sorted({centre[p] for p in preds[v] if p not in buses})
            if exits:
                groups.append((min(exits[0], entry), max(exits[-1], entry), entry, exits))
    bus_groups.sort()
    groups.sort()
    bus_tracks, n_bus = _tracks(bus_groups)
    tracks, n_own = _tracks(groups)
    height = max(1, n_bus + n_own)
    for t, (lo, hi, entries, exits) in zip(bus_tracks, bus_groups):
        _draw_track(grid, y0, y0 + t, height, lo, hi, entries, exits)
    for t, (lo, hi, entry, exits) in zip(tracks, groups):
        if t < 0:
            grid.vline(entry, y0, y0 + height)
        else:
            _draw_track(grid, y0, y0 + n_bus + t, height, lo, hi, [entry], exits)
    return height


def _buses(targets, preds, centre) -> dict[int, list[int]]:
    """Sources with at least BUS_MIN consumers in this layer, with the sorted entry columns they feed."""
    fed: dict[int, list[int]] = {}
    for v in targets:
        for p in preds[v]:
            fed.setdefault(p, []).append(centre[v])
    return {p: sorted(set(entries)) for p, entries in fed.items() if len(entries) >= BUS_MIN}


def _tracks(groups: list[tuple]) -> tuple[list[int], int]:
    """First-fit track per group (sorted by left end): the lowest track free before it; -1 for a straight drop.

    Groups arrive by increasing left end, so a track once free stays free until
    reused: two heaps (busy tracks by end, free tracks by index) give the same
    answer as scanning every track, in O(g log g).
    """
    busy: list[tuple[int, int]] = []  # (right end, track)
    free: list[int] = []
    count = 0
    found = []
    for lo, hi, *_ in groups:
        if lo == hi:
            found.append(-1)
            continue
        while busy and busy[0][0] + 1 < lo:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            t = heapq.heappop(free)
        else:
            t, count = count, count + 1
        heapq.heappush(busy, (hi, t))
        found.append(t)
    return found, count


def _draw_track(grid: _Grid, y0: int, ry: int, height: int, lo: int, hi: int, entries, exits) -> None:
    """Exits drop from the top of the gap to row ``ry``, run along it, and leave down at the entries."""
    for c in exits:
        grid.vline(c, y0, ry)
        grid.mark(ry, c, U)
        grid.joins.add((ry, c))
    grid.spans.setdefault(ry, []).append((lo, hi))
    for entry in entries:
        grid.mark(ry, entry, D)
        grid.joins.add((ry, entry))
        grid.vline(entry, ry + 1, y0 + height)


def _box(x: int, y: int, w: int, label: str, has_in: bool, has_out: bool) -> Box:
    mid = w // 2 - 1
    top = "┌" + "─" * mid + ("┴" if has_in else "─") + "─" * (w - mid - 3) + "┐"
    bottom = "└" + "─" * mid + ("┬" if has_out else "─") + "─" * (w - mid - 3) + "┘"
    return Box(x, y, w, (top, f"│ {label} │", bottom))


def _glyph(mask: int, joined: bool) -> str:
    if not joined and mask & (U | D) == U | D and mask & (L | R):
        return "│"  # a crossing, not a junction: the vertical passes over
    return GLYPH.get(mask, " ")


def _assemble(width: int, height: int, boxes: dict[int, Box], grid: _Grid) -> Layout:
    rows: list[list[Run]] = [[] for _ in range(height)]
    for n, box in boxes.items():
        for dy, line in enumerate(box.lines):
            rows[box.y + dy].append(Run(box.x, line, n))
    points: dict[int, dict[int, int]] = {}
    for (row, col), mask in grid.cells.items():
        points.setdefault(row, {})[col] = mask
    for row in set(points) | set(grid.spans):
        rows[row] += _edge_runs(row, sorted(grid.spans.get(row, ())), points.get(row, {}), grid.joins)
    for row in rows:
        row.sort(key=lambda run: run.x)
    return Layout(width, height, boxes, rows, [[run.x for run in row] for row in rows])


def _edge_runs(row: int, spans: list[tuple[int, int]], points: dict[int, int], joins: set) -> list[Run]:
    """One run per horizontal span (with its junctions) plus one per lone vertical cell."""
    runs = []
    cols = sorted(points)  # spans on one row never overlap, so each point is drawn once
    for lo, hi in spans:
        chars = ["─"] * (hi - lo + 1)
        for c in cols[bisect_left(cols, lo):bisect_right(cols, hi)]:
            mask = points.pop(c) | (L if c > lo else 0) | (R if c < hi else 0)
            chars[c - lo] = _glyph(mask, (row, c) in joins)
        runs.append(Run(lo, "".join(chars), -1))
    runs += [Run(c, _glyph(mask, (row, c) in joins), -1) for c, mask in points.items()]
    return runs
