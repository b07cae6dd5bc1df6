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
    graph = gs.trace(residual, np.ones(2))
    return graph, picture_scene(gs.Stepper(graph).run_to(15_000))  # halfway through backward


def test_a_folded_10k_node_picture_holds_views_of_what_it_draws_and_of_its_blocks_edges(folded_10k):
    graph, scene = folded_10k
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

    graph, scene = folded_10k
    inside = [v for n, v in scene.nodes.items() if n in scene.hidden and n != graph.output]
    assert inside and all(v.code == "" and v.value is None for v in inside)  # only what the box's edges read
    stepper = gs.Stepper(graph).run_to(15_000)
    full = fold_repeats(build_scene(graph, stepper, scene.shown), scene.shown, stepper)  # every view in full
    assert all(full.nodes[v.id].code for v in inside)
    full.note = scene.note
    assert scene_dot(full) == scene_dot(scene)
