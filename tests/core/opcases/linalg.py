"""Numerical-check cases for the ops of ``graphstep.core.ops.linalg``.

Matrix functions get well-conditioned matrices (eigenvalues spread over 1…n, far from 0), so a
central difference with ε = 1e-6 is accurate to the sweep's tolerance.  cholesky's forward
factors the symmetric part (A + Aᵀ)/2, as JAX does, so the sweep's non-symmetric directions v
check exactly that function: its derivative along v is the one along (v + vᵀ)/2.
"""

from __future__ import annotations

import numpy as np

from .common import RNG, Case, normal


def _orthogonal(n):
    q, r = np.linalg.qr(RNG.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def spd(*shape):
    """Symmetric positive definite: Q·diag(1…n)·Qᵀ, a stack of them for a 3-D shape."""
    *batch, n, _ = shape
    mats = [(q * np.linspace(1.0, n, n)) @ q.T for q in (_orthogonal(n) for _ in range(int(np.prod(batch))))]
    return np.reshape(mats, shape)


def conditioned(*shape):
    """Not symmetric, singular values within about 1…n: Q·diag(±(1…n))·Qᵀ + a small perturbation."""
    *batch, n, _ = shape
    signs = RNG.choice([-1.0, 1.0], size=(*batch, 1, n))  # some determinants negative
    return spd(*shape) * signs + 0.1 * normal(*shape)


def _einsum(subscripts, *shapes):
    return Case(*(normal(*s) for s in shapes), subscripts=subscripts, optimize=False)


CASES = {
    "matmul": [Case(normal(3), normal(3)),  # 1-D: dot product
               Case(normal(2, 3), normal(3)), Case(normal(3), normal(3, 4)),
               Case(normal(2, 3), normal(3, 4)),  # 2-D
               Case(normal(5, 2, 3), normal(3, 4)), Case(normal(5, 2, 3), normal(5, 3, 4)),  # batched
               Case(normal(2, 3), normal(5, 3, 4)), Case(normal(1, 2, 3), normal(4, 3, 2)),
               Case(normal(5, 2, 3), normal(3)), Case(normal(3), normal(5, 3, 4))],
    "tensordot": [Case(normal(2, 3), normal(3, 4), axes=((1,), (0,))),  # matmul
                  Case(normal(2, 3, 4), normal(3, 4, 5), axes=((1, 2), (0, 1))),  # axes=2
                  Case(normal(3), normal(2, 4), axes=((), ())),  # axes=0: outer product
                  Case(normal(), normal(2, 3), axes=((), ())),  # a scalar
                  Case(normal(4, 2, 3), normal(3, 5, 4), axes=((2, 0), (0, 2))),  # pairs out of order
                  Case(normal(2, 3, 4), normal(5, 4, 6), axes=((2,), (1,))),  # np.dot of 3-D arrays
                  Case(normal(2, 3), normal(2, 3), axes=((0, 1), (0, 1)))],  # full contraction → scalar
    "einsum": [_einsum("ij,jk->ik", (2, 3), (3, 4)), _einsum("ij,jk", (2, 3), (3, 4)),  # implicit output
               _einsum("bij,bjk->bik", (5, 2, 3), (5, 3, 4)), _einsum("...ij,...jk->...ik", (5, 2, 3), (3, 4)),
               _einsum("...ij,...jk", (1, 2, 3), (4, 3, 2)),  # the ellipsis broadcasts
               _einsum("ii->", (3, 3)), _einsum("ii->i", (3, 3)), _einsum("ii", (3, 3)),  # trace, diagonal
               _einsum("iji->j", (3, 2, 3)), _einsum("ij->", (2, 3)), _einsum("ij->i", (2, 3)),
               _einsum("ij->ji", (2, 3)), _einsum("ba", (2, 3)),  # transposes
               _einsum("i,j->ij", (3,), (4,)), _einsum("i,i->", (3,), (3,)), _einsum("i,i", (3,), (3,)),
               _einsum("ij,j->i", (2, 3), (1,)), _einsum("i,i->i", (1,), (3,)),  # explicit labels broadcast
               _einsum("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)), _einsum(",ij->ij", (), (2, 3)),
               _einsum("ij,ij,ij->", (2, 3), (2, 3), (2, 3)), _einsum("ii,ij->j", (3, 3), (3, 2)),
               _einsum("i...->...", (3, 2, 2)), _einsum("aB,Bc", (2, 3), (3, 4)),
               Case(normal(2, 3), normal(3, 4), normal(4, 2), subscripts="ij,jk,kl->il", optimize=True)],
    "inv": [Case(conditioned(3, 3)), Case(conditioned(1, 1)), Case(conditioned(4, 3, 3)), Case(spd(2, 2, 4, 4))],
    "det": [Case(conditioned(3, 3)), Case(conditioned(1, 1)), Case(conditioned(4, 3, 3)), Case(spd(4, 4)),
            Case(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])),  # singular: rank 2
            Case(np.array([[1.0, 2.0], [2.0, 4.0]]))],
    "logabsdet": [Case(conditioned(3, 3)), Case(conditioned(1, 1)), Case(conditioned(4, 3, 3)), Case(spd(4, 4))],
    "solve": [Case(conditioned(3, 3), normal(3)), Case(conditioned(3, 3), normal(3, 2)),
              Case(conditioned(4, 3, 3), normal(3)),  # a vector b against a stack of A
              Case(conditioned(4, 3, 3), normal(4, 3, 2)), Case(conditioned(1, 3, 3), normal(4, 3, 2)),
              Case(conditioned(3, 3), normal(4, 3, 2)), Case(conditioned(4, 3, 3), normal(3, 2))],
    "cholesky": [Case(spd(3, 3)), Case(spd(1, 1)), Case(spd(4, 3, 3)), Case(spd(4, 4), upper=True),
                 Case(spd(2, 3, 3), upper=True)],
    "trace": [Case(normal(3, 3)), Case(normal(2, 4)), Case(normal(3, 3), offset=1), Case(normal(3, 4), offset=-1),
              Case(normal(2, 3, 3), axis1=1, axis2=2), Case(normal(3, 2, 4), offset=1, axis1=2, axis2=0)],
    "diagonal": [Case(normal(3, 3)), Case(normal(2, 4), offset=1), Case(normal(4, 3), offset=-2),
                 Case(normal(2, 3, 3), axis1=1, axis2=2), Case(normal(3, 2, 4), offset=1, axis1=2, axis2=0)],
    "diag": [Case(normal(3)), Case(normal(3), k=1), Case(normal(2), k=-2),
             Case(normal(3, 3)), Case(normal(3, 4), k=1), Case(normal(4, 3), k=-1)],
    "triu": [Case(normal(3, 3)), Case(normal(3, 4), k=1), Case(normal(4, 3), k=-1), Case(normal(2, 3, 3)),
             Case(normal(3))],
    "tril": [Case(normal(3, 3)), Case(normal(3, 4), k=1), Case(normal(4, 3), k=-1), Case(normal(2, 3, 3)),
             Case(normal(3), k=-1)],
}
