"""Tests the first screen makes no pass over the whole graph or plan that it does not draw: at 100,000 nodes each
cost 0.1-0.3 s on the UI thread between the loaded file and its first frame (issue 12)."""

from __future__ import annotations

import threading

from support import SAMPLES, session_at


def test_the_opening_view_is_laid_out_without_every_nodes_consumers():
    session = session_at(SAMPLES / "myfunc.py")  # scalar constants (a * 2) written into their ops
    drawing = session.drawing(session.stepper.current)
    assert drawing.layout.boxes
    assert "consumers" not in session.graph.__dict__  # layout_view asked the view, not the graph


def test_contributions_before_any_arrived_need_no_index_of_the_plan():
    st = session_at(SAMPLES / "mlp.py").stepper
    assert all(st.contributions_to(n) == [] for n in range(len(st.graph)))
    assert "arrival_steps" not in st._tallied().__dict__  # found when a node has received something
    st.run()
    received = [n for n in range(len(st.graph)) if st.contributions_to(n)]
    assert received and set(received) == set(st.arrivals())


def test_step_0_says_nothing_held_and_nothing_arrived_without_tallying_the_plan():
    st = session_at(SAMPLES / "mlp.py").stepper
    assert st.held_bytes() == 0 and st.held_by_node() == {}
    assert all(st.contributions_to(n) == [] for n in range(len(st.graph)))
    assert st._tally is None  # step 0 holds nothing and has received nothing: no pass over the plan to say so
    tally = st._tallied()  # and the tally, made, says the same
    assert tally.held == 0 and tally.arrivals == {} and tally.holds == {}
    st.run_to(st.total // 2)
    assert st.held_bytes() > 0 and st.held_by_node()
    st.run_to(0)  # back at step 0, with a tally: the same answers
    assert st.held_bytes() == 0 and st.held_by_node() == {}


def test_prepare_makes_the_tally_and_the_walk_a_first_step_needs():
    st = session_at(SAMPLES / "mlp.py").stepper
    st.prepare()
    assert st._tally is not None and st._tally.position == 0
    for thread in [t for t in threading.enumerate() if t.name == "graphstep-compile"]:
        thread.join()
    assert {"forward", "backward"} <= st.graph.walk.__dict__.keys()
