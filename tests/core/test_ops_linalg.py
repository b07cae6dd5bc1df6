"""Linear algebra end to end: every function reached the ways a user writes it (``np.X``,
``np.linalg.X``, ``graphstep.numpy``, ndarray methods), traced, stepped forward and backward,
and compared with NumPy's own value and with central differences of NumPy's own function;
einsum over many subscripts; ``np.dot`` of 3-D arrays; a Gaussian-process likelihood three ways.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.errors import ShapeError

RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.standard_normal(shape)


def conditioned(*shape):
    """Q·diag(±(1…n))·Qᵀ + a little noise: far from singular, some determinants negative."""
    *batch, n, _ = shape
    mats = []
    for _ in range(int(np.prod(batch))):
        q, _r = np.linalg.qr(normal(n, n))
        mats.append((q * np.linspace(1.0, n, n) * RNG.choice([-1.0, 1.0], n)) @ q.T + 0.1 * normal(n, n))
    return np.reshape(mats, shape)


def central(f, arrays, eps=1e-6):
    """∂f/∂(each entry of each array) of a scalar NumPy function, by central differences."""
    grads = []
    for k, a in enumerate(arrays):
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            plus, minus = [x.copy() for x in arrays], [x.copy() for x in arrays]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            g[idx] = (f(*plus) - f(*minus)) / (2 * eps)
        grads.append(g)
    return grads


def check(fn, *arrays, reference=None, op=None):
    """Trace ``fn`` (on tensors) into a weighted sum, step it forward and backward; its value must be
    NumPy's (``reference``, default ``fn`` on the plain arrays) and each gradient the central difference."""
    reference = reference or fn
    expected = np.asarray(reference(*arrays))
    weights = normal(*expected.shape)  # every output entry counts differently
    seen = {}

    def loss(*xs):
        seen["y"] = fn(*xs)
        return np.sum(seen["y"] * weights)

    graph = gs.trace(loss, *arrays)
    st = gs.Stepper(graph).run()
    assert isinstance(seen["y"], gs.Tensor)
    np.testing.assert_allclose(st.value(seen["y"].node), expected, rtol=1e-12, atol=1e-12)
    numeric = central(lambda *xs: np.sum(np.asarray(reference(*xs)) * weights), arrays)
    for name, want in zip(graph.params, numeric, strict=True):
        np.testing.assert_allclose(st.grad(name), want, rtol=1e-6, atol=1e-7, err_msg=name)
    if op is not None:
        assert op in [graph.node(n).op for n in graph.op_nodes]
    return graph, st


# ───────────────────────────── np.dot: NumPy's semantics in every case ─────────────────────────────


def test_dot_of_3d_arrays_is_numpys_dot_not_matmul():
    a, b = normal(2, 3, 4), normal(5, 4, 6)
    graph, st = check(np.dot, a, b, op="tensordot")
    assert st.value(graph.output).shape == ()
    assert np.dot(a, b).shape == (2, 3, 5, 6) != np.matmul(normal(2, 3, 4), normal(2, 4, 6)).shape


@pytest.mark.parametrize(("fn", "shapes", "op"), [
    (np.dot, [(2, 3, 4), (5, 4, 6)], "tensordot"),
    (gnp.dot, [(2, 3, 4), (6, 4, 2)], "tensordot"),
    (lambda a, b: a.dot(b), [(2, 3, 4), (5, 4, 6)], "tensordot"),
    (np.dot, [(3, 4), (5, 4, 2)], "tensordot"),  # a 2-D a against a stack: not matmul's shape
    (np.dot, [(3,), (2, 3, 4)], "matmul"),  # here matmul agrees
    (np.dot, [(2, 3, 4), (4, 5)], "matmul"),
    (np.dot, [(2, 3, 4), (4,)], "matmul"),
    (np.dot, [(2, 3), (3, 4)], "matmul"),
    (np.dot, [(3,), (3,)], "matmul"),
    (np.dot, [(), (2, 3)], "multiply"),
    (lambda a, b: a.dot(b), [(2, 3), ()], "multiply"),
])
def test_dot_every_case(fn, shapes, op):
    check(fn, *(normal(*s) for s in shapes), reference=np.dot, op=op)


def test_dot_with_a_python_scalar():
    check(lambda a: np.dot(2.5, a), normal(2, 3), reference=lambda a: 2.5 * a, op="multiply")


@pytest.mark.parametrize(("fn", "reference", "shapes", "op"), [
    (np.vdot, np.vdot, [(2, 3), (3, 2)], "matmul"),
    (gnp.vdot, np.vdot, [(4,), (4,)], "matmul"),
    (np.inner, np.inner, [(2, 3), (4, 3)], "tensordot"),
    (gnp.inner, np.inner, [(2, 5, 3), (3,)], "matmul"),
    (np.inner, np.inner, [(), (2, 3)], "multiply"),
    (np.outer, np.outer, [(3,), (2, 2)], "matmul"),
    (gnp.outer, np.outer, [(2, 2), ()], "matmul"),
])
def test_vdot_inner_outer(fn, reference, shapes, op):
    check(fn, *(normal(*s) for s in shapes), reference=reference, op=op)


@pytest.mark.parametrize("axes", [2, 1, 0, ([1, 2], [0, 1]), ([-1], [0]), ([2, 0], [0, 2]), (-1, 0)])
def test_tensordot_axes_as_numpy_takes_them(axes):
    a = normal(4, 3, 4)
    b = normal(4, 4, 3) if axes != ([2, 0], [0, 2]) else normal(4, 5, 4)
    b = normal(3, 4, 2) if axes in (2, ([1, 2], [0, 1])) else b
    check(lambda a, b: np.tensordot(a, b, axes=axes), a, b, op="tensordot")
    check(lambda a, b: gnp.tensordot(a, b, axes), a, b, reference=lambda a, b: np.tensordot(a, b, axes))


def test_the_array_api_spellings_in_numpy_linalg():
    a, b = normal(2, 3, 4), normal(4, 5)
    check(np.linalg.matmul, a, b, op="matmul")
    check(lambda a, b: np.linalg.tensordot(a, b, axes=1), a, b, op="tensordot")


def test_tensordot_refuses_mismatched_axes():
    def f(a, b):
        return np.tensordot(a, b, axes=([0], [0]))

    with pytest.raises(ShapeError, match="axis 0"):
        gs.trace(f, normal(2, 3), normal(3, 2))


# ───────────────────────────── einsum ─────────────────────────────

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),  # matmul
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("bij,bjk->bik", [(4, 2, 3), (4, 3, 2)]),  # batched
    ("...ij,...jk->...ik", [(4, 2, 3), (3, 5)]),  # ellipsis, b broadcast over the batch
    ("...ij,...jk", [(1, 2, 3), (4, 3, 2)]),
    ("ii->", [(3, 3)]), ("ii", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("i,j->ij", [(3,), (4,)]),  # outer
    ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]),  # sums
    ("ij->ji", [(2, 3)]), ("ba", [(2, 3)]),  # transposes, implicitly too
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),  # three operands
    ("ij,ij->i", [(3, 4), (3, 4)]),  # row-wise dot products
    ("ii,ij->j", [(3, 3), (3, 2)]), ("iji->j", [(3, 2, 3)]),
    ("ij,j->i", [(2, 3), (1,)]),  # an explicit label broadcasting
    ("i...,i...->...", [(3, 2, 2), (3, 1, 2)]),
    ("aB,Bc", [(2, 3), (3, 4)]),  # implicit output in NumPy's (ASCII) order
    (",ij->ij", [(), (2, 3)]),
]


@pytest.mark.parametrize(("subscripts", "shapes"), EINSUMS, ids=[s for s, _ in EINSUMS])
def test_einsum(subscripts, shapes):
    arrays = [normal(*s) for s in shapes]
    check(lambda *xs: np.einsum(subscripts, *xs), *arrays, op="einsum")


def test_einsum_through_the_facade_the_interleaved_form_and_optimize():
    a, b, c = normal(2, 3), normal(3, 4), normal(4, 2)
    chain = (lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c))
    check(lambda a, b, c: gnp.einsum("ij,jk,kl->il", a, b, c, optimize=True), a, b, c, reference=chain)
    path = np.einsum_path("ij,jk,kl->il", a, b, c, optimize="optimal")[0]
    check(lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c, optimize=path), a, b, c, reference=chain)
    check(lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), a, b, reference=lambda a, b: a @ b)
    check(lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1, 2]), normal(5, 2, 3), b,
          reference=lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1, 2]))


def test_einsum_formulas_name_the_subscripts():
    def f(A, B):
        return np.einsum("ij,jk->ik", A, B)

    graph = gs.trace(f, normal(2, 3), normal(3, 4))
    node = graph.output
    assert graph.forward_formula(node).startswith(f"{graph.name_of(node)} = einsum('ij,jk->ik', A, B)")
    formulas = graph.backward_formulas(node)
    assert formulas[0].startswith("dA = einsum('ik,jk->ij', G, B)  (2×4)·(3×4) → (2×3)")
    assert formulas[1].startswith("dB = einsum('ik,ij->jk', G, A)")


def test_einsum_refuses_subscripts_that_do_not_fit():
    def f(A, B):
        return np.einsum("ij,jk->ik", A, B)

    with pytest.raises(ShapeError, match="index 'j'"):
        gs.trace(f, normal(2, 3), normal(4, 4))


# ───────────────────────────── diagonals and triangles ─────────────────────────────


@pytest.mark.parametrize(("fn", "reference", "shape", "op"), [
    (np.trace, np.trace, (3, 3), "trace"),
    (lambda a: a.trace(), np.trace, (3, 4), "trace"),
    (lambda a: np.trace(a, offset=1, axis1=1, axis2=2), lambda a: np.trace(a, 1, 1, 2), (2, 3, 3), "trace"),
    (lambda a: gnp.trace(a, -1, 2, 0), lambda a: np.trace(a, -1, 2, 0), (4, 2, 3), "trace"),
    (lambda a: np.diagonal(a, 1), lambda a: np.diagonal(a, 1), (3, 4), "diagonal"),
    (lambda a: a.diagonal(axis1=-2, axis2=-1), lambda a: a.diagonal(axis1=-2, axis2=-1), (2, 3, 3), "diagonal"),
    (gnp.diagonal, np.diagonal, (4, 3), "diagonal"),
    (np.diag, np.diag, (3,), "diag"),
    (lambda a: np.diag(a, 1), lambda a: np.diag(a, 1), (3,), "diag"),
    (lambda a: gnp.diag(a, k=-1), lambda a: np.diag(a, k=-1), (3, 4), "diag"),
    (np.diag, np.diag, (3, 3), "diag"),
    (lambda a: np.triu(a, 1), lambda a: np.triu(a, 1), (3, 4), "triu"),
    (np.tril, np.tril, (2, 3, 3), "tril"),
    (lambda a: gnp.tril(a, k=-1), lambda a: np.tril(a, k=-1), (4, 3), "tril"),
    (np.triu, np.triu, (3,), "triu"),  # NumPy makes a 1-D array a square matrix first
    (np.linalg.trace, np.linalg.trace, (4, 2, 3), "trace"),  # the array API's: each matrix of a stack
    (lambda a: gnp.linalg.diagonal(a, offset=1), lambda a: np.linalg.diagonal(a, offset=1), (2, 3, 3), "diagonal"),
])
def test_diagonals_and_triangles(fn, reference, shape, op):
    check(fn, normal(*shape), reference=reference, op=op)


# ───────────────────────────── matrix functions ─────────────────────────────


@pytest.mark.parametrize(("fn", "reference", "shape", "op"), [
    (np.linalg.inv, np.linalg.inv, (3, 3), "inv"),
    (gnp.linalg.inv, np.linalg.inv, (2, 3, 3), "inv"),
    (np.linalg.det, np.linalg.det, (3, 3), "det"),
    (gnp.linalg.det, np.linalg.det, (4, 2, 2), "det"),
])
def test_inv_and_det(fn, reference, shape, op):
    check(fn, conditioned(*shape), reference=reference, op=op)


def test_inv_gradient_is_the_closed_form():
    a, w = conditioned(3, 3), normal(3, 3)
    st = gs.Stepper(gs.trace(lambda A: np.sum(np.linalg.inv(A) * w), a)).run()
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(st.grad("A"), -inv.T @ w @ inv.T, rtol=1e-12)


def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])  # det 0: A⁻¹ does not exist, ∂det/∂A still does
    st = gs.Stepper(gs.trace(lambda A: np.linalg.det(A), a)).run()
    np.testing.assert_allclose(st.grad("A"), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    b = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])
    st = gs.Stepper(gs.trace(lambda A: np.linalg.det(A), b)).run()
    np.testing.assert_allclose(st.grad("A"), central(np.linalg.det, [b])[0], atol=1e-8)


def test_slogdet_gives_a_plain_sign_and_a_traced_logabsdet():
    a = conditioned(3, 3)
    a[0] *= -np.sign(np.linalg.det(a))  # a negative determinant
    seen = {}

    def f(A):
        sign, logdet = np.linalg.slogdet(A)  # tuple unpacking
        result = gnp.linalg.slogdet(A)  # and NumPy 2's attribute names
        seen.update(sign=sign, result=result)
        return logdet + 2.0 * result.logabsdet

    st = gs.Stepper(gs.trace(f, a)).run()
    sign, logabsdet = np.linalg.slogdet(a)
    assert sign == -1.0 and seen["sign"] == sign and seen["result"].sign == sign
    assert not isinstance(seen["sign"], gs.Tensor) and isinstance(seen["result"].logabsdet, gs.Tensor)
    np.testing.assert_allclose(st.value(st.graph.output), 3 * logabsdet, rtol=1e-12)
    np.testing.assert_allclose(st.grad("A"), 3 * np.linalg.inv(a).T, rtol=1e-10)  # d log|det A| = A⁻ᵀ


def test_slogdet_of_a_stack():
    check(lambda a: np.linalg.slogdet(a).logabsdet, conditioned(4, 3, 3),
          reference=lambda a: np.linalg.slogdet(a)[1], op="logabsdet")


@pytest.mark.parametrize(("fn", "a_shape", "b_shape"), [
    (np.linalg.solve, (3, 3), (3,)),  # b a vector
    (np.linalg.solve, (3, 3), (3, 2)),  # b a matrix
    (gnp.linalg.solve, (4, 3, 3), (3,)),  # a stack of A, one vector b (NumPy 2)
    (np.linalg.solve, (4, 3, 3), (4, 3, 2)),
    (np.linalg.solve, (1, 3, 3), (2, 3, 2)),  # the stacks broadcast
])
def test_solve(fn, a_shape, b_shape):
    check(fn, conditioned(*a_shape), normal(*b_shape), reference=np.linalg.solve, op="solve")


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_of_a_matrix_built_symmetric(upper):
    """K = X·Xᵀ + 3I is how a covariance arrives: every path to X agrees with NumPy's own cholesky."""
    def f(X):
        return np.linalg.cholesky(X @ X.T + 3.0 * np.eye(3), upper=upper)

    check(f, normal(3, 2), op="cholesky")
    check(lambda X: gnp.linalg.cholesky(np.matmul(X, np.swapaxes(X, -1, -2)) + np.eye(3)), normal(2, 3, 3),
          reference=lambda X: np.linalg.cholesky(X @ np.swapaxes(X, -1, -2) + np.eye(3)))


def test_cholesky_gradient_is_symmetric_and_matches_numpy_along_symmetric_directions():
    """The forward factors (A + Aᵀ)/2 (as JAX does), so dA is symmetric, as PyTorch and JAX give it; along
    any symmetric direction V it is the derivative of NumPy's cholesky (which reads only A's lower triangle)."""
    x = normal(4, 4)
    a, w = x @ x.T + 4.0 * np.eye(4), normal(4, 4)
    st = gs.Stepper(gs.trace(lambda A: np.sum(np.linalg.cholesky(A) * w), a)).run()
    grad = st.grad("A")
    np.testing.assert_allclose(grad, grad.T, atol=1e-14)
    def numpys(m):
        return np.sum(np.linalg.cholesky(m) * w)

    for _ in range(3):
        v = normal(4, 4)
        v = 1e-6 * (v + v.T)
        np.testing.assert_allclose(np.sum(grad * v), (numpys(a + v) - numpys(a - v)) / 2, rtol=1e-7)


def test_matrix_functions_refuse_non_square_matrices():
    with pytest.raises(ShapeError, match="square"):
        gs.trace(lambda A: np.linalg.inv(A), normal(2, 3))
    with pytest.raises(ShapeError, match="linalg.solve"):
        gs.trace(lambda A, b: np.linalg.solve(A, b), conditioned(3, 3), normal(4))


# ───────────────────────────── a Gaussian process, end to end ─────────────────────────────

_X = np.linspace(-2.0, 2.0, 6)
_Y = np.sin(_X) + 0.1 * normal(6)
_D2 = (_X[:, None] - _X[None, :]) ** 2  # squared distances
_LOG2PI = 0.5 * len(_X) * np.log(2 * np.pi)


def _kernel(ell, sf2, sn2):
    """Squared-exponential covariance of the inputs plus noise: sf2·exp(−d²/2ℓ²) + sn2·I."""
    return sf2 * np.exp(-_D2 / (2.0 * ell ** 2)) + sn2 * np.eye(len(_X))


def nll_inv_det(ell, sf2, sn2):
    """−log p(y) = ½ yᵀK⁻¹y + ½ log det K + (n/2) log 2π, as a textbook writes it."""
    K = _kernel(ell, sf2, sn2)
    return 0.5 * _Y @ np.linalg.inv(K) @ _Y + 0.5 * np.log(np.linalg.det(K)) + _LOG2PI


def nll_solve_slogdet(ell, sf2, sn2):
    """The same, as it should be computed: a solve instead of K⁻¹, log|det K| without overflow."""
    K = _kernel(ell, sf2, sn2)
    _sign, logdet = np.linalg.slogdet(K)
    return 0.5 * _Y @ np.linalg.solve(K, _Y) + 0.5 * logdet + _LOG2PI


def nll_cholesky(ell, sf2, sn2):
    """The same through K = L·Lᵀ: α = L⁻ᵀ·L⁻¹·y, log det K = 2 Σ log Lᵢᵢ."""
    L = np.linalg.cholesky(_kernel(ell, sf2, sn2))
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, _Y))
    return 0.5 * _Y @ alpha + np.sum(np.log(np.diag(L))) + _LOG2PI


@pytest.mark.parametrize("nll", [nll_inv_det, nll_solve_slogdet, nll_cholesky])
def test_gaussian_process_negative_log_likelihood(nll):
    theta = [np.array(0.8), np.array(1.3), np.array(0.2)]
    graph = gs.trace(nll, *theta)
    st = gs.Stepper(graph).run()
    value = nll_inv_det(*theta)
    np.testing.assert_allclose(st.value(graph.output), value, rtol=1e-12)
    np.testing.assert_allclose(nll(*theta), value, rtol=1e-12)  # the three spellings agree in NumPy too
    numeric = central(nll, theta)
    for name, want in zip(("ell", "sf2", "sn2"), numeric, strict=True):
        np.testing.assert_allclose(st.grad(name), want, rtol=1e-6, err_msg=name)
    # the closed form: ∂nll/∂K = ½(K⁻¹ − ααᵀ), α = K⁻¹y; ∂K/∂sn2 = I and ∂K/∂sf2 = exp(−d²/2ℓ²)
    K = _kernel(*theta)
    alpha = np.linalg.solve(K, _Y)
    dK = 0.5 * (np.linalg.inv(K) - np.outer(alpha, alpha))
    np.testing.assert_allclose(st.grad("sn2"), np.trace(dK), rtol=1e-10)
    np.testing.assert_allclose(st.grad("sf2"), np.sum(dK * np.exp(-_D2 / (2 * theta[0] ** 2))), rtol=1e-10)
    # forward mode gives the same directional derivative
    fwd = gs.Stepper(graph, mode="forward", tangents={"ell": 1.0, "sf2": -0.5, "sn2": 2.0}).run()
    np.testing.assert_allclose(fwd.tangent(graph.output), st.grad("ell") - 0.5 * st.grad("sf2") + 2 * st.grad("sn2"),
                               rtol=1e-10)
