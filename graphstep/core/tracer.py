"""Provides eager (define-by-run) tracing: ``Tensor``, ``param``, ``input``,
``computation``, ``scope`` and ``trace``.

Every op on a ``Tensor`` runs NumPy at once (so Python ``if``/``while`` on values
work, as in PyTorch) and appends a node to the active ``Tracer``, remembering the
user's source line.  Comparisons give plain booleans/arrays: the graph records
the path the program actually took.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import linecache
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..errors import GraphstepError, ShapeError, UnsupportedError
from ..text import display_path
from . import naming
from .heap import paused_gc
from .hints import missing_attribute, missing_functions
from .naming import assigned_name
from .ops import METHODS, NUMPY, OPS, fmt_shape, install_apply
from .partial import FAILED, failed_params
from .records import NO_PARAMS, Node
from .surface import COMPARISONS, PASSTHROUGH, VALUE_FUNCTIONS, VALUE_UFUNCS, qualname  # noqa: F401 - re-exported

_CORE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_PACKAGE_DIR = os.path.dirname(_CORE_DIR.rstrip(os.sep)) + os.sep  # all of graphstep, graphstep.nn included
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_INTERNAL = (_PACKAGE_DIR, _NUMPY_DIR, "<__array_function__")
# graphstep's machinery is never a naming frame; graph.py (trace) is where a computation's frames end
_MACHINERY = tuple(_CORE_DIR + f for f in ("tracer.py", "naming.py", os.path.join("ops", "table.py"))) + (
    _NUMPY_DIR, "<__array_function__")
_BOUNDARY = _CORE_DIR + "graph.py"
_USER, _LIBRARY, _SKIP, _END = range(1, 5)  # truthy: _sites_of reads the cache with `or`
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_NO_SITES: tuple = (None, -1, (), None)  # (innermost naming frame, its id, outer sites, user frame)
_NO_STACK: tuple = (None, (), -1)  # (user frame, outer levels, its call id)
# a trace keeps the values of its ops for its graph's first walk (``Graph.take_traced``) while they total up to this:
# a walk of small values is mostly per-node Python; big ones, held until the walk instead of freed as the user's
# code drops them, would cost memory and the page faults of fresh allocations (+6 % tracing W3, kept by node count)
KEPT_BYTES = 1 << 16


_internal_files: dict[str, bool] = {}
_SOURCES_KEPT = 10_000  # (file, line) pairs ``_sources_here`` keeps at most: a notebook makes a file per cell
_sources: tuple[str, dict[tuple[str, int], str]] = ("", {})  # the working directory they are relative to, and them


def _sources_here() -> dict[tuple[str, int], str]:
    """The ``source`` strings made so far, ``(file, line)`` → ``"file.py:LINE"``, relative to the working directory
    as it is now: a computation traced again (W4 traces every call) finds its lines made, and a ``chdir`` between
    two traces starts afresh.  One ``getcwd`` per trace, where making a line's string is ~1 µs."""
    global _sources
    here, (cwd, made) = os.getcwd(), _sources
    if cwd != here or len(made) > _SOURCES_KEPT:
        _sources = (here, {})
    return _sources[1]


_frame_kinds: dict[str, int] = {}


def _kind_of(filename: str) -> int:
    """A frame's part in naming: the user's code, a library function (graphstep.nn), machinery, or the end."""
    kind = _frame_kinds.get(filename)
    if kind is None:
        kind = _frame_kinds[filename] = (
            _END if filename == _BOUNDARY else _LIBRARY if filename.startswith(_NAMING)
            else _SKIP if filename.startswith(_MACHINERY)
            else _LIBRARY if filename.startswith(_INTERNAL) else _USER)
    return kind


def _is_internal(filename: str) -> bool:
    internal = _internal_files.get(filename)
    if internal is None:
        internal = _internal_files[filename] = filename.startswith(_INTERNAL)
    return internal


_THROUGH: tuple[str, ...] = ()  # code the tracer looks through between user frames (see look_through)
_NAMING: tuple[str, ...] = ()  # the part of it whose frames name nodes, even inside machinery's folders


def look_through(path: str, *, naming: bool = False) -> None:
    """Treat the code in ``path`` (a folder or a file) as standing between the user's frames: never the user's code,
    and looked through from a user frame to the user frame that called it.  ``naming``: its frames are naming
    frames, as a library function's (a call made there is one statement of the caller's), else machinery.

    A front end registers itself and the library it wraps: torch's ``Module.__call__`` stands between a script and
    its ``forward``, and the nodes made there still carry the user's lines, calls and loops.
    """
    global _INTERNAL, _MACHINERY, _THROUGH, _NAMING
    prefix = os.path.abspath(path) + (os.sep if os.path.isdir(path) else "")
    if prefix not in _THROUGH:
        _INTERNAL, _THROUGH = _INTERNAL + (prefix,), _THROUGH + (prefix,)
        if naming:
            _NAMING += (prefix,)
        else:
            _MACHINERY += (prefix,)
        _internal_files.clear()
        _frame_kinds.clear()


def _caller(frame):
    """The user frame that called ``frame``, through any code given to ``look_through``; None where the user's
    code ends (at graphstep's own frames)."""
    frame = frame.f_back
    while frame is not None and _is_internal(frame.f_code.co_filename):
        if not frame.f_code.co_filename.startswith(_THROUGH):
            return None
        frame = frame.f_back
    return frame


def _user_frame():
    """The innermost frame that belongs to the user's code, not graphstep's or numpy's."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            return frame
        frame = frame.f_back
    return None


@functools.lru_cache(maxsize=64)
def _dtype_name(dtype: np.dtype) -> str:
    return str(dtype)


class Tracer:
    """Records nodes while a computation runs; ``Graph`` is built from it."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.leaf_values: dict[int, np.ndarray] = {}
        self.notes: list[str] = []
        self.scope = ""  # "layer1/attention" inside nested gs.scope blocks
        self._sources = _sources_here()  # (file, line) → "file.py:LINE", shared by the traces made in this cwd
        self.shape_set: dict[tuple, tuple] = {}  # each shape once: the nodes share it (6 MB at 100,000 nodes)
        # per node, the frames that made it, innermost first: (frame, line, lasti); see naming.finish_names
        self.sites: list[tuple[tuple[int, int, int], ...]] = []
        self.frame_files: list[str] = []  # per naming frame, its file
        self._naming_frames: dict[int, tuple[Any, int]] = {}  # id(frame) → (frame, naming frame); kept alive
        self._last_sites, self._last_stack = _NO_SITES, _NO_STACK  # the last node's frames, while they run
        self._places: dict[int, tuple] = {}  # the last node's innermost frame's bytecode offset → place there
        # user function calls: id → {"func", "file", "line" (def), "parent", "site" (calling line)}
        self.calls: list[dict[str, Any]] = []
        self.scope_spans: list[list] = []  # [scope path, first node, end node] per `with gs.scope(...)`
        self._frame_calls: dict[int, tuple[Any, int]] = {}  # id(frame) → (frame, call id); frames kept alive
        self.running = False  # inside the user's computation: only then are call stacks recorded
        self._unnamed: int | None = None  # the output, from the end of the trace until the nodes are named
        self._lines: dict[str, list[str]] = {}  # file → its source lines as traced, until then
        # per op node, the value computed while tracing, for the graph's first walk; None once past KEPT_BYTES
        self.values: dict[int, np.ndarray] | None = {}
        self.keep_room = KEPT_BYTES  # bytes of op values the trace may still keep

    def add(self, kind: str, value: np.ndarray, *, op: str | None = None, name: str | None = None,
            inputs: tuple[int, ...] = (), params: dict | None = None) -> int:
        frame, kinds = sys._getframe(1), _frame_kinds  # _kind_of's cache, read inline: ~3 frames a node are skipped
        while frame is not None and (kinds.get(frame.f_code.co_filename)
                                     or _kind_of(frame.f_code.co_filename)) == _SKIP:
            frame = frame.f_back
        if frame is not None and frame is self._last_sites[0]:  # the same function as the last node, its callers
            place = self._places.get(frame.f_lasti) or self._place_again(frame)  # standing still: the common case
        else:
            place = self._place(frame)
        sites, filename, line, source, func, call, stack = place
        nid = len(self.nodes)
        shape, dtype = value.shape, value.dtype
        self.nodes.append(Node(kind, op, name, self.shape_set.setdefault(shape, shape),
                               "float64" if dtype is _FLOAT64 else _dtype_name(dtype),
                               inputs, params or NO_PARAMS, filename, line, source, self.scope, func, call, stack))
        self.sites.append(sites)
        if kind != "op":
            self.leaf_values[nid] = value
        return nid

    def _place_again(self, frame) -> tuple:
        """``_place`` in the common case, ``frame`` being the last node's innermost naming frame, its callers
        standing still: their sites and stack are the last node's.  Kept by ``frame``'s bytecode offset, which
        then says all of it: a loop's next pass through the same op finds its place made."""
        last = self._last_sites
        line, lasti, user = frame.f_lineno, frame.f_lasti, last[3]
        sites, at = ((last[1], line, lasti), *last[2]), lasti
        if user is not frame:
            line, lasti = (user.f_lineno, user.f_lasti) if user is not None else (0, -1)
        place = self._places[at] = self._finish_place(sites, user, line, lasti, True)
        return place

    def _place(self, frame) -> tuple:
        """Where a node made from ``frame`` outwards stands: (sites, file, line, source, function, call, stack),
        the fields of its ``Node`` that say where, and the naming frames' sites (``_sites_of``)."""
        self._places = {}  # kept for the last node's innermost frame only (``_place_again``)
        sites, user, line, steady = self._sites_of(frame)
        return self._finish_place(sites, user, line, user.f_lasti if user is not None else -1, steady)

    def _finish_place(self, sites: tuple, user, line: int, lasti: int, steady: bool) -> tuple:
        """``_place`` from the sites on: the user frame's file, function and call stack, and the line's source."""
        if user is None:
            filename, func, stack = "<unknown>", "", ()
            line = 0
        else:
            code = user.f_code
            filename, func = code.co_filename, code.co_name
            last = self._last_stack  # _stack_at's common case, inline: the same user function as the last node
            stack = () if not self.running else (*last[1], (last[2], line, lasti)) \
                if steady and user is last[0] else self._stack_at(user, line, steady)
        # "file.py:LINE", one string per line (8 MB at 100,000 nodes), made once per line
        source = self._sources.get((filename, line)) or self._source(filename, line)
        return sites, filename, line, source, func, stack[-1][0] if stack else -1, stack

    def add_again(self, kind: str, value: np.ndarray, op: str | None, inputs: tuple[int, ...],
                  params: dict | None) -> int:
        """``add`` for a node made at the bytecode that made the last one (an op right after its arguments'
        constants: ``a * 2``): every frame stands where it stood, so it takes that node's sites, line and stack
        instead of reading them off the frames again (~15 % of recording ``a * 2``)."""
        nid, last = len(self.nodes), self.nodes[-1]
        shape, dtype = value.shape, value.dtype
        self.nodes.append(Node(kind, op, None, self.shape_set.setdefault(shape, shape),
                               "float64" if dtype is _FLOAT64 else _dtype_name(dtype),
                               inputs, params or NO_PARAMS, last.file, last.line, last.source,
                               self.scope, last.func, last.call, last.stack))
        self.sites.append(self.sites[-1])
        if kind != "op":
            self.leaf_values[nid] = value
        return nid

    def _sites_of(self, frame) -> tuple[tuple[tuple[int, int, int], ...], Any, int, bool]:
        """The naming frames that made a node, innermost first, the innermost frame of the user's code and its
        line, and whether that chain is steady (no generator in it, so it can be reused while its innermost frame
        runs).  A frame's line is read once per node: ``f_lineno`` scans the code's line table from its start.

        Naming frames are the user's and graphstep's library functions (``nn.cross_entropy``), up to
        ``graph.trace``; ``frame`` is the innermost of them or None (``add`` has skipped the tracer, the op table's
        entry points and NumPy, and taken the common case: the same function as the last node's).
        """
        first, chain, user, user_line, moving = frame, [], None, 0, 0
        while frame is not None:
            kind = _kind_of(frame.f_code.co_filename)
            if kind == _END:
                break
            if kind != _SKIP:
                known = self._naming_frames.get(id(frame))
                if known is None or known[0] is not frame:
                    known = self._naming_frames[id(frame)] = (frame, len(self.frame_files))
                    self.frame_files.append(frame.f_code.co_filename)
                chain.append((known[1], frame.f_lineno, frame.f_lasti))
                moving |= frame.f_code.co_flags & _RESUMABLE  # a generator may be resumed from elsewhere
                if user is None and kind == _USER:
                    user, user_line = frame, chain[-1][1]
            frame = frame.f_back
        while user is None and frame is not None:  # a leaf made by graphstep itself: the line that called it
            user = frame if not _is_internal(frame.f_code.co_filename) else None
            frame = frame.f_back
        if user is not None and not user_line:
            user_line = user.f_lineno
        steady = bool(chain) and not moving
        self._last_sites = (first, chain[0][0], tuple(chain[1:]), user) if steady else _NO_SITES
        return tuple(chain), user, user_line, steady

    def _stack_at(self, frame, line: int, steady: bool) -> tuple[tuple[int, int, int], ...]:
        """``_stack``, reusing the outer levels while the same user function runs (``frame`` is at ``line``)."""
        last = self._last_stack
        if steady and frame is last[0]:
            return (*last[1], (last[2], line, frame.f_lasti))
        stack = self._stack(frame)
        self._last_stack = (frame, stack[:-1], stack[-1][0]) if steady and stack else _NO_STACK
        return stack

    def _stack(self, frame) -> tuple[tuple[int, int, int], ...]:
        """Where each user frame stands, outermost first: (call id, line, bytecode offset).

        Grouping reads loop iterations and function calls from these; the frames
        are kept alive while tracing so that a frame id is never reused.
        """
        levels = []
        if frame is not None and _is_internal(frame.f_code.co_filename):
            frame = None
        while frame is not None:
            levels.append((self._call_of(frame), frame.f_lineno, frame.f_lasti))
            frame = _caller(frame)
        levels.reverse()
        return tuple(levels)

    def _call_of(self, frame) -> int:
        """The call id of a user frame, registering it (and unseen user frames around it) on first sight."""
        fresh, parent, caller = [], -1, None
        while frame is not None:
            known = self._frame_calls.get(id(frame))
            if known is not None and known[0] is frame:
                parent, caller = known[1], frame
                break
            fresh.append(frame)
            frame = _caller(frame)
        for f in reversed(fresh):  # outermost first, so a call's parent is registered before it
            code = f.f_code
            call = len(self.calls)
            self.calls.append({"func": code.co_name, "file": code.co_filename, "line": code.co_firstlineno,
                               "parent": parent, "site": caller.f_lineno if caller is not None else 0})
            self._frame_calls[id(f)] = (f, call)
            parent, caller = call, f
        return parent

    def _source(self, filename: str, line: int) -> str:
        """A node's ``source``, ``file.py:LINE`` with the path as the user types it (``display_path``), kept for
        the next node made on that line, in this trace and the next ones (``_sources_here``)."""
        source = self._sources[filename, line] = sys.intern(f"{display_path(filename)}:{line}")
        return source

    def depends_on_param(self, nid: int) -> bool:
        """Whether a param lies upstream of a node (asked only when a value is about to leave the graph)."""
        seen, todo = set(), [nid]
        while todo:
            n = todo.pop()
            if self.nodes[n].kind == "param":
                return True
            if n not in seen:
                seen.add(n)
                todo.extend(self.nodes[n].inputs)
        return False

    def source_of(self) -> str:
        frame = _user_frame()
        return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}" if frame else ""

    def finish_names(self, output: int) -> None:
        """End the trace: the frames go, and the nodes are named on first use (``named``), from the source lines
        as they are now.  Naming costs as much as a third of a trace, and a walk needs no names."""
        self._frame_calls, self._naming_frames = {}, {}  # the trace is over: let the frames go
        self._last_sites, self._last_stack, self._places = _NO_SITES, _NO_STACK, {}
        self._lines = {file: linecache.getlines(file) for file in set(self.frame_files)}
        self._unnamed = output

    def named(self) -> list[Node]:
        """The nodes, each named once the trace has ended (``naming.finish_names``): variables, returned values,
        then readable expressions.  While tracing, op nodes have no names yet."""
        if self._unnamed is not None:
            with _naming, paused_gc():  # a name per node, no cycles: nothing for the collector to find
                if self._unnamed is not None:
                    naming.finish_names(self.nodes, self.sites, self.frame_files, self.leaf_values, self._unnamed,
                                        self._lines)
                    self._unnamed, self.sites, self._lines = None, [], {}
        return self.nodes


_naming = threading.Lock()  # a view's thread and a worker may ask for names at once: one names, the other waits


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
    traced = True  # what naming asks of a value without importing this module

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
        return self.tracer.named()[self.node].name

    @property
    def label(self) -> str:
        """How an error names this tensor while tracing (op nodes are named when the trace ends): its op."""
        return self.tracer.nodes[self.node].label

    def __repr__(self) -> str:
        return f"Tensor(node={self.node}, shape={self.shape}, value={self.value!r})"

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __getattr__(self, attr: str):
        """Reached only for a missing attribute: say what graphstep's Tensor offers instead, on the user's line.

        The error is also an AttributeError, so ``hasattr(t, "foo")`` and ``getattr(t, "foo", None)`` work.
        """
        if attr.startswith("_") or attr in Tensor.__slots__:  # probes (__array_interface__, _repr_html_)
            raise AttributeError(attr)
        raise missing_attribute(self, attr)

    # ── values leave the graph only explicitly ──
    def item(self, *args) -> float:
        return self.value.item(*args)

    def tolist(self):
        return self.value.tolist()

    def __float__(self) -> float:
        _refuse_escape(self)
        return float(self.value)

    def __int__(self) -> int:
        _refuse_escape(self)
        return int(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)  # f"{loss:.4f}" prints the value, as for an ndarray

    def __bool__(self) -> bool:
        return bool(self.value)

    def __array__(self, dtype=None, copy=None):
        raise UnsupportedError(
            "a traced Tensor was turned into a plain NumPy array, which would drop it from the graph",
            source=self.tracer.source_of(), node=self.label,
            hint="use graphstep.numpy (gnp.*) or np.* functions on tensors; t.value is the raw array, "
                 ".item()/float() a number")

    # comparisons are not differentiable: they give plain values, so `if`/`while` work; a 0-d value is compared
    # as its NumPy scalar (``_compared``)
    def __lt__(self, other):
        return _compared(self.value) < _raw(other)

    def __le__(self, other):
        return _compared(self.value) <= _raw(other)

    def __gt__(self, other):
        return _compared(self.value) > _raw(other)

    def __ge__(self, other):
        return _compared(self.value) >= _raw(other)

    def __eq__(self, other):
        return _compared(self.value) == _raw(other)

    def __ne__(self, other):
        return _compared(self.value) != _raw(other)

    __hash__ = object.__hash__  # tensors stay usable as dict keys: identity, as before

    def __pos__(self): return self

    # ``z += 1`` changes the value every name bound to this tensor sees, as NumPy's in-place ops do
    def __iadd__(self, o): return self._rebind(apply("add", self, o))
    def __isub__(self, o): return self._rebind(apply("subtract", self, o))
    def __imul__(self, o): return self._rebind(apply("multiply", self, o))
    def __itruediv__(self, o): return self._rebind(apply("divide", self, o))
    def __ipow__(self, o): return self._rebind(apply("power", self, o))
    def __imatmul__(self, o): return self._rebind(apply("matmul", self, o))

    def _rebind(self, new: Tensor) -> Tensor:
        self.node, self.value = new.node, new.value
        return self
    def __getitem__(self, index): return apply("getitem", self, index=_raw_index(index))

    def __setitem__(self, index, value) -> None:
        """``x[i] = v`` records a new value (the ``setitem`` op) and rebinds this Tensor to it, as JAX's
        ``x = x.at[i].set(v)``; ``x[i] += v`` reads, adds and assigns, so a repeated index adds once, as in NumPy.

        Nothing is written in place.  Every name bound to this Tensor sees the new value, but a Tensor taken
        from the old one before (``row = x[0]``, ``xt = x.T``) keeps the old value, where a NumPy view would
        see the write.
        """
        new = apply("setitem", self, value, index=_raw_index(index))
        self.node, self.value = new.node, new.value

    # ── NumPy's own functions on tensors go through our table, or fail clearly ──
    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        name = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        if name in VALUE_ONLY:
            return VALUE_ONLY[name](*args, **kwargs)
        fn = NUMPY.get(name)
        extra = sorted(k for k in kwargs if k != "out")
        if fn is None or extra:
            raise _failed_call(_unsupported(f"numpy.{name}" + (f"(..., {extra[0]}=...)" if fn and extra else "")),
                               f"numpy.{name}", args)
        return fn(*args, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        name = _qualname(func)
        fn = VALUE_ONLY.get(name) or NUMPY.get(name)
        if fn is None:
            raise _failed_call(_unsupported(f"numpy.{name}"), f"numpy.{name}", args)
        return fn(*args, **kwargs)


_DUNDERS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow", "@": "matmul"}


_STORE_SUBSCR = dis.opmap["STORE_SUBSCR"]
_CALLS = frozenset(dis.opmap[name] for name in ("CALL", "PRECALL", "CALL_FUNCTION_EX", "CALL_KW", "CALL_FUNCTION",
                                                "CALL_METHOD") if name in dis.opmap)
# calls that take a tensor's number on purpose (or only test it): the value leaves the graph knowingly
_EXPLICIT = frozenset({"float", "int", "bool", "complex", "str", "repr", "print", "format", "round", "range",
                       "isfinite", "isnan", "isinf", "isclose", "floor", "ceil", "trunc", "len"})


def _refuse_escape(t: Tensor) -> None:
    """A tensor that Python turns into a plain number where the gradient would be lost without a word.

    ``buf[0] = loss`` (``buf`` a plain array) and ``math.exp(w)`` both reach ``__float__``, as ``float(w)`` does;
    the instruction that asked tells them apart: a subscript store, or a call to something other than
    ``float``/``int`` or a test such as ``math.isfinite``.  Only a value downstream of a param is refused.
    """
    frame = sys._getframe(2)
    code = frame.f_code.co_code[frame.f_lasti]
    if code == _STORE_SUBSCR:
        what, hint = ("was stored into a plain NumPy array", "build the array from tensors instead (np.stack([...]), "
                      "np.concatenate, np.where), or make the array a tensor first (buf = gs.input(np.zeros(3)); "
                      "buf[0] = t records the assignment)")
    elif code in _CALLS:
        callee = _callee_at(frame)
        if callee is None or callee.rpartition(".")[2] in _EXPLICIT:
            return
        what, hint = (f"was passed to {callee}(), which takes a plain number",
                      f"use NumPy's function on the tensor (np.{callee.rpartition('.')[2]}(t) where graphstep traces "
                      "it), or float(t) to take the value out of the graph on purpose")
    else:
        return
    if t.tracer.depends_on_param(t.node):
        raise UnsupportedError(f"a traced Tensor {what}: its gradient would be lost", source=t.tracer.source_of(),
                               node=t.label, hint=hint)


def _callee_at(frame) -> str | None:
    """The source text of the function a call instruction calls (``math.exp``), from the code's positions."""
    positions = getattr(frame.f_code, "co_positions", None)
    if positions is None:  # Python 3.10: no positions, no check
        return None
    try:
        line, end_line, col, end_col = list(positions())[frame.f_lasti // 2]
    except (IndexError, ValueError):
        return None
    if line is None or col is None:
        return None
    text = linecache.getline(frame.f_code.co_filename, line)[col:]  # a call's callee starts on its first line
    callee = text.split("(", 1)[0].strip()
    return callee or None


_qualname = qualname  # the name the rest of the tracer (and its tests) use



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


VALUE_ONLY: dict[str, Callable] = {name: _values(getattr(np, name)) for name in VALUE_UFUNCS + VALUE_FUNCTIONS}
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
    """``what`` (``numpy.linalg.det``) cannot be traced: the error names it and every other such call on the line."""
    return missing_functions(what, _user_frame())


def _raw(x):
    return x.value if isinstance(x, Tensor) else x


def _compared(value: np.ndarray):
    """A value as a comparison takes it: a 0-d array as its NumPy scalar, which gives the same ``np.bool_`` against
    a Python number ~15× faster than the array's ufunc call (``while a.norm() < 100`` compares once a pass)."""
    return value[()] if value.ndim == 0 else value


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _tracer_of(args) -> Tracer:
    for a in args:
        if isinstance(a, Tensor):
            return a.tracer
    return current_tracer("a graphstep op")


def _is_python_number(x) -> bool:
    """A Python int or float (not bool, not a NumPy scalar): "weak", it takes its dtype from the other operands."""
    return type(x) is float or type(x) is int


_FLOAT64 = np.dtype(np.float64)


def _weak_dtype(args) -> np.dtype:
    """The dtype a Python number takes beside ``args`` (NEP 50, as NumPy 2 and PyTorch): the others' floating dtype,
    so ``w * 2.0`` keeps a float32 ``w`` float32; float64 beside integers and booleans (``labels ** -1`` works)."""
    for a in args:  # the common case, float64 beside the number, without result_type's cost on every `a * 2`
        if type(a) is not float and type(a) is not int and (
                a.value.dtype if isinstance(a, Tensor) else np.asarray(a).dtype) is not _FLOAT64:
            return np.result_type(*[a.value.dtype if isinstance(a, Tensor) else np.asarray(a).dtype for a in args
                                    if type(a) is not float and type(a) is not int], 0.0)
    return _FLOAT64


def _const(tracer: Tracer, x, dtype=None) -> int:
    """A constant node; a Python number takes ``dtype`` (``_weak_dtype``), anything else its own dtype."""
    number = type(x) is float or type(x) is int  # _is_python_number, inline: one const in three nodes
    if number and (dtype is None or dtype is _FLOAT64):
        value = np.asarray(x, dtype=_FLOAT64)
    elif number:
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf, as NumPy gives it
            value = np.asarray(x, dtype=dtype)
    else:
        value = np.asarray(x)
    # an array from the user's code is called by their variable (X in `X @ W`); a number by its value
    name = naming.variable_of(_user_frame(), x) if isinstance(x, np.ndarray) and x.ndim else None
    return tracer.add("const", value, name=name)


def apply(opname: str, *args, **kw) -> Tensor:
    """Run one primitive eagerly and record it as a node."""
    op = OPS[opname]
    tracer = args[0].tracer if args and isinstance(args[0], Tensor) else _tracer_of(args)
    ids, vals, weak, again = [], [], None, False
    for a in args:
        if isinstance(a, Tensor):
            ids.append(a.node)
            vals.append(a.value)
        else:
            if weak is None and (type(a) is float or type(a) is int):
                weak = _weak_dtype(args)
            nid = _const(tracer, a, weak)
            ids.append(nid)
            vals.append(tracer.leaf_values[nid])
            again = True  # the op is recorded right after its constant, from the same frames
    try:
        raw = op.forward(*vals, **kw)  # trace() silences NaN warnings: the stepper shows them
    except (ValueError, IndexError, TypeError) as err:
        raise _failed(tracer, _shape_error(tracer, op, ids, vals, kw, err), opname, ids) from None
    out = np.asarray(raw)
    nid = tracer.add_again("op", out, opname, tuple(ids), kw) if again else \
        tracer.add("op", out, op=opname, inputs=tuple(ids), params=kw)
    kept = tracer.values
    if kept is not None:  # for the graph's first walk, up to KEPT_BYTES: as the walk's call gives it (a reduction's
        kept[nid] = raw  # NumPy scalar, not the Tensor's 0-d array), so that the two walks hold the same types
        tracer.keep_room -= out.nbytes
        if tracer.keep_room < 0:
            tracer.values = None
    if "index" in kw:  # x[np.arange(N), y]: each part as the learner reads it, while the user's frame is alive
        tracer.nodes[nid].index_text = naming.index_parts(kw["index"], _user_frame())
    return Tensor(nid, out, tracer)


def _failed(tracer: Tracer, err: GraphstepError, op: str, ids) -> GraphstepError:
    """Keep the call that failed as the trace's last node (``core.partial``): ``trace`` gives the error the graph
    recorded up to it, for the views to draw.  Called from this file only, so the node takes the user's line."""
    frame = _user_frame()
    name = err.node or (frame and assigned_name(frame.f_code.co_filename, frame.f_lineno)) or op
    nid = tracer.add(FAILED, _NO_VALUE, name=name, inputs=tuple(ids), params=failed_params(op, err, frame, len(ids)))
    del tracer.leaf_values[nid]  # never computed: a leaf of the walk without a value
    return err


_NO_VALUE = np.empty(())


def _failed_call(err: GraphstepError, op: str, args) -> GraphstepError:
    """A NumPy function that cannot be traced, kept as a failed node fed by the tensors and arrays it was given."""
    tensors = [a for a in args if isinstance(a, Tensor)] + [
        t for a in args if isinstance(a, (list, tuple)) for t in a if isinstance(t, Tensor)]
    if not tensors:
        return err
    tracer = tensors[0].tracer
    ids = [a.node if isinstance(a, Tensor) else _const(tracer, a) for a in args if isinstance(a, (Tensor, np.ndarray))]
    ids += [t.node for a in args if isinstance(a, (list, tuple)) for t in a if isinstance(t, Tensor)]
    return _failed(tracer, err, op, ids)


def _shape_error(tracer: Tracer, op, ids, vals, kw, err: Exception) -> ShapeError:
    shapes = [np.shape(v) for v in vals]
    try:
        op.shape(*shapes, **kw)
        reason = str(err)
    except (ValueError, IndexError, TypeError) as rule_err:
        reason = str(rule_err)
    # op nodes are named only when the trace ends: until then an operand is known by its op (``graph.trace``
    # names them once it has, ``ShapeError.name_operands``)
    operands = ", ".join(f"{tracer.nodes[i].label} {fmt_shape(s)}" for i, s in zip(ids, shapes, strict=True))
    frame = _user_frame()
    node = (frame and assigned_name(frame.f_code.co_filename, frame.f_lineno)) or op.name
    return ShapeError(f"{op.name} cannot combine {operands}: {reason}", source=tracer.source_of(), node=node,
                      operands=tuple((i, fmt_shape(s)) for i, s in zip(ids, shapes)))


# ───────────────────────────── leaves ─────────────────────────────


def _leaf(kind: str, value, name: str | None) -> Tensor:
    tracer = _active[-1] if _active else current_tracer(f"gs.{kind}()")
    array = np.array(value, copy=True)
    if array.dtype is _FLOAT64:  # the common case, past the checks below
        return Tensor(tracer.add(kind, array, name=name), array, tracer)
    if kind == "param" and array.dtype.kind == "c":
        raise GraphstepError(f"param {name or '?'} is complex ({array.dtype}): graphstep computes gradients of "
                             "real values only", source=tracer.source_of(),
                             hint="make a param of the real part and one of the imaginary part (z.real, z.imag)")
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
