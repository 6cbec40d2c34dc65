"""Facts derived from botocore's data files, kept on disk between commands.

Validation reads a few facts from the botocore that is installed (SageMaker's instance-type
enums from its 2.7 MB gzipped service model, its regions from the 1.25 MB ``endpoints.json``):
about 20 ms of every `mlops validate`, for answers that change only when botocore does. Each
data file's facts are kept in one JSON file under the user's cache directory
(``$XDG_CACHE_HOME/mlops-spec``, else ``~/.cache/mlops-spec``), named by the data file's path,
size and modification time, so an upgraded or different botocore gets its own entries and a
newer botocore still brings its regions and instance types along. The cache is only ever a
copy: an unreadable, corrupt, wrongly shaped or unwritable cache means the facts are computed
again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
FORMAT = 1
"""Bumped when what an entry holds changes, so older entries are not read."""


def cache_dir() -> Path:
    """Where the facts are kept: ``$XDG_CACHE_HOME/mlops-spec`` or ``~/.cache/mlops-spec``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlops-spec"


def cached(source: Path, name: str, compute: Callable[[], T], fits: Callable[[Any], bool]) -> T:
    """``compute()``, a JSON value derived from the data file ``source``, from the disk cache
    when it holds one for this very file that ``fits`` (the shape ``compute`` returns), else
    computed and stored there."""
    path = _entry_file(source)
    entries = _entries(path)
    if name in entries and fits(entries[name]):
        value: T = entries[name]
        return value
    value = compute()
    entries[name] = value
    _write(path, entries)
    return value


def _entry_file(source: Path) -> Path:
    stat = source.stat()
    identity = f"{FORMAT}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return cache_dir() / f"botocore-{source.name.split('.')[0]}-{digest}.json"


@cache
def _entries(path: Path) -> dict[str, Any]:
    """The entries stored for one data file (read once per process); {} when none can be read."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):  # RecursionError: deeply nested garbage
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, entries: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(entries, sort_keys=True).encode())


def write_atomically(path: Path, content: bytes, mode: int | None = None) -> None:
    """Store ``content`` at ``path`` atomically (a rename), with permissions ``mode`` when
    given (else those of a private temporary file); a cache that cannot be written is
    skipped."""
    import tempfile  # only when an entry is missing

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
