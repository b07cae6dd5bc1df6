"""Tests of the picture's content: DOT text, SVG structure, legend, state, loops and collapse."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import graphstep as gs
from graphstep.render.dot import to_dot
from graphstep.render.engines import render
from graphstep.render.scene import array_text, build_scene, line_visits

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # sources print relative to the working directory


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


def test_unrolled_loop_reads_as_iterations():
    graph = sample("myfunc")
    visits = line_visits(graph)
    assert [visits[n][2] for n in (3, 6, 9)] == [1, 2, 3]
    full = to_dot(gs.Stepper(graph).run(), full=True)
    assert "iteration 3 ·" in full and "a = a * 2" in full and "iteration 17 ·" in full
    folded = to_dot(gs.Stepper(graph).run())
    assert "iterations 3–16 of 18 folded" in folded and "long loops folded" in folded
    assert "iteration 17 ·" in folded and "iteration 1 ·" in folded


def test_folded_loop_keeps_the_current_iteration_visible():
    st = gs.Stepper(sample("myfunc")).run_to(20)  # forward, inside the loop
    scene_current = next(v for v in build_scene(st.graph, st).nodes.values() if v.state == "current")
    assert f"iteration {scene_current.loop[2]} ·" in to_dot(st)


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
    assert "long loops folded" in folded and folded.count("->") < 40
    collapsed = to_dot(sample("mlp"), limit=10)  # no loop to fold: one box per source line
    assert "nodes: collapsed to" in collapsed and "--full" in collapsed and "line 26: loss" in collapsed
    assert "collapsed" not in to_dot(graph, full=True, limit=5) and "folded" not in to_dot(graph, full=True)


def test_array_text_shows_small_arrays_in_full():
    assert array_text(np.eye(2)) == "[1  0]\n[0  1]"
    assert array_text(np.zeros((8, 1))).startswith("min 0 mean 0")
    assert array_text(np.float64(2.5)) == "2.5"


def test_rankdir_lr():
    assert "rankdir=LR" in to_dot(sample("mlp"), rankdir="LR")


def chain(n: int) -> gs.Graph:
    """A deep chain of about ``n`` nodes from one loop."""
    def fn(x):
        for _ in range(n // 2):
            x = gs.numpy.tanh(x * 0.5)
        return gs.numpy.sum(x)

    return gs.trace(fn, np.ones(4))
