"""Provides ``write_file`` and ``Folder``: the one way graphstep writes files, so nothing of the user's is lost.

The rule.  graphstep never replaces a file it did not write, nor a read-only one,
unless told to (``force=True``, ``--force`` on the command line); it writes
atomically (a temporary file in the same folder, then ``os.replace``: an
interrupted write leaves the old file as it was and no temporary behind); it
keeps the mode of a file it replaces; and it replaces a folder of frames as a
whole (built beside it, then swapped in), so stale frames never linger and a
crash midway leaves the old folder intact.

How graphstep knows a file is its own: each file it writes carries a *seal*, the
SHA-256 of the rest of the file, where the format allows a comment:

====================  =====================================================================
SVG, HTML             a last line ``<!-- written by graphstep, sha256 HEX -->``
DOT                   a last line ``// written by graphstep, sha256 HEX``
folder manifest       a last line ``# written by graphstep, sha256 HEX``
PNG                   a ``tEXt`` chunk ``Software: graphstep, sha256 HEX`` before ``IEND``
PDF                   a comment line ``%written by graphstep, sha256 HEX`` before ``startxref``
                      (after every object, so no byte offset moves)
GIF                   a comment extension ``written by graphstep, sha256 HEX`` before the trailer
WebP                  a last chunk ``GSTP`` holding ``graphstep, sha256 HEX`` (readers skip
                      chunks they do not know), the RIFF size counting it
MP4                   a last top-level ``free`` box ``written by graphstep, sha256 HEX``
====================  =====================================================================

An animated PNG (APNG) is a PNG and sealed as one.

A file is graphstep's when its seal is there and still matches: a picture the
user has edited by hand is theirs again, and a file that merely has the name
graphstep would choose is never replaced by accident.  The seal travels with
the file and leaves nothing beside the user's sources.  A file of another
format is written without a seal, so replacing it always needs ``force``.

A folder of frames is graphstep's when it is empty, or holds a sealed manifest
``.graphstep-frames`` listing its files and nothing else, each with its seal
intact.  Such a folder is replaced as a whole.  A folder holding anything else
(the user's own ``index.html``, notes) is refused; with ``force`` the new files
are moved in by name and the stale ones of an earlier run are deleted, while
every file graphstep did not write and will not replace stays where it is.

Engine-level: this module imports neither textual nor graphviz.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

from .errors import GraphstepError

MANIFEST = ".graphstep-frames"
_SEAL = "written by graphstep, sha256 "
_TEXT_SEAL = re.compile(rb"(?:<!-- |// |# )written by graphstep, sha256 ([0-9a-f]{64})(?: -->)?\n\Z")
_COMMENT = {"svg": ("<!-- ", " -->"), "html": ("<!-- ", " -->"), "dot": ("// ", ""), "text": ("# ", "")}
_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_SEAL = b"Software\0graphstep, sha256 "
_PDF_SEAL = b"%" + _SEAL.encode()
_HEX = 64  # the digest's length in hex
_GIF_SEAL = b"!\xfe" + bytes([len(_SEAL) + _HEX]) + _SEAL.encode()  # a comment extension: one sub-block
_WEBP_SEAL = b"GSTP" + struct.pack("<I", 18 + _HEX) + b"graphstep, sha256 "
_MP4_SEAL = struct.pack(">I", 8 + len(_SEAL) + _HEX) + b"free" + _SEAL.encode()
_TAIL = 4096  # bytes at the end of a file that hold its seal, whatever the format
FORCE_HINT = "pass --force (force=True in Python) to replace it"


class OverwriteError(GraphstepError):
    """A write that would replace something graphstep did not write, or a read-only file."""


# ── seals ──

def seal(data: bytes, fmt: str) -> bytes:
    """``data`` carrying graphstep's seal in the place ``fmt`` allows a comment; unchanged for other formats."""
    if fmt in _COMMENT:
        body = data if not data or data.endswith(b"\n") else data + b"\n"
        start, end = _COMMENT[fmt]
        return body + f"{start}{_SEAL}{_digest(body)}{end}\n".encode()
    if fmt == "png" and data.startswith(_PNG) and data[-8:-4] == b"IEND":
        text = _PNG_SEAL + _digest(data).encode()
        chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
        return data[:-12] + chunk + data[-12:]
    if fmt == "gif" and data.startswith(b"GIF8") and data.endswith(b";"):
        return data[:-1] + _GIF_SEAL + _digest(data).encode() + b"\0;"
    if fmt == "webp" and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        sealed = data + _WEBP_SEAL + _digest(data).encode()
        return sealed[:4] + struct.pack("<I", len(sealed) - 8) + sealed[8:]
    if fmt == "mp4" and data[4:8] == b"ftyp":
        return data + _MP4_SEAL + _digest(data).encode()
    at = data.rfind(b"startxref") if fmt == "pdf" else -1
    if at > 0 and data[at - 1:at] in (b"\n", b"\r"):
        return data[:at] + _PDF_SEAL + _digest(data).encode() + b"\n" + data[at:]
    return data


def is_sealed(data: bytes) -> bool:
    """Whether ``data`` carries graphstep's seal and is, apart from it, exactly what graphstep wrote."""
    if data.startswith(_PNG):
        found = _png_unsealed(data)
    elif data.startswith(b"%PDF"):
        found = _pdf_unsealed(data)
    elif data.startswith(b"GIF8"):
        found = _tail_unsealed(data[:-2], _GIF_SEAL, data[-2:] == b"\0;")
        found = found and (found[0] + b";", found[1])
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        found = _tail_unsealed(data, _WEBP_SEAL)
        found = found and (found[0][:4] + struct.pack("<I", len(found[0]) - 8) + found[0][8:], found[1])
    elif data[4:8] == b"ftyp":
        found = _tail_unsealed(data, _MP4_SEAL)
    else:
        found = _text_unsealed(data)
    return found is not None and _digest(found[0]) == found[1]


def written_by_graphstep(path: str | os.PathLike) -> bool:
    """Whether the file at ``path`` is graphstep's own: sealed, and not edited since."""
    try:
        if not os.path.isfile(path):
            return False
        with open(path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - _TAIL))
            if b"graphstep, sha256 " not in f.read():  # every seal sits near the end: a large file of
                return False                           # the user's is not read whole
            f.seek(0)
            return is_sealed(f.read())
    except OSError:  # unreadable: not a file graphstep may take as its own
        return False


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _text_unsealed(data: bytes) -> tuple[bytes, str] | None:
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    found = _TEXT_SEAL.match(data, start)
    return (data[:start], found[1].decode()) if found else None


def _png_unsealed(data: bytes) -> tuple[bytes, str] | None:
    pos = len(_PNG)
    while pos + 12 <= len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + size
        if data[pos + 4:pos + 8] == b"tEXt" and data.startswith(_PNG_SEAL, pos + 8):
            return data[:pos] + data[end:], data[pos + 8 + len(_PNG_SEAL):end - 4].decode("ascii", "replace")
        pos = end
    return None


def _tail_unsealed(data: bytes, mark: bytes, framed: bool = True) -> tuple[bytes, str] | None:
    """(the data before a seal ``mark + HEX`` that ends ``data``, HEX), for formats sealed by appending."""
    at = len(data) - len(mark) - _HEX
    if not framed or at < 0 or not data.startswith(mark, at):
        return None
    return data[:at], data[at + len(mark):].decode("ascii", "replace")


def _pdf_unsealed(data: bytes) -> tuple[bytes, str] | None:
    at = data.rfind(b"\n" + _PDF_SEAL)
    end = data.find(b"\n", at + 1)
    if at < 0 or end < 0:
        return None
    return data[:at + 1] + data[end + 1:], data[at + 1 + len(_PDF_SEAL):end].decode("ascii", "replace")


# ── single files ──

def refusal(path: str | os.PathLike, *, force: bool = False) -> str | None:
    """Why writing ``path`` would lose something of the user's, or None when it may be written."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"cannot read it: {err.strerror}"
    if stat.S_ISDIR(info.st_mode):
        return "it is a folder"
    if force or not stat.S_ISREG(info.st_mode):  # a pipe or a terminal is written to, never replaced
        return None
    if not info.st_mode & stat.S_IWUSR:  # by mode, not access(): root may write anything, but the user said no
        return "it is read-only"
    if not written_by_graphstep(path):
        return "graphstep did not write it (it may be yours)"
    return None


def check_replaceable(path: str | os.PathLike, *, force: bool = False) -> None:
    """Raise OverwriteError, naming the file and ``--force``, when writing ``path`` would lose the user's work."""
    why = refusal(_resolved(path), force=force)
    if why == "it is a folder":
        raise OverwriteError(f"cannot write {path}: it is a folder", hint="give a file name, e.g. graph.svg")
    if why:
        raise OverwriteError(f"will not replace {path}: {why}", hint=f"choose another name, or {FORCE_HINT}")


def write_file(path: str | os.PathLike, data: bytes, fmt: str, *, force: bool = False) -> Path:
    """Write ``data`` (a ``fmt`` file) to ``path`` sealed and atomically, keeping the mode of the file it replaces.

    Raises OverwriteError when ``path`` is a file graphstep did not write or a
    read-only one and ``force`` is false; GraphstepError when it cannot write.
    """
    path = Path(path)
    target = _resolved(path)
    check_replaceable(path, force=force)
    data = seal(data, fmt)
    try:
        info = os.stat(target)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_through(path, target, data)
        return path
    mode = stat.S_IMODE(info.st_mode) if info else _new_mode(0o666)
    _replace_atomically(path, target, data, mode)
    return path


def free_names(names_for: Callable[[int], list[Path]], *, tries: int = 99) -> list[Path]:
    """The first of ``names_for(1)``, ``names_for(2)`` … that graphstep may write without ``force``.

    For pictures written beside the user's own files: a name taken by a file of
    theirs moves graphstep on to the next number instead of replacing it.
    """
    for k in range(1, tries + 1):
        paths = names_for(k)
        if not any(refusal(_resolved(p)) for p in paths):
            return paths
    first = names_for(1)[0]
    raise OverwriteError(f"will not replace {first} nor any of the next {tries - 1} numbered names: "
                         "graphstep did not write them", hint="move some of them away")


def _resolved(path: str | os.PathLike) -> Path:
    """The file a symlink points to: graphstep writes through a link, as an editor does, never replaces it."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _replace_atomically(path: Path, target: Path, data: bytes, mode: int) -> None:
    directory = target.parent
    if not directory.is_dir():
        raise GraphstepError(f"cannot write {path}: folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise GraphstepError(f"cannot write {path}: {_why(err, directory)}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as err:  # ctrl+c too: never leave a temporary behind
        _remove(tmp)
        if isinstance(err, OSError):
            raise GraphstepError(f"cannot write {path}: {_why(err, directory)}") from None
        raise


def _write_through(path: Path, target: Path, data: bytes) -> None:
    try:
        with open(target, "wb") as out:
            out.write(data)
    except OSError as err:
        raise GraphstepError(f"cannot write {path}: {err.strerror}") from None


def _why(err: OSError, directory: Path) -> str:
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"folder {directory} is read-only for you"
    if err.errno == errno.EROFS:
        return f"folder {directory} is on a read-only file system"
    return err.strerror or str(err)


def _remove(path: str | os.PathLike) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _new_mode(base: int) -> int:
    """``base`` less the umask: the mode ``open`` or ``mkdir`` would give (``mkstemp`` and ``mkdtemp`` give 0o600)."""
    return base & ~_umask()


@functools.cache
def _umask() -> int:
    # Linux says it without changing it, which another thread might notice
    with contextlib.suppress(OSError, ValueError, StopIteration), open("/proc/self/status", encoding="ascii") as st:
        return int(next(line for line in st if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ── folders ──

def foreign_files(directory: str | os.PathLike) -> list[str]:
    """The names in ``directory`` that graphstep did not write there (all of them without an intact manifest)."""
    directory = Path(directory)
    names = sorted(os.listdir(directory))
    listed = _listed(directory / MANIFEST)
    if listed is None:
        return names
    return [n for n in names if n != MANIFEST and (n not in listed or not written_by_graphstep(directory / n))]


def check_folder(directory: str | os.PathLike, *, force: bool = False) -> None:
    """Raise OverwriteError when replacing the folder ``directory`` would lose the user's files (unless ``force``)."""
    target = _resolved(directory)
    if target.exists() and not target.is_dir():
        raise OverwriteError(f"cannot write frames into {directory}: it is a file, not a folder",
                             hint="give the name of a new folder")
    if force or not target.is_dir():
        return
    foreign = foreign_files(target)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OverwriteError(f"will not replace the folder {directory}: it holds files graphstep did not write "
                             f"({shown})", hint="choose a new folder, or pass --force (force=True in Python) to "
                                               "replace the files graphstep writes there and keep the others")


def _listed(manifest: Path) -> set[str] | None:
    try:
        data = manifest.read_bytes()
    except OSError:
        return None
    if not is_sealed(data):
        return None
    return {line for line in data.decode("utf-8", "replace").splitlines() if line and not line.startswith("#")}


class Folder:
    """A folder written as a whole: files are staged in a folder beside it that replaces it when all went well.

    ::

        with Folder("frames", force=False) as folder:   # refuses here, before any work
            folder.write("step-000.svg", svg, "svg")
        folder.paths                                    # the files now in frames/

    An exception (ctrl+c too) inside the block removes the staging folder and
    leaves the old one as it was.
    """

    def __init__(self, directory: str | os.PathLike, *, force: bool = False) -> None:
        self.directory = Path(directory)
        self.target = _resolved(self.directory)
        self.force = force
        self.names: list[str] = []
        self.staging: Path | None = None

    @property
    def paths(self) -> list[Path]:
        return [self.directory / name for name in self.names]

    def __enter__(self) -> Folder:
        check_folder(self.directory, force=self.force)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                                 suffix=".tmp"))
        except OSError as err:
            raise GraphstepError(f"cannot write frames into {self.directory}: "
                                 f"{_why(err, self.target.parent)}") from None
        return self

    def write(self, name: str, data: bytes, fmt: str) -> None:
        """Stage the file ``name`` of the new folder."""
        self._stage(name, data, fmt)
        self.names.append(name)

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is None:
                self._stage(MANIFEST, "\n".join(["# the files graphstep wrote here", *self.names]).encode(), "text")
                self._commit()
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)

    def _stage(self, name: str, data: bytes, fmt: str) -> None:
        """Write ``name`` sealed into the staging folder, with the mode of the file of that name it will replace."""
        old = self.target / name
        mode = stat.S_IMODE(old.stat().st_mode) if old.is_file() else _new_mode(0o666)
        staged = self.staging / name
        try:
            staged.write_bytes(seal(data, fmt))
            os.chmod(staged, mode)
        except OSError as err:
            raise GraphstepError(f"cannot write {self.directory / name}: {_why(err, self.staging)}") from None

    def _commit(self) -> None:
        try:
            if not self.target.is_dir():
                os.chmod(self.staging, _new_mode(0o777))
                os.rename(self.staging, self.target)
            elif self.force and foreign_files(self.target):
                self._move_in_by_name()
            else:
                check_folder(self.directory)  # again: the user may have added a file while frames were drawn
                self._swap()
        except OSError as err:
            raise GraphstepError(f"cannot write frames into {self.directory}: {_why(err, self.target)}") from None

    def _swap(self) -> None:
        """Rename the old folder away, the new one in (back again if that fails), then delete the old."""
        os.chmod(self.staging, stat.S_IMODE(self.target.stat().st_mode))
        old = Path(tempfile.mkdtemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".old"))
        os.rmdir(old)
        os.rename(self.target, old)
        try:
            os.rename(self.staging, self.target)
        except BaseException:
            os.rename(old, self.target)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def _move_in_by_name(self) -> None:
        """``force`` over a folder with files of the user's: replace graphstep's names, delete its stale files."""
        stale = (_listed(self.target / MANIFEST) or set()) - {*self.names, MANIFEST}
        for name in [*self.names, MANIFEST]:
            os.replace(self.staging / name, self.target / name)
        for name in stale:
            if written_by_graphstep(self.target / name):
                _remove(self.target / name)
