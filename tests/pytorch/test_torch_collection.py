"""Collecting the test suite imports no torch: pytest-xdist's every worker collects every file, and ``import torch``
costs each of them ~2.5 CPU-s, so only the tests that run torch import it (see ``torch_support.needs_torch``)."""

from __future__ import annotations

import os
import subprocess
import sys

from support import REPO

# A pytest plugin noting the first collector whose collection found torch in sys.modules: the file that imported it.
PROBE = """\
import os
import sys

first = []


def pytest_collectreport(report):
    if "torch" in sys.modules and not first:
        first.append(report.nodeid)


def pytest_collection_finish(session):
    with open(os.environ["TORCH_PROBE_OUT"], "w") as out:
        out.write(first[0] if first else "")
"""


def test_collecting_the_suite_imports_no_torch(tmp_path):
    (tmp_path / "torch_probe.py").write_text(PROBE)
    found = tmp_path / "first_to_import_torch.txt"
    env = {**os.environ, "TORCH_PROBE_OUT": str(found),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "torch_probe", "-n", "0", "tests"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert found.read_text() == "", f"collecting {found.read_text()} imported torch"
