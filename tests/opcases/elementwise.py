"""Numerical-check cases for the ops of ``graphstep.ops.elementwise``."""

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

CASES = {
    "add": binary(),
    "subtract": binary(),
    "multiply": binary(),
    "divide": binary(normal, away),
    # a param exponent: the base stays positive so x^p and log x are smooth
    "power": binary(positive, normal) + [Case(normal(2, 3), np.array(2.0), diff=(0,)),
                                          Case(normal(3), np.array(3.0), diff=(0,))],
    "maximum": extremum_pairs(),
    "minimum": extremum_pairs(),
    "negative": unary(),
    "exp": unary(),
    "log": unary(positive),
    "tanh": unary(),
    "sqrt": unary(positive),
    "abs": unary(away),
    "square": unary(),
    "sin": unary(),
    "cos": unary(),
    "sigmoid": unary(),
    "relu": unary(away),
    "clip": [Case(clip_values(*s), lo=-0.5, hi=0.5) for s in SHAPES_1]
    + [Case(clip_values(3, 4), lo=-0.5), Case(clip_values(3, 4), hi=0.5)],
    "where": [Case(RNG.random((2, 3)) < 0.5, normal(2, 3), normal(2, 3), diff=(1, 2)),
              Case(RNG.random(3) < 0.5, normal(2, 3), normal(), diff=(1, 2)),
              Case(RNG.random((2, 1)) < 0.5, normal(3), normal(2, 3), diff=(1, 2)),
              Case(np.array(True), normal(), normal(3), diff=(1, 2))],
}
