"""Collecting the test suite imports no torch: pytest-xdist's every worker collects every file, and ``import torch``
costs each of them ~2.5 CPU-s, so only the tests that run torch import it (see ``torch_support.needs_torch``).

The check reads this very process's collection (``conftest.py`` notes the first collector after which torch was
in ``sys.modules``): under README's command, every worker's collection of the whole suite."""

from __future__ import annotations

from support import TORCH_AT_COLLECTION


def test_collecting_the_suite_imports_no_torch(request):
    first = request.config.stash[TORCH_AT_COLLECTION]
    assert first == "", f"collecting {first} imported torch"
