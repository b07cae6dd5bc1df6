"""Provides ``graphstep.numpy``: NumPy's names for traced tensors.

Differentiable functions come from the op table's entry points (``ops.NUMPY``):
each records a node.  Functions without a gradient (``argmax``, ``isfinite``,
comparisons, ``round``…) answer with plain NumPy values computed from the traced
values, so accuracy metrics and divergence guards just work.  Array creators and
constants (``zeros``, ``arange``, ``pi``…) pass through to NumPy unchanged.
Anything else raises an error naming the function, never an untracked result.
"""

from __future__ import annotations

import types

import numpy as _np

from .core.ops import NUMPY
from .core.tracer import PASSTHROUGH, VALUE_ONLY, _unsupported

__all__ = ["TRACED", "VALUE_ONLY", "linalg"]

# every differentiable NumPy function graphstep traces, by NumPy's qualified name ("linalg.inv")
TRACED = dict(NUMPY)

linalg = types.ModuleType("graphstep.numpy.linalg", "The part of ``numpy.linalg`` graphstep traces.")
for _qualname, _fn in TRACED.items():
    _space, _, _name = _qualname.rpartition(".")
    if _space == "linalg":
        setattr(linalg, _name, _fn)
    elif not _space:
        globals()[_name] = _fn
globals().update(VALUE_ONLY)


def _linalg_missing(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise _unsupported(f"numpy.linalg.{name}")


linalg.__getattr__ = _linalg_missing

globals().update({name: getattr(_np, name) for name in PASSTHROUGH})


def __getattr__(name: str):
    if name.startswith("__"):  # import machinery probes (__path__, __spec__…) must see a plain module
        raise AttributeError(name)
    raise _unsupported(f"numpy.{name}")


def __dir__():
    return sorted({q for q in TRACED if "." not in q} | set(VALUE_ONLY) | set(PASSTHROUGH) | {"linalg"})
