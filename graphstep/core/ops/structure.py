"""Provides the structural primitives (transpose, reshape, broadcast_to, tile, repeat, pad, flip, roll, copy,
astype, indexing, item assignment, joining) and the NumPy functions made of them (split, hstack, take…).

Every op here moves or copies entries without changing them, so each rule is linear
and its VJP is the adjoint movement: a permutation is undone by the inverse
permutation, a copy made n times receives the sum of the n gradients, a dropped or
overwritten entry receives nothing.  NumPy names that are the same movement with
another signature (``squeeze``, ``swapaxes``) are binders on the primitive.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import numpy as np

from .table import (
    by_evaluation,
    call,
    defcomposite,
    defop,
    float_dtype,
    normalize_axis,
    unbroadcast,
)

# ───────────────────────────── arguments ─────────────────────────────


def _shape(a) -> tuple[int, ...]:
    return a.shape if hasattr(a, "shape") else np.shape(a)


def _dummy(a):
    """A zero-stride stand-in with ``a``'s shape: NumPy's own functions compute the result's shape from it."""
    return np.broadcast_to(0.0, _shape(a))


def _value(index):
    """An index read by value: indices carry no gradient, and a traced one (labels from ``gs.input``) is read
    through its ``.value`` (ops do not import the tracer)."""
    return getattr(index, "value", index)


def _axis(axis, ndim: int) -> int:
    """One axis as a non-negative int; out of range is an error, as in NumPy, never a silent wrap-around."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def _axes(axes, ndim: int) -> tuple[int, ...]:
    axes = tuple(_axis(a, ndim) for a in (axes if isinstance(axes, (tuple, list)) else (axes,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axes}")
    return axes


def _axis_param(axis, ndim: int):
    """``axis=`` of flip/roll: None, one int or a tuple, normalized."""
    if axis is None:
        return None
    return _axis(axis, ndim) if np.ndim(axis) == 0 else _axes(tuple(axis), ndim)


# ───────────────────────────── transpose and its spellings ─────────────────────────────


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _inverse_axes(axes, ndim: int):
    """The permutation that undoes ``axes``; negative axes count from the end (``-1`` is the last)."""
    return None if axes is None else tuple(np.argsort(normalize_axis(axes, ndim)))


def _transpose_bind(a, axes=None):
    return (a,), {"axes": None if axes is None else _axes(axes, len(_shape(a)))}


def _transpose_method(a, *axes):
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return _transpose_bind(a, tuple(axes) if axes else None)


def _swapaxes_bind(a, axis1, axis2):
    perm = list(range(len(_shape(a))))
    i, j = _axis(axis1, len(perm)), _axis(axis2, len(perm))
    perm[i], perm[j] = j, i
    return (a,), {"axes": tuple(perm)}


def _moveaxis_bind(a, source, destination):
    """NumPy's moveaxis as a permutation: the other axes keep their order, the moved ones are inserted."""
    ndim = len(_shape(a))
    source, destination = _axes(source, ndim), _axes(destination, ndim)
    if len(source) != len(destination):
        raise ValueError("source and destination must have the same number of elements")
    order = [n for n in range(ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return (a,), {"axes": tuple(order)}


def _is_matrix_transpose(axes) -> bool:
    """No axes, or only the last two swapped (batched matrices): what a learner reads as ᵀ."""
    return axes is None or tuple(axes) == tuple(range(len(axes) - 2)) + (len(axes) - 1, len(axes) - 2)


def _transpose_fwd(axes=None) -> str:
    return "{y} = {0}ᵀ" if _is_matrix_transpose(axes) else f"{{y}} = transpose({{0}}, {tuple(axes)})"


def _transpose_bwd(axes=None, i=0) -> str:
    if _is_matrix_transpose(axes):
        return "d{0} = Gᵀ"
    return f"d{{0}} = transpose(G, {tuple(int(a) for a in np.argsort(axes))})"  # the inverse permutation


defop("transpose", _transpose,
      lambda g, out, x, axes=None: np.transpose(g, _inverse_axes(axes, x.ndim)),
      lambda t, out, x, axes=None: np.transpose(t, axes),
      by_evaluation(_transpose), _transpose_fwd, _transpose_bwd, symbol="ᵀ", saves="", kwargs=("axes",),
      numpy={"transpose": _transpose_bind, "swapaxes": _swapaxes_bind, "moveaxis": _moveaxis_bind},
      methods={"transpose": _transpose_method, "swapaxes": _swapaxes_bind}, linear="inputs",
      why="transposing moves entries without changing them: G is transposed back")

# ───────────────────────────── reshape and its spellings ─────────────────────────────


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


def _ravel_bind(a, order="C"):
    _c_order(order)
    return (a,), {"shape": (-1,)}


def _squeeze_bind(a, axis=None):
    return (a,), {"shape": np.squeeze(_dummy(a), axis).shape}  # NumPy refuses to squeeze an axis of size ≠ 1


def _expand_dims_bind(a, axis):
    return (a,), {"shape": np.expand_dims(_dummy(a), axis).shape}


defop("reshape", _reshape, lambda g, out, x, shape: np.reshape(g, x.shape),
      lambda t, out, x, shape: np.reshape(t, shape),
      by_evaluation(_reshape), "{y} = reshape({0})", "d{0} = reshape(G, shape of {0})", saves="", kwargs=("shape",),
      numpy={"reshape": _reshape_bind, "ravel": _ravel_bind, "squeeze": _squeeze_bind,
             "expand_dims": _expand_dims_bind},
      methods={"reshape": _reshape_method, "ravel": _ravel_bind, "flatten": _ravel_bind, "squeeze": _squeeze_bind},
      linear="inputs",
      why="reshape keeps every entry: G is reshaped back to the input's shape")

# ───────────────────────────── copies: broadcast_to, tile, repeat, pad ─────────────────────────────


def _broadcast_to_bind(array, shape, subok=False):
    return (array,), {"shape": tuple(int(n) for n in np.atleast_1d(shape))}


# broadcasting copies x along the new axes: its gradient sums G over them
defop("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
      lambda g, out, x, shape: unbroadcast(g, x.shape), lambda t, out, x, shape: np.broadcast_to(t, shape),
      by_evaluation(np.broadcast_to), "{y} = broadcast {0}", "d{0} = G summed over the broadcast axes",
      symbol="bcast", saves="", kwargs=("shape",), numpy={"broadcast_to": _broadcast_to_bind}, linear="inputs",
      why="an entry copied along new axes is used once per copy: G is summed over them")


def _tile_vjp(g, out, x, reps):
    # y is reps[0]×reps[1]×… tiles, each a copy of x: split every axis into (tile, entry) and sum over the tiles
    ndim = max(x.ndim, len(reps))
    reps, shape = (1,) * (ndim - len(reps)) + reps, (1,) * (ndim - x.ndim) + x.shape
    tiles = g.reshape([n for pair in zip(reps, shape) for n in pair])
    return tiles.sum(axis=tuple(range(0, 2 * ndim, 2))).reshape(x.shape)


defop("tile", lambda x, reps: np.tile(x, reps), _tile_vjp, lambda t, out, x, reps: np.tile(t, reps),
      by_evaluation(np.tile), "{y} = tile({0})", "d{0} = Σ of G over the tiles", symbol="tile", saves="",
      kwargs=("reps",), numpy={"tile": lambda A, reps: ((A,), {"reps": tuple(int(r) for r in np.atleast_1d(reps))})},
      linear="inputs",
      why="each entry is used once per tile: G is summed over the tiles")


def _repeat_vjp(g, out, x, repeats, axis=None):
    # each entry of x is copied repeats times along the axis: it receives the sum of G over its copies
    if axis is None:  # NumPy repeats the flattened array
        return _repeat_vjp(g, out, x.reshape(-1), repeats, 0).reshape(x.shape)
    source = np.repeat(np.arange(x.shape[axis]), repeats)  # the entry of x that each slice of y copies
    dx = np.zeros(x.shape, dtype=float_dtype(g))
    np.add.at(dx, (slice(None),) * axis + (source,), g)
    return dx


def _repeat_bind(a, repeats, axis=None):
    counts = np.asarray(repeats)
    counts = int(counts) if counts.ndim == 0 else tuple(int(n) for n in counts.ravel())
    return (a,), {"repeats": counts, "axis": None if axis is None else _axis(axis, len(_shape(a)))}


defop("repeat", lambda x, repeats, axis=None: np.repeat(x, repeats, axis), _repeat_vjp,
      lambda t, out, x, repeats, axis=None: np.repeat(t, repeats, axis),
      by_evaluation(np.repeat), "{y} = repeat({0})", "d{0} = Σ of G over each entry's copies", symbol="repeat",
      saves="", kwargs=("repeats", "axis"), numpy="repeat", methods="repeat", bind=_repeat_bind, linear="inputs",
      why="each entry is repeated k times: G is summed over its repeats")

# constant padding adds entries that come from no entry of x; edge, reflect, symmetric and wrap copy entries of x
_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad(x, pad_width, mode="constant", constant_values=0.0):
    return np.pad(x, pad_width, mode=mode, **({"constant_values": constant_values} if mode == "constant" else {}))


def _pad_vjp(g, out, x, pad_width, mode="constant", constant_values=0.0):
    if mode == "constant":  # the padding is constant: crop G back to x
        return g[tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))]
    # the other modes copy entries of x: padding each axis's positions 0…n−1 the same way says which entry
    # every entry of y copies, and G is added back there (an entry copied k times receives k contributions)
    dx = np.zeros(x.shape, dtype=float_dtype(g))
    np.add.at(dx, np.ix_(*(np.pad(np.arange(n), w, mode=mode) for n, w in zip(x.shape, pad_width))), g)
    return dx


def _pad_bind(array, pad_width, mode="constant", *, constant_values=0.0, reflect_type="even"):
    """``np.pad`` in the modes that copy values (the statistics modes and ``reflect_type='odd'`` are refused)."""
    if mode not in _PAD_MODES:
        raise ValueError(f"mode={mode!r} is not traced: the modes that copy entries are {', '.join(_PAD_MODES)}")
    if reflect_type != "even":
        raise ValueError(f"reflect_type={reflect_type!r} is not traced (it pads 2·edge − x, not copies of x)")
    ndim = len(_shape(array))
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (ndim, 2))
    if (widths < 0).any():
        raise ValueError("pad_width cannot be negative")
    values = np.asarray(constant_values, dtype=float)  # a traced value is refused here: it would need a gradient
    values = float(values) if values.ndim == 0 else tuple(map(tuple, np.broadcast_to(values, (ndim, 2)).tolist()))
    return (array,), {"pad_width": tuple(map(tuple, widths.tolist())), "mode": mode, "constant_values": values}


defop("pad", _pad, _pad_vjp,
      lambda t, out, x, pad_width, mode="constant", constant_values=0.0: np.pad(t, pad_width, mode=mode),
      by_evaluation(_pad), "{y} = pad({0})", "d{0} = G cropped to {0} (copies of an entry add up)", symbol="pad",
      saves="", kwargs=("pad_width", "mode", "constant_values"), numpy={"pad": _pad_bind},
      why="padding adds entries around the input (constants, or copies of its edges): G is cropped back, a "
          "copy's G added to its entry")

# ───────────────────────────── permutations of entries: flip, roll ─────────────────────────────


def _flip_bind(m, axis=None):
    return (m,), {"axis": _axis_param(axis, len(_shape(m)))}


def _flip_axis(axis: int, least: int) -> Callable:
    def bind(m):
        if len(_shape(m)) < least:
            raise ValueError(f"the array must be at least {least}-D")
        return (m,), {"axis": axis}
    return bind


# a flip is its own inverse
defop("flip", lambda x, axis=None: np.flip(x, axis), lambda g, out, x, axis=None: np.flip(g, axis),
      lambda t, out, x, axis=None: np.flip(t, axis), by_evaluation(np.flip), "{y} = flip({0})", "d{0} = flip(G)",
      symbol="flip", saves="", kwargs=("axis",),
      numpy={"flip": _flip_bind, "fliplr": _flip_axis(1, 2), "flipud": _flip_axis(0, 1)}, linear="inputs",
      why="flipping moves entries: G is flipped back")


def _roll_bind(a, shift, axis=None):
    shift = int(shift) if np.ndim(shift) == 0 else tuple(int(s) for s in shift)
    return (a,), {"shift": shift, "axis": _axis_param(axis, len(_shape(a)))}


# rolling back by the same shift undoes a roll
defop("roll", lambda x, shift, axis=None: np.roll(x, shift, axis),
      lambda g, out, x, shift, axis=None: np.roll(g, np.negative(shift), axis),
      lambda t, out, x, shift, axis=None: np.roll(t, shift, axis), by_evaluation(np.roll), "{y} = roll({0})",
      "d{0} = roll(G, −shift)", symbol="roll", saves="", kwargs=("shift", "axis"), numpy="roll", bind=_roll_bind,
      linear="inputs",
      why="rolling moves entries: G is rolled back")

# ───────────────────────────── copy, astype ─────────────────────────────

defop("copy", lambda x: np.array(x, copy=True), lambda g, out, x: g, lambda t, out, x: t,
      lambda x: x, "{y} = copy({0})", "d{0} = G", symbol="copy", saves="",
      numpy={"copy": lambda a, order="K", subok=False: ((a,), {})}, methods={"copy": lambda a, order="C": ((a,), {})},
      linear="inputs",
      why="a copy is the same numbers: G passes through")


def _astype_bind(a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """Only float targets: a cast to int or bool is piecewise constant, so its gradient is 0 wherever it exists, and
    recording it would carry integer values into ops that expect gradients.  The message names the ways out."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"astype({dtype}) has no gradient (it is piecewise constant), so a traced tensor cannot "
                         f"take it; for plain values (indices, labels, a mask) use t.value.astype({dtype}), "
                         "or keep a float dtype (astype(float))")
    return (a,), {"dtype": dtype.name}


# a cast's gradient is cast back: x's gradient has x's dtype, as in PyTorch
defop("astype", lambda x, dtype: np.asarray(x).astype(dtype), lambda g, out, x, dtype: g.astype(float_dtype(x)),
      lambda t, out, x, dtype: t.astype(dtype), lambda x, dtype: x, "{y} = float({0})", "d{0} = G", symbol="float",
      saves="", kwargs=("dtype",), methods={"astype": _astype_bind},
      why="a new dtype, the same numbers: G passes through, cast back to the input's dtype")

# ───────────────────────────── indexing and item assignment ─────────────────────────────


def _getitem(x, index):
    return x[index]


def _getitem_vjp(g, out, x, index):
    # indexing scatters the gradient back; repeated indices accumulate
    dx = np.zeros(x.shape, dtype=float_dtype(g))
    np.add.at(dx, index, g)
    return dx


defop("getitem", _getitem, _getitem_vjp, lambda t, out, x, index: t[index],
      by_evaluation(_getitem), "{y} = {0}[i]", "d{0} = scatter G into zeros at [i]", symbol="[]",
      saves="", kwargs=("index",), linear="inputs",
      why="indexing picks entries: G goes back to the entries picked (added up where one is picked twice), 0 "
          "elsewhere")


def _setitem(x, v, index):
    """``x`` with ``v`` written at ``index``, as a new array: the input is never written."""
    out = np.array(x, copy=True)
    out[index] = v
    return out


def _written(shape, index):
    """Per entry of the result, which entry of the assigned value (broadcast to ``x[i]``'s shape) landed there,
    −1 where the old value stays.  Where an index repeats, NumPy keeps the last write, and so does this map."""
    source = np.full(shape, -1, dtype=np.intp)
    target = source[index].shape
    source[index] = np.arange(math.prod(target)).reshape(target)
    return source, target


def _setitem_value_vjp(g, out, x, v, index):
    # G at the entries v was written to; an overwritten write receives nothing; broadcast axes of v are summed
    if out.dtype.kind != "f":  # written into an int or bool array: truncation is piecewise constant
        return np.zeros(np.shape(v), dtype=float_dtype(v))
    source, target = _written(x.shape, index)
    hit = source >= 0
    dv = np.zeros(math.prod(target), dtype=float_dtype(g))
    dv[source[hit]] = g[hit]
    v_shape = np.shape(v)
    core = v_shape[max(0, len(v_shape) - len(target)):]  # NumPy drops leading 1s of a value with more axes
    return unbroadcast(dv.reshape(target), core).reshape(v_shape)


defop("setitem", _setitem,
      (lambda g, out, x, v, index: _setitem(g, 0.0, index), _setitem_value_vjp),
      (lambda t, out, x, v, index: _setitem(t, 0.0, index),
       lambda t, out, x, v, index: _setitem(np.zeros(out.shape, dtype=float_dtype(t)), t if out.dtype.kind == "f"
                                            else 0.0, index)),
      by_evaluation(_setitem), "{y} = {0} with [i] ← {1}", ("d{0} = G with [i] ← 0", "d{1} = G[i]"),
      symbol="[]=", saves="", kwargs=("index",), linear="inputs",
      why="writing into entries replaces them: the old entries get no G there, the written value gets G's slice")


def _take(a, indices, axis=None, mode="raise"):
    """``np.take`` is indexing: ``a[..., indices]`` along ``axis``, ``a.ravel()[indices]`` without one."""
    if axis is None:
        a, axis = call("reshape", a, shape=(-1,)), 0
    ndim = len(_shape(a))
    axis = _axis(axis, ndim)
    indices, n = np.asarray(_value(indices)), _shape(a)[axis]
    if mode == "wrap":
        indices = np.mod(indices, n)
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"mode={mode!r}: take's modes are 'raise', 'wrap' and 'clip'")
    return call("getitem", a, index=(slice(None),) * axis + (indices,))


def _take_along_axis(arr, indices, axis=-1):
    """``np.take_along_axis`` is fancy indexing: ``indices`` along ``axis``, every other axis by its position."""
    if axis is None:
        arr, axis = call("reshape", arr, shape=(-1,)), 0
    shape, indices = _shape(arr), np.asarray(_value(indices))
    axis = _axis(axis, len(shape))
    if indices.ndim != len(shape):
        raise ValueError("take_along_axis: indices and arr must have the same number of dimensions")
    ones = (1,) * len(shape)
    index = tuple(indices if d == axis else np.arange(n).reshape(ones[:d] + (-1,) + ones[d + 1:])
                  for d, n in enumerate(shape))
    return call("getitem", arr, index=index)


defcomposite("take", _take, method=True)
defcomposite("take_along_axis", _take_along_axis)

# ───────────────────────────── joining and splitting ─────────────────────────────


def _join_bind(arrays, axis=0, *, dtype=None, casting="same_kind"):
    if dtype is not None:
        raise ValueError("dtype= is not supported: join the arrays, then use .astype(float)")
    return tuple(arrays), {"axis": axis}


def _concatenate(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _stack(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _concat_pieces(g, out, *xs, axis=0):
    """Every input's slice of G, cut in one pass: per input, a slice would sum the earlier sizes again."""
    ax = axis % g.ndim
    return np.split(g, np.cumsum([x.shape[ax] for x in xs[:-1]]), axis=ax)


def _stack_pieces(g, out, *xs, axis=0):
    return list(np.moveaxis(g, axis % g.ndim, 0))


defop("concatenate", _concatenate, None,
      lambda t, out, *xs, axis=0, i=0: _concatenate(*[t if j == i else np.zeros_like(x) for j, x in enumerate(xs)],
                                                   axis=axis),
      by_evaluation(_concatenate), "{y} = concat(…)", "d{x} = slice of G", symbol="concat", saves="",
      variadic=True, vjp_all=_concat_pieces, kwargs=("axis",), numpy={"concatenate": _join_bind}, linear="inputs",
      why="each input is one slice of the output: it gets its slice of G")
defop("stack", _stack, None,
      lambda t, out, *xs, axis=0, i=0: _stack(*[t if j == i else np.zeros_like(x) for j, x in enumerate(xs)],
                                              axis=axis),
      by_evaluation(_stack), "{y} = stack(…)", "d{x} = G[i]", symbol="stack", saves="",
      variadic=True, vjp_all=_stack_pieces, kwargs=("axis",), numpy={"stack": _join_bind}, linear="inputs",
      why="each input is one slice of the output along the new axis: it gets G[i]")


def _lifted(a, shape):
    """``a`` reshaped to ``shape`` where it differs: the atleast_1d/atleast_2d and column views of the stackers."""
    return a if _shape(a) == shape else call("reshape", a, shape=shape)


def _pieces(tup, dtype) -> list:
    if dtype is not None:
        raise ValueError("dtype= is not supported: join the arrays, then use .astype(float)")
    return list(tup)


def _hstack(tup, *, dtype=None, casting="same_kind"):
    """``np.hstack``: joined along the columns (along axis 0 for vectors; a scalar counts as a vector)."""
    arrays = [_lifted(a, _shape(a) or (1,)) for a in _pieces(tup, dtype)]
    return call("concatenate", *arrays, axis=0 if len(_shape(arrays[0])) == 1 else 1)


def _vstack(tup, *, dtype=None, casting="same_kind"):
    """``np.vstack``: joined along the rows, a vector being one row; vectors alone are ``np.stack``."""
    arrays = _pieces(tup, dtype)
    if all(len(_shape(a)) == 1 for a in arrays):
        return call("stack", *arrays, axis=0)
    return call("concatenate", *[_lifted(a, (1,) * (2 - len(_shape(a))) + _shape(a)) for a in arrays], axis=0)


def _column_stack(tup):
    """``np.column_stack``: vectors become columns; vectors alone are ``np.stack(…, axis=1)``."""
    arrays = _pieces(tup, None)
    if all(len(_shape(a)) == 1 for a in arrays):
        return call("stack", *arrays, axis=1)
    return call("concatenate", *[_lifted(a, (_shape(a) + (1, 1))[:2] if len(_shape(a)) < 2 else _shape(a))
                                 for a in arrays], axis=1)


def _split(a, sections, axis=0, *, equal: bool = True) -> list:
    """``np.split``/``np.array_split``: a list of slices along ``axis`` (each one getitem node)."""
    shape = _shape(a)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    if np.ndim(sections) == 0:
        count = operator.index(sections)
        if count <= 0:
            raise ValueError("number sections must be larger than 0")
        each, extra = divmod(n, count)
        if equal and extra:
            raise ValueError("array split does not result in an equal division")
        bounds = np.cumsum([0] + extra * [each + 1] + (count - extra) * [each]).tolist()
    else:
        bounds = [0, *(operator.index(i) for i in sections), n]
    lead = (slice(None),) * axis
    return [call("getitem", a, index=lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _split_equal(ary, indices_or_sections, axis=0) -> list:
    """``np.split``: equal sections (or cuts at the given indices), a list of slices."""
    return _split(ary, indices_or_sections, axis)


def _array_split(ary, indices_or_sections, axis=0) -> list:
    """``np.array_split``: as ``np.split``, but n sections need not divide the axis (the first ones are longer)."""
    return _split(ary, indices_or_sections, axis, equal=False)


defcomposite("hstack", _hstack)
defcomposite("vstack", _vstack)
defcomposite("column_stack", _column_stack)
defcomposite("split", _split_equal)
defcomposite("array_split", _array_split)


def _diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    """``np.diff``: ``a[1:] − a[:-1]`` along ``axis``, ``n`` times; each difference is two slices and a subtract."""
    if prepend is not np._NoValue or append is not np._NoValue:
        raise ValueError("prepend=/append= are not supported: concatenate first, then take np.diff")
    if operator.index(n) < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    axis = _axis(axis, len(_shape(a)))
    lead = (slice(None),) * axis
    for _ in range(n):
        a = call("subtract", call("getitem", a, index=lead + (slice(1, None),)),
                 call("getitem", a, index=lead + (slice(None, -1),)))
    return a


defcomposite("diff", _diff)
