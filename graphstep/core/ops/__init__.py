"""Provides the op table: one entry per primitive with its NumPy forward, VJP, JVP,
shape rule, formula text and NumPy entry points (see ``table`` for the record).

The primitives are grouped by kind, one module each; importing this package
registers all of them in ``OPS``, ``NUMPY`` and ``METHODS``.
"""

from __future__ import annotations

from . import elementwise, linalg, reductions, structure  # noqa: F401 - registers the ops
from .table import (
    COMPOSITES,
    METHODS,
    NUMPY,
    OPS,
    Op,
    broadcast_axes,
    call,
    fmt_shape,
    install_apply,
    shape_broadcast,
    unbroadcast,
)

__all__ = ["COMPOSITES", "METHODS", "NUMPY", "OPS", "Op", "broadcast_axes", "call", "fmt_shape", "install_apply",
           "shape_broadcast", "unbroadcast"]
