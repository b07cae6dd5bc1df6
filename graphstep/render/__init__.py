"""Provides the render layer: pictures of a graph at any step.

``scene`` turns a ``Graph`` (and optionally a ``Stepper``) into plain data,
``dot`` writes that as Graphviz DOT, ``collapse`` summarises very large graphs,
``engines`` finds a Graphviz renderer and ``export`` writes files.  Graphviz is
imported here only, never by the engine.
"""
