"""Provides the structural primitives: transpose, reshape, indexing, concatenation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .table import (
    by_evaluation,
    defop,
    normalize_axis,
)

# ───────────────────────────── shape and layout ─────────────────────────────


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _inverse_axes(axes, ndim: int):
    """The permutation that undoes ``axes``; negative axes count from the end (``-1`` is the last)."""
    return None if axes is None else tuple(np.argsort(normalize_axis(axes, ndim)))


def _ndim(x) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _transpose_bind(a, axes=None):
    return (a,), {"axes": normalize_axis(axes, _ndim(a))}


def _transpose_method(a, *axes):
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return _transpose_bind(a, tuple(axes) if axes else None)


defop("transpose", _transpose,
      lambda g, out, x, axes=None: np.transpose(g, _inverse_axes(axes, x.ndim)),
      lambda t, out, x, axes=None: np.transpose(t, axes),
      by_evaluation(_transpose), "{y} = {0}ᵀ", "d{0} = Gᵀ", symbol="ᵀ", saves="", kwargs=("axes",),
      numpy={"transpose": _transpose_bind}, methods={"transpose": _transpose_method})


def _reshape(x, shape):
    return np.reshape(x, shape)


def _c_order(order: str) -> None:
    if order != "C":
        raise ValueError(f"order={order!r}: graphstep reshapes in C order only")


def _reshape_bind(a, shape=None, order="C", *, newshape=None, copy=None):
    _c_order(order)
    return (a,), {"shape": shape if newshape is None else newshape}


def _reshape_method(a, *shape, order="C", copy=None):
    _c_order(order)
    return (a,), {"shape": shape[0] if len(shape) == 1 else shape}


defop("reshape", _reshape, lambda g, out, x, shape: np.reshape(g, x.shape),
      lambda t, out, x, shape: np.reshape(t, shape),
      by_evaluation(_reshape), "{y} = reshape({0})", "d{0} = reshape(G, shape of {0})",
      saves="", kwargs=("shape",), numpy={"reshape": _reshape_bind}, methods={"reshape": _reshape_method})



# ───────────────────────────── indexing and joining ─────────────────────────────


def _getitem(x, index):
    return x[index]


def _getitem_vjp(g, out, x, index):
    # indexing scatters the gradient back; repeated indices accumulate
    dx = np.zeros(x.shape, dtype=np.result_type(g, float))
    np.add.at(dx, index, g)
    return dx


defop("getitem", _getitem, _getitem_vjp, lambda t, out, x, index: t[index],
      by_evaluation(_getitem), "{y} = {0}[i]", "d{0} = scatter G into zeros at [i]", symbol="[]",
      saves="", kwargs=("index",))


def _join_bind(arrays, axis=0, *, dtype=None, casting="same_kind"):
    if dtype is not None:
        raise ValueError("dtype= is not supported: join the arrays, then use .astype(float)")
    return tuple(arrays), {"axis": axis}


def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _piece(i_of: Callable):
    """VJP of a variadic join: input i gets its slice of G."""

    def rule(g, out, *xs, axis=0, i=0):
        return i_of(g, xs, axis, i)

    return rule


def _concat_slice(g, xs, axis, i):
    ax = axis % g.ndim
    start = sum(x.shape[ax] for x in xs[:i])
    index = (slice(None),) * ax + (slice(start, start + xs[i].shape[ax]),)
    return g[index]


def _stack_slice(g, xs, axis, i):
    return np.take(g, i, axis=axis % g.ndim)


defop("concatenate", _concatenate, _piece(_concat_slice),
      lambda t, out, *xs, axis=0, i=0: _concatenate(*[t if j == i else np.zeros_like(x) for j, x in enumerate(xs)],
                                                   axis=axis),
      by_evaluation(_concatenate), "{y} = concat(…)", "d{x} = slice of G", symbol="concat", saves="",
      variadic=True, kwargs=("axis",), numpy={"concatenate": _join_bind})
defop("stack", _stack, _piece(_stack_slice),
      lambda t, out, *xs, axis=0, i=0: _stack(*[t if j == i else np.zeros_like(x) for j, x in enumerate(xs)],
                                              axis=axis),
      by_evaluation(_stack), "{y} = stack(…)", "d{x} = G[i]", symbol="stack", saves="",
      variadic=True, kwargs=("axis",), numpy={"stack": _join_bind})
