"""Provides the linear-algebra primitives: products (matmul, tensordot, einsum, and the
NumPy functions made of them: dot, vdot, inner, outer), matrix functions (inv, det,
log|det|, solve, cholesky) and diagonals (trace, diagonal, diag, triu, tril).

Matrix functions act on the last two axes, so a stack of matrices is a batch, as in NumPy.
"""

from __future__ import annotations

import collections
import functools
import string

import numpy as np

from .table import (
    Shape,
    broadcast_index,
    by_evaluation,
    call,
    defcomposite,
    defop,
    float_dtype,
    fmt_shape,
    normalize_axis,
    shape_broadcast,
    unbroadcast,
    writes_into,
)


def _ndim(x) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _T(x):  # noqa: N802 - the transpose of a stack of matrices, as written in the formulas
    return np.swapaxes(x, -1, -2)


def _per_matrix(g):
    """A scalar per matrix (det's G), broadcast over that matrix's entries."""
    return np.asarray(g)[..., None, None]


# ───────────────────────────── matmul ─────────────────────────────


@writes_into
def _da_matrices(g, out, a, b, into=None):
    """dA = G·Bᵀ for two matrices, the common case: the shapes already match."""
    return g @ b.T if into is None else np.matmul(g, b.T, out=into)


@writes_into
def _db_matrices(g, out, a, b, into=None):
    """dB = Aᵀ·G for two matrices."""
    return a.T @ g if into is None else np.matmul(a.T, g, out=into)


def _matrices(rule):
    """A ``fit``: the matrix rule when both operands are matrices."""
    return lambda g_shape, a_shape, b_shape: rule if len(a_shape) == 2 and len(b_shape) == 2 else None


@writes_into
def _matmul_da(g, out, a, b, into=None):
    if a.ndim == 2 and b.ndim == 2:
        return _da_matrices(g, out, a, b, into)
    if a.ndim == 1 and b.ndim == 1:  # dot product: a scalar G scales the other vector
        return g * b
    if b.ndim == 1:  # (…,n,k)·(k) → (…,n): dA = G ⊗ b
        return unbroadcast(g[..., None] * b, a.shape)
    if a.ndim == 1:  # (k)·(…,k,m) → (…,m): dA = Σ B·G
        return unbroadcast(np.matmul(b, g[..., None])[..., 0], a.shape)
    return unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a.shape)


@writes_into
def _matmul_db(g, out, a, b, into=None):
    if a.ndim == 2 and b.ndim == 2:
        return _db_matrices(g, out, a, b, into)
    if a.ndim == 1 and b.ndim == 1:
        return g * a
    if a.ndim == 1:
        return unbroadcast(a[:, None] * g[..., None, :], b.shape)
    if b.ndim == 1:
        return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g[..., None])[..., 0], b.shape)
    return unbroadcast(np.matmul(np.swapaxes(a, -1, -2), g), b.shape)


_matmul_da.fit, _matmul_db.fit = _matrices(_da_matrices), _matrices(_db_matrices)


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


def _matmul_entry(k, j, i, shapes):
    """∂(A·B)[r,c]/∂A[r,q] is B[q,c], and ∂(A·B)[r,c]/∂B[q,c] is A[r,q]; a stack of matrices reads the operands'
    matrices its batch index broadcasts to, and a vector operand has no r (or no c)."""
    a, b = shapes
    if len(a) == 1 and len(b) == 1:  # a dot product: each vector's slope is the other's entry
        return 1 - k, (i[0],)
    if len(b) == 1:  # (…,n,q)·(q) → (…,n)
        return (1, (i[-1],)) if k == 0 else (0, (*broadcast_index(j[:-1], a[:-2]), j[-1], i[0]))
    if len(a) == 1:  # (q)·(…,q,m) → (…,m)
        return (1, (*broadcast_index(j[:-1], b[:-2]), i[0], j[-1])) if k == 0 else (0, (i[-2],))
    batch, r, c = j[:-2], j[-2], j[-1]
    if k == 0:
        return 1, (*broadcast_index(batch, b[:-2]), i[-1], c)
    return 0, (*broadcast_index(batch, a[:-2]), r, i[-2])


defop("matmul", np.matmul, (_matmul_da, _matmul_db),
      (lambda t, out, a, b: np.matmul(t, b), lambda t, out, a, b: np.matmul(a, t)),
      _matmul_shape, "{y} = {0}·{1}", ("d{0} = G·{1}ᵀ", "d{1} = {0}ᵀ·G"), infix="·", symbol="@",
      factors=lambda g, a, b: ([g, _transposed(b)], [_transposed(a), g]), numpy=("matmul", "linalg.matmul"),
      operator="@", linear="first", jacobian_entry=_matmul_entry,
      why="Z = X·W has Z[i,j] = Σₖ X[i,k]·W[k,j], so dX = G·Wᵀ and dW = Xᵀ·G: the only products whose shapes "
          "match")


# ───────────────────────────── tensordot ─────────────────────────────


def _axes(axes, ndim: int) -> tuple[int, ...]:
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if any(not -ndim <= a < ndim for a in axes):
        raise ValueError(f"axes {axes} out of range for a {ndim}-D operand")
    return normalize_axis(axes, ndim)


def _tensordot_bind(a, b, axes=2):
    """NumPy's ``axes`` (N: the last N axes of a against the first N of b; or two axis lists)
    as a pair of tuples of non-negative axes, so the rules can pair and invert them."""
    nd_a, nd_b = _ndim(a), _ndim(b)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(nd_a, nd_b):
            raise ValueError(f"axes={axes} for {nd_a}-D and {nd_b}-D operands")
        pair = (tuple(range(nd_a - axes, nd_a)), tuple(range(axes)))
    else:
        pair = (_axes(axes[0], nd_a), _axes(axes[1], nd_b))
    if len(pair[0]) != len(pair[1]):
        raise ValueError(f"axes {axes}: as many axes of a as of b are needed")
    return (a, b), {"axes": pair}


def _free(ndim: int, summed) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in summed)


def _tensordot(a, b, axes):
    return np.tensordot(a, b, axes)


def _tensordot_da(g, out, a, b, axes):
    axes_a, axes_b = axes
    # G's trailing axes are b's free axes: summing them against b leaves a's free axes,
    # then a's summed axes in the order b holds their partners; transpose back into a's order
    d = np.tensordot(g, b, (tuple(range(a.ndim - len(axes_a), g.ndim)), _free(b.ndim, axes_b)))
    order = _free(a.ndim, axes_a) + tuple(axes_a[axes_b.index(j)] for j in sorted(axes_b))
    return np.transpose(d, np.argsort(order))


def _tensordot_db(g, out, a, b, axes):
    axes_a, axes_b = axes
    free_a = _free(a.ndim, axes_a)
    d = np.tensordot(a, g, (free_a, tuple(range(len(free_a)))))
    order = tuple(axes_b[axes_a.index(i)] for i in sorted(axes_a)) + _free(b.ndim, axes_b)
    return np.transpose(d, np.argsort(order))


def _tensordot_shape(a: Shape, b: Shape, axes) -> Shape:
    for i, j in zip(*axes, strict=True):
        if a[i] != b[j]:
            raise ValueError(f"axis {i} of {fmt_shape(a)} has {a[i]} entries, axis {j} of {fmt_shape(b)} has {b[j]}")
    return tuple(a[i] for i in _free(len(a), axes[0])) + tuple(b[j] for j in _free(len(b), axes[1]))


defop("tensordot", _tensordot, (_tensordot_da, _tensordot_db),
      (lambda t, out, a, b, axes: np.tensordot(t, b, axes), lambda t, out, a, b, axes: np.tensordot(a, t, axes)),
      _tensordot_shape, "{y} = Σ {0}·{1} over paired axes",
      ("d{0} = G·{1} over {1}'s free axes, axes back in {0}'s order",
       "d{1} = {0}·G over {0}'s free axes, axes back in {1}'s order"),
      infix="·", symbol="⊗", kwargs=("axes",), factors=lambda g, a, b: ([g, b], [a, g]),
      numpy=("tensordot", "linalg.tensordot"), bind=_tensordot_bind, linear="first",
      why="a sum of products over the contracted axes: each input's gradient contracts G with the other input")


# ───────────────────────────── dot and its relatives ─────────────────────────────


def dot(a, b):
    """NumPy's dot: a product with a scalar, matmul where matmul agrees (vectors, matrices, b ≤ 2-D),
    else Σ over the last axis of a and the second-to-last of b (shape a[:-1] + b[:-2] + b[-1:])."""
    nd_a, nd_b = _ndim(a), _ndim(b)
    if nd_a == 0 or nd_b == 0:
        return call("multiply", a, b)
    if nd_a == 1 or nd_b <= 2:  # here matmul's batch broadcasting gives dot's shape and values
        return call("matmul", a, b)
    return call("tensordot", a, b, axes=((nd_a - 1,), (nd_b - 2,)))


def _flat(x):
    return x if _ndim(x) == 1 else call("reshape", x, shape=(-1,))


def vdot(a, b):
    """NumPy's vdot for real arrays: both flattened, then their dot product Σᵢ aᵢ·bᵢ."""
    return call("matmul", _flat(a), _flat(b))


def inner(a, b):
    """NumPy's inner: Σ over the last axes of both, shape a[:-1] + b[:-1]; a product with a scalar."""
    nd_a, nd_b = _ndim(a), _ndim(b)
    if nd_a == 0 or nd_b == 0:
        return call("multiply", a, b)
    if nd_b == 1:  # a·b, the familiar matrix-vector product
        return call("matmul", a, b)
    return call("tensordot", a, b, axes=((nd_a - 1,), (nd_b - 1,)))


def outer(a, b):
    """NumPy's outer: a flattened into a column times b flattened into a row, yᵢⱼ = aᵢ·bⱼ."""
    return call("matmul", call("reshape", a, shape=(-1, 1)), call("reshape", b, shape=(1, -1)))


defcomposite("dot", dot, method=True)
defcomposite("vdot", vdot)
defcomposite("inner", inner)
defcomposite("outer", outer)


# ───────────────────────────── einsum ─────────────────────────────

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's order: sublist label k is _LETTERS[k]


def _einsum_bind(*args, dtype=None, order="K", casting="safe", optimize=False):
    if dtype is not None:
        raise ValueError("dtype= is not supported: einsum computes in its operands' dtype")
    if isinstance(args[0], str):
        subscripts, operands = args[0], args[1:]
    else:  # einsum(x, [0, 1], y, [1, 2], [0, 2]): the interleaved form, spelt as subscripts
        pairs, output = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
        spell = (lambda sub: "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub))
        subscripts = ",".join(spell(s) for s in pairs[1::2]) + ("" if output is None else "->" + spell(output))
        operands = pairs[0::2]
    optimize = tuple(optimize) if isinstance(optimize, list) else optimize  # an explicit path, kept hashable
    return tuple(operands), {"subscripts": subscripts.replace(" ", ""), "optimize": optimize}


@functools.lru_cache(maxsize=256)
def _einsum_spec(subscripts: str, shapes: tuple[Shape, ...]) -> tuple[tuple[str, ...], str, dict]:
    """The subscripts spelt out for these shapes: one letter per axis (``...`` becomes fresh letters,
    right-aligned as broadcasting aligns axes), the output written even when implicit, each letter's size."""
    lhs, arrow, rhs = subscripts.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"{subscripts!r} has {len(terms)} operand subscripts for {len(shapes)} operands")
    fresh = [c for c in _LETTERS if c not in subscripts]
    widths = [len(s) - len(t) + 3 if "..." in t else 0 for t, s in zip(terms, shapes, strict=True)]
    ellipsis = "".join(fresh[:max(widths, default=0)])
    spelt = tuple(t.replace("...", ellipsis[len(ellipsis) - w:]) for t, w in zip(terms, widths, strict=True))
    if min(widths, default=0) < 0 or any(len(t) != len(s) for t, s in zip(spelt, shapes, strict=True)):
        shown = ", ".join(map(fmt_shape, shapes))
        raise ValueError(f"{subscripts!r} does not name each axis of operands shaped {shown}")
    sizes: dict[str, int] = {}
    for term, shape in zip(spelt, shapes, strict=True):
        for c, n in zip(term, shape, strict=True):
            m = sizes.setdefault(c, n)
            if n != m and 1 not in (n, m):
                raise ValueError(f"index {c!r} of {subscripts!r} has sizes {m} and {n}")
            sizes[c] = m if n == 1 else n  # a size-1 axis broadcasts
    if arrow:
        output = rhs.replace("...", ellipsis)
        if ellipsis and "..." not in rhs:
            raise ValueError(f"{subscripts!r}: the output needs '...' for the operands' extra axes")
    else:  # implicit: the indices used once, in alphabetical order, after the ellipsis axes
        counts = collections.Counter(c for c in lhs if c.isalpha())
        output = ellipsis + "".join(sorted(c for c, k in counts.items() if k == 1))
    if len(set(output)) != len(output) or not set(output) <= set(sizes):
        raise ValueError(f"{subscripts!r}: each output index must appear once, and in an operand")
    return spelt, output, sizes


def _einsum(*xs, subscripts, optimize=False):
    return np.einsum(subscripts, *xs, optimize=list(optimize) if isinstance(optimize, tuple) else optimize)


def _einsum_vjp(g, out, *xs, subscripts, optimize=False, i=0):
    """dXᵢ = einsum of G with the other operands onto Xᵢ's indices ('ij,jk->ik': dA = einsum('ik,jk->ij', G, B))."""
    terms, output, _ = _einsum_spec(subscripts, tuple(x.shape for x in xs))
    own, others = terms[i], [j for j in range(len(xs)) if j != i]
    unique = "".join(dict.fromkeys(own))  # 'ii' → 'i'
    reached = set(output).union(*(terms[j] for j in others))
    kept = "".join(c for c in unique if c in reached)  # an index only Xᵢ has was summed away: G does not vary with it
    spec = ",".join([output, *(terms[j] for j in others)]) + "->" + kept
    d = np.einsum(spec, g, *(xs[j] for j in others), optimize=len(xs) > 2)
    return _onto_operand(d, kept, unique, own, xs[i].shape)


def _onto_operand(d, kept, unique, own, shape):
    """Lay a gradient over the operand's axes: broadcast along the indices summed away, sum where the
    operand broadcast (size 1 against n), and scatter onto the diagonal of a repeated index ('ii')."""
    size = dict(zip(own, shape, strict=True))
    d = d.reshape([d.shape[kept.index(c)] if c in kept else 1 for c in unique])
    broadcast = tuple(k for k, c in enumerate(unique) if size[c] == 1 and d.shape[k] != 1)
    d = np.broadcast_to(d.sum(axis=broadcast, keepdims=True) if broadcast else d, [size[c] for c in unique])
    if len(unique) == len(own):
        return d
    # only the diagonal entries X[i, i] were read: they get d, the others no gradient
    dx = np.zeros(shape, dtype=float_dtype(d))
    grid = np.indices(d.shape, sparse=True)
    dx[tuple(grid[unique.index(c)] for c in own)] = d
    return dx


def _einsum_jvp(t, out, *xs, subscripts, optimize=False, i=0):
    # linear in each operand: the tangent takes the operand's place
    return np.einsum(subscripts, *(t if j == i else x for j, x in enumerate(xs)), optimize=len(xs) > 2)


def _einsum_shape(*shapes, subscripts, optimize=False):
    _, output, sizes = _einsum_spec(subscripts, shapes)
    return tuple(sizes[c] for c in output)


def _einsum_terms(subscripts: str) -> tuple[list[str], str]:
    """The operands' subscripts and the output's, as the user wrote them (``...`` kept) — for formulas."""
    lhs, arrow, rhs = subscripts.partition("->")
    if not arrow:
        once = sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1)
        rhs = ("..." if "..." in lhs else "") + "".join(once)
    return lhs.split(","), rhs


def _einsum_fwd_text(subscripts, optimize=False):
    n = len(_einsum_terms(subscripts)[0])
    return f"{{y}} = einsum('{subscripts}', " + ", ".join(f"{{{j}}}" for j in range(n)) + ")"


def _einsum_bwd_text(subscripts, optimize=False, i=0):
    """'ij,jk->ik', i = 0 → ``dA = einsum('ik,jk->ij', G, B)``: the output's indices and the others' give Xᵢ's."""
    terms, output = _einsum_terms(subscripts)
    others = [j for j in range(len(terms)) if j != i]
    spec = ",".join([output, *(terms[j] for j in others)]) + "->" + terms[i]
    return f"d{{x}} = einsum('{spec}', " + ", ".join(["G", *(f"{{{j}}}" for j in others)]) + ")"


defop("einsum", _einsum, _einsum_vjp, _einsum_jvp, _einsum_shape, _einsum_fwd_text, _einsum_bwd_text,
      symbol="einsum", variadic=True, kwargs=("subscripts", "optimize"),
      factors=lambda g, *xs: [[g, *(s for j, s in enumerate(xs) if j != k)] for k in range(len(xs))],
      numpy={"einsum": _einsum_bind}, linear="first",
      why="a sum of products: each input's gradient is the einsum of G with the other inputs, onto that input's "
          "indices")


# ───────────────────────────── matrix functions ─────────────────────────────


def _square(what: str):
    def rule(a: Shape, **_) -> Shape:
        if len(a) < 2 or a[-1] != a[-2]:
            raise ValueError(f"{what} needs square matrices (…×n×n), got {fmt_shape(a)}")
        return a
    return rule


def _cofactor(a):
    """∂det(A)/∂A = det(A)·A⁻ᵀ, the cofactor matrix.  From the SVD A = U·diag(s)·Vᵀ it is
    det(U)·det(V)·U·diag(Πⱼ≠ᵢ sⱼ)·Vᵀ, which needs no A⁻¹: exact at a singular A too (as in PyTorch)."""
    u, s, vh = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)  # Πⱼ<ᵢ sⱼ
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]  # Πⱼ>ᵢ sⱼ
    return _per_matrix(np.linalg.det(u) * np.linalg.det(vh)) * ((u * (before * after)[..., None, :]) @ vh)


defop("inv", np.linalg.inv, lambda g, out, a: -_T(out) @ g @ _T(out), lambda t, out, a: -out @ t @ out,
      _square("linalg.inv"), "{y} = {0}⁻¹", "d{0} = −{y}ᵀ·G·{y}ᵀ", symbol="⁻¹", saves="out",
      factors=lambda g, a: ([a, g, a],), numpy="linalg.inv",
      why="d(A⁻¹) = −A⁻¹·dA·A⁻¹, so dA = −A⁻ᵀ·G·A⁻ᵀ")
defop("det", np.linalg.det, lambda g, out, a: _per_matrix(g) * _cofactor(a),
      lambda t, out, a: np.sum(_cofactor(a) * t, axis=(-2, -1)),
      lambda a: _square("linalg.det")(a)[:-2], "{y} = det {0}", "d{0} = G·det({0})·{0}⁻ᵀ", symbol="det",
      factors=lambda g, a: ([g, a],), numpy="linalg.det",
      why="∂det A/∂A = det A · A⁻ᵀ (Jacobi's formula)")
# log|det A|, the traced half of slogdet: d log|det A| = tr(A⁻¹·dA)
defop("logabsdet", lambda a: np.linalg.slogdet(a)[1], lambda g, out, a: _per_matrix(g) * _T(np.linalg.inv(a)),
      lambda t, out, a: np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1),
      lambda a: _square("linalg.slogdet")(a)[:-2], "{y} = log|det {0}|", "d{0} = G·{0}⁻ᵀ", symbol="log|det|",
      factors=lambda g, a: ([g, a],),
      why="∂log|det A|/∂A = A⁻ᵀ")

SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])


def slogdet(a):
    """NumPy's slogdet: (sign, log|det A|), also as ``.sign`` and ``.logabsdet``.  The sign is
    piecewise constant, so it has no gradient and is a plain value; log|det A| is traced."""
    logabsdet = call("logabsdet", a)  # first: a bad shape is then reported as the op's
    return SlogdetResult(np.linalg.slogdet(getattr(a, "value", a))[0], logabsdet)  # a tensor's value, or an array


defcomposite("linalg.slogdet", slogdet)


def _column(x, vector: bool):
    return x[..., None] if vector else x


def _solve_da(g, out, a, b):
    # A·X = B  ⇒  dA = −A⁻ᵀ·G·Xᵀ = −dB·Xᵀ
    vector = b.ndim == 1
    db = np.linalg.solve(_T(a), _column(g, vector))
    return unbroadcast(-db @ _T(_column(out, vector)), a.shape)


def _solve_db(g, out, a, b):
    vector = b.ndim == 1
    db = np.linalg.solve(_T(a), _column(g, vector))
    return unbroadcast(db[..., 0] if vector else db, b.shape)


def _solve_jvp_a(t, out, a, b):
    # dX = −A⁻¹·dA·X
    vector = b.ndim == 1
    dx = -np.linalg.solve(a, t @ _column(out, vector))
    return dx[..., 0] if vector else dx


def _solve_shape(a: Shape, b: Shape) -> Shape:
    """NumPy 2: a 1-D b is one vector, anything else a stack of matrices (…×n×k)."""
    _square("linalg.solve")(a)
    rows = b[0] if len(b) == 1 else (b[-2] if b else None)
    if rows != a[-1]:
        raise ValueError(f"linalg.solve: A is {fmt_shape(a[-2:])} but b is {fmt_shape(b)}")
    return a[:-1] if len(b) == 1 else shape_broadcast(a[:-2], b[:-2]) + b[-2:]


defop("solve", np.linalg.solve, (_solve_da, _solve_db), (_solve_jvp_a, lambda t, out, a, b: np.linalg.solve(a, t)),
      _solve_shape, "{y} = {0}⁻¹·{1}", ("d{0} = −{0}⁻ᵀ·G·{y}ᵀ", "d{1} = {0}⁻ᵀ·G"), infix="·", symbol="solve",
      saves="both", factors=lambda g, a, b: ([a, g, _transposed(g)], [a, g]), numpy="linalg.solve",
      why="x = A⁻¹b: db = A⁻ᵀ·G and dA = −db·xᵀ")


def _phi(x):
    """Φ: the lower triangle with the diagonal halved (the part of a symmetric dA a factor's dL carries)."""
    return np.tril(x) - 0.5 * x * np.eye(x.shape[-1], dtype=x.dtype)


def _cholesky(a, upper=False):
    # as JAX does, factor the symmetric part: every perturbation of A then has a well-defined effect
    lower = np.linalg.cholesky((a + _T(a)) / 2)
    return _T(lower) if upper else lower


def _cholesky_vjp(g, out, a, upper=False):
    """Murray (2016), JAX's cholesky_jvp transposed: S = L⁻ᵀ·Φ(Lᵀ·G)·L⁻¹, dA = (S + Sᵀ)/2."""
    lower, g = (_T(out), _T(g)) if upper else (out, g)
    x = np.linalg.solve(_T(lower), _phi(_T(lower) @ g))  # L⁻ᵀ·Φ(Lᵀ·G)
    s = _T(np.linalg.solve(_T(lower), _T(x)))  # … ·L⁻¹
    return (s + _T(s)) / 2


def _cholesky_jvp(t, out, a, upper=False):
    # A = L·Lᵀ  ⇒  dL = L·Φ(L⁻¹·dA·L⁻ᵀ), dA the symmetric part of the tangent
    lower = _T(out) if upper else out
    x = np.linalg.solve(lower, (t + _T(t)) / 2)
    d = lower @ _phi(_T(np.linalg.solve(lower, _T(x))))
    return _T(d) if upper else d


def _cholesky_bind(a, *, upper=False):
    return (a,), {"upper": bool(upper)}


defop("cholesky", _cholesky, _cholesky_vjp, _cholesky_jvp, _square("linalg.cholesky"),
      "{y} = cholesky({0}), {0} = L·Lᵀ", "d{0} = (S + Sᵀ)/2, S = L⁻ᵀ·Φ(Lᵀ·G)·L⁻¹", symbol="chol", saves="out",
      kwargs=("upper",), numpy={"linalg.cholesky": _cholesky_bind},
      why="A = LLᵀ: dA comes from solving the triangular systems the factor satisfies (Murray 2016)")


# ───────────────────────────── diagonals and triangles ─────────────────────────────


def _onto_diagonal(d, shape, offset, axis1, axis2):
    """Zeros of ``shape`` with d along its diagonal (``offset``, ``axis1``, ``axis2``): the adjoint of np.diagonal."""
    z = np.zeros(shape, dtype=float_dtype(d))
    view = np.moveaxis(z, (axis1, axis2), (-2, -1))  # a view: writing into it writes z
    k = np.arange(np.shape(d)[-1])
    view[..., k + max(-offset, 0), k + max(offset, 0)] = d
    return z


def _diagonal_bind(a, offset=0, axis1=0, axis2=1):
    nd = _ndim(a)
    return (a,), {"offset": int(offset), "axis1": normalize_axis(axis1, nd), "axis2": normalize_axis(axis2, nd)}


def _trace_bind(a, offset=0, axis1=0, axis2=1, dtype=None):
    if dtype is not None:
        raise ValueError("dtype= is not supported: the trace is computed in the array's dtype")
    return _diagonal_bind(a, offset, axis1, axis2)


def _last_two_bind(x, *, offset=0, dtype=None):
    """numpy.linalg's trace and diagonal (the array API's): of the last two axes, each matrix of a stack."""
    return _trace_bind(x, offset, -2, -1, dtype)


def _diagonal(x, offset=0, axis1=0, axis2=1):
    return np.diagonal(x, offset, axis1, axis2).copy()  # NumPy gives a read-only view of x


def _trace_vjp(g, out, x, offset=0, axis1=0, axis2=1):
    # the trace sums the diagonal: each diagonal entry receives G
    n = np.diagonal(x, offset, axis1, axis2).shape[-1]
    g = np.asarray(g)
    return _onto_diagonal(np.broadcast_to(g[..., None], g.shape + (n,)), x.shape, offset, axis1, axis2)


_DIAGONAL = ("offset", "axis1", "axis2")
defop("trace", np.trace, _trace_vjp, lambda t, out, x, offset=0, axis1=0, axis2=1: np.trace(t, offset, axis1, axis2),
      by_evaluation(np.trace), "{y} = tr {0}", "d{0} = G on the diagonal, 0 elsewhere", symbol="tr", saves="",
      kwargs=_DIAGONAL, numpy={"trace": _trace_bind, "linalg.trace": _last_two_bind}, methods={"trace": _trace_bind},
      linear="inputs",
      why="tr A = Σ Aᵢᵢ: G goes to the diagonal, 0 elsewhere")
defop("diagonal", _diagonal,
      lambda g, out, x, offset=0, axis1=0, axis2=1: _onto_diagonal(g, x.shape, offset, axis1, axis2),
      lambda t, out, x, offset=0, axis1=0, axis2=1: _diagonal(t, offset, axis1, axis2),
      by_evaluation(_diagonal), "{y} = diagonal({0})", "d{0} = G on the diagonal, 0 elsewhere", symbol="diagonal",
      saves="", kwargs=_DIAGONAL, numpy={"diagonal": _diagonal_bind, "linalg.diagonal": _last_two_bind},
      methods={"diagonal": _diagonal_bind}, linear="inputs",
      why="the diagonal picks entries: G goes back onto the diagonal, 0 elsewhere")


def _k_bind(x, k=0):
    return (x,), {"k": int(k)}


def _diag_vjp(g, out, x, k=0):
    # vector → matrix: its gradient is G's diagonal; matrix → diagonal: G goes back onto the diagonal
    return np.diagonal(g, k).copy() if x.ndim == 1 else _onto_diagonal(g, x.shape, k, 0, 1)


defop("diag", np.diag, _diag_vjp, lambda t, out, x, k=0: np.diag(t, k), by_evaluation(np.diag),
      "{y} = diag({0})", "d{0} = diag(G)", symbol="diag", saves="", kwargs=("k",), numpy="diag", bind=_k_bind,
      linear="inputs",
      why="diag moves a vector onto a diagonal (or reads one off): G is read off (or put back) the same way")
# a 1-D x is broadcast to the square matrix first (NumPy's rule), so its gradient sums that
defop("triu", np.triu, lambda g, out, x, k=0: unbroadcast(np.triu(g, k), x.shape),
      lambda t, out, x, k=0: np.triu(t, k), by_evaluation(np.triu), "{y} = triu({0})", "d{0} = triu(G)",
      symbol="triu", saves="", kwargs=("k",), numpy="triu", bind=_k_bind, linear="inputs",
      why="triu keeps the upper triangle: G passes there, 0 below")
defop("tril", np.tril, lambda g, out, x, k=0: unbroadcast(np.tril(g, k), x.shape),
      lambda t, out, x, k=0: np.tril(t, k), by_evaluation(np.tril), "{y} = tril({0})", "d{0} = tril(G)",
      symbol="tril", saves="", kwargs=("k",), numpy="tril", bind=_k_bind, linear="inputs",
      why="tril keeps the lower triangle: G passes there, 0 above")
