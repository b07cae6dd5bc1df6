"""Provides the text graphstep shows for values, shapes, sizes and places: one module, so the CLI table, the TUI,
the pictures and the error messages write an array, a shape or a byte count the same way.

``fmt_shape`` (``(4×16)``), ``summarize`` (an array in one short line), ``array_text`` (a small array in full,
one line per row, for a picture's node), ``fmt_array`` (an array as NumPy prints it, for the inspector),
``human_bytes`` (``3.2 KB``) and ``display_path`` (a path as the user types it).
"""

from __future__ import annotations

import functools
import os

import numpy as np

FULL_ARRAY = 4  # array_text shows arrays up to 4×4 in full


def display_path(filename: str) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    return _display_path(filename, os.getcwd())


@functools.lru_cache(maxsize=256)
def _display_path(filename: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(filename, cwd)
    except ValueError:
        return filename
    return os.path.normpath(filename) if rel.startswith("..") else rel  # never /work/examples/../samples


def fmt_shape(shape: tuple[int, ...]) -> str:
    """(4×16) for learners; a 1-D shape is (16), a scalar ()."""
    return "(" + "×".join(str(n) for n in shape) + ")"


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


def array_text(a: np.ndarray | None) -> str | None:
    """The full array when it fits in 4×4 (one line per row), else min/mean/max: a value inside a picture's node."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.4g}"
    rows = a.reshape(1, -1) if a.ndim == 1 else a
    if a.ndim <= 2 and rows.shape[0] <= FULL_ARRAY and rows.shape[1] <= FULL_ARRAY and np.all(np.isfinite(a)):
        return "\n".join("[" + "  ".join(f"{x:.3g}" for x in row) + "]" for row in rows)
    return summarize(a)


def fmt_array(a, width: int = 60, max_lines: int = 10) -> str:
    """An array as NumPy prints it, summarised with … when large, at most ``max_lines`` lines."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{a.item():.6g}"
    with np.printoptions(precision=4, suppress=True, threshold=48, edgeitems=3, linewidth=max(20, width)):
        text = np.array2string(a, separator=" ")
    lines = text.splitlines()
    return "\n".join(lines if len(lines) <= max_lines else [*lines[: max_lines - 1], " …"])


def human_bytes(n: int) -> str:
    """``3.2 KB``: a byte count for the status bar."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
