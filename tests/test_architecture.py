"""The package's layers import one way (import-linter contracts in pyproject.toml) and no module imports
itself in a circle, counting imports made inside functions; type-checking imports excepted."""

from __future__ import annotations

import grimp
import networkx as nx
from importlinter.cli import lint_imports
from support import REPO


def test_import_contracts_are_kept(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert lint_imports(no_cache=True, no_logo=True) == 0, capsys.readouterr().out  # `lint-imports` says the same


def test_no_import_circles():
    graph = grimp.build_graph("graphstep", exclude_type_checking_imports=True)
    imports = nx.DiGraph((m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m))
    cycles = list(nx.simple_cycles(imports))
    assert not cycles, f"import circles: {cycles}"
