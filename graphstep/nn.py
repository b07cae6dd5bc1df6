"""Provides the few neural-network pieces learners meet first.

``sigmoid``, ``relu``, ``softmax`` and ``log_softmax`` are primitives of the op
table; ``cross_entropy`` and ``mse`` are written with them, so their steps show.
"""

from __future__ import annotations

import numpy as np

from . import numpy as gnp
from .tracer import Tensor, _raw, apply


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e^−x)."""
    return apply("sigmoid", x)


def relu(x) -> Tensor:
    """max(x, 0)."""
    return apply("relu", x)


def softmax(x, axis: int = -1) -> Tensor:
    return apply("softmax", x, axis=axis)


def log_softmax(x, axis: int = -1) -> Tensor:
    return apply("log_softmax", x, axis=axis)


def cross_entropy(logits, labels) -> Tensor:
    """Mean negative log-likelihood; ``labels`` are class indices or one-hot rows."""
    logp = log_softmax(logits, axis=-1)
    labels = np.asarray(_raw(labels))
    if labels.ndim == logp.ndim:  # one-hot (or soft) targets
        return -gnp.mean(gnp.sum(logp * labels, axis=-1))
    picked = logp[np.arange(labels.shape[0]), labels.astype(int)]
    return -gnp.mean(picked)


def mse(prediction, target) -> Tensor:
    """Mean squared error, averaged over every entry."""
    return gnp.mean((prediction - target) ** 2)
