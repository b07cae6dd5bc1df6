"""Portfolio weights that maximize the Sharpe ratio of historical returns (a finance tutorial's loss).

Weights come from a softmax of free scores (long-only, summing to 1); the
ratio is the mean return over its sample standard deviation, ``np.std(..., ddof=1)``,
annualized with √252.
"""

import numpy as np

import graphstep as gs


@gs.computation
def sharpe_ratio():
    rng = gs.rng(22)
    daily = rng.normal([0.0005, 0.0002, 0.0008, 0.0001], [0.01, 0.005, 0.02, 0.002], size=(60, 4))
    returns = gs.input(daily, name="returns")
    scores = gs.param(np.array([0.1, -0.2, 0.3, 0.0]), name="scores")

    w = np.exp(scores) / np.sum(np.exp(scores))
    portfolio = returns @ w
    sharpe = np.mean(portfolio) / np.std(portfolio, ddof=1) * np.sqrt(252)
    return -sharpe
