"""Numbers as PyTorch gives them, end to end through trace and Stepper: no NaN where the maths and PyTorch
give a number (a masked rule meeting an infinite G, σ's tails, log σ), and the stable log σ and softplus.

Every expected number below is what PyTorch 2.13 gives (CPU, float64 unless a test says float32) for the same
expression: ``y = f(x); y.sum().backward()``, pinned here so that the tests do not need torch.
"""

from __future__ import annotations

import numpy as np
import pytest

import graphstep as gs
from graphstep import nn

inf = np.inf


def walk(fn, x, dtype=np.float64):
    """``fn(x)`` (one entry per x) and the gradient of its sum: G = ones, PyTorch's ``y.sum().backward()``."""
    st = gs.Stepper(gs.trace(fn, np.asarray(x, dtype=dtype))).run()
    return st.value(st.graph.output), st.grad("x")


# ───────────────────────────── a masked rule meets an infinite G ─────────────────────────────
# √ at 0 sends G = ∞ back; relu's mask (x > 0) stops it at 0, clip's bound (x ≥ 0, inside) passes it, as PyTorch

MASKED = [
    ("sqrt(relu(x))", lambda x: np.sqrt(nn.relu(x)), [-1.0, 0.0, 4.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.25]),
    ("sqrt(clip(x, 0))", lambda x: np.sqrt(np.clip(x, 0, None)), [-1.0, 0.0, 4.0], [0.0, 0.0, 2.0],
     [0.0, inf, 0.25]),
    ("sqrt(clip(x, 0, 1))", lambda x: np.sqrt(np.clip(x, 0, 1)), [-1.0, 0.0, 0.25, 1.0, 4.0],
     [0.0, 0.0, 0.5, 1.0, 1.0], [0.0, inf, 1.0, 0.5, 0.0]),
    ("log(relu(x))", lambda x: np.log(nn.relu(x)), [-1.0, 0.0, 4.0], [-inf, -inf, np.log(4.0)], [0.0, 0.0, 0.25]),
    ("x ** 0", lambda x: x ** 0, [-1.0, 0.0, -0.0, 4.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]),
    ("x ** 0.0", lambda x: x ** 0.0, [-1.0, 0.0, 4.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize(("expr", "fn", "x", "value", "grad"), MASKED, ids=[row[0] for row in MASKED])
def test_a_mask_stops_an_infinite_gradient_as_pytorch(expr, fn, x, value, grad):
    got_value, got_grad = walk(fn, x)
    np.testing.assert_array_equal(got_value, value, err_msg=expr)
    np.testing.assert_array_equal(got_grad, grad, err_msg=expr)


# ───────────────────────────── σ and log σ in the tails ─────────────────────────────

X = [-100.0, -50.0, -38.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0]

SIGMOID = [3.7200759760208356e-44, 1.928749847963918e-22, 3.1391327920480296e-17, 2.0611536181902037e-09,
           0.2689414213699951, 0.5, 0.7310585786300049, 0.9999999979388463, 1.0]
SIGMOID_GRAD = [3.7200759760208356e-44, 1.928749847963918e-22, 3.1391327920480296e-17, 2.0611536139418496e-09,
                0.19661193324148185, 0.25, 0.19661193324148185, 2.0611536879193953e-09, 0.0]
LOG_OF_SIGMOID = [-100.0, -50.0, -38.0, -20.000000002061153, -1.3132616875182228, -0.6931471805599453,
                  -0.3132616875182228, -2.0611536942919273e-09, 0.0]
LOG_OF_SIGMOID_GRAD = [1.0, 1.0, 1.0, 0.9999999979388463, 0.7310585786300049, 0.5, 0.2689414213699951,
                       2.06115369216775e-09, 0.0]
# F.logsigmoid and F.softplus
LOGSIGMOID = [-100.0, -50.0, -38.0, -20.000000002061153, -1.3132616875182228, -0.6931471805599453,
              -0.31326168751822286, -2.061153620314381e-09, -1.9287498479639178e-22]
LOGSIGMOID_GRAD = [1.0, 1.0, 1.0, 0.9999999979388464, 0.7310585786300049, 0.5, 0.2689414213699951,
                   2.0611536181902033e-09, 1.9287498479639178e-22]
SOFTPLUS = [3.720075976020836e-44, 1.9287498479639178e-22, 3.1391327920480296e-17, 2.061153620314381e-09,
            0.31326168751822286, 0.6931471805599453, 1.3132616875182228, 20.000000002061153, 50.0]
SOFTPLUS_GRAD = [3.720075976020836e-44, 1.9287498479639178e-22, 3.1391327920480296e-17, 2.0611536181902033e-09,
                 0.2689414213699951, 0.5, 0.7310585786300049, 0.9999999979388464, 1.0]

TAILS = [
    ("sigmoid", nn.sigmoid, SIGMOID, SIGMOID_GRAD),
    ("log(sigmoid)", lambda x: np.log(nn.sigmoid(x)), LOG_OF_SIGMOID, LOG_OF_SIGMOID_GRAD),
    ("log_sigmoid", nn.log_sigmoid, LOGSIGMOID, LOGSIGMOID_GRAD),
    ("softplus", nn.softplus, SOFTPLUS, SOFTPLUS_GRAD),
]


@pytest.mark.parametrize(("expr", "fn", "value", "grad"), TAILS, ids=[row[0] for row in TAILS])
def test_sigmoid_family_gives_pytorchs_numbers_far_into_the_tails(expr, fn, value, grad):
    got_value, got_grad = walk(fn, X)
    # the last bit may differ (PyTorch's kernels round a step differently): 2 ulp
    np.testing.assert_allclose(got_value, value, rtol=5e-16, atol=0, err_msg=expr)
    np.testing.assert_allclose(got_grad, grad, rtol=5e-16, atol=0, err_msg=expr)


def test_log_of_sigmoid_is_minus_x_with_slope_one_below_minus_38():
    """σ was 0.5·(tanh(x/2) + 1), exactly 0 below −38: log σ was −∞ and its gradient NaN (the issue's case)."""
    value, grad = walk(lambda x: np.log(nn.sigmoid(x)), [-40.0, -300.0, -700.0])
    np.testing.assert_allclose(value, [-40.0, -300.0, -700.0], rtol=1e-15)
    np.testing.assert_array_equal(grad, [1.0, 1.0, 1.0])


def test_log_sigmoid_and_softplus_stay_finite_where_sigmoid_underflows():
    value, grad = walk(nn.log_sigmoid, [-800.0, 800.0])
    np.testing.assert_array_equal(value, [-800.0, 0.0])
    np.testing.assert_array_equal(grad, [1.0, 0.0])
    value, grad = walk(nn.softplus, [-800.0, 800.0])
    np.testing.assert_array_equal(value, [0.0, 800.0])
    np.testing.assert_array_equal(grad, [0.0, 1.0])


def test_log_sigmoid_is_minus_softplus_of_minus_x():
    x = np.linspace(-30.0, 30.0, 13)
    value, _ = walk(nn.log_sigmoid, x)
    np.testing.assert_allclose(value, -np.logaddexp(0.0, -x), rtol=1e-15)


# float32: PyTorch 2.13's numbers in float32
LOGSIGMOID_32 = [-100.0, -50.0, -38.0, -20.0, -1.3132617473602295, -0.6931471824645996, -0.3132616877555847,
                 -2.06115369216775e-09, -1.9287498933537385e-22]
LOGSIGMOID_GRAD_32 = [1.0, 1.0, 1.0, 1.0, 0.7310585975646973, 0.5, 0.2689414322376251, 2.06115369216775e-09,
                      1.9287498933537385e-22]


def test_log_sigmoid_in_float32_gives_pytorchs_float32_numbers():
    value, grad = walk(nn.log_sigmoid, X, dtype=np.float32)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    np.testing.assert_allclose(value, LOGSIGMOID_32, rtol=2e-7)
    np.testing.assert_allclose(grad, LOGSIGMOID_GRAD_32, rtol=2e-7)
