"""Provides the few neural-network pieces learners meet first.

``sigmoid``, ``log_sigmoid``, ``softplus``, ``relu``, ``softmax`` and
``log_softmax`` are primitives of the op table, each accurate far into its tails
(``log_sigmoid(-50)`` is −50 with slope 1, where ``log(sigmoid(-800))`` is log 0);
``cross_entropy`` and ``mse`` are written with them, so their steps show.
"""

from __future__ import annotations

import numpy as np

from . import numpy as gnp
from .core.tracer import Tensor, _raw, apply


def sigmoid(x) -> Tensor:
    """σ(x) = 1 / (1 + e^−x); below 0 computed as e^x / (1 + e^x), so σ(−50) is 1.9e−22, not 0."""
    return apply("sigmoid", x)


def log_sigmoid(x) -> Tensor:
    """log σ(x) = −softplus(−x), in one step: finite wherever x is, where ``log(sigmoid(x))`` meets log 0
    once σ(x) underflows (PyTorch's ``F.logsigmoid``)."""
    return apply("log_sigmoid", x)


def softplus(x) -> Tensor:
    """log(1 + e^x), overflow-free: x itself for large x, e^x for very negative x; its slope is σ(x)."""
    return apply("softplus", x)


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
