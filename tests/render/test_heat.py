"""Tests the heat colouring every view shares (``render.heat``): classes diverging around 0, NaN and ±inf marked,
large arrays reduced to tiles, the histogram under a map, and a node's metric as levels by decades."""

from __future__ import annotations

import numpy as np
import pytest
from support import sample

import graphstep as gs
from graphstep.render.heat import (
    CLASSES,
    LEVELS,
    Measures,
    as_matrix,
    heat_class,
    heat_grid,
    histogram,
    level_floor,
    metric_level,
    metric_of,
    short_number,
    sparkline,
    tile_means,
)


def test_classes_diverge_around_zero_and_darken_with_the_magnitude():
    assert [heat_class(x, 1.0) for x in (-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0)] == \
        ["neg4", "neg2", "neg1", "zero", "pos1", "pos2", "pos4"]


@pytest.mark.parametrize("x", [0.001, 0.2, 0.26, 0.5, 0.74, 0.99, 1.0])
def test_a_value_and_its_negative_are_the_same_level_on_either_side(x):
    assert heat_class(-x, 1.0) == heat_class(x, 1.0).replace("pos", "neg")


def test_nan_and_infinities_are_marked_not_coloured_as_numbers():
    assert (heat_class(np.nan, 1.0), heat_class(np.inf, 1.0), heat_class(-np.inf, 1.0)) == ("nan", "posinf", "neginf")
    grid = heat_grid(np.array([[np.nan, np.inf, -np.inf, 2.0]]), 12, 12)
    assert grid.classes == [["nan", "posinf", "neginf", "pos4"]]
    assert grid.texts == [["nan", "inf", "-inf", "2"]]
    assert grid.scale == 2.0  # the darkest level is the largest finite magnitude


def test_the_vectorised_classes_are_the_scalar_ones():
    a = np.random.default_rng(0).standard_normal((7, 5)) * 3
    a[1, 2], a[4, 0], a[6, 4] = np.nan, -np.inf, 0.0
    grid = heat_grid(a, 12, 12)
    scale = np.abs(a[np.isfinite(a)]).max()
    assert grid.classes == [[heat_class(x, scale) for x in row] for row in a]
    assert set(c for row in grid.classes for c in row) <= set(CLASSES)


def test_an_array_without_finite_entries_or_all_zero_has_no_levels():
    assert heat_grid(np.zeros((2, 2)), 12, 12).classes == [["zero", "zero"], ["zero", "zero"]]
    assert heat_grid(np.full(3, np.nan), 12, 12).classes == [["nan"] * 3]


def test_shapes_become_the_matrix_a_map_draws():
    assert as_matrix(np.float64(2)).shape == (1, 1)
    assert as_matrix(np.arange(5)).shape == (1, 5)
    assert as_matrix(np.zeros((2, 3, 4))).shape == (6, 4)


@pytest.mark.parametrize(("shape", "fit", "tile", "cells"), [
    ((12, 3), (12, 12), (1, 1), (12, 3)),
    ((100, 30), (12, 28), (9, 2), (12, 15)),
    ((40, 100), (12, 12), (4, 9), (10, 12)),
    ((1, 1000), (12, 30), (1, 34), (1, 30)),
])
def test_a_large_array_is_drawn_in_tiles_that_fit(shape, fit, tile, cells):
    grid = heat_grid(np.ones(shape), *fit, texts=True)
    assert grid.tile == tile and (len(grid.classes), len(grid.classes[0])) == cells
    assert (grid.texts is None) == (tile != (1, 1)) and grid.full == (tile == (1, 1))


def test_a_tile_is_the_mean_of_its_finite_entries_and_shows_a_nan_or_an_infinity_in_it():
    m = np.arange(20.0).reshape(4, 5)
    assert np.array_equal(tile_means(m, (2, 2)), [[3.0, 5.0, 6.5], [13.0, 15.0, 16.5]])  # the last column is 1 wide
    m[0, 0], m[3, 4] = np.nan, np.inf
    means = tile_means(m, (2, 2))
    assert np.isnan(means[0, 0]) and means[1, 2] == np.inf and means[0, 1] == 5.0


def test_the_histogram_counts_every_finite_value_and_the_sparkline_draws_it():
    counts, low, high = histogram(np.array([0.0, 1.0, 1.0, np.nan, 3.0]), bins=3)
    assert counts.tolist() == [1, 2, 1] and (low, high) == (0.0, 3.0)
    assert sparkline([1, 2, 0, 4]) == "▂▄ █"
    assert histogram(np.full(4, 2.0), bins=2)[0].sum() == 4  # one value: still every one counted


def test_a_nodes_metric_and_its_level_by_half_decades_below_the_largest():
    g = np.array([3.0, 4.0])
    assert metric_of("grad", None, g, 0) == 5.0 and metric_of("grad", None, None, 0) is None
    assert metric_of("value", np.array([-7.0, 2.0]), None, 0) == 7.0
    assert metric_of("held", None, None, 128) == 128.0 and metric_of("held", None, None, 0) is None
    levels = [metric_level(m, 2.0) for m in (2.0, 0.5, 0.15, 0.0015, 0.0, None)]
    assert levels == [LEVELS, LEVELS - 1, LEVELS - 2, 1, 0, -1]
    assert level_floor(LEVELS, 2.0) == pytest.approx(2 / 10**0.5) and level_floor(1, 2.0) == pytest.approx(0.02)


def test_short_numbers_fit_a_box_border():
    assert [short_number(x) for x in (0.4213, 3.0, 1234.0, 3.1e-05)] == ["0.42", "3", "1.2e3", "3.1e-5"]


@pytest.mark.parametrize("metric", ["grad", "value", "held"])
def test_measures_kept_step_by_step_equal_measuring_every_node_afresh(metric):
    st = gs.Stepper(sample("mlp"))
    kept = Measures(st, metric)
    for position in (3, 9, 15, 11, 2, 0, 14):  # forward, backward, and back again
        st.run_to(position)
        afresh = Measures(st, metric).sync()
        assert kept.sync() == afresh
        held = st.held_by_node()
        assert afresh == {n: m for n in range(len(st.graph))
                          if (m := metric_of(metric, st.value(n), st.grad(n), held.get(n, 0))) is not None}


def test_a_huge_array_is_counted_from_a_sample_over_its_exact_range():
    counts, low, high = histogram(np.arange(1_000_000.0), bins=4)
    assert (low, high) == (0.0, 999_999.0) and counts.sum() <= 2 * (1 << 17)
    assert counts.min() > 0.9 * counts.max()  # evenly spread values: even bars
