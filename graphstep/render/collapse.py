"""Provides ``fold_loops`` and ``collapse``: keep pictures of long loops and huge graphs legible.

``fold_loops`` keeps the first and last iterations of a long unrolled loop (and
the one being stepped) and draws the rest as one box.  ``collapse`` goes
further for graphs over the node limit: every source line (all its visits) or
scope becomes one summary box, and if that is still too many, consecutive
blocks of the execution order do.  The picture says what was folded.
"""

from __future__ import annotations

from collections import Counter

from ..graph import Graph
from .scene import NodeView, Scene, Summary

KEEP = 2  # iterations kept at each end of a folded loop
FOLD_ABOVE = 6  # loops with more iterations than this are folded


def fold_loops(scene: Scene) -> Scene:
    """Fold the middle iterations of every loop that ran more than FOLD_ABOVE times."""
    by_loop: dict[tuple, dict[int, list[int]]] = {}
    for v in scene.nodes.values():
        if v.loop:
            by_loop.setdefault(v.loop[:2], {}).setdefault(v.loop[2], []).append(v.id)
    current = {v.loop[:2]: v.loop[2] for v in scene.nodes.values() if v.loop and v.state == "current"}
    for loop, iterations in by_loop.items():
        last = max(iterations)
        if last <= FOLD_ABOVE:
            continue
        keep = {*range(1, KEEP + 1), *range(last - KEEP + 1, last + 1)}
        if loop in current:
            keep |= {current[loop] - 1, current[loop], current[loop] + 1}
        for lo, hi in _ranges(sorted(set(iterations) - keep)):
            members = [n for k in range(lo, hi + 1) for n in iterations.get(k, [])]
            code = scene.loops[(*loop, lo)].split("·", 1)[-1].strip()
            _add_summary(scene, f"loop{loop[1]}_{lo}", f"iterations {lo}–{hi} of {last} folded", members,
                         f"each: {code}")
    if scene.summaries:
        scene.note = _join(scene.note, "long loops folded: first and last iterations shown (--full draws all)")
    return scene


def collapse(scene: Scene, graph: Graph, limit: int) -> Scene:
    """Summarise a graph with more than ``limit`` nodes: by source line or scope, else by blocks of order."""
    total = len(scene.nodes)
    groups: dict[tuple, list[int]] = {}
    for v in scene.nodes.values():
        if v.id != scene.output:
            groups.setdefault(_group_key(v), []).append(v.id)
    if sum(1 for g in groups.values() if len(g) == 1) + sum(1 for g in groups.values() if len(g) > 1) > limit:
        groups = _blocks(scene, graph, limit)
    scene.summaries.clear()
    scene.hidden.clear()
    for key, members in groups.items():
        if len(members) > 1:
            _add_summary(scene, "s_" + "_".join(str(k) for k in key if k != "")[-40:], _group_title(scene, key),
                         members, "")
    shown = total - len(scene.hidden)
    scene.note = (f"{total:,} nodes: collapsed to {shown + len(scene.summaries):,} boxes "
                  f"({len(scene.summaries)} summaries); graphstep export --full draws every node")
    return scene


def _group_key(v: NodeView) -> tuple:
    if v.scope:
        return ("scope", v.scope.split("/")[0])
    return ("line", v.source, v.kind if not v.op else "op")


def _group_title(scene: Scene, key: tuple) -> str:
    if key[0] == "scope":
        return f"scope {key[1]}"
    if key[0] == "block":
        return f"nodes {key[1]}–{key[2]} in execution order"
    members = [v for v in scene.nodes.values() if _group_key(v) == key][:1]
    code = members[0].code if members else ""
    return f"line {key[1].rsplit(':', 1)[-1]}: {code}"


def _blocks(scene: Scene, graph: Graph, limit: int) -> dict[tuple, list[int]]:
    ids = [n for n in graph.order if n in scene.nodes and n != scene.output]
    size = max(2, -(-len(ids) // max(1, limit // 4)))
    return {("block", ids[i], ids[min(i + size, len(ids)) - 1]): ids[i:i + size] for i in range(0, len(ids), size)}


def _add_summary(scene: Scene, sid: str, label: str, members: list[int], detail: str) -> None:
    views = [scene.nodes[n] for n in members]
    ops = Counter(v.symbol or v.kind for v in views)
    kinds = ", ".join(f"{n}× {name}" for name, n in ops.most_common(4))
    lines = [detail, f"{len(members):,} nodes: {kinds}"]
    if scene.stateful:
        known = sum(v.value is not None for v in views)
        grads = sum(v.grad is not None for v in views)
        lines.append(f"values {known}/{len(views)} · gradients {grads}/{len(views)}")
    sid = f"sum_{sid}".replace("/", "_").replace(":", "_").replace(".", "_")
    scene.summaries[sid] = Summary(sid, label, members, "\n".join(line for line in lines if line), _state(views))
    for n in members:
        scene.hidden[n] = sid


def _state(views: list[NodeView]) -> str:
    states = {v.state for v in views}
    if "current" in states:
        return "current"
    used = [v for v in views if v.used and v.kind == "op"] or views
    if all(v.grad is not None for v in used) and any(v.state == "grad" for v in used):
        return "grad"
    if all(v.value is not None for v in views) and "pending" not in states:
        return "computed" if "plain" not in states else "plain"
    return "pending" if "pending" in states else "plain"


def _ranges(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for k in values:
        if runs and runs[-1][1] == k - 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
