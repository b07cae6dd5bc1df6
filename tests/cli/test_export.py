"""Tests of writing pictures: formats, both renderers, atomic writes, errors, frames, CLI and notebooks."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest
from support import REPO

import graphstep as gs
from graphstep.cli import main
from graphstep.render import engines
from graphstep.render.dot import mimebundle

PNG = b"\x89PNG\r\n\x1a\n"
HAS_DOT = shutil.which("dot") is not None


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("GRAPHSTEP_RENDERER", raising=False)


@pytest.fixture(params=["dot", "pygraphviz"])
def renderer(request, monkeypatch):
    """Run a test with the system dot, then with pygraphviz's bundled Graphviz (dot hidden from PATH)."""
    if request.param == "dot" and not HAS_DOT:
        pytest.skip("no system dot")
    if request.param == "pygraphviz":
        pytest.importorskip("pygraphviz")
        monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    found = engines.find_renderer()
    assert found is not None and found.kind == request.param
    return found


@pytest.fixture(scope="module")
def mlp() -> gs.Graph:
    return gs.trace(gs.load(str(REPO / "samples/mlp.py")))


def test_svg_png_pdf_with_each_renderer(renderer, mlp, tmp_path):
    st = gs.Stepper(mlp).run()
    svg = gs.export(st, tmp_path / "g.svg").read_bytes()
    assert ET.fromstring(svg).tag.endswith("svg")
    assert gs.export(st, tmp_path / "g.png").read_bytes().startswith(PNG)
    assert gs.export(st, tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")


def test_dot_needs_no_renderer(monkeypatch, mlp, tmp_path):
    monkeypatch.setattr(engines, "find_renderer", lambda: None)
    text = gs.export(mlp, tmp_path / "g.dot").read_text(encoding="utf-8")
    assert text.startswith("digraph mlp {")
    with pytest.raises(gs.GraphstepError, match="Graphviz not found") as err:
        gs.export(mlp, tmp_path / "g.svg")
    assert "apt install graphviz" in err.value.hint and "brew" in err.value.hint and "conda" in err.value.hint
    assert not (tmp_path / "g.svg").exists()


def test_export_does_not_move_the_callers_stepper(mlp, tmp_path):
    st = gs.Stepper(mlp).run_to(3)
    gs.export(st, tmp_path / "g.dot", step=10)
    assert st.position == 3
    assert "step 10 of 15" in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_cli_export_png_and_step(tmp_path, capsys):
    out = tmp_path / "mlp.png"
    assert main(["export", "samples/mlp.py", "-o", str(out), "--step", "7", "--rankdir", "LR"]) == 0
    assert out.read_bytes().startswith(PNG)
    assert "forward pass done" in capsys.readouterr().out


def test_cli_format_overrides_suffix(tmp_path):
    out = tmp_path / "picture.txt"
    assert main(["export", "samples/regression.py", "-o", str(out), "--format", "dot"]) == 0
    assert out.read_text(encoding="utf-8").startswith("digraph regression")


def test_unwritable_output_exits_2_and_leaves_no_file(tmp_path, capsys):
    out = tmp_path / "missing-dir" / "mlp.svg"
    assert main(["export", "samples/mlp.py", "-o", str(out)]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert not out.exists() and not out.parent.exists()


def test_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("graphstep.render.export.os.replace", broken)
    with pytest.raises(gs.GraphstepError, match="No space left"):
        gs.export(gs.trace(gs.load("samples/double.py")), tmp_path / "g.dot")
    assert list(tmp_path.iterdir()) == []


def test_unknown_suffix_and_bad_step(tmp_path, capsys):
    assert main(["export", "samples/mlp.py", "-o", str(tmp_path / "g.jpeg")]) == 2
    assert main(["export", "samples/mlp.py", "-o", str(tmp_path / "g.svg"), "--step", "99"]) == 2
    err = capsys.readouterr().err
    assert ".svg, .png, .pdf or .dot" in err and "out of range" in err
    assert list(tmp_path.iterdir()) == []


def test_layout_timeout_is_reported(mlp):
    with pytest.raises(gs.GraphstepError, match="longer than"):
        engines.render("digraph { " + " ".join(f"a{i} -> a{i + 1};" for i in range(3000)) + " }", "svg",
                       timeout=0.01)


def test_graphviz_failure_is_reported():
    with pytest.raises(gs.GraphstepError, match="Graphviz failed"):
        engines.render("digraph { this is not dot", "svg")


def test_frames_and_player(tmp_path, capsys):
    frames = tmp_path / "frames"
    assert main(["export", "samples/regression.py", "--frames", str(frames)]) == 0
    names = sorted(p.name for p in frames.iterdir())
    assert names[:3] == [".graphstep-frames", "index.html", "step-000.svg"] and names[-1] == "step-011.svg"
    page = (frames / "index.html").read_text(encoding="utf-8")
    assert page.count("data:image/svg+xml;base64,") == 12
    assert "ArrowRight" in page and "ArrowLeft" in page and 'id="next"' in page and 'id="prev"' in page
    assert "12 frames" not in capsys.readouterr().err


def test_nothing_to_write_exits_2(capsys):
    assert main(["export", "samples/mlp.py"]) == 2
    assert "-o OUT" in capsys.readouterr().err


def test_doctor_names_the_renderer(renderer, capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert ("system Graphviz" if renderer.kind == "dot" else "pygraphviz") in out


def test_doctor_without_any_renderer(monkeypatch, capsys):
    monkeypatch.setattr(engines, "find_renderer", lambda: None)
    monkeypatch.setattr("graphstep.cli.export.find_renderer", lambda: None)
    assert main(["doctor"]) == 2
    assert "apt install graphviz" in capsys.readouterr().out


def test_notebook_display(mlp):
    bundle = mlp._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "<svg" in bundle["image/svg+xml"]
    assert "image/svg+xml" in gs.Stepper(mlp).run()._repr_mimebundle_()


def test_notebook_display_without_graphviz_falls_back_to_text(monkeypatch, mlp):
    monkeypatch.setattr(engines, "find_renderer", lambda: None)
    bundle = mimebundle(mlp)
    assert "image/svg+xml" not in bundle and "digraph mlp" in bundle["text/plain"]


def test_cli_fold_and_no_fold(tmp_path, capsys):
    w3 = gs.trace(gs.load("samples/deep_mlp.py")).ids["W3"]
    out = tmp_path / "deep.dot"
    assert main(["export", "samples/deep_mlp.py", "-o", str(out), "--fold"]) == 0
    folded = out.read_text(encoding="utf-8")
    assert "× 6  for k in range(1, LAYERS + 1)" in folded and "shape=box3d" in folded and f"\tn{w3} [" not in folded
    assert main(["export", "samples/deep_mlp.py", "-o", str(out), "--no-fold", "--step", "40"]) == 0
    every = out.read_text(encoding="utf-8")
    assert "× " not in every and every.count('label="layer()"') == 6 and f"\tn{w3} [" in every
    assert main(["export", "samples/deep_mlp.py", "-o", str(out)]) == 0
    assert "× " not in out.read_text(encoding="utf-8")  # six layers: drawn in full by default
    assert main(["export", "samples/myfunc.py", "-o", str(tmp_path / "m.svg"), "--fold", "--step", "20"]) == 0
    svg = (tmp_path / "m.svg").read_text(encoding="utf-8")
    assert "× " in svg and "◀ step 20" in svg


def test_library_export_fold_option(tmp_path):
    graph = gs.trace(gs.load("samples/deep_mlp.py"))
    st = gs.Stepper(graph).run_to(40)
    assert "× " in gs.export(st, tmp_path / "a.dot", fold=True).read_text(encoding="utf-8")
    assert "× " not in gs.export(st, tmp_path / "b.dot", fold=False).read_text(encoding="utf-8")
    assert "× " not in gs.export(st, tmp_path / "c.dot", fold=True, full=True).read_text(encoding="utf-8")
    assert st.position == 40


@pytest.mark.skipif(not HAS_DOT, reason="no system dot")
def test_10k_node_chain_exports_as_its_input_one_folded_box_and_the_loss(tmp_path):

    import numpy as np

    def f(x):
        for _ in range(2500):
            x = gs.numpy.tanh(x) * 0.5 + x
        return gs.numpy.sum(x)

    graph = gs.trace(f, np.ones(2))
    assert len(graph) > 10_000
    stepper = gs.Stepper(graph).run()
    svg = gs.export(stepper, tmp_path / "big.svg").read_text(encoding="utf-8")  # its time: benchmarks/bench_export.py
    ns = "{http://www.w3.org/2000/svg}"
    drawn = sorted(g.find(f"{ns}title").text for g in ET.fromstring(svg).iter(f"{ns}g") if g.get("class") == "node")
    assert drawn == ["n0", "n10001", "op10001", "sum_fold10002"]  # x, the sum and its loss, and one box for the loop
    assert "folded" in svg and "× 2500" in svg and "× 0.5 → +" in svg


def test_a_picture_export_leaves_pillow_unimported():
    """``render.animate`` (and Pillow with it) is imported for an animation's suffix only: 25 ms of every start."""
    import subprocess
    import sys

    code = ("import sys; from graphstep.cli.export import _animation; "
            "assert not _animation('x.svg') and not _animation('x.PNG') and 'PIL' not in sys.modules; "
            "assert _animation('walk.gif') and not _animation('notes.txt')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
