"""Provides ``TABLE``: each PyTorch function graphstep can record, mapped onto the op table.

A handler takes torch's result first (its shape decides ``view``, ``split``…), then the call's own arguments as the
recorder converted them: floating-point tensors as graphstep ``Tensor`` mirrors, integer and boolean tensors
(labels, indices, masks) as NumPy arrays, everything else as it was.  It returns the graphstep result: a
``Tensor``, or a tuple shaped like torch's (``None`` where torch's part has no gradient, the indices of ``max``).

Most entries are one op of the table (``torch.exp`` → ``exp``), so a step shows the formula a NumPy file shows.
Composites (``F.linear``, ``F.cross_entropy``…) live in ``functional``, written with those ops and grouped under
the call.  A handler that meets arguments it cannot record raises ``Unmappable`` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .. import numpy as gnp
from ..core.tracer import Tensor, apply, const
from . import functional as fn
from .functional import Unmappable


@dataclass(frozen=True)
class Mapping:
    """How one torch function is recorded: its handler, and whether it is a composite grouped under its call."""

    handler: Callable
    title: str  # the name a learner reads: "F.cross_entropy", "Tensor.view"
    composite: bool = False
    raw: frozenset[str] = frozenset()  # arguments passed as NumPy values, never nodes (batch norm's running stats)


TABLE: dict[object, Mapping] = {}
ROWS: dict[str, list[str]] = {}  # kind → the names registered, for README's table (and its test)
_IN_PLACE_KINDS = ("elementwise", "activations", "reductions", "linear algebra")  # x.add_(y): the op on x's old value
_MODULES = {"torch": torch, "Tensor": torch.Tensor, "F": F, "linalg": torch.linalg, "special": torch.special}


def _resolve(name: str):
    space, _, attr = name.partition(".")
    found = getattr(_MODULES[space], attr, None)
    if isinstance(found, property) or type(found).__name__ == "getset_descriptor":
        return found.__get__  # ``x.T``: torch hands the property's getter to the mode
    return found


def maps(kind: str, *names: str, composite: bool = False, raw: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Register the handler for the torch functions ``names`` ("torch.exp", "Tensor.exp", "F.relu"), and for the
    in-place ``Tensor.NAME_`` and ``torch.NAME_`` where torch has them (for kinds whose op reads x's old value)."""

    def register(handler: Callable) -> Callable:
        for name in names:
            found = _resolve(name)
            if found is None:
                raise AttributeError(f"torch has no {name}")
            entry = Mapping(handler, name, composite, frozenset(raw))
            TABLE[found] = entry
            space, _, attr = name.partition(".")
            if kind in _IN_PLACE_KINDS and space in ("Tensor", "torch") and not attr.startswith("__"):
                in_place = getattr(_MODULES[space], attr + "_", None)
                if in_place is not None and in_place not in TABLE:
                    TABLE[in_place] = Mapping(handler, name + "_", composite, frozenset(raw))
        ROWS.setdefault(kind, []).extend(names)
        return handler

    return register


def _dims(dim):
    """torch's ``dim`` as NumPy's ``axis``: None for every axis, an int, or a tuple."""
    if dim is None or isinstance(dim, int):
        return dim
    dims = tuple(int(d) for d in dim)
    return dims or None


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    """NumPy's dtype for a torch dtype (``torch.float32`` → ``float32``); bfloat16 has none."""
    return np.dtype(str(dtype).removeprefix("torch."))


def _shape(result) -> tuple[int, ...]:
    return tuple(result.shape)


def _value(x):
    """A plain value of an argument (a clamp bound, a fill value): a mirror's array, refused if it needs a gradient."""
    if isinstance(x, Tensor):
        if x.tracer.depends_on_param(x.node):
            raise Unmappable("a bound or fill value that needs a gradient")
        return x.value
    return x


# ───────────────────────────── elementwise ─────────────────────────────

_UNARY = {"exp": "exp", "exp2": "exp2", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10",
          "log1p": "log1p", "sqrt": "sqrt", "square": "square", "reciprocal": "reciprocal", "neg": "negative",
          "negative": "negative", "abs": "abs", "absolute": "abs", "sin": "sin", "cos": "cos", "tan": "tan",
          "asin": "arcsin", "arcsin": "arcsin", "acos": "arccos", "arccos": "arccos", "atan": "arctan",
          "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "asinh": "arcsinh",
          "arcsinh": "arcsinh", "acosh": "arccosh", "arccosh": "arccosh", "atanh": "arctanh", "arctanh": "arctanh",
          "sigmoid": "sigmoid", "relu": "relu", "positive": "positive"}


def _unary(op: str) -> Callable:
    def handler(result, x, *, out=None, inplace=False):
        return apply(op, x)

    return handler


for _name, _op in _UNARY.items():
    maps("elementwise", *(f"{space}.{_name}" for space in ("torch", "Tensor")
                          if getattr(_MODULES[space], _name, None) is not None))(_unary(_op))
maps("elementwise", "Tensor.__neg__")(_unary("negative"))
maps("elementwise", "Tensor.__abs__")(_unary("abs"))
maps("elementwise", "special.expit")(_unary("sigmoid"))
maps("activations", "F.logsigmoid")(_unary("log_sigmoid"))


@maps("elementwise", "torch.rsqrt", "Tensor.rsqrt")
def _rsqrt(result, x):
    return x ** -0.5


def _binary(op: str) -> Callable:
    def handler(result, x, y, *, out=None):
        return apply(op, x, y)

    return handler


_BINARY = {"mul": "multiply", "multiply": "multiply", "maximum": "maximum", "minimum": "minimum", "fmax": "fmax",
           "fmin": "fmin", "atan2": "arctan2", "arctan2": "arctan2", "hypot": "hypot", "logaddexp": "logaddexp",
           "pow": "power", "float_power": "power"}
for _name, _op in _BINARY.items():
    maps("elementwise", *(f"{space}.{_name}" for space in ("torch", "Tensor")
                          if getattr(_MODULES[space], _name, None) is not None))(_binary(_op))


@maps("elementwise", "torch.add", "Tensor.add", "Tensor.__add__", "Tensor.__radd__")
def _add(result, x, y, *, alpha=1, out=None):
    return x + (y if alpha == 1 else alpha * y)


@maps("elementwise", "torch.sub", "torch.subtract", "Tensor.sub", "Tensor.subtract", "Tensor.__sub__")
def _sub(result, x, y, *, alpha=1, out=None):
    return x - (y if alpha == 1 else alpha * y)


@maps("elementwise", "torch.div", "torch.divide", "torch.true_divide", "Tensor.div", "Tensor.divide",
      "Tensor.true_divide", "Tensor.__truediv__")
def _div(result, x, y, *, rounding_mode=None, out=None):
    if rounding_mode is not None:
        raise Unmappable(f"rounding_mode={rounding_mode!r}")
    return x / y


@maps("elementwise", "Tensor.__rsub__")
def _rsub(result, x, y, *, alpha=1):
    return y - (x if alpha == 1 else alpha * x)


@maps("elementwise", "Tensor.__rtruediv__", "Tensor.__rdiv__")
def _rdiv(result, x, y):
    return y / x


@maps("elementwise", "Tensor.__rpow__")
def _rpow(result, x, y):
    return apply("power", y, x)


@maps("elementwise", "Tensor.__mul__", "Tensor.__rmul__")
def _mul(result, x, y):
    return x * y


@maps("elementwise", "Tensor.__pow__")
def _pow(result, x, y):
    return x ** y


@maps("elementwise", "torch.clamp", "torch.clip", "Tensor.clamp", "Tensor.clip")
def _clamp(result, x, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    return gnp.clip(x, _value(min), _value(max))


@maps("elementwise", "torch.clamp_min", "Tensor.clamp_min")
def _clamp_min(result, x, min):  # noqa: A002
    return gnp.clip(x, _value(min), None)


@maps("elementwise", "torch.clamp_max", "Tensor.clamp_max")
def _clamp_max(result, x, max):  # noqa: A002
    return gnp.clip(x, None, _value(max))


@maps("elementwise", "torch.where")
def _where(result, condition, x, y):
    return gnp.where(condition, x, y)


@maps("elementwise", "Tensor.where")
def _where_method(result, x, condition, y):
    return gnp.where(condition, x, y)


@maps("elementwise", "torch.masked_fill", "Tensor.masked_fill")
def _masked_fill(result, x, mask, value):
    return gnp.where(mask, value, x)


@maps("elementwise", "torch.sign", "Tensor.sign", "torch.floor", "Tensor.floor", "torch.ceil", "Tensor.ceil",
      "torch.round", "Tensor.round", "torch.trunc", "Tensor.trunc")
def _flat(result, x, *args, **kwargs):
    """A function whose slope is 0 almost everywhere: its result is a constant, as in PyTorch (its gradient is 0)."""
    return const(result.detach().cpu().numpy().copy())


# ───────────────────────────── activations ─────────────────────────────


@maps("activations", "F.relu")
def _relu(result, x, inplace=False):
    return apply("relu", x)


@maps("activations", "F.relu6")
def _relu6(result, x, inplace=False):
    return gnp.clip(x, 0.0, 6.0)


@maps("activations", "F.hardtanh")
def _hardtanh(result, x, min_val=-1.0, max_val=1.0, inplace=False):
    return gnp.clip(x, min_val, max_val)


maps("activations", "F.tanh")(_unary("tanh"))
maps("activations", "F.sigmoid")(_unary("sigmoid"))
maps("activations", "F.leaky_relu")(fn.leaky_relu)
maps("activations", "F.softplus")(fn.softplus)
for _name in ("elu", "silu", "gelu", "softsign", "normalize"):
    maps("activations", f"F.{_name}", composite=True)(getattr(fn, _name))


@maps("activations", "torch.softmax", "Tensor.softmax", "F.softmax", "special.softmax")
def _softmax(result, x, dim=None, _stacklevel=3, dtype=None):
    return apply("softmax", x, axis=_softmax_dim(x, dim))


@maps("activations", "torch.log_softmax", "Tensor.log_softmax", "F.log_softmax", "special.log_softmax")
def _log_softmax(result, x, dim=None, _stacklevel=3, dtype=None):
    return apply("log_softmax", x, axis=_softmax_dim(x, dim))


def _softmax_dim(x, dim) -> int:
    """PyTorch's implicit softmax axis (deprecated, with a warning): 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is None:
        return 0 if x.ndim in (0, 1, 3) else 1
    return int(dim) % max(x.ndim, 1)


# ───────────────────────────── reductions ─────────────────────────────


@maps("reductions", "torch.sum", "Tensor.sum")
def _sum(result, x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    return gnp.sum(x, axis=_dims(dim if axis is None else axis), keepdims=bool(keepdim or keepdims))


@maps("reductions", "torch.mean", "Tensor.mean")
def _mean(result, x, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    return gnp.mean(x, axis=_dims(dim if axis is None else axis), keepdims=bool(keepdim or keepdims))


@maps("reductions", "torch.prod", "Tensor.prod")
def _prod(result, x, dim=None, keepdim=False, *, dtype=None):
    return gnp.prod(x, axis=_dims(dim), keepdims=keepdim)


def _ddof(unbiased, correction) -> int:
    """torch's var/std divide by n − 1 unless told otherwise (NumPy's ``ddof``)."""
    if correction is not None:
        return int(correction)
    return 1 if unbiased in (None, True) else 0


@maps("reductions", "torch.var", "Tensor.var")
def _var(result, x, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if isinstance(dim, bool):  # torch.var(x, False): the unbiased flag in dim's place
        dim, unbiased = None, dim
    return gnp.var(x, axis=_dims(dim), ddof=_ddof(unbiased, correction), keepdims=keepdim)


@maps("reductions", "torch.std", "Tensor.std")
def _std(result, x, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return gnp.std(x, axis=_dims(dim), ddof=_ddof(unbiased, correction), keepdims=keepdim)


def _extremum(op: str, binary: str) -> Callable:
    """torch.max(x) → the largest entry; max(x, dim) → (values, indices); max(x, y) → maximum."""

    def handler(result, x, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, (Tensor, np.ndarray)):
            return apply(binary, x, dim)
        if dim is None:
            return apply(op, x)
        return apply(op, x, axis=int(dim), keepdims=keepdim), None

    return handler


maps("reductions", "torch.max", "Tensor.max")(_extremum("max", "maximum"))
maps("reductions", "torch.min", "Tensor.min")(_extremum("min", "minimum"))


@maps("reductions", "torch.amax", "Tensor.amax")
def _amax(result, x, dim=(), keepdim=False):
    return gnp.max(x, axis=_dims(dim), keepdims=keepdim)


@maps("reductions", "torch.amin", "Tensor.amin")
def _amin(result, x, dim=(), keepdim=False):
    return gnp.min(x, axis=_dims(dim), keepdims=keepdim)


@maps("reductions", "torch.norm", "Tensor.norm", "linalg.norm", "linalg.vector_norm")
def _norm(result, x, p="fro", dim=None, keepdim=False, dtype=None, *, ord=None, out=None):  # noqa: A002
    p = ord if ord is not None else p
    axis = _dims(dim)
    if p in (None, 2, 2.0, "fro"):
        return apply("norm", x, axis=axis, keepdims=keepdim)
    if p in (1, 1.0):
        return gnp.sum(abs(x), axis=axis, keepdims=keepdim)
    if p in (math.inf, float("inf")):
        return gnp.max(abs(x), axis=axis, keepdims=keepdim)
    raise Unmappable(f"p={p!r} (graphstep records the 1-, 2- and ∞-norms)")


@maps("reductions", "torch.cumsum", "Tensor.cumsum")
def _cumsum(result, x, dim, *, dtype=None):
    return gnp.cumsum(x, axis=int(dim))


@maps("reductions", "torch.cumprod", "Tensor.cumprod")
def _cumprod(result, x, dim, *, dtype=None):
    return gnp.cumprod(x, axis=int(dim))


maps("reductions", "torch.logsumexp", "Tensor.logsumexp", composite=True)(fn.logsumexp)


# ───────────────────────────── linear algebra ─────────────────────────────


@maps("linear algebra", "torch.matmul", "Tensor.matmul", "Tensor.__matmul__", "torch.mm", "Tensor.mm",
      "torch.bmm", "Tensor.bmm", "torch.mv", "Tensor.mv")
def _matmul(result, x, y, *, out=None):
    return x @ y


@maps("linear algebra", "Tensor.__rmatmul__")
def _rmatmul(result, x, y):
    return y @ x


@maps("linear algebra", "torch.dot", "Tensor.dot", "torch.inner", "Tensor.inner")
def _dot(result, x, y, *, out=None):
    return gnp.inner(x, y)


@maps("linear algebra", "torch.outer", "Tensor.outer", "torch.ger", "Tensor.ger")
def _outer(result, x, y, *, out=None):
    return gnp.outer(x, y)


@maps("linear algebra", "torch.einsum")
def _einsum(result, equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return gnp.einsum(equation, *operands)


@maps("linear algebra", "torch.trace", "Tensor.trace")
def _trace(result, x):
    return gnp.trace(x)


@maps("linear algebra", "torch.diagonal", "Tensor.diagonal")
def _diagonal(result, x, offset=0, dim1=0, dim2=1):
    return gnp.diagonal(x, offset, dim1, dim2)


@maps("linear algebra", "torch.diag", "Tensor.diag")
def _diag(result, x, diagonal=0):
    return gnp.diag(x, diagonal)


@maps("linear algebra", "torch.tril", "Tensor.tril")
def _tril(result, x, diagonal=0):
    return gnp.tril(x, diagonal)


@maps("linear algebra", "torch.triu", "Tensor.triu")
def _triu(result, x, diagonal=0):
    return gnp.triu(x, diagonal)


maps("linear algebra", "F.linear", composite=True)(fn.linear)
maps("linear algebra", "F.bilinear", composite=True)(fn.bilinear)


# ───────────────────────────── shapes and indexing ─────────────────────────────


@maps("shapes", "torch.reshape", "Tensor.reshape", "Tensor.view", "Tensor.view_as", "Tensor.reshape_as",
      "torch.flatten", "Tensor.flatten", "Tensor.unflatten", "torch.squeeze", "Tensor.squeeze", "torch.unsqueeze",
      "Tensor.unsqueeze", "torch.ravel", "Tensor.ravel", "torch.atleast_2d")
def _reshape(result, x, *args, **kwargs):
    """Every reshape ends where torch's result is: the shape is read off it."""
    if numpy_dtype(result.dtype) != x.dtype:
        raise Unmappable("a view as another dtype")
    return gnp.reshape(x, _shape(result))


@maps("shapes", "torch.broadcast_to", "Tensor.broadcast_to", "Tensor.expand", "Tensor.expand_as")
def _expand(result, x, *args, **kwargs):
    return gnp.broadcast_to(x, _shape(result))


@maps("shapes", "torch.transpose", "Tensor.transpose", "torch.swapaxes", "Tensor.swapaxes", "torch.swapdims",
      "Tensor.swapdims")
def _transpose(result, x, dim0, dim1):
    return gnp.swapaxes(x, int(dim0), int(dim1))


@maps("shapes", "torch.permute", "Tensor.permute")
def _permute(result, x, *dims):
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return gnp.transpose(x, tuple(int(d) % max(x.ndim, 1) for d in dims))


@maps("shapes", "torch.t", "Tensor.t", "Tensor.T")
def _t(result, x):
    return gnp.transpose(x) if x.ndim >= 2 else x


@maps("shapes", "Tensor.mT", "Tensor.mH", "Tensor.H")
def _mt(result, x):
    return gnp.swapaxes(x, -2, -1)


@maps("shapes", "torch.movedim", "Tensor.movedim", "torch.moveaxis", "Tensor.moveaxis")
def _movedim(result, x, source, destination):
    return gnp.moveaxis(x, source, destination)


@maps("shapes", "Tensor.contiguous", "Tensor.cpu", "Tensor.cuda")
def _same(result, x, *args, **kwargs):
    return x


@maps("shapes", "torch.clone", "Tensor.clone")
def _clone(result, x, *, memory_format=None):
    return gnp.copy(x)


@maps("shapes", "Tensor.to", "Tensor.type", "Tensor.type_as", "Tensor.float", "Tensor.double", "Tensor.half")
def _to(result, x, *args, **kwargs):
    dtype = numpy_dtype(result.dtype)
    return x if x.dtype == dtype else x.astype(dtype)


@maps("shapes", "torch.cat", "torch.concat", "torch.concatenate")
def _cat(result, tensors, dim=0, *, axis=None, out=None):
    return gnp.concatenate(list(tensors), axis=int(dim if axis is None else axis))


@maps("shapes", "torch.stack")
def _stack(result, tensors, dim=0, *, out=None):
    return gnp.stack(list(tensors), axis=int(dim))


@maps("shapes", "torch.hstack")
def _hstack(result, tensors, *, out=None):
    return gnp.hstack(list(tensors))


@maps("shapes", "torch.vstack")
def _vstack(result, tensors, *, out=None):
    return gnp.vstack(list(tensors))


@maps("shapes", "torch.split", "Tensor.split", "torch.chunk", "Tensor.chunk", "torch.tensor_split",
      "Tensor.tensor_split")
def _split(result, x, size_or_sections, dim=0):
    """The pieces torch made, as slices of x along ``dim``: their sizes are read off torch's result."""
    axis, start, pieces = int(dim) % x.ndim, 0, []
    for part in result:
        stop = start + part.shape[axis]
        pieces.append(x[(slice(None),) * axis + (slice(start, stop),)])
        start = stop
    return tuple(pieces)


@maps("shapes", "torch.unbind", "Tensor.unbind")
def _unbind(result, x, dim=0):
    axis = int(dim) % x.ndim
    return tuple(x[(slice(None),) * axis + (i,)] for i in range(x.shape[axis]))


@maps("indexing", "Tensor.__getitem__")
def _getitem(result, x, index):
    return x[index]


@maps("indexing", "Tensor.__setitem__")
def _setitem(result, x, index, value):
    return apply("setitem", x, value, index=index if not isinstance(index, list) else np.asarray(index))


@maps("indexing", "torch.gather", "Tensor.gather")
def _gather(result, x, dim, index, *, sparse_grad=False):
    return gnp.take_along_axis(x, index, axis=int(dim))


@maps("indexing", "torch.index_select", "Tensor.index_select")
def _index_select(result, x, dim, index):
    return gnp.take(x, index, axis=int(dim))


@maps("indexing", "torch.flip", "Tensor.flip")
def _flip(result, x, *dims):
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return gnp.flip(x, axis=tuple(int(d) for d in dims))


@maps("indexing", "torch.roll", "Tensor.roll")
def _roll(result, x, shifts, dims=None):
    return gnp.roll(x, shifts, axis=dims if dims is None or isinstance(dims, int) else tuple(dims))


@maps("indexing", "Tensor.repeat")
def _repeat(result, x, *sizes):
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    return gnp.tile(x, tuple(int(s) for s in sizes))


@maps("indexing", "torch.tile", "Tensor.tile")
def _tile(result, x, dims):
    return gnp.tile(x, tuple(int(s) for s in dims))


@maps("indexing", "torch.repeat_interleave", "Tensor.repeat_interleave")
def _repeat_interleave(result, x, repeats, dim=None, *, output_size=None):
    return gnp.repeat(x, repeats, axis=dim)


maps("indexing", "F.pad", composite=False)(fn.pad)
maps("indexing", "F.embedding")(fn.embedding)


# ───────────────────────────── layers and losses (composites, grouped under the call) ─────────────────────────────

for _name in ("mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
              "max_pool2d", "avg_pool2d", "layer_norm", "scaled_dot_product_attention"):
    maps("layers and losses", f"F.{_name}", composite=True)(getattr(fn, _name))
maps("layers and losses", "F.cross_entropy", "F.nll_loss", composite=True, raw=("weight",))(fn.cross_entropy)
TABLE[F.nll_loss] = Mapping(fn.nll_loss, "F.nll_loss", True, frozenset({"weight"}))
maps("layers and losses", "F.batch_norm", composite=True, raw=("running_mean", "running_var"))(fn.batch_norm)
TABLE[torch.conv1d] = TABLE[F.conv1d]
TABLE[torch.conv2d] = TABLE[F.conv2d]
maps("layers and losses", "torch.rnn_tanh_cell", "torch.rnn_relu_cell", composite=True)(fn.rnn_cell)
TABLE[torch.rnn_relu_cell] = Mapping(fn.rnn_relu_cell, "torch.rnn_relu_cell", composite=True)
