"""A policy-gradient loss with invalid-action masking and an entropy bonus (a common RL recipe).

Invalid actions get logit −inf (``np.where``), so their probability is exactly 0;
the entropy −Σ p log p needs 0·log 0 = 0, written as
``np.where(probs > 0, probs * np.log(probs), 0.0)``.  The log branch is still
evaluated at p = 0, where log's rule would divide the zero gradient by p = 0.
"""

import numpy as np

import graphstep as gs

N, D, A = 5, 4, 4


@gs.computation
def masked_policy():
    rng = gs.rng(26)
    obs = gs.input(rng.standard_normal((N, D)), name="obs")
    valid = rng.random((N, A)) < 0.7
    valid[:, 0] = True                                     # at least one valid action per state
    actions = np.array([rng.choice(np.flatnonzero(row)) for row in valid])
    advantages = rng.standard_normal(N)
    W = gs.param(rng.standard_normal((D, A)) * 0.5, name="W")

    logits = obs @ W
    logits = np.where(valid, logits, -np.inf)
    logits = logits - np.max(logits, axis=1, keepdims=True)
    probs = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    log_probs = np.log(probs[np.arange(N), actions])
    entropy = -np.sum(np.where(probs > 0, probs * np.log(probs), 0.0), axis=1)
    loss = -np.mean(log_probs * advantages) - 0.01 * np.mean(entropy)
    return loss
