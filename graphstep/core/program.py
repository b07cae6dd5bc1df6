"""Provides ``Program``, what a walk over a graph executes, compiled once per graph and shared by all its steppers:
per op node the forward call, per backward node the VJP calls it makes, and the plans of both modes; and
``Buffers``, the arrays big values and gradients are written into, kept from one stepper to the next.

Why buffers: glibc hands a freed block of more than ~128 KiB back to the OS, and a fresh one costs a page fault
per 4 KiB on its first write (~2 µs each).  A stepper holds every value and gradient until it is dropped, so each
new walk of a big graph would fault its megabytes in again, where hand-written NumPy reuses the blocks it just
freed.  A buffer is reused only when nothing but the pool holds it (no stepper alive, no record, no view a user
kept), as its reference count says; otherwise a new one is made.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .heap import holding, paused_gc
from .records import BACKWARD, FORWARD, SEED

if TYPE_CHECKING:
    from .graph import Graph
    from .ops import Op

class cached:  # noqa: N801 - a decorator, named as functools.cached_property is
    """``functools.cached_property`` without the lock Python 3.11 takes on every first read (one lock for all the
    instances of a class; Python 3.12 dropped it): ~2 µs a read, and a fresh graph's first walk makes eight.  Two
    threads reading at once may both compute the value (the same one, as 3.12's would); the last one is kept."""

    def __init__(self, func: Callable) -> None:
        self.func, self.__doc__ = func, func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)  # read from there from now on: no __set__
        return value


BUFFERED_BYTES = 1 << 16  # values and gradients from 64 KiB up are written into kept buffers
_FLOAT64 = np.dtype(np.float64)  # the only dtype buffered: see _buffered


class Buffers:
    """Arrays kept across the walks of one graph, by key: ``("value", node)``, ``("grad", node, input)``."""

    def __init__(self) -> None:
        self._kept: dict[tuple, np.ndarray] = {}

    def take(self, key: tuple, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The array kept under ``key`` if nothing else holds it any more, else a new one kept in its place."""
        kept = self._kept.get(key)
        # held here, by _kept and by getrefcount's argument: no stepper, record or view of it is left
        if kept is not None and sys.getrefcount(kept) == 3 and kept.shape == shape and kept.dtype == dtype:
            kept.setflags(write=True)  # Stepper.grad handed it out read-only
            return kept
        kept = self._kept[key] = np.empty(shape, dtype)
        return kept


class Into:
    """A forward or VJP call whose result is written into a kept buffer: ``out=`` for a NumPy ufunc, ``into=``
    for a function marked ``writes_into`` (``ops.table``).  The operands must have the shapes they were traced
    with (a ufunc would broadcast into a larger ``out`` without a word); otherwise the call makes a new array."""

    __slots__ = ("call", "buffers", "key", "shape", "dtype", "operands", "keyword")

    def __init__(self, call: Callable, buffers: Buffers, key: tuple, shape: tuple[int, ...], dtype: np.dtype,
                 operands: tuple[tuple[int, ...], ...]) -> None:
        self.call, self.buffers, self.key, self.shape, self.dtype = call, buffers, key, shape, dtype
        self.operands = operands  # the traced shapes of the arguments, in call order
        self.keyword = "out" if isinstance(call, np.ufunc) else "into"

    def __call__(self, *args, **kw):
        if any(getattr(a, "shape", None) != s for a, s in zip(args, self.operands, strict=True)):
            return self.call(*args, **kw)
        kw[self.keyword] = self.buffers.take(self.key, self.shape, self.dtype)
        return self.call(*args, **kw)


def writes_into(call: Callable, kw: dict | None, n_inputs: int) -> bool:
    """Whether ``call`` can write its result into a given array: a ufunc with its plain operands, or a function
    marked ``writes_into``."""
    if isinstance(call, np.ufunc):
        return call.nout == 1 and call.nin == n_inputs and not kw
    return getattr(call, "into", False)


class Program:
    """What a walk executes: ``forward`` (node, call, input ids, params or None) per op node in order;
    ``backward`` (node, input ids, sends, whole) per backward node in order, each send (input position, input
    id, VJP call, params or None, the gradient's shape or None) for an input that needs a gradient, ``whole``
    a join's call giving every input's gradient at once (then the sends' calls are not made) or None; ``ops``
    and ``vjps`` as ``Graph.program`` and ``Graph.vjp_program``; ``plans``.  No params is None, not ``{}``: a
    call without ``**{}`` is the cheaper one, once per node.

    ``params`` (node id → keyword params) replaces an op's traced params, for per-sample re-runs.  ``traced``
    says that every value will have the shape it was traced with (no values or params replaced): the calls are
    then fitted to those shapes (a rule's ``fit``, see ``ops.table``), the gradients' shapes known in advance,
    and big results written into ``buffers`` kept with the graph.  Fitting pays for itself within one walk.
    """

    def __init__(self, graph: Graph, params: dict | None = None, *, traced: bool = False) -> None:
        self.ops: list[tuple[Op | None, tuple[int, ...], dict]] = graph.program
        self.vjps: dict[int, tuple] = graph.vjp_program
        if params:
            self.ops = [(op, ins, params.get(nid, kw)) for nid, (op, ins, kw) in enumerate(self.ops)]
            self.vjps = {nid: tuple((k, i, rule, {**kw, **params.get(nid, {})}) for k, i, rule, kw in sends)
                         for nid, sends in self.vjps.items()}
        self.buffers = Buffers()
        out_dtype = graph.dtype_of(graph.output)  # G's: float32 stays float32; float64 without result_type's µs
        self.seed_dtype = _FLOAT64 if out_dtype == "float64" else np.result_type(out_dtype, 0.0)
        shapes = graph.shapes if traced else None
        buffers = self.buffers if traced and _buffered(graph) else None
        self._forward_from = (graph.op_nodes, shapes, buffers)  # compiled when first read (``forward``), and
        self._backward_from = (graph.backward_nodes, shapes, buffers)  # again after ``release``
        self.plans = {"forward": [(FORWARD, nid) for nid in graph.op_nodes]}
        self.plans["reverse"] = self.plans["forward"] + [(SEED, graph.output)] + [
            (BACKWARD, nid) for nid in graph.backward_nodes]

    @cached
    def forward(self) -> list[tuple]:
        """Per op node (node, call, input ids, params or None); with ``buffers``, a big float64 result is written
        into a kept buffer (``Into``)."""
        nodes, shapes, buffers = self._forward_from
        ops = self.ops
        with building(len(nodes)):  # as ``backward``
            forward = [(nid, ops[nid][0].forward, ops[nid][1], ops[nid][2] or None) for nid in nodes]
        if buffers is not None:
            for j, (nid, call, inputs, kw) in enumerate(forward):
                if _big(shapes[nid]) and writes_into(call, kw, len(inputs)):
                    into = Into(call, buffers, ("value", nid), shapes[nid], _FLOAT64, tuple(shapes[i] for i in inputs))
                    forward[j] = (nid, into, inputs, kw)
        return forward

    def prepare(self) -> None:
        """Compile the halves not compiled yet in a background thread, ``forward`` first: a view that opened
        without them (at step 0) calls this once its first screen is up, so that the user's first step and first
        run to the end find them ready.  What it compiles lives with the graph, frozen like the rest of the app's
        settled heap (``heap.holding``): left to the collector, the walk to the end would spend 0.3 s collecting
        it."""
        halves = [half for half in ("forward", "backward") if not self.compiled(half)]
        if halves:
            threading.Thread(target=self._compile, args=(halves,), name="graphstep-compile", daemon=True).start()

    def compiled(self, half: str) -> bool:
        """Whether ``half`` ("forward" or "backward") has been compiled (read once: ``cached`` keeps it)."""
        return half in self.__dict__

    def release(self) -> None:
        """Drop both compiled halves (compiled again when a walk next reads them): ``graphstep export`` walks once
        and then draws, and its picture needs none of the 30 MB they take at 100,000 nodes."""
        self.__dict__.pop("forward", None)
        self.__dict__.pop("backward", None)

    def _compile(self, halves: list[str]) -> None:
        with holding():
            for half in halves:
                getattr(self, half)  # a cached property: compiled here, read by the walk

    @cached
    def backward(self) -> list[tuple]:
        """Per backward node (node, input ids, sends, whole), compiled when the walk first reaches backward: a
        view opening on a 100,000-node graph is at step 0 (0.2 s).  With the traced shapes, each rule is fitted
        to them (its ``fit``, see ``ops.table``), the gradient's shape is known in advance, and with buffers a big
        gradient is written into a kept buffer (``Into``)."""
        nodes = self._backward_from[0]
        with building(len(nodes)):  # hundreds of thousands of tuples that live with the graph, no cycles
            return self._compile_backward()

    def _compile_backward(self) -> list[tuple]:
        nodes, shapes, buffers = self._backward_from
        ops, sends_of = self.ops, self._sends_of()
        if shapes is None:
            return [_unfitted(nid, ops[nid], sends_of(nid)) for nid in nodes]
        backward = []
        fits: dict[tuple, Callable] = {}  # (rule, traced shapes) → the fitted rule: a deep chain has few of them
        for nid in nodes:
            op, inputs, kw = ops[nid]
            operands = (shapes[nid], shapes[nid], *map(shapes.__getitem__, inputs))  # G, value, inputs
            sends = []
            for k, i, rule, skw in sends_of(nid):
                if not skw:
                    key = (rule, operands)
                    fitted = fits.get(key)
                    rule = fitted if fitted is not None else fits.setdefault(key, _fit(rule, operands))
                if buffers is not None and _big(shapes[i]) and writes_into(rule, skw or None, len(inputs)):
                    rule = Into(rule, buffers, ("grad", nid, k), shapes[i], _FLOAT64, operands)
                sends.append((k, i, rule, skw or None, shapes[i]))
            backward.append((nid, inputs, tuple(sends), _whole(op, inputs, kw)))
        return backward

    def unfitted(self, start: int, stop: int) -> list[tuple]:
        """Backward steps ``start + 1`` … ``stop`` as ``backward`` lists them, but made now and not kept, from the
        graph's sends as they are (no rule fitted to the traced shapes, no buffer): a graph's first walk, which
        takes its forward values from the trace (``Stepper``), walks this way, and only a second walk compiles
        ``backward``.  W4 walks each graph it traces once: compiling cost more than the walk (~10 % of a call).
        The gradients are the same, bit for bit (``tests/core/test_program.py``)."""
        ops, sends_of = self.ops, self._sends_of()
        return [_unfitted(nid, ops[nid], sends_of(nid)) for nid in self._backward_from[0][start:stop]]

    def _sends_of(self) -> Callable[[int], tuple]:
        """A backward node's sends (input position, input id, rule, params) as the graph gives them, read without
        keeping them (``VjpProgram.walked``): what a walk uses is what it compiles or makes from them."""
        return self.vjps.__getitem__ if isinstance(self.vjps, dict) else self.vjps.walked


def _unfitted(nid: int, entry: tuple, sends: tuple) -> tuple:
    """A backward step (node, input ids, sends, whole) with the sends' rules and params as they are."""
    op, inputs, kw = entry
    return nid, inputs, tuple([(k, i, rule, skw or None, None) for k, i, rule, skw in sends]), _whole(op, inputs, kw)


PAUSED_FROM = 1000  # nodes: building a smaller walk makes too few tuples for the collector's passes to matter


def building(nodes: int) -> contextlib.AbstractContextManager:
    """``paused_gc()`` while building the walk of ``nodes`` nodes; nothing for a small one, where pausing and
    resuming the collector would cost more than the passes it saves (a few µs of a fresh graph's first walk)."""
    return paused_gc() if nodes >= PAUSED_FROM else _NOTHING


_NOTHING = contextlib.nullcontext()


def _fit(rule: Callable, operands: tuple) -> Callable:
    """A rule fitted to the traced shapes of (G, value, inputs) by its ``fit`` (``ops.table``), else itself."""
    fit = getattr(rule, "fit", None)
    return (fit(*operands[1:]) or rule) if fit is not None else rule


def _buffered(graph: Graph) -> bool:
    """Whether a graph's big values and gradients get kept buffers: only where one is big, and never in a graph
    of mixed dtypes (a gradient may be cast after its rule there)."""
    biggest = max(map(math.prod, graph.distinct_shapes), default=0)
    return biggest * 8 >= BUFFERED_BYTES and not graph.mixed_dtypes


def _whole(op: Op | None, inputs: tuple[int, ...], kw: dict) -> Callable | None:
    """A join's VJP for all its inputs in one call (``Op.vjp_all``), or None: each input has its own."""
    if op is None or op.vjp_all is None:
        return None
    return functools.partial(op.vjp_all, **kw) if kw else op.vjp_all


def _big(shape: tuple[int, ...]) -> bool:
    """Whether a float64 array of ``shape`` is big enough to keep a buffer for."""
    return math.prod(shape) * 8 >= BUFFERED_BYTES
