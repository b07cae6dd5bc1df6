"""Provides ``load``: import a user's file and find its ``@gs.computation``.

Everything that can go wrong here is the user's to fix, so every failure is a
``GraphstepError`` naming the file and line.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable

from .errors import GraphstepError, LoadError
from .graph import user_code_error


def split_target(target: str) -> tuple[str, str | None]:
    """``samples/mlp.py:mlp`` → (``samples/mlp.py``, ``mlp``)."""
    path, sep, name = target.rpartition(":")
    if sep and path and not name.startswith(("\\", "/")) and name.isidentifier():
        return path, name
    return target, None


def load(target: str) -> Callable:
    """The computation in ``FILE[:NAME]`` (the only one, or the one called NAME)."""
    path, name = split_target(str(target))
    if not os.path.isfile(path):
        raise LoadError(f"no such file: {path}", hint="give the path of a .py file with a @gs.computation")
    module = _import(path)
    found = {fn.__graphstep_computation__["name"]: fn for fn in vars(module).values()
             if callable(fn) and hasattr(fn, "__graphstep_computation__")}
    if name is not None:
        if name not in found:
            raise LoadError(f"no computation named {name!r} in {path}",
                            hint=f"computations here: {', '.join(found) or 'none'}")
        return found[name]
    if not found:
        raise LoadError(f"no computation in {path}",
                        hint="decorate a zero-argument function with @gs.computation")
    if len(found) > 1:
        raise LoadError(f"{path} holds several computations: {', '.join(found)}",
                        hint=f"choose one with {path}:{next(iter(found))}")
    return next(iter(found.values()))


def _import(path: str):
    module_name = f"graphstep_user_{abs(hash(os.path.abspath(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import {path}", hint="the file must be Python source ending in .py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise LoadError(f"syntax error: {err.msg}", source=f"{path}:{err.lineno}",
                        hint=(err.text or "").strip()) from None
    except GraphstepError:
        raise
    except Exception as err:
        raise user_code_error(err) from None
    return module
