"""Elementwise ops beyond the generic sweep: the edge points where a rule meets 0·∞ or 0/0
(each pinned to the value PyTorch gives), NaN-ignoring fmax/fmin, overflow-free logaddexp,
polynomial features through ``x ** 0`` at 0, and every new NumPy name traced end to end."""

from __future__ import annotations

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.ops import OPS

nan, inf = np.nan, np.inf
E = np.array


def vjps(name: str, *xs, g=1.0, **kw) -> list[np.ndarray]:
    """Every input's gradient from the op's own rules, for a seed G (broadcast to the output)."""
    op = OPS[name]
    xs = [np.asarray(x, dtype=float) for x in xs]
    with np.errstate(all="ignore"):  # ±∞ and NaN are the expected answers here
        out = np.asarray(op.forward(*xs, **kw))
        seed = np.full(out.shape, g)
        return [np.asarray(op.vjp[k](seed, out, *xs, **kw)) for k in range(len(xs))]


def jvps(name: str, *xs, t=1.0, **kw) -> list[np.ndarray]:
    """Every input's tangent of the output (tangent t in that input alone)."""
    op = OPS[name]
    xs = [np.asarray(x, dtype=float) for x in xs]
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(*xs, **kw))
        return [np.broadcast_to(op.jvp[k](np.full(np.shape(x), t), out, *xs, **kw), out.shape)
                for k, x in enumerate(xs)]


# ───────────────────────────── 0·∞ and 0/0: the values PyTorch gives ─────────────────────────────
# each row: op, inputs, seed G, expected gradient of each input.  The numbers are what torch 2.13
# autograd gives for the same inputs (JAX agrees unless the comment says otherwise).

EDGES = [
    # x^p at x = 0: √x is ∞, x¹ is 1, x² and x³ are 0; x⁰ is a constant: 0 (JAX's general pow: NaN)
    ("power", (E([0.0, -0.0, 1.0]), E(0.5)), 1.0, (E([inf, inf, 0.5]), E(0.0))),
    ("power", (E([0.0, -0.0, 2.0]), E(1.0)), 1.0, (E([1.0, 1.0, 1.0]), E(2.0 * np.log(2.0)))),
    ("power", (E([0.0, 2.0]), E(3.0)), 1.0, (E([0.0, 12.0]), E(8.0 * np.log(2.0)))),
    ("power", (E([0.0, -0.0, 2.0]), E(0.0)), 1.0, (E([0.0, 0.0, 0.0]), E(np.log(2.0)))),
    ("power", (E([nan, 0.0]), E(0.0)), 1.0, (E([0.0, 0.0]), E(nan))),
    ("power", (E([0.0, 0.0, 0.0, 0.0]), E([0.0, 0.5, 1.0, 2.0])), 1.0, (E([0.0, inf, 1.0, 0.0]), E([0.0] * 4))),
    # d(0^p)/dp: 0 for p ≥ 0 (the limit), −∞ for p < 0 (JAX: NaN); the base, broadcast over p, sums −∞ + ∞
    ("power", (E(0.0), E([0.0, 1.0, -1.0, 0.5])), 1.0, (E(nan), E([0.0, 0.0, -inf, 0.0]))),
    # √ and log at 0: G/0 (log of a 0/1 mask is −∞ forward, its slope ∞)
    ("sqrt", (E([0.0, 4.0]),), 1.0, (E([inf, 0.25]),)),
    ("sqrt", (E([0.0]),), 0.0, (E([nan]),)),  # 0·∞, as PyTorch: a NaN, never a silent 0
    ("log", (E([0.0, 1.0]),), 1.0, (E([inf, 1.0]),)),
    ("log", (E([0.0, 1.0]),), -2.0, (E([-inf, -2.0]),)),
    ("log2", (E([0.0]),), 1.0, (E([inf]),)),
    ("log1p", (E([-1.0]),), 1.0, (E([inf]),)),
    # x/y with x == 0: d/dy = −G·(x/y)/y = 0 even where y² underflows (JAX's −x/y² gives NaN at 1e-200)
    ("divide", (E([0.0, 0.0, 1.0]), E([2.0, 1e-200, 0.0])), 1.0, (E([0.5, 1e200, inf]), E([0.0, 0.0, -inf]))),
    ("divide", (E([0.0]), E([0.0])), 1.0, (E([inf]), E([nan]))),
    # G = 0 meets the infinite slope −(x/y)/y as 0·∞ = NaN (PyTorch and JAX), not (0·out)/y = 0
    ("divide", (E([1.0]), E([1e-200])), 0.0, (E([0.0]), E([nan]))),
    ("reciprocal", (E([0.0, -0.0, inf, 2.0]),), 1.0, (E([-inf, -inf, -0.0, -0.25]),)),
    # the ends of the domains: slope ±∞
    ("arcsin", (E([1.0, -1.0, 1.5]),), 1.0, (E([inf, inf, nan]),)),
    ("arccos", (E([1.0, -1.0, 1.5]),), 1.0, (E([-inf, -inf, nan]),)),
    ("arctanh", (E([1.0, -1.0]),), 1.0, (E([inf, inf]),)),
    ("arccosh", (E([1.0, 0.5]),), 1.0, (E([inf, nan]),)),
    # ties of maximum/minimum split G; a NaN sends G to both (PyTorch; JAX sends it to neither)
    ("maximum", (E([1.0, nan, 1.0, nan, inf]), E([1.0, 1.0, nan, nan, inf])), 1.0,
     (E([0.5, 1.0, 1.0, 1.0, 0.5]), E([0.5, 1.0, 1.0, 1.0, 0.5]))),
    ("minimum", (E([1.0, nan, 2.0]), E([1.0, 1.0, 1.0])), 1.0, (E([0.5, 1.0, 0.0]), E([0.5, 1.0, 1.0]))),
    # kinks: |x| has slope 0 at 0 (JAX: 1); clip passes G at a bound (JAX: ½); relu has 0 at 0
    ("abs", (E([0.0, -0.0, -2.0]),), 1.0, (E([0.0, 0.0, -1.0]),)),
    ("clip", (E([0.5, -0.5, 0.7]),), 1.0, (E([1.0, 1.0, 0.0]),)),
    ("relu", (E([0.0, 1.0]),), 1.0, (E([0.0, 1.0]),)),
    # hypot at the origin is 0/0 = NaN (JAX: ½ each); arctan2 there is 0 (JAX: NaN)
    ("hypot", (E([0.0, 3.0, 1e200, 1e-200]), E([0.0, 4.0, 1e200, 1e-200])), 1.0,
     (E([nan, 0.6, 0.5 ** 0.5, 0.5 ** 0.5]), E([nan, 0.8, 0.5 ** 0.5, 0.5 ** 0.5]))),
    ("arctan2", (E([0.0, 0.0, 1.0]), E([0.0, 1.0, 0.0])), 1.0, (E([0.0, 1.0, 0.0]), E([0.0, 0.0, -1.0]))),
    # G = ∞ or NaN (from log(relu(x)), say) meets a selection's 0: exactly 0, not 0·∞ = NaN
    ("where", (E([True, False]), E([inf, 1.0]), E([2.0, nan])), inf, (None, E([inf, 0.0]), E([0.0, inf]))),
    ("relu", (E([-1.0, 0.0, 1.0]),), inf, (E([0.0, 0.0, inf]),)),
    ("relu", (E([-1.0, 0.0, 1.0]),), nan, (E([0.0, 0.0, nan]),)),
    ("clip", (E([-1.0, 0.5, 0.0, 1.0]),), inf, (E([0.0, inf, inf, 0.0]),)),  # JAX: NaN outside
    ("maximum", (E([1.0, 2.0, 1.0]), E([2.0, 1.0, 1.0])), inf, (E([0.0, inf, inf]), E([inf, 0.0, inf]))),  # JAX: NaN
    ("minimum", (E([1.0, 2.0]), E([2.0, 1.0])), nan, (E([nan, 0.0]), E([0.0, nan]))),  # JAX: NaN
    ("fmax", (E([1.0, 2.0, nan]), E([2.0, nan, 1.0])), inf, (E([0.0, inf, 0.0]), E([inf, 0.0, inf]))),
    ("power", (E([0.0, 0.0, 2.0]), E([0.0, 1.0, 0.0])), nan, (E([0.0, nan, 0.0]), None)),  # JAX: NaN
    # … but a slope that is 0 only at a point is multiplied by G, as in both: 0·∞ = NaN
    ("power", (E([0.0, 3.0]), E(0.0)), inf, (E([0.0, 0.0]), E(nan))),  # x⁰'s base: 0 all the same
    ("square", (E([0.0]),), inf, (E([nan]),)),
    ("abs", (E([0.0]),), inf, (E([nan]),)),  # JAX: ∞
]


@pytest.mark.parametrize(("name", "xs", "g", "expected"), EDGES,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(EDGES)])
def test_edge_gradients_are_pytorchs(name, xs, g, expected):
    kw = {"lo": -0.5, "hi": 0.5} if name == "clip" else {}
    op = OPS[name]
    for k, want in enumerate(expected):
        if want is None:
            continue
        with np.errstate(all="ignore"):
            xs_f = [np.asarray(x, dtype=float) if np.asarray(x).dtype != bool else x for x in xs]
            out = np.asarray(op.forward(*xs_f, **kw))
            got = np.asarray(op.vjp[k](np.full(out.shape, g), out, *xs_f, **kw))
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, err_msg=f"{name} input {k}")
        assert got.shape == np.shape(xs[k])


def test_jvp_rules_meet_the_same_edges():
    """Forward mode uses the same slopes: √, x⁰ and the divide numerator at their edges."""
    np.testing.assert_array_equal(jvps("power", E([0.0, 0.0]), E(0.0))[0], [0.0, 0.0])
    np.testing.assert_array_equal(jvps("power", E([0.0, 0.0]), E(0.5))[0], [inf, inf])
    np.testing.assert_array_equal(jvps("divide", E([0.0]), E([1e-200]))[1], [0.0])
    np.testing.assert_array_equal(jvps("sqrt", E([0.0]))[0], [inf])


# ───────────────────────────── x ** 0 and polynomial features at 0 ─────────────────────────────


def test_x_to_the_zero_at_zero_has_gradient_zero():
    def f(x):
        return np.sum(x ** 0)

    st = gs.Stepper(gs.trace(f, np.array([0.0, -0.0, 2.0]))).run()
    np.testing.assert_array_equal(st.grad("x"), [0.0, 0.0, 0.0])


W = np.array([0.7, -1.3, 2.1, 0.4])


def polynomial(x, c):
    """Σₖ wₖ·(x − c)ᵏ, k = 0…3, summed over x: the features of a polynomial regression."""
    phi = np.stack([(x - c) ** k for k in range(4)])
    return np.sum(W[:, None] * phi)


def test_polynomial_features_at_their_centre_match_the_closed_form():
    x0, c0 = np.array([1.5, 0.0, 2.5, -1.0, 1.5]), np.array(1.5)  # x == c twice
    st = gs.Stepper(gs.trace(polynomial, x0, c0)).run()
    u = x0 - c0
    dx = W[1] + 2 * W[2] * u + 3 * W[3] * u ** 2  # d/du Σ wₖ uᵏ; the constant w₀ contributes 0
    np.testing.assert_allclose(st.grad("x"), dx, rtol=1e-14)
    np.testing.assert_allclose(st.grad("c"), -np.sum(dx), rtol=1e-14)
    assert np.all(np.isfinite(st.grad("x"))) and st.grad("x")[0] == pytest.approx(W[1])


# ───────────────────────────── fmax / fmin: NaN-ignoring ─────────────────────────────


@pytest.mark.parametrize(("name", "forward"), [("fmax", np.fmax), ("fmin", np.fmin)])
def test_fmax_fmin_send_g_to_the_number_not_the_nan(name, forward):
    x, y = E([nan, 1.0, nan, 1.0]), E([1.0, nan, nan, 1.0])
    np.testing.assert_array_equal(OPS[name].forward(x, y), forward(x, y))
    dx, dy = vjps(name, x, y, g=2.0)
    # the number gets G; both NaN: x gets it (PyTorch and JAX); a tie splits as maximum does
    np.testing.assert_array_equal(dx, [0.0, 2.0, 2.0, 1.0])
    np.testing.assert_array_equal(dy, [2.0, 0.0, 0.0, 1.0])
    tx, ty = jvps(name, x, y)
    np.testing.assert_array_equal(tx + ty, [1.0, 1.0, 1.0, 1.0])  # the output moves with whichever was chosen


def test_fmax_chooses_like_maximum_without_nan():
    x, y = E([[3.0, -1.0, 0.5]]), E([[1.0], [2.0]])
    for fname, mname in (("fmax", "maximum"), ("fmin", "minimum")):
        for got, want in zip(vjps(fname, x, y), vjps(mname, x, y), strict=True):
            np.testing.assert_array_equal(got, want)


def test_fmax_nan_gradient_through_the_stepper():
    def f(x, y):
        return np.sum(np.fmax(x, y) * E([1.0, 2.0, 3.0]))

    st = gs.Stepper(gs.trace(f, E([nan, 5.0, 1.0]), E([4.0, nan, 2.0]))).run()
    np.testing.assert_array_equal(st.grad("x"), [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(st.grad("y"), [1.0, 0.0, 3.0])


# ───────────────────────────── logaddexp never overflows ─────────────────────────────


def test_logaddexp_is_overflow_free_forward_and_backward():
    x, y = E([1000.0, -1000.0, 1000.0, 1.0, -inf, 0.0]), E([1000.0, 5.0, -1000.0, inf, 1.0, 800.0])
    op = OPS["logaddexp"]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = op.forward(x, y)
        dx, dy = (rule(np.ones(6), out, x, y) for rule in op.vjp)
    np.testing.assert_allclose(out, [1000.0 + np.log(2.0), 5.0, 1000.0, inf, 1.0, 800.0])
    np.testing.assert_allclose(dx, [0.5, 0.0, 1.0, 0.0, 0.0, np.exp(-800.0)], rtol=1e-14, atol=0)
    np.testing.assert_allclose(dy, [0.5, 1.0, 0.0, 1.0, 1.0, 1.0], rtol=1e-14, atol=0)
    np.testing.assert_allclose(dx[:1] + dy[:1], [1.0])


def test_logaddexp_of_two_equal_infinities_is_nan_as_pytorch():
    dx, dy = vjps("logaddexp", E([inf, -inf]), E([inf, -inf]))
    assert np.isnan(dx).all() and np.isnan(dy).all()


def test_logaddexp_small_share_keeps_its_digits():
    """e^x/(e^x + e^y) for x − y = −40 is 4.2e-18, not 1 − (1 − 4.2e-18) = 0."""
    dx, _ = vjps("logaddexp", E([0.0]), E([40.0]))
    np.testing.assert_allclose(dx, [1.0 / (1.0 + np.exp(40.0))], rtol=1e-14)


# ───────────────────────────── every new name, traced end to end ─────────────────────────────

RNG = np.random.default_rng(7)


def _in(lo, hi):
    return lambda *shape: RNG.uniform(lo, hi, size=shape)


def _away(*shape):
    return RNG.choice([-1.0, 1.0], size=shape) * RNG.uniform(0.4, 1.5, size=shape)


# NumPy name → (op recorded, generator of a point inside the domain, away from kinks and ties)
UNARY = {
    "exp2": ("exp2", _in(-2, 2)), "expm1": ("expm1", _in(-2, 2)), "log2": ("log2", _in(0.5, 3)),
    "log10": ("log10", _in(0.5, 3)), "log1p": ("log1p", _in(-0.7, 2)), "cbrt": ("cbrt", _away),
    "reciprocal": ("reciprocal", _away), "tan": ("tan", _in(-1.2, 1.2)), "sinh": ("sinh", _in(-2, 2)),
    "cosh": ("cosh", _in(-2, 2)), "positive": ("positive", _in(-2, 2)),
    "arcsin": ("arcsin", _in(-0.9, 0.9)), "asin": ("arcsin", _in(-0.9, 0.9)),
    "arccos": ("arccos", _in(-0.9, 0.9)), "acos": ("arccos", _in(-0.9, 0.9)),
    "arctan": ("arctan", _in(-3, 3)), "atan": ("arctan", _in(-3, 3)),
    "arcsinh": ("arcsinh", _in(-3, 3)), "asinh": ("arcsinh", _in(-3, 3)),
    "arccosh": ("arccosh", _in(1.2, 4)), "acosh": ("arccosh", _in(1.2, 4)),
    "arctanh": ("arctanh", _in(-0.9, 0.9)), "atanh": ("arctanh", _in(-0.9, 0.9)),
}
BINARY = {
    "arctan2": ("arctan2", _away, _away), "atan2": ("arctan2", _away, _away),
    "hypot": ("hypot", _away, _away), "logaddexp": ("logaddexp", _in(-3, 3), _in(-3, 3)),
    "fmax": ("fmax", _in(-3, 3), _in(-3, 3)), "fmin": ("fmin", _in(-3, 3), _in(-3, 3)),
    "pow": ("power", _in(0.5, 2), _in(-2, 2)),
}
WEIGHTS = RNG.standard_normal((2, 3))  # so the gradient is not just the slope


def _central(f, args, k, eps=1e-6):
    """∂f/∂args[k] by central differences, one entry at a time, on plain arrays."""
    grad = np.zeros_like(args[k])
    for i in np.ndindex(args[k].shape):
        plus, minus = [a.copy() for a in args], [a.copy() for a in args]
        plus[k][i] += eps
        minus[k][i] -= eps
        grad[i] = (f(*plus) - f(*minus)) / (2 * eps)
    return grad


def _ops_recorded(graph) -> list[str]:
    return [graph.node(n).op for n in graph.op_nodes]


@pytest.mark.parametrize("via", ["np", "gnp"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_new_unary_names_trace_and_match_central_differences(name, via):
    opname, gen = UNARY[name]
    fn = getattr(np, name) if via == "np" else getattr(gnp, name)

    def f(x):
        return np.sum(WEIGHTS * fn(x))

    def plain(x):
        return np.sum(WEIGHTS * getattr(np, name)(x))

    x0 = gen(2, 3)
    graph = gs.trace(f, x0)
    assert opname in _ops_recorded(graph)
    st = gs.Stepper(graph).run()
    np.testing.assert_allclose(st.value(graph.output), plain(x0), rtol=1e-14)
    np.testing.assert_allclose(st.grad("x"), _central(plain, [x0], 0), rtol=1e-6, atol=1e-8)
    v = RNG.standard_normal((2, 3))
    forward = gs.Stepper(graph, mode="forward", tangents={"x": v}).run()
    np.testing.assert_allclose(forward.tangent(), np.sum(st.grad("x") * v), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("via", ["np", "gnp"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_new_binary_names_broadcast_trace_and_match_central_differences(name, via):
    opname, gen_x, gen_y = BINARY[name]
    fn = getattr(np, name) if via == "np" else getattr(gnp, name)

    def f(x, y):
        return np.sum(WEIGHTS * fn(x, y))

    def plain(x, y):
        return np.sum(WEIGHTS * getattr(np, name)(x, y))

    x0, y0 = gen_x(2, 3), gen_y(3)  # y broadcast over the rows: its gradient sums them
    graph = gs.trace(f, x0, y0)
    assert opname in _ops_recorded(graph)
    st = gs.Stepper(graph).run()
    np.testing.assert_allclose(st.value(graph.output), plain(x0, y0), rtol=1e-14)
    np.testing.assert_allclose(st.grad("x"), _central(plain, [x0, y0], 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(st.grad("y"), _central(plain, [x0, y0], 1), rtol=1e-6, atol=1e-8)
    assert st.grad("y").shape == (3,)
    # forward mode along (vx, vy) gives the same directional derivative as the reverse gradients
    vx, vy = RNG.standard_normal(2 * 3).reshape(2, 3), RNG.standard_normal(3)
    forward = gs.Stepper(graph, mode="forward", tangents={"x": vx, "y": vy}).run()
    np.testing.assert_allclose(forward.tangent(), np.sum(st.grad("x") * vx) + np.sum(st.grad("y") * vy),
                               rtol=1e-12, atol=1e-12)


def test_true_divide_and_absolute_are_the_same_ops():
    def f(x):
        return np.sum(np.true_divide(x, 2.0) + np.absolute(x) + gnp.pow(x, 2))

    x0 = np.array([-1.0, 0.5])
    graph = gs.trace(f, x0)
    assert {"divide", "abs", "power"} <= set(_ops_recorded(graph))
    np.testing.assert_allclose(gs.Stepper(graph).run().grad("x"), 0.5 + np.sign(x0) + 2 * x0)
