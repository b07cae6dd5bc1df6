"""Provides ``load``: import a user's file and find its ``@gs.computation``; ``load_and_trace`` (load then
trace, from any thread, stoppable with ``interrupt_thread``); ``read_source`` (the file's text for display).

Everything that can go wrong here is the user's to fix, so every failure is a
``GraphstepError`` naming the file and line.  The file is read as ``python FILE``
reads it (UTF-8, or the encoding its PEP 263 coding line declares), and its
top level runs under the same guard as the computation (``graph.run_user_code``).
"""

from __future__ import annotations

import importlib.util
import io
import linecache
import os
import sys
import tokenize
from collections.abc import Callable

from ..errors import LoadError
from .graph import Graph, run_user_code, trace
from .usercode import TraceCancelled, guarded, interrupt_thread
from .work import Cancelled

__all__ = ["Cancelled", "TraceCancelled", "interrupt_thread", "load", "load_and_trace", "read_source",
           "split_target"]


def split_target(target: str) -> tuple[str, str | None]:
    """``samples/mlp.py:mlp`` → (``samples/mlp.py``, ``mlp``)."""
    path, sep, name = target.rpartition(":")
    if sep and path and not name.startswith(("\\", "/")) and name.isidentifier():
        return path, name
    return target, None


def load_and_trace(target: str, *, reseed: int | None = None) -> Graph:
    """``trace(load(target), reseed=reseed)``: the user's file, run and traced under one guard.

    Safe to call from a worker thread: no signal handler is installed off the main
    thread, and another thread stops it with ``interrupt_thread(that_thread)``
    (``Cancelled`` is raised here, naming the line the file had reached).  Every
    failure is a ``GraphstepError``; on the main thread a real ctrl+c stays a
    KeyboardInterrupt.
    """
    return guarded(lambda: trace(load(target), reseed=reseed))  # one guard: a stop is never between the two


# Front ends for other kinds of file (graphstep.pytorch: a PyTorch script), asked in turn before a file is imported:
# ``front_end(path, name)`` gives the file's computation, or None when the file is not its kind.  They register
# themselves from above, so core imports none of them.
FRONT_ENDS: list[Callable[[str, str | None], Callable | None]] = []


def load(target: str) -> Callable:
    """The computation in ``FILE[:NAME]`` (the only one, or the one called NAME)."""
    path, name = split_target(str(target))
    if not os.path.isfile(path):
        what = f"{path} is a directory" if os.path.isdir(path) else f"{path} is not a file" if os.path.exists(
            path) else f"no such file: {path}"
        raise LoadError(what, hint="give the path of a .py file with a @gs.computation")
    for front_end in FRONT_ENDS:
        computation = front_end(path, name)
        if computation is not None:
            return computation
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


def read_source(path: str) -> str:
    """The text of a Python file for display, decoded as Python would; never raises UnicodeDecodeError (a byte
    the encoding cannot read shows as �).  OSError when the file cannot be read."""
    with open(path, "rb") as f:
        data = f.read()
    return data.decode(_encoding(data), errors="replace")


def _encoding(data: bytes) -> str:
    """The encoding Python reads a source file in: its PEP 263 coding line, a UTF-8 BOM, or UTF-8."""
    try:
        return tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:  # a coding line naming an unknown encoding: the compile reports it
        return "utf-8"


def _source(path: str) -> str:
    """The file's text as ``python FILE`` reads it; a byte it cannot read is the user's error, named by line."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise LoadError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError as err:
        raise LoadError(f"{err.msg}", source=f"{path}:{err.lineno or 1}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        declared = "and the file declares no encoding" if encoding == "utf-8" else "which the file declares"
        raise LoadError(f"byte 0x{data[err.start]:02x} at column {column} (byte {err.start} of the file) is not "
                        f"valid {encoding}, {declared}", source=f"{path}:{line}",
                        hint="save the file as UTF-8, or declare its encoding on its first line: "
                             "# -*- coding: latin-1 -*-") from None


def _import(path: str):
    """Run the file as a module (compiled here: nothing is written beside it, no __pycache__)."""
    module_name = f"graphstep_user_{abs(hash(os.path.abspath(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise LoadError(f"cannot import {path}", hint="the file must be Python source ending in .py")
    try:
        code = compile(_source(path), spec.origin or path, "exec", dont_inherit=True)
    except SyntaxError as err:
        raise LoadError(f"syntax error: {err.msg}", source=f"{path}:{err.lineno}",
                        hint=(err.text or "").strip()) from None
    except ValueError as err:  # a NUL byte
        raise LoadError(f"cannot compile {path}: {err}") from None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    linecache.checkcache(spec.origin)  # tracebacks and hints quote the file as it is now, not as first read
    run_user_code(exec, code, module.__dict__)
    return module
