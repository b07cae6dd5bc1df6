"""Tests ``import graphstep`` leaves the analyses and training unimported until a name of theirs is used, and that
every public name still resolves, to the object its module defines (issue 12: import what is used)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

from support import REPO

import graphstep as gs

LAZY_MODULES = {"graphstep.analysis.compare", "graphstep.analysis.explain", "graphstep.analysis.gradcheck",
                "graphstep.analysis.persample", "graphstep.core.training"}


def fresh(code: str) -> object:
    """What ``code`` prints as JSON, run in a new interpreter (this one has imported everything already)."""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_import_graphstep_leaves_the_analyses_and_training_unimported():
    loaded = fresh("import json, sys, graphstep; print(json.dumps(sorted(sys.modules)))")
    assert not LAZY_MODULES & set(loaded)


def test_a_lazy_name_imports_its_module_on_first_use():
    loaded = fresh("import json, sys, graphstep as gs; gs.compare; print(json.dumps(sorted(sys.modules)))")
    assert "graphstep.analysis.compare" in loaded
    assert "graphstep.core.training" not in loaded


def test_every_public_name_resolves_to_its_modules_object():
    for name in gs.__all__:
        assert getattr(gs, name) is not None, name
        assert name in dir(gs)
    for name, module in gs._LAZY.items():
        assert getattr(gs, name) is getattr(importlib.import_module(module, "graphstep"), name)
    namespace: dict = {}
    exec("from graphstep import OPTIMIZERS, Comparison, gradcheck, per_sample_gradients, train", namespace)
    assert namespace["train"] is gs.train


def test_an_unknown_name_is_an_attribute_error():
    try:
        gs.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("gs.no_such_name resolved")
