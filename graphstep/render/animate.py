"""Provides ``export_animation``: the walk as one animation (GIF, APNG, WebP; MP4 with the ``video`` extra).

Each frame is the picture ``--frames`` draws for its step (``export.step_pictures``:
folded as the TUI folds, laid out in parallel, each drawn once), rasterised at
the asked scale, under a caption band with the step's formula and a progress
bar.  Every frame is padded to one canvas, the largest picture's size, so
nothing jumps from frame to frame; the last frame stays up longer.  Pillow
assembles GIF, APNG and WebP (a core dependency: ``pip install`` is enough);
PyAV writes MP4.  The file is written like every other (``graphstep.files``):
sealed, atomically, never over a file graphstep did not write unless ``force``.
GIF and APNG carry the captions, one a line, in their comment.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from ..core.graph import Graph
from ..core.stepper import Stepper
from ..core.work import Progress, Work
from ..errors import GraphstepError
from ..files import check_replaceable, write_file
from .dot import LIMIT
from .engines import TIMEOUT
from .export import fresh_stepper, step_pictures

FORMATS = {"gif": "gif", "apng": "png", "webp": "webp", "mp4": "mp4"}  # suffix → how the file is sealed
DPI = 96  # Graphviz's PNG resolution: scale 1 draws frames as ``export -o x.png`` does
HOLD = 3.0  # seconds the last frame stays up
CAPTION = 15  # caption text height in pixels at scale 1
PAD = 8  # pixels around the caption at scale 1
MIN_WIDTH = 480  # pixels at scale 1: a narrow graph still leaves room for its captions
PAPER, INK, MUTED, BAR = (255, 255, 255), (33, 37, 41), (233, 236, 239), (253, 126, 20)


@dataclass(frozen=True)
class Animation:
    """An animation written: where, how many frames, how many bytes."""

    path: Path
    frames: int
    size: int

    def describe(self) -> str:
        """``41 frames, 1.2 MB``."""
        return f"{self.frames} frame{'s' * (self.frames != 1)}, {_bytes(self.size)}"


def animation_format(path: str | os.PathLike) -> str | None:
    """``gif``, ``apng``, ``webp`` or ``mp4`` when ``path`` names an animation, else None."""
    fmt = Path(path).suffix.lstrip(".").lower()
    return fmt if fmt in FORMATS else None


def export_animation(subject: Graph | Stepper, path: str | os.PathLike, *, every: int = 1, start: int = 0,
                     stop: int | None = None, scale: float = 1.0, fps: float = 1.0, hold: float = HOLD,
                     rankdir: str = "TB", full: bool = False, fold: bool | None = None, limit: int = LIMIT,
                     timeout: float = TIMEOUT, force: bool = False, progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> Animation:
    """Write the walk of ``subject`` from step ``start`` to ``stop`` (the end), a frame every ``every`` steps
    (``stop`` always drawn), as an animation at ``fps`` frames a second; the last stays ``hold`` seconds.

    ``scale`` 1 draws frames at the PNG export's size; ``fold`` and the rest as in ``export``.
    """
    path = Path(path)
    fmt = animation_format(path)
    if fmt is None:
        raise GraphstepError(f"cannot tell the animation format of {str(path)!r}",
                             hint="end the file name in .gif, .apng, .webp or .mp4")
    encode = _encoder(fmt)  # before any work: a missing PyAV costs nothing
    check_replaceable(path, force=force)
    _check_speed(scale, fps, hold)
    stepper = fresh_stepper(subject)
    steps = walk_steps(stepper.total, every=every, start=start, stop=stop)
    work = Work(f"drawing the frames of {stepper.graph.name}", len(steps), progress, cancel)
    pictures, captions = [], []
    frames = step_pictures(stepper, "png", work, steps=steps, timeout=timeout, dpi=DPI * scale, rankdir=rankdir,
                           full=full, fold=fold, limit=limit)
    with contextlib.closing(frames):
        for frame in frames:
            pictures.append(frame.image)
            captions.append(frame.caption)
            work.advance(f"step {frame.step}")
    canvas = Canvas.around([_size(p) for p in pictures], captions, scale)
    durations = [round(1000 / fps)] * (len(steps) - 1) + [round(1000 * max(hold, 1 / fps))]
    walked = [k / max(1, stepper.total) for k in steps]  # the progress bar: how far into the whole walk
    images = (canvas.compose(*frame) for frame in zip(pictures, captions, walked))
    comment = "\n".join([f"graphstep · {stepper.graph.name} · steps {steps[0]}–{steps[-1]}", *captions])
    data = encode(images, durations, comment)
    write_file(path, data, FORMATS[fmt], force=force)
    return Animation(path, len(steps), os.stat(path).st_size)


def walk_steps(total: int, *, every: int = 1, start: int = 0, stop: int | None = None) -> list[int]:
    """The steps drawn: ``start``, every ``every``-th after it, and ``stop`` (default ``total``) itself, so the
    animation always ends on the step asked for."""
    stop = total if stop is None else stop
    if every < 1:
        raise GraphstepError(f"--every must be 1 or more, not {every}")
    if not 0 <= start <= stop <= total:
        raise GraphstepError(f"steps {start} to {stop} are out of range: the walk has steps 0 to {total}",
                             hint="give 0 ≤ --from ≤ --to ≤ the last step")
    steps = list(range(start, stop + 1, every))
    return steps if steps[-1] == stop else [*steps, stop]


def _check_speed(scale: float, fps: float, hold: float) -> None:
    if not 0.05 <= scale <= 8:
        raise GraphstepError(f"--scale must be between 0.05 and 8, not {scale:g}")
    if not 0.1 <= fps <= 50:
        raise GraphstepError(f"--fps must be between 0.1 and 50 frames a second, not {fps:g}")
    if hold < 0:
        raise GraphstepError(f"the last frame cannot stay up {hold:g} seconds")


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:  # reads the header only
        return image.size


# ── the canvas ──

@dataclass(frozen=True)
class Canvas:
    """One size for every frame: a caption band on top (as many lines as the longest caption needs), the picture
    below it, centred, on white."""

    width: int
    height: int
    lines: int
    scale: float

    @classmethod
    def around(cls, sizes: list[tuple[int, int]], captions: list[str], scale: float) -> Canvas:
        width = max([round(MIN_WIDTH * scale), *(w for w, _ in sizes)])
        lines = max(len(_wrap(c, width, scale)) for c in captions)
        height = cls(width, 0, lines, scale).band + max(h for _, h in sizes)
        return cls(width + width % 2, height + height % 2, lines, scale)  # even sides: what video codecs need

    @property
    def band(self) -> int:
        """The caption band's height in pixels: the lines, the padding and the progress bar."""
        return round(self.lines * _line(self.scale) + 2 * PAD * self.scale) + self.bar

    @property
    def bar(self) -> int:
        return max(2, round(3 * self.scale))

    def caption(self, text: str, done: float) -> Image.Image:
        """The band of a frame: ``text`` wrapped to the canvas, over a bar ``done`` (0 … 1) of its width long."""
        band = Image.new("RGB", (self.width, self.band), PAPER)
        draw = ImageDraw.Draw(band)
        pad, font = round(PAD * self.scale), _font(round(CAPTION * self.scale))
        for i, line in enumerate(_wrap(text, self.width, self.scale)):
            draw.text((pad, pad + i * _line(self.scale)), line, font=font, fill=INK)
        top = self.band - self.bar
        draw.rectangle((0, top, self.width, self.band), fill=MUTED)
        if done > 0:
            draw.rectangle((0, top, round(self.width * done) - 1, self.band), fill=BAR)
        return band

    def compose(self, png: bytes, caption: str, done: float) -> Image.Image:
        """A whole frame: the band, then the picture centred under it."""
        frame = Image.new("RGB", (self.width, self.height), PAPER)
        frame.paste(self.caption(caption, done), (0, 0))
        with Image.open(io.BytesIO(png)) as picture:
            frame.paste(picture.convert("RGB"), ((self.width - picture.width) // 2, self.band))
        return frame


def _line(scale: float) -> int:
    return round(CAPTION * 1.35 * scale)


def _wrap(text: str, width: int, scale: float) -> list[str]:
    """``text`` in lines that fit ``width`` pixels (a monospaced font: its columns are all one width)."""
    font = _font(round(CAPTION * scale))
    columns = max(20, int((width - 2 * PAD * scale) // max(1.0, font.getlength("M"))))
    return textwrap.wrap(text, columns, break_on_hyphens=False) or [""]


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A monospaced font with the formulas' glyphs (ᵀ · × → ⊙ ✓) found on this machine, or Pillow's own."""
    for name in ("DejaVuSansMono.ttf", "FiraCode-Regular.ttf", "Menlo.ttc", "consola.ttf", "LiberationMono-Regular.ttf",
                 "cour.ttf"):
        with contextlib.suppress(OSError):
            return ImageFont.truetype(name, size)
    return ImageFont.load_default(size)


# ── encoders: frames, their durations in ms and a comment → the file's bytes ──

Encoder = Callable[[Iterator[Image.Image], list[int], str], bytes]


def _encoder(fmt: str) -> Encoder:
    if fmt == "mp4":
        try:
            import av  # noqa: F401  (the ``video`` extra)
        except ImportError:
            raise GraphstepError("writing .mp4 needs PyAV: pip install 'graphstep[video]' "
                                 "(or write .gif, .apng or .webp)") from None
        return _mp4
    return functools.partial(_pillow, fmt)


def _pillow(fmt: str, images: Iterator[Image.Image], durations: list[int], comment: str) -> bytes:
    """GIF (each frame its own 256 colours), APNG or lossless WebP, looping forever."""
    if fmt == "gif":
        images = (image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
                  for image in images)
    first, rest = next(images), list(images)
    options: dict = {"gif": {"comment": comment.encode("utf-8"), "optimize": False},
                     "apng": {"pnginfo": _png_comment(comment), "optimize": False, "compress_level": 6},
                     "webp": {"lossless": True, "quality": 60, "method": 2}}[fmt]
    out = io.BytesIO()
    first.save(out, format={"apng": "PNG"}.get(fmt, fmt.upper()), save_all=True, append_images=rest,
               duration=durations, loop=0, **options)
    return out.getvalue()


def _png_comment(comment: str) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Comment", comment)
    return info


def _mp4(images: Iterator[Image.Image], durations: list[int], comment: str) -> bytes:
    """H.264 in yuv420p at a constant frame rate, what every player plays: a frame that stays longer (the last)
    is repeated, which costs next to nothing once encoded."""
    from fractions import Fraction

    import av

    tick = min(durations)  # ms a frame
    rate = Fraction(1000, tick).limit_denominator(1000)
    out, at, stream = io.BytesIO(), 0, None
    with av.open(out, "w", format="mp4") as container:
        container.metadata["comment"] = comment
        for image, duration in zip(images, durations):
            if stream is None:
                stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=rate)
                stream.width, stream.height, stream.pix_fmt = image.width, image.height, "yuv420p"
            for _ in range(max(1, round(duration / tick))):
                frame = av.VideoFrame.from_image(image)
                frame.pts, frame.time_base = at, 1 / rate
                container.mux(stream.encode(frame))
                at += 1
        container.mux(stream.encode())
    return out.getvalue()


def _bytes(size: int) -> str:
    for unit, factor in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} bytes"
