"""Provides the reductions (sum, mean, prod, var, std, max, min, norm), the scans (cumsum,
cumprod), ``np.average`` as a composite, and softmax, which reduce along an axis.

Every rule takes NumPy's ``axis`` as given: ``None``, an int or a tuple, negative
entries counting from the end; a rule that must compare or move axes normalizes them.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .table import (
    ARRAY_TYPES,
    bad_call,
    by_evaluation,
    call,
    count,
    defcomposite,
    defop,
    expand,
    normalize_axis,
    safe_divide,
)

# ───────────────────────────── binders: NumPy's signatures → params ─────────────────────────────


def _axis(axis):
    """``axis`` as a plain int, tuple of ints or None (``[0, 1]`` and ``np.int64(1)`` included)."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(operator.index(a) for a in axis)
    return operator.index(axis)


def _reduce_params(axis, dtype, out, keepdims, initial=np._NoValue, where=True) -> dict:
    """The params of a reduction; what graphstep cannot honour is refused, NumPy's no-op defaults pass."""
    if dtype is not None:
        raise ValueError("dtype= is not supported by graphstep's reductions: compute in the array's dtype")
    if out is not None:
        raise ValueError("out= is not supported: assign the result instead")
    if initial is not np._NoValue:
        raise ValueError("initial= is not supported by graphstep's reductions")
    if where is not np._NoValue and not (isinstance(where, (bool, np.bool_)) and where):
        raise ValueError("where= is not supported by graphstep's reductions: select with np.where first")
    return {"axis": _axis(axis), "keepdims": keepdims is not np._NoValue and bool(keepdims)}


def reduce_bind(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    """``np.sum(a, axis, dtype, out, keepdims)`` and ``a.sum(...)`` (also prod, mean) → the op's params."""
    if axis is None and dtype is None and out is None and keepdims is False and initial is np._NoValue \
            and where is True:  # a.sum(): nothing to check
        return (a,), {"axis": None, "keepdims": False}
    return (a,), _reduce_params(axis, dtype, out, keepdims, initial, where)


def _extremum_bind(a, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
    """``np.max(a, axis, out, keepdims)``: no dtype, so ``out`` is the third positional argument."""
    return (a,), _reduce_params(axis, None, out, keepdims, initial, where)


def _var_bind(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=np._NoValue,
              correction=np._NoValue):
    """``np.var(a, axis, dtype, out, ddof, keepdims)``; NumPy 2's ``correction=`` is another name for ddof."""
    if correction is not np._NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously")
        ddof = correction
    if mean is not np._NoValue:
        raise ValueError("mean= is not supported: graphstep computes the mean itself")
    return (a,), {**_reduce_params(axis, dtype, out, keepdims, where=where), "ddof": operator.index(ddof)}


def _scan_bind(a, axis=None, dtype=None, out=None):
    """``np.cumsum(a, axis, dtype, out)``: one axis, or None for the flattened array."""
    if isinstance(axis, (tuple, list)):
        raise ValueError(f"axis={axis!r}: a cumulative op runs along one axis (or None to flatten)")
    _reduce_params(axis, dtype, out, keepdims=False)  # refuses dtype= and a positional out
    return (a,), {"axis": _axis(axis)}


# ───────────────────────────── sum, mean, prod ─────────────────────────────

_REDUCE = ("axis", "keepdims")


def _sum(x, axis=None, keepdims=False):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum without its Python wrapper


def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _prod(x, axis=None, keepdims=False):
    return np.prod(x, axis=axis, keepdims=keepdims)


defop("sum", _sum, lambda g, out, x, axis=None, keepdims=False: expand(g, x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims),
      by_evaluation(_sum), "{y} = Σ {0}", "d{0} = expand(G)", symbol="Σ", saves="", kwargs=_REDUCE,
      numpy="sum", methods="sum", bind=reduce_bind, linear="inputs",
      why="every entry adds into the sum with weight 1: G is copied back to each entry (broadcast over the "
          "summed axes)")
defop("mean", _mean, lambda g, out, x, axis=None, keepdims=False: expand(g / count(x, axis), x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),
      by_evaluation(_mean), "{y} = mean {0}", "d{0} = expand(G) / n", symbol="mean", saves="",
      kwargs=_REDUCE, numpy="mean", methods="mean", bind=reduce_bind, linear="inputs",
      why="every entry adds 1/n of itself: G/n goes back to each entry (n entries averaged)")


def _exclusive_cumprod(a):
    """Π of the entries strictly before each one along the last axis (1 for the first)."""
    before = np.ones(a.shape, dtype=a.dtype)
    before[..., 1:] = np.cumprod(a[..., :-1], axis=-1)
    return before


def _others(x, axis):
    """∂(Π x)/∂x_i = Π_{j≠i} x_j, as (product before i)·(product after i) along the reduced axes.

    No division by x_i (as in JAX): with one zero in a slice that entry gets the product of the
    rest and the others 0; with two or more zeros every entry gets 0.  ``out / x`` would be 0/0.
    """
    reduced = tuple(range(x.ndim)) if axis is None else normalize_axis(
        axis if isinstance(axis, tuple) else (axis,), x.ndim)
    order = [a for a in range(x.ndim) if a not in reduced] + list(reduced)
    moved = np.transpose(x, order)  # reduced axes last, flattened into one
    rows = moved.reshape(moved.shape[:moved.ndim - len(reduced)] + (count(x, reduced),))
    others = _exclusive_cumprod(rows) * np.flip(_exclusive_cumprod(np.flip(rows, -1)), -1)
    return np.transpose(others.reshape(moved.shape), np.argsort(order))


defop("prod", _prod,
      lambda g, out, x, axis=None, keepdims=False: expand(g, x, axis, keepdims) * _others(x, axis),
      lambda t, out, x, axis=None, keepdims=False: np.sum(t * _others(x, axis), axis=axis, keepdims=keepdims),
      by_evaluation(_prod), "{y} = Π {0}", "d{0}ᵢ = G · Πⱼ≠ᵢ {0}ⱼ", symbol="Π",
      kwargs=_REDUCE, numpy="prod", methods="prod", bind=reduce_bind,
      why="∂(Π xᵢ)/∂xⱼ = the product of the others = prod/xⱼ (computed without dividing, zeros included)")

# ───────────────────────────── var and std ─────────────────────────────

_SPREAD = ("axis", "ddof", "keepdims")


def _var(x, axis=None, ddof=0, keepdims=False):
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _std(x, axis=None, ddof=0, keepdims=False):
    return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims)


def _centred(x, axis, ddof):
    """(x − mean x)/(n − ddof): half of ∂var/∂x.  The mean's own dependence on x drops out of
    the derivative of Σ(x − m)² because Σ(x − m) = 0."""
    return (x - np.mean(x, axis=axis, keepdims=True)) / (count(x, axis) - ddof)


def _std_vjp(g, out, x, axis=None, ddof=0, keepdims=False):
    # d std = d var / (2 std); a constant slice (std = 0) gets 0, as in PyTorch
    return expand(g, x, axis, keepdims) * safe_divide(_centred(x, axis, ddof), expand(out, x, axis, keepdims))


defop("var", _var,
      lambda g, out, x, axis=None, ddof=0, keepdims=False: expand(g, x, axis, keepdims) * 2.0 * _centred(x, axis, ddof),
      lambda t, out, x, axis=None, ddof=0, keepdims=False:
          2.0 * np.sum(t * _centred(x, axis, ddof), axis=axis, keepdims=keepdims),
      by_evaluation(_var), "{y} = var {0}", "d{0} = G ⊙ 2({0} − mean {0})/(n − ddof)", symbol="var",
      kwargs=_SPREAD, numpy="var", methods="var", bind=_var_bind,
      why="var = mean((x − x̄)²): dx = G·2(x − x̄)/(n − ddof); the mean's own shift cancels")
defop("std", _std, _std_vjp,
      lambda t, out, x, axis=None, ddof=0, keepdims=False:
          safe_divide(np.sum(t * _centred(x, axis, ddof), axis=axis, keepdims=keepdims), out),
      by_evaluation(_std), "{y} = std {0}", "d{0} = G ⊙ ({0} − mean {0})/((n − ddof)·{y})", symbol="std",
      saves="both", kwargs=_SPREAD, numpy="std", methods="std", bind=_var_bind,
      why="std = √var: dx = G·(x − x̄)/((n − ddof)·std)")

# ───────────────────────────── max and min ─────────────────────────────


def _max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _extremum_vjp(g, out, x, axis=None, keepdims=False):
    # the gradient goes to the arg-extremum; ties share it equally
    hit = x == expand(out, x, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True, dtype=x.dtype)  # counted in x's dtype: float32 stays
    return expand(g, x, axis, keepdims) * share


def _extremum_jvp(t, out, x, axis=None, keepdims=False):
    hit = x == expand(out, x, axis, keepdims)
    return np.sum(t * hit, axis=axis, keepdims=keepdims) / np.sum(hit, axis=axis, keepdims=keepdims, dtype=t.dtype)


defop("max", _max, _extremum_vjp, _extremum_jvp, by_evaluation(_max), "{y} = max {0}",
      "d{0} = G at argmax {0}", symbol="max", saves="both", kwargs=_REDUCE,
      numpy=("max", "amax"), methods="max", bind=_extremum_bind,
      why="only the largest entry made the max: G goes to it (shared at ties)")
defop("min", _min, _extremum_vjp, _extremum_jvp, by_evaluation(_min), "{y} = min {0}",
      "d{0} = G at argmin {0}", symbol="min", saves="both", kwargs=_REDUCE,
      numpy=("min", "amin"), methods="min", bind=_extremum_bind,
      why="only the smallest entry made the min: G goes to it (shared at ties)")

# ───────────────────────────── the 2-norm ─────────────────────────────

_FLOAT64 = np.dtype(np.float64)


def _norm(x, axis=None, keepdims=False):
    if axis is None and not keepdims:  # as numpy.linalg.norm computes it: √(x·x)
        if not isinstance(x, ARRAY_TYPES):
            x = np.asarray(x)
        # one entry (a `while a.norm() < 100` test): x·x is its square, bit for bit, where ravel and dot cost 3×
        # as much; in float64, the scalar's own product and math's sqrt (both IEEE, correctly rounded) give the
        # same bits 2.5× faster than two ufunc calls on a 0-d array
        if x.ndim == 0:
            if x.dtype is _FLOAT64:
                s = x[()]
                return np.float64(math.sqrt(s * s))
            return np.sqrt(x * x)
        flat = x.ravel()
        return np.sqrt(flat.dot(flat))  # the method: np.dot's dispatch is a fifth of a small norm
    return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))


def _norm_bind(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - NumPy's name
    """The 2-norm of a vector or the Frobenius norm of a matrix (what ``ord=None`` means)."""
    ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and ndim > 1 or isinstance(axis, tuple))):
        raise ValueError(f"linalg.norm(ord={ord!r}) is not in graphstep's op table: only the 2-norm of vectors "
                         "and the Frobenius norm (ord=None or 'fro') are")
    return (x,), {"axis": _axis(axis), "keepdims": bool(keepdims)}


def _norm_vjp(g, out, x, axis=None, keepdims=False):
    # d‖x‖ = x/‖x‖; at x = 0 (a kink) the subgradient 0, as PyTorch's vector_norm gives, not 0/0
    return expand(g, x, axis, keepdims) * safe_divide(x, expand(out, x, axis, keepdims))


defop("norm", _norm, _norm_vjp,
      lambda t, out, x, axis=None, keepdims=False: safe_divide(np.sum(t * x, axis=axis, keepdims=keepdims), out),
      by_evaluation(_norm), "{y} = ‖{0}‖", "d{0} = G ⊙ {0} / ‖{0}‖", symbol="‖·‖", saves="both",
      kwargs=_REDUCE, numpy={"linalg.norm": _norm_bind}, methods={"norm": reduce_bind},
      why="‖x‖₂ has gradient x/‖x‖ (the unit vector); the 1-norm sign x; the ∞-norm G to the largest |entry|")

# ───────────────────────────── cumulative sums and products ─────────────────────────────


def _cumsum(x, axis=None):
    return np.cumsum(x, axis=axis)


def _cumprod(x, axis=None):
    return np.cumprod(x, axis=axis)


def _reverse_cumsum(a, axis):
    """Σ_{i≥j} a_i: the sum from the far end."""
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


def _cumsum_vjp(g, out, x, axis=None):
    # out_i = Σ_{j≤i} x_j, so dx_j = Σ_{i≥j} G_i; axis=None scans the flattened x
    return _reverse_cumsum(g, 0).reshape(x.shape) if axis is None else _reverse_cumsum(g, axis)


def _first_zero(x, axis):
    """Each slice split at its first zero z: the masks [k < z] and [k = z], Π_{k<z} x_k, and
    Π_{z<k≤i} x_k (1 up to z).  A slice without zeros has z past its end."""
    zero = x == 0
    seen = np.cumsum(zero, axis=axis)  # zeros among x_0 … x_k
    before, first = seen == 0, zero & (seen == 1)
    head = np.prod(np.where(before, x, 1.0), axis=axis, keepdims=True)
    tail = np.cumprod(np.where(before | first, 1.0, x), axis=axis)
    return before, first, head, tail


def _cumprod_vjp(g, out, x, axis=None):
    """dx_j = Σ_{i≥j} G_i·out_i / x_j before the slice's first zero z (there x_j ≠ 0);
    dx_z = Π_{k<z} x_k · Σ_{i≥z} G_i·Π_{z<k≤i} x_k; after z every ∂out_i/∂x_j has the factor x_z = 0.
    Exact with any number of zeros; the values PyTorch's cumprod backward gives."""
    if axis is None:
        return _cumprod_vjp(g, out, np.ravel(x), axis=0).reshape(np.shape(x))
    before, first, head, tail = _first_zero(x, axis)
    quotient = _reverse_cumsum(g * out, axis) / np.where(before, x, 1.0)
    at_zero = head * np.sum(np.where(before, 0.0, g * tail), axis=axis, keepdims=True)
    return np.where(before, quotient, np.where(first, at_zero, 0.0))


def _cumprod_jvp(t, out, x, axis=None):
    """d out_i = out_i·Σ_{j≤i} t_j/x_j before the first zero z; from z on only x_z's term is left:
    t_z·Π_{k<z} x_k·Π_{z<k≤i} x_k."""
    if axis is None:
        return _cumprod_jvp(np.ravel(t), out, np.ravel(x), axis=0)
    before, first, head, tail = _first_zero(x, axis)
    ratio = np.cumsum(np.where(before, t / np.where(before, x, 1.0), 0.0), axis=axis)
    t_zero = np.sum(np.where(first, t, 0.0), axis=axis, keepdims=True)
    return np.where(before, out * ratio, t_zero * head * tail)


defop("cumsum", _cumsum, _cumsum_vjp, lambda t, out, x, axis=None: np.cumsum(t, axis=axis),
      by_evaluation(_cumsum), "{y} = cumsum {0}", "d{0}ⱼ = Σᵢ≥ⱼ Gᵢ", symbol="cumΣ", saves="",
      kwargs=("axis",), numpy="cumsum", methods="cumsum", bind=_scan_bind, linear="inputs",
      why="each input entry adds into every later partial sum: dx = the reversed cumulative sum of G")
defop("cumprod", _cumprod, _cumprod_vjp, _cumprod_jvp, by_evaluation(_cumprod), "{y} = cumprod {0}",
      "d{0}ⱼ = Σᵢ≥ⱼ Gᵢ · Πₖ≤ᵢ,ₖ≠ⱼ {0}ₖ", symbol="cumΠ", saves="both", kwargs=("axis",),
      numpy="cumprod", methods="cumprod", bind=_scan_bind,
      why="each partial product uses every earlier entry: dxⱼ = Σᵢ≥ⱼ Gᵢ · (that product without xⱼ), zeros "
          "included")

# ───────────────────────────── np.average: a composite ─────────────────────────────


def _average_axes(axis, ndim: int):
    """NumPy's normalized axis tuple, with its errors for an axis out of range or repeated."""
    if axis is None:
        return None
    axes = _axis(axis if isinstance(axis, (tuple, list)) else (axis,))
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for array of dimension {ndim}")
    axes = normalize_axis(axes, ndim)
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    return axes


def _along(w, a_shape, axes):
    """Weights shaped like ``a`` along ``axes`` made to broadcast against ``a``, as NumPy does:
    (4,) weights with axis=1 of a (3, 4, 2) array become (1, 4, 1)."""
    if axes is None:
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    if tuple(w.shape) != tuple(a_shape[ax] for ax in axes):
        raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
    order = tuple(int(i) for i in np.argsort(axes))
    if order != tuple(range(len(axes))):
        w = call("transpose", w, axes=order)
    return call("reshape", w, shape=tuple(n if ax in axes else 1 for ax, n in enumerate(a_shape)))


def average(a, axis=None, weights=None, returned=False, *, keepdims=np._NoValue):
    """``np.average``: Σ w⊙a / Σ w along ``axis``, recorded as multiply, sum and divide so each step
    shows (without weights: one mean).  Weights may be traced too and get their own gradient."""
    a = a if hasattr(a, "shape") else np.asarray(a)
    keep = keepdims is not np._NoValue and bool(keepdims)
    try:
        axes = _average_axes(axis, len(a.shape))
        if weights is None:
            avg = call("mean", a, axis=axes, keepdims=keep)
            scale = np.full(avg.shape, a.size / max(avg.size, 1), dtype=avg.dtype)
            return (avg, scale[()]) if returned else avg
        w = weights if hasattr(weights, "shape") else np.asarray(weights)
        w = w if tuple(w.shape) == tuple(a.shape) else _along(w, a.shape, axes)
    except (TypeError, ValueError) as err:
        raise bad_call("average", err) from None
    scale = call("sum", w, axis=axes, keepdims=keep)
    if np.any(scale == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = call("divide", call("sum", call("multiply", a, w), axis=axes, keepdims=keep), scale)
    if not returned:
        return avg
    # NumPy hands back the sum of weights broadcast to the average's shape
    return avg, (scale if scale.shape == avg.shape else call("multiply", scale, np.ones(avg.shape, dtype=avg.dtype)))


defcomposite("average", average)

# ───────────────────────────── softmax ─────────────────────────────


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
      kwargs=("axis",),
      why="∂softmaxᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ), so dx = s ⊙ (G − Σ G⊙s) along the axis")
defop("log_softmax", _log_softmax,
      lambda g, out, x, axis=-1: g - np.exp(out) * np.sum(g, axis=axis, keepdims=True),
      lambda t, out, x, axis=-1: t - np.sum(np.exp(out) * t, axis=axis, keepdims=True),
      by_evaluation(_log_softmax), "{y} = log softmax {0}", "d{0} = G − softmax({0})·Σ G",
      saves="out", kwargs=("axis",),
      why="log softmax = x − logΣeˣ: dx = G − softmax(x)·ΣG along the axis")
