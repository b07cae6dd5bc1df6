"""CS231n's fully vectorized multiclass SVM loss, with L2 regularization.

The correct class's margin is zeroed by item assignment,
``margins[np.arange(N), y] = 0``, exactly as the assignment's solution writes it.
"""

import numpy as np

import graphstep as gs

N, D, C = 8, 5, 4


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), y]
    margins = np.maximum(0, scores - correct_class_scores[:, np.newaxis] + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    loss += reg * np.sum(W * W)
    return loss


@gs.computation
def svm_loss():
    rng = gs.rng(8)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    y = rng.integers(0, C, size=N)
    W = gs.param(rng.standard_normal((D, C)) * 0.5, name="W")
    return svm_loss_vectorized(W, X, y, reg=0.05)
