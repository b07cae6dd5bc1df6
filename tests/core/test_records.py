"""A step's record writes its formula text when it is read (graphstep.core.records): recording a join's backward
step writes none of its thousands of rules, a log line writes only those it shows, and the text, once read, is
exactly what the rules write for the facts the record holds."""

from __future__ import annotations

import numpy as np
import pytest
from support import sample

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.formulas import Formulas
from graphstep.core.records import BACKWARD, FORWARD, SEED

INPUTS = 200  # a join of this many sends as many gradients in one backward step


def joined():
    x = gs.param(np.arange(3.0), name="x")
    return (gnp.concatenate([x * float(k) for k in range(INPUTS)]) ** 2).sum()


@pytest.fixture(scope="module")
def join_graph() -> gs.Graph:
    return gs.trace(joined)


@pytest.fixture
def rules_written(monkeypatch) -> list[tuple[int, int]]:
    """(node, input) of every backward rule whose text is written while the test runs, in order."""
    written: list[tuple[int, int]] = []
    write = Formulas.backward_rule

    def counted(self, nid, k):
        written.append((nid, k))
        return write(self, nid, k)

    monkeypatch.setattr(Formulas, "backward_rule", counted)
    return written


def at_join_backward(graph: gs.Graph) -> tuple[gs.Stepper, int, int]:
    """A walk that has just taken the join's backward step: (walker, that step, the join)."""
    join = next(n for n in graph.op_nodes if graph.node(n).op == "concatenate")
    walker = gs.Stepper(graph)
    k = walker.step_of(join, BACKWARD)
    walker.run_to(k)
    return walker, k, join


def eager_texts(walker: gs.Stepper, k: int) -> tuple[str, list[tuple[str, tuple[int, ...]]]]:
    """Step ``k``'s formula and its contributions' (formula, summed axes), written at once as records were before
    they wrote them lazily: the rule for each gradient sent, with its shape, its check and ``+=``."""
    kind, nid = walker.plan[k - 1]
    formulas = walker.graph.formulas
    if kind == FORWARD:
        return formulas.forward(nid), []
    if kind == SEED:
        return formulas.seed(walker.seed), []
    sent = []
    for s in walker.sent(k):
        rule, shape = formulas.backward_rule(nid, s.pos), np.shape(s.grad)
        sent.append((rule.gives(shape, shape == walker.graph.shape_of(s.target), added=s.accumulated), rule.summed))
    return "; ".join(text for text, _ in sent), sent


def test_recording_a_joins_backward_step_writes_none_of_its_rules(join_graph, rules_written):
    walker, k, join = at_join_backward(join_graph)
    step = walker.record(k)
    walker.step_back()
    taken = walker.step()  # what the TUI's key gets
    assert len(step.contributions) == len(taken.contributions) == INPUTS
    assert rules_written == []
    assert step.contributions[7].formula == step.contributions[7].formula  # read twice, written once
    assert rules_written == [(join, 7)]


def test_a_log_line_of_a_joins_backward_step_writes_only_the_rules_it_shows(join_graph, rules_written):
    walker, k, join = at_join_backward(join_graph)
    step = walker.record(k)
    line = step.formula_prefix(80)
    shown = len(rules_written)
    assert 0 < shown <= 80 // len(step.contributions[0].formula) + 1
    assert line == step.formula[:80]  # the whole formula: every rule written now
    assert len(rules_written) == INPUTS


def test_a_prefix_is_the_formula_cut_at_every_width(join_graph):
    walker, k, _ = at_join_backward(join_graph)
    whole = walker.record(k).formula
    part = len(walker.record(k).contributions[0].formula)
    widths = [*range(3 * part + 8), len(whole) - 1, len(whole), len(whole) + 5]
    assert [walker.record(k).formula_prefix(w) for w in widths] == [whole[:w] for w in widths]
    mlp = gs.Stepper(sample("mlp")).run()
    for k in range(1, mlp.total + 1):  # forward steps, the seed, backward steps of one and two contributions
        whole = mlp.record(k).formula
        assert [mlp.record(k).formula_prefix(w) for w in range(len(whole) + 2)] == \
            [whole[:w] for w in range(len(whole) + 2)]


@pytest.mark.parametrize("name", ["mlp", "regression", "batchnorm", "myfunc", "attention", "deep_mlp"])
def test_every_steps_text_is_what_its_rules_write(name):
    walker = gs.Stepper(sample(name))
    while walker.step() is not None:
        pass
    for k in range(1, walker.total + 1):
        step, (formula, sent) = walker.record(k), eager_texts(walker, k)
        assert step.formula == formula
        assert [(c.formula, c.summed_axes) for c in step.contributions] == sent


def test_a_record_read_after_the_walk_moved_on_says_what_it_said_when_made():
    graph = sample("mlp")
    walker = gs.Stepper(graph).run()
    records = [walker.record(k) for k in range(1, walker.total + 1)]
    texts = [eager_texts(walker, k) for k in range(1, walker.total + 1)]
    walker.reset()
    assert [(r.formula, [(c.formula, c.summed_axes) for c in r.contributions]) for r in records] == texts


def test_forward_mode_records_write_their_text_when_read():
    walker = gs.Stepper(sample("mlp"), mode="forward")
    steps = list(iter(walker.step, None))
    assert [s.formula for s in steps] == [eager_texts(walker, s.index)[0] for s in steps]
    assert all(s.tangent is not None for s in steps)
