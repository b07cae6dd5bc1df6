"""Provides the names a script gives its tensors and modules: ``x`` for ``x = torch.arange(4.0, requires_grad=True)``,
``net.0.weight`` for a parameter of ``net = nn.Sequential(...)``, ``model.fc1`` for a submodule of ``model = Net()``.

Names are read off the user's frames when a tensor first enters the graph: the outermost frame first (where a
script's variables live), so that ``a`` stays ``a`` inside ``def myFunc(a)`` and ``self`` in a ``forward`` is
the last resort.
"""

from __future__ import annotations

import os
import sys
from types import FrameType

import numpy as np
import torch

_GRAPHSTEP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
NOT_USER = (_GRAPHSTEP_DIR, os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
             os.path.dirname(os.path.abspath(torch.__file__)) + os.sep)


_FRONT_END_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_frames() -> list[FrameType]:
    """The frames of the user's program on the stack, innermost first: NumPy's, torch's and graphstep's skipped,
    up to graphstep's own code that runs the program (frames around it, a test's or a notebook's, are not its)."""
    frames, frame = [], sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(NOT_USER):
            frames.append(frame)
        elif frames and filename.startswith(_GRAPHSTEP_DIR) and not filename.startswith(_FRONT_END_DIR):
            break
        frame = frame.f_back
    return frames


def _spaces(frames: list[FrameType]):
    """(variable, value) pairs of the user's frames, outermost frame first, then the innermost frame's globals;
    ``self`` comes last of all."""
    selves = []
    seen_globals = False
    for frame in reversed(frames):
        local = frame.f_locals
        seen_globals |= local is frame.f_globals
        for name, value in list(local.items()):
            if name == "self":
                selves.append(value)
            elif not name.startswith("_"):
                yield name, value
    if frames and not seen_globals:
        yield from ((n, v) for n, v in list(frames[0].f_globals.items()) if not n.startswith("_"))
    for value in selves:
        yield "self", value


def tensor_name(t: torch.Tensor, frames: list[FrameType]) -> str | None:
    """The variable holding ``t``, or ``VAR.qualified.name`` when it is a parameter of a module in a variable."""
    if isinstance(t, torch.nn.Parameter):
        return _parameter_name(t, frames) or _variable_name(t, frames)
    return _variable_name(t, frames) or _parameter_name(t, frames)


def _variable_name(t, frames) -> str | None:
    return next((name for name, value in _spaces(frames) if value is t), None)


def _parameter_name(t, frames) -> str | None:
    for name, value in _spaces(frames):
        if isinstance(value, torch.nn.Module):
            found = next((q for q, p in value.named_parameters(remove_duplicate=False) if p is t), None)
            if found is not None:
                return f"{name}.{found}"
    return None


def module_name(module: torch.nn.Module, frames: list[FrameType]) -> str | None:
    """The variable holding ``module``, or ``VAR.qualified.name`` for a submodule of a module in a variable."""
    for name, value in _spaces(frames):
        if value is module:
            return name
    for name, value in _spaces(frames):
        if isinstance(value, torch.nn.Module):
            found = next((q for q, m in value.named_modules(remove_duplicate=False) if m is module), None)
            if found:
                return f"{name}.{found}"
    return None


def child_name(parent: torch.nn.Module, parent_name: str, module: torch.nn.Module) -> str | None:
    """``net.0`` for the first layer of ``net``: a module called while ``parent`` runs, named by its place in it."""
    found = next((q for q, m in parent.named_modules(remove_duplicate=False) if m is module), None)
    return f"{parent_name}.{found}" if found else None
