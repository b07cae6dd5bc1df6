"""Animations of a walk (``graphstep export FILE -o walk.gif``): decoded with Pillow, frame by frame."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from PIL import Image
from support import SAMPLES

import graphstep as gs
from graphstep.cli.main import main
from graphstep.files import is_sealed, seal, written_by_graphstep
from graphstep.render.animate import Canvas, export_animation, walk_steps

SCALE = 0.5  # small frames: the tests decode every one


def captions(path) -> list[str]:
    """What each step's caption must say, from the stepper's own records."""
    stepper = gs.Stepper(gs.trace(gs.load(str(path))))
    said = ["step 0: start"]
    for k in range(1, stepper.total + 1):
        record = stepper.step()
        said.append(f"step {k} · {record.phase} · {record.formula}")
    return said


def frames_of(path) -> list[Image.Image]:
    with Image.open(path) as image:
        decoded = []
        for k in range(image.n_frames):
            image.seek(k)
            decoded.append(image.convert("RGB"))
        return decoded


def durations(path) -> list[int]:
    with Image.open(path) as image:
        found = []
        for k in range(image.n_frames):
            image.seek(k)
            found.append(image.info["duration"])
        return found


@pytest.fixture(scope="module")
def mlp_gif(tmp_path_factory):
    path = tmp_path_factory.mktemp("gif") / "walk.gif"
    made = export_animation(gs.trace(gs.load(str(SAMPLES / "mlp.py"))), path, scale=SCALE, fps=4)
    return path, made


@pytest.fixture(scope="module")
def double_walks(tmp_path_factory) -> dict:
    """double.py's walk as each format, made once for the module (a walk is four Graphviz layouts): suffix ->
    (path, Animation). The .mp4 plays 2 frames a second; its key is missing without PyAV."""
    folder = tmp_path_factory.mktemp("double")
    graph = gs.trace(gs.load(str(SAMPLES / "double.py")))
    suffixes = ["apng", "webp", "gif", *(["mp4"] if importlib.util.find_spec("av") else [])]
    return {suffix: (folder / f"walk.{suffix}", export_animation(graph, folder / f"walk.{suffix}", scale=SCALE,
                                                                 fps=2 if suffix == "mp4" else 1))
            for suffix in suffixes}


def test_a_gif_of_mlp_has_a_frame_per_step_all_one_size(mlp_gif):
    path, made = mlp_gif
    with Image.open(path) as image:
        assert image.format == "GIF" and image.is_animated and image.n_frames == 16 == made.frames
        size = image.size
    assert all(frame.size == size for frame in frames_of(path))
    assert made.size == path.stat().st_size and written_by_graphstep(path)


def test_the_last_frame_stays_up_longer(mlp_gif):
    shown = durations(mlp_gif[0])
    assert shown[:-1] == [250] * 15 and shown[-1] >= 3000


def test_the_captions_follow_the_steps(mlp_gif):
    path = mlp_gif[0]
    expected = captions(SAMPLES / "mlp.py")
    with Image.open(path) as image:
        assert image.info["comment"].decode("utf-8").splitlines()[1:] == expected
    frames = frames_of(path)
    canvas = Canvas.around([(frames[0].width, 1)], expected, SCALE)
    text = (0, 0, canvas.width, canvas.band - canvas.bar)  # the caption's lines, above the progress bar
    drawn = [np.asarray(canvas.caption(c, 0).crop(text), dtype=float) for c in expected]
    for k, frame in enumerate(frames):
        shown = np.asarray(frame.crop(text), dtype=float)
        distances = [np.abs(shown - d).mean() for d in drawn]
        assert int(np.argmin(distances)) == k, f"frame {k} shows the caption of step {np.argmin(distances)}"
        assert distances[k] < 2  # the same pixels, up to the GIF's palette


def test_the_progress_bar_grows(mlp_gif):
    frames = frames_of(mlp_gif[0])
    canvas = Canvas.around([(frames[0].width, 1)], captions(SAMPLES / "mlp.py"), SCALE)
    row = canvas.band - 1
    lengths = [sum(1 for x in range(frame.width) if frame.getpixel((x, row))[2] < 100) for frame in frames]
    assert lengths == sorted(lengths) and lengths[0] == 0 and lengths[-1] >= frames[0].width - 1


def test_every_and_from_to_pick_the_frames(tmp_path, capsys):
    out = tmp_path / "part.gif"
    args = ["export", str(SAMPLES / "mlp.py"), "-o", str(out), "--every", "4", "--from", "2", "--to", "12",
            "--scale", "0.3", "--fps", "5"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (4 frames, ")
    with Image.open(out) as image:
        assert image.n_frames == 4
        said = image.info["comment"].decode("utf-8").splitlines()
    assert [line.split(" ")[1] for line in said[1:]] == ["2", "6", "10", "12"] and "steps 2–12" in said[0]
    assert durations(out) == [200, 200, 200, 3000]


@pytest.mark.parametrize(("total", "options", "steps"), [
    (15, {}, list(range(16))),
    (15, {"every": 5}, [0, 5, 10, 15]),
    (15, {"every": 4}, [0, 4, 8, 12, 15]),
    (15, {"start": 3, "stop": 3}, [3]),
    (15, {"every": 10, "start": 8}, [8, 15]),
])
def test_walk_steps_end_on_the_step_asked_for(total, options, steps):
    assert walk_steps(total, **options) == steps


@pytest.mark.parametrize("options", [{"every": 0}, {"start": 5, "stop": 4}, {"stop": 16}, {"start": -1}])
def test_walk_steps_out_of_range_are_refused(options):
    with pytest.raises(gs.GraphstepError):
        walk_steps(15, **options)


@pytest.mark.parametrize(("suffix", "kind"), [("apng", "PNG"), ("webp", "WEBP"), ("gif", "GIF")])
def test_apng_and_webp_decode_frame_by_frame(double_walks, suffix, kind):
    path, made = double_walks[suffix]
    with Image.open(path) as image:
        assert image.format == kind and image.n_frames == made.frames == 4
        size = image.size
    assert [frame.size for frame in frames_of(path)] == [size] * 4
    assert written_by_graphstep(path)


def test_an_mp4_plays_every_frame(double_walks):
    av = pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
    path, made = double_walks["mp4"]
    with av.open(str(path)) as video:
        decoded = [frame.to_image() for frame in video.decode(video=0)]
        seconds = float(video.duration) / av.time_base
    assert len(decoded) >= made.frames == 4 and len({image.size for image in decoded}) == 1
    assert seconds == pytest.approx(3 * 0.5 + 3, abs=0.1)
    assert written_by_graphstep(path)


def test_mp4_without_pyav_is_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "av", None)  # import av fails, as without the extra
    assert main(["export", str(SAMPLES / "double.py"), "-o", str(tmp_path / "walk.mp4")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'graphstep[video]'" in err
    assert not list(tmp_path.iterdir())


def test_a_gif_of_the_users_is_never_replaced_without_force(tmp_path, capsys):
    path = tmp_path / "walk.gif"
    Image.new("RGB", (4, 4), "red").save(path)
    theirs = path.read_bytes()
    args = ["export", str(SAMPLES / "double.py"), "-o", str(path), "--scale", "0.3"]
    assert main(args) == 2
    assert "will not replace" in capsys.readouterr().err and path.read_bytes() == theirs
    assert main([*args, "--force"]) == 0 and written_by_graphstep(path)
    assert main(args) == 0  # graphstep's own animation is replaced freely
    assert [p.name for p in tmp_path.iterdir()] == ["walk.gif"]  # nothing left beside it


@pytest.mark.parametrize("suffix", ["gif", "webp", "apng", "mp4"])
def test_an_edited_animation_is_the_users(tmp_path, double_walks, suffix):
    if suffix == "mp4":
        pytest.importorskip("av", reason="the video extra (PyAV) is not installed")
    path = tmp_path / f"walk.{suffix}"
    data = bytearray(double_walks[suffix][0].read_bytes())
    assert is_sealed(bytes(data))
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert not written_by_graphstep(path)
    with pytest.raises(gs.GraphstepError, match="will not replace"):
        export_animation(gs.trace(gs.load(str(SAMPLES / "double.py"))), path, scale=0.3)


@pytest.mark.parametrize(("fmt", "data"), [("gif", b"GIF89a" + b"x" * 40 + b";"),
                                           ("webp", b"RIFF" + (16).to_bytes(4, "little") + b"WEBP" + b"x" * 12),
                                           ("mp4", b"\0\0\0\x10ftypisom" + b"x" * 30)])
def test_seals_of_animations_come_off_whole(fmt, data):
    sealed = seal(data, fmt)
    assert sealed != data and is_sealed(sealed) and not is_sealed(data)
    assert not is_sealed(sealed[:-1])
