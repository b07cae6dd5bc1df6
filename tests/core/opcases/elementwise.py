"""Numerical-check cases for the ops of ``graphstep.core.ops.elementwise``."""

from __future__ import annotations

import numpy as np

from .common import (  # noqa: F401 - the vocabulary of cases
    RNG,
    SHAPES_1,
    SHAPES_2,
    Case,
    away,
    binary,
    clip_values,
    distinct,
    extremum_pairs,
    normal,
    positive,
    reductions,
    unary,
)


def uniform(lo, hi):
    """A generator of values in (lo, hi): inside a function's domain, away from where its slope is infinite."""
    return lambda *shape: RNG.uniform(lo, hi, size=shape)


CASES = {
    "add": binary(),
    "subtract": binary(),
    "multiply": binary(),
    "divide": binary(normal, away),
    # a param exponent: the base stays positive so x^p and log x are smooth
    "power": binary(positive, normal) + [Case(normal(2, 3), np.array(2.0), diff=(0,)),
                                          Case(normal(3), np.array(3.0), diff=(0,))],
    "arctan2": binary(away, away),
    "hypot": binary(away, away),
    # a wide spread, so one input's share of G is near 0 or 1 as well as in between (overflow: test_ops_elementwise)
    "logaddexp": binary(normal, lambda *s: 5.0 * normal(*s))
    + [Case(np.array([30.0, -30.0, 1.0]), np.array([-30.0, 30.0, 1.0]))],
    "maximum": extremum_pairs(),
    "minimum": extremum_pairs(),
    # without NaN, fmax/fmin are maximum/minimum; NaN entries are tests of their own (test_ops_elementwise)
    "fmax": extremum_pairs(),
    "fmin": extremum_pairs(),
    "negative": unary(),
    "positive": unary(),
    "exp": unary(),
    "exp2": unary(),
    "expm1": unary(),
    "log": unary(positive),
    "log2": unary(positive),
    "log10": unary(positive),
    "log1p": unary(uniform(-0.7, 2.0)),
    "tanh": unary(),
    "sqrt": unary(positive),
    "cbrt": unary(away),  # both signs: np.cbrt is real for x < 0
    "reciprocal": unary(away),
    "abs": unary(away),
    "square": unary(),
    "sin": unary(),
    "cos": unary(),
    "tan": unary(uniform(-1.2, 1.2)),  # inside (−π/2, π/2)
    "arcsin": unary(uniform(-0.9, 0.9)),
    "arccos": unary(uniform(-0.9, 0.9)),
    "arctan": unary(lambda *s: 3.0 * normal(*s)),
    "sinh": unary(),
    "cosh": unary(),
    "arcsinh": unary(lambda *s: 3.0 * normal(*s)),
    "arccosh": unary(uniform(1.2, 4.0)),
    "arctanh": unary(uniform(-0.9, 0.9)),
    # far into both tails too, where σ is e^x itself and the slopes must keep their digits
    "sigmoid": unary() + [Case(np.array([-60.0, -30.0, -5.0, 5.0, 30.0]))],
    "log_sigmoid": unary(lambda *s: 5.0 * normal(*s)) + [Case(np.array([-60.0, -30.0, 0.0, 30.0, 60.0]))],
    "softplus": unary(lambda *s: 5.0 * normal(*s)) + [Case(np.array([-60.0, -30.0, 0.0, 30.0, 60.0]))],
    "relu": unary(away),
    "clip": [Case(clip_values(*s), lo=-0.5, hi=0.5) for s in SHAPES_1]
    + [Case(clip_values(3, 4), lo=-0.5), Case(clip_values(3, 4), hi=0.5)],
    "where": [Case(RNG.random((2, 3)) < 0.5, normal(2, 3), normal(2, 3), diff=(1, 2)),
              Case(RNG.random(3) < 0.5, normal(2, 3), normal(), diff=(1, 2)),
              Case(RNG.random((2, 1)) < 0.5, normal(3), normal(2, 3), diff=(1, 2)),
              Case(np.array(True), normal(), normal(3), diff=(1, 2))],
}
