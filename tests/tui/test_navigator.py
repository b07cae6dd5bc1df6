"""Tests the TUI's navigator headless: the selection follows the walk, moves with ↑ ↓ tab, ] [ and o, and
survives a reload by name — with no terminal, over a traced sample's session."""

from __future__ import annotations

from support import SAMPLES, session_at

from graphstep.analysis.search import find_nodes
from graphstep.tui.navigator import Navigator


def navigator(sample: str, position: int = 0) -> Navigator:
    """A navigator over ``samples/<sample>`` traced and stepped ``position`` times, as the app starts one."""
    nav = Navigator(session_at(SAMPLES / sample, position))
    nav.refresh()
    return nav


def step(nav: Navigator, times: int = 1) -> None:
    """``n`` pressed ``times`` times: the stepper moves, then the app refreshes its navigator."""
    for _ in range(times):
        nav.session.stepper.step()
        nav.refresh()


def test_before_the_first_step_the_top_item_is_selected_and_the_walk_followed():
    nav = navigator("mlp.py")
    assert nav.follow and nav.session.stepper.current is None
    assert nav.selected == nav.order[0]


def test_the_selection_follows_the_current_node_with_every_step():
    nav = navigator("mlp.py")
    for _ in range(nav.session.stepper.total - 1):
        step(nav)
        assert nav.follow and nav.selected == nav.session.stepper.current


def test_a_pick_pins_the_selection_while_stepping_and_esc_follows_again():
    nav = navigator("mlp.py", position=2)
    w2 = nav.session.graph.id("W2")
    nav.pick(w2)
    assert nav.selected == w2 and not nav.follow
    step(nav, 3)
    assert nav.selected == w2 and not nav.follow
    nav.follow_current()
    assert nav.follow and nav.selected == nav.session.stepper.current


def test_picking_the_current_node_follows_it():
    nav = navigator("mlp.py", position=3)
    nav.pick(nav.session.graph.id("W2"))
    nav.pick(nav.session.stepper.current)
    assert nav.follow


def test_up_down_and_tab_walk_the_drawn_items_top_to_bottom_and_wrap():
    nav = navigator("mlp.py")
    order = nav.order
    assert set(order) == set(nav.drawing.layout.boxes)
    ys = [nav.drawing.layout.boxes[n].y for n in order]
    assert ys == sorted(ys)
    nav.select_by(1)
    assert nav.selected == order[1] and not nav.follow
    nav.select_by(-1)
    nav.select_by(-1)
    assert nav.selected == order[-1]  # up from the top wraps to the bottom
    nav.select_by(1)
    assert nav.selected == order[0]


def test_a_reload_keeps_the_selection_by_name_and_follows_when_the_name_is_gone():
    nav = navigator("mlp.py", position=4)
    nav.pick(nav.session.graph.id("b1"))
    keep = nav.selected_name()
    assert keep == "b1"
    session = nav.session
    session.adopt(session.tracer()())  # a new run of the file: new graph, new ids
    nav.reloaded(keep)
    assert nav.selected == session.graph.id("b1") and not nav.follow
    assert nav.drawing is session.drawing(nav.anchor, following=False)
    nav.reloaded("no such node")
    assert nav.follow and nav.selected == session.stepper.current


def test_search_matches_go_forward_and_back_with_wrapping_and_say_which_match():
    nav = navigator("mlp.py")
    assert not nav.jump(1)  # no search yet: ] has nowhere to go
    matches = find_nodes(nav.session.graph, "op:matmul")
    assert len(matches) >= 2
    nav.use_matches("op:matmul", matches)
    assert nav.selected == matches[0] and nav.match_note() == f"match 1/{len(matches)} “op:matmul”"
    for k in range(1, len(matches)):
        assert nav.jump(1) and nav.selected == matches[k]
    nav.jump(1)
    assert nav.selected == matches[0]  # wraps around
    nav.jump(-1)
    assert nav.selected == matches[-1] and nav.match_note().startswith(f"match {len(matches)}/")
    nav.pick(nav.session.graph.id("X"))
    assert nav.match_note() == ""  # not on a match: no note


def test_following_draws_around_the_current_node():
    nav = navigator("deep_mlp.py")
    step(nav, 5)
    current = nav.session.stepper.current
    assert nav.anchor == current
    assert nav.drawing is nav.session.drawing(current, following=True)


def test_a_node_folded_away_opens_where_it_is_when_picked():
    nav = navigator("myfunc.py")
    hidden = next(n for n in nav.session.graph.order if nav.drawing.item_of(n) != n)
    nav.pick(hidden)
    assert nav.selected == hidden and hidden in nav.order and nav.anchor == hidden


def test_o_on_a_block_opens_it_at_its_first_member_and_elsewhere_does_nothing():
    nav = navigator("myfunc.py")
    (block_id,) = nav.drawing.view.blocks
    first = nav.drawing.block(block_id).nodes[0]
    nav.pick(block_id)
    assert nav.selected == block_id and nav.selected_node() == first  # a block stands for its first node
    assert nav.open()
    assert nav.selected == first and first in nav.order and not nav.follow
    assert not nav.open()  # a node is no block


def test_folding_off_and_on_keeps_a_picked_node_in_the_open():
    nav = navigator("myfunc.py")
    hidden = next(n for n in nav.session.graph.order if nav.drawing.item_of(n) != n)
    nav.pick(hidden)
    nav.toggle_view("folded")
    assert not nav.session.folded and all(nav.drawing.item_of(n) == n for n in nav.session.graph.order)
    nav.toggle_view("folded")
    assert nav.session.folded and nav.selected == hidden and hidden in nav.order
