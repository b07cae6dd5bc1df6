"""Provides ``group`` and ``fold``: which nodes belong together, what repeats, and what a view draws.

A group is a user function call, one ``gs.scope`` block, a loop, or one
iteration of a loop.  Every group is a contiguous run of node ids (nodes are
created in time order, and a call, a ``with`` block or an iteration is a
stretch of time), so groups nest like intervals and one sweep builds the tree.

Consecutive sibling groups with the same *signature* (the same ops on the same
shapes, wired the same way inside) form a ``Repeat``: the doublings of myFunc's
``while`` loop, the layers of a deep MLP.  ``fold`` turns a graph into the items
a picture or the TUI draws: nodes, and ``Block``s standing for folded runs of a
repeat, with one member left open.  Which repeats fold and which member opens
is decided by ``graphstep.render.view``, for the TUI and the pictures alike.
"""

from __future__ import annotations

import ast
import functools
import itertools
import linecache
import sys
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from ..core.graph import Graph
from ..core.heap import paused_gc
from ..core.records import Node

KIND_RANK = {"loop": 0, "iteration": 1, "scope": 2, "call": 3}  # equal spans: the first kind is outside
KIND_WORD = {"iteration": "iteration", "call": "call", "scope": "block", "loop": "loop"}  # a member, in a label


@dataclass(slots=True)  # a 20,000-branch graph has 40,000 groups: no dict each (2 MB)
class Group:
    """Nodes ``start``..``end - 1`` made by one call, scope, loop or loop iteration."""

    id: int
    kind: str  # "call", "scope", "loop", "iteration"
    label: str  # "myFunc()", "scope attention", "while a.norm() < 100", "iteration 3"
    start: int
    end: int
    source: str = ""  # "file.py:LINE": the call site, the loop header
    index: int = 0  # iterations: 1-based number
    parent: int = -1
    children: list[int] | tuple[()] = ()  # child group ids in order: a list once it has one (most groups have none)
    code: str = ""  # calls: the line that made the call, for labels
    call: int = -1  # the user call it belongs to (its own, for a call group)
    line: int = 0  # loops and iterations: the loop's first line

    @property
    def nodes(self) -> range:
        return range(self.start, self.end)

    def __contains__(self, node: int) -> bool:
        return self.start <= node < self.end


@dataclass
class Repeat:
    """``k`` consecutive sibling groups doing the same thing: drawn as one block "× k" when folded."""

    id: int
    members: list[int]  # group ids, in order
    label: str  # "while a.norm() < 100: a = a * 2"

    def __len__(self) -> int:
        return len(self.members)


class MemberOf(Mapping[int, tuple[int, int]]):
    """``Grouping.member_of``: group id → (repeat id, its 1-based position in the repeat).  Keeps the repeat of
    each member only and finds the position by binary search in the repeat's members (ascending ids): a
    20,000-call repeat's positions as tuples were 2 MB."""

    def __init__(self, repeats: list[Repeat]) -> None:
        self._repeats = repeats
        self._repeat_of: dict[int, int] = {}

    def add(self, rep: Repeat) -> None:
        self._repeat_of.update(dict.fromkeys(rep.members, rep.id))

    def __getitem__(self, gid: int) -> tuple[int, int]:
        rid = self._repeat_of[gid]
        return rid, bisect_left(self._repeats[rid].members, gid) + 1

    def __contains__(self, gid: object) -> bool:
        return gid in self._repeat_of

    def __len__(self) -> int:
        return len(self._repeat_of)

    def __iter__(self) -> Iterator[int]:
        return iter(self._repeat_of)


@dataclass
class Grouping:
    """The group tree of one graph and the repeats in it."""

    groups: list[Group]
    roots: list[int]
    repeats: list[Repeat]
    innermost: list[int]  # node id → innermost group id, -1 outside every group
    member_of: Mapping[int, tuple[int, int]]  # group id → (repeat id, 1-based position): ``MemberOf``

    def chain(self, node: int) -> list[Group]:
        """The groups holding ``node``, outermost first: the breadcrumb of where it is."""
        out, g = [], self.innermost[node]
        while g >= 0:
            out.append(self.groups[g])
            g = self.groups[g].parent
        return out[::-1]

    def breadcrumb(self, node: int) -> str:
        """``myFunc() ▸ while a.norm() < 100 ▸ iteration 3 of 17``."""
        return " ▸ ".join(self.title(g) for g in self.chain(node))

    def title(self, g: Group) -> str:
        """``iteration 3 of 18``, numbered as the loop ran (a ``while``'s last test counts), else the group's label:
        the one place a view's clusters, breadcrumbs and boxes get a group's name from."""
        if g.kind == "iteration":
            return f"{g.label} of {len(self.groups[g.parent].children)}"
        if g.kind == "scope":
            return self._scope_title(g)
        return g.label

    def _scope_title(self, g: Group) -> str:
        """``attention``; a scope inside a scope by its place in it, as PyTorch qualifies a submodule:
        ``net: Sequential ▸ 2: Linear`` for ``net.2``."""
        name = g.label.removeprefix("scope ")
        parent = self.groups[g.parent] if g.parent >= 0 else None
        if parent is not None and parent.kind == "scope":
            name = name.removeprefix(parent.label.removeprefix("scope ").split(":")[0] + ".")
        return name

    def iterations(self, lo: Group, hi: Group) -> str:
        """``iterations 1–17 of 18``: the sibling iterations ``lo`` to ``hi``, numbered as ``title`` numbers them."""
        return f"iterations {lo.index}–{hi.index} of {len(self.groups[lo.parent].children)}"

    def member_title(self, rep: Repeat, k: int) -> str:
        """``iteration 3 of 18`` or ``call 2 of 6``: member ``k`` (1-based) of a repeat."""
        g = self.groups[rep.members[k - 1]]
        return self.title(g) if g.kind == "iteration" else f"{KIND_WORD[g.kind]} {k} of {len(rep)}"

    def repeats_at(self, node: int) -> dict[int, int]:
        """Every repeat around ``node`` → its member holding it: what to open so the node shows."""
        return dict(self.member_of[g.id] for g in self.chain(node) if g.id in self.member_of)

    def repeat_at(self, node: int) -> tuple[Repeat, int] | None:
        """The outermost repeat whose members hold ``node``, and which member (1-based)."""
        for g in self.chain(node):
            if g.id in self.member_of:
                rid, k = self.member_of[g.id]
                return self.repeats[rid], k
        return None


# ───────────────────────────── building the tree ─────────────────────────────


@dataclass(frozen=True)
class _Loop:
    start: int
    end: int
    header: str


_loop_cache: dict[tuple[str, int], list[_Loop]] = {}


def _loops(filename: str) -> list[_Loop]:
    """The ``for``/``while`` statements of a file, by line span (parsed once per file text)."""
    lines = linecache.getlines(filename)
    key = (filename, hash("".join(lines)))
    if key not in _loop_cache:
        try:
            tree = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            tree = None
        found = [] if tree is None else [
            _Loop(n.lineno, n.end_lineno or n.lineno, lines[n.lineno - 1].strip().rstrip(":"))
            for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While, ast.AsyncFor))]
        _loop_cache[key] = sorted(found, key=lambda lp: (lp.start, -lp.end))
    return _loop_cache[key]


@dataclass
class _LoopState:
    outer: tuple  # the path outside the loop when this instance began
    instance: int
    iteration: int = 1
    last: tuple = ()  # (line, offset, child call, closed) of the latest node in the loop
    keys: tuple = ()  # the loop's and the iteration's keys in a path, made once per iteration: every node of one
    # iteration holds the same two, so paths of one iteration compare by identity


class _Sources:
    """The loops of the user's files, read once per file and per (function, line) while one graph is grouped:
    a 100,000-node trace asks for the same few lines again and again."""

    def __init__(self, graph: Graph) -> None:
        self.calls = graph.calls
        self._files: dict[str, list[_Loop]] = {}
        self._around: dict[tuple[str, int, int], list[_Loop]] = {}
        self._lines: dict[tuple[str, int], str] = {}
        self._loop: dict[tuple[str, int], _Loop] = {}
        self._texts: dict[tuple, tuple] = {}  # a group's texts, per call site or loop (``call_texts``)

    def loops(self, filename: str) -> list[_Loop]:
        found = self._files.get(filename)
        if found is None:
            found = self._files[filename] = _loops(filename)
        return found

    def around(self, call: int, line: int) -> list[_Loop]:
        """The loops of ``call``'s function that hold ``line``, outermost first."""
        info = self.calls[call]
        key = (info["file"], info["line"], line)
        found = self._around.get(key)
        if found is None:
            found = self._around[key] = [lp for lp in self.loops(info["file"]) if info["line"] <= lp.start <= line
                                         and line <= lp.end]
        return found

    def line(self, filename: str, line: int) -> str:
        """A source line, stripped and interned: 20,000 calls from one line share it (6 MB), read once."""
        key = (filename, line)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = sys.intern(linecache.getline(filename, line).strip())
        return found

    def call_texts(self, call: int, where: str) -> tuple[str, str, str]:
        """A call group's label, source and code, made once per function and call site (``where``: the source of
        the call's first node): the 20,000 calls of a wide graph's one line share them (6 MB), made once."""
        info = self.calls[call]
        key = (where, info["func"], info["site"], self.calls[info["parent"]]["file"])
        found = self._texts.get(key)
        if found is None:
            path = where.rsplit(":", 1)[0]
            found = self._texts[key] = (sys.intern(f"{info['func']}()"), sys.intern(f"{path}:{info['site']}"),
                                        self.line(key[3], info["site"]))
        return found

    def loop_texts(self, call: int, start: int, where: str) -> tuple[_Loop, str]:
        """The loop starting on line ``start`` of ``call``'s function, and a loop or iteration group's source
        (``where``: the source of its first node), made once per loop and node source."""
        key = (where, self.calls[call]["file"], start)
        found = self._texts.get(key)
        if found is None:
            loop = self.loop(call, start)
            found = self._texts[key] = (loop, sys.intern(f"{where.rsplit(':', 1)[0]}:{loop.start}"))
        return found

    def loop(self, call: int, start: int) -> _Loop:
        """The loop of ``call``'s function that starts on line ``start``."""
        key = (self.calls[call]["file"], start)
        found = self._loop.get(key)
        if found is None:
            found = self._loop[key] = next(lp for lp in self.loops(key[0]) if lp.start == start)
        return found


class _LoopWalk:
    """Which iteration of which loop instance each node is in, as control moves through the user's frames."""

    def __init__(self, sources: _Sources) -> None:
        self.sources = sources
        self.states: dict[tuple, _LoopState] = {}
        self.instances: dict[tuple, int] = {}

    def enter(self, path: tuple, stack: tuple, level: int, closed: bool, loops: list[_Loop] | None = None) -> tuple:
        """``path`` (the groups outside frame ``level`` of ``stack``) and the loops and iterations that frame is
        in (``loops``, when the caller has found them); ``closed``: the node ends its instruction (an op at its
        innermost frame: its consts come first).  Paths are tuples: the nodes of one frame share the path outside
        it, so a loop's state sees that it still runs in the same place by identity, no compare, no copy."""
        call, line, offset = stack[level]
        if loops is None:
            loops = self.sources.around(call, line)
        if not loops:
            return path
        child = stack[level + 1][0] if level + 1 < len(stack) else None
        innermost = len(loops) - 1
        for depth, loop in enumerate(loops):
            # an outer loop sees a nested loop as one instruction at the nested loop's first line
            at = (line, offset, child, closed) if depth == innermost else (loops[depth + 1].start, -1, None, False)
            key = (call, loop.start)
            state = self.states.get(key)
            if state is None or (state.outer is not path and state.outer != path):
                self.instances[key] = instance = self.instances.get(key, 0) + 1
                state = self.states[key] = _LoopState(path, instance)
                state.keys = (("loop", call, loop.start, instance), ("iteration", call, loop.start, instance, 1))
            elif _new_iteration(state.last, at[0], at[1], at[2]):
                state.iteration += 1
                state.keys = (state.keys[0], ("iteration", call, loop.start, state.instance, state.iteration))
            state.last = at
            path += state.keys
        return path


def _paths(nodes: list[Node], sources: _Sources) -> Iterator[tuple]:
    """Per node in order, the keys of the call/loop/iteration groups it is in, outermost first.

    A new iteration starts when control comes back to an earlier line or
    instruction of the loop.  Only nodes show where control was, so an outer
    loop whose body makes no node outside its inner loop looks like one
    iteration of a longer inner loop.  A node made in the frames of the node
    before it moves no outer loop on, so only its innermost frame is walked.
    """
    walk = _LoopWalk(sources)
    previous: tuple = ()
    around: tuple = ()  # the groups of the frames around the innermost one (its call included)
    line, loops = None, None  # the innermost frame's line and its loops: the same line of the same call (the
    # three ops of ``tanh(x @ w + b)``) has the same loops, found once
    for node in nodes:
        stack = node.stack
        if not _same_frames(stack, previous):
            around = ()
            for level in range(len(stack) - 1):
                if level:
                    around += (("call", stack[level][0]),)
                around = walk.enter(around, stack, level, False)
            if len(stack) > 1:
                around += (("call", stack[-1][0]),)
            line = None
        previous = stack
        if not stack:
            loops = None
        elif stack[-1][1] != line:
            line = stack[-1][1]
            loops = sources.around(stack[-1][0], line)
        if loops:
            yield walk.enter(around, stack, len(stack) - 1, node.kind != "const", loops)
        else:
            yield around


def _same_frames(stack: tuple, previous: tuple) -> bool:
    """Whether ``stack`` is ``previous`` but for the place in its innermost frame: each outer frame is still at
    the call into the same frame below it, so the loops around those calls stay where they were."""
    depth = len(stack)
    if depth != len(previous) or not depth or stack[-1][0] != previous[-1][0]:
        return False
    return depth == 1 or (stack[0] == previous[0] if depth == 2 else stack[:-1] == previous[:-1])  # no slices


def _new_iteration(last: tuple, line: int, offset: int, child) -> bool:
    """Control went back: an earlier line or instruction, or the same instruction run again."""
    if not last:
        return False
    last_line, last_offset, last_child, last_closed = last
    if line != last_line:
        return line < last_line
    if offset != last_offset:
        return offset < last_offset
    return child != last_child if child is not None else last_closed


@paused_gc()  # a 100,000-node graph makes a million small objects here, and no cycles
def group(graph: Graph) -> Grouping:
    """Find the calls, scopes, loops and iterations of ``graph``, and the repeats among them."""
    sources, nodes = _Sources(graph), graph.records()
    spans = _spans(graph, nodes, sources)
    spans.sort(key=lambda g: (g.start, -g.end, KIND_RANK[g.kind]))
    groups: list[Group] = []
    roots: list[int] = []
    open_: list[Group] = []
    for g in spans:
        while open_ and g.start >= open_[-1].end:
            open_.pop()
        if open_ and g.end > open_[-1].end:
            continue  # crosses its would-be parent (a scope straddling iterations): not a group
        g.id = len(groups)
        if open_:
            g.parent = open_[-1].id
            parent = open_[-1]
            if not parent.children:  # an empty list per group was 2 MB in a 20,000-branch graph
                parent.children = []
            parent.children.append(g.id)
        else:
            roots.append(g.id)
        groups.append(g)
        open_.append(g)
    innermost = [-1] * len(graph)
    for g in groups:  # parents come before children, so the innermost is written last
        innermost[g.start:g.end] = [g.id] * (g.end - g.start)
    repeats, member_of = _repeats(graph, nodes, groups, roots, sources)
    return Grouping(groups, roots, repeats, innermost, member_of)


def _spans(graph: Graph, nodes: list[Node], sources: _Sources) -> list[Group]:
    """Every group as an interval of node ids (ids and parents are set once they are nested)."""
    spans: list[Group] = []
    opened: dict[tuple, Group] = {}
    previous: tuple = ()
    for nid, path in enumerate(_paths(nodes, sources)):
        if path is previous or path == previous:  # most nodes are in the groups of the node before them
            continue
        common, most = 0, min(len(path), len(previous))
        while common < most and path[common] == previous[common]:
            common += 1
        for key in previous[common:]:
            opened.pop(key).end = nid
        for key in path[common:]:
            g = opened[key] = _new_group(graph, nodes[nid], sources, key, nid)
            spans.append(g)
        previous = path
    for g in opened.values():
        g.end = len(graph)
    for label, start, end in graph.scope_spans:
        if end > start:
            spans.append(Group(-1, "scope", f"scope {label.rsplit('/', 1)[-1]}", start, end,
                               graph.node(start).source))
    return spans


def _new_group(graph: Graph, node: Node, sources: _Sources, key: tuple, start: int) -> Group:
    """The group ``key`` (from ``_paths``) beginning at ``node``, the node ``start``."""
    kind, call = key[0], key[1]
    if kind == "call":
        label, source, code = sources.call_texts(call, node.source)
        return Group(-1, "call", label, start, start, source, code=code, call=call)
    loop, source = sources.loop_texts(call, key[2], node.source)
    if kind == "loop":
        return Group(-1, "loop", loop.header, start, start, source, call=call, line=loop.start)
    return Group(-1, "iteration", f"iteration {key[4]}", start, start, source, index=key[4], call=call,
                 line=loop.start)


def _iteration_code(graph: Graph, nodes: list[Node], sources: _Sources, g: Group) -> str:
    """``while a.norm() < 100: a = a * 2``: the loop's header and the body lines that made ops."""
    info = graph.calls[g.call]
    lines: dict[int, None] = {}
    for node in nodes[g.start:g.end]:
        if node.kind == "op":
            level = next((line for call, line, _ in node.stack if call == g.call), 0)
            if level > g.line:
                lines[level] = None
    header = sources.loop(g.call, g.line).header
    body = [linecache.getline(info["file"], k).strip() for k in lines]
    text = f"{header}: " + "; ".join(body) if body else header
    return text if len(text) <= 72 else text[:71] + "…"


def _signature(nodes: list[Node], g: Group) -> int:
    """Equal for groups that do the same thing: ops, shapes and wiring inside (outside inputs as -1)."""
    start = g.start
    inside = start.__rsub__  # i - start, in C: most inputs are inside, and a nested comprehension per node would
    return hash(tuple([(node.kind, node.op, node.shape,  # cost a frame each (10,000 iterations of a deep chain)
                        tuple(map(inside, ins)) if not ins or min(ins) >= start else
                        tuple([i - start if i >= start else -1 for i in ins]))
                       for node in nodes[start:g.end] for ins in (node.inputs,)]))


def _repeats(graph: Graph, nodes: list[Node], groups: list[Group], roots: list[int],
             sources: _Sources) -> tuple[list[Repeat], MemberOf]:
    """Runs of consecutive siblings doing the same thing."""
    repeats: list[Repeat] = []
    member_of = MemberOf(repeats)
    for siblings in itertools.chain((roots,), (g.children for g in groups if len(g.children) > 1)):
        for run in _runs(nodes, groups, siblings):
            rid = len(repeats)
            repeats.append(Repeat(rid, run, _repeat_label(graph, nodes, sources, groups[run[0]])))
            member_of.add(repeats[rid])
    return repeats, member_of


def _runs(nodes: list[Node], groups: list[Group], siblings: list[int]) -> Iterator[list[int]]:
    """The runs of two or more consecutive ``siblings`` with the signature of the run's first.  A group's
    signature (a walk over its nodes) is taken only when a sibling of the same kind and size asks (the one loop
    of a deep chain is never walked), and at most once: each sibling is matched against the run's first only."""
    run: list[int] = []
    first: Group | None = None
    mark: int | None = None  # the first's signature, once taken
    for gid in siblings:
        g = groups[gid]
        signature = None
        if first is not None and g.kind == first.kind and g.end - g.start == first.end - first.start and (
                g.kind != "call" or g.label == first.label):
            if mark is None:
                mark = _signature(nodes, first)
            signature = _signature(nodes, g)
            if signature == mark:
                run.append(gid)
                continue
        if len(run) > 1:
            yield run
        run, first, mark = [gid], g, signature
    if len(run) > 1:
        yield run


def _repeat_label(graph: Graph, nodes: list[Node], sources: _Sources, first: Group) -> str:
    if first.kind == "iteration":
        return _iteration_code(graph, nodes, sources, first)
    if first.kind == "call":
        return first.code or first.label
    return first.label


# ───────────────────────────── what a view draws ─────────────────────────────


@dataclass
class Block:
    """Several nodes drawn as one box: members ``first``..``last`` of a folded repeat, or a group out of focus."""

    id: int  # item id: len(graph) + k, so it never clashes with a node id
    label: str  # "× 17  while a.norm() < 100: a = a * 2"
    detail: str  # "iterations 1–17 of 17"
    nodes: Sequence[int]  # ascending; a range when the members lie end to end (``_spanned``), else a list
    repeat: Repeat | None = None
    first: int = 0
    last: int = 0
    parts: list[Group] = field(default_factory=list)  # focus context: the groups the box stands for

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass
class View:
    """What to draw: items (node ids and block ids) in execution order, and the edges between them."""

    items: list[int]
    inputs: dict[int, list[int]]
    blocks: dict[int, Block]
    item_of: list[int]  # node id → the item it is drawn in
    border: set[int] = field(default_factory=set)  # block members with an edge to or from another item

    def is_block(self, item: int) -> bool:
        return item in self.blocks


@paused_gc()
def fold(graph: Graph, grouping: Grouping | None = None, *, folded: bool | Iterable[int] = True,
         opened: dict[int, int] | None = None, min_repeat: int = 2) -> View:
    """The items to draw with repeats folded.

    ``folded``: True for every repeat, or the ids of the repeats to fold.
    ``opened``: repeat id → the member (1-based) drawn in full, e.g. the
    iteration holding the current step; the members before and after it stay
    folded.  Folding is only a view: the stepper still visits every node.
    """
    grouping = grouping or graph.grouping
    opened = opened or {}
    chosen = {r.id for r in grouping.repeats} if folded is True else set(folded or ())
    item_of = list(range(len(graph)))
    blocks: dict[int, Block] = {}
    for rep in grouping.repeats:
        if rep.id not in chosen or len(rep) < min_repeat or _inside_folded(grouping, rep, item_of, graph):
            continue
        k_open = opened.get(rep.id, 0)
        for first, last in _runs_without(len(rep), k_open):
            members = [grouping.groups[g] for g in rep.members[first - 1:last]]
            block = Block(len(graph) + len(blocks), _fold_label(grouping, rep, first, last),
                          _fold_detail(grouping, rep, first, last), _spanned(members), rep, first, last)
            blocks[block.id] = block
            for m in members:
                item_of[m.start:m.end] = itertools.repeat(block.id, m.end - m.start)
    return _view(graph, item_of, blocks)


def _spanned(members: list[Group]) -> Sequence[int]:
    """The nodes of ``members`` in order: one range when each begins where the one before ends (iterations, the
    calls of a deep chain), else a list.  A 100,000-node block as a list held 100,000 ints (4 MB)."""
    if all(a.end == b.start for a, b in zip(members, members[1:])):
        return range(members[0].start, members[-1].end)
    return list(itertools.chain.from_iterable(m.nodes for m in members))


def _inside_folded(grouping: Grouping, rep: Repeat, item_of: list[int], graph: Graph) -> bool:
    """A repeat nested in a member already folded away needs no blocks of its own."""
    return item_of[grouping.groups[rep.members[0]].start] >= len(graph)


def _runs_without(k: int, skip: int) -> list[tuple[int, int]]:
    if not 1 <= skip <= k:
        return [(1, k)]
    return [(a, b) for a, b in ((1, skip - 1), (skip + 1, k)) if a <= b]


def _fold_label(grouping: Grouping, rep: Repeat, first: int, last: int) -> str:
    """``× 17  while a.norm() < 100: a = a * 2``; one member left folded is named, ``iteration 1 of 18  …``."""
    count = f"× {last - first + 1}" if last > first else grouping.member_title(rep, first)
    return f"{count}  {rep.label}"


def _fold_detail(grouping: Grouping, rep: Repeat, first: int, last: int) -> str:
    """``iterations 1–17 of 18``: numbered as the breadcrumb numbers them (a loop's last test counts)."""
    lo, hi = grouping.groups[rep.members[first - 1]], grouping.groups[rep.members[last - 1]]
    if first == last:
        span = grouping.member_title(rep, first)
    elif lo.kind == "iteration":
        span = grouping.iterations(lo, hi)
    else:
        span = f"{KIND_WORD[lo.kind]}s {first}–{last} of {len(rep)}"
    return f"{span} · {lo.source}"


@paused_gc()
def focus(graph: Graph, node: int, hops: int = 2, grouping: Grouping | None = None) -> View:
    """The neighbourhood of ``node`` (``hops`` edges either way) in full, the rest as context boxes.

    A node out of focus goes into a box by the deepest group it shares with
    ``node`` and by side (before or after it), so the context is at most two
    boxes per level of the breadcrumb: "iterations 1–6 of 18", "iterations 9–18 of 18".
    """
    grouping = grouping or graph.grouping
    near = neighbourhood(graph, node, hops)
    holding = {g.id for g in grouping.chain(node)}
    item_of = list(range(len(graph)))
    keyed: dict[tuple, Block] = {}
    placed: dict[int, tuple[int, Group | None]] = {}  # innermost group → (deepest shared group, first unshared)
    for nid in graph.order:
        if nid in near:
            continue
        inner = grouping.innermost[nid]
        if inner not in placed:
            placed[inner] = _place(grouping, holding, inner)
        shared, outside = placed[inner]
        key = (shared, "before" if nid < node else "after")
        block = keyed.get(key)
        if block is None:
            block = keyed[key] = Block(len(graph) + len(keyed), "", key[1], [])
        block.nodes.append(nid)
        if outside is not None and (not block.parts or block.parts[-1] is not outside):
            block.parts.append(outside)
        item_of[nid] = block.id
    blocks = {}
    for block in keyed.values():
        if len(block.nodes) == 1:  # a box for one node says less than the node
            item_of[block.nodes[0]] = block.nodes[0]
            continue
        block.label, block.detail = _context_label(grouping, block)
        blocks[block.id] = block
    return _view(graph, item_of, blocks)


def _place(grouping: Grouping, holding: set[int], inner: int) -> tuple[int, Group | None]:
    """For nodes whose innermost group is ``inner``: the deepest group they share with the focus node,
    and their outermost group that the focus node is not in (None when they share every one)."""
    outside, g = None, inner
    while g >= 0 and g not in holding:
        outside, g = grouping.groups[g], grouping.groups[g].parent
    return g, outside


def _context_label(grouping: Grouping, block: Block) -> tuple[str, str]:
    """``iterations 1–6 of 18`` or ``myFunc()``: what a context box stands for."""
    parts = block.parts
    count = f"{len(block.nodes):,} node{'s' if len(block.nodes) != 1 else ''}"
    if not parts:
        return f"{count} {block.detail}", ""
    first, last = parts[0], parts[-1]
    if len(parts) == 1:
        return grouping.title(first), count
    if first.kind == "iteration" and last.kind == "iteration":
        return grouping.iterations(first, last), count
    return f"{grouping.title(first)} … {grouping.title(last)}", f"{len(parts)} groups · {count}"


def neighbourhood(graph: Graph, node: int, hops: int) -> set[int]:
    """Nodes within ``hops`` edges of ``node``, following edges either way (breadth-first, no recursion)."""
    consumers = graph.consumers
    seen = {node}
    frontier = deque([(node, 0)])
    while frontier:
        nid, d = frontier.popleft()
        if d == hops:
            continue
        for other in (*graph.node(nid).inputs, *consumers[nid]):
            if other not in seen:
                seen.add(other)
                frontier.append((other, d + 1))
    return seen


def _view(graph: Graph, item_of: list[int], blocks: dict[int, Block]) -> View:
    items, seen, border = [], set(), set()
    inputs: dict[int, list[int]] = {}
    program = graph.program  # each node's input ids, without ``graph.node``'s checks: a pass over 100,000 nodes
    for nid in graph.order:
        item = item_of[nid]
        if item not in seen:
            seen.add(item)
            items.append(item)
            inputs[item] = []
        feeds = inputs[item]
        for i in program[nid][1]:
            src = item_of[i]
            if src != item:
                if src not in feeds:
                    feeds.append(src)
                if item in blocks:  # two tests, not a generator per edge: 40,000 edges cross blocks in a wide graph
                    border.add(nid)
                if src in blocks:
                    border.add(i)
    return View(items, inputs, blocks, item_of, border)


def _grouping_of(graph: Graph) -> Grouping:
    """``graph.grouping``: found once per graph, kept in the graph's own cache (core knows nothing of grouping)."""
    return group(graph)


_property = functools.cached_property(_grouping_of)
_property.__set_name__(Graph, "grouping")
Graph.grouping = _property  # installed from above: the dependency runs analysis → core only
