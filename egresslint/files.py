"""Discovery: paths -> the files to scan, with their kind; and reading them safely.

Directories are walked without following symlinks (no loops); VCS, vendor and virtualenv
folders, anything ``.gitignore``d and the configured excludes are skipped; paths given explicitly
are always read, unless ``--force-exclude``.
Reading never raises: undecodable, binary, oversized or vanished files become notices or
EGL001 findings.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

from egresslint.frontends import FileKind, SourceFile
from egresslint.report import Notification

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "vendor", "third_party", ".venv", "venv",
    "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".egresslint_cache", "site-packages", ".terraform", ".idea", ".vscode",
})
SCRIPT_SUFFIXES: dict[str, str | None] = {
    ".sh": "bash", ".bash": "bash", ".zsh": "bash", ".ksh": "bash", ".azcli": None,
    ".ps1": "powershell", ".psm1": "powershell",
}
DATA_SUFFIXES: dict[str, FileKind] = {
    ".json": "json", ".jsonc": "json", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown",
    ".markdown": "markdown",
}
SHELLS = ("sh", "bash", "zsh", "ksh", "dash", "pwsh", "powershell")
# Configuration of egresslint and of the tools that run it: YAML, but never infrastructure, so
# they are not inputs (and not counted as scanned files)
TOOL_CONFIG_NAMES = frozenset({".egresslint.yaml", ".egresslint.yml", ".pre-commit-config.yaml",
                               ".pre-commit-hooks.yaml"})
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path  # as found (absolute)
    display: str  # relative to the root, POSIX separators
    kind: FileKind
    dialect: str | None = None


def find_root(paths: Iterable[Path]) -> Path:
    """The project root: the nearest folder (upwards from the scanned paths) holding
    ``.egresslint.yaml``, a ``pyproject.toml`` with ``[tool.egresslint]``, or ``.git``;
    otherwise the common folder of the paths."""
    resolved = [resolve(p) for p in paths]
    common = Path(os.path.commonpath([str(p) for p in resolved])) if resolved else Path.cwd()
    start = common if common.is_dir() else common.parent
    for folder in (start, *start.parents):
        if (folder / ".egresslint.yaml").is_file() or (folder / ".git").exists():
            return folder
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "[tool.egresslint" in pyproject.read_text(encoding="utf-8", errors="replace"):
                    return folder
            except OSError:
                pass
    return start


def resolve(path: Path) -> Path:
    """``path.resolve()``, except that a symlink loop names the link itself instead of raising
    (RuntimeError before Python 3.13, OSError after); reading it then fails cleanly."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.parent.resolve() / path.name


def display_path(path: Path, root: Path) -> str:
    return _relative(resolve(path), root)


def _relative(resolved: Path, root: Path) -> str:
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(resolved, root)).as_posix()


class _Ignores:
    """``.gitignore`` files met during the walk, each applying below its folder."""

    def __init__(self, root: Path) -> None:
        self._specs: list[tuple[Path, object]] = []
        self._root = root

    def add_folder(self, folder: Path) -> None:
        gi = folder / ".gitignore"
        if not gi.is_file():
            return
        try:
            import pathspec

            lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
            self._specs.append((folder, pathspec.GitIgnoreSpec.from_lines(lines)))
        except (OSError, ImportError, ValueError):
            return

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for folder, spec in self._specs:
            try:
                rel = path.relative_to(folder).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):  # type: ignore[attr-defined]
                return True
        return False


def classify(path: Path, sniff: bool = True) -> tuple[FileKind, str | None] | None:
    """The kind of file (and script dialect) by extension, or by shebang when it has none."""
    suffix = path.suffix.lower()
    if suffix in SCRIPT_SUFFIXES:
        return "script", SCRIPT_SUFFIXES[suffix]
    if suffix in DATA_SUFFIXES:
        return None if path.name in TOOL_CONFIG_NAMES else (DATA_SUFFIXES[suffix], None)
    if suffix or not sniff:
        return None
    try:
        with open_regular(path) as fh:
            head = fh.read(128)
    except OSError:
        return None
    if not head.startswith(b"#!"):
        return None
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    words = first[2:].replace("/", " ").split()
    for word in words:
        if word in SHELLS:
            return "script", ("powershell" if word in ("pwsh", "powershell") else "bash")
    return None


def discover(paths: Iterable[Path], root: Path, notes: list[Notification],
             extra_excludes: Iterable[str] = (), force_exclude: bool = False) -> list[Candidate]:
    """Files to scan, sorted by display path (deterministic output).

    ``extra_excludes`` (the configuration's exclude and extend-exclude) apply, like ruff's, to
    what a folder walk meets below the folder given. A path given by name is scanned even when
    it or a folder above it is excluded (the user asked for it), unless ``force_exclude``:
    pre-commit passes every changed file by name, excluded or not."""
    patterns = exclude_patterns(extra_excludes)
    found: dict[str, Candidate] = {}
    for given in paths:
        if not given.exists() and not given.is_symlink():
            notes.append(Notification("error", f"{given}: no such file or directory", str(given)))
            continue
        display = display_path(given, root)
        if force_exclude and force_excluded(display, patterns):
            continue
        if not given.is_dir():  # a file, or a FIFO or device given by name: read() refuses those
            kind = classify(given)
            if kind is not None:
                found[display] = Candidate(given, display, kind[0], kind[1])
            continue
        for cand in _walk(given, root, notes, patterns):
            found.setdefault(cand.display, cand)
    return [found[k] for k in sorted(found)]


def exclude_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """Configured patterns in the form :func:`excluded` matches: ``tests/fixtures/`` and
    ``./tests/fixtures`` name the folder ``tests/fixtures``."""
    out = []
    for pat in patterns:
        while pat.startswith("./"):
            pat = pat[2:]
        pat = pat.rstrip("/")
        if pat:
            out.append(pat)
    return tuple(out)


def excluded(display: str, patterns: tuple[str, ...]) -> bool:
    """Whether the file or folder ``display`` (root-relative, POSIX) matches an exclude pattern,
    by its whole path (``generated/*``, ``infra/legacy``) or by its name (``*.gen.sh``,
    ``fixtures``: any file or folder so named), as ruff's ``exclude`` does. A folder that
    matches is not entered."""
    if not patterns:
        return False
    import fnmatch

    name = display.rsplit("/", 1)[-1]
    if display.startswith("../"):  # outside the root, which paths in patterns are relative to
        return any(fnmatch.fnmatch(name, pat) for pat in patterns)
    return any(fnmatch.fnmatch(display, pat) or fnmatch.fnmatch(name, pat) for pat in patterns)


def force_excluded(display: str, patterns: tuple[str, ...]) -> bool:
    """``--force-exclude``: whether a path given by name would have been left out by a walk
    from the root: it or one of its folders is excluded or is a folder never walked
    (:data:`SKIP_DIRS`). ``.gitignore`` does not apply to named paths, as in ruff: pre-commit
    passes only tracked files, and a tracked file that matches ``.gitignore`` was added on
    purpose."""
    parts = display.split("/")
    for i, part in enumerate(parts):
        if part in (".", ".."):
            continue
        if part in SKIP_DIRS or excluded("/".join(parts[: i + 1]), patterns):
            return True
    return False


def _walk(top: Path, root: Path, notes: list[Notification], patterns: tuple[str, ...] = ()) -> Iterator[Candidate]:
    ignores = _Ignores(root)
    # .gitignore files above the scanned folder, up to the root, apply too
    top_resolved = top.resolve()
    for folder in reversed([top_resolved, *top_resolved.parents]):
        if folder == root or root in folder.parents:
            ignores.add_folder(folder)

    def onerror(err: OSError) -> None:
        notes.append(Notification("warning", f"cannot read folder: {err.strerror}", err.filename))

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror):
        here = Path(dirpath)
        # resolved once per folder: the walk never follows a symlinked folder, so below a
        # resolved folder only a symlinked file needs resolving again (a realpath per file
        # was a third of a 5,000-file re-scan)
        real = here.resolve()
        if here != top:
            ignores.add_folder(real)
        kept = []
        for d in sorted(dirnames):
            full = here / d
            if (d in SKIP_DIRS or full.is_symlink() or ignores.ignored(real / d, True)
                    or (patterns and excluded(_relative(real / d, root), patterns))):
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            full = here / name
            link = full.is_symlink()
            if ignores.ignored(full.absolute() if link else real / name, False):
                continue
            kind = classify(full)
            if kind is not None:
                display = display_path(full, root) if link else _relative(real / name, root)
                if not excluded(display, patterns):
                    yield Candidate(full, display, kind[0], kind[1])


class Stamp(NamedTuple):
    """What the stat index (:func:`egresslint.engine.prepare`) compares to tell that a file is
    unchanged without reading it, as git's index does (the change time cannot be set back, so
    no edit keeps it)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int


def stamp(path: Path) -> Stamp | None:
    """The file's :class:`Stamp`; None for what is not a regular file (read() refuses those)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Stamp(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class Sources(Mapping[str, str]):
    """Display path -> text of the analysed files, for suppressions' baselines and reporters'
    excerpts. A file that the stat index vouches for is read only when its text is asked for
    (a re-scan of a large project reads the few files it reports on, not all of them)."""

    def __init__(self, max_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        self._texts: dict[str, str | Candidate] = {}
        self._max_size = max_size

    def __setitem__(self, display: str, text: str) -> None:
        self._texts[display] = text

    def defer(self, cand: Candidate) -> None:
        self._texts[cand.display] = cand

    def __getitem__(self, display: str) -> str:
        value = self._texts[display]
        if isinstance(value, Candidate):
            # read as the scan read it; a file that vanished since shows no excerpt
            loaded = read(value, self._max_size)
            value = loaded.source.text if loaded.source is not None else ""
            self._texts[display] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


@dataclass(frozen=True, slots=True)
class ReadResult:
    source: SourceFile | None
    note: Notification | None = None
    decode_error: tuple[int, int, str] | None = None  # line, column, message -> EGL001


class NotRegularFile(OSError):
    """A FIFO, device or socket where a file was expected."""


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes is over --max-file-size ({limit:,})")


# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever (it has no
# effect on regular files); O_NOCTTY: opening a terminal must not make it ours.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for binary reading, refusing anything but a regular file. The check is
    ``fstat`` on the open descriptor, so a file swapped for a FIFO or a symlink to /dev/zero
    between discovery and reading is still refused rather than read forever."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile("not a regular file (a FIFO, device or socket)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, max_size: int) -> bytes:
    """The content of a regular file of at most ``max_size`` bytes. The size is checked before
    reading and the read itself is bounded, so a file growing while it is read cannot exhaust
    memory either. Raises ``OSError`` (``NotRegularFile``, ``FileTooLarge`` included)."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_size:
            raise FileTooLarge(size, max_size)
        data = fh.read(max_size + 1)
    if len(data) > max_size:
        raise FileTooLarge(len(data), max_size)
    return data


def read(cand: Candidate, max_size: int = DEFAULT_MAX_FILE_SIZE) -> ReadResult:
    """Read and decode a candidate. UTF-8 (BOM allowed) or UTF-16/32 with a BOM; binary files
    (NUL bytes) are skipped; invalid UTF-8 decodes with replacement and reports EGL001 at the
    first bad byte."""
    try:
        data = read_bytes(cand.path, max_size)
    except (FileTooLarge, NotRegularFile) as exc:
        return ReadResult(None, Notification("warning", f"skipped: {exc}", cand.display))
    except FileNotFoundError:
        return ReadResult(None, Notification("warning", "skipped: the file disappeared during the scan",
                                             cand.display))
    except OSError as exc:
        return ReadResult(None, Notification("error", f"cannot read file: {exc.strerror or exc}", cand.display))
    text, error = decode(data)
    if text is None:
        return ReadResult(None, Notification("warning", "skipped: binary file", cand.display))
    return ReadResult(SourceFile(cand.display, text, cand.kind, cand.dialect), decode_error=error)


# UTF-32 LE first: its BOM starts with the UTF-16 LE one
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode(data: bytes) -> tuple[str | None, tuple[int, int, str] | None]:
    utf8_bom = data.startswith(codecs.BOM_UTF8)
    if utf8_bom:
        # dropped and read as plain UTF-8: the utf-8-sig codec reports error offsets that do
        # not count the BOM, which would misplace the EGL001
        data = data[len(codecs.BOM_UTF8):]
    for bom, encoding in () if utf8_bom else _BOMS:
        if data.startswith(bom):
            try:
                return _normalise(data.decode(encoding)), None
            except UnicodeDecodeError as exc:
                return (_normalise(data.decode(encoding, errors="replace")),
                        _position(data, exc.start, str(exc), encoding))
    if b"\x00" in data[:8192]:
        return None, None
    try:
        return _normalise(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        return _normalise(text), _position(data, exc.start, f"invalid UTF-8 byte 0x{data[exc.start]:02x}")


def _normalise(text: str) -> str:
    # CRLF and lone CR read as LF so every frontend counts lines the same way
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _position(data: bytes, offset: int, message: str, encoding: str = "utf-8") -> tuple[int, int, str]:
    """Line and column (in characters, CR/CRLF read as LF like the text) of byte ``offset``.
    The prefix is decoded, not searched for b"\\n": in UTF-16/32 a newline is several bytes and
    other characters contain 0x0a bytes."""
    before = _normalise(data[:offset].decode(encoding, errors="replace"))
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column, message
