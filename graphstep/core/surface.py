"""Provides which NumPy names graphstep answers, and how NumPy's functions are keyed in the op table.

Three kinds: differentiable functions (the op table's ``NUMPY``), functions answered with
plain values computed from the traced values (no gradient: ``argmax``, ``isfinite``…),
and creators passed through to NumPy unchanged (``zeros``, ``arange``, ``random``…).
The tracer builds its dispatch from these; hints name what is missing from them.
"""

from __future__ import annotations

COMPARISONS = frozenset({"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"})
VALUE_UFUNCS = ("isfinite", "isnan", "isinf", "sign", "floor", "ceil", "rint", "trunc", "signbit",
                "logical_and", "logical_or", "logical_not", "logical_xor", *sorted(COMPARISONS))
VALUE_FUNCTIONS = ("argmax", "argmin", "argsort", "all", "any", "round", "around", "count_nonzero", "nonzero",
                   "flatnonzero", "isclose", "allclose", "array_equal", "shape", "ndim", "size", "zeros_like",
                   "ones_like", "full_like", "empty_like", "unique", "argwhere", "isreal", "iscomplex",
                   "result_type", "can_cast", "searchsorted", "digitize", "bincount", "histogram")
VALUE_NAMES = frozenset(VALUE_UFUNCS + VALUE_FUNCTIONS)
# not differentiable and not reading tensors: plain NumPy, so data can be built inside a computation
PASSTHROUGH = ("zeros", "ones", "full", "empty", "eye", "identity", "arange", "linspace", "array", "asarray",
               "pi", "e", "inf", "nan", "newaxis", "float64", "float32", "int64", "int32", "bool_",
               "random", "ndarray", "errstate", "seterr", "set_printoptions", "meshgrid", "indices",
               "tri", "diag_indices", "triu_indices", "tril_indices")


def qualname(func) -> str:
    """``numpy.linalg.inv`` → ``linalg.inv``; ``numpy.sum`` → ``sum``: the key of ``ops.NUMPY``."""
    module = (getattr(func, "__module__", "") or "").removeprefix("numpy").lstrip(".")
    module = "" if module in ("", "_core", "core") or module.startswith(("_core.", "core.")) else module
    module = module.split(".")[0] if module.startswith("linalg") else module
    return f"{module}.{func.__name__}" if module else func.__name__
