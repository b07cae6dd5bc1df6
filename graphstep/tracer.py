"""Provides eager (define-by-run) tracing: ``Tensor``, ``param``, ``input``,
``computation``, ``scope`` and ``trace``.

Every op on a ``Tensor`` runs NumPy at once (so Python ``if``/``while`` on values
work, as in PyTorch) and appends a node to the active ``Tracer``, remembering the
user's source line.  Comparisons give plain booleans/arrays: the graph records
the path the program actually took.
"""

from __future__ import annotations

import contextlib
import functools
import linecache
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .errors import GraphstepError, ShapeError, UnsupportedError
from .ops import METHODS, NUMPY, OPS, fmt_shape, install_apply

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_INTERNAL = (_PACKAGE_DIR, _NUMPY_DIR, "<__array_function__")
_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)")


_internal_files: dict[str, bool] = {}


def _is_internal(filename: str) -> bool:
    internal = _internal_files.get(filename)
    if internal is None:
        internal = _internal_files[filename] = filename.startswith(_INTERNAL)
    return internal


def _user_frame():
    """The innermost frame that belongs to the user's code, not graphstep's or numpy's."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


_assign_cache: dict[tuple[str, int], str | None] = {}


def _assigned_name(filename: str, lineno: int) -> str | None:
    """The variable a source line assigns to (``H = tanh(...)`` → ``H``), if any."""
    key = (filename, lineno)
    if key not in _assign_cache:
        match = _ASSIGN.match(linecache.getline(filename, lineno))
        _assign_cache[key] = match.group(1) if match else None
    return _assign_cache[key]


def display_path(filename: str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    return _display_path(filename, os.getcwd())


@functools.lru_cache(maxsize=256)
def _display_path(filename: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(filename, cwd)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


@functools.lru_cache(maxsize=64)
def _dtype_name(dtype: np.dtype) -> str:
    return str(dtype)


class Tracer:
    """Records nodes while a computation runs; ``Graph`` is built from it."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.leaf_values: dict[int, np.ndarray] = {}
        self.notes: list[str] = []
        self.scope = ""  # "layer1/attention" inside nested gs.scope blocks
        self._paths: dict[str, str] = {}  # file → as the user types it, once per trace
        self._sites: list[tuple] = []  # (frame id, line, lasti) per node, for naming
        # user function calls: id → {"func", "file", "line" (def), "parent", "site" (calling line)}
        self.calls: list[dict[str, Any]] = []
        self.scope_spans: list[list] = []  # [scope path, first node, end node] per `with gs.scope(...)`
        self._frame_calls: dict[int, tuple[Any, int]] = {}  # id(frame) → (frame, call id); frames kept alive
        self.running = False  # inside the user's computation: only then are call stacks recorded

    def add(self, kind: str, value: np.ndarray, *, op: str | None = None, name: str | None = None,
            inputs: tuple[int, ...] = (), params: dict | None = None) -> int:
        frame = _user_frame()
        if frame is not None:
            filename, line = frame.f_code.co_filename, frame.f_lineno
            site = (id(frame), line, frame.f_lasti)
            func = frame.f_code.co_name
            stack = self._stack(frame) if self.running else ()
        else:
            filename, line, site, func, stack = "<unknown>", 0, (0, 0, 0), "", ()
        nid = len(self.nodes)
        self.nodes.append({
            "kind": kind, "op": op, "name": name, "shape": value.shape,
            "dtype": _dtype_name(value.dtype),
            "inputs": inputs, "params": params or {}, "file": filename, "line": line,
            "source": f"{self._path(filename)}:{line}", "scope": self.scope, "func": func,
            "call": stack[-1][0] if stack else -1, "stack": stack,
        })
        self._sites.append(site)
        if kind != "op":
            self.leaf_values[nid] = value
        return nid

    def _stack(self, frame) -> tuple[tuple[int, int, int], ...]:
        """Where each user frame stands, outermost first: (call id, line, bytecode offset).

        Grouping reads loop iterations and function calls from these; the frames
        are kept alive while tracing so that a frame id is never reused.
        """
        levels = []
        while frame is not None and not _is_internal(frame.f_code.co_filename):
            levels.append((self._call_of(frame), frame.f_lineno, frame.f_lasti))
            frame = frame.f_back
        levels.reverse()
        return tuple(levels)

    def _call_of(self, frame) -> int:
        """The call id of a user frame, registering it (and unseen user frames around it) on first sight."""
        fresh, parent = [], -1
        while frame is not None and not _is_internal(frame.f_code.co_filename):
            known = self._frame_calls.get(id(frame))
            if known is not None and known[0] is frame:
                parent = known[1]
                break
            fresh.append(frame)
            frame = frame.f_back
        for f in reversed(fresh):  # outermost first, so a call's parent is registered before it
            code = f.f_code
            call = len(self.calls)
            self.calls.append({"func": code.co_name, "file": code.co_filename, "line": code.co_firstlineno,
                               "parent": parent, "site": f.f_back.f_lineno if parent >= 0 else 0})
            self._frame_calls[id(f)] = (f, call)
            parent = call
        return parent

    def _path(self, filename: str) -> str:
        path = self._paths.get(filename)
        if path is None:
            path = self._paths[filename] = display_path(filename)
        return path

    def source_of(self) -> str:
        frame = _user_frame()
        return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else ""

    def finish_names(self, output: int) -> None:
        """Name op nodes after the variable their line assigns to; the rest get readable automatic names."""
        self._frame_calls = {}  # the trace is over: let the user's frames go
        runs: list[list[int]] = []
        for nid, node in enumerate(self.nodes):
            site = self._sites[nid]
            if node["kind"] == "op" and runs and self._continues(runs[-1][-1], site):
                runs[-1].append(nid)
            elif node["kind"] == "op":
                runs.append([nid])
        for run in runs:
            consumed = {i for n in run for i in self.nodes[n]["inputs"]}
            target = _assigned_name(self.nodes[run[0]]["file"], self.nodes[run[0]]["line"])
            for n in run:
                if self.nodes[n]["name"] is None and target and n not in consumed:
                    self.nodes[n]["name"] = target
        self._name_returns()
        self._name_leaves()
        if self.nodes[output]["name"] is None:  # the result learners expect to see named
            self.nodes[output]["name"] = "loss" if self.nodes[output]["shape"] == () else "out"
        used: dict[str, int] = {}
        for nid, node in enumerate(self.nodes):
            name = node["name"] or self._auto_name(nid)
            if node["kind"] == "const" and node["shape"] == () and not node["name"]:
                node["name"] = name  # a scalar constant is called by its value, however often it appears
                continue
            count = used.get(name, 0) + 1
            used[name] = count
            node["name"] = name if count == 1 else f"{name}#{count}"

    def _name_returns(self) -> None:
        """``H = layer(H, W, b)`` where layer ends in ``return tanh(Z)``: the returned node is called H."""
        last_op: dict[int, int] = {}
        for nid, node in enumerate(self.nodes):
            if node["kind"] == "op" and node["stack"]:
                last_op[node["call"]] = nid
        for call, nid in last_op.items():
            info = self.calls[call]
            if self.nodes[nid]["name"] is not None or info["parent"] < 0:
                continue
            caller = self.calls[info["parent"]]
            target = _assigned_name(caller["file"], info["site"])
            if target and not self._used_at(nid, info["parent"], info["site"]):
                self.nodes[nid]["name"] = target

    def _used_at(self, nid: int, call: int, line: int) -> bool:
        """Whether the statement that called a function goes on to use its result (``f(a) + f(b)``)."""
        for later in range(nid + 1, len(self.nodes)):
            node = self.nodes[later]
            if node["call"] == call and node["line"] != line:
                return False
            if node["call"] == call and nid in node["inputs"]:
                return True
        return False

    def _name_leaves(self) -> None:
        """``w = gs.param(...)`` without ``name=``: the leaf is called w, unless an op on that line is."""
        taken = {node["name"] for node in self.nodes if node["name"]}
        for node in self.nodes:
            if node["kind"] in ("param", "input") and node["name"] is None:
                target = _assigned_name(node["file"], node["line"])
                if target and target not in taken:
                    node["name"] = target
                    taken.add(target)

    def _continues(self, prev: int, site: tuple) -> bool:
        frame_id, line, lasti = self._sites[prev]
        return site[0] == frame_id and site[1] == line and site[2] > lasti

    def _auto_name(self, nid: int) -> str:
        node = self.nodes[nid]
        if node["kind"] == "const":
            value = self.leaf_values[nid]
            return f"{float(value):g}" if np.ndim(value) == 0 else f"const{nid}"
        if node["kind"] != "op":
            return f"{node['kind']}{nid}"
        names = [_term(self.nodes[i]["name"] or "?") for i in node["inputs"]]
        op = node["op"]
        infix = OPS[op].operator.replace("-", "−")
        if infix and len(names) == 2:
            text = f"{names[0]}{infix}{names[1]}"
        elif op == "transpose" and len(names) == 1:
            text = f"{names[0]}ᵀ"
        else:
            text = f"{op}({','.join(names)})"
        return text if len(text) <= 14 and "?" not in text else f"{op}{nid}"


def _term(name: str) -> str:
    """A name as an operand: composite names are parenthesised, ``(Z2−y)**2``."""
    return name if name.replace("_", "").replace("#", "").isalnum() else f"({name})"


_active: list[Tracer] = []


def current_tracer(what: str) -> Tracer:
    if not _active:
        raise GraphstepError(f"{what} must be called inside a computation traced by gs.trace "
                             "(or a function decorated with @gs.computation run by graphstep)")
    return _active[-1]


class Tensor:
    """A traced ndarray: NumPy semantics, and every op becomes a graph node.

    Operators and methods are built from the op table (``ops.METHODS``, each op's
    ``operator``) below the class; what has no gradient answers with plain values.
    """

    __slots__ = ("node", "value", "tracer")
    __array_priority__ = 1000

    def __init__(self, node: int, value: np.ndarray, tracer: Tracer) -> None:
        self.node, self.value, self.tracer = node, value, tracer

    # ── plain attributes ──
    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)
    size = property(lambda self: self.value.size)
    T = property(lambda self: apply("transpose", self))
    mT = property(  # noqa: N815 - NumPy's name
        lambda self: apply("transpose", self, axes=tuple(range(self.ndim - 2)) + (self.ndim - 1,
                                                                                            self.ndim - 2)))

    @property
    def name(self) -> str | None:
        return self.tracer.nodes[self.node]["name"]

    def __repr__(self) -> str:
        return f"Tensor(node={self.node}, shape={self.shape}, value={self.value!r})"

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    # ── values leave the graph only explicitly ──
    def item(self, *args) -> float:
        return self.value.item(*args)

    def tolist(self):
        return self.value.tolist()

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __array__(self, dtype=None, copy=None):
        raise UnsupportedError(
            "a traced Tensor was turned into a plain NumPy array, which would drop it from the graph",
            source=self.tracer.source_of(), node=self.name or str(self.node),
            hint="use graphstep.numpy (gnp.*) or np.* functions on tensors; t.value is the raw array, "
                 ".item()/float() a number")

    # comparisons are not differentiable: they give plain values, so `if`/`while` work
    def __lt__(self, other):
        return self.value < _raw(other)

    def __le__(self, other):
        return self.value <= _raw(other)

    def __gt__(self, other):
        return self.value > _raw(other)

    def __ge__(self, other):
        return self.value >= _raw(other)

    def __eq__(self, other):
        return self.value == _raw(other)

    def __ne__(self, other):
        return self.value != _raw(other)

    __hash__ = object.__hash__  # tensors stay usable as dict keys: identity, as before

    def __pos__(self): return self
    def __getitem__(self, index): return apply("getitem", self, index=_raw_index(index))

    # ── NumPy's own functions on tensors go through our table, or fail clearly ──
    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        if name in VALUE_ONLY:
            return VALUE_ONLY[name](*args, **kwargs)
        fn = NUMPY.get(name)
        extra = sorted(k for k in kwargs if k != "out")
        if fn is None or extra:
            raise _unsupported(f"numpy.{name}" + (f"(..., {extra[0]}=...)" if fn and extra else ""))
        return fn(*args, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        name = _qualname(func)
        fn = VALUE_ONLY.get(name) or NUMPY.get(name)
        if fn is None:
            raise _unsupported(f"numpy.{name}")
        return fn(*args, **kwargs)


_COMPARISONS = frozenset({"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"})
_DUNDERS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow", "@": "matmul"}


def _qualname(func) -> str:
    """``numpy.linalg.inv`` → ``linalg.inv``; ``numpy.sum`` → ``sum``: the key of ``ops.NUMPY``."""
    module = (getattr(func, "__module__", "") or "").removeprefix("numpy").lstrip(".")
    module = "" if module in ("", "_core", "core") or module.startswith(("_core.", "core.")) else module
    module = module.split(".")[0] if module.startswith("linalg") else module
    return f"{module}.{func.__name__}" if module else func.__name__


def _operator(opname: str, reflected: bool):
    if reflected:
        return lambda self, other: apply(opname, other, self)
    return lambda self, other: apply(opname, self, other)


def _install_operators() -> None:
    """``a + b``, ``2 ** x``…: each op that has a Python operator declares it in the table."""
    for op in OPS.values():
        stem = _DUNDERS.get(op.operator)
        if stem:
            setattr(Tensor, f"__{stem}__", _operator(op.name, False))
            setattr(Tensor, f"__r{stem}__", _operator(op.name, True))
    Tensor.__neg__ = lambda self: apply("negative", self)
    Tensor.__abs__ = lambda self: apply("abs", self)


def _values(fn: Callable) -> Callable:
    """A NumPy function without a gradient, on the traced values: plain results, nothing recorded."""

    def on_values(*args, **kw):
        return fn(*(_raw_deep(a) for a in args), **{k: _raw_deep(v) for k, v in kw.items()})

    on_values.__name__ = getattr(fn, "__name__", "values")
    on_values.__doc__ = f"numpy.{on_values.__name__} on the traced values (no gradient: a plain result)."
    return on_values


_VALUE_UFUNCS = ("isfinite", "isnan", "isinf", "sign", "floor", "ceil", "rint", "trunc", "signbit",
                 "logical_and", "logical_or", "logical_not", "logical_xor", *_COMPARISONS)
_VALUE_FUNCTIONS = ("argmax", "argmin", "argsort", "all", "any", "round", "around", "count_nonzero", "nonzero",
                    "flatnonzero", "isclose", "allclose", "array_equal", "shape", "ndim", "size", "zeros_like",
                    "ones_like", "full_like", "empty_like", "unique", "argwhere", "isreal", "iscomplex",
                    "result_type", "can_cast", "searchsorted", "digitize", "bincount", "histogram")
# functions without a gradient: their results are plain NumPy values computed from the traced values
VALUE_ONLY: dict[str, Callable] = {name: _values(getattr(np, name)) for name in _VALUE_UFUNCS + _VALUE_FUNCTIONS}
_VALUE_METHODS = ("argmax", "argmin", "argsort", "all", "any", "round", "nonzero")


def _install_methods() -> None:
    """Tensor methods: ``t.sum(axis=0)`` and friends from the table, ``t.argmax()`` on values."""
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
    for name in _VALUE_METHODS:
        setattr(Tensor, name, _values(getattr(np.ndarray, name)))


def _raw_deep(x):
    """Values of tensors, also inside the lists and tuples NumPy functions take."""
    if isinstance(x, Tensor):
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_raw_deep(i) for i in x)
    return x


def _unsupported(what: str) -> UnsupportedError:
    return UnsupportedError(f"{what} is not in graphstep's op table, so it cannot be traced",
                            source=_active[-1].source_of() if _active else "",
                            hint="traced functions: " + ", ".join(sorted(NUMPY)))


def _raw(x):
    return x.value if isinstance(x, Tensor) else x


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _tracer_of(args) -> Tracer:
    for a in args:
        if isinstance(a, Tensor):
            return a.tracer
    return current_tracer("a graphstep op")


def _const(tracer: Tracer, x) -> int:
    value = np.asarray(x, dtype=float) if isinstance(x, (int, float)) and not isinstance(x, bool) else np.asarray(x)
    return tracer.add("const", value)


def apply(opname: str, *args, **kw) -> Tensor:
    """Run one primitive eagerly and record it as a node."""
    op = OPS[opname]
    tracer = _tracer_of(args)
    ids, vals = [], []
    for a in args:
        if isinstance(a, Tensor):
            ids.append(a.node)
            vals.append(a.value)
        else:
            ids.append(_const(tracer, a))
            vals.append(tracer.leaf_values[ids[-1]])
    try:
        out = np.asarray(op.forward(*vals, **kw))  # trace() silences NaN warnings: the stepper shows them
    except (ValueError, IndexError, TypeError) as err:
        raise _shape_error(tracer, op, ids, vals, kw, err) from None
    return Tensor(tracer.add("op", out, op=opname, inputs=tuple(ids), params=kw), out, tracer)


def _shape_error(tracer: Tracer, op, ids, vals, kw, err: Exception) -> ShapeError:
    shapes = [np.shape(v) for v in vals]
    try:
        op.shape(*shapes, **kw)
        reason = str(err)
    except (ValueError, IndexError, TypeError) as rule_err:
        reason = str(rule_err)
    # op nodes are named only when the trace ends: until then an operand is known by its op
    operands = ", ".join(f"{tracer.nodes[i]['name'] or tracer.nodes[i]['op'] or tracer.nodes[i]['kind']} "
                         f"{fmt_shape(s)}" for i, s in zip(ids, shapes, strict=True))
    frame = _user_frame()
    node = (frame and _assigned_name(frame.f_code.co_filename, frame.f_lineno)) or op.name
    return ShapeError(f"{op.name} cannot combine {operands}: {reason}", source=tracer.source_of(), node=node)


# ───────────────────────────── leaves ─────────────────────────────


def _leaf(kind: str, value, name: str | None) -> Tensor:
    tracer = current_tracer(f"gs.{kind}()")
    array = np.array(value, copy=True)
    if kind == "param" and array.dtype.kind != "f":
        note = (f"param {name or '?'}: {array.dtype} values converted to float64 "
                "(gradients need a floating dtype)")
        tracer.notes.append(note)
        warnings.warn(note, stacklevel=3)
        array = array.astype(np.float64)
    if array.dtype.kind not in "biufc":
        raise GraphstepError(f"gs.{kind}() needs numbers, got {array.dtype}", source=tracer.source_of())
    return Tensor(tracer.add(kind, array, name=name), array, tracer)


def param(value, name: str | None = None) -> Tensor:
    """A trainable leaf: the stepper computes its gradient."""
    return _leaf("param", value, name)


def input(value, name: str | None = None) -> Tensor:  # noqa: A001 - the public API's name
    """Data: a leaf that needs no gradient."""
    return _leaf("input", value, name)


def const(value, name: str | None = None) -> Tensor:
    """A named constant leaf."""
    return _leaf("const", value, name)


@contextlib.contextmanager
def scope(label: str) -> Iterator[None]:
    """Group the nodes made inside the block under ``label`` (for pictures and the TUI)."""
    tracer = current_tracer("gs.scope()")
    outer = tracer.scope
    tracer.scope = f"{outer}/{label}" if outer else label
    span = [tracer.scope, len(tracer.nodes), None]
    tracer.scope_spans.append(span)
    try:
        yield
    finally:
        tracer.scope = outer
        span[2] = len(tracer.nodes)


_reseed: list[int] = []  # set while re-tracing with new random inputs


def rng(seed: int = 0) -> np.random.Generator:
    """``np.random.default_rng(seed)``, unless graphstep re-traces with new random inputs.

    Draw a computation's data from ``gs.rng(0)`` and ``graphstep --reseed N`` (or
    the TUI's ``L``) can run it again on different numbers, to see what changes.
    """
    return np.random.default_rng(seed if not _reseed else [seed, _reseed[-1]])


@contextlib.contextmanager
def reseeded(draw: int | None) -> Iterator[None]:
    """Make every ``gs.rng(seed)`` inside the block draw differently (``draw`` None: as written)."""
    if draw is None:
        yield
        return
    _reseed.append(draw)
    try:
        yield
    finally:
        _reseed.pop()


def computation(fn: Callable | None = None, *, seed=None, name: str | None = None):
    """Mark a zero-argument function as a graphstep computation (``seed`` for non-scalar outputs)."""

    def mark(f: Callable) -> Callable:
        f.__graphstep_computation__ = {"seed": seed, "name": name or f.__name__}
        return f

    return mark(fn) if fn is not None else mark


def _user_source() -> str:
    return _active[-1].source_of() if _active else ""


_install_operators()
_install_methods()
install_apply(apply, _user_source)
