"""Tests graphstep's own placement of large pictures (``render.positions``) and export's choice of it.

Ranks run down the page (across it for LR), no two boxes of a rank overlap, a cluster's box holds what it
holds, every edge runs from its source's side to its target's; small pictures are still laid out by dot.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from support import sample

import graphstep as gs
from graphstep.render import engines, export
from graphstep.render.dot import Picture, picture_scene
from graphstep.render.positions import GAP, MOST_BENDS, _bends, place

HAS_DOT = shutil.which("dot") is not None


def sizes_of(picture: Picture) -> dict[str, tuple[float, float]]:
    """Made-up sizes, as Graphviz would measure them: wide boxes, small ellipses, summaries in between."""
    return {name: (30.0, 20.0) if name.startswith("op") else (40.0 + 3 * len(name), 50.0)
            for names in picture.nodes.values() for name, _ in names}


def deep_mlp(rankdir: str = "TB") -> Picture:
    return Picture(picture_scene(gs.Stepper(sample("deep_mlp")).run_to(40), full=True), rankdir)


@pytest.fixture(scope="module")
def drawn() -> tuple[Picture, dict, object]:
    picture = deep_mlp()
    sizes = sizes_of(picture)
    return picture, sizes, place(picture, sizes)


def test_every_node_is_placed_and_every_edge_runs_down_the_page(drawn):
    picture, _, placed = drawn
    assert set(placed.centres) == {name for names in picture.nodes.values() for name, _ in names}
    visible = [(src, dst) for src, dst, attrs in picture.edges if attrs.get("style") != "invis"]
    assert visible and all(placed.centres[src][1] > placed.centres[dst][1] for src, dst in visible)
    for src, dst in visible:  # Graphviz's B-spline: the arrowhead's tip, then 3k + 1 points
        pos, _ = placed.routes[(src, dst)]
        points = re.findall(r"-?\d+\.\d,-?\d+\.\d", pos)
        assert pos.startswith("e,") and (len(points) - 1 - 1) % 3 == 0


def test_no_two_boxes_of_a_rank_overlap(drawn):
    _, sizes, placed = drawn
    ranks: dict[float, list[tuple[float, float]]] = {}
    for name, (x, y) in placed.centres.items():
        ranks.setdefault(y, []).append((x - sizes[name][0] / 2, x + sizes[name][0] / 2))
    assert len(ranks) > 10
    for spans in ranks.values():
        spans.sort()
        assert all(a[1] + GAP - 1 <= b[0] for a, b in zip(spans, spans[1:]))


def test_a_cluster_box_holds_its_nodes_and_its_clusters(drawn):
    picture, sizes, placed = drawn
    assert placed.bounds
    for path, names in picture.nodes.items():
        for name, _ in names:
            (x, y), (w, h) = placed.centres[name], sizes[name]
            for depth in range(1, len(path) + 1):
                x0, y0, x1, y1 = placed.bounds[path[:depth]]
                assert x0 < x - w / 2 and x + w / 2 < x1 and y0 < y - h / 2 and y + h / 2 < y1
    for path, (x0, y0, x1, y1) in placed.bounds.items():
        if len(path) > 1:
            px0, py0, px1, py1 = placed.bounds[path[:-1]]
            assert px0 < x0 and x1 < px1 and py0 < y0 and y1 < py1


def test_ranks_run_across_the_page_left_to_right():
    picture = deep_mlp("LR")
    placed = place(picture, sizes_of(picture))
    visible = [(src, dst) for src, dst, attrs in picture.edges if attrs.get("style") != "invis"]
    assert all(placed.centres[src][0] < placed.centres[dst][0] for src, dst in visible)


def test_the_placed_dot_gives_every_node_edge_and_cluster_its_place(drawn):
    picture, _, placed = drawn
    dot = picture.dot(placed)
    names = {name for names in picture.nodes.values() for name, _ in names}
    assert {m for m in re.findall(r'^\t(\w+) \[pos="[-\d.]+,[-\d.]+!"\]$', dot, flags=re.M)} == names
    assert dot.count(" -> ") == len(picture.edges) == dot.count('pos="e,')
    assert dot.count("subgraph cluster_") == len(re.findall(r'^\t+bb="', dot, flags=re.M)) == len(placed.bounds)


@pytest.mark.skipif(not HAS_DOT, reason="no system dot")
def test_export_lays_out_small_pictures_with_dot_and_draws_large_ones_where_graphstep_placed_them(monkeypatch,
                                                                                                  tmp_path):
    commands = []
    run = engines._run
    monkeypatch.setattr(engines, "_run", lambda command, *rest: commands.append(command) or run(command, *rest))
    stepper = gs.Stepper(sample("deep_mlp")).run_to(40)
    gs.export(stepper, tmp_path / "small.svg", full=True)
    assert [c[1:] for c in commands] == [["-Kdot", "-Tsvg"]]
    monkeypatch.setattr(export, "DOT_BOXES", 10)  # as if deep_mlp were ten times larger
    svg = gs.export(stepper, tmp_path / "large.svg", full=True).read_text(encoding="utf-8")
    assert [c[1:] for c in commands[1:]] == [["-Kneato", "-n2", "-Tplain"], ["-Kneato", "-n2", "-Tsvg"]]
    assert svg.count('class="node"') == sum(len(names) for names in deep_mlp().nodes.values())


def test_a_long_lane_is_straightened_to_its_bends():
    """A point per rank drifting a point or two; a sharp turn stays; at most ``MOST_BENDS`` points are left."""
    drifting = [(100.0 + 0.3 * (k % 3), 30.0 * k) for k in range(2000)]
    assert len(_bends(drifting)) <= MOST_BENDS and _bends(drifting)[0] == drifting[0]
    assert _bends(drifting)[-1] == drifting[-1]
    turning = [(0.0, 0.0), (0.0, 10.0), (0.0, 20.0), (50.0, 30.0), (100.0, 40.0)]
    assert _bends(turning) == [(0.0, 0.0), (0.0, 20.0), (100.0, 40.0)]


@pytest.mark.skipif(not HAS_DOT, reason="no system dot")
def test_a_param_feeding_every_layer_of_a_deep_loop_draws_with_the_system_graphviz(tmp_path, monkeypatch):
    """Its edges cross hundreds of ranks: a point per rank made ``pos`` strings Graphviz 2.43 could not read."""
    monkeypatch.setattr(export, "DOT_BOXES", 10)  # graphstep places the boxes, neato only draws

    def deep(w):
        h = gs.input(np.array([0.5, -1.0, 2.0]), name="x")
        for _ in range(150):
            h = h + gs.numpy.tanh(h * w) * 0.01
        return gs.numpy.sum(h ** 2)

    stepper = gs.Stepper(gs.trace(deep, np.ones(3))).run()
    svg = gs.export(stepper, tmp_path / "deep.svg", full=True).read_text(encoding="utf-8")
    assert svg.count('class="edge"') >= 150 * 4
