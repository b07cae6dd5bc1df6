"""Matrix factorization for a ratings matrix with missing entries (a recommender-systems tutorial).

Missing ratings are NaN; the error on them is zeroed by boolean-mask item
assignment, ``err[~observed] = 0``, so they pull on nothing: their gradient is
0, not NaN.  ``np.isnan`` on the traced ratings gives a plain mask.
"""

import numpy as np

import graphstep as gs

USERS, ITEMS, RANK = 5, 6, 2


@gs.computation
def matrix_factorization():
    rng = gs.rng(23)
    ratings = rng.integers(1, 6, size=(USERS, ITEMS)).astype(float)
    ratings[rng.random((USERS, ITEMS)) < 0.3] = np.nan
    R = gs.input(ratings, name="R")
    U = gs.param(0.5 * rng.standard_normal((USERS, RANK)) + 1.0, name="U")
    V = gs.param(0.5 * rng.standard_normal((ITEMS, RANK)) + 1.0, name="V")
    lam = 0.1

    observed = ~np.isnan(R)
    err = R - U @ V.T
    err[~observed] = 0
    loss = np.sum(err ** 2) / np.sum(observed) + lam * (np.sum(U ** 2) + np.sum(V ** 2))
    return loss
