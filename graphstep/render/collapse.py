"""Provides ``fold_repeats`` and ``collapse``: keep pictures of long loops, deep stacks and huge graphs legible.

``fold_repeats`` draws the repeats ``graph.grouping`` found (the doublings of a
``while`` loop, the layers of a deep MLP) as one box "× k" each, through
``grouping.fold``, the same code the TUI folds with; the iteration holding the
current step stays open and each box counts the values and gradients known
inside it.  ``collapse`` goes further for graphs still over the node limit:
every source line or scope left becomes one summary box, and if that is still
too many, consecutive blocks of the execution order do.  The picture says what
was folded or collapsed.
"""

from __future__ import annotations

from collections import Counter

from ..analysis.grouping import Block, fold
from ..core.graph import Graph
from ..core.stepper import Stepper
from .scene import NodeView, Scene, Summary

FOLD_ABOVE = 6  # by default, repeats with more members than this are folded
FOLD_ALL_ABOVE = 300  # and in graphs with more nodes than this, every repeat is


def repeats_to_fold(graph: Graph, fold_option: bool | None) -> set[int]:
    """The repeat ids to fold: all (True), none (False), or by default the long ones, all of them in large graphs."""
    repeats = graph.grouping.repeats
    if fold_option is None:
        return {r.id for r in repeats if len(r) > FOLD_ABOVE or len(graph) > FOLD_ALL_ABOVE}
    return {r.id for r in repeats} if fold_option else set()


def opened_at(graph: Graph, stepper: Stepper | None) -> dict[int, int]:
    """Repeat id -> member holding the step in progress, for every repeat around it: that member is drawn open."""
    if stepper is None or stepper.current is None or stepper.done:
        return {}
    return graph.grouping.repeats_at(stepper.current)


def fold_repeats(scene: Scene, graph: Graph, stepper: Stepper | None, fold_option: bool | None = None) -> Scene:
    """Draw the chosen repeats of ``graph`` as "× k" boxes, opening the member the stepper is in."""
    chosen = repeats_to_fold(graph, fold_option)
    if not chosen:
        return scene
    view = fold(graph, folded=chosen, opened=opened_at(graph, stepper))
    for block in view.blocks.values():
        _add_block(scene, graph, block)
    if view.blocks:
        scene.note = _join(scene.note, "repeats folded: a × k box stands for k iterations or calls doing the same "
                                       "thing (--no-fold draws them all)")
    return scene


def _add_block(scene: Scene, graph: Graph, block: Block) -> None:
    grouping = graph.grouping
    members = [n for n in block.nodes if n in scene.nodes]
    first = grouping.groups[block.repeat.members[block.first - 1]]
    each = [scene.nodes[n] for n in first.nodes if n in scene.nodes and scene.nodes[n].op]
    ops = " → ".join(v.symbol or v.op for v in each[:6]) + (" → …" if len(each) > 6 else "")
    current = next((n for n in members if scene.nodes[n].state == "current"), None)
    output = scene.nodes[scene.output].name if scene.output in members else ""
    lines = [_detail(graph, block), f"each: {ops}" if ops else "", f"holds the output {output}" if output else "",
             "" if current is None else f"◀ step {scene.position} in {_member_at(graph, block, current)}"]
    _add_summary(scene, f"fold{block.id}", block.label, members, "\n".join(line for line in lines if line),
                 folded=True, parent=first.parent)


def _detail(graph: Graph, block: Block) -> str:
    """``iterations 1–14 of 18 · samples/myfunc.py:13``: iterations counted as the clusters count them.

    A ``while`` loop's last iteration only runs the test, so it is not in the
    repeat; numbering against the loop keeps the box and "iteration 15 of 18" agreeing.
    """
    groups = graph.grouping.groups
    first, last = groups[block.repeat.members[block.first - 1]], groups[block.repeat.members[block.last - 1]]
    if first.kind != "iteration":
        return block.detail
    span = f"{first.index}" if first is last else f"{first.index}–{last.index}"
    word = "iteration" if first is last else "iterations"
    return f"{word} {span} of {len(groups[first.parent].children)} · {first.source}"


def _member_at(graph: Graph, block: Block, node: int) -> str:
    """``iteration 3`` or ``call 3``: the member of the folded block that holds ``node``."""
    grouping = graph.grouping
    for g in grouping.chain(node):
        if g.id in grouping.member_of and grouping.member_of[g.id][0] == block.repeat.id:
            return g.label if g.kind == "iteration" else f"{g.kind} {grouping.member_of[g.id][1]}"
    return "it"


def collapse(scene: Scene, graph: Graph, limit: int) -> Scene:
    """Summarise what is still drawn node by node when over ``limit`` boxes: by source line or scope, else by blocks."""
    before = len(scene.nodes)
    groups: dict[tuple, list[int]] = {}
    for v in scene.nodes.values():
        if v.id != scene.output and v.id not in scene.hidden:
            groups.setdefault(_group_key(v), []).append(v.id)
    if len(groups) + len(scene.summaries) > limit:
        groups = _blocks(scene, graph, limit)
    folded = len(scene.summaries)
    for key, members in groups.items():
        if len(members) > 1:
            _add_summary(scene, "s_" + "_".join(str(k) for k in key if k != "")[-40:], _group_title(scene, key,
                         members), members, "")
    boxes = before - len(scene.hidden) + len(scene.summaries)
    scene.note = _join(scene.note, f"{before:,} nodes: collapsed to {boxes:,} boxes ({len(scene.summaries) - folded} "
                                   "summaries); graphstep export --full draws every node")
    return scene


def _group_key(v: NodeView) -> tuple:
    if v.scope:
        return ("scope", v.scope.split("/")[0])
    return ("line", v.source, v.kind if not v.op else "op")


def _group_title(scene: Scene, key: tuple, members: list[int]) -> str:
    if key[0] == "scope":
        return f"scope {key[1]}"
    if key[0] == "block":
        return f"nodes {key[1]}–{key[2]} in execution order"
    return f"line {key[1].rsplit(':', 1)[-1]}: {scene.nodes[members[0]].code}"


def _blocks(scene: Scene, graph: Graph, limit: int) -> dict[tuple, list[int]]:
    """Consecutive runs of the nodes still drawn, so that about ``limit / 4`` boxes remain."""
    ids = [n for n in graph.order if n in scene.nodes and n != scene.output and n not in scene.hidden]
    size = max(2, -(-len(ids) // max(1, limit // 4)))
    return {("block", ids[i], ids[min(i + size, len(ids)) - 1]): ids[i:i + size] for i in range(0, len(ids), size)}


def _add_summary(scene: Scene, sid: str, label: str, members: list[int], detail: str, *, folded: bool = False,
                 parent: int = -1) -> None:
    views = [scene.nodes[n] for n in members]
    lines = [detail]
    if not folded:
        ops = Counter(v.symbol or v.kind for v in views)
        lines.append(f"{len(members):,} nodes: " + ", ".join(f"{n}× {name}" for name, n in ops.most_common(4)))
    if scene.stateful:
        lines.append(progress(views))
    sid = f"sum_{sid}".replace("/", "_").replace(":", "_").replace(".", "_")
    scene.summaries[sid] = Summary(sid, label, members, "\n".join(line for line in lines if line),
                                   _state(views, folded), folded, parent,
                                   current=any(v.state == "current" for v in views))
    for n in members:
        scene.hidden[n] = sid


def progress(views: list[NodeView]) -> str:
    """``values 12/18 · gradients 0/30``: ops computed, and gradients arrived of those backward will send."""
    ops = [v for v in views if v.op]
    wanted = [v for v in views if v.gets_grad]
    known = sum(v.value is not None for v in ops)
    grads = sum(v.grad is not None for v in wanted)
    return f"values {known}/{len(ops)} · gradients {grads}/{len(wanted)}"


def _state(views: list[NodeView], folded: bool = False) -> str:
    """The box's colour: a folded box holding the current step keeps its progress colour (the border says current)."""
    states = {v.state for v in views}
    if "current" in states and not folded:
        return "current"
    used = [v for v in views if v.used and v.kind == "op"] or views
    if all(v.grad is not None for v in used) and any(v.state == "grad" for v in used):
        return "grad"
    if all(v.value is not None for v in views) and "pending" not in states:
        return "computed" if "plain" not in states else "plain"
    return "pending" if "pending" in states else "plain"


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
