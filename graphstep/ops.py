"""Provides the op table: one entry per primitive with its NumPy forward, VJP, JVP,
shape rule and the formula text shown to learners.

Rule signatures (the same short names everywhere):

* ``forward(*xs, **kw) -> out``
* ``vjp[i](g, out, *xs, **kw) -> gradient for input i`` (``None`` = no gradient)
* ``jvp[i](t, out, *xs, **kw) -> tangent of out`` given tangent ``t`` of input i
* ``shape(*shapes, **kw) -> shape`` (raises ``ValueError`` with a readable reason)

Formula templates use ``{y}`` for the output's name, ``{0}``, ``{1}``… for the
inputs' names and ``G`` for the gradient arriving at the output.  ``factors[i]``
gives the shapes that the backward formula for input i multiplies, so the step
can print ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Op:
    """One primitive: everything graphstep knows about it lives here."""

    name: str
    forward: Callable
    vjp: tuple[Callable | None, ...]
    jvp: tuple[Callable | None, ...]
    shape: Callable[..., Shape]
    fwd: str
    bwd: tuple[str, ...]
    symbol: str = ""
    saves: str = "inputs"  # which forward values backward reads: "inputs", "out", "both", ""
    factors: Callable | None = None  # (g_shape, *in_shapes) -> list per input of shapes
    variadic: bool = False  # concatenate/stack: rules apply to every input
    doc: str = ""
    kwargs: tuple[str, ...] = field(default=())
    infix: str = ", "  # how the forward formula joins input shapes: (8×4)·(4×16)

    @property
    def broadcasts(self) -> bool:
        """Binary elementwise ops broadcast, so their backward may sum axes away."""
        return self.shape is shape_broadcast

    def vjp_rule(self, i: int) -> Callable | None:
        return self.vjp[0] if self.variadic else self.vjp[i]

    def jvp_rule(self, i: int) -> Callable | None:
        return self.jvp[0] if self.variadic else self.jvp[i]

    def bwd_text(self, i: int) -> str:
        return self.bwd[0] if self.variadic else self.bwd[i]


OPS: dict[str, Op] = {}


def defop(name: str, forward: Callable, vjp, jvp, shape, fwd: str, bwd, **extra) -> Op:
    """Register a primitive; the single place an op's facts are written down."""
    as_tuple = (lambda r: r if isinstance(r, tuple) else (r,))
    op = Op(name, forward, as_tuple(vjp), as_tuple(jvp), shape, fwd, as_tuple(bwd), **extra)
    OPS[name] = op
    return op


# ───────────────────────────── broadcasting ─────────────────────────────


@functools.lru_cache(maxsize=1024)
def broadcast_axes(g_shape: Shape, shape: Shape) -> tuple[int, ...]:
    """Axes of a gradient shaped ``g_shape`` that broadcasting added to ``shape``."""
    extra = len(g_shape) - len(shape)
    kept = tuple(i + extra for i, n in enumerate(shape) if n == 1 and g_shape[i + extra] != 1)
    return tuple(range(extra)) + kept


def unbroadcast(g: np.ndarray, shape: Shape) -> np.ndarray:
    """Undo broadcasting: a value broadcast in forward is summed in backward."""
    if g.shape == shape:
        return g
    return g.sum(axis=broadcast_axes(g.shape, shape)).reshape(shape)


def shape_broadcast(*shapes: Shape) -> Shape:
    if all(s == shapes[0] for s in shapes):
        return shapes[0]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            "shapes " + " and ".join(fmt_shape(s) for s in shapes) + " cannot be broadcast together"
        ) from None


def shape_same(x: Shape, **_) -> Shape:
    return x


def fmt_shape(shape: Shape) -> str:
    """(4×16) for learners; a 1-D shape is (16), a scalar ()."""
    return "(" + "×".join(str(n) for n in shape) + ")"


def by_evaluation(forward: Callable) -> Callable[..., Shape]:
    """Shape rule for structural ops: run the forward on zero-stride dummies."""

    def rule(*shapes: Shape, **kw) -> Shape:
        dummies = [np.broadcast_to(np.zeros(()), s) for s in shapes]
        return np.shape(forward(*dummies, **kw))

    return rule


# ───────────────────────────── elementwise binary ─────────────────────────────

defop("add", np.add,
      (lambda g, out, x, y: unbroadcast(g, x.shape), lambda g, out, x, y: unbroadcast(g, y.shape)),
      (lambda t, out, x, y: t, lambda t, out, x, y: t),
      shape_broadcast, "{y} = {0} + {1}", ("d{0} = G", "d{1} = G"), infix="+", symbol="+", saves="")
defop("subtract", np.subtract,
      (lambda g, out, x, y: unbroadcast(g, x.shape), lambda g, out, x, y: unbroadcast(-g, y.shape)),
      (lambda t, out, x, y: t, lambda t, out, x, y: -t),
      shape_broadcast, "{y} = {0} − {1}", ("d{0} = G", "d{1} = −G"), infix="−", symbol="−", saves="")
defop("multiply", np.multiply,
      (lambda g, out, x, y: unbroadcast(g * y, x.shape), lambda g, out, x, y: unbroadcast(g * x, y.shape)),
      (lambda t, out, x, y: t * y, lambda t, out, x, y: x * t),
      shape_broadcast, "{y} = {0} ⊙ {1}", ("d{0} = G ⊙ {1}", "d{1} = G ⊙ {0}"), infix="⊙", symbol="×")
defop("divide", np.divide,
      (lambda g, out, x, y: unbroadcast(g / y, x.shape),
       lambda g, out, x, y: unbroadcast(-g * out / y, y.shape)),
      (lambda t, out, x, y: t / y, lambda t, out, x, y: -t * out / y),
      shape_broadcast, "{y} = {0} / {1}", ("d{0} = G / {1}", "d{1} = −G ⊙ {y} / {1}"),
      infix="/", symbol="÷", saves="both")


def _power_dx(g, out, x, p):
    # d(x^p)/dx = p·x^(p−1); p == 2 is the common case and needs no pow
    square = np.ndim(p) == 0 and p == 2
    return unbroadcast(g * (2.0 * x) if square else g * p * x ** (p - 1), x.shape)


def _power_dp(g, out, x, p):
    # d(x^p)/dp = x^p·log x, defined where x > 0
    return unbroadcast(g * out * np.log(np.where(x > 0, x, 1.0)), np.shape(p))


defop("power", np.power, (_power_dx, _power_dp),
      (lambda t, out, x, p: t * p * x ** (p - 1),
       lambda t, out, x, p: t * out * np.log(np.where(x > 0, x, 1.0))),
      shape_broadcast, "{y} = {0}^{1}", ("d{0} = G ⊙ {1}·{0}^({1}−1)", "d{1} = G ⊙ {y}·log {0}"),
      infix="^", symbol="**", saves="both")


def _select(x, y, larger: bool):
    """Where max/min chose x; ties split the gradient equally, as in JAX."""
    return np.where(x == y, 0.5, (x > y) if larger else (x < y))


def _defselect(name: str, forward: Callable, larger: bool, cmp: str) -> None:
    """maximum/minimum: G flows to the argument that was chosen."""
    defop(name, forward,
          (lambda g, out, x, y: unbroadcast(g * _select(x, y, larger), x.shape),
           lambda g, out, x, y: unbroadcast(g * _select(y, x, larger), y.shape)),
          (lambda t, out, x, y: t * _select(x, y, larger),
           lambda t, out, x, y: t * _select(y, x, larger)),
          shape_broadcast, f"{{y}} = {name[:3]}({{0}}, {{1}})",
          (f"d{{0}} = G ⊙ [{{0}} {cmp} {{1}}]", f"d{{1}} = G ⊙ [{{1}} {cmp} {{0}}]"), symbol=name[:3])


_defselect("maximum", np.maximum, True, ">")
_defselect("minimum", np.minimum, False, "<")

# ───────────────────────────── elementwise unary ─────────────────────────────

defop("negative", np.negative, lambda g, out, x: -g, lambda t, out, x: -t,
      shape_same, "{y} = −{0}", "d{0} = −G", symbol="−", saves="")
defop("exp", np.exp, lambda g, out, x: g * out, lambda t, out, x: t * out,
      shape_same, "{y} = exp {0}", "d{0} = G ⊙ {y}", saves="out")
defop("log", np.log, lambda g, out, x: g / x, lambda t, out, x: t / x,
      shape_same, "{y} = log {0}", "d{0} = G / {0}")
defop("tanh", np.tanh, lambda g, out, x: g * (1.0 - out * out), lambda t, out, x: t * (1.0 - out * out),
      shape_same, "{y} = tanh {0}", "d{0} = G ⊙ (1 − {y}²)", saves="out")
defop("sqrt", np.sqrt, lambda g, out, x: g / (2.0 * out), lambda t, out, x: t / (2.0 * out),
      shape_same, "{y} = √{0}", "d{0} = G / (2·{y})", saves="out")
defop("abs", np.abs, lambda g, out, x: g * np.sign(x), lambda t, out, x: t * np.sign(x),
      shape_same, "{y} = |{0}|", "d{0} = G ⊙ sign {0}")
defop("square", np.square, lambda g, out, x: g * (2.0 * x), lambda t, out, x: t * (2.0 * x),
      shape_same, "{y} = {0}²", "d{0} = G ⊙ 2{0}")
defop("sin", np.sin, lambda g, out, x: g * np.cos(x), lambda t, out, x: t * np.cos(x),
      shape_same, "{y} = sin {0}", "d{0} = G ⊙ cos {0}")
defop("cos", np.cos, lambda g, out, x: -g * np.sin(x), lambda t, out, x: -t * np.sin(x),
      shape_same, "{y} = cos {0}", "d{0} = −G ⊙ sin {0}")


def _clip(x, lo=None, hi=None):
    return np.clip(x, lo, hi)


def _inside(x, lo, hi):
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside


defop("clip", _clip, lambda g, out, x, lo=None, hi=None: g * _inside(x, lo, hi),
      lambda t, out, x, lo=None, hi=None: t * _inside(x, lo, hi),
      shape_same, "{y} = clip({0}, lo, hi)", "d{0} = G ⊙ [lo ≤ {0} ≤ hi]", kwargs=("lo", "hi"))


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free logistic


defop("sigmoid", _sigmoid, lambda g, out, x: g * out * (1.0 - out), lambda t, out, x: t * out * (1.0 - out),
      shape_same, "{y} = σ({0})", "d{0} = G ⊙ {y}(1 − {y})", saves="out")
defop("relu", lambda x: np.maximum(x, 0.0), lambda g, out, x: g * (x > 0), lambda t, out, x: t * (x > 0),
      shape_same, "{y} = relu {0}", "d{0} = G ⊙ [{0} > 0]")


def _where_vjp(pick_true: bool):
    def rule(g, out, c, x, y):
        target = x if pick_true else y
        return unbroadcast(np.where(c, g, 0.0) if pick_true else np.where(c, 0.0, g), np.shape(target))
    return rule


defop("where", np.where, (None, _where_vjp(True), _where_vjp(False)),
      (None, lambda t, out, c, x, y: np.where(c, t, 0.0), lambda t, out, c, x, y: np.where(c, 0.0, t)),
      shape_broadcast, "{y} = where({0}, {1}, {2})",
      ("", "d{1} = G ⊙ [{0}]", "d{2} = G ⊙ [¬{0}]"), saves="inputs")

# ───────────────────────────── linear algebra ─────────────────────────────


def _matmul_da(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:  # the common case: dA = G·Bᵀ, shapes already match
        return g @ b.T
    if a.ndim == 1 and b.ndim == 1:  # dot product: a scalar G scales the other vector
        return g * b
    if b.ndim == 1:  # (…,n,k)·(k) → (…,n): dA = G ⊗ b
        return unbroadcast(g[..., None] * b, a.shape)
    if a.ndim == 1:  # (k)·(…,k,m) → (…,m): dA = Σ B·G
        return unbroadcast(np.matmul(b, g[..., None])[..., 0], a.shape)
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a.shape)


def _matmul_db(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return unbroadcast(a[:, None] * g[..., None, :], b.shape)
    if b.ndim == 1:
        return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g[..., None])[..., 0], b.shape)
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), b.shape)


def _matmul_shape(a: Shape, b: Shape) -> Shape:
    if not a or not b:
        raise ValueError("matmul needs at least 1-D operands; use * for scalars")
    k_a, k_b = a[-1], (b[0] if len(b) == 1 else b[-2])
    if k_a != k_b:
        raise ValueError(f"inner dimensions differ: {fmt_shape(a)}·{fmt_shape(b)} needs {k_a} == {k_b}")
    batch = shape_broadcast(a[:-2], b[:-2])
    return batch + (a[-2:-1] if len(a) > 1 else ()) + (b[-1:] if len(b) > 1 else ())


def _transposed(s: Shape) -> Shape:
    return s[:-2] + s[-2:][::-1] if len(s) > 1 else s


defop("matmul", np.matmul, (_matmul_da, _matmul_db),
      (lambda t, out, a, b: np.matmul(t, b), lambda t, out, a, b: np.matmul(a, t)),
      _matmul_shape, "{y} = {0}·{1}", ("d{0} = G·{1}ᵀ", "d{1} = {0}ᵀ·G"), infix="·", symbol="@",
      factors=lambda g, a, b: ([g, _transposed(b)], [_transposed(a), g]))


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort(axes))


defop("transpose", _transpose,
      lambda g, out, x, axes=None: np.transpose(g, _inverse_axes(axes)),
      lambda t, out, x, axes=None: np.transpose(t, axes),
      by_evaluation(_transpose), "{y} = {0}ᵀ", "d{0} = Gᵀ", symbol="ᵀ", saves="", kwargs=("axes",))


def _reshape(x, shape):
    return np.reshape(x, shape)


defop("reshape", _reshape, lambda g, out, x, shape: np.reshape(g, x.shape),
      lambda t, out, x, shape: np.reshape(t, shape),
      by_evaluation(_reshape), "{y} = reshape({0})", "d{0} = reshape(G, shape of {0})",
      saves="", kwargs=("shape",))


def _norm(x, axis=None, keepdims=False):
    if axis is None and not keepdims:  # as numpy.linalg.norm computes it: √(x·x)
        flat = np.ravel(x)
        return np.sqrt(np.dot(flat, flat))
    return np.sqrt(np.add.reduce(x * x, axis=axis, keepdims=keepdims))


defop("norm", _norm,
      lambda g, out, x, axis=None, keepdims=False:
          _expand(g, x, axis, keepdims) * x / _expand(np.where(out == 0, 1.0, out), x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False:
          np.sum(t * x, axis=axis, keepdims=keepdims) / np.where(out == 0, 1.0, out),
      by_evaluation(_norm), "{y} = ‖{0}‖", "d{0} = G ⊙ {0} / ‖{0}‖", symbol="‖·‖", saves="both",
      kwargs=("axis", "keepdims"))

# ───────────────────────────── reductions ─────────────────────────────


def _expand(g, x, axis, keepdims):
    """Broadcast a reduced gradient back over the reduced axes (a view, no copy)."""
    if axis is None and not keepdims and x.size <= 4096:
        return np.full(x.shape, g)  # small: a fresh array is cheaper than a broadcast view
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    elif axis is None and not keepdims:
        g = np.reshape(g, (1,) * x.ndim)
    return np.broadcast_to(g, x.shape)


def _count(x, axis) -> int:
    if axis is None:
        return x.size
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([x.shape[a] for a in axes]))


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
    hit = x == _expand(out, x, axis, keepdims)
    share = hit / np.sum(hit, axis=axis, keepdims=True)
    return _expand(g, x, axis, keepdims) * share


def _extremum_jvp(t, out, x, axis=None, keepdims=False):
    hit = x == _expand(out, x, axis, keepdims)
    return np.sum(t * hit, axis=axis, keepdims=keepdims) / np.sum(hit, axis=axis, keepdims=keepdims)


_REDUCE = ("axis", "keepdims")
defop("sum", _sum, lambda g, out, x, axis=None, keepdims=False: _expand(g, x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.sum(t, axis=axis, keepdims=keepdims),
      by_evaluation(_sum), "{y} = Σ {0}", "d{0} = expand(G)", symbol="Σ", saves="", kwargs=_REDUCE)
defop("mean", _mean, lambda g, out, x, axis=None, keepdims=False: _expand(g / _count(x, axis), x, axis, keepdims),
      lambda t, out, x, axis=None, keepdims=False: np.mean(t, axis=axis, keepdims=keepdims),
      by_evaluation(_mean), "{y} = mean {0}", "d{0} = expand(G) / n", symbol="mean", saves="",
      kwargs=_REDUCE)
defop("max", _max, _extremum_vjp, _extremum_jvp, by_evaluation(_max), "{y} = max {0}",
      "d{0} = G at argmax {0}", symbol="max", saves="both", kwargs=_REDUCE)
defop("min", _min, _extremum_vjp, _extremum_jvp, by_evaluation(_min), "{y} = min {0}",
      "d{0} = G at argmin {0}", symbol="min", saves="both", kwargs=_REDUCE)


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

# ───────────────────────────── structure ─────────────────────────────


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
      variadic=True, kwargs=("axis",))
defop("stack", _stack, _piece(_stack_slice),
      lambda t, out, *xs, axis=0, i=0: _stack(*[t if j == i else np.zeros_like(x) for j, x in enumerate(xs)],
                                              axis=axis),
      by_evaluation(_stack), "{y} = stack(…)", "d{x} = G[i]", symbol="stack", saves="",
      variadic=True, kwargs=("axis",))
