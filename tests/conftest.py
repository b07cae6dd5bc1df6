"""Puts this folder on ``sys.path`` for every test file, wherever it lives: ``from support import SAMPLES``.

pytest's default (prepend) import mode inserts a conftest's folder; the
fixtures several folders share live here too.
"""
