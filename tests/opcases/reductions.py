"""Numerical-check cases for the ops of ``graphstep.ops.reductions``."""

from __future__ import annotations

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
    "norm": reductions(away),
    "sum": reductions(normal),
    "mean": reductions(normal),
    "max": reductions(distinct),
    "min": reductions(distinct),
    "softmax": [Case(normal()), Case(normal(4)), Case(normal(3, 4)), Case(normal(3, 4), axis=0),
                Case(normal(2, 3, 4), axis=1)],
    "log_softmax": [Case(normal()), Case(normal(4)), Case(normal(3, 4)), Case(normal(3, 4), axis=0),
                    Case(normal(2, 3, 4), axis=1)],
}
