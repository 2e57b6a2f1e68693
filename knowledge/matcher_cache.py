"""An on-disk cache of what building a :class:`~knowledge.matcher.Matcher` derives from
the knowledge base's texts (normalised and respelt texts, tokens, index tables).

Building the matcher normalises every phrasing and member question; a fresh process
(``python -m bot ask``) would otherwise redo that at every start. The cache only skips
that recomputation: the knowledge files are loaded and validated as before.

* **Key**: a hash of everything the derived tables depend on: every entry as loaded
  (``repr`` of the validated models, so any change to an entry, a member question or a
  keyword misses), the matcher weights, and :func:`code_version` (the matcher and
  normaliser code, the packaged ``matcher/`` data files, the Python and rapidfuzz
  versions). A change to any of them is a miss and a rebuild.
* **Where**: ``$EXAM_POLICY_BOT_CACHE_DIR`` when set (``off`` turns the cache off), else
  ``$XDG_CACHE_HOME/exam-policy-bot``, else ``~/.cache/exam-policy-bot``; outside the
  package. An unwritable or unreadable directory is silently skipped.
* **Files**: written atomically (a temporary file, then a rename), each with a header,
  the key and a SHA-256 of the payload; a file whose header, key, checksum or content
  does not check out is ignored (and rebuilt over), never trusted. Only the newest
  :data:`KEEP_FILES` files are kept.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV_VAR = "EXAM_POLICY_BOT_CACHE_DIR"
DISABLED = "off"
# Bump when the layout of the cached state changes without the code hash changing.
FORMAT = b"exam-policy-bot matcher cache v3\n"
KIND = "matcher"
PREFIX = f"{KIND}-"
SUFFIX = ".cache"
KEEP_FILES = 8
# Knowledge bases with more entries are not cached (see Matcher.__init__): for 10,000
# synthetic entries the file is 43 MB and writing it raised peak RSS from 376 to 532 MiB.
MAX_ENTRIES = 2000
_DIGEST_BYTES = 32
_KNOWLEDGE = Path(__file__).resolve().parent
# The code and data the derived tables are computed with.
_CODE_FILES = (
    "matcher.py", "normalize.py", "normalize_gates.py", "codes.py", "matcher_cache.py",
    "templating.py",
    "matching/reading.py", "matching/retrieval.py", "matching/rescoring.py",
    "matching/decision.py", "matching/autocomplete.py", "matching/classifier.py",
)


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is turned off."""
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        return None if explicit.lower() == DISABLED else Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "exam-policy-bot"


@functools.cache
def code_version() -> str:
    """A hash of the code and packaged data the matcher's tables are derived with."""
    import rapidfuzz

    digest = hashlib.sha256(FORMAT)
    digest.update(f"{sys.version}\0{rapidfuzz.__version__}\0".encode())
    paths = [_KNOWLEDGE / name for name in _CODE_FILES]
    paths += sorted((_KNOWLEDGE / "data" / "matcher").glob("*.toml"))
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_key(*parts: object) -> str:
    """The key of a matcher built from ``parts`` (entries, weights …) by this code."""
    digest = hashlib.sha256(code_version().encode())
    for part in parts:
        digest.update(b"\0" + repr(part).encode())
    return digest.hexdigest()


def _path(folder: Path, key: str, kind: str) -> Path:
    return folder / f"{kind}-{key[:40]}{SUFFIX}"


def load(key: str, kind: str = KIND) -> dict[str, Any] | None:
    """The state stored under ``key``, or None (no cache, no file, or a file that does
    not check out: wrong header, key or checksum, or not the expected content).
    ``kind`` names the files (the matcher's tables by default; the loader keeps
    validated knowledge bases and regex verdicts here too, each kind pruned apart)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        data = _path(folder, key, kind).read_bytes()
    except OSError:
        return None
    header = FORMAT + key.encode() + b"\n"
    if not data.startswith(header):
        return None
    checksum = data[len(header) : len(header) + _DIGEST_BYTES]
    payload = data[len(header) + _DIGEST_BYTES :]
    if hashlib.sha256(payload).digest() != checksum:
        log.debug("matcher cache: checksum mismatch, rebuilding")
        return None
    try:
        state = pickle.loads(payload)  # noqa: S301 - written by this code only, checksummed
    except Exception:  # a damaged file is a miss, whatever unpickling raised
        return None
    return state if isinstance(state, dict) else None


def save(key: str, state: dict[str, Any], kind: str = KIND) -> None:
    """Store ``state`` under ``key``; any failure (unwritable folder, full disk) is
    skipped silently: the cache is only a speed-up."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(FORMAT + key.encode() + b"\n")
                out.write(hashlib.sha256(payload).digest())
                out.write(payload)
            os.replace(temp, _path(folder, key, kind))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _prune(folder, kind)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        log.debug("matcher cache: not written (%s)", exc)


def _prune(folder: Path, kind: str) -> None:
    """Keep the newest :data:`KEEP_FILES` cache files of ``kind``."""
    files = []
    for path in folder.glob(f"{kind}-*{SUFFIX}"):
        try:
            files.append((path.stat().st_mtime, path))
        except OSError:
            continue
    files.sort(reverse=True)
    for _, path in files[KEEP_FILES:]:
        path.unlink(missing_ok=True)
