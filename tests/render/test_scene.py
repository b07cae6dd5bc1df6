"""Tests what a picture's scene holds: a view of each node it draws and of each node at the edge of a folded
block, and nothing of the thousands of nodes inside; the gradient contributions it counts are the stepper's."""

from __future__ import annotations

import numpy as np
import pytest
from support import sample

import graphstep as gs
from graphstep.render.dot import picture_scene

SAMPLES = ("mlp", "myfunc", "deep_mlp", "attention", "batchnorm", "regression")


def residual(x):
    for _ in range(2500):
        x = gs.numpy.tanh(x) * 0.5 + x
    return gs.numpy.sum(x)


@pytest.fixture(scope="module")
def folded_10k():
    """(the graph, its stepper halfway through backward, the picture's scene there): no test moves the stepper."""
    graph = gs.trace(residual, np.ones(2))
    stepper = gs.Stepper(graph).run_to(15_000)
    return graph, stepper, picture_scene(stepper)


def test_a_folded_10k_node_picture_holds_views_of_what_it_draws_and_of_its_blocks_edges(folded_10k):
    graph, _, scene = folded_10k
    assert len(graph) > 10_000 and scene.size == len(graph) - len(scene.inlined)
    drawn = {n for n in scene.nodes if n not in scene.hidden}
    assert len(scene.nodes) < 30 and drawn  # the iteration in progress and the nodes around it, no more
    assert all(scene.shown.item_of(n) == n for n in drawn)
    folded = [s for s in scene.summaries.values() if s.folded]
    assert len(folded) == 2 and sum(len(s.members) for s in folded) == len(scene.hidden)
    assert scene.size - len(scene.hidden) == len(drawn)


@pytest.mark.parametrize("name", SAMPLES)
def test_contributions_counted_are_the_steppers_at_every_step(name):
    graph = sample(name)
    stepper = gs.Stepper(graph)
    for position in range(0, stepper.total + 1, max(1, stepper.total // 25)):
        stepper.run_to(position)
        scene = picture_scene(stepper, full=True)
        arrivals = stepper.arrivals()
        assert all(v.arrivals == arrivals.get(n, 0) for n, v in scene.nodes.items()), position


def test_nodes_drawn_inside_folded_boxes_get_light_views_and_the_same_picture(folded_10k):
    from graphstep.render.collapse import fold_repeats
    from graphstep.render.dot import scene_dot
    from graphstep.render.scene import build_scene

    graph, stepper, scene = folded_10k
    inside = [v for n, v in scene.nodes.items() if n in scene.hidden and n != graph.output]
    assert inside and all(v.code == "" and v.value is None for v in inside)  # only what the box's edges read
    assert stepper.position == 15_000
    full = fold_repeats(build_scene(graph, stepper, scene.shown), scene.shown, stepper)  # every view in full
    assert all(full.nodes[v.id].code for v in inside)
    full.note = scene.note
    assert scene_dot(full) == scene_dot(scene)


@pytest.mark.parametrize("name", SAMPLES)
def test_statements_number_each_run_of_a_lines_ops_in_one_group(name):
    from graphstep.render.scene import statements

    graph = sample(name)
    innermost, records, found = graph.grouping.innermost, graph.records(), statements(graph)
    last, visits, runs = {}, {}, {}  # the rule, written out: a run is a line's ops in a row in one group
    for nid in graph.op_nodes:
        source, group = records[nid].source, innermost[nid]
        if last.get(group, (None,))[0] != source:
            visits[source] = visits.get(source, 0) + 1
            last[group] = (source, (int(source.rsplit(":", 1)[-1]), visits[source]))
        runs[nid] = last[group][1]
    several = {run for run in runs.values() if list(runs.values()).count(run) > 1}
    assert {n: found.get(n) for n in graph.op_nodes} == {n: run if run in several else () for n, run in runs.items()}
    assert several or name != "mlp"  # Z1 = X @ W1 + b1: two ops, one statement
