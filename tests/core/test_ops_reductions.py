"""Reductions end to end: prod, var, std, cumsum, cumprod and np.average reached as ``np.X(tensor)``,
``graphstep.numpy.X`` and the ndarray method, traced, stepped both ways and checked against central
differences of the same function on plain arrays; closed forms where a rule has an edge (zeros in
prod and cumprod, the norm of a zero vector, ddof, weights along an axis)."""

from __future__ import annotations

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.errors import UnsupportedError, UserCodeError

H = 1e-6
RNG = np.random.default_rng(7)


def numeric_grad(f, x):
    """Central differences of ``f`` on plain arrays, one entry at a time."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = H
        grad[i] = (f(x + step) - f(x - step)) / (2 * H)
    return grad


def stepped(f, *arrays):
    graph = gs.trace(f, *arrays)
    return graph, gs.Stepper(graph).run()


def ops_of(graph) -> list[str]:
    return [graph.node(n).op for n in graph.op_nodes]


# distinct entries (no max/min ties), |x| in [0.5, 1.42] (prod and cumprod stay of order 1), mixed signs
X0 = RNG.choice([-1.0, 1.0], size=(2, 3, 4)) * (0.5 + 0.04 * RNG.permutation(24).reshape(2, 3, 4))

# (op recorded, the call with xp = numpy or graphstep.numpy, whether it is a method call)
CALLS = [
    ("prod", lambda xp, x: xp.prod(x, axis=-1), False),
    ("prod", lambda xp, x: xp.prod(x, axis=(0, -1), keepdims=True), False),
    ("prod", lambda xp, x: x.prod(), True),
    ("var", lambda xp, x: xp.var(x, axis=0, ddof=1), False),
    ("var", lambda xp, x: xp.var(x, axis=(-1, -2), keepdims=True), False),
    ("var", lambda xp, x: x.var(ddof=1), True),
    ("std", lambda xp, x: xp.std(x, axis=-1), False),
    ("std", lambda xp, x: xp.std(x, axis=(-3, -1), ddof=1, keepdims=True), False),
    ("std", lambda xp, x: x.std(), True),
    ("cumsum", lambda xp, x: xp.cumsum(x, axis=-2), False),
    ("cumsum", lambda xp, x: xp.cumsum(x), False),
    ("cumsum", lambda xp, x: x.cumsum(axis=0), True),
    ("cumprod", lambda xp, x: xp.cumprod(x, axis=-1), False),
    ("cumprod", lambda xp, x: x.cumprod(), True),
    ("max", lambda xp, x: xp.amax(x, axis=(-1, -2), keepdims=True), False),
    ("max", lambda xp, x: x.max(axis=-1, keepdims=True), True),
    ("min", lambda xp, x: xp.amin(x, axis=-2), False),
    ("mean", lambda xp, x: xp.mean(x, axis=(-1, -2)), False),
    ("norm", lambda xp, x: xp.linalg.norm(x, axis=-1, keepdims=True), False),
]
PARAMS = [pytest.param(op, fn, xp, id=f"{op}-{i}-{xp.__name__}")
          for i, (op, fn, method) in enumerate(CALLS) for xp in ((np,) if method else (np, gnp))]


@pytest.mark.parametrize(("op", "fn", "xp"), PARAMS)
def test_entry_point_traces_its_op_and_steps_to_the_numeric_gradient(op, fn, xp):
    weights = RNG.standard_normal(np.shape(fn(np, X0)))  # a weighted sum: every entry's gradient differs

    def loss(x, xp=xp):
        return (fn(xp, x) * weights).sum()

    graph, st = stepped(loss, X0)
    assert op in ops_of(graph)
    np.testing.assert_allclose(st.value(graph.output), loss(X0, np), rtol=1e-12)
    expected = numeric_grad(lambda x: loss(x, np), X0)  # the same function on plain arrays
    np.testing.assert_allclose(st.grad("x"), expected, rtol=1e-6, atol=1e-8)
    # forward mode along v gives ⟨∇, v⟩
    v = RNG.standard_normal(X0.shape)
    forward = gs.Stepper(graph, mode="forward", tangents={"x": v}).run()
    np.testing.assert_allclose(forward.tangent(), np.sum(expected * v), rtol=1e-6, atol=1e-8)


# ───────────────────────────── prod and cumprod with zeros ─────────────────────────────


@pytest.mark.parametrize(("x0", "expected"), [
    ([2.0, 0.0, 3.0], [0.0, 6.0, 0.0]),  # one zero: it gets the product of the others
    ([2.0, 0.0, 0.0], [0.0, 0.0, 0.0]),  # two zeros: every product of the others has a zero
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ([2.0, 5.0, 3.0], [15.0, 6.0, 10.0]),
])
def test_prod_gradient_with_zeros_is_the_product_of_the_others(x0, expected):
    x0 = np.array(x0)
    for f in (lambda x: np.prod(x), lambda x: gnp.prod(x), lambda x: x.prod()):
        graph, st = stepped(f, x0)
        np.testing.assert_array_equal(st.grad("x"), expected)
    forward = gs.Stepper(graph, mode="forward", tangents={"x": np.ones(3)}).run()
    assert forward.tangent() == sum(expected)


def test_prod_along_an_axis_with_zero_rows():
    x0 = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    _, st = stepped(lambda x: np.prod(x, axis=-1).sum(), x0)
    np.testing.assert_array_equal(st.grad("x"), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])
    _, st = stepped(lambda x: x.T.prod(axis=0, keepdims=True).sum(), x0)
    np.testing.assert_array_equal(st.grad("x"), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])


def test_cumprod_gradient_with_two_zeros_is_what_pytorch_gives():
    # torch: (torch.tensor([2., 0, 3, 0, 5]).cumprod(0) * torch.arange(1., 6)).sum().backward() → [1, 22, 0, 0, 0]
    w = np.arange(1.0, 6.0)
    _, st = stepped(lambda x: (np.cumprod(x) * w).sum(), np.array([2.0, 0.0, 3.0, 0.0, 5.0]))
    np.testing.assert_array_equal(st.grad("x"), [1.0, 22.0, 0.0, 0.0, 0.0])


def test_cumprod_gradient_with_one_zero_closed_form():
    # Σ cumprod(x) = x0 + x0x1 + x0x1x2 + x0x1x2x3 at x = (2, 3, 0, 4):
    # ∂/∂x0 = 1 + x1 + 0 + 0 = 4, ∂/∂x1 = x0 = 2, ∂/∂x2 = x0x1(1 + x3) = 30, ∂/∂x3 = x0x1x2 = 0
    x0 = np.array([2.0, 3.0, 0.0, 4.0])
    graph, st = stepped(lambda x: x.cumprod().sum(), x0)
    np.testing.assert_array_equal(st.grad("x"), [4.0, 2.0, 30.0, 0.0])
    forward = gs.Stepper(graph, mode="forward", tangents={"x": np.eye(4)[2]}).run()
    assert forward.tangent() == 30.0


def test_cumprod_with_zeros_along_each_axis_matches_central_differences():
    x0 = np.array([[2.0, 0.0, 3.0], [0.0, 1.5, 0.0], [0.5, -2.0, 1.0]])
    w = RNG.standard_normal((3, 3))
    for axis in (0, 1, -1, -2):
        def loss(x, axis=axis):
            return (np.cumprod(x, axis=axis) * w).sum()

        _, st = stepped(loss, x0)
        np.testing.assert_allclose(st.grad("x"), numeric_grad(loss, x0), rtol=1e-7, atol=1e-9)


# ───────────────────────────── the norm at zero ─────────────────────────────


def test_norm_of_zero_vector_has_gradient_zero():
    # PyTorch: torch.linalg.vector_norm(torch.zeros(3, requires_grad=True)).backward() → grad [0, 0, 0]
    for f in (lambda x: np.linalg.norm(x), lambda x: gnp.linalg.norm(x), lambda x: x.norm()):
        graph, st = stepped(f, np.zeros(3))
        np.testing.assert_array_equal(st.grad("x"), np.zeros(3))
        forward = gs.Stepper(graph, mode="forward", tangents={"x": np.array([1.0, -2.0, 0.5])}).run()
        assert forward.tangent() == 0.0


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [1, -1, (-1,)])
def test_norm_along_an_axis_with_a_zero_row(axis, keepdims):
    x0 = np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [0.0, -5.0, 12.0]])
    expected = [[0.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, -5 / 13, 12 / 13]]
    _, st = stepped(lambda x: np.linalg.norm(x, axis=axis, keepdims=keepdims).sum(), x0)
    np.testing.assert_allclose(st.grad("x"), expected, rtol=1e-15)
    _, st = stepped(lambda x: np.linalg.norm(x.T, axis=0, keepdims=keepdims).sum(), x0)  # the same by columns
    np.testing.assert_allclose(st.grad("x"), expected, rtol=1e-15)


# ───────────────────────────── var and std with ddof ─────────────────────────────


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, -1)])
def test_var_and_std_gradients_are_the_closed_forms(axis, ddof):
    x0 = RNG.standard_normal((4, 3))
    n = x0.size if axis is None else int(np.prod([x0.shape[a] for a in np.atleast_1d(axis)]))
    centred = x0 - x0.mean(axis=axis, keepdims=True)
    std = x0.std(axis=axis, ddof=ddof, keepdims=True)
    graph, st = stepped(lambda x: np.var(x, axis=axis, ddof=ddof).sum(), x0)
    np.testing.assert_allclose(st.value(graph.output), np.var(x0, axis=axis, ddof=ddof).sum(), rtol=1e-14)
    np.testing.assert_allclose(st.grad("x"), 2 * centred / (n - ddof), rtol=1e-12)
    graph, st = stepped(lambda x: x.std(axis=axis, ddof=ddof).sum(), x0)
    np.testing.assert_allclose(st.value(graph.output), np.std(x0, axis=axis, ddof=ddof).sum(), rtol=1e-14)
    np.testing.assert_allclose(st.grad("x"), centred / ((n - ddof) * std), rtol=1e-12)


def test_var_ddof_one_is_the_unbiased_estimate():
    # x = (1, 2, 3, 6): mean 3, Σ(x − 3)² = 14, var = 14/3; d var = 2(x − 3)/3
    graph, st = stepped(lambda x: np.var(x, ddof=1), np.array([1.0, 2.0, 3.0, 6.0]))
    assert st.value(graph.output) == pytest.approx(14 / 3, rel=1e-15)
    np.testing.assert_allclose(st.grad("x"), [-4 / 3, -2 / 3, 0.0, 2.0], rtol=1e-15)
    graph, st = stepped(lambda x: np.var(x, correction=1), np.array([1.0, 2.0, 3.0, 6.0]))  # NumPy 2's name
    assert st.value(graph.output) == pytest.approx(14 / 3, rel=1e-15)


def test_std_of_a_constant_row_has_gradient_zero():
    # PyTorch: torch.tensor([2., 2, 2], requires_grad=True).std().backward() → grad [0, 0, 0], not NaN
    x0 = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 6.0]])
    _, st = stepped(lambda x: np.std(x, axis=-1, ddof=1).sum(), x0)
    centred = np.array([-2.0, -1.0, 3.0])
    np.testing.assert_allclose(st.grad("x"), [[0.0, 0.0, 0.0], centred / (2 * np.sqrt(7.0))], rtol=1e-14)


# ───────────────────────────── np.average ─────────────────────────────


def test_average_with_weights_along_an_axis():
    a0, w0 = RNG.standard_normal((3, 4)), np.array([1.0, 2.0, 0.5, 3.0])
    graph, st = stepped(lambda a, w: np.average(a, axis=1, weights=w).sum(), a0, w0)
    assert {"reshape", "multiply", "sum", "divide"} <= set(ops_of(graph))  # its steps show
    np.testing.assert_allclose(st.value(graph.output), np.average(a0, axis=1, weights=w0).sum(), rtol=1e-14)
    # avg_r = Σ_j w_j a_rj / Σ w: ∂/∂a_rj = w_j / Σ w, ∂/∂w_j = Σ_r (a_rj − avg_r) / Σ w
    avg = a0 @ w0 / w0.sum()
    np.testing.assert_allclose(st.grad("a"), np.tile(w0 / w0.sum(), (3, 1)), rtol=1e-14)
    np.testing.assert_allclose(st.grad("w"), (a0 - avg[:, None]).sum(axis=0) / w0.sum(), rtol=1e-12)


def test_average_with_weights_shaped_like_a_and_no_axis():
    a0, w0 = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))
    _, st = stepped(lambda a, w: gnp.average(a, weights=w), a0, w0)
    avg = np.average(a0, weights=w0)
    np.testing.assert_allclose(st.grad("a"), w0 / w0.sum(), rtol=1e-14)
    np.testing.assert_allclose(st.grad("w"), (a0 - avg) / w0.sum(), rtol=1e-12)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [-2, (2, 0), (-1, -3)])
def test_average_over_axes_matches_numpy_and_central_differences(axis, keepdims):
    a0 = RNG.standard_normal((2, 3, 4))
    axes = np.atleast_1d(axis)
    w0 = RNG.uniform(0.5, 2.0, tuple(a0.shape[ax] for ax in axes))
    seed = RNG.standard_normal(np.shape(np.average(a0, axis=axis, weights=w0, keepdims=keepdims)))

    def loss(a, w):
        return (np.average(a, axis=axis, weights=w, keepdims=keepdims) * seed).sum()

    _, st = stepped(loss, a0, w0)
    np.testing.assert_allclose(st.grad("a"), numeric_grad(lambda a: loss(a, w0), a0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(st.grad("w"), numeric_grad(lambda w: loss(a0, w), w0), rtol=1e-6, atol=1e-9)


def test_average_returned_and_without_weights():
    a0, w0 = RNG.standard_normal((3, 4)), np.array([1.0, 2.0, 0.5, 3.0])
    seen = {}

    def f(a):
        avg, scale = np.average(a, axis=-1, weights=w0, returned=True)
        plain, count = np.average(a, axis=0, returned=True)
        seen.update(scale=scale.value, count=count)
        return avg.sum() + plain.sum()

    _, st = stepped(f, a0)
    expected_avg, expected_scale = np.average(a0, axis=-1, weights=w0, returned=True)
    np.testing.assert_array_equal(seen["scale"], expected_scale)
    np.testing.assert_array_equal(seen["count"], np.average(a0, axis=0, returned=True)[1])
    np.testing.assert_allclose(st.grad("a"), np.tile(w0 / w0.sum(), (3, 1)) + 1 / 3, rtol=1e-14)


def test_average_argument_errors_are_numpys():
    with pytest.raises(UnsupportedError, match="Axis must be specified"):
        gs.trace(lambda a: np.average(a, weights=np.ones(4)), np.ones((3, 4)))
    with pytest.raises(UnsupportedError, match="consistent with shape of a"):
        gs.trace(lambda a: np.average(a, axis=0, weights=np.ones(4)), np.ones((3, 4)))
    with pytest.raises(UnsupportedError, match="out of bounds"):
        gs.trace(lambda a: np.average(a, axis=2), np.ones((3, 4)))
    with pytest.raises(UserCodeError, match="ZeroDivisionError: Weights sum to zero"):  # as NumPy raises
        gs.trace(lambda a: np.average(a, axis=1, weights=np.array([1.0, -1.0, 0.0, 0.0])), np.ones((3, 4)))


# ───────────────────────────── what graphstep cannot honour ─────────────────────────────


@pytest.mark.parametrize(("f", "message"), [
    (lambda x: np.prod(x, out=np.empty(())), "out="),
    (lambda x: np.cumsum(x, 0, None, np.empty(3)), "out="),
    (lambda x: x.var(dtype=np.float32), "dtype="),
    (lambda x: np.std(x, where=np.array([True, False, True])), "where="),
    (lambda x: np.sum(x, initial=1.0), "initial="),
    (lambda x: np.cumprod(x.reshape(3, 1), axis=(0, 1)), "one axis"),
    (lambda x: np.var(x, ddof=1, correction=1), "ddof and correction"),
])
def test_arguments_graphstep_cannot_honour_are_refused(f, message):
    with pytest.raises(UnsupportedError, match=message):
        gs.trace(f, np.arange(3.0))
