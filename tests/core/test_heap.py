"""Tests ``paused_gc``: the collector is off inside, and back as it was after, errors included."""

from __future__ import annotations

import gc

import pytest

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
