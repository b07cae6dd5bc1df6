"""Provides ``execute``: a notebook run by nbclient as Jupyter runs it, for the tests and the screenshots.

The kernel is started with this Python (``sys.executable``): the ``python3`` kernel ipykernel installs starts
whatever ``python`` is first on PATH, which may lack graphstep.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path


def execute(notebook, folder: str | Path = ".", timeout: int = 120):
    """Run every cell of ``notebook`` (an nbformat NotebookNode) in ``folder``, saving the widgets' state in its
    metadata as Jupyter does; the notebook, with its outputs."""
    import nbclient

    with tempfile.TemporaryDirectory(prefix="graphstep-jupyter-") as home:
        spec = Path(home) / "kernels" / "graphstep-python"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "graphstep's Python", "language": "python"}))
        saved = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = home
        try:
            nbclient.NotebookClient(notebook, kernel_name="graphstep-python", timeout=timeout,
                                    store_widget_state=True, resources={"metadata": {"path": str(folder)}}).execute()
        finally:
            if saved is None:
                del os.environ["JUPYTER_PATH"]
            else:
                os.environ["JUPYTER_PATH"] = saved
    return notebook
