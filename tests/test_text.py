"""graphstep.text: how every layer writes a shape, an array, a byte count and a path."""

from __future__ import annotations

import os

import numpy as np

import graphstep.core.ops
from graphstep import text
from graphstep.text import array_text, display_path, fmt_array, fmt_shape, human_bytes, summarize


def test_shapes_read_as_learners_write_them():
    assert fmt_shape((4, 16)) == "(4×16)"
    assert fmt_shape((16,)) == "(16)"
    assert fmt_shape(()) == "()"


def test_the_op_table_writes_shapes_with_the_same_function():
    assert graphstep.core.ops.fmt_shape is text.fmt_shape


def test_summarize_shows_small_arrays_whole_and_large_ones_as_statistics():
    assert summarize(None) == "—"
    assert summarize(np.float64(2.5)) == "2.5"
    assert summarize(np.array([1.0, 2.0])) == "[1. 2.]"
    assert summarize(np.arange(6.0)) == "min 0 mean 2.5 max 5"
    assert summarize(np.array([np.nan, 1.0, np.inf, 2.0, 3.0])) == "nan/inf! min 1 max inf"
    assert summarize(np.full(5, np.nan)) == "nan/inf! all nan"


def test_array_text_shows_up_to_four_by_four_in_full():
    assert array_text(None) is None
    assert array_text(np.eye(2)) == "[1  0]\n[0  1]"
    assert array_text(np.array([0.5, 2.0])) == "[0.5  2]"
    assert array_text(np.zeros((8, 1))).startswith("min 0 mean 0")


def test_fmt_array_prints_as_numpy_within_a_line_budget():
    assert fmt_array(np.float64(1 / 3)) == "0.333333"
    assert fmt_array(np.array([1.0, 2.0])) == "[1. 2.]"
    lines = fmt_array(np.zeros((40, 40)), width=60, max_lines=5).splitlines()
    assert len(lines) == 5 and lines[-1] == " …"


def test_human_bytes():
    assert human_bytes(512) == "512 B"
    assert human_bytes(3277) == "3.2 KB"
    assert human_bytes(5 * 1024**2) == "5.0 MB"
    assert human_bytes(3 * 1024**4) == "3072.0 GB"


def test_paths_are_shown_relative_to_the_working_directory_when_inside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert display_path(str(tmp_path / "a" / "b.py")) == os.path.join("a", "b.py")
    outside = str(tmp_path.parent / "elsewhere.py")
    assert display_path(outside) == outside
    detour = str(tmp_path.parent / "x" / ".." / "elsewhere.py")  # gs.load("../samples/mlp.py") from a folder
    assert display_path(detour) == outside
