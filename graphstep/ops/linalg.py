"""Provides the linear-algebra primitives: matmul and its relatives."""

from __future__ import annotations

import numpy as np

from .table import (
    Shape,
    defop,
    fmt_shape,
    shape_broadcast,
    unbroadcast,
)

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
      factors=lambda g, a, b: ([g, _transposed(b)], [_transposed(a), g]), numpy="matmul", operator="@")


