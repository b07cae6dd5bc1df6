"""The package's layers import one way (import-linter contracts in pyproject.toml) and no module imports
itself in a circle, counting imports made inside functions; type-checking imports excepted.  import-linter and
grimp are imported by the tests that use them: every test worker collects this module, one runs it."""

from __future__ import annotations

import networkx as nx
from support import REPO


def test_import_contracts_are_kept(monkeypatch, capsys):
    from importlinter.cli import lint_imports

    monkeypatch.chdir(REPO)
    assert lint_imports(no_cache=True, no_logo=True) == 0, capsys.readouterr().out  # `lint-imports` says the same


def test_no_import_circles():
    import grimp

    graph = grimp.build_graph("graphstep", exclude_type_checking_imports=True)
    imports = nx.DiGraph((m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m))
    cycles = list(nx.simple_cycles(imports))
    assert not cycles, f"import circles: {cycles}"
