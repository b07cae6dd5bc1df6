"""Provides the reductions (sum, mean, max, norm…) and softmax, which reduce along an axis."""

from __future__ import annotations

import numpy as np

from .table import (
    by_evaluation,
    count,
    defop,
    expand,
)

# ───────────────────────────── reductions ─────────────────────────────


def _sum(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum without its Python wrapper


def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _extremum_vjp(g, out, x, axis=None, keepdims=False):
    # the gradient goes to the arg-extremum; ties share it equally
    hit = x == expand(out, x, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return expand(g, x, axis, keepdims) * share


def _extremum_jvp(t, out, x, axis=None, keepdims=False):
    hit = x == expand(out, x, axis, keepdims)
    return np.sum(t * hit, axis=axis, keepdims=keepdims) / np.sum(hit, axis=axis, keepdims=keepdims)


_REDUCE = ("axis", "keepdims")


def reduce_bind(a, axis=None, dtype=None, out=None, keepdims=False, **unused):
    """NumPy's reduction signature (``np.sum(a, 0)``, ``a.sum(axis=1, keepdims=True)``) → the op's params."""
    if dtype is not None:
        raise ValueError("dtype= is not supported by graphstep's reductions: compute in the array's dtype")
    if out is not None:
        raise ValueError("out= is not supported: assign the result instead")
    for name, value in unused.items():  # initial=, where=: only their no-op defaults are accepted
        if value is not np._NoValue and value is not True:
            raise ValueError(f"{name}= is not supported by graphstep's reductions")
    if isinstance(axis, list):
        axis = tuple(axis)
    return (a,), {"axis": axis, "keepdims": bool(keepdims)}
defop("sum", _sum, lambda g, out, x, axis=None, keepdims=False: expand(g, x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims),
      by_evaluation(_sum), "{y} = Σ {0}", "d{0} = expand(G)", symbol="Σ", saves="", kwargs=_REDUCE,
      numpy="sum", methods="sum", bind=reduce_bind)
defop("mean", _mean, lambda g, out, x, axis=None, keepdims=False: expand(g / count(x, axis), x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),
      by_evaluation(_mean), "{y} = mean {0}", "d{0} = expand(G) / n", symbol="mean", saves="",
      kwargs=_REDUCE, numpy="mean", methods="mean", bind=reduce_bind)
defop("max", _max, _extremum_vjp, _extremum_jvp, by_evaluation(_max), "{y} = max {0}",
      "d{0} = G at argmax {0}", symbol="max", saves="both", kwargs=_REDUCE,
      numpy=("max", "amax"), methods="max", bind=reduce_bind)
defop("min", _min, _extremum_vjp, _extremum_jvp, by_evaluation(_min), "{y} = min {0}",
      "d{0} = G at argmin {0}", symbol="min", saves="both", kwargs=_REDUCE,
      numpy=("min", "amin"), methods="min", bind=reduce_bind)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


defop("softmax", _softmax,
      lambda g, out, x, axis=-1: out * (g - np.sum(g * out, axis=axis, keepdims=True)),
      lambda t, out, x, axis=-1: out * (t - np.sum(t * out, axis=axis, keepdims=True)),
      by_evaluation(_softmax), "{y} = softmax {0}", "d{0} = {y} ⊙ (G − Σ G⊙{y})", saves="out",
      kwargs=("axis",))
defop("log_softmax", _log_softmax,
      lambda g, out, x, axis=-1: g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),
      lambda t, out, x, axis=-1: t - np.sum(np.exp(out) * t, axis=axis, keepdims=True),
      by_evaluation(_log_softmax), "{y} = log softmax {0}", "d{0} = G − softmax({0})·Σ G",
      saves="out", kwargs=("axis",))



def _norm(x, axis=None, keepdims=False):
    if axis is None and not keepdims:  # as numpy.linalg.norm computes it: √(x·x)
        flat = np.ravel(x)
        return np.sqrt(np.dot(flat, flat))
    return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))


def _norm_bind(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    """The 2-norm of a vector or the Frobenius norm of a matrix (what ``ord=None`` means)."""
    ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and ndim > 1 or isinstance(axis, tuple))):
        raise ValueError(f"linalg.norm(ord={ord!r}) is not in graphstep's op table: only the 2-norm of vectors "
                         "and the Frobenius norm (ord=None or 'fro') are")
    return (x,), {"axis": tuple(axis) if isinstance(axis, list) else axis, "keepdims": keepdims}


defop("norm", _norm,
      lambda g, out, x, axis=None, keepdims=False:
          expand(g, x, axis, keepdims) * x / expand(np.where(out == 0, 1.0, out), x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False:
          np.sum(t * x, axis=axis, keepdims=keepdims) / np.where(out == 0, 1.0, out),
      by_evaluation(_norm), "{y} = ‖{0}‖", "d{0} = G ⊙ {0} / ‖{0}‖", symbol="‖·‖", saves="both",
      kwargs=("axis", "keepdims"), numpy={"linalg.norm": _norm_bind}, methods={"norm": reduce_bind})

