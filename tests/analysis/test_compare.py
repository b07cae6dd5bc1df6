"""compare: what changed between two traces — lines that ran more or less often, params, values, gradients."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from support import SAMPLES, line_of

import graphstep as gs
from graphstep.analysis.compare import compare

HERE = Path(__file__).resolve()


def my_func(a):  # here, not support's: the comparison names this file's lines
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    return -1 * a


def traced(a0: float) -> tuple[gs.Graph, gs.Stepper]:
    graph = gs.trace(my_func, np.array(a0))
    return graph, gs.Stepper(graph).run()


def test_a_loop_that_runs_fewer_times():
    (old, old_st), (new, new_st) = traced(0.9), traced(3.5)
    result = compare(old, new, old_st, new_st)
    # doublings to reach 100: ceil(log2(100/0.9)) = 7, ceil(log2(100/3.5)) = 5
    here = f"tests/analysis/test_compare.py:{line_of(HERE, 'a = a * 2')}"
    runs = {r.source: r for r in result.line_runs}
    assert (runs[here].old_runs, runs[here].new_runs) == (7, 5) and runs[here].code == "a = a * 2"
    test = runs[f"tests/analysis/test_compare.py:{line_of(HERE, 'while a.norm() < 100')}"]
    assert (test.old_runs, test.new_runs) == (8, 6)  # the test runs once more than the body
    # a, the norms, each doubling with its constant 2, the sum
    assert (result.old_nodes, result.new_nodes) == (len(old), len(new)) == (1 + 8 + 2 * 7 + 1, 1 + 6 + 2 * 5 + 1)
    assert f"{here}  a = a * 2  — ran 7 → 5 times" in result.lines()
    # values: f = 2^k·a, df/da = 2^k
    old_f, new_f = result.output_value
    assert (float(old_f), float(new_f)) == pytest.approx((128 * 0.9, 32 * 3.5))
    assert result.grad_changes == {"a": pytest.approx(128 - 32)}
    assert result.values_changed == {"a": pytest.approx(2.6)}
    assert not result.params_added and not result.params_removed and not result.params_reshaped
    assert result.output_shape == ((), ()) and result.changed


def test_a_branch_taken_only_in_the_new_trace():
    (old, _), (new, _) = traced(3.5), traced(-3.5)
    result = compare(old, new)
    runs = {r.code: (r.old_runs, r.new_runs) for r in result.line_runs}
    assert runs == {"return -1 * a": (0, 1)}  # same loop count, the other branch
    assert result.output_value is None and result.grad_changes == {}  # no steppers: structure only
    assert result.changed


def test_compares_only_what_both_steppers_computed():
    graph = gs.trace(gs.load(str(SAMPLES / "mlp.py")))
    done, fresh = gs.Stepper(graph).run(), gs.Stepper(graph)
    result = compare(graph, graph, done, fresh)
    assert result.output_value is None and result.grad_changes == {}
    assert not result.changed and result.lines()[-1] == "no differences"
    forward = gs.Stepper(graph).run_forward()
    result = compare(graph, graph, done, forward)
    assert result.output_value is not None and result.grad_changes == {}
    assert "(unchanged)" in "\n".join(result.lines())


def test_identical_traces_have_no_differences():
    graph = gs.trace(gs.load(str(SAMPLES / "mlp.py")))
    again = gs.trace(gs.load(str(SAMPLES / "mlp.py")))
    result = compare(graph, again, gs.Stepper(graph).run(), gs.Stepper(again).run())
    assert not result.changed and result.line_runs == [] and result.values_changed == {}
    assert set(result.grad_changes.values()) == {0.0}


def test_different_samples_differ_in_params_inputs_and_lines():
    mlp = gs.trace(gs.load(str(SAMPLES / "mlp.py")))
    reg = gs.trace(gs.load(str(SAMPLES / "regression.py")))
    result = compare(mlp, reg)
    assert result.params_added == {"beta0": (), "beta1": (5, 1)}
    assert result.params_removed == {"W1": (4, 16), "b1": (16,), "W2": (16, 1)}
    assert result.inputs_reshaped == {"X": ((8, 4), (10, 5)), "y": ((8, 1), (10, 1))}
    assert all(r.old_runs == 0 or r.new_runs == 0 for r in result.line_runs)
    text = result.lines()
    assert "param W1 (4×16) removed" in text and "input X reshaped (8×4) → (10×5)" in text


def test_an_edit_that_reshapes_a_param(tmp_path):
    body = """\
        import numpy as np
        import graphstep as gs
        from graphstep import numpy as gnp


        @gs.computation
        def net():
            X = gs.input(np.ones((4, 3)), name="X")
            W = gs.param(np.full((3, 1), 0.1), name="W")
            V = gs.param(np.full(({h}, 1), 0.5), name="V")
            H = gnp.tanh(X @ W)
            return gnp.mean(H @ V.T)
        """
    old_path, new_path = tmp_path / "old.py", tmp_path / "new.py"
    old_path.write_text(textwrap.dedent(body.format(h=1)))
    new_path.write_text(textwrap.dedent(body.format(h=2)))
    old, new = gs.trace(gs.load(str(old_path))), gs.trace(gs.load(str(new_path)))
    old_st, new_st = gs.Stepper(old).run(), gs.Stepper(new).run()
    result = compare(old, new, old_st, new_st)
    assert result.params_reshaped == {"V": ((1, 1), (2, 1))}
    assert result.output_shape == ((), ())
    # H = tanh(X·W) = tanh(0.3) everywhere; mean(H·Vᵀ) = tanh(0.3)·0.5 for either shape of V
    old_f, new_f = result.output_value
    np.testing.assert_allclose([old_f, new_f], [np.tanh(0.3) * 0.5] * 2)
    # mean over (4×h) of H_i·V_j = mean(H)·mean(V): dW = mean(V)·Xᵀ(1 − H²)/4, the same for either V
    H = np.tanh(np.full((4, 1), 0.3))
    np.testing.assert_allclose(new_st.grad("W"), 0.5 * np.ones((4, 3)).T @ (1 - H ** 2) / 4)
    np.testing.assert_allclose(result.grad_changes["W"], 0.0, atol=1e-15)
    assert "V" not in result.grad_changes  # reshaped: no element-wise change to report
    assert result.changed and "param V reshaped (1×1) → (2×1)" in result.lines()
