"""Provides the command line: argument parsing, exit codes and messages (``main``); ``run`` prints the walk."""

from .main import main

__all__ = ["main"]
