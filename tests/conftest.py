"""Puts this folder on ``sys.path`` for every test file, wherever it lives: ``from support import SAMPLES``.

pytest's default (prepend) import mode inserts a conftest's folder; the
fixtures every folder shares live here too.
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

# Python's compiled bytecode is what makes a second import of a module cheap. Machines that set
# PYTHONDONTWRITEBYTECODE (CI's does) compile graphstep's, the tests' and the samples' sources again in every test
# worker and in every `graphstep` process a test starts: a sixth of the suite's CPU time. The suite's own
# processes keep bytecode in the usual gitignored __pycache__ folders; the variable is dropped before pytest-xdist
# starts its workers, which inherit this environment.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# Four workers share two cores: NumPy's BLAS starting a thread per core in each of them (and in every process they
# start) only makes its threads spin against each other; one each, unless the machine says otherwise.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")


@pytest.fixture(autouse=True)
def terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees a 160-column terminal, whatever runs it: ``graphstep run`` fits its table to the terminal,
    and a test worker's terminal is whatever the process was started from (a pipe, a 100-column tty)."""
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("LINES", "48")


@pytest.fixture(autouse=True)
def settled_heap():
    """After each test, collect its garbage and freeze what is left alive (modules, caches, module fixtures) out
    of the collector's sight. What outlives a Pilot test is large: Textual's style caches keep up to 1,024
    widgets' lines alive (an ``lru_cache`` on a method, Textualize/textual#6665), and walking that heap again in
    every later collection was half of the TUI tests' CPU. Collecting first means no garbage is ever frozen."""
    yield
    gc.collect()
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that bring torch into their process go first: pytest-xdist deals each worker a run of consecutive
    tests, so one worker imports torch (2.5 CPU-s) instead of every worker that meets a PyTorch sample."""
    items.sort(key=lambda item: not (item.get_closest_marker("loads_torch") or "tests/pytorch/" in item.nodeid
                                     or "[torch_" in item.nodeid))


_first_to_import_torch: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Note the first collector whose collection left torch imported (tests/pytorch/test_torch_collection.py)."""
    if not _first_to_import_torch and "torch" in sys.modules:
        _first_to_import_torch.append(report.nodeid)


def pytest_collection_finish(session: pytest.Session) -> None:
    from support import TORCH_AT_COLLECTION  # imported once the BLAS settings above are in place

    session.config.stash[TORCH_AT_COLLECTION] = _first_to_import_torch[0] if _first_to_import_torch else ""
