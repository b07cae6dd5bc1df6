"""Provides ``graphstep.numpy``: NumPy's names for traced tensors.

Differentiable functions record a node through the op table; array creators and
constants (``zeros``, ``arange``, ``pi``…) pass through to NumPy unchanged.
Anything else raises an error naming the function, never an untracked result.
"""

from __future__ import annotations

import numpy as _np

from .tracer import _raw, _unsupported, apply

__all__ = ["TRACED"]


def _unary(opname: str):
    def fn(x):
        return apply(opname, x)

    fn.__name__ = opname
    fn.__doc__ = f"Traced numpy.{opname}."
    return fn


def _binary(opname: str):
    def fn(x, y):
        return apply(opname, x, y)

    fn.__name__ = opname
    fn.__doc__ = f"Traced numpy.{opname}."
    return fn


def _reduction(opname: str):
    def fn(x, axis=None, keepdims=False):
        return apply(opname, x, axis=axis, keepdims=keepdims)

    fn.__name__ = opname
    return fn


def transpose(x, axes=None):
    return apply("transpose", x, axes=None if axes is None else tuple(axes))


def reshape(x, shape):
    return apply("reshape", x, shape=shape)


def clip(x, a_min=None, a_max=None):
    return apply("clip", x, lo=a_min, hi=a_max)


def where(condition, x, y):
    return apply("where", _raw(condition), x, y)


def concatenate(arrays, axis=0):
    return apply("concatenate", *arrays, axis=axis)


def stack(arrays, axis=0):
    return apply("stack", *arrays, axis=axis)


def dot(a, b):
    return apply("matmul", a, b) if _np.ndim(_raw(a)) and _np.ndim(_raw(b)) else apply("multiply", a, b)


class linalg:  # noqa: N801 - mirrors numpy.linalg
    """The part of ``numpy.linalg`` graphstep traces."""

    @staticmethod
    def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - numpy's name
        if ord not in (None, 2, "fro") or (ord == 2 and axis is None and _np.ndim(_raw(x)) > 1):
            raise _unsupported(f"numpy.linalg.norm(ord={ord!r})")
        return apply("norm", x, axis=axis, keepdims=keepdims)


TRACED = {name: _unary(name) for name in ("negative", "exp", "log", "tanh", "sqrt", "abs", "square", "sin", "cos")}
TRACED |= {name: _binary(name) for name in ("add", "subtract", "multiply", "divide", "power",
                                            "matmul", "maximum", "minimum")}
TRACED |= {name: _reduction(name) for name in ("sum", "mean", "max", "min")}
TRACED |= {"transpose": transpose, "reshape": reshape, "clip": clip, "where": where, "dot": dot,
           "concatenate": concatenate, "stack": stack, "norm": linalg.norm, "true_divide": TRACED["divide"],
           "absolute": TRACED["abs"], "amax": TRACED["max"], "amin": TRACED["min"]}
globals().update(TRACED)
del globals()["norm"]

# not differentiable: plain NumPy, so data can be built inside a computation
_PASSTHROUGH = ("zeros", "ones", "full", "eye", "arange", "linspace", "array", "asarray", "zeros_like",
                "ones_like", "pi", "e", "inf", "nan", "newaxis", "float64", "float32", "int64",
                "random", "ndarray", "isfinite", "isnan", "allclose", "shape", "ndim")
globals().update({name: getattr(_np, name) for name in _PASSTHROUGH})


def __getattr__(name: str):
    if name.startswith("__"):  # import machinery probes (__path__, __spec__…) must see a plain module
        raise AttributeError(name)
    raise _unsupported(f"numpy.{name}")


def __dir__():
    return sorted(list(TRACED) + list(_PASSTHROUGH) + ["linalg"])

