"""Tests node search: names, ops, kinds and source lines of real samples; wrapping; a 10,000-node graph."""

from __future__ import annotations

import gc

import pytest

import graphstep as gs
from graphstep.analysis.search import find_nodes, next_match


@pytest.fixture(scope="module")
def mlp() -> gs.Graph:
    return gs.trace(gs.load("samples/mlp.py"))


def names(graph: gs.Graph, ids: list[int]) -> list[str]:
    return [graph.name_of(n) for n in ids]


def line_of(text: str) -> int:
    """The line of samples/mlp.py that starts with ``text`` (so the tests survive edits above it)."""
    with open("samples/mlp.py", encoding="utf-8") as f:
        return next(k for k, line in enumerate(f, start=1) if line.strip().startswith(text))


def test_name_is_a_case_insensitive_substring_in_execution_order(mlp):
    assert names(mlp, find_nodes(mlp, "W1")) == ["W1", "X@W1"]
    assert names(mlp, find_nodes(mlp, "z")) == ["Z1", "Z2", "Z2−y", "(Z2−y)²"]
    assert find_nodes(mlp, "h") == find_nodes(mlp, "H") == [mlp.ids["H"]]


def test_exact_name_is_not_ranked_first(mlp):
    found = find_nodes(mlp, "Z2")
    assert names(mlp, found) == ["Z2", "Z2−y", "(Z2−y)²"]
    assert found == sorted(found)


def test_op_and_kind_by_bare_word_or_prefix(mlp):
    matmuls = [n for n in mlp.order if mlp.node(n).op == "matmul"]
    assert find_nodes(mlp, "op:matmul") == find_nodes(mlp, "MATMUL") == matmuls
    assert names(mlp, find_nodes(mlp, "op:add")) == ["Z1"]
    assert names(mlp, find_nodes(mlp, "param")) == ["W1", "b1", "W2"]
    assert names(mlp, find_nodes(mlp, "kind:input")) == ["X", "y"]
    assert find_nodes(mlp, "op:nothing") == find_nodes(mlp, "kind:nothing") == []


def test_source_line_with_or_without_the_file(mlp):
    line = line_of("Z1 = X @ W1 + b1")
    expected = ["X@W1", "Z1"]
    assert names(mlp, find_nodes(mlp, f"line:{line}")) == expected
    assert names(mlp, find_nodes(mlp, f"mlp.py:{line}")) == expected
    assert names(mlp, find_nodes(mlp, f"samples/mlp.py:{line}")) == expected
    assert find_nodes(mlp, f"other.py:{line}") == []
    assert find_nodes(mlp, f"lp.py:{line}") == []  # a path matches whole components, not the end of one


def test_words_combine_and_the_minus_sign_can_be_typed(mlp):
    line = line_of("loss = ")
    assert names(mlp, find_nodes(mlp, f"op:power line:{line}")) == ["(Z2−y)²"]
    assert names(mlp, find_nodes(mlp, "name:z2-y")) == ["Z2−y", "(Z2−y)²"]
    assert find_nodes(mlp, "W1 op:tanh") == []
    assert find_nodes(mlp, "") == find_nodes(mlp, "   ") == []


def test_index_is_built_once_per_graph_and_dropped_with_it(mlp):
    from graphstep.analysis import search

    find_nodes(mlp, "W1")
    assert mlp in search._INDEXES
    index = search._INDEXES[mlp]
    find_nodes(mlp, "b1")
    assert search._INDEXES[mlp] is index
    other = gs.trace(gs.load("samples/double.py"))
    find_nodes(other, "x")
    count = len(search._INDEXES)
    del other
    gc.collect()
    assert len(search._INDEXES) == count - 1


def test_next_match_wraps_both_ways():
    matches = [3, 7, 12]
    assert next_match(matches, 3, 1) == 7
    assert next_match(matches, 12, 1) == 3
    assert next_match(matches, 3, -1) == 12
    assert next_match(matches, 7, -1) == 3
    assert next_match(matches, 5, 1) == 7 and next_match(matches, 5, -1) == 3  # from a node that is no match
    assert next_match(matches, 20, 1) == 3 and next_match(matches, 0, -1) == 12
    assert next_match(matches, None, 1) == 3 and next_match(matches, None, -1) == 12
    assert next_match([], 4, 1) is None
    assert next_match([9], 9, 1) == 9 == next_match([9], 9, -1)


def test_queries_at_10000_nodes_find_what_they_name_in_execution_order():
    graph = gs.trace(gs.load("benchmarks/graphs/chain.py"))  # 1,000 residual blocks: line 20 makes 3 ops each
    assert len(graph) >= 10_000
    counts = {"op:matmul": 2000, "matmul": 2000, "param": 4000, "kind:input": 1, "line:20": 3000, "chain.py:21": 3000,
              "tanh line:20": 1000, "zzz": 0}
    for query, count in counts.items():
        found = find_nodes(graph, query)  # the time each takes: benchmarks/bench_scale.py
        assert len(found) == count and found == sorted(found), query
    found = find_nodes(graph, "W1_5")
    assert found == sorted(found) and all("w1_5" in graph.name_of(n).lower() for n in found)
    assert {"W1_5", "W1_50", "W1_599"} <= set(names(graph, found))
