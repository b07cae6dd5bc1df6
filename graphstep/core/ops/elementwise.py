"""Provides the elementwise primitives: binary ops that broadcast, and unary functions.

An elementwise function has a diagonal Jacobian, so one rule, linear in its first
argument, is both its JVP (applied to a tangent) and its VJP (applied to G; a
broadcast input then sums G back to its own shape).

Edge cases: where a rule meets 0·∞ or 0/0 (a kink, the end of a domain, a tie, a
NaN), it gives what PyTorch and JAX give; where the two differ, PyTorch's answer,
and a comment says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .table import (
    ARRAY_TYPES,
    broadcast_index,
    defop,
    fitted_unbroadcast,
    float_dtype,
    masked,
    safe_divide,
    shape_broadcast,
    shape_same,
    unbroadcast,
    writes_into,
)

LN2, LN10 = math.log(2.0), math.log(10.0)  # Python floats: weak (NEP 50), so float32 stays float32


def _unary(name: str, forward: Callable, rule: Callable, fwd: str, bwd: str, **kw) -> None:
    """An elementwise function: ``rule(g, out, x)`` scales G (or a tangent) by the slope at x."""
    defop(name, forward, rule, rule, shape_same, fwd, bwd, **kw)


def _binary(name: str, forward: Callable, rule_x: Callable, rule_y: Callable, fwd: str, bwd: tuple[str, str],
            **kw) -> None:
    """A broadcasting binary function: ``rule_i(g, out, x, y)`` scales G by ∂out/∂input i; as a VJP the
    product is summed back over the axes broadcasting added to that input."""
    vjp_x = lambda g, out, x, y: unbroadcast(rule_x(g, out, x, y), x.shape)  # noqa: E731
    vjp_y = lambda g, out, x, y: unbroadcast(rule_y(g, out, x, y), y.shape)  # noqa: E731
    vjp_x.fit, vjp_y.fit = fitted_unbroadcast(rule_x, 0), fitted_unbroadcast(rule_y, 1)
    defop(name, forward, (vjp_x, vjp_y), (rule_x, rule_y), shape_broadcast, fwd, bwd, **kw)


# ───────────────────────────── arithmetic ─────────────────────────────


def _multiply_entry(k, j, i, shapes):
    """∂(x⊙y)[j]/∂x[i] is y's entry that broadcasting reads for j (and the other way round)."""
    return 1 - k, broadcast_index(j, shapes[1 - k])


_binary("add", np.add, lambda g, out, x, y: g, lambda g, out, x, y: g,
        "{y} = {0} + {1}", ("d{0} = G", "d{1} = G"),
        infix="+", symbol="+", saves="", numpy="add", operator="+", linear="inputs",
        why="∂(x+y)/∂x = ∂(x+y)/∂y = 1: G passes to both unchanged; an input broadcast along an axis sums G "
            "over it")
_binary("subtract", np.subtract, lambda g, out, x, y: g, lambda g, out, x, y: -g,
        "{y} = {0} − {1}", ("d{0} = G", "d{1} = −G"),
        infix="−", symbol="−", saves="", numpy="subtract", operator="-", linear="inputs",
        why="∂(x−y)/∂x = 1 and ∂(x−y)/∂y = −1: G to x, −G to y (summed over any axis broadcasting added)")
_binary("multiply", np.multiply, lambda g, out, x, y: g * y, lambda g, out, x, y: g * x,
        "{y} = {0} ⊙ {1}", ("d{0} = G ⊙ {1}", "d{1} = G ⊙ {0}"),
        infix="⊙", symbol="×", numpy="multiply", operator="*", linear="first", jacobian_entry=_multiply_entry,
        why="∂(x⊙y)/∂x = y entry by entry: each input's gradient is G times the other input")
# d(x/y)/dy = −(x/y)/y, PyTorch's form: 0 wherever x == 0 and y ≠ 0, while JAX's −x/y² is 0/0 = NaN
# once y² underflows (y = 1e-200).  G·(out/y), not (G·out)/y: G = 0 against an infinite slope is
# 0·∞ = NaN, as in both
_binary("divide", np.divide, lambda g, out, x, y: g / y, lambda g, out, x, y: -g * (out / y),
        "{y} = {0} / {1}", ("d{0} = G / {1}", "d{1} = −G ⊙ {y} / {1}"),
        infix="/", symbol="÷", saves="both", numpy=("divide", "true_divide"), operator="/", linear="first",
        why="∂(x/y)/∂x = 1/y and ∂(x/y)/∂y = −x/y² (the quotient rule), entry by entry")


def _power_dx(g, x, p):
    """G·p·x^(p−1), and 0 where p == 0: x⁰ is the constant 1, even at x = 0 and whatever G is.

    At x = 0 the slope is ∞ for 0 < p < 1 (√x), 1 for p = 1 (0⁰ = 1) and 0 for p > 1, as in
    PyTorch and JAX.  For p == 0 PyTorch gives 0 (even for G = ∞ or NaN) and JAX's general
    ``pow`` gives 0·∞ = NaN (its ``x ** 0`` with a literal int gives 0): PyTorch's 0.
    """
    if (p.ndim if isinstance(p, ARRAY_TYPES) else np.ndim(p)) == 0:  # np.ndim: a dispatch
        if p == 2:  # the common case needs no pow
            return g * (2.0 * x)
        if p == 0:
            return np.zeros(np.broadcast_shapes(np.shape(g), np.shape(x)), dtype=float_dtype(g, x))
        return g * (p * x ** (p - 1))
    return np.where(p == 0, 0.0, g * (p * x ** np.where(p == 0, 1.0, p - 1)))


def _power_log(out, x, p):
    """d(x^p)/dp = x^p·log x; 0 where x == 0 and p ≥ 0 (the limit), NaN for x < 0, as in PyTorch.

    At x == 0 with p < 0 it is ∞·(−∞) = −∞, PyTorch's value (JAX gives NaN).  Unlike the base's
    rule, this slope is masked before G multiplies it, so G = ∞ meets the 0 as NaN, as in PyTorch.
    """
    at_zero = (x == 0) & (p >= 0)
    with np.errstate(invalid="ignore"):
        return np.where(at_zero, 0.0, out * np.log(np.where(at_zero, 1.0, x)))


_binary("power", np.power, lambda g, out, x, p: _power_dx(g, x, p), lambda g, out, x, p: g * _power_log(out, x, p),
        "{y} = {0}^{1}", ("d{0} = G ⊙ {1}·{0}^({1}−1)", "d{1} = G ⊙ {y}·log {0}"),
        infix="^", symbol="**", saves="both", numpy=("power", "pow"), operator="**",
        why="∂(xᵖ)/∂x = p·xᵖ⁻¹ and ∂(xᵖ)/∂p = xᵖ·ln x")


def _atan2_share(a, x1, x2):
    """a / (x1² + x2²), as (a/h)/h with h = hypot(x1, x2) so the squares neither overflow nor underflow.

    0 at the origin, as PyTorch (JAX gives NaN).  Where x1² + x2² underflows (|x| ~ 1e-200)
    or overflows (|x| ~ 1e200) PyTorch gives 0; this gives the true, finite slope.
    """
    h = np.hypot(x1, x2)
    return safe_divide(safe_divide(a, h), h)


_binary("arctan2", np.arctan2,
        lambda g, out, x1, x2: g * _atan2_share(x2, x1, x2), lambda g, out, x1, x2: -g * _atan2_share(x1, x1, x2),
        "{y} = arctan2({0}, {1})", ("d{0} = G ⊙ {1} / ({0}² + {1}²)", "d{1} = −G ⊙ {0} / ({0}² + {1}²)"),
        numpy=("arctan2", "atan2"),
        why="arctan2(y, x) is the angle of (x, y): ∂/∂y = x/(x²+y²), ∂/∂x = −y/(x²+y²)")
# ∂hypot/∂x = x / hypot: x/out first, so g·x cannot overflow.  At the origin it is 0/0 = NaN, as in
# PyTorch (JAX gives ½ to each input)
_binary("hypot", np.hypot, lambda g, out, x, y: g * (x / out), lambda g, out, x, y: g * (y / out),
        "{y} = √({0}² + {1}²)", ("d{0} = G ⊙ {0} / {y}", "d{1} = G ⊙ {1} / {y}"), saves="both", numpy="hypot",
        why="hypot = √(x²+y²): ∂/∂x = x/hypot, ∂/∂y = y/hypot")


def _sigmoid(x):
    """σ(x) = 1 / (1 + e^−x), computed from e^−|x| ≤ 1: nothing overflows, and below 0 it is e^x / (1 + e^x),
    so far out it keeps its digits (σ(−50) = 1.9e−22, not 0) and log σ(x) stays ≈ x, as PyTorch's sigmoid."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def _softmax_weight(x, y):
    """e^x / (e^x + e^y) = σ(x − y): the share of logaddexp's G that goes to x.

    1 and 0 when one input is +∞ and the other finite (as PyTorch; JAX gives e), NaN when
    both are the same infinity (as both).
    """
    return _sigmoid(x - y)


_binary("logaddexp", np.logaddexp,
        lambda g, out, x, y: g * _softmax_weight(x, y), lambda g, out, x, y: g * _softmax_weight(y, x),
        "{y} = log(e^{0} + e^{1})", ("d{0} = G ⊙ e^({0} − {y})", "d{1} = G ⊙ e^({1} − {y})"), numpy="logaddexp",
        why="log(eˣ + eʸ): ∂/∂x = eˣ/(eˣ+eʸ), a softmax weight of the two")


# ───────────────────────────── selections ─────────────────────────────


def _select(g, x, y, larger: bool):
    """The part of G that max/min sends to x: all of it where x was chosen, half at a tie (PyTorch, JAX).

    Exactly 0 where x lost, even for G = ∞ or NaN (PyTorch; JAX's 0·∞ is NaN).  Where a NaN
    makes both comparisons false, PyTorch sends G to both inputs and JAX to neither: PyTorch's.
    """
    beaten = (x < y) if larger else (x > y)
    return np.where(beaten, 0.0, np.where(x == y, 0.5 * g, g))


def _defselect(name: str, forward: Callable, larger: bool, cmp: str, why: str) -> None:
    """maximum/minimum: G flows to the argument that was chosen."""
    _binary(name, forward,
            lambda g, out, x, y: _select(g, x, y, larger), lambda g, out, x, y: _select(g, y, x, larger),
            f"{{y}} = {name[:3]}({{0}}, {{1}})",
            (f"d{{0}} = G ⊙ [{{0}} {cmp} {{1}}]", f"d{{1}} = G ⊙ [{{1}} {cmp} {{0}}]"),
            symbol=name[:3], numpy=name, why=why)


def _select_number(g, x, y, larger: bool, first: bool):
    """The part of G that fmax/fmin sends to x (``first``) or to y.

    A NaN is ignored: G goes to the other input, and to x when both are NaN (PyTorch and
    JAX).  Otherwise as maximum/minimum; at a tie the two differ (PyTorch sends G to x, JAX
    to y), and half each, their average, keeps fmax's gradient equal to maximum's.
    """
    mine, other = (x, y) if first else (y, x)
    nan_wins = np.isnan(y) if first else np.isnan(x) & ~np.isnan(y)  # where G goes to x or y alone
    nan_loses = np.isnan(mine) & ~nan_wins
    return np.where(nan_wins, g, np.where(nan_loses, 0.0, _select(g, mine, other, larger)))


def _defselect_number(name: str, forward: Callable, larger: bool, cmp: str, why: str) -> None:
    """fmax/fmin: maximum/minimum that return the number when one input is NaN."""
    _binary(name, forward,
            lambda g, out, x, y: _select_number(g, x, y, larger, True),
            lambda g, out, x, y: _select_number(g, x, y, larger, False),
            f"{{y}} = {name}({{0}}, {{1}})",
            (f"d{{0}} = G ⊙ [{{0}} {cmp} {{1}} or {{1}} is NaN]",
             f"d{{1}} = G ⊙ [{{1}} {cmp} {{0}} or {{0}} alone is NaN]"),
            numpy=name, why=why)


_defselect("maximum", np.maximum, True, ">",
           why="maximum picks one input per entry: G goes to the one picked (half each at a tie)")
_defselect("minimum", np.minimum, False, "<",
           why="minimum picks one input per entry: G goes to the one picked (half each at a tie)")
_defselect_number("fmax", np.fmax, True, ">",
                  why="as maximum, but a NaN is ignored: G goes to the number")
_defselect_number("fmin", np.fmin, False, "<",
                  why="as minimum, but a NaN is ignored: G goes to the number")


# ───────────────────────────── exponentials and logarithms ─────────────────────────────
# at x = 0 the logarithms' slopes are G/0 = ±∞ (a log of a 0/1 mask), as in PyTorch and JAX

_unary("exp", np.exp, lambda g, out, x: g * out, "{y} = exp {0}", "d{0} = G ⊙ {y}", saves="out", numpy="exp",
       why="∂eˣ/∂x = eˣ: the slope is the output itself, so backward reads the output")
_unary("exp2", np.exp2, lambda g, out, x: g * (out * LN2), "{y} = 2^{0}", "d{0} = G ⊙ {y}·ln 2",
       saves="out", numpy="exp2",
       why="∂2ˣ/∂x = 2ˣ·ln 2")
_unary("expm1", np.expm1, lambda g, out, x: g * (out + 1.0), "{y} = exp {0} − 1", "d{0} = G ⊙ ({y} + 1)",
       saves="out", numpy="expm1",
       why="∂(eˣ − 1)/∂x = eˣ = output + 1")
_unary("log", np.log, lambda g, out, x: g / x, "{y} = log {0}", "d{0} = G / {0}", numpy="log",
       why="∂ln x/∂x = 1/x")
_unary("log2", np.log2, lambda g, out, x: g / (x * LN2), "{y} = log₂ {0}", "d{0} = G / ({0}·ln 2)", numpy="log2",
       why="∂log₂x/∂x = 1/(x·ln 2)")
_unary("log10", np.log10, lambda g, out, x: g / (x * LN10), "{y} = log₁₀ {0}", "d{0} = G / ({0}·ln 10)",
       numpy="log10",
       why="∂log₁₀x/∂x = 1/(x·ln 10)")
_unary("log1p", np.log1p, lambda g, out, x: g / (1.0 + x), "{y} = log(1 + {0})", "d{0} = G / (1 + {0})",
       numpy="log1p",
       why="∂ln(1+x)/∂x = 1/(1+x)")


# ───────────────────────────── powers and roots ─────────────────────────────
# at x = 0: √ and ∛ have slope G/0 = ±∞ and 1/x has −G·∞², as in PyTorch and JAX

_unary("sqrt", np.sqrt, lambda g, out, x: g / (2.0 * out), "{y} = √{0}", "d{0} = G / (2·{y})",
       saves="out", numpy="sqrt",
       why="∂√x/∂x = 1/(2√x): the output itself is reused")
_unary("cbrt", np.cbrt, lambda g, out, x: g / (3.0 * out * out), "{y} = ∛{0}", "d{0} = G / (3·{y}²)",
       saves="out", numpy="cbrt",
       why="∂∛x/∂x = 1/(3·∛x²): the output itself is reused")
_unary("square", np.square, lambda g, out, x: g * (2.0 * x), "{y} = {0}²", "d{0} = G ⊙ 2{0}", numpy="square",
       why="∂(x²)/∂x = 2x")
_unary("reciprocal", np.reciprocal, lambda g, out, x: -g * (out * out), "{y} = 1 / {0}", "d{0} = −G ⊙ {y}²",
       saves="out", numpy="reciprocal",
       why="∂(1/x)/∂x = −1/x²")


# ───────────────────────────── signs ─────────────────────────────

_unary("negative", np.negative, lambda g, out, x: -g, "{y} = −{0}", "d{0} = −G", symbol="−", saves="",
       numpy="negative", linear="inputs",
       why="∂(−x)/∂x = −1: G comes back with its sign flipped")
_unary("positive", np.positive, lambda g, out, x: g, "{y} = +{0}", "d{0} = G", saves="", numpy="positive",
       linear="inputs",
       why="+x is x: G passes through")
# sign 0 at the kink: PyTorch's subgradient (JAX gives 1)
_unary("abs", np.abs, lambda g, out, x: g * np.sign(x), "{y} = |{0}|", "d{0} = G ⊙ sign {0}",
       numpy=("abs", "absolute"),
       why="∂|x|/∂x = sign x (0 at 0, as NumPy's sign)")


# ───────────────────────────── trigonometric and hyperbolic ─────────────────────────────
# 1 − x² as (1 − x)(1 + x): exact near ±1, where arcsin, arccos and arctanh reach slope ±∞ (PyTorch, JAX)


def _one_minus_square(x):
    return (1.0 - x) * (1.0 + x)


_unary("sin", np.sin, lambda g, out, x: g * np.cos(x), "{y} = sin {0}", "d{0} = G ⊙ cos {0}", numpy="sin",
       why="∂sin x/∂x = cos x")
_unary("cos", np.cos, lambda g, out, x: -g * np.sin(x), "{y} = cos {0}", "d{0} = −G ⊙ sin {0}", numpy="cos",
       why="∂cos x/∂x = −sin x")
_unary("tan", np.tan, lambda g, out, x: g * (1.0 + out * out), "{y} = tan {0}", "d{0} = G ⊙ (1 + {y}²)",
       saves="out", numpy="tan",
       why="∂tan x/∂x = 1 + tan²x: the output reused")
_unary("arcsin", np.arcsin, lambda g, out, x: g / np.sqrt(_one_minus_square(x)), "{y} = arcsin {0}",
       "d{0} = G / √(1 − {0}²)", numpy=("arcsin", "asin"),
       why="∂arcsin x/∂x = 1/√(1 − x²)")
_unary("arccos", np.arccos, lambda g, out, x: -g / np.sqrt(_one_minus_square(x)), "{y} = arccos {0}",
       "d{0} = −G / √(1 − {0}²)", numpy=("arccos", "acos"),
       why="∂arccos x/∂x = −1/√(1 − x²)")
_unary("arctan", np.arctan, lambda g, out, x: g / (1.0 + x * x), "{y} = arctan {0}", "d{0} = G / (1 + {0}²)",
       numpy=("arctan", "atan"),
       why="∂arctan x/∂x = 1/(1 + x²)")
_unary("sinh", np.sinh, lambda g, out, x: g * np.cosh(x), "{y} = sinh {0}", "d{0} = G ⊙ cosh {0}", numpy="sinh",
       why="∂sinh x/∂x = cosh x")
_unary("cosh", np.cosh, lambda g, out, x: g * np.sinh(x), "{y} = cosh {0}", "d{0} = G ⊙ sinh {0}", numpy="cosh",
       why="∂cosh x/∂x = sinh x")
_unary("tanh", np.tanh, lambda g, out, x: g * (1.0 - out * out), "{y} = tanh {0}", "d{0} = G ⊙ (1 − {y}²)",
       saves="out", numpy="tanh",
       why="tanh′ = 1 − tanh²: the slope comes from the output, which backward keeps")
# √(x² + 1) as hypot(x, 1) and √(x² − 1) as √(x − 1)·√(x + 1): exact near 1, and the true slope ~1/|x|
# where x² overflows (PyTorch and JAX give 0 there)
_unary("arcsinh", np.arcsinh, lambda g, out, x: g / np.hypot(x, 1.0), "{y} = arcsinh {0}",
       "d{0} = G / √({0}² + 1)", numpy=("arcsinh", "asinh"),
       why="∂arsinh x/∂x = 1/√(x² + 1)")
_unary("arccosh", np.arccosh, lambda g, out, x: g / (np.sqrt(x - 1.0) * np.sqrt(x + 1.0)), "{y} = arccosh {0}",
       "d{0} = G / √({0}² − 1)", numpy=("arccosh", "acosh"),
       why="∂arcosh x/∂x = 1/√(x² − 1)")
_unary("arctanh", np.arctanh, lambda g, out, x: g / _one_minus_square(x), "{y} = arctanh {0}",
       "d{0} = G / (1 − {0}²)", numpy=("arctanh", "atanh"),
       why="∂artanh x/∂x = 1/(1 − x²)")


# ───────────────────────────── activations ─────────────────────────────


# σ's slope from its output, as PyTorch: exactly 0 once σ(x) rounds to 1 (x > 37 in float64)
_unary("sigmoid", _sigmoid, lambda g, out, x: g * out * (1.0 - out), "{y} = σ({0})", "d{0} = G ⊙ {y}(1 − {y})",
       saves="out",
       why="σ′ = σ(1 − σ): the slope comes from the output")


def _log_sigmoid(x):
    """log σ(x) = min(x, 0) − log(1 + e^−|x|): x itself far below 0, never log 0 = −∞ (PyTorch's logsigmoid)."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def _softplus(x):
    """log(1 + e^x) = max(x, 0) + log(1 + e^−|x|), overflow-free.  PyTorch's softplus returns x itself above
    x = 20, off by less than e^−20 ≈ 2e−9 (in float32 not at all); this is the exact value."""
    return np.logaddexp(0.0, x)


# the slopes σ(−x) and σ(x) from x, so that far out they are e^x, not 1 − 1 = 0 or 0·∞
_unary("log_sigmoid", _log_sigmoid, lambda g, out, x: g * _sigmoid(-x), "{y} = log σ({0})", "d{0} = G ⊙ σ(−{0})",
       why="log σ(x) has slope 1 − σ(x) = σ(−x)")
_unary("softplus", _softplus, lambda g, out, x: g * _sigmoid(x), "{y} = log(1 + e^{0})", "d{0} = G ⊙ σ({0})",
       why="softplus = log(1 + eˣ), whose slope is the sigmoid σ(x)")


@writes_into
def _relu(x, into=None):
    return np.maximum(x, 0.0, out=into)


@writes_into
def _relu_rule(g, out, x, into=None):
    """G where x > 0, else exactly 0: slope 0 at the kink, and 0 (not 0·∞) for G = ∞ or NaN (PyTorch and JAX)."""
    return masked(g, x > 0, into)


_unary("relu", _relu, _relu_rule, "{y} = relu {0}", "d{0} = G ⊙ [{0} > 0]",
       why="relu′ = 1 where x > 0, else 0: G passes only where the unit was on")


# ───────────────────────────── clip and where ─────────────────────────────


def _clip(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


def _inside(x, lo, hi):
    """Where clip passes x through; a bound counts as inside: slope 1 there, as PyTorch (JAX gives ½)."""
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside


def _clip_bind(a, a_min=None, a_max=None, *, min=None, max=None):  # noqa: A002 - NumPy's names
    return (a,), {"lo": a_min if min is None else min, "hi": a_max if max is None else max}


def _clip_method(a, min=None, max=None):  # noqa: A002 - NumPy's names
    return (a,), {"lo": min, "hi": max}


def _clip_rule(g, out, x, lo=None, hi=None):
    """G inside the bounds, else exactly 0, also for G = ∞ or NaN (PyTorch; JAX's 0·∞ is NaN)."""
    return masked(g, _inside(x, lo, hi))


defop("clip", _clip, _clip_rule, _clip_rule,
      shape_same, "{y} = clip({0}, lo, hi)", "d{0} = G ⊙ [lo ≤ {0} ≤ hi]", kwargs=("lo", "hi"),
      numpy={"clip": _clip_bind}, methods={"clip": _clip_method},
      why="clip is x inside the bounds and a constant outside: G passes where x was inside")


def _where_vjp(pick_true: bool):
    def rule(g, out, c, x, y):
        target = x if pick_true else y
        return unbroadcast(np.where(c, g, 0.0) if pick_true else np.where(c, 0.0, g), np.shape(target))
    return rule


# np.where, not G·[c]: the branch not taken gets exactly 0 even where G is ±∞ or NaN
defop("where", np.where, (None, _where_vjp(True), _where_vjp(False)),
      (None, lambda t, out, c, x, y: np.where(c, t, 0.0), lambda t, out, c, x, y: np.where(c, 0.0, t)),
      shape_broadcast, "{y} = where({0}, {1}, {2})",
      ("", "d{1} = G ⊙ [{0}]", "d{2} = G ⊙ [¬{0}]"), saves="inputs", numpy="where",
      why="where(c, x, y) picks x or y per entry: G goes to the one picked, 0 to the other")
