"""One generic numerical check for every op in the table, plus ``unbroadcast`` alone.

For each case and each differentiable input i, with random directions v (input
shaped) and u (output shaped):

* the shape rule gives the forward's shape;
* JVP(v) equals the central difference (f(x + εv) − f(x − εv)) / 2ε;
* VJP(u) has the input's shape and ⟨VJP(u), v⟩ == ⟨u, JVP(v)⟩ == ⟨u, central difference⟩.

``CASES`` must name every op of ``OPS``: an op added without cases fails the suite.
"""

from __future__ import annotations

import numpy as np
import pytest
from opcases import CASES
from opcases.common import Case, normal, positive

from graphstep.core.ops import OPS, broadcast_axes, unbroadcast

EPS = 1e-6
RNG = np.random.default_rng(20240601)

# ───────────────────────────── the generic check ─────────────────────────────


def _jvp(op, k, t, out, xs, kw):
    extra = {"i": k} if op.variadic else {}
    # a JVP may give a tangent that broadcasts to the output (add: t); the stepper broadcasts it
    return np.broadcast_to(op.jvp_rule(k)(t, out, *xs, **kw, **extra), out.shape)


def _vjp(op, k, g, out, xs, kw):
    extra = {"i": k} if op.variadic else {}
    return op.vjp_rule(k)(g, out, *xs, **kw, **extra)


def _central(op, k, v, xs, kw):
    plus = [x + EPS * v if j == k else x for j, x in enumerate(xs)]
    minus = [x - EPS * v if j == k else x for j, x in enumerate(xs)]
    return (np.asarray(op.forward(*plus, **kw)) - np.asarray(op.forward(*minus, **kw))) / (2 * EPS)


def check_op(name: str, case: Case) -> None:
    op = OPS[name]
    xs = [np.asarray(a) for a in case.args]
    out = np.asarray(op.forward(*xs, **case.kw))
    assert out.dtype == np.float64, f"{name}{case}: forward gave {out.dtype}"
    assert tuple(op.shape(*[x.shape for x in xs], **case.kw)) == out.shape, f"{name}{case}: shape rule"
    for k in range(len(xs)):
        assert (op.vjp_rule(k) is None) == (op.jvp_rule(k) is None), f"{name}: VJP and JVP disagree on input {k}"
        if k not in case.diff:
            continue
        assert op.vjp_rule(k) is not None and op.jvp_rule(k) is not None, f"{name}: input {k} lacks a rule"
        v, u = RNG.standard_normal(xs[k].shape), RNG.standard_normal(out.shape)
        numeric = _central(op, k, v, xs, case.kw)
        tangent = _jvp(op, k, v, out, xs, case.kw)
        np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{name}{case} JVP input {k}")
        grad = np.asarray(_vjp(op, k, u, out, xs, case.kw))
        assert grad.shape == xs[k].shape, f"{name}{case}: VJP of input {k} has shape {grad.shape}"
        reverse, forward = np.sum(grad * v), np.sum(u * tangent)
        np.testing.assert_allclose(reverse, forward, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}{case}: ⟨vjp(u), v⟩ ≠ ⟨u, jvp(v)⟩ for input {k}")
        np.testing.assert_allclose(reverse, np.sum(u * numeric), rtol=1e-6, atol=1e-8,
                                   err_msg=f"{name}{case}: VJP against central differences, input {k}")


def test_every_op_has_cases():
    assert set(CASES) == set(OPS), "add cases for new ops (and drop cases of removed ones)"


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_numerics(name):
    assert CASES.get(name), f"op {name!r} has no numerical check in CASES"
    for case in CASES[name]:
        check_op(name, case)


# ───────────────────────────── exact facts the sweep cannot see ─────────────────────────────


def test_where_condition_has_no_gradient():
    assert OPS["where"].vjp[0] is None and OPS["where"].jvp[0] is None


def test_getitem_repeated_indices_accumulate():
    x = np.arange(4.0)
    index = np.array([0, 0, 2, 0])
    grad = OPS["getitem"].vjp[0](np.ones(4), x[index], x, index=index)
    np.testing.assert_array_equal(grad, [3.0, 0.0, 1.0, 0.0])


def test_matmul_vjp_is_the_textbook_formula():
    a, b, g = normal(8, 4), normal(4, 16), normal(8, 16)
    da, db = (rule(g, a @ b, a, b) for rule in OPS["matmul"].vjp)
    np.testing.assert_allclose(da, g @ b.T)
    np.testing.assert_allclose(db, a.T @ g)


def test_maximum_tie_splits_gradient():
    x = np.array([1.0, 2.0])
    y = np.array([1.0, 0.0])
    rule_x, rule_y = OPS["maximum"].vjp
    np.testing.assert_array_equal(rule_x(np.ones(2), np.maximum(x, y), x, y), [0.5, 1.0])
    np.testing.assert_array_equal(rule_y(np.ones(2), np.maximum(x, y), x, y), [0.5, 0.0])


def test_power_exponent_gradient_closed_form():
    x, p = positive(3), np.array(1.7)
    out = x ** p
    np.testing.assert_allclose(OPS["power"].vjp[1](np.ones(3), out, x, p), np.sum(out * np.log(x)))


# ───────────────────────────── unbroadcast alone ─────────────────────────────


@pytest.mark.parametrize(("g_shape", "shape", "axes"), [
    ((2, 3), (2, 3), ()),
    ((8, 16), (16,), (0,)),
    ((8, 16), (1, 16), (0,)),
    ((8, 16), (8, 1), (1,)),
    ((8, 16), (), (0, 1)),
    ((4, 2, 3), (2, 1), (0, 2)),
    ((4, 2, 3), (1, 1, 3), (0, 1)),
    ((1, 3), (1, 3), ()),
])
def test_unbroadcast_sums_broadcast_axes(g_shape, shape, axes):
    g = normal(*g_shape)
    assert broadcast_axes(g_shape, shape) == axes
    result = unbroadcast(g, shape)
    assert result.shape == shape
    np.testing.assert_allclose(result, np.sum(g, axis=axes).reshape(shape) if axes else g)
    # the adjoint of broadcasting: ⟨unbroadcast(g), v⟩ == ⟨g, broadcast(v)⟩
    v = normal(*shape)
    np.testing.assert_allclose(np.sum(result * v), np.sum(g * np.broadcast_to(v, g_shape)))


def test_unbroadcast_bias_over_batch():
    g = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(unbroadcast(g, (3,)), [18.0, 22.0, 26.0])
    assert unbroadcast(g, (4, 3)) is g


def test_every_op_says_why_its_rule_is_what_it_is():
    """The one-line reason a learner can open beside each backward rule, kept in the op's own entry."""
    from graphstep.core.ops import OPS

    for name, op in OPS.items():
        assert op.why and "\n" not in op.why and len(op.why) <= 160, name
    assert OPS["tanh"].why.startswith("tanh′ = 1 − tanh²")
    assert "dW = Xᵀ·G" in OPS["matmul"].why
