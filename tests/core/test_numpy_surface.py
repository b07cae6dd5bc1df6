"""The NumPy surface is built from the op table: every entry point reaches its op,
values without a gradient come back plain, and a wrongly shaped rule stops the walk."""

from __future__ import annotations

import math

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.ops import COMPOSITES, METHODS, NUMPY, OPS
from graphstep.core.tracer import VALUE_ONLY, Tensor, _qualname
from graphstep.errors import RuleError, UnsupportedError

# primitives that NumPy has no function for: reached through an operator, indexing, graphstep.nn or a composite
NOT_NUMPY = {"sigmoid", "log_sigmoid", "softplus", "relu", "softmax", "log_softmax", "getitem", "setitem", "logabsdet"}


def _numpy_function(qualname: str):
    """The real NumPy function (or ufunc) of a qualified name such as ``linalg.inv``."""
    target = np
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


@pytest.mark.parametrize("qualname", sorted(NUMPY))
def test_every_numpy_entry_is_reachable_from_numpy_and_the_facade(qualname):
    space, _, name = qualname.rpartition(".")
    facade = getattr(gnp.linalg, name) if space == "linalg" else getattr(gnp, name)
    assert facade is NUMPY[qualname]
    fn = _numpy_function(qualname)
    # NumPy's dispatch hands a Tensor's call to the entry of this very name
    key = fn.__name__ if isinstance(fn, np.ufunc) else _qualname(fn)
    assert key in NUMPY, f"np.{qualname} dispatches to {key!r}, which is not in the table"
    same = getattr(NUMPY[key], "op", NUMPY[key]) == getattr(NUMPY[qualname], "op", NUMPY[qualname])
    assert same, f"np.{qualname} dispatches to {key!r}, another entry"


def test_every_primitive_has_an_entry_point():
    reached = {name for name, op in OPS.items() if op.numpy or op.methods or op.operator}
    missing = set(OPS) - reached - NOT_NUMPY
    assert not missing, f"ops with no NumPy name, method or operator: {sorted(missing)}"


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_is_a_tensor_attribute(method):
    assert getattr(Tensor, method) is METHODS[method]
    graphstep_only = {"norm"}  # as PyTorch spells it: myfunc's `a.norm()`
    assert method in graphstep_only or hasattr(np.ndarray, method), f"ndarray has no method {method}"


def test_composites_are_numpy_functions():
    for qualname in COMPOSITES:
        assert callable(_numpy_function(qualname)), qualname


# ───────────────────────────── values without a gradient ─────────────────────────────


def test_isfinite_and_friends_give_plain_values():
    seen = {}

    def f(x):
        loss = np.sum(x ** 2)
        seen["finite"] = np.isfinite(loss)
        seen["nan"] = np.isnan(x)
        seen["argmax"] = np.argmax(x)
        seen["method"] = x.argmax()
        seen["all"] = np.all(x > 0)
        seen["round"] = np.round(x, 1)
        if not np.isfinite(loss):  # a divergence guard, as training loops write it
            raise AssertionError("guard misfired")
        return loss

    graph = gs.trace(f, np.array([0.5, 3.0, 1.25]))
    assert seen["finite"] is np.True_ or seen["finite"] is True
    np.testing.assert_array_equal(seen["nan"], [False, False, False])
    assert seen["argmax"] == 1 and seen["method"] == 1
    assert bool(seen["all"])
    np.testing.assert_array_equal(seen["round"], [0.5, 3.0, 1.2])
    assert [graph.node(n).op for n in graph.op_nodes] == ["power", "sum"]  # nothing else recorded
    for name in ("isfinite", "argmax", "round"):
        assert name in VALUE_ONLY and not isinstance(seen.get(name), Tensor)


def test_accuracy_from_argmax_is_a_plain_number():
    result = {}

    def f(W):
        X = gs.input(np.eye(3), name="X")
        scores = X @ W
        result["acc"] = np.mean(np.argmax(scores, axis=1) == np.array([0, 1, 1]))
        return np.sum(scores)

    gs.trace(f, np.diag([3.0, 2.0, 1.0]))
    assert result["acc"] == pytest.approx(2 / 3)


# ───────────────────────────── arguments NumPy takes ─────────────────────────────


def test_numpy_keyword_names_work():
    def f(x):
        return np.sum(np.clip(x, a_min=-1.0, a_max=1.0), axis=0, keepdims=True).sum() + x.clip(min=0.0).sum()

    x0 = np.array([[-2.0, 0.5], [3.0, -0.25]])
    st = gs.Stepper(gs.trace(f, x0)).run()
    np.testing.assert_allclose(st.grad("x"), [[0.0, 2.0], [1.0, 1.0]])


def test_out_argument_is_refused_clearly():
    def f(x):
        buffer = np.empty(3)
        return np.exp(x, out=buffer).sum()

    with pytest.raises(UnsupportedError, match="out="):
        gs.trace(f, np.ones(3))


def test_ufunc_keywords_graphstep_cannot_honour_are_refused():
    def f(x):
        return np.exp(x, where=x > 0).sum()

    with pytest.raises(UnsupportedError, match="where="):
        gs.trace(f, np.ones(3))


# ───────────────────────────── a wrongly shaped rule is a bug, never a ✗ carried on from ──────────────────


def test_a_vjp_of_the_wrong_shape_raises_a_rule_error():
    def f(x):
        return np.sum(np.tanh(x))

    graph = gs.trace(f, np.ones((2, 3)))
    tanh = next(n for n in graph.op_nodes if graph.node(n).op == "tanh")
    k, i, _, kw = graph.vjp_program[tanh][0]
    graph.vjp_program[tanh] = ((k, i, lambda g, out, x: g.T, kw),)  # a broken rule: (3×2) for a (2×3) input
    st = gs.Stepper(graph)
    with pytest.raises(RuleError) as caught:
        st.run()
    message = str(caught.value)
    assert "tanh" in message and "(3×2)" in message and "(2×3)" in message and "x" in message
    assert "test_numpy_surface.py" in message  # the user's line


@pytest.mark.parametrize("store", ["buf[0] = s", "buf[1] += s"])
def test_storing_a_tensor_into_a_plain_array_is_refused_not_silently_dropped(store):
    def f(x):
        s = x.sum()
        buf = np.zeros(3)
        exec(store, {}, {"buf": buf, "s": s})  # noqa: S102 - the two spellings, one test
        return s

    with pytest.raises(UnsupportedError, match="stored into a plain NumPy array"):
        gs.trace(f, np.ones(3))


def test_float_of_a_scalar_tensor_is_still_a_number():
    seen = []

    def f(x):
        s = x.sum()
        seen.append((float(s), int(s)))
        return s

    gs.trace(f, np.ones(3))
    assert seen == [(3.0, 3)]


def test_math_functions_on_a_tensor_that_needs_a_gradient_are_refused():
    def f(w):
        return w + math.exp(w)  # the exp term would be missing from the graph, its gradient lost under a ✓

    with pytest.raises(UnsupportedError, match=r"math\.exp\(\)") as caught:
        gs.trace(f, np.array(0.5))
    assert "test_numpy_surface.py" in str(caught.value)


def test_math_on_data_and_tests_of_a_value_are_fine():
    def f(w):
        x = gs.input(np.array([1.0, 2.0]), name="x")
        assert math.isfinite(w.sum()) and not math.isnan(w.sum())
        return w.sum() * math.exp(x.sum())  # data only: a constant, rightly

    st = gs.Stepper(gs.trace(f, np.ones(2))).run()
    np.testing.assert_allclose(st.grad("w"), [math.exp(3.0)] * 2)


def test_format_prints_the_value():
    printed = []

    def f(w):
        loss = np.sum(w ** 2)
        printed.append(f"loss {loss:.3f}")
        return loss

    gs.trace(f, np.array([1.0, 0.5]))
    assert printed == ["loss 1.250"]


def test_in_place_operators_change_every_name_bound_to_the_tensor():
    def f(y):
        z = y
        z += 1.0
        z *= 2.0
        return np.sum(y)  # NumPy: y and z are one array, so y changed too

    y0 = np.array([1.0, 2.0])
    st = gs.Stepper(gs.trace(f, y0)).run()
    assert st.value(st.graph.output) == np.sum((y0 + 1) * 2)
    np.testing.assert_allclose(st.grad("y"), [2.0, 2.0])


def test_diff_is_slices_and_a_subtract():
    def f(x):
        return np.sum(np.diff(x, n=2, axis=0) ** 2)

    x0 = np.random.default_rng(3).standard_normal((6, 2))
    st = gs.Stepper(gs.trace(f, x0)).run()
    D = np.diff(np.eye(6), 2, axis=0)  # noqa: N806 - the difference matrix
    np.testing.assert_allclose(st.value(st.graph.output), f(x0))
    np.testing.assert_allclose(st.grad("x"), 2 * D.T @ D @ x0)
