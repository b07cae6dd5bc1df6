"""Tests ``paused_gc``: the collector is off inside, and back as it was after, errors included; in a process that
holds its heap (``hold_heap``), what an outermost block built is frozen."""

from __future__ import annotations

import gc

import pytest

from graphstep.core import heap
from graphstep.core.heap import paused_gc


def test_the_collector_is_off_inside_and_on_again_after():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # a pass inside a pass leaves it off for the outer one
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_turns_it_back_on():
    with pytest.raises(ValueError), paused_gc():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_held_heap_freezes_what_an_outermost_block_built(monkeypatch):
    monkeypatch.setattr(heap, "_held", True)  # as the graphstep program says (hold_heap), for this test only
    before = gc.get_freeze_count()
    try:
        with paused_gc():
            built = [[k] for k in range(1000)]
            with paused_gc():  # an inner block leaves the freezing to the outer one
                pass
            assert gc.get_freeze_count() <= before
        assert gc.get_freeze_count() >= before + len(built)  # out of the collector's sight
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_library_process_freezes_nothing():
    before = gc.get_freeze_count()
    with paused_gc():
        [[k] for k in range(100)]
    assert gc.get_freeze_count() <= before  # (the suite freezes what each test leaves)


def test_holding_holds_for_the_block_only(monkeypatch):
    monkeypatch.setattr(heap, "_owned", True)  # as the graphstep program says (own_heap), for this test only
    before = gc.get_freeze_count()
    try:
        with heap.holding(), paused_gc():
            built = [[k] for k in range(1000)]
        assert gc.get_freeze_count() >= before + len(built)
    finally:
        gc.unfreeze()
    with paused_gc():
        [[k] for k in range(100)]
    assert gc.get_freeze_count() == 0 and not heap._held


def test_holding_in_a_process_that_does_not_own_its_heap_freezes_nothing():
    assert not heap.owns_heap()  # a test worker, as a library's process
    before = gc.get_freeze_count()
    with heap.holding(), paused_gc():
        [[k] for k in range(1000)]
    assert gc.get_freeze_count() <= before


def test_keep_holds_objects_till_exit_in_a_held_heap_only(monkeypatch):
    import weakref

    class Kept:
        pass

    kept, dropped = Kept(), Kept()
    alive = weakref.ref(kept)
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the cycle stays visible: this process goes on
    monkeypatch.setattr(heap, "_owned", True)  # as the graphstep program says (own_heap)
    with heap.holding():
        heap.keep(kept)
    heap.keep(dropped)  # not held: nothing happens
    gone = weakref.ref(dropped)
    del kept, dropped
    assert alive() is not None and gone() is None  # a cycle holds the kept one (until a collection, here)
