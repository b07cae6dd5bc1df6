"""Control flow is traced as it ran (seeds/004 ``myFunc``).

The ``while`` loop doubles ``a`` until its norm reaches 100, and the ``if``
flips the sign when the sum is negative.  The graph is the unrolled path the
program took, so ``f = k·a`` for some k, and the gradient is ``f / a``.
"""


import graphstep as gs


def myFunc(a):
    while a.norm() < 100:
        a = a * 2
    if a.sum() > 0:
        return a
    else:
        return -1 * a


@gs.computation
def myfunc():
    a = gs.param(gs.rng(7).standard_normal(()), name="a")
    return myFunc(a)
