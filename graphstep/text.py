"""Provides the text graphstep shows for values and places: array summaries, paths as the user types them."""

from __future__ import annotations

import functools
import os

import numpy as np


def display_path(filename: str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    return _display_path(filename, os.getcwd())


@functools.lru_cache(maxsize=256)
def _display_path(filename: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(filename, cwd)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def summarize(a: np.ndarray | None, width: int = 40) -> str:
    """A short, readable summary of an array: all of it if small, else min/mean/max."""
    if a is None:
        return "—"
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.4g}"
    if a.size <= 4:
        text = np.array2string(a, precision=4, suppress_small=True, separator=" ")
        return text.replace("\n", "")
    if not np.all(np.isfinite(a)):
        numbers = a[~np.isnan(a)]  # min and max of what is not NaN (±inf included); none when all are NaN
        return f"nan/inf! min {numbers.min():.3g} max {numbers.max():.3g}" if numbers.size else "nan/inf! all nan"
    return f"min {a.min():.3g} mean {a.mean():.3g} max {a.max():.3g}"
