"""A linear softmax classifier that also reports its accuracy, ``np.argmax`` on the scores.

The accuracy is a plain number (no gradient flows through ``argmax``), printed
with the loss as a training script does; the loss is the cross-entropy, the
softmax written by hand.
"""

import numpy as np

import graphstep as gs

N, D, C = 10, 4, 3


@gs.computation
def accuracy_argmax():
    rng = gs.rng(15)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    y = rng.integers(0, C, size=N)
    W = gs.param(rng.standard_normal((D, C)) * 0.5, name="W")
    b = gs.param(np.zeros(C), name="b")

    scores = X @ W + b
    exp_scores = np.exp(scores - np.max(scores, axis=1, keepdims=True))
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[range(N), y]))
    acc = np.mean(np.argmax(scores, axis=1) == y)
    print(f"loss {loss:.4f}  accuracy {acc:.2f}")
    return loss
