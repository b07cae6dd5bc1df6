"""Provides ``paused_gc``: build a large structure without the cyclic garbage collector walking the heap meanwhile.

Grouping, folding, laying out or drawing a 100,000-node graph allocates a million
small objects (tuples, lists, records) and leaves no cycles behind; each burst of
allocations sets off collections that walk every object alive, the graph among
them, and find nothing: 40 % of grouping's time at 100,000 nodes.  Reference
counting still frees everything as usual, and a pass started with the collector
off (an outer pass, or an app that froze its heap) leaves it off.  The ``graphstep``
program goes further (``hold_heap``): what such a block built is frozen out of the
collector's sight for good.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_held = False  # the process keeps what it builds till it exits: see hold_heap
_owned = False  # the process is the graphstep program, its heap its own to freeze: see own_heap


def own_heap() -> None:
    """Say that this process is the ``graphstep`` program (its TUI, ``run``, ``export``): its heap is its own to
    freeze, as the TUI does with what a load builds (``holding``).  A library or test process never says so: a
    freeze there keeps its garbage cycles until exit, and a collection of everything it froze is a full one of
    the process, on every reload of a file (~0.4 s in a test worker)."""
    global _owned
    _owned = True


def owns_heap() -> bool:
    """This process is the ``graphstep`` program (``own_heap``)."""
    return _owned


def hold_heap() -> None:
    """Say that this process keeps what it builds until it exits (the ``graphstep`` program: one file, one graph):
    from now on what an outermost paused block built is frozen as the block ends (``gc.freeze``).

    Pausing alone only defers the cost: the collector counts allocations while off, and the first one after the
    block collects the young generation it left, a million objects after a 100,000-node trace (0.2 s), which
    then move to the older generations and are walked again by their collections (0.5 s and 0.4 s in
    ``graphstep run``).  Frozen, they are never walked; reference counting still frees them.  Not for a library
    or a test process: garbage cycles alive at a freeze would stay until exit.
    """
    global _held
    own_heap()
    _held = True


def keep(*objects: object) -> None:
    """In a process that holds its heap (``hold_heap``), keep ``objects`` until it exits, never freed: freeing a
    100,000-node graph, its walk and its picture as the command returns took 0.1 s, just before an exit that frees
    nothing.  A reference cycle holds them, frozen at once: no collection looks at it, and the interpreter's exit
    frees only what a collection finds.  Elsewhere (a library, a test) nothing happens."""
    if _held:
        cycle: list = [objects]
        cycle.append(cycle)
        gc.freeze()


@contextmanager
def holding() -> Iterator[None]:
    """``hold_heap`` for the block only, in the ``graphstep`` program (``own_heap``; elsewhere nothing): the TUI
    loading a file, after which the app freezes its heap itself and lets its collector run again on what a
    session makes (each key's cycles)."""
    global _held
    before, _held = _held, _owned
    try:
        yield
    finally:
        _held = before


@contextmanager
def paused_gc() -> Iterator[None]:
    """Switch the cyclic collector off for the block, and back on after it if it was on (having frozen what the
    block built, in a process that holds its heap: ``hold_heap``)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if _held:
                gc.freeze()
            gc.enable()
