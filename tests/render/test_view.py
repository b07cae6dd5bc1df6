"""The TUI and the pictures show the same view: they fold the same repeats and open the same iterations."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from support import HAS_TORCH, SAMPLES, session_at

from graphstep.render.dot import picture_scene, scene_dot, to_dot
from graphstep.render.view import FOLD_MEMBERS, ViewKey, default_folds
from graphstep.tui.session import Drawing, Session

TIMES_ONE = re.compile(r"× 1(?!\d)")
# A DOT statement at the start of a line, found after its newline rather than with ^ and re.M: the regex engine
# then jumps from newline to newline instead of trying ^ at each of a picture's ~35,000 characters (8× faster,
# and these tests read ~600 pictures).  The texts are searched with a newline in front of their first line.
DRAWN_NODE = re.compile(r"\n\s*(?:n|op)(\d+) \[")  # a tensor (n5) or its op (op5)
FOLDED_BOX = re.compile(r"\n\s*sum_fold(\d+) \[label=<<TABLE.*?<B>([^<]*)</B>")  # block id, its label
SPREAD = 100  # every step of a walk up to this long (every sample today), else about this many, ends included

TWO_LOOPS = '''
import numpy as np
import graphstep as gs
from graphstep import numpy as gnp


@gs.computation
def two_loops():
    x = gs.param(np.linspace(0.1, 0.4, 4), name="x")
    for _ in range(17):
        x = x * 1.1
    for _ in range(3):
        x = gnp.tanh(x)
    return gnp.sum(x)
'''


def tui_folds(session: Session) -> list[str]:
    """The labels of the folded blocks the graph view draws while following the walk, in order."""
    return block_labels(session.drawing(session.stepper.current, following=True))  # the app's anchor then


def block_labels(drawing: Drawing) -> list[str]:
    """The labels of a drawing's folded blocks, in order."""
    return [drawing.block(item).label for item in drawing.view.items if drawing.block(item)] if drawing.view else []


def dot_folds(dot: str) -> list[str]:
    """The labels of the folded boxes of a DOT picture, in order."""
    return [html.unescape(label) for _, label in FOLDED_BOX.findall("\n" + dot)]


@pytest.fixture
def two_loops(tmp_path: Path) -> Path:
    path = tmp_path / "two_loops.py"
    path.write_text(TWO_LOOPS, encoding="utf-8")
    return path


def test_a_long_and_a_short_loop_fold_the_same_in_the_tui_and_the_picture(two_loops):
    for position in (0, 5, 60):
        session = session_at(two_loops, position)
        assert tui_folds(session) == dot_folds(to_dot(session.stepper)), position
    assert [label.split("  ")[0] for label in dot_folds(to_dot(session_at(two_loops, 0).stepper))] == ["× 17"]


def test_myfunc_at_its_last_step_folds_and_opens_the_same_in_both():
    session = session_at(SAMPLES / "myfunc.py", 54)
    assert session.stepper.done  # the walk is over: no step in progress, every repeat folds whole in both
    assert tui_folds(session) == dot_folds(to_dot(session.stepper)) == ["× 17  while a.norm() < 100: a = a * 2"]
    session.stepper.run_to(53)  # the last step but one, in iteration 2: it opens in both
    assert [label.split("  ")[0] for label in tui_folds(session)] == ["iteration 1 of 18", "× 15"]
    assert tui_folds(session) == dot_folds(to_dot(session.stepper))


def test_a_one_member_block_is_named_not_counted():
    session = session_at(SAMPLES / "myfunc.py", 4)  # in iteration 2: iteration 1 is a block of its own
    drawing = session.drawing(session.stepper.current, following=True)
    first = next(b for b in drawing.view.blocks.values() if b.first == b.last == 1)
    assert first.label == "iteration 1 of 18  while a.norm() < 100: a = a * 2"
    assert first.detail.startswith("iteration 1 of 18 · ")
    title, rows = session.block_rows(drawing, first)
    assert title == "iteration 1 of 18" and ("", "press o to open iteration 1 of 18") in rows
    assert drawing.shown.where(first.id) == "myFunc() ▸ while a.norm() < 100 ▸ iteration 1 of 18"


def test_a_node_the_user_picks_opens_its_member_even_when_the_walk_is_done():
    session = session_at(SAMPLES / "myfunc.py", 54)
    following = session.drawing(session.stepper.current, following=True)
    (block,) = following.view.blocks.values()
    assert following.item_of(session.stepper.current) == block.id  # the last step is marked on the folded box
    assert following.shown.progress(session.stepper, block).state == "current"
    for picked in (block.nodes[0], session.stepper.current):  # o on the block, or a jump to the last step's node
        assert session.drawing(picked).key.opened == ((block.repeat.id, 1),)


# ───────────────────────────── every sample, every step ─────────────────────────────


def positions(total: int) -> list[int]:
    """Every step, or for a long walk about ``SPREAD`` of them with both ends."""
    if total <= SPREAD:
        return list(range(total + 1))
    return sorted({*range(0, total + 1, total // SPREAD), total})


def drawn_by_dot(dot: str) -> tuple[set[int], dict[int, str]]:
    """(the node ids a DOT picture draws, its folded boxes: block id → label)."""
    nodes = {int(m) for m in DRAWN_NODE.findall("\n" + dot)}
    boxes = {int(b): html.unescape(label) for b, label in FOLDED_BOX.findall("\n" + dot)}
    return nodes, boxes


def drawn_by_tui(drawing: Drawing, nodes: int) -> tuple[set[int], dict[int, str]]:
    """(the node ids the TUI's layout draws, its blocks: block id → the label written in its box)."""
    boxes = drawing.layout.boxes
    labels = {item: box.lines[1][2:-2].rstrip() for item, box in boxes.items() if item >= nodes}
    return {item for item in boxes if item < nodes}, labels


def assert_same_view(session: Session, fold_option: bool | None, drawn: dict[ViewKey, tuple] | None = None) -> None:
    """The TUI following the walk and the picture of the same stepper fold, open, label and count the same.

    ``drawn``: what the DOT pictures at this step drew, by view key, shared by the fold options of one step.
    Equal keys draw the same items (``ViewKey``), and writing the DOT text is most of the check's time."""
    stepper, graph = session.stepper, session.graph
    session.fold = fold_option
    drawing = session.drawing(stepper.current, following=True)  # what the app draws while it follows the walk
    scene = picture_scene(stepper, fold=fold_option)
    where = f"{graph.name} step {stepper.position} fold={fold_option}"
    assert drawing.key == scene.shown.key, where  # the same repeats folded, the same members open
    tui_nodes, tui_blocks = drawn_by_tui(drawing, len(graph))
    drawn = {} if drawn is None else drawn
    if scene.shown.key not in drawn:
        drawn[scene.shown.key] = drawn_by_dot(scene_dot(scene))
    dot_nodes, dot_blocks = drawn[scene.shown.key]
    assert set(tui_blocks) == set(dot_blocks), where
    for label in block_labels(drawing):  # no block is ever labelled × 1, in the TUI (and in the picture, below)
        assert not TIMES_ONE.search(label), (where, label)
    for block_id, label in dot_blocks.items():
        assert label.startswith(tui_blocks[block_id].removesuffix("…")), (where, label, tui_blocks[block_id])
        assert not TIMES_ONE.search(label), (where, label)
        block = drawing.block(block_id)
        progress = drawing.shown.progress(stepper, block)
        assert progress.counts in scene.summaries[f"sum_fold{block_id}"].detail, where
        assert scene.summaries[f"sum_fold{block_id}"].state == progress.fill, where
    assert tui_nodes == dot_nodes, where  # the same nodes open, scalar constants written into their ops


@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.glob("*.py") if HAS_TORCH or not p.name.startswith("torch")),
                         ids=lambda p: p.stem)
def test_the_tui_and_the_picture_fold_and_open_the_same_blocks_at_every_step(path):
    session = session_at(path, 0)
    options = (None, True, False) if session.graph.grouping.repeats else (None,)
    for position in positions(session.stepper.total):
        session.stepper.run_to(position)
        drawn: dict[ViewKey, tuple] = {}
        for fold_option in options:
            assert_same_view(session, fold_option, drawn)


def test_the_two_loops_agree_at_every_step(two_loops):
    session = session_at(two_loops, 0)
    for position in positions(session.stepper.total):
        session.stepper.run_to(position)
        drawn: dict[ViewKey, tuple] = {}
        for fold_option in (None, True, False):
            assert_same_view(session, fold_option, drawn)


def test_one_default_rule_long_repeats_fold_and_every_one_in_a_large_graph(two_loops):
    graph = session_at(two_loops, 0).graph
    assert [len(graph.grouping.repeats[r]) for r in default_folds(graph)] == [17]
    assert all(len(r) <= FOLD_MEMBERS for r in graph.grouping.repeats if r.id not in default_folds(graph))
    session = session_at(SAMPLES / "deep_mlp.py", 0)
    assert not session.folded and "× " not in to_dot(session.stepper)  # six layers: drawn in full by default
    session.folded = True
    assert session.drawing(None).key == picture_scene(session.stepper, fold=True).shown.key


def test_the_view_module_is_ui_neutral():
    imports = grimp.build_graph("graphstep").find_modules_directly_imported_by("graphstep.render.view")
    assert imports and all(m.startswith(("graphstep.core", "graphstep.analysis")) for m in imports), imports
    loaded = subprocess.run([sys.executable, "-c", "import sys, graphstep.render.view; "
                             "print(sorted({'textual', 'rich', 'graphviz'} & set(sys.modules)))"],
                            capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
