"""Provides the messages the views send the app: a node or a step was picked with the mouse."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class NodePicked(Message):
    """The user clicked a node in the graph."""

    node: int


@dataclass
class StepPicked(Message):
    """The user clicked a line of the step log."""

    index: int
