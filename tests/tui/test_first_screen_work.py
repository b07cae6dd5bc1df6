"""Tests the first screen makes no pass over the whole graph or plan that it does not draw: at 100,000 nodes each
cost 0.1-0.3 s on the UI thread between the loaded file and its first frame (issue 12)."""

from __future__ import annotations

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


def test_the_first_screen_tallies_no_plan_for_its_bytes_held_and_contributions():
    session = session_at(SAMPLES / "mlp.py")
    st = session.stepper
    assert session.held_bytes() == 0
    assert all(session.contributions_to(n) == [] for n in range(len(st.graph)))
    assert st._tally is None  # step 0 holds nothing and has received nothing: no pass over the plan to say so
    for position in (1, st.total // 2, st.total):  # after a step, the stepper's own figures
        st.run_to(position)
        assert session.held_bytes() == st.held_bytes()
        assert all(session.contributions_to(n) == st.contributions_to(n) for n in range(len(st.graph)))
    assert any(session.contributions_to(n) for n in range(len(st.graph)))
    st.run_to(st.total // 2)
    assert session.held_bytes() > 0
