"""Grouping: calls, scopes, loops and iterations found from the trace; repeats folded "× k"; focus views."""
# ruff: noqa: N803, N806 - X, W, H… are the names of the maths

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from support import SAMPLES

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.analysis.grouping import focus, fold, neighbourhood


def sample(name: str, **kw) -> gs.Graph:
    return gs.trace(gs.load(str(SAMPLES / f"{name}.py")), **kw)


def kinds(grouping) -> list[tuple[str, str]]:
    return [(g.kind, g.label) for g in grouping.groups]


# ───────────────────────────── myFunc: the while loop ─────────────────────────────


def test_myfunc_doublings_fold_into_one_block_times_k():
    graph = sample("myfunc")
    a = float(graph.leaf_values[graph.ids["a"]])
    k = math.ceil(math.log2(100 / abs(a)))  # doublings until |a| reaches 100
    grouping = graph.grouping
    loop = next(g for g in grouping.groups if g.kind == "loop")
    assert loop.label == "while a.norm() < 100"
    assert len(loop.children) == k + 1  # k doublings, then the test that ends the loop
    (repeat,) = grouping.repeats
    assert len(repeat) == k
    assert repeat.label == "while a.norm() < 100: a = a * 2"
    view = fold(graph)
    (block,) = view.blocks.values()
    assert block.label == f"× {k}  while a.norm() < 100: a = a * 2"
    assert block.detail.startswith(f"iterations 1–{k} of {k + 1}")  # numbered as the breadcrumb: the last test counts
    assert len(block) == 3 * k  # norm, the constant 2, multiply
    assert [graph.node(n).op for n in block.nodes[:3]] == ["norm", None, "multiply"]
    assert len(view.items) == len(graph) - 3 * k + 1


def test_myfunc_loop_count_follows_the_input():
    counts = set()
    for draw in range(6):
        graph = sample("myfunc", reseed=draw)
        a = float(graph.leaf_values[graph.ids["a"]])
        k = math.ceil(math.log2(100 / abs(a)))
        assert len(graph.grouping.repeats[0]) == k
        counts.add(k)
        assert gs.Stepper(graph).run().grad("a") == pytest.approx(gs.Stepper(graph).run_forward().value(
            graph.output) / a)
    assert len(counts) > 1  # new random inputs change the graph's structure


def test_opened_iteration_is_drawn_in_full_between_two_blocks():
    graph = sample("myfunc")
    repeat = graph.grouping.repeats[0]
    third = graph.grouping.groups[repeat.members[2]]
    view = fold(graph, opened={repeat.id: 3})
    k = len(repeat)
    assert [b.detail.split(" · ")[0] for b in view.blocks.values()] == [f"iterations 1–2 of {k + 1}",
                                                                         f"iterations 4–{k} of {k + 1}"]
    for n in third.nodes:
        assert view.item_of[n] == n
    first, second = view.blocks
    assert view.inputs[third.start] == [first]  # norm(a#3) reads the last value of the folded block
    assert second in view.items


def test_repeats_at_opens_every_repeat_around_a_node():
    graph = sample("myfunc")
    assert graph.grouping.repeats_at(graph.ids["a#4"]) == {0: 3}
    assert graph.grouping.repeats_at(graph.ids["a"]) == {}


def test_breadcrumb_names_the_iteration():
    graph = sample("myfunc")
    node = graph.ids["a#4"]
    assert graph.grouping.breadcrumb(node) == f"myFunc() ▸ while a.norm() < 100 ▸ iteration 3 of " \
        f"{len(graph.grouping.groups[1].children)}"


# ───────────────────────────── the deep MLP: calls in a for loop ─────────────────────────────


def test_six_layer_mlp_folds_into_layer_blocks():
    graph = sample("deep_mlp")
    grouping = graph.grouping
    (repeat,) = grouping.repeats
    assert len(repeat) == 6
    assert repeat.label == "for k in range(1, LAYERS + 1): H = layer(H, W, b)"
    for k, gid in enumerate(repeat.members, start=1):
        iteration = grouping.groups[gid]
        (call,) = [grouping.groups[c] for c in iteration.children]
        assert (iteration.kind, iteration.index, call.kind, call.label) == ("iteration", k, "call", "layer()")
        assert [graph.node(n).op for n in call.nodes] == ["matmul", "add", "tanh"]
        assert [graph.node(n).kind for n in iteration.nodes][:2] == ["param", "param"]  # W, b made in the loop
    (block,) = fold(graph).blocks.values()
    assert block.label.startswith("× 6  ")
    assert len(block) == 6 * 5
    assert graph.grouping.breadcrumb(graph.ids["Z#4"]) == \
        "for k in range(1, LAYERS + 1) ▸ iteration 4 of 6 ▸ layer()"


def test_returned_value_is_named_after_the_callers_variable():
    graph = sample("deep_mlp")
    assert [graph.name_of(n) for n in graph.op_nodes[:6]] == ["X@W1", "Z", "H", "H@W2", "Z#2", "H#2"]


def test_folding_is_a_view_stepping_still_visits_every_node():
    graph = sample("deep_mlp")
    view = fold(graph)
    assert sorted(n for n in range(len(graph)) if view.item_of[n] == n or view.item_of[n] in view.blocks) == \
        list(range(len(graph)))
    st = gs.Stepper(graph)
    visited = []
    while (step := st.step()) is not None:
        visited.append(step.node)
    assert set(graph.op_nodes) <= set(visited)


# ───────────────────────────── scopes, calls, nested loops ─────────────────────────────


def double(x):
    return x * 2


def test_consecutive_equal_calls_fold_and_different_ones_do_not():
    def f(x):
        y = double(x)
        y = double(y)
        y = double(y)
        return gnp.sum(y * x)

    grouping = gs.trace(f, np.ones(3)).grouping
    assert [g.label for g in grouping.groups] == ["double()"] * 3
    (repeat,) = grouping.repeats
    assert len(repeat) == 3


def step(x, grow):
    return gnp.exp(x) if grow else gnp.tanh(x)


def test_a_sibling_doing_something_else_ends_a_run_and_starts_the_next():
    def f(x):
        x = step(x, True)
        x = step(x, True)
        x = step(x, False)
        x = step(x, False)
        x = step(x, False)
        return gnp.sum(x)

    grouping = gs.trace(f, np.ones(3)).grouping
    calls = [g.id for g in grouping.groups if g.kind == "call"]
    assert len(calls) == 5  # the same function, the same size: only what the calls did tells them apart
    assert [rep.members for rep in grouping.repeats] == [calls[:2], calls[2:]]


def test_scopes_nest_and_repeated_scopes_fold():
    def f(x):
        for k in range(3):
            with gs.scope(f"block{k}"):
                with gs.scope("inner"):
                    x = gnp.tanh(x)
                x = x * 2
        return gnp.sum(x)

    grouping = gs.trace(f, np.ones(2)).grouping
    assert kinds(grouping)[:4] == [("loop", "for k in range(3)"), ("iteration", "iteration 1"),
                                   ("scope", "scope block0"), ("scope", "scope inner")]
    (repeat,) = grouping.repeats
    assert [grouping.groups[m].index for m in repeat.members] == [1, 2, 3]


def test_a_scope_is_titled_as_named_and_inside_a_scope_by_its_place_in_it():
    def f(x):
        with gs.scope("net: Sequential"):
            with gs.scope("net.2: Linear"):
                x = gnp.tanh(x)
            with gs.scope("head"):
                x = x * 2
        return gnp.sum(x)

    graph = gs.trace(f, np.ones(2))
    grouping = graph.grouping
    tanh = next(n for n in graph.order if graph.node(n).op == "tanh")
    times = next(n for n in graph.order if graph.node(n).op == "multiply")
    assert grouping.breadcrumb(tanh) == "net: Sequential ▸ 2: Linear"  # PyTorch's net.2, under net
    assert grouping.breadcrumb(times) == "net: Sequential ▸ head"  # not qualified by its parent: named in full


def test_nested_loops_restart_the_inner_count():
    def f(x):
        for _i in range(2):
            x = x + 1  # a node in the outer body: where an outer iteration shows
            for _j in range(3):
                x = x * 1.5
        return gnp.sum(x)

    grouping = gs.trace(f, np.ones(2)).grouping
    outer = grouping.groups[grouping.roots[0]]
    assert len(outer.children) == 2
    for it in outer.children:
        (inner,) = [c for c in grouping.groups[it].children if grouping.groups[c].kind == "loop"]
        assert [grouping.groups[c].index for c in grouping.groups[inner].children] == [1, 2, 3]


def test_one_line_loop_body_repeating_the_same_instruction():
    def f(x):
        for _ in range(5): x = x * 2  # noqa: E701 - the same bytecode, run five times
        return gnp.sum(x)

    grouping = gs.trace(f, np.ones(2)).grouping
    loop = grouping.groups[grouping.roots[0]]
    assert len(loop.children) == 5
    assert len(grouping.repeats[0]) == 5


def test_result_used_in_its_own_statement_keeps_an_automatic_name():
    def f(x):
        y = double(x) + double(x)
        return gnp.sum(y)

    graph = gs.trace(f, np.ones(2))
    assert graph.name_of(graph.op_nodes[2]) == "y"
    assert "y" not in {graph.name_of(n) for n in graph.op_nodes[:2]}


# ───────────────────────────── focus + context ─────────────────────────────


def test_focus_shows_the_neighbourhood_and_at_most_two_boxes_per_level():
    graph = sample("deep_mlp")
    node = graph.ids["Z#4"]
    view = focus(graph, node, hops=1)
    near = neighbourhood(graph, node, 1)
    assert near == {node, graph.ids["H#3@W4"], graph.ids["b4"], graph.ids["H#4"]}
    for n in near:
        assert view.item_of[n] == n
    labels = sorted(b.label for b in view.blocks.values())
    assert "iterations 1–3 of 6" in labels and "iterations 5–6 of 6" in labels
    assert len(view.blocks) <= 2 * (len(graph.grouping.chain(node)) + 1)
    assert sum(len(b) for b in view.blocks.values()) + sum(1 for i in view.items if i < len(graph)) == len(graph)


def test_deep_chain_groups_without_recursion():
    def f(x):
        for _ in range(3000):
            x = gnp.tanh(x) * 0.5 + x
        return gnp.sum(x)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        graph = gs.trace(f, np.ones(2))
        grouping = graph.grouping
        view = fold(graph)
        context = focus(graph, graph.op_nodes[len(graph.op_nodes) // 2], hops=3)
    finally:
        sys.setrecursionlimit(limit)
    assert len(graph) > 10_000
    assert len(grouping.repeats[0]) == 3000
    assert len(view.items) < 10 and len(context.items) < 30


def test_a_folded_run_of_adjacent_members_holds_its_nodes_as_one_range():
    graph = sample("myfunc")
    (block,) = fold(graph).blocks.values()
    members = [graph.grouping.groups[g] for g in block.repeat.members]
    assert block.nodes == range(members[0].start, members[-1].end)  # no list of every node id
    assert list(block.nodes) == [n for m in members for n in m.nodes]


def test_member_of_gives_each_members_repeat_and_place():
    grouping = sample("deep_mlp").grouping
    expected = {m: (r.id, k) for r in grouping.repeats for k, m in enumerate(r.members, start=1)}
    assert dict(grouping.member_of) == expected and len(grouping.member_of) == len(expected)
    assert -1 not in grouping.member_of and grouping.member_of.get(-1) is None


def test_groups_without_children_share_no_list():
    grouping = sample("deep_mlp").grouping
    assert all(len(g.children) == sum(c.parent == g.id for c in grouping.groups) for g in grouping.groups)
    assert not hasattr(grouping.groups[0], "__dict__")  # slotted: 40,000 groups in a 20,000-branch graph
