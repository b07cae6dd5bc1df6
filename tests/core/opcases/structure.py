"""Numerical-check cases for the ops of ``graphstep.core.ops.structure``."""

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

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
ROWS = np.array([True, False, True])
LABELS = np.array([0, 2, 1, 2])  # one class per row of a (4×3) score matrix, as CS231n's y

CASES = {
    "transpose": [Case(normal()), Case(normal(3)), Case(normal(2, 3)), Case(normal(2, 3, 4)),
                  Case(normal(2, 3, 4), axes=(1, 2, 0)), Case(normal(2, 3), axes=(0, 1)),
                  # negative axes, as attention code writes k.transpose(0, 1, -1, -2)
                  Case(normal(2, 3, 4, 5), axes=(0, 1, -1, -2)), Case(normal(3, 3, 3, 3), axes=(0, 1, -1, -2)),
                  Case(normal(2, 3, 4), axes=(-1, 0, -2)), Case(normal(2, 3), axes=(-1, -2))],
    "reshape": [Case(normal(), shape=(1,)), Case(normal(6), shape=(2, 3)), Case(normal(2, 3), shape=(3, 2)),
                Case(normal(2, 3), shape=(-1,)), Case(normal(2, 3, 4), shape=(4, -1)), Case(normal(1), shape=()),
                Case(normal(2, 1, 3), shape=(2, 3)), Case(normal(2, 3), shape=(2, 1, 3, 1))],  # squeeze, expand_dims
    "broadcast_to": [Case(normal(), shape=(3,)), Case(normal(3), shape=(2, 3)), Case(normal(2, 1), shape=(2, 4)),
                     Case(normal(2, 1), shape=(3, 2, 4)), Case(normal(1, 3, 1), shape=(2, 3, 2)),
                     Case(normal(2, 3), shape=(2, 3))],
    "tile": [Case(normal(), reps=(3,)), Case(normal(3), reps=(2,)), Case(normal(3), reps=(2, 2)),
             Case(normal(2, 3), reps=(2, 1)), Case(normal(2, 3), reps=(3,)), Case(normal(2, 3, 2), reps=(2, 1, 3)),
             Case(normal(2, 3), reps=(0, 2))],
    "repeat": [Case(normal(), repeats=3), Case(normal(3), repeats=2), Case(normal(2, 3), repeats=2),
               Case(normal(2, 3), repeats=2, axis=0), Case(normal(2, 3), repeats=(1, 0, 3), axis=1),
               Case(normal(2, 3, 2), repeats=(2, 1, 1), axis=1), Case(normal(3), repeats=(2, 0, 1))],
    "pad": [Case(normal(3), pad_width=((1, 2),), mode="constant", constant_values=0.0),
            Case(normal(2, 3), pad_width=((1, 0), (2, 1)), mode="constant", constant_values=1.5),
            Case(normal(2, 3), pad_width=((1, 1), (0, 1)), mode="constant", constant_values=((1.0, 2.0), (3.0, 4.0))),
            Case(normal(4), pad_width=((2, 3),), mode="edge"),
            Case(normal(3, 4), pad_width=((2, 1), (3, 2)), mode="reflect"),
            Case(normal(3, 4), pad_width=((2, 2), (1, 3)), mode="symmetric"),
            Case(normal(3, 2), pad_width=((4, 1), (3, 5)), mode="wrap"),  # wider than the array: copies repeat
            Case(normal(2, 3, 2), pad_width=((1, 1), (0, 2), (1, 0)), mode="edge")],
    "flip": [Case(normal(3)), Case(normal(2, 3)), Case(normal(2, 3), axis=1), Case(normal(2, 3, 4), axis=(0, 2)),
             Case(normal(2, 3, 4), axis=-1)],
    "roll": [Case(normal(5), shift=2), Case(normal(2, 3), shift=-1), Case(normal(2, 3), shift=4, axis=1),
             Case(normal(2, 3, 4), shift=(1, -2), axis=(0, 2)), Case(normal(2, 3), shift=1, axis=-2)],
    "copy": [Case(normal()), Case(normal(3)), Case(normal(2, 3)), Case(normal(2, 3, 4))],
    # a cast between float32 and float64 rounds its gradient to x's dtype: tests/core/test_dtypes.py checks it
    "astype": [Case(normal(), dtype="float64"), Case(normal(3), dtype="float64"), Case(normal(2, 3), dtype="float64")],
    "getitem": [Case(normal(5), index=2), Case(normal(5), index=-1), Case(normal(5), index=slice(1, 4)),
                Case(normal(3, 4), index=(slice(None), 0)), Case(normal(3, 4), index=(slice(None, None, 2), 1)),
                Case(normal(3, 4), index=np.array([0, 2, 0, 0])),  # repeated rows accumulate
                Case(normal(3, 4), index=(np.array([0, 0, 2]), np.array([1, 1, 3]))),
                Case(normal(3, 4), index=(slice(1, None), np.array([3, 0, 3]))),
                Case(normal(3, 4), index=(Ellipsis, None, 1)), Case(normal(), index=()),
                Case(normal(3, 4), index=np.array([[True, False, True, False]] * 3)),
                # boolean masks: x[mask], x[x > 0] (a comparison gives a plain mask), rows by a 1-D mask
                Case(normal(3, 4), index=MASK), Case(normal(3, 4), index=ROWS),
                Case(normal(3, 4), index=(ROWS, slice(1, 3))), Case(normal(4, 3), index=(np.arange(4), LABELS))],
    "setitem": [Case(normal(5), normal(), index=2), Case(normal(5), normal(2), index=slice(1, 3)),
                Case(normal(5), normal(), index=-1), Case(normal(), normal(), index=()),
                Case(normal(3, 4), normal(4), index=0),
                Case(normal(3, 4), normal(3), index=(slice(None), 0)),  # x[:, 0] = t
                Case(normal(3, 4), normal(1), index=(slice(None), 1)),  # a (1) broadcast down a column
                Case(normal(3, 4), normal(2, 1), index=(slice(0, 2), slice(1, 4))),
                Case(normal(3, 4), normal(1, 4), index=0),  # a leading 1 of the value is dropped, as NumPy does
                Case(normal(3, 4), normal(), index=MASK),  # y[mask] = v
                Case(normal(3, 4), normal(6), index=MASK),
                Case(normal(3, 4), normal(4), index=ROWS),
                Case(normal(4, 3), normal(), index=(np.arange(4), LABELS)),  # margins[np.arange(N), y] = v
                Case(normal(4, 3), normal(4), index=(np.arange(4), LABELS)),
                Case(normal(5), normal(3), index=np.array([1, 1, 3])),  # a repeated index keeps the last write
                Case(normal(3, 4), normal(4, 4), index=np.array([2, 0, 2, 2])),
                Case(normal(2, 3, 4), normal(3, 1), index=(1, Ellipsis)),
                Case(normal(2, 3, 4), normal(2, 4), index=(slice(None), -1))],
    "concatenate": [Case(normal(2), normal(3)), Case(normal(2), normal(3), normal(1)),
                    Case(normal(2, 3), normal(4, 3)), Case(normal(2, 3), normal(2, 1), axis=1),
                    Case(normal(2, 3), normal(2, 2), normal(2, 1), axis=-1)],
    "stack": [Case(normal(), normal()), Case(normal(3), normal(3), normal(3)),
              Case(normal(2, 3), normal(2, 3), axis=1), Case(normal(2, 3), normal(2, 3), axis=-1)],
}
