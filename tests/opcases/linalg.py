"""Numerical-check cases for the ops of ``graphstep.ops.linalg``."""

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
    "matmul": [Case(normal(3), normal(3)),  # 1-D: dot product
               Case(normal(2, 3), normal(3)), Case(normal(3), normal(3, 4)),
               Case(normal(2, 3), normal(3, 4)),  # 2-D
               Case(normal(5, 2, 3), normal(3, 4)), Case(normal(5, 2, 3), normal(5, 3, 4)),  # batched
               Case(normal(2, 3), normal(5, 3, 4)), Case(normal(1, 2, 3), normal(4, 3, 2)),
               Case(normal(5, 2, 3), normal(3)), Case(normal(3), normal(5, 3, 4))],
}
