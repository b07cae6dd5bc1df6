"""Numerical-check cases for the ops of ``graphstep.ops.structure``."""

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
    "transpose": [Case(normal()), Case(normal(3)), Case(normal(2, 3)), Case(normal(2, 3, 4)),
                  Case(normal(2, 3, 4), axes=(1, 2, 0)), Case(normal(2, 3), axes=(0, 1))],
    "reshape": [Case(normal(), shape=(1,)), Case(normal(6), shape=(2, 3)), Case(normal(2, 3), shape=(3, 2)),
                Case(normal(2, 3), shape=(-1,)), Case(normal(2, 3, 4), shape=(4, -1)), Case(normal(1), shape=())],
    "getitem": [Case(normal(5), index=2), Case(normal(5), index=-1), Case(normal(5), index=slice(1, 4)),
                Case(normal(3, 4), index=(slice(None), 0)), Case(normal(3, 4), index=(slice(None, None, 2), 1)),
                Case(normal(3, 4), index=np.array([0, 2, 0, 0])),  # repeated rows accumulate
                Case(normal(3, 4), index=(np.array([0, 0, 2]), np.array([1, 1, 3]))),
                Case(normal(3, 4), index=(slice(1, None), np.array([3, 0, 3]))),
                Case(normal(3, 4), index=(Ellipsis, None, 1)), Case(normal(), index=()),
                Case(normal(3, 4), index=np.array([[True, False, True, False]] * 3))],
    "concatenate": [Case(normal(2), normal(3)), Case(normal(2), normal(3), normal(1)),
                    Case(normal(2, 3), normal(4, 3)), Case(normal(2, 3), normal(2, 1), axis=1),
                    Case(normal(2, 3), normal(2, 2), normal(2, 1), axis=-1)],
    "stack": [Case(normal(), normal()), Case(normal(3), normal(3), normal(3)),
              Case(normal(2, 3), normal(2, 3), axis=1), Case(normal(2, 3), normal(2, 3), axis=-1)],

}
