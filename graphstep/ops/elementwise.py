"""Provides the elementwise primitives: binary ops that broadcast, and unary functions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .table import (
    defop,
    shape_broadcast,
    shape_same,
    unbroadcast,
)

# ───────────────────────────── elementwise binary ─────────────────────────────

defop("add", np.add,
      (lambda g, out, x, y: unbroadcast(g, x.shape), lambda g, out, x, y: unbroadcast(g, y.shape)),
      (lambda t, out, x, y: t, lambda t, out, x, y: t),
      shape_broadcast, "{y} = {0} + {1}", ("d{0} = G", "d{1} = G"),
      infix="+", symbol="+", saves="", numpy="add", operator="+")
defop("subtract", np.subtract,
      (lambda g, out, x, y: unbroadcast(g, x.shape), lambda g, out, x, y: unbroadcast(-g, y.shape)),
      (lambda t, out, x, y: t, lambda t, out, x, y: -t),
      shape_broadcast, "{y} = {0} − {1}", ("d{0} = G", "d{1} = −G"),
      infix="−", symbol="−", saves="", numpy="subtract", operator="-")
defop("multiply", np.multiply,
      (lambda g, out, x, y: unbroadcast(g * y, x.shape), lambda g, out, x, y: unbroadcast(g * x, y.shape)),
      (lambda t, out, x, y: t * y, lambda t, out, x, y: x * t),
      shape_broadcast, "{y} = {0} ⊙ {1}", ("d{0} = G ⊙ {1}", "d{1} = G ⊙ {0}"),
      infix="⊙", symbol="×", numpy="multiply", operator="*")
defop("divide", np.divide,
      (lambda g, out, x, y: unbroadcast(g / y, x.shape),
       lambda g, out, x, y: unbroadcast(-g * out / y, y.shape)),
      (lambda t, out, x, y: t / y, lambda t, out, x, y: -t * out / y),
      shape_broadcast, "{y} = {0} / {1}", ("d{0} = G / {1}", "d{1} = −G ⊙ {y} / {1}"),
      infix="/", symbol="÷", saves="both", numpy=("divide", "true_divide"), operator="/")


def _power_slope(x, p):
    """d(x^p)/dx = p·x^(p−1), and 0 where p == 0: x⁰ is the constant 1, even at x = 0 (PyTorch, JAX)."""
    if np.ndim(p) == 0:
        if p == 2:  # the common case needs no pow
            return 2.0 * x
        return np.zeros(np.shape(x)) if p == 0 else p * x ** (p - 1)
    return np.where(p == 0, 0.0, p * x ** np.where(p == 0, 1.0, p - 1))


def _power_log(out, x, p):
    """d(x^p)/dp = x^p·log x; 0 where x == 0 and p ≥ 0 (the limit), NaN for x < 0 as in PyTorch."""
    at_zero = (x == 0) & (p >= 0)
    with np.errstate(invalid="ignore"):
        return np.where(at_zero, 0.0, out * np.log(np.where(at_zero, 1.0, x)))


defop("power", np.power,
      (lambda g, out, x, p: unbroadcast(g * _power_slope(x, p), x.shape),
       lambda g, out, x, p: unbroadcast(g * _power_log(out, x, p), np.shape(p))),
      (lambda t, out, x, p: t * _power_slope(x, p), lambda t, out, x, p: t * _power_log(out, x, p)),
      shape_broadcast, "{y} = {0}^{1}", ("d{0} = G ⊙ {1}·{0}^({1}−1)", "d{1} = G ⊙ {y}·log {0}"),
      infix="^", symbol="**", saves="both", numpy="power", operator="**")


def _select(x, y, larger: bool):
    """Where max/min chose x; ties split the gradient equally, as in JAX."""
    return np.where(x == y, 0.5, (x > y) if larger else (x < y))


def _defselect(name: str, forward: Callable, larger: bool, cmp: str) -> None:
    """maximum/minimum: G flows to the argument that was chosen."""
    defop(name, forward,
          (lambda g, out, x, y: unbroadcast(g * _select(x, y, larger), x.shape),
           lambda g, out, x, y: unbroadcast(g * _select(y, x, larger), y.shape)),
          (lambda t, out, x, y: t * _select(x, y, larger),
           lambda t, out, x, y: t * _select(y, x, larger)),
          shape_broadcast, f"{{y}} = {name[:3]}({{0}}, {{1}})",
          (f"d{{0}} = G ⊙ [{{0}} {cmp} {{1}}]", f"d{{1}} = G ⊙ [{{1}} {cmp} {{0}}]"), symbol=name[:3], numpy=name)


_defselect("maximum", np.maximum, True, ">")
_defselect("minimum", np.minimum, False, "<")


# ───────────────────────────── elementwise unary ─────────────────────────────

defop("negative", np.negative, lambda g, out, x: -g, lambda t, out, x: -t,
      shape_same, "{y} = −{0}", "d{0} = −G", symbol="−", saves="", numpy="negative")
defop("exp", np.exp, lambda g, out, x: g * out, lambda t, out, x: t * out,
      shape_same, "{y} = exp {0}", "d{0} = G ⊙ {y}", saves="out", numpy="exp")
defop("log", np.log, lambda g, out, x: g / x, lambda t, out, x: t / x,
      shape_same, "{y} = log {0}", "d{0} = G / {0}", numpy="log")
defop("tanh", np.tanh, lambda g, out, x: g * (1.0 - out * out), lambda t, out, x: t * (1.0 - out * out),
      shape_same, "{y} = tanh {0}", "d{0} = G ⊙ (1 − {y}²)", saves="out", numpy="tanh")
defop("sqrt", np.sqrt, lambda g, out, x: g / (2.0 * out), lambda t, out, x: t / (2.0 * out),
      shape_same, "{y} = √{0}", "d{0} = G / (2·{y})", saves="out", numpy="sqrt")
defop("abs", np.abs, lambda g, out, x: g * np.sign(x), lambda t, out, x: t * np.sign(x),
      shape_same, "{y} = |{0}|", "d{0} = G ⊙ sign {0}", numpy=("abs", "absolute"))
defop("square", np.square, lambda g, out, x: g * (2.0 * x), lambda t, out, x: t * (2.0 * x),
      shape_same, "{y} = {0}²", "d{0} = G ⊙ 2{0}", numpy="square")
defop("sin", np.sin, lambda g, out, x: g * np.cos(x), lambda t, out, x: t * np.cos(x),
      shape_same, "{y} = sin {0}", "d{0} = G ⊙ cos {0}", numpy="sin")
defop("cos", np.cos, lambda g, out, x: -g * np.sin(x), lambda t, out, x: -t * np.sin(x),
      shape_same, "{y} = cos {0}", "d{0} = −G ⊙ sin {0}", numpy="cos")


def _clip(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


def _inside(x, lo, hi):
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


defop("clip", _clip, lambda g, out, x, lo=None, hi=None: g * _inside(x, lo, hi),
      lambda t, out, x, lo=None, hi=None: t * _inside(x, lo, hi),
      shape_same, "{y} = clip({0}, lo, hi)", "d{0} = G ⊙ [lo ≤ {0} ≤ hi]", kwargs=("lo", "hi"),
      numpy={"clip": _clip_bind}, methods={"clip": _clip_method})


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free logistic


defop("sigmoid", _sigmoid, lambda g, out, x: g * out * (1.0 - out), lambda t, out, x: t * out * (1.0 - out),
      shape_same, "{y} = σ({0})", "d{0} = G ⊙ {y}(1 − {y})", saves="out")
defop("relu", lambda x: np.maximum(x, 0.0), lambda g, out, x: g * (x > 0), lambda t, out, x: t * (x > 0),
      shape_same, "{y} = relu {0}", "d{0} = G ⊙ [{0} > 0]")


def _where_vjp(pick_true: bool):
    def rule(g, out, c, x, y):
        target = x if pick_true else y
        return unbroadcast(np.where(c, g, 0.0) if pick_true else np.where(c, 0.0, g), np.shape(target))
    return rule


defop("where", np.where, (None, _where_vjp(True), _where_vjp(False)),
      (None, lambda t, out, c, x, y: np.where(c, t, 0.0), lambda t, out, c, x, y: np.where(c, 0.0, t)),
      shape_broadcast, "{y} = where({0}, {1}, {2})",
      ("", "d{1} = G ⊙ [{0}]", "d{2} = G ⊙ [¬{0}]"), saves="inputs", numpy="where")

