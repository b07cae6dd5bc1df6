"""Numerical-check cases for the ops of ``graphstep.core.ops.reductions``."""

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


def negative_axes(gen):
    """Tuples of negative axes, a one-axis tuple and every axis at once on a 3-D input."""
    return [Case(gen(2, 3, 4), axis=ax, keepdims=k)
            for ax in [(-1, -2), (-3, -1), (-2,), (0, -2, -1)] for k in (False, True)]


def spread(gen=normal):
    """var/std: every reduction case with ddof 0 and, where a slice has more than one entry, ddof 1."""
    cases = []
    for case in reductions(gen) + negative_axes(gen):
        x, axis = case.args[0], case.kw["axis"]
        n = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
        cases += [Case(x, **case.kw, ddof=d) for d in (0, 1) if n - d > 0]
    return cases


def with_zeros(gen=away):
    """Inputs holding zeros: one zero in a slice, several zeros, a zero first and last."""
    vector = gen(5)
    vector[[1, 3]] = 0.0
    matrix = gen(3, 4)
    matrix[0, 2] = 0.0  # row 0: one zero
    matrix[1, [0, 3]] = 0.0  # row 1: a zero first and last
    cube = gen(2, 3, 4)
    cube[0, 1, 1] = cube[1, 2, 3] = cube[1, 0, 0] = 0.0
    one = gen(4)
    one[2] = 0.0
    return [one, vector, matrix, cube]


def scans(gen=normal):
    """cumsum/cumprod: axis None flattens; every axis, negative ones included."""
    cases = [Case(gen(), axis=None)]
    for shape in [(4,), (3, 4), (2, 3, 4)]:
        cases += [Case(gen(*shape), axis=ax) for ax in (None, *range(len(shape)), -1, -len(shape))]
    return cases


def _zero_rows():
    """A matrix with a zero row (‖row‖ = 0) and one with a zero entry: the norm's kink and no kink."""
    x = away(3, 4)
    x[1] = 0.0
    x[2, 0] = 0.0
    return x


def _constant_row():
    """std of a constant slice is 0: its subgradient 0 is also what central differences give."""
    x = normal(3, 4)
    x[0] = 0.7
    return x


def softmaxes():
    """The last axis by default, then each axis by its positive and negative name, and two at once."""
    return [Case(normal()), Case(normal(4)), Case(normal(3, 4)), Case(normal(3, 4), axis=0),
            Case(normal(3, 4), axis=-2), Case(normal(2, 3, 4), axis=1), Case(normal(2, 3, 4), axis=-3),
            Case(normal(2, 3, 4), axis=(-1, -2))]


CASES = {
    "norm": reductions(away) + negative_axes(away) + [
        Case(np.zeros(3)), Case(np.zeros((2, 3))), Case(np.zeros(3), axis=0, keepdims=True),
        *[Case(_zero_rows(), axis=ax, keepdims=k) for ax in (1, -1, (-1,)) for k in (False, True)]],
    "sum": reductions(normal) + negative_axes(normal),
    "mean": reductions(normal) + negative_axes(normal),
    "prod": reductions(away) + negative_axes(away) + [
        Case(x, axis=ax, keepdims=k) for x in with_zeros() for ax in {None, 0, -1, tuple(range(-x.ndim, 0))}
        for k in (False, True)],
    "var": spread() + [Case(_constant_row(), axis=-1, ddof=d) for d in (0, 1)],
    "std": spread() + [Case(_constant_row(), axis=-1, ddof=d, keepdims=k) for d in (0, 1) for k in (False, True)],
    "max": reductions(distinct) + negative_axes(distinct),
    "min": reductions(distinct) + negative_axes(distinct),
    "cumsum": scans(normal),
    "cumprod": scans(away) + [Case(x, axis=ax) for x in with_zeros() for ax in {None, 0, -1}],
    "softmax": softmaxes(),
    "log_softmax": softmaxes(),
}
