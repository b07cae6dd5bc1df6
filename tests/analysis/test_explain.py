"""``explain``: every gradient entry as the scalar sum it is (Σ G·∂ over the consumers), every value entry from
its inputs; the sums equal the stepper's own entries for every op of the table and every sample."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from support import HAS_TORCH, REPO, SAMPLES, sample

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.analysis.explain import TERMS_SHOWN
from graphstep.core.ops import OPS, call

sys.path.insert(0, str(REPO / "tests" / "core"))  # the op sweep's cases live beside the op tests
from opcases import CASES  # noqa: E402

RNG = np.random.default_rng(14)
ENTRIES = 12  # entries explained per array: every one of a small array, a seeded sample of a bigger one


def assert_same_number(actual: float, desired: float, message: str = "") -> None:
    """``np.testing.assert_equal`` of two numbers (NaN equals NaN, 0.0 is not −0.0) without its ~100 µs of
    array checks: the sweeps below compare ~10,000 entries, and NumPy's helpers were a third of their time."""
    a, d = float(actual), float(desired)
    assert (a == d and math.copysign(1.0, a) == math.copysign(1.0, d)) or (a != a and d != d), (message, a, d)


def assert_close(actual: float, desired: float, tol: float, atol: float, message: str) -> None:
    """``np.testing.assert_allclose(actual, desired, rtol=tol, atol=atol)`` of two numbers: |a − d| ≤ atol +
    tol·|d|, NaN equal to NaN, an infinity equal only to itself."""
    a, d = float(actual), float(desired)
    if math.isnan(a) or math.isnan(d):
        assert math.isnan(a) and math.isnan(d), (message, a, d)
    elif math.isinf(a) or math.isinf(d):
        assert a == d, (message, a, d)
    else:
        assert abs(a - d) <= atol + tol * abs(d), (message, a, d)


def assert_explains(st: gs.Stepper, text: str, expected: float) -> gs.Explanation:
    """The explanation's sum is the stepper's entry to 1e-12 (relative to the size of its terms)."""
    ex = gs.explain(st, text)
    assert_same_number(ex.value, expected, text)
    # float32 walks (the PyTorch samples) round each step in float32: their sums agree to float32's precision
    tol = 1e-12 if st.grad(ex.node).dtype == np.float64 else 1e-5
    scale = max(1.0, sum(abs(t.product) for g in ex.groups for t in g.terms) + ex.left_out * 10)
    assert_close(ex.total, expected, tol, tol * scale, f"{text}\n{ex.text}")
    assert ex.text
    return ex


def some_entries(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    every = list(np.ndindex(*shape))
    if len(every) <= ENTRIES:
        return every
    return [every[n] for n in sorted(RNG.choice(len(every), ENTRIES, replace=False))]


def idx(i: tuple[int, ...]) -> str:
    return "[" + ",".join(map(str, i)) + "]" if i else ""


def explain_everything(st: gs.Stepper) -> None:
    """Each gradient and value the walk has, at a sample of its entries."""
    graph = st.graph
    for n in graph.order:
        name = graph.name_of(n)
        value, grad = st.value(n), st.grad(n)
        if value is not None and np.asarray(value).dtype.kind == "f":
            for i in some_entries(np.shape(value))[:3]:
                ex = gs.explain(st, f"{name}{idx(i)}")
                assert_same_number(ex.value, np.asarray(value)[i], ex.entry)
                if graph.program[n][0] is not None and graph.program[n][0].linear and not ex.formula:
                    tol = 1e-12 if np.asarray(value).dtype == np.float64 else 1e-5
                    assert_close(ex.total, ex.value, tol, tol, ex.text)
        if grad is not None and graph.feeds_output[n]:
            for i in some_entries(np.shape(grad)):
                assert_explains(st, f"d{name}{idx(i)}", float(np.asarray(grad)[i]))


# ───────────────────────────── every op of the table ─────────────────────────────


def op_graph(name: str, case) -> gs.Graph:
    """One op on its sweep case: differentiable inputs as params x0, x1…, the others as constants."""

    def computation():
        xs = [gs.param(a, name=f"x{k}") if k in case.diff else gs.const(a, name=f"c{k}")
              for k, a in enumerate(case.args)]
        y = call(name, *xs, **case.kw)
        return y

    return gs.trace(computation)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_sum_equals_the_steppers_gradient_entry(name):
    for case in CASES[name][:6]:
        with np.errstate(all="ignore"):
            graph = op_graph(name, case)
            out = graph.output
            seed = RNG.standard_normal(graph.shape_of(out))  # a G with no structure: every term counts
            st = gs.Stepper(graph, seed=seed).run()
            explain_everything(st)


# ───────────────────────────── every sample ─────────────────────────────

SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.py") if HAS_TORCH or not p.stem.startswith("torch_"))


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_sample_sum_equals_the_steppers_entries(name):
    with np.errstate(all="ignore"):
        st = gs.Stepper(sample(name)).run()
        explain_everything(st)


# ───────────────────────────── the mlp, against the closed forms ─────────────────────────────


@pytest.fixture(scope="module")
def mlp():
    return gs.Stepper(sample("mlp")).run()


def test_dW1_entry_is_the_sum_over_the_batch_of_X_times_G(mlp):
    ex = gs.explain(mlp, "dW1[2,5]")
    X, G = mlp.value("X"), mlp.grad("X@W1")
    closed = float(np.sum(X[:, 2] * G[:, 5]))
    assert ex.total == pytest.approx(closed, rel=1e-12)
    assert ex.value == mlp.grad("W1")[2, 5]
    (group,) = ex.groups
    assert group.formula == "Σₖ X[k,2]·G[k,5]"
    assert group.count == 8 and len(group.terms) == TERMS_SHOWN and group.left_out == 2
    assert ex.terms[0].factors == ("X[0,2]", "G[0,5]")
    assert ex.text.startswith("dW1[2,5] = Σₖ X[k,2]·G[k,5] = (") and "2 more (8 terms)" in ex.text


def test_the_largest_terms_are_shown(mlp):
    group = gs.explain(mlp, "dW1[2,5]").groups[0]
    X, G = mlp.value("X"), mlp.grad("X@W1")
    products = np.abs(X[:, 2] * G[:, 5])
    shown = sorted(abs(t.product) for t in group.terms)
    assert shown == pytest.approx(sorted(products)[-TERMS_SHOWN:])


def test_a_bias_entry_is_the_batch_sum_of_G(mlp):
    ex = gs.explain(mlp, "db1[5]")
    assert ex.groups[0].formula == "Σₖ G[k,5]"
    assert ex.total == pytest.approx(float(np.sum(mlp.grad("Z1")[:, 5])), rel=1e-12)


def test_an_elementwise_consumer_writes_its_slope(mlp):
    ex = gs.explain(mlp, "dZ1[3,7]")
    assert ex.groups[0].formula == "G[3,7]·(1 − H[3,7]²)"
    assert ex.total == pytest.approx(mlp.grad("H")[3, 7] * (1 - mlp.value("H")[3, 7] ** 2), rel=1e-12)


def test_forward_values(mlp):
    z = gs.explain(mlp, "Z1[3,7]")  # X@W1 is the tracer's name for a product used once: written as its sum
    assert z.text.startswith("Z1[3,7] = Σₖ X[3,k]·W1[k,7] + b1[7] = (") and z.value == mlp.value("Z1")[3, 7]
    (inline,) = z.groups
    assert inline.count == 4 and inline.total + mlp.value("b1")[7] == pytest.approx(z.value, rel=1e-12)
    assert [t.factors for t in inline.terms] == [(f"X[3,{k}]", f"W1[{k},7]") for k in range(4)]
    product = gs.explain(mlp, "X@W1[3,7]")
    assert product.groups[0].formula == "Σₖ X[3,k]·W1[k,7]"
    assert product.total == pytest.approx(mlp.value("X@W1")[3, 7], rel=1e-12)
    h = gs.explain(mlp, "H[3,7]")
    assert h.text.startswith("H[3,7] = tanh Z1[3,7] = tanh ")
    assert gs.explain(mlp, "W1[2,5]").text.endswith("(a param)")
    loss = gs.explain(mlp, "loss")  # a mean: the sum of its entries over their count, written once
    assert loss.total == pytest.approx(mlp.value("loss"), rel=1e-12)
    assert loss.groups[0].formula == "Σₖ (Z2−y)²[k,0]/8" and loss.groups[0].divisor == 8
    assert loss.text.startswith("loss = Σₖ (Z2−y)²[k,0]/8 = ((") and "… 2 more (8 terms))/8 = " in loss.text


def test_a_named_operand_or_one_used_twice_keeps_its_name():
    def three():
        A = gs.input(np.arange(6.0).reshape(2, 3), name="A")
        W = gs.param(np.ones((3, 2)), name="W")
        P = A @ W  # a variable of the file: named, never inlined
        R = A @ W + 1.0  # an unnamed product used once: inlined
        U = (lambda m: m + m)(A @ W)  # an unnamed product used twice: named
        return gnp.sum(P + 1.0) + gnp.sum(R) + gnp.sum(U)

    st = gs.Stepper(gs.trace(three)).run()
    assert gs.explain(st, "P+1[1,0]").text.startswith("(P+1)[1,0] = P[1,0] + 1 = ")
    r = gs.explain(st, "R[1,1]")
    assert r.text == "R[1,1] = Σₖ A[1,k]·W[k,1] + 1 = (3)(1) + (4)(1) + (5)(1) + 1 = 13" and r.value == 13
    u = gs.explain(st, "U[0,1]")
    assert "Σ" not in u.text and u.value == 6


# ───────────────────────────── several consumers ─────────────────────────────


def test_a_node_used_twice_by_one_consumer_has_two_groups():
    graph = gs.trace(lambda x: gnp.sum(x * x), np.array([0.5, -1.5, 2.0]))
    st = gs.Stepper(graph).run()
    x = graph.name_of(graph.params[next(iter(graph.params))])
    ex = assert_explains(st, f"d{x}[1]", -3.0)
    assert len(ex.groups) == 2 and [g.total for g in ex.groups] == [-1.5, -1.5]


def test_a_node_feeding_two_consumers_adds_their_parts():
    def two():
        x = gs.param(np.array([1.0, 2.0, 3.0]), name="x")
        a = gnp.tanh(x)
        b = x * 3.0
        return gnp.sum(a + b)

    st = gs.Stepper(gs.trace(two)).run()
    ex = assert_explains(st, "dx[2]", 1 - np.tanh(3.0) ** 2 + 3.0)
    assert len(ex.groups) == 2
    lines = ex.lines()
    assert lines[0].startswith("dx[2] = ") and len(lines) == 5  # the total, then each consumer and its rule's why
    assert lines[2] == f"    why: {OPS['tanh'].why}" and lines[4] == f"    why: {OPS['multiply'].why}"


def test_a_partial_gradient_explains_the_parts_arrived_so_far():
    def two():
        x = gs.param(np.array([1.0, 2.0]), name="x")
        return gnp.sum(gnp.tanh(x) + x * 3.0)

    st = gs.Stepper(gs.trace(two))
    while len(st.contributions_to(st.graph.id("x"))) < 1:
        st.step()
    ex = assert_explains(st, "dx[0]", float(st.grad("x")[0]))
    assert len(ex.groups) == 1 and "still to arrive" in ex.note


# ───────────────────────────── errors ─────────────────────────────


@pytest.mark.parametrize(("entry", "message"), [
    ("dW1[4,5]", "dW1 has shape (4×16)"),
    ("dW1[1]", "dW1 has shape (4×16)"),
    ("dW1", "dW1 has shape (4×16)"),
    ("dnope[1]", "no node"),
    ("dX[0,0]", "X gets no gradient"),
])
def test_bad_entries_are_clear_errors(mlp, entry, message):
    with pytest.raises(gs.GraphstepError, match=message.replace("(", r"\(").replace(")", r"\)")):
        gs.explain(mlp, entry)


def test_a_gradient_not_yet_arrived_says_so():
    st = gs.Stepper(sample("mlp")).run_forward()
    with pytest.raises(gs.GraphstepError, match="has not arrived yet"):
        gs.explain(st, "dW1[0,0]")
    with pytest.raises(gs.GraphstepError, match="not computed yet"):
        gs.explain(gs.Stepper(sample("mlp")), "Z1[0,0]")


def test_negative_indices_count_from_the_end(mlp):
    assert gs.explain(mlp, "dW1[-1,-1]").entry == "dW1[3,15]"


# ───────────────────────────── computations it was not written for ─────────────────────────────


def test_a_softmax_classifier():
    def classifier():
        rng = np.random.default_rng(3)
        X = gs.input(rng.standard_normal((12, 4)), name="X")
        W = gs.param(rng.standard_normal((4, 3)), name="W")
        P = gs.nn.softmax(X @ W, axis=1)
        labels = np.arange(12) % 3
        return -gnp.mean(gnp.log(P[np.arange(12), labels]))

    st = gs.Stepper(gs.trace(classifier)).run()
    explain_everything(st)
    softmax = next(n for n in st.graph.order if st.graph.node(n).op in ("softmax",))
    ex = gs.explain(st, f"{st.graph.name_of(softmax)}[1,2]")
    assert "softmax" in ex.text and len(ex.groups[0].terms) == 3  # a softmax entry depends on its whole row


def test_einsum_and_tensordot_name_their_jacobian_entries_as_the_other_operands():
    def contractions():
        rng = np.random.default_rng(0)
        A = gs.input(rng.standard_normal((3, 4)), name="A")
        B = gs.param(rng.standard_normal((4, 5)), name="B")
        C = gnp.einsum("ij,jk->ik", A, B)
        T = gs.param(rng.standard_normal((2, 3, 4)), name="T")
        U = gs.input(rng.standard_normal((3, 4, 2)), name="U")
        D = gnp.tensordot(T, U, axes=([1, 2], [0, 1]))
        return gnp.sum(C * C) + gnp.sum(D)

    st = gs.Stepper(gs.trace(contractions)).run()
    A, U = st.value("A"), st.value("U")
    db = assert_explains(st, "dB[1,2]", float(st.grad("B")[1, 2]))
    assert db.groups[0].formula == "Σₖ A[k,1]·G[k,2]" and db.terms[0].factors == ("A[0,1]", "G[0,2]")
    c = gs.explain(st, "C[1,2]")
    assert c.groups[0].formula == "Σₖ A[1,k]·B[k,2]" and c.total == pytest.approx(float(A[1] @ st.value("B")[:, 2]))
    dt = assert_explains(st, "dT[1,2,3]", float(st.grad("T")[1, 2, 3]))
    assert dt.groups[0].formula == "Σₖ U[2,3,k]·G[1,k]" and [t.numbers[0] for t in dt.terms] == list(U[2, 3])
    d = gs.explain(st, "D[1,0]")
    assert d.groups[0].formula == "Σ T[1,k,l]·U[k,l,0]" and d.groups[0].count == 12
    assert d.total == pytest.approx(float(st.value("D")[1, 0]), rel=1e-12)


def test_a_product_of_three_keeps_the_generic_form():
    def three():
        x = gs.param(np.array([1.0, 2.0]), name="x")
        y = gs.input(np.array([3.0, 4.0]), name="y")
        z = gs.input(np.array([5.0, 6.0]), name="z")
        return gnp.einsum("i,i,i->", x, y, z)

    st = gs.Stepper(gs.trace(three)).run()
    ex = assert_explains(st, "dx[1]", 24.0)
    assert "∂" in ex.groups[0].formula  # J[j,i] = y[i]·z[i] is no one entry: written as the slope
