"""Provides the ``Op`` record, the registries every entry point is built from, and
the helpers rules share (broadcasting, reduced-axis expansion, shape formatting).

Rule signatures (the same short names everywhere):

* ``forward(*xs, **kw) -> out``
* ``vjp[i](g, out, *xs, **kw) -> gradient for input i`` (``None`` = no gradient)
* ``vjp_all(g, out, *xs, **kw) -> [gradient per input]`` for a variadic join: a walk slices G once for its
  thousands of inputs instead of once per input (``vjp[0]`` is derived from it, for the one-input callers)
* ``jvp[i](t, out, *xs, **kw) -> tangent of out`` given tangent ``t`` of input i
* ``shape(*shapes, **kw) -> shape`` (raises ``ValueError`` with a readable reason)

Two optional marks on a rule, for walks over big or deep graphs (``core.program``): ``rule.fit(g_shape,
*input_shapes)`` gives a cheaper rule for values of those shapes, or None (a bias's gradient sums a known axis,
a matrix product needs no batch handling); ``writes_into`` marks a forward or rule that takes ``into=``, an
array to write its result to.

Formula templates use ``{y}`` for the output's name, ``{0}``, ``{1}``… for the
inputs' names and ``G`` for the gradient arriving at the output.  ``factors[i]``
gives the shapes that the backward formula for input i multiplies, so the step
can print ``dW1 = Xᵀ·G  (4×8)·(8×16) → (4×16) ✓``.

Entry points.  ``numpy=`` names the NumPy functions an op answers to
(``"linalg.inv"`` for a submodule), ``methods=`` the ``ndarray`` methods, each with
a *binder* turning NumPy's call signature into ``(inputs, params)``.  A NumPy
function that is several primitives (``np.split``, ``np.average``) is a
*composite*, registered with ``defcomposite`` next to the ops it uses.
``graphstep.numpy``, NumPy's dispatch on a ``Tensor`` and the ``Tensor`` methods
are all built from ``NUMPY`` and ``METHODS``: adding an op touches one place.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...text import fmt_shape  # the rules' messages write shapes with it; graphstep.core.ops re-exports it

Shape = tuple[int, ...]
Binder = Callable[..., tuple[tuple, dict]]


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
    vjp_all: Callable | None = None  # variadic: (g, out, *xs, **kw) -> every input's gradient in one call
    doc: str = ""
    kwargs: tuple[str, ...] = field(default=())
    infix: str = ", "  # how the forward formula joins input shapes: (8×4)·(4×16)
    numpy: tuple[str, ...] = ()  # NumPy functions answering to this op ("exp2", "linalg.inv")
    methods: tuple[str, ...] = ()  # ndarray methods answering to it
    operator: str = ""  # Python operator spelling in automatic names: "+", "@", "**"
    why: str = ""  # the backward rule's reason in one line, for a learner who asks: "tanh′ = 1 − tanh²"
    # the forward as a sum of input entries times local Jacobian entries, out[j] = Σᵢ J[j,i]·x[i] (the element
    # view writes it so): "inputs" when linear in its inputs together (add, sum, getitem), "first" when linear in
    # its first input alone (multiply, matmul, divide), "" neither (tanh, softmax)
    linear: str = ""
    # (k, j, i, shapes) -> (p, index): the local Jacobian entry ∂out[j]/∂x_k[i] is input p's entry at index
    # (matmul's ∂(A·B)[r,c]/∂B[q,c] is A[r,q]), or None where it has no such name; j and i may hold symbols
    jacobian_entry: Callable | None = None

    @property
    def broadcasts(self) -> bool:
        """Binary elementwise ops broadcast, so their backward may sum axes away."""
        return self.shape is shape_broadcast

    @property
    def elementwise(self) -> bool:
        """Each output entry is the function of the inputs' entries at the same (broadcast) index."""
        return self.shape is shape_same or self.shape is shape_broadcast

    def vjp_rule(self, i: int) -> Callable | None:
        return self.vjp[0] if self.variadic else self.vjp[i]

    def jvp_rule(self, i: int) -> Callable | None:
        return self.jvp[0] if self.variadic else self.jvp[i]

    def bwd_text(self, i: int) -> str:
        return self.bwd[0] if self.variadic else self.bwd[i]


OPS: dict[str, Op] = {}
NUMPY: dict[str, Callable] = {}  # "exp2", "linalg.inv" → function on tensors (and plain values)
METHODS: dict[str, Callable] = {}  # "sum" → Tensor method
COMPOSITES: set[str] = set()  # NUMPY names that are several primitives


def _apply_unset(opname: str, *args, **params):
    raise RuntimeError("graphstep.ops.call used before the tracer installed apply")


_apply: list[Callable] = [_apply_unset]
_source: list[Callable[[], str]] = [lambda: ""]


def install_apply(fn: Callable, source: Callable[[], str]) -> None:
    """The tracer hands over ``apply`` and "the user's line", so entry points record nodes and
    name the line of a bad call without ops importing the tracer."""
    _apply[0], _source[0] = fn, source


def call(opname: str, *inputs, **params):
    """Record primitive ``opname`` on ``inputs`` (tensors or plain values)."""
    return _apply[0](opname, *inputs, **params)


def positional(*xs, **kw) -> tuple[tuple, dict]:
    """The default binder: positional arguments are inputs, keywords are the op's params."""
    return xs, kw


def _named(names, binder: Binder | None) -> dict[str, Binder]:
    if not names:
        return {}
    if isinstance(names, str):
        names = (names,)
    if isinstance(names, dict):
        return {k: v or binder or positional for k, v in names.items()}
    return {k: binder or positional for k in names}


def entry(opname: str, bind: Binder, qualname: str) -> Callable:
    """A function with NumPy's signature that records ``opname``."""

    def fn(*args, **kw):
        if kw:
            refuse_out(kw, qualname)
        elif bind is positional:  # np.tanh(x): no binding to do
            return _apply[0](opname, *args)
        try:
            inputs, params = bind(*args, **kw)
        except (TypeError, ValueError) as err:
            raise bad_call(qualname, err) from None
        return _apply[0](opname, *inputs, **params)  # ``call``, one frame fewer on every traced op

    fn.__name__ = qualname.rpartition(".")[2]
    fn.__qualname__ = qualname
    fn.__doc__ = f"Traced numpy.{qualname}: records the {opname} op."
    fn.op = opname  # aliases (abs, absolute) are different functions recording the same op
    return fn


def bad_call(qualname: str, err: Exception):
    """An argument graphstep cannot take (``order='F'``, ``ord=3``, a wrong keyword): the user's error, clearly."""
    from ...errors import UnsupportedError

    return UnsupportedError(f"numpy.{qualname}: {err}", source=_source[0]())


def refuse_out(kw: dict, qualname: str) -> None:
    """``out=`` would write into an array behind the graph's back: refuse it clearly (``out=None`` is fine)."""
    if kw.pop("out", None) is not None:
        from ...errors import UnsupportedError

        raise UnsupportedError(f"numpy.{qualname}(..., out=...) writes into an existing array, which graphstep "
                               "cannot record", source=_source[0](),
                               hint=f"assign the result instead: y = np.{qualname}(...)")


def defop(name: str, forward: Callable, vjp, jvp, shape, fwd: str, bwd, *, numpy=(), methods=(),
          bind: Binder | None = None, **extra) -> Op:
    """Register a primitive; the single place an op's facts are written down.

    ``numpy``/``methods``: names (or {name: binder}) of its entry points; ``bind`` the
    binder shared by the names given without one.
    """
    as_tuple = (lambda r: r if isinstance(r, tuple) else (r,))
    if vjp is None and extra.get("vjp_all") is not None:
        vjp = _one_of(extra["vjp_all"])
    numpy_names, method_names = _named(numpy, bind), _named(methods, bind)
    op = Op(name, forward, as_tuple(vjp), as_tuple(jvp), shape, fwd, as_tuple(bwd),
            numpy=tuple(numpy_names), methods=tuple(method_names), **extra)
    if name in OPS:
        raise ValueError(f"op {name!r} registered twice")
    OPS[name] = op
    for qualname, binder in numpy_names.items():
        _register(NUMPY, qualname, entry(name, binder, qualname))
    for method, binder in method_names.items():
        _register(METHODS, method, entry(name, binder, method))
    return op


def _one_of(vjp_all: Callable) -> Callable:
    """Input i's VJP from a rule giving every input's gradient at once."""

    def rule(g, out, *xs, i=0, **kw):
        return vjp_all(g, out, *xs, **kw)[i]

    return rule


def defcomposite(qualname: str, fn: Callable, *, method: str | bool = False) -> Callable:
    """Register a NumPy function made of several primitives (and its ndarray method when ``method``)."""
    def wrapped(*args, **kw):
        refuse_out(kw, qualname)
        return fn(*args, **kw)

    wrapped.__name__ = qualname.rpartition(".")[2]
    wrapped.__qualname__ = qualname
    wrapped.__doc__ = fn.__doc__
    _register(NUMPY, qualname, wrapped)
    COMPOSITES.add(qualname)
    if method:
        _register(METHODS, qualname if method is True else method, wrapped)
    return fn


def _register(table: dict, name: str, fn: Callable) -> None:
    if name in table:
        raise ValueError(f"entry point {name!r} registered twice")
    table[name] = fn


# ───────────────────────────── shared by the rules ─────────────────────────────


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
    summed = np.add.reduce(g, axis=broadcast_axes(g.shape, shape))  # g.sum without its Python wrapper
    return summed if summed.shape == shape else summed.reshape(shape)  # a bias (16) added to (8, 16): no reshape


def fitted_unbroadcast(rule: Callable, k: int) -> Callable:
    """The ``fit`` of a broadcasting binary op's VJP for input ``k`` (``unbroadcast(rule(...), shape)``): the
    rule itself where the input has the output's shape, and a sum over axes known in advance where the sum alone
    gives the input's shape (a bias (16) added to (8, 16))."""

    def fit(g_shape: Shape, *shapes: Shape) -> Callable | None:
        shape = shapes[k]
        if shape == g_shape:
            return rule
        axes = broadcast_axes(g_shape, shape)
        if len(g_shape) - len(axes) != len(shape):  # (8, 16) to (1, 16) needs a reshape after the sum
            return None
        return lambda g, out, *xs: np.add.reduce(rule(g, out, *xs), axis=axes)

    return fit


def writes_into(fn: Callable) -> Callable:
    """Mark a forward or VJP rule that takes ``into=``, an array to write its result to, so that a walk keeps the
    arrays of big results from one stepper to the next (``program.Buffers``).  A rule may ignore it."""
    fn.into = True
    return fn


_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}
ARRAY_TYPES = (np.ndarray, np.generic)  # for isinstance: `np.ndarray | np.generic` builds a union on every call


def masked(g, keep: np.ndarray, into: np.ndarray | None = None):
    """``np.where(keep, g, 0.0)`` bit for bit (G where ``keep``, inf and NaN included; +0 elsewhere), without a
    branch per entry: np.where costs five multiplies on random signs.  G's bits are AND-ed with all ones where
    ``keep`` and all zeros elsewhere."""
    arrays = isinstance(g, ARRAY_TYPES) and isinstance(keep, ARRAY_TYPES)
    bits = _SAME_SIZE_INT.get(g.dtype.itemsize) if arrays and g.dtype.kind == "f" else None
    if bits is None or keep.dtype != np.bool_ or (into is not None and into.shape != np.broadcast_shapes(
            g.shape, keep.shape)):
        return np.where(keep, g, 0.0)
    ones = np.negative(keep.view(np.int8), dtype=bits, out=None if into is None else into.view(bits))  # True → −1
    in_place = isinstance(ones, np.ndarray) and ones.shape == np.shape(g)  # not for 0-d operands' NumPy scalars
    return np.bitwise_and(g.view(bits), ones, out=ones if in_place else None).view(g.dtype)


def broadcast_index(j: tuple, shape: Shape) -> tuple:
    """The entry of an input shaped ``shape`` that broadcasting reads for output entry ``j``."""
    tail = j[len(j) - len(shape):] if shape else ()
    return tuple(0 if n == 1 else jj for jj, n in zip(tail, shape))


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


def by_evaluation(forward: Callable) -> Callable[..., Shape]:
    """Shape rule for structural ops: run the forward on zero-stride dummies."""

    def rule(*shapes: Shape, **kw) -> Shape:
        dummies = [np.broadcast_to(np.zeros(()), s) for s in shapes]
        return np.shape(forward(*dummies, **kw))

    return rule


def expand(g, x, axis, keepdims):
    """Broadcast a reduced gradient back over the reduced axes (a view, no copy)."""
    if axis is None and not keepdims and x.size <= 4096:  # small: a fresh array is cheaper than a broadcast view
        out = np.empty(x.shape, g.dtype if isinstance(g, ARRAY_TYPES) else np.asarray(g).dtype)
        out.fill(g)  # np.full, without its Python wrapper's cost
        return out
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    elif axis is None and not keepdims:
        g = np.reshape(g, (1,) * x.ndim)
    return np.broadcast_to(g, x.shape)


def count(x, axis) -> int:
    """How many entries a reduction over ``axis`` combines."""
    if axis is None:
        return x.size
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([x.shape[a] for a in axes]))


def normalize_axis(axis, ndim: int):
    """Axes as non-negative ints (``-1`` → ``ndim−1``), so rules can invert and compare them.

    An axis outside the array is NumPy's ``AxisError`` (a ``ValueError``), never silently wrapped.
    """
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        return tuple(_axis_index(a, ndim) for a in axis)
    return _axis_index(axis, ndim)


def _axis_index(axis, ndim: int) -> int:
    axis = int(axis)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim if ndim else axis


def float_dtype(*xs) -> np.dtype:
    """The dtype a gradient built from ``xs`` takes: theirs when floating (float32 stays float32, as in PyTorch),
    float64 for integers and booleans.  The Python 0.0 is "weak" (NEP 50): it never widens a float32."""
    return np.result_type(*xs, 0.0)


def safe_divide(num, den):
    """num / den where den ≠ 0, else 0: the 0·∞ and 0/0 of a rule at a kink are 0, as in PyTorch and JAX."""
    den_ok = den != 0
    return np.where(den_ok, num / np.where(den_ok, den, 1.0), 0.0)
