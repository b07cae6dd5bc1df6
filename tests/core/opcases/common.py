"""Input generators and the ``Case`` record shared by every op module's cases."""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(20240601)

# ───────────────────────────── input generators ─────────────────────────────


def normal(*shape):
    return RNG.standard_normal(shape)


def away(*shape, lo=0.3):
    """Values with |x| ≥ lo: no kink of abs/relu (or a 0 divisor) within ε."""
    return RNG.choice([-1.0, 1.0], size=shape) * RNG.uniform(lo, 1.5, size=shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def distinct(*shape):
    """Entries at least 0.2 apart, so max/min reductions have no ties."""
    n = int(np.prod(shape, dtype=int))
    return (RNG.permutation(n) * 0.2 - 0.1 * n + RNG.uniform(0, 0.05, n)).reshape(shape)


class Case:
    """Arguments of one call; ``diff`` = indices of the inputs to differentiate (default all)."""

    def __init__(self, *args, diff=None, **kw):
        self.args, self.kw = args, kw
        self.diff = tuple(range(len(args))) if diff is None else diff

    def __repr__(self):
        shapes = ", ".join(str(np.shape(a)) for a in self.args)
        return f"({shapes}) {self.kw}"


# scalar, vector, matrix, and broadcasting pairs
SHAPES_1 = [(), (3,), (2, 3), (2, 3, 4)]
SHAPES_2 = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 3), ()),
            ((), (2, 3)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 3)), ((2, 3), (2, 1))]


def unary(gen=normal):
    return [Case(gen(*s)) for s in SHAPES_1]


def binary(gen_x=normal, gen_y=normal):
    return [Case(gen_x(*a), gen_y(*b)) for a, b in SHAPES_2]


def extremum_pairs():
    """max/min of x and y with |x − y| ≥ 0.3 everywhere (no tie within ε)."""
    cases = []
    for a, b in SHAPES_2:
        x = normal(*a)
        y = np.broadcast_to(x, np.broadcast_shapes(a, b)) + away(*np.broadcast_shapes(a, b))
        # y must keep its own shape: where b broadcasts, use a fresh value far from every x
        if y.shape != b:
            y = np.full(b, 5.0) * RNG.choice([-1.0, 1.0]) + normal(*b) * 0.1
        cases.append(Case(x, y))
    return cases


def reductions(gen=distinct, with_tuple=True):
    cases = [Case(gen(), axis=None), Case(gen(), axis=None, keepdims=True)]
    for shape in [(4,), (3, 4), (2, 3, 4)]:
        axes = [None, 0, -1] + ([(0, 1)] if with_tuple and len(shape) > 1 else [])
        axes += [(0, -1), 1] if len(shape) == 3 else []
        cases += [Case(gen(*shape), axis=ax, keepdims=k) for ax in axes for k in (False, True)]
    return cases


def clip_values(*shape):
    """Away from the clip bounds ±0.5 (and so from the kinks)."""
    return RNG.choice([-1.0, 1.0], size=shape) * np.where(RNG.random(shape) < 0.5, RNG.uniform(0, 0.4, shape),
                                                         RNG.uniform(0.6, 1.5, shape))
