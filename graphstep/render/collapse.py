"""Provides ``fold_repeats`` and ``collapse``: keep pictures of long loops, deep stacks and huge graphs legible.

``fold_repeats`` draws the blocks of a ``view.Description`` (the doublings of
a ``while`` loop, the layers of a deep MLP, folded "× k") as one box each: the
same description the TUI draws, so the repeats folded, the member left open,
the words and the progress of each box are the TUI's.  ``collapse`` goes
further for graphs still over the node limit:
every source line or scope left becomes one summary box, and if that is still
too many, consecutive blocks of the execution order do.  The picture says what
was folded or collapsed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import islice

from ..analysis.grouping import Block
from ..core.graph import Graph
from ..core.stepper import Stepper
from .scene import NodeView, Scene, Summary, op_label
from .view import Description


def fold_repeats(scene: Scene, shown: Description, stepper: Stepper | None) -> Scene:
    """Draw the folded blocks of ``shown`` as "× k" boxes, each with the walk's progress inside it."""
    scene.shown = shown
    folded = [block for block in shown.blocks.values() if block.repeat is not None]
    for block in folded:
        _add_block(scene, shown, block, stepper)
    if folded:
        scene.note = _join(scene.note, "repeats folded: a × k box stands for k iterations or calls doing the same "
                                       "thing (--no-fold draws them all)")
    return scene


def _add_block(scene: Scene, shown: Description, block: Block, stepper: Stepper | None) -> None:
    graph = shown.graph
    members = _drawn_members(scene, block.nodes)
    first = graph.grouping.groups[block.repeat.members[block.first - 1]]
    each = [op_label(graph, n)[0] for n in islice((n for n in first.nodes if graph.node(n).op), 7)]
    ops = " → ".join(each[:6]) + (" → …" if len(each) > 6 else "")
    output = graph.name_of(scene.output) if shown.item_of(scene.output) == block.id else ""
    p = shown.progress(stepper, block) if stepper is not None else None
    lines = [block.detail, f"each: {ops}" if ops else "", f"holds the output {output}" if output else "",
             f"◀ step {scene.position} in {shown.member_at(block, p.current)}" if p and p.current is not None else "",
             p.counts if p else ""]
    sid = f"sum_fold{block.id}"
    summary = Summary(sid, shown.label(block), members, "\n".join(line for line in lines if line),
                      p.fill if p else "plain", True, first.parent, current=p is not None and p.current is not None)
    scene.summaries[sid] = summary
    scene.hidden.hide_block(block.id, sid, members, shown.view.item_of, scene.inlined)


def _drawn_members(scene: Scene, nodes: Sequence[int]) -> Sequence[int]:
    """``nodes`` but the constants written into their ops: the range itself when it holds none of them (a list of
    the 100,000 members of a deep chain's block held as many ints, 4 MB)."""
    if isinstance(nodes, range) and not any(n in nodes for n in scene.inlined):
        return nodes
    return [n for n in nodes if scene.in_picture(n)]


def collapse(scene: Scene, graph: Graph, limit: int) -> Scene:
    """Summarise what is still drawn node by node when over ``limit`` boxes: by source line or scope, else by blocks."""
    before = scene.size
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
                         members), members)
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


def _add_summary(scene: Scene, sid: str, label: str, members: list[int]) -> None:
    """A part of a huge graph drawn as one bold box, counting the ops inside and the values and gradients known."""
    views = [scene.nodes[n] for n in members]
    ops = Counter(v.symbol or v.kind for v in views)
    lines = [f"{len(members):,} nodes: " + ", ".join(f"{n}× {name}" for name, n in ops.most_common(4))]
    if scene.stateful:
        lines.append(progress(views))
    sid = f"sum_{sid}".replace("/", "_").replace(":", "_").replace(".", "_")
    _hide(scene, Summary(sid, label, members, "\n".join(lines), _state(views),
                         current=any(v.state == "current" for v in views)))


def _hide(scene: Scene, summary: Summary) -> None:
    """Draw ``summary`` in place of its members."""
    scene.summaries[summary.id] = summary
    scene.hidden.hide(summary.members, summary.id)


def progress(views: list[NodeView]) -> str:
    """``values 12/18 · gradients 0/30``: ops computed, and gradients arrived of those backward will send."""
    ops = [v for v in views if v.op]
    wanted = [v for v in views if v.gets_grad]
    known = sum(v.value is not None for v in ops)
    grads = sum(v.grad is not None for v in wanted)
    return f"values {known}/{len(ops)} · gradients {grads}/{len(wanted)}"


def _state(views: list[NodeView]) -> str:
    """The colour of a summary box: current while the step is inside, else what most of its nodes know."""
    states = {v.state for v in views}
    if "current" in states:
        return "current"
    used = [v for v in views if v.used and v.kind == "op"] or views
    if all(v.grad is not None for v in used) and any(v.state == "grad" for v in used):
        return "grad"
    if all(v.value is not None for v in views) and "pending" not in states:
        return "computed" if "plain" not in states else "plain"
    return "pending" if "pending" in states else "plain"


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b
