"""Per-file cache of frontend results, so a re-scan (a pre-commit run on one changed file of a
large project) parses only what changed.

Entries live in ``.egresslint_cache/`` at the project root, keyed by a hash of the egresslint
code (:func:`code_fingerprint`), the file's path, kind and content (and its ARM parameters). They are pickles, and a
project folder is not trusted: every entry carries an HMAC made with a random key kept in the
user's own cache folder (mode 0600), and an entry whose HMAC does not verify is ignored, so a
planted file can never be unpickled.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
from pathlib import Path
from typing import Any

from egresslint import __version__

CACHE_DIR = ".egresslint_cache"
_MAC_SIZE = 32


@functools.cache
def code_fingerprint() -> str:
    """The version plus the size and modification time of every file of the installed package
    (code, grammars, rule data): entries made by other code are never used, also between
    releases (an editable install being worked on), at the cost of a stat per file."""
    h = hashlib.sha256(__version__.encode("utf-8"))
    package = Path(__file__).parent  # unresolved: an editable install links files into it
    for folder, dirs, names in os.walk(package, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".lark", ".yaml", ".yml", ".json")):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                h.update(f"{os.path.relpath(path, package)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _user_key() -> bytes | None:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "egresslint"
    key_file = base / "cache-key"
    try:
        return key_file.read_bytes()[:32] or None
    except OSError:
        pass
    try:
        base.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key
    except FileExistsError:
        try:
            return key_file.read_bytes()[:32] or None
        except OSError:
            return None
    except OSError:
        return None


class Cache:
    """Content-addressed store; every failure (read-only tree, full disk) just means a miss."""

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self._key = _user_key()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(path: str, kind: str, dialect: str | None, text: str, extra: Any = None) -> str:
        h = hashlib.sha256()
        for part in (code_fingerprint(), path, kind, dialect or "", repr(extra)):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        h.update(text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def get(self, key: str) -> Any | None:
        if self._key is None:
            return None
        try:
            blob = (self.folder / key[:2] / key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        mac, payload = blob[:_MAC_SIZE], blob[_MAC_SIZE:]
        if not hmac.compare_digest(mac, hmac.new(self._key, payload, hashlib.sha256).digest()):
            self.misses += 1
            return None
        try:
            value = pickle.loads(payload)  # noqa: S301 (HMAC-verified above: written by this user)
        except Exception:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if self._key is None:
            return
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            folder = self.folder / key[:2]
            folder.mkdir(parents=True, exist_ok=True)
            gitignore = self.folder / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(hmac.new(self._key, payload, hashlib.sha256).digest() + payload)
            os.replace(tmp, folder / key)
        except (OSError, pickle.PicklingError, RecursionError, TypeError):
            return
