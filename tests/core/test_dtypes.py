"""dtypes as NumPy 2 and PyTorch keep them: a Python number is "weak" (NEP 50) and takes the other operand's
dtype, so float32 stays float32 through every op's forward, VJP and JVP, the seed, the tangents and the
gradients; a gradient has its input's dtype; a complex param is refused, an integer one converted with a note."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from opcases import CASES

import graphstep as gs
from graphstep import nn
from graphstep.core.ops import OPS

F32 = np.dtype(np.float32)


def as_float32(case):
    """The case's float arguments in float32 (indices, masks and labels keep their dtype)."""
    return [np.asarray(a).astype(np.float32) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in case.args]


# ───────────────────────────── every rule of the table keeps float32 ─────────────────────────────


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_keeps_float32_forward_backward_and_forward_mode(name):
    op = OPS[name]
    for case in CASES[name]:
        xs = as_float32(case)
        kw = {**case.kw, "dtype": "float32"} if name == "astype" else case.kw
        with np.errstate(all="ignore"):
            out = np.asarray(op.forward(*xs, **kw))
            assert out.dtype == F32, f"{name}{case}: forward gave {out.dtype}"
            for k in case.diff:
                extra = {"i": k} if op.variadic else {}
                grad = np.asarray(op.vjp_rule(k)(np.ones(out.shape, F32), out, *xs, **kw, **extra))
                tangent = np.asarray(op.jvp_rule(k)(np.ones(xs[k].shape, F32), out, *xs, **kw, **extra))
                assert grad.dtype == F32, f"{name}{case}: VJP of input {k} gave {grad.dtype}"
                assert tangent.dtype == F32, f"{name}{case}: JVP of input {k} gave {tangent.dtype}"


def test_a_cast_sends_the_gradient_back_in_the_inputs_dtype():
    x = np.array([0.1, 0.2], dtype=np.float32)
    op = OPS["astype"]
    out = op.forward(x, dtype="float64")
    g = np.array([1 / 3, 2 / 3])
    grad = op.vjp[0](g, out, x, dtype="float64")
    assert out.dtype == np.float64 and grad.dtype == F32
    np.testing.assert_array_equal(grad, g.astype(np.float32))
    assert op.jvp[0](x, out, x, dtype="float64").dtype == np.float64


# ───────────────────────────── Python numbers are weak ─────────────────────────────

WEAK = [
    ("w * 2.0", lambda w: w * 2.0),
    ("2.0 * w", lambda w: 2.0 * w),
    ("w / 3", lambda w: w / 3),
    ("w - 1", lambda w: w - 1),
    ("w ** 2", lambda w: w ** 2),
    ("w ** 0.5", lambda w: w ** 0.5),
    ("2.0 ** w", lambda w: 2.0 ** w),
    ("np.maximum(w, 0.0)", lambda w: np.maximum(w, 0.0)),
    ("np.where(mask, w, 0.0)", lambda w: np.where(np.array([True, False, True]), w, 0.0)),
    ("np.clip(w, 0, 1)", lambda w: np.clip(w, 0, 1)),
    ("np.mean(w) * np.pi", lambda w: np.mean(w) * np.pi),
]


@pytest.mark.parametrize(("expr", "fn"), WEAK, ids=[row[0] for row in WEAK])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_python_number_takes_the_other_operands_dtype(expr, fn, dtype):
    graph = gs.trace(fn, np.array([0.5, 1.5, 2.0], dtype=dtype))
    st = gs.Stepper(graph).run()
    for n in graph.order:
        node = graph.node(n)
        assert node.dtype in (np.dtype(dtype).name, "bool"), f"{expr}: {node.name} is {node.dtype}"
    assert st.value(graph.output).dtype == dtype and st.grad("w").dtype == dtype


def test_setitem_of_a_python_number_keeps_float32():
    def f(w):
        w[0] = 2.0
        return np.sum(w * w)

    st = gs.Stepper(gs.trace(f, np.ones(3, np.float32))).run()
    assert st.value(st.graph.output).dtype == F32 and st.grad("w").dtype == F32
    np.testing.assert_array_equal(st.grad("w"), [0.0, 2.0, 2.0])


def test_a_numpy_scalar_is_strong_as_in_numpy_2():
    """np.float64(2) is not a Python number: float32 · float64 scalar is float64 in NumPy 2, and here."""
    graph = gs.trace(lambda w: np.sum(w * np.float64(2.0)), np.ones(3, np.float32))
    assert graph.node(graph.output).dtype == "float64"
    assert (np.ones(3, np.float32) * np.float64(2.0)).dtype == np.float64  # what NumPy itself gives


def test_a_python_number_beside_integers_is_float64_as_before():
    def f(w):
        labels = gs.input(np.array([1, 2, 4]), name="labels")
        return np.sum(w * labels ** -1)  # an int tensor to a negative power: the weak -1 is float64

    graph = gs.trace(f, np.ones(3))
    st = gs.Stepper(graph).run()
    np.testing.assert_allclose(st.grad("w"), [1.0, 0.5, 0.25])


def test_a_python_number_too_large_for_float32_is_inf_as_numpy_gives():
    st = gs.Stepper(gs.trace(lambda w: np.sum(w * 1e300), np.ones(2, np.float32))).run()
    assert st.value(st.graph.output) == np.inf
    with np.errstate(over="ignore"):
        assert (np.ones(2, np.float32) * 1e300).dtype == np.float32  # NumPy 2 overflows in float32 too


# ───────────────────────────── a float32 network, end to end ─────────────────────────────


def mlp(W1, b1, W2):
    X = gs.input(np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3), name="X")
    y = gs.input(np.array([[0.0], [1.0], [1.0], [0.0]], dtype=np.float32), name="y")
    H = np.tanh(X @ W1 + b1) * 0.5 + nn.sigmoid(X @ W1)
    p = nn.sigmoid(H @ W2)
    spread = np.var(H, axis=0).sum() + np.max(H, axis=-1, keepdims=True).mean()
    return np.mean((p - y) ** 2) + 0.1 * np.linalg.norm(W1) + 1e-3 * spread - np.mean(nn.log_sigmoid(H)) / 10


PARAMS = {"W1": np.linspace(-0.5, 0.5, 15).reshape(3, 5), "b1": np.linspace(0.1, 0.3, 5),
          "W2": np.linspace(-1.0, 1.0, 5).reshape(5, 1)}


def test_a_float32_network_is_float32_in_every_value_gradient_and_tangent():
    params32 = [p.astype(np.float32) for p in PARAMS.values()]
    graph = gs.trace(mlp, *params32)
    st = gs.Stepper(graph).run()
    assert st.seed.dtype == F32
    for n in graph.order:
        assert st.value(n).dtype == F32, f"{graph.name_of(n)} is {st.value(n).dtype}"
        grad = st.grad(n)
        assert grad is None or grad.dtype == F32, f"d{graph.name_of(n)} is {grad.dtype}"
    forward = gs.Stepper(graph, mode="forward").run()
    assert forward.tangent().dtype == F32
    # the same network in float64: the float32 numbers are float32 roundings of these
    st64 = gs.Stepper(gs.trace(mlp, *PARAMS.values())).run()
    for name in PARAMS:
        np.testing.assert_allclose(st.grad(name), st64.grad(name), rtol=1e-4, atol=1e-6)


def test_a_float32_param_beside_float64_data_gets_a_float32_gradient():
    """NumPy computes x32 · X64 in float64; the gradient sent back to x is cast to its dtype, as PyTorch's engine."""
    X = np.linspace(0.0, 1.0, 6).reshape(2, 3)

    def f(w):
        return np.sum((X @ w) ** 2)

    st = gs.Stepper(gs.trace(f, np.ones(3, np.float32))).run()
    assert st.value(st.graph.output).dtype == np.float64
    assert st.grad("w").dtype == F32
    np.testing.assert_allclose(st.grad("w"), 2 * X.T @ (X @ np.ones(3)), rtol=1e-6)


def test_a_given_seed_and_tangents_take_the_dtype_of_what_they_stand_for():
    graph = gs.trace(lambda w: w * 3.0, np.ones(2, np.float32))
    st = gs.Stepper(graph, seed=[1.0, 2.0]).run()
    assert st.seed.dtype == F32 and st.grad("w").dtype == F32
    forward = gs.Stepper(graph, mode="forward", tangents={"w": [0.5, 1.0]}).run()
    assert forward.tangent().dtype == F32
    np.testing.assert_array_equal(forward.tangent(), [1.5, 3.0])


def test_float16_params_run_without_a_crash():
    st = gs.Stepper(gs.trace(lambda w: np.mean(np.exp(w) * 0.5), np.ones(4, np.float16))).run()
    assert st.grad("w").dtype == np.float16


# ───────────────────────────── params that are not real floats ─────────────────────────────


def test_a_complex_param_is_refused_naming_it_and_its_line(tmp_path):
    path = tmp_path / "complex_param.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np
        import graphstep as gs

        @gs.computation
        def loss():
            z = gs.param(np.array([1 + 2j, 3 - 1j]), name="z")
            return np.sum(z * z)
    """))
    with pytest.raises(gs.GraphstepError) as err:
        gs.trace(gs.load(str(path)))
    assert "param z is complex" in str(err.value)
    assert err.value.source.endswith("complex_param.py:6")


def test_a_complex_array_passed_to_trace_is_refused():
    with pytest.raises(gs.GraphstepError, match="param z is complex"):
        gs.trace(lambda z: np.sum(z), np.array([1j]))


def test_an_integer_param_becomes_float64_with_a_note():
    with pytest.warns(UserWarning, match="int64 values converted to float64"):
        graph = gs.trace(lambda w: np.sum(w * 2.0), np.array([1, 2, 3]))
    assert graph.node("w").dtype == "float64"
    assert any("converted to float64" in note for note in graph.notes)
    np.testing.assert_array_equal(gs.Stepper(graph).run().grad("w"), [2.0, 2.0, 2.0])
