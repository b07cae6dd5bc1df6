"""Tests values in the pictures (issue 14, part 3): a small matrix is written out entry by entry on the heat colours
the TUI uses (``render.heat``), the 12×3 gradient of a softmax classifier as its 36 numbers, NaN marked; a larger
one keeps its min/mean/max."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from support import REPO

import graphstep as gs
from graphstep import nn
from graphstep.render import style as S
from graphstep.render.dot import to_dot
from graphstep.render.engines import render
from graphstep.render.heat import LEVELS


def classifier() -> gs.Stepper:
    """A softmax classifier of 12 samples and 3 classes, walked to the end: its logits' gradient is 12×3."""
    def softmax_classifier():
        rng = np.random.default_rng(0)
        X = gs.input(rng.standard_normal((12, 4)), name="X")
        W = gs.param(rng.standard_normal((4, 3)), name="W")
        logits = X @ W
        return nn.cross_entropy(logits, np.arange(12) % 3)

    return gs.Stepper(gs.trace(softmax_classifier)).run()


def cells(dot: str, node: str) -> list[tuple[str, str]]:
    """(background, text) of every heat cell in the label of DOT node ``node``."""
    label = re.search(rf"^\s*{node} \[label=<(.*)$", dot, flags=re.M).group(1)
    return [(bg, html.unescape(text)) for bg, text in
            re.findall(r'<TD BGCOLOR="(#[0-9a-f]{6})" ALIGN="RIGHT"><FONT [^>]*>([^<]*)</FONT></TD>', label)]


def node_of(st: gs.Stepper, name: str) -> str:
    return f"n{st.graph.id(name)}"


def test_the_12x3_gradient_of_a_softmax_classifier_is_written_out_in_full():
    st = classifier()
    g = st.grad("logits")
    assert g.shape == (12, 3)
    dot = to_dot(st)
    shown = cells(dot, node_of(st, "logits"))
    value, grad = shown[:36], shown[36:]
    assert [text for _, text in grad] == [f"{x:.3g}" for x in g.ravel()]
    assert [text for _, text in value] == [f"{x:.3g}" for x in st.value("logits").ravel()]
    assert "min " not in re.search(rf"^\s*{node_of(st, 'logits')} \[.*$", dot, flags=re.M).group(0)


def test_the_entries_are_coloured_diverging_around_zero_as_the_tui_colours_them():
    st = classifier()
    g = st.grad("logits").ravel()
    colours = [bg for bg, _ in cells(to_dot(st), node_of(st, "logits"))[36:]]
    k = int(np.argmax(np.abs(g)))  # the largest magnitude: the darkest level of its side
    assert colours[k] == S.heat_colours(f"{'pos' if g[k] > 0 else 'neg'}{LEVELS}")[0]
    negative, positive = {colours[k] for k in np.flatnonzero(g < 0)}, {colours[k] for k in np.flatnonzero(g > 0)}
    assert negative and positive and negative.isdisjoint(positive)


def test_a_nan_is_marked_in_the_picture():
    st = gs.Stepper(gs.trace(gs.load(str(REPO / "samples" / "nan.py")))).run()
    shown = cells(to_dot(st), node_of(st, "y"))
    assert ("nan" in [text for _, text in shown]) and (S.heat_colours("nan")[0], "nan") in shown


def test_a_matrix_too_large_to_write_out_keeps_its_summary():
    st = gs.Stepper(gs.trace(gs.load(str(REPO / "samples" / "mlp.py")))).run()
    dot = to_dot(st)
    w1 = re.search(rf"^\s*{node_of(st, 'W1')} \[.*$", dot, flags=re.M).group(0)  # (4×16): wider than 12
    assert "min -1.1 mean 0.0842 max 1" in w1 and not cells(dot, node_of(st, "W1"))
    assert len(cells(dot, node_of(st, "X"))) == 32  # (8×4) in full


def test_the_svg_holds_every_entry():
    st = classifier()
    try:
        svg = render(to_dot(st), "svg").decode("utf-8")
    except gs.GraphstepError as err:  # no Graphviz here: the DOT tests above still ran
        pytest.skip(err.message)
    texts = {html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    assert {f"{x:.3g}" for x in st.grad("logits").ravel()} <= texts
