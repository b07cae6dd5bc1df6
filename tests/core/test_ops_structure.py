"""The structural ops end to end: each NumPy spelling (``np.X`` on a tensor, ``graphstep.numpy.X``, the ndarray
method) traced with ``gs.trace`` and stepped, its value and gradients against the same function on plain arrays
and its central differences; item assignment (``margins[np.arange(N), y] = 0``, ``y[mask] = 0``, ``a[i] += v``)
against central differences and closed forms; the errors for what has no gradient.
"""
# ruff: noqa: N806 - X, W, N… are the names of the maths

from __future__ import annotations

import inspect

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.ops import OPS
from graphstep.errors import GraphstepError, UnsupportedError

RNG = np.random.default_rng(20240611)
EPS = 1e-6


def weigh(y, offset=1.0):
    """Σ y ⊙ w with fixed distinct weights: every entry of y reaches the scalar with its own slope (a list of
    pieces, as np.split returns, gets its own weights per piece)."""
    if isinstance(y, list):
        return sum(weigh(piece, offset + 10.0 * k) for k, piece in enumerate(y))
    return np.sum(y * np.cos(np.arange(np.size(y)) + offset).reshape(np.shape(y)))


def central(f, arrays, k):
    """∂f/∂arrays[k] by central differences; f gets fresh copies (item assignment writes into plain arrays)."""
    grad = np.zeros(arrays[k].shape)
    for j in np.ndindex(arrays[k].shape):
        plus, minus = [a.copy() for a in arrays], [a.copy() for a in arrays]
        plus[k][j] += EPS
        minus[k][j] -= EPS
        grad[j] = (float(f(*plus)) - float(f(*minus))) / (2 * EPS)
    return grad


def assert_steps_like(traced, reference, *arrays) -> gs.Stepper:
    """Trace ``traced`` on ``arrays`` (they become params named after its arguments) and step it to the end: the
    value must be ``reference``'s on plain arrays, each gradient its central differences."""
    graph = gs.trace(traced, *arrays)
    st = gs.Stepper(graph).run()
    np.testing.assert_allclose(st.value(graph.output), reference(*[a.copy() for a in arrays]), rtol=1e-12)
    for k, name in enumerate(list(inspect.signature(traced).parameters)[:len(arrays)]):
        np.testing.assert_allclose(st.grad(name), central(reference, arrays, k), rtol=1e-6, atol=1e-8,
                                   err_msg=f"gradient of {name}")
    return st


def ops_of(st: gs.Stepper) -> set[str]:
    return {st.graph.node(n).op for n in st.graph.op_nodes}


# ───────────────────────────── regression: transpose with negative axes ─────────────────────────────


def test_attention_scores_with_negative_transpose_axes():
    """``q @ k.transpose(0, 1, -1, -2)`` on (B, H, T, D) with B = H = T = D: a wrong permutation keeps every
    shape, so only the numbers can tell (the VJP once took argsort(0, 1, -1, -2) = (2, 3, 0, 1) as the inverse)."""
    q0, k0, W = RNG.standard_normal((3, 3, 3, 3)), RNG.standard_normal((3, 3, 3, 3)), RNG.standard_normal((3, 3, 3, 3))

    def attention(q, k):
        return np.sum(np.tanh(q @ k.transpose(0, 1, -1, -2) / np.sqrt(3.0)) * W)

    st = assert_steps_like(attention, attention, q0, k0)
    node = next(n for n in st.graph.op_nodes if st.graph.node(n).op == "transpose")
    assert st.graph.node(node).params["axes"] == (0, 1, 3, 2)  # the binder normalizes
    # closed form: S = q·kᵀ/√D, G = W ⊙ (1 − tanh² S); dq = G·k/√D, dk = Gᵀ·q/√D
    S = q0 @ np.swapaxes(k0, -1, -2) / np.sqrt(3.0)
    G = W * (1.0 - np.tanh(S) ** 2)
    np.testing.assert_allclose(st.grad("q"), G @ k0 / np.sqrt(3.0), rtol=1e-12)
    np.testing.assert_allclose(st.grad("k"), np.swapaxes(G, -1, -2) @ q0 / np.sqrt(3.0), rtol=1e-12)


def test_transpose_refuses_an_axis_out_of_range():
    with pytest.raises(UnsupportedError, match="out of bounds"):
        gs.trace(lambda x: np.sum(x.transpose(0, 1, 5)), np.ones((2, 3, 4)))


# ───────────────────────────── every spelling of every function ─────────────────────────────

MASK = np.array([[True, False, True], [False, True, True]])

# (label, the call on module m: m = np dispatches on a Tensor, m = gnp is the facade; shape of x; ops recorded)
FUNCTIONS = [
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1), (2, 3, 4), {"transpose"}),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), (2, 3, 4), {"transpose"}),
    ("moveaxis many", lambda m, x: m.moveaxis(x, (0, 1), (-1, 0)), (2, 3, 4), {"transpose"}),
    ("squeeze", lambda m, x: m.squeeze(x), (2, 1, 3, 1), {"reshape"}),
    ("squeeze axis", lambda m, x: m.squeeze(x, axis=-1), (2, 1, 3, 1), {"reshape"}),
    ("expand_dims", lambda m, x: m.expand_dims(x, -1), (2, 3), {"reshape"}),
    ("expand_dims many", lambda m, x: m.expand_dims(x, (0, 2)), (2, 3), {"reshape"}),
    ("ravel", lambda m, x: m.ravel(x), (2, 3, 4), {"reshape"}),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (4, 2, 3)), (2, 1), {"broadcast_to"}),
    ("hstack vectors", lambda m, x: m.hstack([x[0], 2.0 * x[1], x[0]]), (2, 3), {"concatenate"}),
    ("hstack matrices", lambda m, x: m.hstack((x, x[:, :1])), (2, 3), {"concatenate"}),
    ("vstack vectors", lambda m, x: m.vstack([x[0], 2.0 * x[1]]), (2, 3), {"stack"}),
    ("vstack mixed", lambda m, x: m.vstack([x, x[1]]), (2, 3), {"concatenate", "reshape"}),
    ("column_stack vectors", lambda m, x: m.column_stack([x[0], x[1]]), (2, 3), {"stack"}),
    ("column_stack mixed", lambda m, x: m.column_stack([x.T, x[0]]), (2, 3), {"concatenate", "reshape"}),
    ("split", lambda m, x: m.split(x, 2, axis=1), (3, 4), {"getitem"}),
    ("split at", lambda m, x: m.split(x, [1, 3]), (4, 2), {"getitem"}),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=-1), (2, 5), {"getitem"}),
    ("tile", lambda m, x: m.tile(x, (2, 1, 3)), (2, 3), {"tile"}),
    ("tile int", lambda m, x: m.tile(x, 2), (2, 3), {"tile"}),
    ("repeat", lambda m, x: m.repeat(x, 2, axis=0), (2, 3), {"repeat"}),
    ("repeat counts", lambda m, x: m.repeat(x, [1, 0, 3], axis=1), (2, 3), {"repeat"}),
    ("repeat flat", lambda m, x: m.repeat(x, 2), (2, 3), {"repeat"}),
    ("pad constant", lambda m, x: m.pad(x, 1, constant_values=0.5), (2, 3), {"pad"}),
    ("pad widths", lambda m, x: m.pad(x, ((1, 0), (0, 2))), (2, 3), {"pad"}),
    ("pad edge", lambda m, x: m.pad(x, 2, mode="edge"), (2, 3), {"pad"}),
    ("pad reflect", lambda m, x: m.pad(x, ((1, 2), (2, 1)), mode="reflect"), (3, 4), {"pad"}),
    ("pad symmetric", lambda m, x: m.pad(x, 2, mode="symmetric"), (3, 4), {"pad"}),
    ("pad wrap", lambda m, x: m.pad(x, (3, 4), mode="wrap"), (2, 3), {"pad"}),
    ("flip", lambda m, x: m.flip(x), (2, 3), {"flip"}),
    ("flip axis", lambda m, x: m.flip(x, -1), (2, 3), {"flip"}),
    ("fliplr", lambda m, x: m.fliplr(x), (2, 3), {"flip"}),
    ("flipud", lambda m, x: m.flipud(x), (2, 3), {"flip"}),
    ("roll", lambda m, x: m.roll(x, 1), (2, 3), {"roll"}),
    ("roll axes", lambda m, x: m.roll(x, (1, -2), axis=(0, 1)), (2, 3), {"roll"}),
    ("take", lambda m, x: m.take(x, [0, 5, 5, 2]), (2, 3), {"reshape", "getitem"}),
    ("take axis", lambda m, x: m.take(x, [[2, 0], [2, 2]], axis=1), (2, 3), {"getitem"}),
    ("take wrap", lambda m, x: m.take(x, [4, -5], axis=-1, mode="wrap"), (2, 3), {"getitem"}),
    ("take clip", lambda m, x: m.take(x, [7, -1], axis=0, mode="clip"), (2, 3), {"getitem"}),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, np.array([[2], [0]]), axis=1), (2, 3), {"getitem"}),
    ("take_along_axis 0", lambda m, x: m.take_along_axis(x, np.array([[1, 0, 1]]), axis=0), (2, 3), {"getitem"}),
    ("copy", lambda m, x: m.copy(x), (2, 3), {"copy"}),
]

METHODS = [
    ("swapaxes", lambda x: x.swapaxes(0, 1), (2, 3), {"transpose"}),
    ("squeeze", lambda x: x.squeeze(), (1, 3, 1), {"reshape"}),
    ("squeeze axis", lambda x: x.squeeze(0), (1, 3, 1), {"reshape"}),
    ("ravel", lambda x: x.ravel(), (2, 3), {"reshape"}),
    ("flatten", lambda x: x.flatten(), (2, 3), {"reshape"}),
    ("repeat", lambda x: x.repeat(3, axis=-1), (2, 3), {"repeat"}),
    ("take", lambda x: x.take([1, 1], axis=0), (2, 3), {"getitem"}),
    ("copy", lambda x: x.copy(), (2, 3), {"copy"}),
    ("astype float", lambda x: x.astype(float), (2, 3), {"astype"}),
    ("astype float64", lambda x: x.astype(np.float64), (2, 3), {"astype"}),
    ("reshape", lambda x: x.reshape(3, 2), (2, 3), {"reshape"}),
    ("transpose", lambda x: x.transpose(-1, 0), (2, 3), {"transpose"}),
    ("T", lambda x: x.T, (2, 3), {"transpose"}),
    ("x[mask]", lambda x: x[MASK], (2, 3), {"getitem"}),
    ("x[x > 0]", lambda x: x[x > 0], (2, 3), {"getitem"}),
    ("x[rows]", lambda x: x[np.array([True, False, True])], (3, 2), {"getitem"}),
    ("x[repeated]", lambda x: x[[2, 0, 2]], (3, 2), {"getitem"}),
]


@pytest.mark.parametrize("module", [np, gnp], ids=["np", "gnp"])
@pytest.mark.parametrize(("label", "fn", "shape", "ops"), FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_function_steps_to_numpy_gradients(module, label, fn, shape, ops):
    x0 = RNG.standard_normal(shape)
    st = assert_steps_like(lambda x: weigh(fn(module, x)), lambda x: weigh(fn(np, x)), x0)
    assert ops <= ops_of(st), f"{label}: recorded {ops_of(st)}"


@pytest.mark.parametrize(("label", "fn", "shape", "ops"), METHODS, ids=[row[0] for row in METHODS])
def test_method_steps_to_numpy_gradients(label, fn, shape, ops):
    x0 = RNG.standard_normal(shape)
    st = assert_steps_like(lambda x: weigh(fn(x)), lambda x: weigh(fn(x)), x0)
    assert ops <= ops_of(st), f"{label}: recorded {ops_of(st)}"


def test_split_unpacks_into_traced_pieces():
    def f(x):
        q, k, v = np.split(x, 3, axis=-1)
        return np.sum(q * k + v)

    x0 = RNG.standard_normal((2, 6))
    st = assert_steps_like(f, f, x0)
    np.testing.assert_allclose(st.grad("x"), np.hstack([x0[:, 2:4], x0[:, :2], np.ones((2, 2))]))


def test_take_along_axis_with_traced_labels_is_cross_entropy():
    labels = np.array([2, 0, 1, 2])

    def nll(z):
        logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
        y = gs.input(labels, name="y")
        return -np.mean(np.take_along_axis(logp, y[:, None], axis=1))

    z0 = RNG.standard_normal((4, 3))
    st = gs.Stepper(gs.trace(nll, z0)).run()
    p = np.exp(z0) / np.exp(z0).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(st.grad("z"), (p - np.eye(3)[labels]) / 4, rtol=1e-12)  # (softmax − onehot) / N


def test_astype_to_int_is_refused_with_the_alternative():
    with pytest.raises(UnsupportedError, match=r"t\.value\.astype\(int64\)"):
        gs.trace(lambda x: np.sum(x.astype(int)), np.ones(3))
    with pytest.raises(UnsupportedError, match="bool"):
        gs.trace(lambda x: np.sum(x.astype(bool)), np.ones(3))


def test_astype_float_of_an_int_input_joins_the_graph():
    def f(w):
        onehot = gs.input(np.array([[0, 1], [1, 0]]), name="onehot")
        return np.sum(onehot.astype(float) * w)

    st = gs.Stepper(gs.trace(f, np.ones((2, 2)))).run()
    np.testing.assert_array_equal(st.grad("w"), [[0.0, 1.0], [1.0, 0.0]])


def test_pad_modes_without_a_copy_rule_are_refused():
    with pytest.raises(UnsupportedError, match="constant, edge, reflect, symmetric, wrap"):
        gs.trace(lambda x: np.sum(np.pad(x, 1, mode="mean")), np.ones(3))
    with pytest.raises(UnsupportedError, match="reflect_type"):
        gs.trace(lambda x: np.sum(np.pad(x, 1, mode="reflect", reflect_type="odd")), np.ones(3))


def test_squeezing_an_axis_longer_than_one_is_numpys_error():
    with pytest.raises(UnsupportedError, match="numpy.squeeze"):
        gs.trace(lambda x: np.sum(np.squeeze(x, axis=0)), np.ones((2, 1)))


def test_unequal_split_is_numpys_error():
    with pytest.raises(GraphstepError, match="equal division"):
        gs.trace(lambda x: np.sum(np.split(x, 4)[0]), np.ones(6))


# ───────────────────────────── item assignment ─────────────────────────────


def svm_loss_vectorized(W, X, y, reg):
    """CS231n's fully vectorized multiclass SVM loss, as the assignment's solution writes it."""
    num_train = X.shape[0]
    scores = X @ W
    correct_class_scores = scores[np.arange(num_train), y]
    margins = np.maximum(0, scores - correct_class_scores[:, np.newaxis] + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    loss += reg * np.sum(W * W)
    return loss


def test_cs231n_svm_loss_end_to_end():
    N, D, C, reg = 8, 5, 4, 0.05
    X, y = RNG.standard_normal((N, D)), RNG.integers(0, C, size=N)
    W0 = RNG.standard_normal((D, C)) * 0.5

    def svm(W):
        return svm_loss_vectorized(W, gs.input(X, name="X"), y, reg)

    st = assert_steps_like(svm, lambda W: svm_loss_vectorized(W, X, y, reg), W0)
    assert "setitem" in ops_of(st)
    # the assignment's closed form: each positive margin adds x_i to its class and subtracts it from y_i
    scores = X @ W0
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    M = (margins > 0).astype(float)
    M[np.arange(N), y] = -M.sum(axis=1)
    np.testing.assert_allclose(st.grad("W"), X.T @ M / N + 2 * reg * W0, rtol=1e-12)


def test_mask_assignment_stops_the_gradient_there():
    def f(x):
        y = np.tanh(x)
        y[y < 0] = 0
        return weigh(y)

    x0 = RNG.choice([-1.0, 1.0], size=(3, 4)) * RNG.uniform(0.2, 1.5, size=(3, 4))  # no entry near the mask's edge
    st = assert_steps_like(f, f, x0)
    w = np.cos(np.arange(12) + 1.0).reshape(3, 4)
    np.testing.assert_allclose(st.grad("x"), w * (1 - np.tanh(x0) ** 2) * (x0 >= 0), rtol=1e-12)


def test_column_assigned_a_traced_tensor():
    def f(x, t, s):
        x[:, 0] = 2.0 * t
        x[:, 1] = s  # a scalar broadcast down a column
        return weigh(x)

    x0, t0, s0 = RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal(())
    st = assert_steps_like(f, f, x0, t0, s0)
    w = np.cos(np.arange(12) + 1.0).reshape(3, 4)
    np.testing.assert_allclose(st.grad("x"), np.where(np.arange(4) < 2, 0.0, w))
    np.testing.assert_allclose(st.grad("t"), 2.0 * w[:, 0])
    np.testing.assert_allclose(st.grad("s"), w[:, 1].sum())


def test_rows_swapped_by_fancy_assignment():
    def f(x):
        x[[0, 2]] = x[[2, 0]]  # the value depends on the old x: both inputs of the assignment need gradients
        return weigh(x)

    x0 = RNG.standard_normal((3, 2))
    st = assert_steps_like(f, f, x0)
    w = np.cos(np.arange(6) + 1.0).reshape(3, 2)
    np.testing.assert_allclose(st.grad("x"), w[[2, 1, 0]])


def test_augmented_assignment_adds_once_per_repeated_index():
    def f(a, v):
        a[1:3] += v[:2]
        a[[0, 0, 3]] += v  # NumPy keeps the last write of a[0]: v[1] is added, v[0] is not
        return weigh(a)

    a0, v0 = RNG.standard_normal(5), RNG.standard_normal(3)
    st = assert_steps_like(f, f, a0, v0)
    w = np.cos(np.arange(5) + 1.0)
    np.testing.assert_allclose(st.grad("a"), w)
    np.testing.assert_allclose(st.grad("v"), [w[1], w[2] + w[0], w[3]])


def test_assignment_makes_a_new_value_and_earlier_views_keep_the_old_one():
    def f(x):
        row = x[0]  # a NumPy view would see the write below; a traced tensor keeps its value
        alias = x  # the same object: it sees the write, as in NumPy
        x[0] = 0.0
        return np.sum(row * row) + np.sum(alias)

    x0 = RNG.standard_normal((2, 3))
    graph = gs.trace(f, x0)
    st = gs.Stepper(graph).run()
    np.testing.assert_allclose(st.value(graph.output), np.sum(x0[0] ** 2) + np.sum(x0[1]), rtol=1e-12)
    np.testing.assert_allclose(st.grad("x"), np.vstack([2 * x0[0], np.ones(3)]))
    np.testing.assert_array_equal(st.value(graph.params["x"]), x0)  # the param's value was not written


def test_setitem_forward_does_not_write_its_input():
    x, v = np.arange(6.0).reshape(2, 3), np.array([9.0, 9.0])
    out = OPS["setitem"].forward(x, v, index=(slice(None), 1))
    np.testing.assert_array_equal(x, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(out, [[0.0, 9.0, 2.0], [3.0, 9.0, 5.0]])


def test_a_float_written_into_an_int_tensor_has_no_gradient():
    """NumPy truncates the value (piecewise constant): the value's gradient through the write is 0."""

    def f(w):
        counts = gs.input(np.array([3, 1, 2]), name="counts")
        counts[0] = 2.0 * w[0]
        return np.sum(counts * w)

    def plain(w):
        counts = np.array([3, 1, 2])
        counts[0] = 2.0 * w[0]
        return np.sum(counts * w)

    w0 = np.array([1.3, 0.4, -0.7])  # 2.6: away from an integer, where truncation jumps
    st = assert_steps_like(f, plain, w0)
    np.testing.assert_allclose(st.grad("w"), [2.0, 1.0, 2.0])
