"""Formula text, assembled in graphstep.core.formulas only: the exact strings learners read in the CLI table,
the step log and the inspector (forward with shapes, backward with shapes and ✓, ``+=``, Σ axis, the seed)."""
# ruff: noqa: N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import numpy as np
import pytest
from support import SAMPLES

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.formulas import Rule, grad_name, tidy

MLP = SAMPLES / "mlp.py"


@pytest.fixture(scope="module")
def mlp() -> gs.Graph:
    return gs.trace(gs.load(str(MLP)))


def square():
    x = gs.param(np.array([1.0, 2.0, 3.0]), name="x")
    return gnp.sum(x * x)


def test_the_mlp_walk_reads_exactly_as_before(mlp):
    st = gs.Stepper(mlp)
    formulas = [step.formula for step in iter(st.step, None)]
    assert formulas[1] == "Z1 = (X@W1) + b1  (8×16)+(16) → (8×16)"
    assert formulas[2] == "H = tanh Z1  (8×16) → (8×16)"
    assert formulas[5] == "(Z2−y)² = (Z2−y)^2  (8×1)^() → (8×1)"
    assert formulas[7] == "dloss = 1  ()"  # the seed
    assert formulas[9] == "d(Z2−y) = G ⊙ 2·(Z2−y)^(2−1)  (8×1) → (8×1) ✓"
    assert formulas[11] == "dH = G·W2ᵀ  (8×1)·(1×16) → (8×16) ✓; dW2 = Hᵀ·G  (16×8)·(8×1) → (16×1) ✓"
    assert formulas[13] == "d(X@W1) = G  (8×16) → (8×16) ✓; db1 = G  (8×16) Σ axis 0 → (16) ✓"
    assert formulas[14] == "dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓"


def test_pending_backward_formulas_are_the_taken_ones_without_the_check(mlp):
    Z1 = mlp.ids["Z1"]
    assert mlp.backward_formulas(Z1) == ["d(X@W1) = G  (8×16) → (8×16)", "db1 = G  (8×16) Σ axis 0 → (16)"]
    st = gs.Stepper(mlp).run()
    taken = st.record(st.step_of(Z1, "backward"))
    assert [c.formula for c in taken.contributions] == [f"{text} ✓" for text in mlp.backward_formulas(Z1)]
    assert [c.summed_axes for c in taken.contributions] == [(), (0,)]


def test_the_graph_and_the_records_read_the_same_formulas(mlp):
    st = gs.Stepper(mlp).run_forward()
    for k in range(1, st.position + 1):
        assert st.record(k).formula == mlp.forward_formula(st.node_of(k)) == mlp.formulas.forward(st.node_of(k))


def test_a_second_contribution_to_the_same_input_is_added():
    st = gs.Stepper(gs.trace(square)).run()
    assert st.record(st.total).formula == "dx = G ⊙ x  (3) → (3) ✓; dx += G ⊙ x  (3) → (3) ✓"
    assert [c.accumulated for c in st.record(st.total).contributions] == [False, True]


def test_a_rule_gives_its_result_checked_or_failed():
    rule = Rule("dx = G", "(3)", ())
    assert rule.gives((3,)) == "dx = G  (3) → (3)"
    assert rule.gives((3,), True) == "dx = G  (3) → (3) ✓"
    assert rule.gives((4,), False, added=True) == "dx += G  (3) → (4) ✗"
    assert rule.failed() == "dx = G  (3) ✗"
    text, shapes, summed = rule  # still a tuple for whoever unpacks it
    assert (text, shapes, summed) == ("dx = G", "(3)", ())


def test_a_gradient_is_named_after_its_node_as_an_operand():
    assert grad_name("W1") == "dW1"
    assert grad_name("Z2−y") == "d(Z2−y)"


def test_tidy_drops_only_doubled_parentheses():
    assert tidy("dZ = G − softmax((X@W))·Σ G") == "dZ = G − softmax(X@W)·Σ G"
    assert tidy("((a+b)·(c))") == "((a+b)·(c))"


def test_a_join_of_thousands_writes_the_first_and_last_shapes_and_each_input_its_slice():
    def wide():
        x = gs.param(np.arange(3.0), name="x")
        parts = [x * float(k) for k in range(2000)]
        return (gnp.concatenate(parts) ** 2).sum()

    graph = gs.trace(wide)
    join = next(n for n in graph.op_nodes if graph.node(n).op == "concatenate")
    name = graph.name_of(join)
    assert graph.formulas.forward(join) == f"{name} = concat(…)  (3), (3), (3), …, (3) [2,000 inputs] → (6000)"
    walker = gs.Stepper(graph)
    walker.run_to(walker.plan.index(("backward", join)) + 1)
    step = walker.record(walker.position)
    assert len(step.contributions) == 2000
    g = walker.grad(join)
    for k in (0, 1, 1234, 1999):
        sent = step.contributions[k]
        np.testing.assert_array_equal(sent.grad, g[3 * k:3 * k + 3])  # input k's slice of G
        assert sent.formula == f"{grad_name(sent.name)} = slice of G  (6000) → (3) ✓"
    walker.run()
    np.testing.assert_allclose(walker.grad("x"), 2 * np.arange(3.0) * sum(k * k for k in range(2000)))


def test_why_is_the_op_entrys_line_for_a_node_that_sends_a_gradient(mlp):
    from graphstep.core.ops import OPS

    assert mlp.formulas.why(mlp.ids["H"]) == OPS["tanh"].why
    assert mlp.formulas.why(mlp.ids["W1"]) == ""  # a param sends nothing
