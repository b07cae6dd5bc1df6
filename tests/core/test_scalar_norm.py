"""The norm of one entry is its square's root (``ops.reductions._norm``): bit for bit what ravel and dot give."""

from __future__ import annotations

import numpy as np

import graphstep as gs
from graphstep.core.ops import OPS

EDGES = [0.0, -0.0, 1e-320, -3e-160, 1e154, -1e155, np.inf, -np.inf, np.nan, 0.37, -2.5]


def _by_dot(x) -> np.float64:
    flat = np.ravel(x)
    return np.sqrt(np.dot(flat, flat))


def test_the_norm_of_one_entry_is_bit_for_bit_the_dot_products_root():
    values = list(np.random.default_rng(0).normal(size=2000) * 10.0 ** np.arange(-200, 200, 0.2)) + EDGES
    norm = OPS["norm"].forward
    with np.errstate(all="ignore"):
        for v in values:
            for x in (np.array(v), np.float64(v), float(v), np.array([v])):
                got, want = norm(x), _by_dot(x)
                assert type(got) is type(want) and (got == want or np.isnan(got) and np.isnan(want)), (x, got, want)


def test_a_while_loop_on_a_scalar_norm_steps_to_numpys_values():
    def doubled(a):
        while a.norm() < 100:
            a = a * 2
        return a

    stepper = gs.Stepper(gs.trace(doubled, np.array(0.37))).run()
    graph = stepper.graph
    norms = [n for n in graph.op_nodes if graph.node(n).op == "norm"]
    assert len(norms) == 10
    assert all(stepper.value(n) == np.linalg.norm(0.37 * 2.0 ** k) for k, n in enumerate(norms))
    assert stepper.grad("a") == 2.0 ** 9
