"""The op sweep's cases, one module per op module; ``CASES`` merges them."""

from __future__ import annotations

from . import elementwise, linalg, reductions, structure

CASES = {}
for _module in (elementwise, linalg, reductions, structure):
    _clash = set(CASES) & set(_module.CASES)
    assert not _clash, f"cases given twice: {_clash}"
    CASES.update(_module.CASES)
