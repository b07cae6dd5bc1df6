"""Tests of the picture's content: DOT text, SVG structure, legend, state, groups, folded repeats and collapse."""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from support import REPO

import graphstep as gs
from graphstep.render import style as S
from graphstep.render.dot import to_dot
from graphstep.render.engines import render
from graphstep.render.scene import array_text

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(REPO)  # sources print relative to the working directory


def sample(name: str) -> gs.Graph:
    return gs.trace(gs.load(f"samples/{name}.py"))


def svg_texts(svg: bytes) -> tuple[ET.Element, list[str]]:
    root = ET.fromstring(svg)
    return root, ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]


def test_golden_dot_of_mlp_at_step_10():
    import importlib.util

    spec = importlib.util.spec_from_file_location("regenerate", GOLDEN / "regenerate.py")
    regenerate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regenerate)
    assert regenerate.mlp_dot() == (GOLDEN / "mlp-step10.dot").read_text(encoding="utf-8")


def test_dot_is_built_from_node_ids_without_addresses():
    dot = to_dot(gs.Stepper(sample("mlp")).run())
    assert "0x" not in dot
    for nid in range(13):
        if nid != 10:  # the scalar 2 of (Z2 - y) ** 2 is written into its op: "** 2"
            assert f"n{nid} [" in dot
    assert "n10 [" not in dot and 'label="** 2"' in dot


def test_svg_holds_names_shapes_and_legend():
    svg = render(to_dot(gs.Stepper(sample("mlp")).run()), "svg")
    root, texts = svg_texts(svg)
    assert root.tag == f"{SVG}svg"
    for expected in ("W1", "b1", "W2", "X", "y", "Z1", "H", "Z2", "loss", "(4×16) float64", "(8×16) float64",
                     "Legend", "parameter (learned)", "gradient known", "@", "tanh"):
        assert expected in texts, expected
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert {"n2", "op5", "n12"} <= titles  # DOT node names survive as SVG titles


def test_state_is_drawn():
    st = gs.Stepper(sample("mlp"))
    pending = to_dot(st)
    assert "style=\"rounded,dashed\"" in pending and "grad  " not in pending
    st.run_forward()
    forward = to_dot(st)
    assert "forward pass done" in forward and "◀ step 7" in forward and "grad  " not in forward
    st.run()
    end = to_dot(st)
    assert "backward pass done" in end and "grad  " in end and "penwidth=2" in end  # green edges


def test_accumulated_gradient_is_marked():
    @gs.computation
    def shared():
        x = gs.param(np.arange(3.0), name="x")
        return gs.numpy.sum(x * x + x)

    st = gs.Stepper(gs.trace(shared)).run()
    assert st.arrivals()[0] >= 2
    assert "grad Σ" in to_dot(st)


def test_structure_only_graph_has_no_state():
    dot = to_dot(sample("regression"))
    assert "value  " not in dot and "graph (10 nodes)" in dot and "Legend" in dot


def doublings(graph: gs.Graph) -> int:
    """myFunc's k, from its input: doublings until |a| reaches 100."""
    return math.ceil(math.log2(100 / abs(float(graph.leaf_values[graph.ids["a"]]))))


def folds(dot: str) -> list[str]:
    """The labels of the "× k" boxes in DOT text, in order."""
    return [html.unescape(m) for m in re.findall(r'^\s*sum_fold\d+ \[label=<<TABLE.*?<B>(× \d+ [^<]*)</B>', dot,
                                                 flags=re.M)]


def drawn(dot: str, nid: int) -> bool:
    return f"\tn{nid} [" in dot or f"\top{nid} [" in dot


def stepped_into(graph: gs.Graph, gid: int, backward: bool = False) -> gs.Stepper:
    """A stepper whose last step was on a node of group ``gid`` (forward, or else backward)."""
    st = gs.Stepper(graph)
    steps = range(st.forward_steps + 1, st.total) if backward else range(1, st.forward_steps)
    for k in steps:
        if st.run_to(k).current in graph.grouping.groups[gid]:
            return st
    raise AssertionError(f"no step in group {gid}")


def test_clusters_are_the_group_tree():
    graph = sample("myfunc")
    k = doublings(graph)
    full = to_dot(gs.Stepper(graph).run(), full=True)
    assert "subgraph cluster_call_0" in full and 'label="myFunc()"' in full
    assert 'label="while a.norm() < 100"' in full
    for i in (1, 3, k + 1):
        assert f'label="iteration {i} of {k + 1}"' in full
    assert full.count("subgraph cluster_iteration_") == k + 1 and not folds(full)
    nested = full.index("subgraph cluster_loop_1") > full.index("subgraph cluster_call_0")
    assert nested and f'fillcolor="{S.ITERATION}"' in full


def test_myfunc_folds_into_one_block_times_k():
    graph = sample("myfunc")
    k = doublings(graph)
    (repeat,) = graph.grouping.repeats
    for subject in (graph, gs.Stepper(graph).run()):
        dot = to_dot(subject, fold=True)
        assert folds(dot) == [f"× {k}  while a.norm() < 100: a = a * 2"], folds(dot)
        assert f"iterations 1–{k} of {k + 1}" in dot and "repeats folded" in dot
        for gid in repeat.members:
            assert not any(drawn(dot, n) for n in graph.grouping.groups[gid].nodes)
        assert f"holds the output {graph.name_of(graph.output)}" in dot
        assert drawn(dot, graph.ids["a"]) and 'label="iteration ' + f'{k + 1} of {k + 1}"' in dot
    assert folds(to_dot(graph)) == folds(to_dot(graph, fold=True))  # 17 > 6: folded by default


def test_done_stepper_marks_the_folded_block_with_the_last_step():
    st = gs.Stepper(sample("myfunc")).run()
    dot = to_dot(st)
    assert f"◀ step {st.total} in iteration 1" in dot
    assert re.search(r"sum_fold\d+ \[.*color=\"#e8590c\".*penwidth=3.*shape=box3d", dot)


def test_step_inside_iteration_3_opens_it_between_two_blocks():
    graph = sample("myfunc")
    k = doublings(graph)
    (repeat,) = graph.grouping.repeats
    third = graph.grouping.groups[repeat.members[2]]
    for backward in (False, True):
        st = stepped_into(graph, third.id, backward)
        dot = to_dot(st)
        assert folds(dot) == ["× 2  while a.norm() < 100: a = a * 2", f"× {k - 3}  while a.norm() < 100: a = a * 2"]
        assert "iterations 1–2 of" in dot and f"iterations 4–{k} of {k + 1}" in dot
        assert f'label="iteration 3 of {k + 1}"' in dot
        assert all(drawn(dot, n) for n in third.nodes if not graph.is_scalar_const(n))
        assert f"◀ step {st.position}" in dot
    done = re.search(r"sum_fold\d+ \[.*iterations 4–.*", dot).group(0)
    assert f"backward steps {k - 3}/{k - 3}" in done and f'fillcolor="{S.GRAD}"' in done  # backward passed through them


def test_deep_mlp_folds_its_layers_and_opens_the_one_being_stepped():
    graph = sample("deep_mlp")
    (repeat,) = graph.grouping.repeats
    assert not folds(to_dot(graph))  # six layers, 38 nodes: drawn in full unless asked
    end = to_dot(gs.Stepper(graph).run(), fold=True)
    assert folds(end) == ["× 6  for k in range(1, LAYERS + 1): H = layer(H, W, b)"]
    assert 'label="layer()"' not in end and "each: @ → + → tanh" in end
    last = stepped_into(graph, repeat.members[-1], backward=True)
    dot = to_dot(last, fold=True)
    assert [f.split("  ")[0] for f in folds(dot)] == ["× 5"] and "iterations 1–5 of 6" in dot
    assert 'label="layer()"' in dot and 'label="iteration 6 of 6"' in dot and 'label="line 20:  Z = H @ W + b"' in dot
    mid = to_dot(stepped_into(graph, repeat.members[2], backward=True), fold=True)
    assert [f.split("  ")[0] for f in folds(mid)] == ["× 2", "× 3"]
    assert "values 6/6 · backward steps 0/6" in mid and "values 9/9 · backward steps 9/9" in mid
    assert drawn(mid, graph.ids["W3"]) and not drawn(mid, graph.ids["W2"]) and not drawn(mid, graph.ids["W4"])


def test_each_layer_is_ranked_below_the_one_before():
    graph = sample("deep_mlp")
    groups = graph.grouping.groups
    layers = [groups[m] for m in graph.grouping.repeats[0].members]
    dot = to_dot(graph, fold=False)
    for before, layer in zip(layers, layers[1:]):  # W(k) is tied to nothing in layer k−1 but time
        assert f"n{before.end - 1} -> n{layer.start} [style=invis]" in dot
    assert "style=invis" not in to_dot(sample("mlp"))


def test_no_fold_draws_every_node():
    graph = sample("myfunc")
    dot = to_dot(gs.Stepper(graph).run(), fold=False)
    assert not folds(dot) and "folded" not in dot
    assert all(drawn(dot, n) for n in range(len(graph)) if not graph.is_scalar_const(n))


def test_title_of_many_params_stays_short():
    dot = to_dot(gs.Stepper(chain(40, params=30)).run(), fold=False)
    assert "gradients of x, p0, p1, … (31 params) ready" in dot


def test_unused_nodes_are_dotted():
    dot = to_dot(gs.Stepper(sample("myfunc")).run())
    assert "unused" in dot and "rounded,dotted" in dot


def test_scope_becomes_a_cluster():
    @gs.computation
    def scoped():
        x = gs.input(np.ones((2, 3)), name="x")
        with gs.scope("layer1"):
            w = gs.param(np.ones((3, 2)), name="w")
            h = gs.numpy.tanh(x @ w)
        return gs.numpy.sum(h)

    dot = to_dot(gs.trace(scoped))
    assert "subgraph cluster_scope" in dot and 'label=layer1' in dot


def test_long_loop_folds_and_large_graph_collapses():
    graph = chain(1200)
    folded = to_dot(graph)
    assert "repeats folded" in folded and folded.count("->") < 10 and len(folds(folded)) == 1
    collapsed = to_dot(sample("mlp"), limit=10)  # no repeat to fold: one box per source line
    assert "nodes: collapsed to" in collapsed and "--full" in collapsed and "line 26: loss" in collapsed
    assert "collapsed" not in to_dot(graph, full=True, limit=5) and "folded" not in to_dot(graph, full=True)


def test_huge_graph_folds_repeats_before_collapsing():
    graph = chain(1200, params=30)
    both = to_dot(gs.Stepper(graph).run(), limit=10)
    assert len(folds(both)) == 1 and "repeats folded" in both and "collapsed to" in both
    assert "x = x + p if k % 2 else x * p" in both and not drawn(both, graph.ids["p5"])


def test_array_text_shows_small_arrays_in_full():
    assert array_text(np.eye(2)) == "[1  0]\n[0  1]"
    assert array_text(np.zeros((8, 1))).startswith("min 0 mean 0")
    assert array_text(np.float64(2.5)) == "2.5"


def test_rankdir_lr():
    assert "rankdir=LR" in to_dot(sample("mlp"), rankdir="LR")


def chain(n: int, params: int = 0) -> gs.Graph:
    """A deep chain of about ``n`` nodes from one loop, then ``params`` more parameters added one by one."""
    def fn(x):
        for _ in range(n // 2):
            x = gs.numpy.tanh(x * 0.5)
        for k in range(params):
            p = gs.param(np.ones(4), name=f"p{k}")
            x = x + p if k % 2 else x * p  # neighbours differ: no repeat
        return gs.numpy.sum(x)

    return gs.trace(fn, np.ones(4))
