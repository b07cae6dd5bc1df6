"""Tests the terminal layered layout: ranks, no overlaps, edges drawn, speed."""

from __future__ import annotations

import random

import graphstep as gs
from graphstep.render.layout import BOX_H, BUS_MIN, _tracks, layout, layout_graph


def _random_dag(n: int, seed: int = 0) -> dict[int, tuple[int, ...]]:
    rng = random.Random(seed)
    return {k: tuple(sorted({rng.randrange(max(0, k - 30), k) for _ in range(rng.choice([1, 2, 2]))}))
            if k >= 20 else () for k in range(n)}


def _overlaps(lay) -> bool:
    for row in lay.rows:
        end = -1
        for run in row:
            if run.x < end:
                return True
            end = run.x + len(run.text)
    return False


def test_mlp_layout_has_every_node_labelled_and_inputs_above():
    graph = gs.trace(gs.load("samples/mlp.py"))
    lay = layout_graph(graph)
    scalars = {n for n in graph.order if graph.is_scalar_const(n)}
    assert scalars and set(lay.boxes) == set(graph.order) - scalars  # the 2 of ** 2 is written into its op
    text = lay.text()
    for name in ("X  input  (8×4)", "W1  param  (4×16)", "Z1  add  (8×16)", "loss  mean  ()",
                 "(Z2−y)²  power 2  (8×1)"):
        assert name in text
    for n in graph.op_nodes:
        for i in graph.node(n).inputs:
            if i not in scalars:
                assert lay.boxes[i].y < lay.boxes[n].y


def test_runs_never_overlap_and_edges_connect():
    lay = layout(range(300), _random_dag(300), {k: f"n{k}  add  (3)" for k in range(300)})
    assert not _overlaps(lay)
    text = lay.text()
    assert "┴" in text and "┬" in text and "│" in text


def test_runs_window_returns_only_visible_pieces():
    lay = layout(range(50), _random_dag(50), {k: f"node{k}" for k in range(50)})
    row = next(r for r, runs in enumerate(lay.rows) if len(runs) > 2)
    x0 = lay.rows[row][1].x
    found = lay.runs(row, x0, x0 + 1)
    assert found and all(run.x <= x0 < run.x + len(run.text) for run in found)
    assert lay.runs(-1, 0, 10) == [] and lay.runs(lay.height, 0, 10) == []


def test_chain_is_a_straight_column():
    lay = layout(range(4), {0: (), 1: (0,), 2: (1,), 3: (2,)}, {k: "same" for k in range(4)})
    assert len({box.x for box in lay.boxes.values()}) == 1


def test_5000_random_nodes_each_get_a_box_and_no_two_overlap():
    dag = _random_dag(5000)
    lay = layout(range(5000), dag, {k: f"n{k}  add  (8×16)" for k in range(5000)})  # its time: benchmarks/
    assert len(lay.boxes) == 5000
    rows: dict[int, list] = {}
    for box in lay.boxes.values():
        rows.setdefault(box.y, []).append(box)
    for boxes in rows.values():
        boxes.sort(key=lambda box: box.x)
        assert all(a.x + a.w <= b.x for a, b in zip(boxes, boxes[1:]))
    assert all(box.x + box.w <= lay.width and box.y + BOX_H <= lay.height for box in lay.boxes.values())


def _fan_out(branches: int) -> tuple[list[int], dict[int, tuple[int, ...]], dict[int, str]]:
    """Node 0 feeds ``branches`` heads (each with a leaf of its own), joined by one last node."""
    inputs: dict[int, tuple[int, ...]] = {0: ()}
    heads = []
    for k in range(branches):
        leaf, head = 1 + 2 * k, 2 + 2 * k
        inputs[leaf], inputs[head] = (), (0, leaf)
        heads.append(head)
    inputs[len(inputs)] = tuple(heads)
    return list(inputs), inputs, {n: f"n{n}  add  (2×1)" for n in inputs}


def test_fan_out_shares_one_bus_track():
    nodes, inputs, labels = _fan_out(40)
    lay = layout(nodes, inputs, labels)
    assert not _overlaps(lay)
    heads = [n for n in nodes if inputs[n] and n != nodes[-1]]
    gap = min(lay.boxes[h].y for h in heads) - (lay.boxes[0].y + BOX_H)
    assert gap <= 3  # one bus for node 0, not one track per consumer
    rows = lay.text().splitlines()[lay.boxes[0].y + BOX_H:lay.boxes[0].y + BOX_H + gap]
    bus = max(rows, key=lambda row: len(row.strip()))
    for h in heads:  # every consumer drops from the bus: a junction with a down stroke above its box
        assert bus[lay.boxes[h].center] in "┌┐┬┼├┤"


def test_small_fan_out_keeps_a_track_per_consumer():
    nodes, inputs, labels = _fan_out(BUS_MIN - 1)
    lay = layout(nodes, inputs, labels)
    heads = [n for n in nodes if inputs[n] and n != nodes[-1]]
    gap = min(lay.boxes[h].y for h in heads) - (lay.boxes[0].y + BOX_H)
    assert gap >= 2


def test_first_fit_tracks_match_a_scan_of_every_track():
    rng = random.Random(3)
    groups = sorted((lo, lo + rng.choice([0, 1, 2, 5, 30, 200])) for lo in (rng.randrange(1000) for _ in range(500)))
    ends: list[int] = []
    expected = []
    for lo, hi in groups:  # the plain first-fit scan the heaps must reproduce
        if lo == hi:
            expected.append(-1)
            continue
        t = next((k for k, end in enumerate(ends) if end + 1 < lo), len(ends))
        ends[t:t + 1] = [hi]
        expected.append(t)
    assert _tracks(groups) == (expected, len(ends))


def test_10000_node_fan_out_lays_out_quickly():
    nodes, inputs, labels = _fan_out(5000)
    lay = layout(nodes, inputs, labels)  # one track per consumer took 13 s; timed in benchmarks/bench_scale.py
    assert len(lay.boxes) == len(nodes) and lay.height < 40
