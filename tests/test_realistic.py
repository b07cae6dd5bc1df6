"""Computations people really write (tests/realistic/*.py and two samples), each against its own code on plain NumPy.

Every file is a zero-argument ``@gs.computation`` in ordinary NumPy.  The oracle
is the same function run with ``gs.param``/``gs.input`` handing back plain
ndarrays, so NumPy itself computes the forward value and the central
differences.  graphstep must agree on the value and on every param's gradient;
its own ``gradcheck``, ``Stepper(values=…)`` re-execution and ``graphstep run
--check`` must agree too.  The batch-norm and attention samples are also checked
against their closed forms.  ``tests/realistic/escapes/`` holds code where a
traced value reaches plain Python or NumPy (``math.exp``, a store into
``np.zeros``): graphstep must refuse it at the user's line or still be right.
"""
# ruff: noqa: N806 - X, W1, P… are the names of the maths

from __future__ import annotations

import contextlib
import functools
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from support import REPO

import graphstep as gs
from graphstep.cli import main

FILES = sorted(f"tests/realistic/{p.name}" for p in (REPO / "tests" / "realistic").glob("*.py"))
FILES += ["samples/attention.py", "samples/batchnorm.py"]
# code that calls graphstep itself (gs.nn) cannot run on plain arrays: its oracle re-traces instead
NEEDS_TRACING = {"tests/realistic/softmax_classifier.py"}
PLAIN = [f for f in FILES if f not in NEEDS_TRACING]
EXPORTED = ["tests/realistic/multihead_attention.py", "tests/realistic/im2col_conv.py", "samples/batchnorm.py"]
WALKED_IN_TUI = ["samples/attention.py", "tests/realistic/picogpt_block.py"]
# code where a traced value reaches plain Python or NumPy (math.exp, a store into np.zeros)
ESCAPES = sorted(f"tests/realistic/escapes/{p.name}" for p in (REPO / "tests" / "realistic" / "escapes").glob("*.py"))

EPS = 1e-6  # central differences in float64: truncation ~EPS², rounding ~1e-16·|f|/EPS
RTOL = 1e-6
ENTRIES = 12  # entries of each param perturbed (a random sample of larger ones)


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(REPO)


@functools.cache
def computation(path: str):
    return gs.load(str(REPO / path))


@functools.cache
def walked(path: str) -> gs.Stepper:
    """The file traced once and stepped to the end (forward and backward)."""
    with contextlib.redirect_stdout(io.StringIO()):
        graph = gs.trace(computation(path))
    return gs.Stepper(graph).run()


def base_params(path: str) -> dict[str, np.ndarray]:
    st = walked(path)
    return {name: st.value(nid) for name, nid in st.graph.params.items()}


@contextlib.contextmanager
def plain_numpy(params: dict):
    """``gs.param``/``gs.input``/``gs.const`` hand back plain ndarrays (params replaced by ``params[name]``)."""
    def param(value, name=None):
        return np.array(params.get(name, value), dtype=float)

    def leaf(value, name=None):
        return np.array(value)

    printed = io.StringIO()
    with mock.patch.multiple(gs, param=param, input=leaf, const=leaf), contextlib.redirect_stdout(printed), \
            np.errstate(all="ignore"):  # the tracer silences NaN warnings too
        yield printed


def run_plain(path: str, params: dict) -> float:
    """The file's own code on plain NumPy arrays: NumPy computes every number."""
    with plain_numpy(params):
        return float(computation(path)())


def run_retraced(path: str, params: dict) -> float:
    """Trace the file again with params starting from other values, and run the new graph forward."""
    real = gs.param
    with mock.patch.object(gs, "param", lambda value, name=None: real(params.get(name, value), name=name)), \
            contextlib.redirect_stdout(io.StringIO()):
        graph = gs.trace(computation(path))
    return float(gs.Stepper(graph).run_forward().value(graph.output))


def run_stepper(path: str, params: dict) -> float:
    """The traced graph executed again by a Stepper whose leaves ``values=`` replaces."""
    graph = walked(path).graph
    return float(gs.Stepper(graph, values=params).run_forward().value(graph.output))


def entries(value: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    flat = np.arange(np.size(value))
    return flat if flat.size <= ENTRIES else np.sort(rng.choice(flat, ENTRIES, replace=False))


def central_differences(f, params: dict, name: str, picked) -> np.ndarray:
    out = []
    for k in picked:
        moved = []
        for delta in (EPS, -EPS):
            p = params[name].astype(float).copy()
            p.reshape(-1)[k] += delta
            moved.append(f({**params, name: p}))
        out.append((moved[0] - moved[1]) / (2 * EPS))
    return np.array(out)


def assert_gradients_match(path: str) -> None:
    """Every param's gradient (a sample of entries) equals central differences of the file's own code."""
    st = walked(path)
    params = base_params(path)
    oracle = run_retraced if path in NEEDS_TRACING else run_plain
    scale = max(1.0, abs(float(st.value(st.graph.output))))
    rng = np.random.default_rng(0)
    assert params, "a computation without params checks nothing"
    for name, value in params.items():
        picked = entries(value, rng)
        numeric = central_differences(functools.partial(oracle, path), params, name, picked)
        grad = st.grad(name)
        analytic = (np.zeros(np.shape(value)) if grad is None else grad).reshape(-1)[picked]
        np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=1e-8 * scale,
                                   err_msg=f"{path}: d/d{name} at flat entries {picked.tolist()}")


# ───────────────────────── every file against its own code ─────────────────────────


@pytest.mark.parametrize("path", PLAIN)
def test_forward_value_is_numpys(path):
    st = walked(path)
    np.testing.assert_allclose(st.value(st.graph.output), run_plain(path, {}), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("path", FILES)
def test_gradients_match_central_differences(path):
    assert_gradients_match(path)


@pytest.mark.parametrize("path", ESCAPES)
def test_a_value_leaving_the_graph_is_refused_or_still_differentiated(path):
    """A traced value turned into a plain float must not leave a gradient that misses it, under a ✓."""
    try:
        walked(path)
    except gs.GraphstepError as err:
        assert re.search(rf"{re.escape(Path(path).name)}:\d+", f"{err.source} {err}"), "names the user's line"
        return
    assert_gradients_match(path)


@pytest.mark.parametrize("path", FILES)
def test_values_override_reexecutes_the_forward(path):
    """``Stepper(graph, values=…)`` recomputes the forward from the graph: it equals the code run at those values."""
    st = walked(path)
    rng = np.random.default_rng(1)
    moved = {name: v + 1e-2 * rng.standard_normal(np.shape(v)) for name, v in base_params(path).items()}
    oracle = run_retraced if path in NEEDS_TRACING else run_plain
    value = run_stepper(path, moved)
    np.testing.assert_allclose(value, oracle(path, moved), rtol=1e-10)
    assert value != st.value(st.graph.output)  # the override was used, not the traced values


@pytest.mark.parametrize("path", FILES)
def test_gradcheck_passes(path):
    report = gs.gradcheck(walked(path).graph, max_entries=24)
    assert report.ok, str(report)


@pytest.mark.parametrize("path", FILES)
def test_cli_run_check(path, capsys):
    assert main(["run", path, "--check"]) == 0, capsys.readouterr().err
    assert "gradient check passed" in capsys.readouterr().out


@pytest.mark.parametrize("path", EXPORTED)
def test_cli_export_svg(path, tmp_path):
    out = tmp_path / "graph.svg"
    assert main(["export", path, "-o", str(out)]) == 0
    assert ET.fromstring(out.read_bytes()).tag.endswith("svg")


@pytest.mark.parametrize("path", WALKED_IN_TUI)
async def test_tui_walks_to_the_end_with_the_same_gradients(path):
    from graphstep.tui.app import GraphstepApp

    app = GraphstepApp(path)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()  # the app runs the file off the UI thread
        await pilot.press("e")
        await pilot.pause()
        st = app.session.stepper
        assert st.done
        for name in st.graph.params:
            np.testing.assert_array_equal(st.grad(name), walked(path).grad(name))


# ───────────────────────── what particular files promise ─────────────────────────


def test_accuracy_is_a_plain_value_printed_like_numpys():
    """``np.argmax`` on traced scores and ``f"{loss:.4f}"`` give what the plain-NumPy run prints."""
    path = "tests/realistic/accuracy_argmax.py"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        gs.trace(computation(path))
    with plain_numpy({}) as plain:
        computation(path)()
    expected = plain.getvalue()
    assert printed.getvalue() == expected
    assert re.fullmatch(r"loss \d\.\d{4}  accuracy (0|1)\.\d\d\n", expected)


def test_polynomial_features_has_no_nan_at_the_centre():
    """(x − c)⁰ at x = c: its derivative is 0, so dc is finite and equals the closed form."""
    st = walked("tests/realistic/polynomial_features.py")
    x, y = st.value("x"), st.value("y")
    c, w = st.value("c"), st.value("w")
    assert np.any(x == c)
    r = x - c
    pred = w[0] + w[1] * r + w[2] * r ** 2 + w[3] * r ** 3
    dpred_dc = -(w[1] + 2 * w[2] * r + 3 * w[3] * r ** 2)
    np.testing.assert_allclose(st.grad("c"), np.mean(2 * (pred - y) * dpred_dc), rtol=1e-12)


def test_sgd_loop_unrolls_ten_steps_and_its_hypergradient_is_the_closed_form():
    """xₜ₊₁ = (I − lr·A)xₜ + lr·b, so x₁₀ and d f(x₁₀)/d x₀ = ((I − lr·A)¹⁰)ᵀ(A·x₁₀ − b) in closed form."""
    st = walked("tests/realistic/sgd_loop.py")
    A, b, x0, lr = st.value("A"), st.value("b"), st.value("x0"), float(st.value("lr"))
    M = np.eye(4) - lr * A
    x = x0
    for _ in range(10):
        x = M @ x + lr * b
    np.testing.assert_allclose(st.value(st.graph.output), 0.5 * x @ A @ x - b @ x, rtol=1e-12)
    np.testing.assert_allclose(st.grad("x0"), np.linalg.matrix_power(M, 10).T @ (A @ x - b), rtol=1e-10)


def test_batchnorm_sample_closed_form():
    st = walked("samples/batchnorm.py")
    Z, Z_hat, gamma = st.value("Z"), st.value("Z_hat"), st.value("gamma")
    dY = st.grad("Y")
    sigma = np.sqrt(Z.var(axis=0) + 1e-5)
    dZ = gamma / sigma * (dY - dY.mean(axis=0) - Z_hat * (dY * Z_hat).mean(axis=0))
    np.testing.assert_allclose(st.grad("Z"), dZ, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(st.grad("gamma"), np.sum(dY * Z_hat, axis=0), rtol=1e-12)
    np.testing.assert_allclose(st.grad("beta"), np.sum(dY, axis=0), rtol=1e-12)
    np.testing.assert_allclose(st.grad("W1"), st.value("X").T @ dZ, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(st.grad("b1"), 0.0, atol=1e-15)  # the mean subtraction cancels the bias
    assert np.abs(st.grad("W1")).max() > 1e-3  # …but not the weights


def test_attention_sample_closed_form():
    st = walked("samples/attention.py")
    q, k, v, P = (st.value(n) for n in ("q", "k", "v", "P"))
    dctx, dP, dS = st.grad("ctx"), st.grad("P"), st.grad("scores")
    D = q.shape[-1]
    swap = (0, 1, 3, 2)
    np.testing.assert_allclose(st.grad("v"), P.transpose(swap) @ dctx, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(dP, dctx @ v.transpose(swap), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(dS, P * (dP - np.sum(dP * P, axis=-1, keepdims=True)), rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(dS.sum(axis=-1), 0.0, atol=1e-15)
    np.testing.assert_allclose(st.grad("q"), dS @ k / np.sqrt(D), rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(st.grad("k"), dS.transpose(swap) @ q / np.sqrt(D), rtol=1e-8, atol=1e-15)
    row_max = next(n for n in st.graph.op_nodes if st.graph.node(n).op == "max")
    np.testing.assert_allclose(st.grad(row_max), 0.0, atol=1e-15)  # the stability shift gets no gradient


# ───────────────────────── 0·∞ traps: NaN where PyTorch and JAX give NaN, and the walk says where ─────────────────


@pytest.mark.parametrize(("path", "phase", "op", "line"), [
    # √ of a zero distance on the kernel's diagonal: dk/dr = 0 arrives at √'s infinite slope, 0/0 (PyTorch: NaN)
    ("tests/realistic/nan_traps/gp_matern.py", "backward", "sqrt", 25),
    # the where trap: log(p) at p = 0 is evaluated even in the branch np.where throws away (PyTorch: NaN)
    ("tests/realistic/nan_traps/masked_policy.py", "forward", "log", 31),
])
def test_a_nan_trap_stops_at_its_op_with_the_reason(path, phase, op, line):
    with contextlib.redirect_stdout(io.StringIO()):
        graph = gs.trace(computation(path))
    st = gs.Stepper(graph)
    stop = st.resume()
    assert stop is not None and stop.reason == "nonfinite"
    assert (stop.phase, graph.node(stop.node).op) == (phase, op)
    assert stop.source.endswith(f"{Path(path).name}:{line}") and "zeros" in stop.message
    st.run()
    assert any(np.isnan(st.grad(name)).any() for name in graph.params)  # as PyTorch gives: NaN, not a guess
    assert not gs.gradcheck(graph, max_entries=24).ok  # and the check says so: never NaN beside a ✓
