"""Nothing of the user's is lost: their files where graphstep would write survive, byte for byte and mode for mode.

A test that starts from a frames folder graphstep wrote copies one drawn once per module (``drawn``): the copy
has the same bytes, modes and sealed manifest, which is all graphstep reads of a folder it finds (a frame is
graphstep's by its content), and each walk's frames are laid out by Graphviz once instead of in every test.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from support import REPO

import graphstep as gs
from graphstep.cli import main
from graphstep.cli.progress import StatusLine
from graphstep.core.work import Cancelled
from graphstep.files import MANIFEST, Folder, OverwriteError, is_sealed, seal, written_by_graphstep
from graphstep.render import export as export_module
from graphstep.render.export import export_beside, export_frames

USERS = b"<svg><!-- the user's own drawing --></svg>\n"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(REPO)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder`` with its bytes and mode."""
    return {str(p.relative_to(folder)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def users_file(path: Path, data: bytes = USERS, mode: int = 0o640) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> dict[str, tuple[int, Path]]:
    """``graphstep export samples/NAME.py --frames DIR`` of regression's walk (12 frames) and double's (4): the
    exit code and the folder, for tests to copy (``copy_of``)."""
    root = tmp_path_factory.mktemp("drawn")
    with contextlib.chdir(REPO):
        return {name: (main(["export", f"samples/{name}.py", "--frames", str(root / name)]), root / name)
                for name in ("regression", "double")}


def copy_of(drawn: dict[str, tuple[int, Path]], name: str, frames: Path) -> Path:
    """``frames`` as ``graphstep export samples/NAME.py --frames FRAMES`` leaves it (and that export exited 0)."""
    code, folder = drawn[name]
    assert code == 0
    shutil.copytree(folder, frames)
    return frames


# ── seals ──

def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0"))
            + chunk(b"IEND", b""))


TINY_PDF = b"%PDF-1.5\n1 0 obj\n<< >>\nendobj\nxref\n0 1\ntrailer\n<< /Size 1 >>\nstartxref\n26\n%%EOF\n"


@pytest.mark.parametrize("fmt, data", [("svg", b"<svg/>\n"), ("html", b"<html></html>"), ("dot", b"digraph {}\n"),
                                       ("text", b"a\nb\n"), ("png", tiny_png()), ("pdf", TINY_PDF)])
def test_a_seal_marks_graphsteps_file_until_anyone_edits_it(fmt, data):
    sealed = seal(data, fmt)
    assert is_sealed(sealed) and not is_sealed(data)
    assert sealed.startswith(data[:8])  # still the format it was: the seal sits where a comment may
    if fmt == "pdf":  # after every object: the offset startxref gives still points at the xref
        assert sealed.index(b"xref\n0 1") == data.index(b"xref\n0 1")
    edited = bytearray(sealed)
    edited[len(data) // 2] ^= 1  # one bit of what graphstep wrote
    assert not is_sealed(bytes(edited))


def test_png_seal_is_a_valid_text_chunk():
    sealed = seal(tiny_png(), "png")
    pos, kinds = 8, []
    while pos < len(sealed):
        (size,) = struct.unpack_from(">I", sealed, pos)
        kind, body = sealed[pos + 4:pos + 8], sealed[pos + 8:pos + 8 + size]
        assert struct.unpack_from(">I", sealed, pos + 8 + size)[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        pos += 12 + size
    assert kinds == [b"IHDR", b"IDAT", b"tEXt", b"IEND"]


# ── -o ──

def test_output_over_the_users_file_is_refused_and_it_survives(tmp_path, capsys):
    out = users_file(tmp_path / "mlp.svg")
    before = snapshot(tmp_path)
    assert main(["export", "samples/mlp.py", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"will not replace {out}" in err and "graphstep did not write it" in err and "--force" in err
    assert snapshot(tmp_path) == before


def test_output_over_a_read_only_file_is_refused_even_graphsteps_own(tmp_path, capsys):
    out = tmp_path / "mlp.dot"
    assert main(["export", "samples/mlp.py", "-o", str(out), "--step", "3"]) == 0
    out.chmod(0o444)
    before = snapshot(tmp_path)
    assert main(["export", "samples/mlp.py", "-o", str(out)]) == 2
    assert "it is read-only" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_force_replaces_a_read_only_file_of_the_users_and_keeps_its_mode(tmp_path):
    out = users_file(tmp_path / "mlp.svg", mode=0o444)
    assert main(["export", "samples/mlp.py", "-o", str(out), "--force"]) == 0
    assert b"<svg" in out.read_bytes() and written_by_graphstep(out)
    assert mode_of(out) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["mlp.svg"]


def test_graphsteps_own_file_is_replaced_without_force_and_keeps_its_mode(tmp_path):
    out = tmp_path / "mlp.dot"
    gs.export(gs.trace(gs.load("samples/mlp.py")), out)
    out.chmod(0o600)
    gs.export(gs.Stepper(gs.trace(gs.load("samples/mlp.py"))).run(), out)
    assert "step 15 of 15" in out.read_text(encoding="utf-8") and mode_of(out) == 0o600


def test_a_new_file_gets_the_mode_open_would_give(tmp_path):
    out = gs.export(gs.trace(gs.load("samples/double.py")), tmp_path / "d.dot")
    umask = os.umask(0)
    os.umask(umask)
    assert mode_of(out) == 0o666 & ~umask


def test_a_picture_the_user_edited_is_theirs_again(tmp_path):
    out = gs.export(gs.trace(gs.load("samples/double.py")), tmp_path / "d.dot")
    edited = out.read_bytes().replace(b"digraph", b"digraph  ", 1)
    out.write_bytes(edited)
    with pytest.raises(OverwriteError, match="did not write"):
        gs.export(gs.trace(gs.load("samples/double.py")), out)
    assert out.read_bytes() == edited


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    real = gs.export(gs.trace(gs.load("samples/double.py")), tmp_path / "real.dot")
    link = tmp_path / "link.dot"
    link.symlink_to(real)
    gs.export(gs.Stepper(gs.trace(gs.load("samples/double.py"))).run(), link)
    assert link.is_symlink() and "step 3 of 3" in real.read_text(encoding="utf-8")


def test_both_targets_are_checked_before_anything_is_written(tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    users_file(frames / "notes.txt", b"my notes")
    assert main(["export", "samples/double.py", "-o", str(tmp_path / "d.svg"), "--frames", str(frames)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert not (tmp_path / "d.svg").exists()


def test_an_unwritable_folder_is_named(tmp_path, monkeypatch):
    def denied(**kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("graphstep.files.tempfile.mkstemp", denied)
    with pytest.raises(gs.GraphstepError, match=f"folder {tmp_path} is read-only"):
        gs.export(gs.trace(gs.load("samples/double.py")), tmp_path / "d.svg")


def test_ctrl_c_while_writing_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, capsys):
    out = tmp_path / "d.dot"
    assert main(["export", "samples/double.py", "-o", str(out), "--step", "1"]) == 0
    before = snapshot(tmp_path)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr("graphstep.files.os.replace", interrupted)
    assert main(["export", "samples/double.py", "-o", str(out)]) == 130
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(tmp_path) == before


# ── the TUI's x ──

def test_x_beside_the_users_file_moves_on_to_a_free_name(tmp_path):
    source = tmp_path / "mlp.py"
    shutil.copy(REPO / "samples/mlp.py", source)
    users_file(tmp_path / "mlp-step3.svg")
    before = snapshot(tmp_path)
    stepper = gs.Stepper(gs.trace(gs.load(str(source)))).run_to(3)
    first = export_beside(stepper, str(source))
    assert [p.name for p in first] == ["mlp-step3-2.svg", "mlp-step3-2.png"]
    assert export_beside(stepper, str(source)) == first  # its own pair is replaced, not numbered on
    after = snapshot(tmp_path)
    assert {name: after[name] for name in before} == before
    assert sorted(after) == ["mlp-step3-2.png", "mlp-step3-2.svg", "mlp-step3.svg", "mlp.py"]


# ── frames ──

def test_frames_over_the_users_index_and_frame_are_refused_and_they_survive(tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    users_file(frames / "index.html", b"<html>my page</html>", 0o644)
    users_file(frames / "step-001.svg", mode=0o600)
    before = snapshot(tmp_path)
    assert main(["export", "samples/double.py", "--frames", str(frames)]) == 2
    err = capsys.readouterr().err
    assert f"will not replace the folder {frames}" in err and "index.html, step-001.svg" in err and "--force" in err
    assert snapshot(tmp_path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_stale_frames_of_a_longer_walk_are_gone_and_the_folder_keeps_its_mode(tmp_path, drawn):
    frames = copy_of(drawn, "regression", tmp_path / "frames")
    assert (frames / "step-011.svg").exists()
    frames.chmod(0o750)
    assert main(["export", "samples/double.py", "--frames", str(frames)]) == 0
    assert sorted(p.name for p in frames.iterdir()) == [MANIFEST, "index.html", "step-000.svg", "step-001.svg",
                                                       "step-002.svg", "step-003.svg"]
    assert mode_of(frames) == 0o750 and [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_frames_into_a_file_is_refused_and_it_survives(tmp_path, capsys):
    notes = users_file(tmp_path / "notes")
    assert main(["export", "samples/double.py", "--frames", str(notes)]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err
    assert snapshot(tmp_path) == {"notes": (USERS, 0o640)}


def test_frames_into_an_empty_folder_of_the_users(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir(mode=0o700)
    assert len(export_frames(gs.trace(gs.load("samples/double.py")), frames)) == 5
    assert mode_of(frames) == 0o700


def test_force_replaces_graphsteps_names_and_keeps_every_other_file(tmp_path, drawn):
    frames = copy_of(drawn, "regression", tmp_path / "frames")
    users_file(frames / "notes.txt", b"my notes", 0o600)
    (frames / "drafts").mkdir()
    users_file(frames / "drafts" / "step-011.svg")
    users_file(frames / "index.html", b"<html>mine now</html>")
    assert main(["export", "samples/double.py", "--frames", str(frames)]) == 2
    assert main(["export", "samples/double.py", "--frames", str(frames), "--force"]) == 0
    files = snapshot(frames)
    assert files["notes.txt"] == (b"my notes", 0o600) and files["drafts/step-011.svg"] == (USERS, 0o640)
    assert files["index.html"][0].count(b"data:image/svg+xml") == 4 and files["index.html"][1] == 0o640
    assert not (frames / "step-004.svg").exists() and written_by_graphstep(frames / "step-003.svg")


def frames_broken_at(monkeypatch, k: int, error: type[BaseException]) -> list[int]:
    """Make the renderer raise ``error`` on its ``k``-th layout (frames 0 … k-2 already laid out)."""
    calls = []
    real = export_module.render

    def render(dot, fmt, **kw):
        calls.append(1)
        if len(calls) == k:
            raise error("layout failed midway")
        return real(dot, fmt, **kw)

    monkeypatch.setattr(export_module, "render", render)
    return calls


@pytest.mark.parametrize("error, code", [(gs.GraphstepError, 2), (KeyboardInterrupt, 130)])
def test_a_failure_midway_leaves_the_old_folder_intact_and_no_temporary(tmp_path, drawn, monkeypatch, capsys, error,
                                                                        code):
    frames = copy_of(drawn, "double", tmp_path / "frames")
    before = snapshot(tmp_path)
    frames_broken_at(monkeypatch, 6, error)
    assert main(["export", "samples/regression.py", "--frames", str(frames)]) == code
    assert "Traceback" not in capsys.readouterr().err
    assert snapshot(tmp_path) == before and [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_a_new_folder_is_not_left_half_written(tmp_path, monkeypatch):
    frames_broken_at(monkeypatch, 3, KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        export_frames(gs.trace(gs.load("samples/regression.py")), tmp_path / "frames")
    assert list(tmp_path.iterdir()) == []


def test_folder_rechecks_before_swapping_in(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    with pytest.raises(OverwriteError, match="late.txt"), Folder(target) as folder:
        folder.write("a.svg", b"<svg/>", "svg")
        users_file(target / "late.txt", b"written while frames were drawn")
    assert snapshot(tmp_path) == {"frames/late.txt": (b"written while frames were drawn", 0o640)}


def test_progress_hears_every_frame_and_cancel_stops_at_once(tmp_path, drawn):
    frames = copy_of(drawn, "double", tmp_path / "frames")
    graph = gs.trace(gs.load("samples/regression.py"))
    before = snapshot(tmp_path)
    heard, cancel = [], threading.Event()

    def progress(done, total, what):
        heard.append((done, total, what))
        if done == 3:
            cancel.set()

    with pytest.raises(Cancelled, match="stopped after 3 of 12"):
        export_frames(graph, frames, progress=progress, cancel=cancel)
    assert heard == [(1, 12, "step 0"), (2, 12, "step 1"), (3, 12, "step 2")]
    assert snapshot(tmp_path) == before and [p.name for p in tmp_path.iterdir()] == ["frames"]


# ── the status line ──

class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_draws_on_a_terminal_and_is_erased_at_the_end():
    stream = Terminal()
    with StatusLine("drawing frames", stream=stream, delay=0, interval=0.01) as line:
        line(120, 2001, "step 119")
        deadline = time.monotonic() + 30
        while "120/2,001" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
    text = stream.getvalue()
    assert "\rdrawing frames · 120/2,001 · step 119 · " in text and text.endswith("\r\x1b[K")


def test_status_line_stays_silent_off_a_terminal():
    stream = io.StringIO()
    with StatusLine("drawing frames", stream=stream, delay=0, interval=0.01) as line:
        line(1, 2)
        assert line._ticker is None
    assert stream.getvalue() == ""


def test_status_line_is_cut_to_the_terminal_width():
    line = StatusLine("drawing frames into a folder with a very long name indeed", stream=io.StringIO())
    line(5, 10, "step 4")
    assert len(line.text(30)) == 29 and line.text(30).endswith("…")
