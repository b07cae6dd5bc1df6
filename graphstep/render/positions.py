"""Provides ``place``: where every box, edge and cluster of a picture goes, by graphstep's own layered layout, so
that Graphviz only draws the picture (``neato -n2``) instead of laying it out (``dot``).

dot's layout is what makes a large picture slow: its time grows with the square of the boxes (39 s for a
5,000-node chain, over 60 s for a random layered graph of that size), while graphstep's layout (ranks,
barycenter ordering, placement: the one the terminal view draws, measured in points instead of characters)
places them in a fraction of a second.  Graphviz still measures each box (``engines.measure``: one quick pass
that places nothing) and draws.  Every edge gets its route (through the slots its rank-crossing takes) and
its label a place, because Graphviz placing edge labels itself costs more than the rest of the drawing.  dot's
pictures are better (it crosses fewer edges and spaces clusters), so ``export`` asks for this only above
``DOT_BOXES``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .dot import Picture
from .layout import acyclic, arrange

DOT_BOXES = 600  # pictures with more boxes than this are placed by graphstep (see ``export.draw``)
GAP = 18  # points between neighbours in a rank (dot's nodesep, 0.3 in, is 21.6)
RANKSEP = 25  # points between ranks (dot's ranksep, 0.35 in)
LANE = 10  # the width of the slot where a long edge crosses a rank
PAD = 8  # a cluster's margin around what it holds
TITLE = 14  # room for a cluster's title above what it holds
ARROW = 7  # an arrowhead's length (Graphviz's 10 points at the picture's arrowsize 0.7)
LABEL_CHAR = 5  # the width of a character of an edge label (9-point Helvetica), for its place beside the edge
DEFAULT = (54.0, 36.0)  # Graphviz's size for a node it did not measure

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, y upwards as Graphviz has it
Point = tuple[float, float]


@dataclass
class Placement:
    """Where each node's centre, each edge's route and label, and each cluster's box go, in points."""

    centres: dict[str, Point] = field(default_factory=dict)
    routes: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)  # edge → (pos, lp)
    bounds: dict[tuple, Box] = field(default_factory=dict)  # cluster path → its box


def place(picture: Picture, sizes: Mapping[str, tuple[float, float]]) -> Placement:
    """The placement of ``picture``, its nodes measuring ``sizes`` (width, height in points).

    Ranks run down the page (across it for ``rankdir="LR"``) in the order the graph computes; an edge that
    would close a cycle (a summary holding nodes on both sides of another) ranks nothing and is routed by
    Graphviz.
    """
    names, paths = _in_order(picture)
    index = {name: k for k, name in enumerate(names)}
    feeds: dict[int, list[int]] = {k: [] for k in range(len(names))}
    for src, dst, _ in picture.edges:
        if src in index and dst in index and src != dst:
            feeds[index[dst]].append(index[src])
    order, inputs = acyclic(list(range(len(names))), feeds)
    sheet = _Sheet(picture.rankdir == "LR", [sizes.get(name, DEFAULT) for name in names])
    layers, preds, widths, xs = arrange(order, inputs, sheet.along, gap=GAP, lane=LANE,
                                        clusters={k: paths[name] for k, name in enumerate(names) if paths[name]})
    sheet.rank(layers, [{paths[names[k]] for k in layer if k >= 0} for layer in layers])
    slot = {n: (xs[n] + widths[n] / 2, r) for r, layer in enumerate(layers) for n in layer}
    found = Placement({names[k]: sheet.point(*slot[k]) for k in range(len(names))})
    for src, dst, attrs in picture.edges:
        if src in index and dst in index and index[src] in inputs.get(index[dst], ()):
            found.routes[(src, dst)] = _route(sheet, slot, preds, inputs, index[src], index[dst], attrs)
    found.bounds = _cluster_boxes(picture, found.centres, sizes)
    return found


class _Sheet:
    """Ranks as the page has them: where each starts down the page (or across it) and how thick it is."""

    def __init__(self, across: bool, sizes: list[tuple[float, float]]) -> None:
        self.across, self.sizes = across, sizes
        self.starts: list[float] = []
        self.thick: list[float] = []
        self.depth = 0.0

    def along(self, k: int) -> int:
        """The room node ``k`` takes along its rank."""
        return math.ceil(self.sizes[k][1 if self.across else 0])

    def through(self, k: int) -> float:
        """The room node ``k`` takes across its rank."""
        return self.sizes[k][0 if self.across else 1]

    def rank(self, layers: list[list[int]], clusters: list[set[tuple]]) -> None:
        """Stack the ranks, with room between two where a cluster begins (its title and margin) or ends."""
        held = [{path[:d] for path in paths for d in range(1, len(path) + 1)} for paths in clusters]
        for r, layer in enumerate(layers):
            if r:
                begun, ended = len(held[r] - held[r - 1]), len(held[r - 1] - held[r])
                self.depth += RANKSEP + min(begun, 3) * (PAD + TITLE) + min(ended, 3) * PAD
            self.starts.append(self.depth)
            self.thick.append(max((self.through(k) for k in layer if k >= 0), default=0.0))
            self.depth += self.thick[-1]

    def point(self, along: float, r: int, shift: float = 0.0) -> Point:
        """The page point ``along`` a rank, ``shift`` off the rank's middle (down the page, or across it)."""
        down = self.starts[r] + self.thick[r] / 2 + shift
        return (down, -along) if self.across else (along, self.depth - down)


def _route(sheet: _Sheet, slot: Mapping[int, tuple[float, int]], preds, inputs, src: int, dst: int,
           attrs: Mapping[str, str]) -> tuple[str, str | None]:
    """An edge's ``pos`` (straight segments through the slots it crosses, as Graphviz's cubic B-spline ending in
    an arrowhead) and its label's ``lp``, beside the last segment."""
    along, r = slot[dst]
    points = [sheet.point(along, r, -sheet.through(dst) / 2)]  # where it enters the box
    step = preds[dst][list(dict.fromkeys(inputs[dst])).index(src)]
    while step < 0:  # a dummy slot of the long edge's lane
        points.append(sheet.point(*slot[step]))
        step = preds[step][0]
    along, r = slot[src]
    points.append(sheet.point(along, r, sheet.through(src) / 2))  # where it leaves its source
    points = _bends(points[::-1])
    tip, last = points[-1], points[-2]
    points[-1] = _lerp(tip, last, min(0.5, ARROW / (math.dist(tip, last) or 1.0)))  # the arrowhead's base
    spline = [points[0]]
    for a, b in zip(points, points[1:]):  # a straight segment as a cubic piece
        spline += [_lerp(a, b, 1 / 3), _lerp(a, b, 2 / 3), b]
    pos = f"e,{_xy(tip)} " + " ".join(map(_xy, spline))
    label = attrs.get("label", "")
    if not label:
        return pos, None
    mid = ((tip[0] + last[0]) / 2, (tip[1] + last[1]) / 2)
    offset = 4 + len(label) * LABEL_CHAR / 2
    return pos, _xy((mid[0], mid[1] - offset) if sheet.across else (mid[0] + offset, mid[1]))


STRAIGHT = 1.0  # points: a lane point this close to the line through its neighbours is not a bend
MOST_BENDS = 150  # points of one edge's lane: Graphviz 2.43 cannot read a ``pos`` string of a few thousand


def _bends(points: list[Point]) -> list[Point]:
    """The points where a lane turns.  A long edge crosses hundreds of ranks, its lane drifting a point or two
    at each; a point per rank makes a ``pos`` string older Graphviz cannot read ("String starting: e,…"), so
    the lane is straightened, more coarsely until at most ``MOST_BENDS`` points are left."""
    tolerance = STRAIGHT
    while True:
        kept = _straightened(points, tolerance)
        if len(kept) <= MOST_BENDS:
            return kept
        tolerance *= 2


def _straightened(points: list[Point], tolerance: float) -> list[Point]:
    """``points`` without those within ``tolerance`` of the line from the last point kept to the next one."""
    kept = points[:1]
    for here, after in zip(points[1:], points[2:]):
        before = kept[-1]
        cross = (here[0] - before[0]) * (after[1] - before[1]) - (here[1] - before[1]) * (after[0] - before[0])
        if abs(cross) > tolerance * math.dist(before, after):
            kept.append(here)
    return kept + points[-1:] if len(points) > 1 else kept


def _xy(p: Point) -> str:
    return f"{p[0]:.1f},{p[1]:.1f}"


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _in_order(picture: Picture) -> tuple[list[str], dict[str, tuple]]:
    """The DOT names of the picture's nodes in the order the graph makes them (an op before its result, a
    summary where its first member is), and the cluster path of each."""
    keyed, paths = [], {}
    for path, names in picture.nodes.items():
        for name, _ in names:
            paths[name] = path
            if name.startswith("op"):
                keyed.append(((int(name[2:]), 0), name))
            elif name.startswith("n"):
                keyed.append(((int(name[1:]), 1), name))
            else:
                keyed.append(((min(picture.scene.summaries[name].members, default=0), 1), name))
    return [name for _, name in sorted(keyed)], paths


def _cluster_boxes(picture: Picture, centres: Mapping[str, Point],
                   sizes: Mapping[str, tuple[float, float]]) -> dict[tuple, Box]:
    """Each cluster drawn around what it holds, its own nodes and its clusters, with room for its title."""
    boxes: dict[tuple, Box] = {}
    for path, names in picture.nodes.items():
        for name, _ in names:
            (x, y), (w, h) = centres[name], sizes.get(name, DEFAULT)
            for depth in range(1, len(path) + 1):
                boxes[path[:depth]] = _union(boxes.get(path[:depth]), (x - w / 2, y - h / 2, x + w / 2, y + h / 2))
    for path in sorted(boxes, key=len, reverse=True):  # pad from the inside out, each around the one it holds
        x0, y0, x1, y1 = boxes[path]
        boxes[path] = padded = (x0 - PAD, y0 - PAD, x1 + PAD, y1 + PAD + TITLE)
        if len(path) > 1:
            boxes[path[:-1]] = _union(boxes[path[:-1]], padded)
    return boxes


def _union(a: Box | None, b: Box) -> Box:
    return b if a is None else (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
