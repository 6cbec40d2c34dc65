"""Reading data files in bounded chunks (parquet, csv, jsonl) and profile files."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import pandas as pd

from .errors import DriftInputError
from .profile import Profile

DEFAULT_CHUNK_ROWS = 200_000
FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
COMPRESSIONS = (".gz", ".bz2", ".zst", ".xz", ".zip")


def data_format(path: str | Path) -> str:
    """``parquet`` | ``csv`` | ``jsonl`` from the file name (``.csv.gz`` and the like included)."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compressed = bool(suffixes) and suffixes[-1] in COMPRESSIONS
    if compressed:
        suffixes = suffixes[:-1]
    found = FORMATS.get(suffixes[-1]) if suffixes else None
    if found is None or (compressed and found == "parquet"):
        raise DriftInputError(
            f"{path}: cannot tell the format from the name; use one of "
            f"{', '.join(FORMATS)} (csv and jsonl may end in .gz)"
        )
    return found


def is_profile_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".json"


def read_profile(path: str | Path) -> Profile:
    """Load a profile written by ``Profile.to_json``; DriftInputError names the file."""
    _check_file(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DriftInputError(f"cannot read profile {path}: {exc}") from None
    return Profile.from_json(text, source=str(path))


def read_frames(
    path: str | Path,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    columns: Sequence[str] | None = None,
    text_columns: Collection[str] = (),
) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` rows: parquet via pyarrow record batches, csv via
    pandas ``chunksize``, jsonl via pandas ``lines=True, chunksize``.

    ``columns`` limits what is read (and must all exist); ``text_columns`` are read as text
    from csv so that codes like ``007`` keep their form. Raises DriftInputError for a missing,
    empty, unreadable or row-less file.
    """
    if chunk_rows < 1:
        raise DriftInputError(f"chunk_rows must be at least 1, got {chunk_rows}")
    kind = data_format(path)
    _check_file(path)
    total = 0
    reader = {"parquet": _parquet, "csv": _csv, "jsonl": _jsonl}[kind]
    try:
        for frame in reader(Path(path), chunk_rows, columns, text_columns):
            if columns is not None:
                _require_columns(path, frame.columns, columns)
                frame = frame[list(columns)]
            total += len(frame)
            if len(frame):
                yield frame
    except DriftInputError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DriftInputError(
            f"cannot read {path} as {kind}: {reason[:300]}; check that the file is complete "
            "and in that format"
        ) from None
    except Exception as exc:  # pyarrow raises its own hierarchy (ArrowInvalid, ...)
        if type(exc).__module__.startswith("pyarrow"):
            raise DriftInputError(
                f"cannot read {path} as {kind}: {str(exc)[:300]}; check that the file is "
                "complete and in that format"
            ) from None
        raise
    if total == 0:
        raise DriftInputError(f"{path} has no data rows; nothing to compare")


def read_table(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    text_columns: Collection[str] = (),
) -> pd.DataFrame:
    """The whole file as one frame (for building a profile or a raw reference)."""
    frames = list(
        read_frames(path, chunk_rows=1_000_000, columns=columns, text_columns=text_columns)
    )
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _check_file(path: str | Path) -> None:
    p = Path(path)
    if not p.exists():
        raise DriftInputError(f"{path} does not exist; check the path")
    if not p.is_file():
        raise DriftInputError(f"{path} is not a file")
    if p.stat().st_size == 0:
        raise DriftInputError(f"{path} is empty (0 bytes); point at a file with data")


def _require_columns(path: str | Path, present: Collection[object], wanted: Sequence[str]) -> None:
    have = {str(c) for c in present}
    missing = [c for c in wanted if c not in have]
    if missing:
        shown = ", ".join(repr(c) for c in list(have)[:20])
        raise DriftInputError(
            [
                f"{path} has no column {name!r} (columns: {shown}); add it, or leave the "
                "feature out of the comparison"
                for name in missing
            ]
        )


def _parquet(
    path: Path, chunk_rows: int, columns: Sequence[str] | None, text_columns: Collection[str]
) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    if columns is not None:
        _require_columns(path, file.schema_arrow.names, columns)
    if file.metadata.num_rows == 0:
        return
    for batch in file.iter_batches(batch_size=chunk_rows, columns=columns):
        yield batch.to_pandas()


def _csv(
    path: Path, chunk_rows: int, columns: Sequence[str] | None, text_columns: Collection[str]
) -> Iterator[pd.DataFrame]:
    try:
        header = pd.read_csv(path, nrows=0)
    except pd.errors.EmptyDataError:
        raise DriftInputError(f"{path} has no header row; nothing to read") from None
    if columns is not None:
        _require_columns(path, header.columns, columns)
    dtype = {name: str for name in text_columns if name in header.columns}
    yield from pd.read_csv(path, chunksize=chunk_rows, usecols=columns, dtype=dtype or None)


def _jsonl(
    path: Path, chunk_rows: int, columns: Sequence[str] | None, text_columns: Collection[str]
) -> Iterator[pd.DataFrame]:
    with pd.read_json(path, lines=True, chunksize=chunk_rows, dtype=False) as reader:
        yield from reader
