"""Batch transform data for the monitoring job (``MonitorConfig.source`` ``batch``).

The scheduled batch transform reads every object under ``batch_input_uri`` and writes, per
input object, ``<batch_output_uri><execution id>/<key relative to the input prefix>.out``
(SageMaker's naming; the pipeline's S3OutputPath is the output prefix joined with the
execution id). The job reads, for the window ``[start, end)``:

- **inputs**: every input object whose LastModified is in the window, read as
  ``batch_input_format`` (parquet, csv with or without a header, jsonl; ``.gz`` csv/jsonl
  included) through the drift engine's readers, keeping the profile's feature columns; one
  entry per object (its rows, time = LastModified). These are the data-drift rows.
- **outputs**: every ``.out`` object whose LastModified is in the window, the newest per input
  object (a prefix re-scored several times in the window counts once); one entry per object
  (its predictions, time = LastModified). These are the prediction-drift predictions.
- **join** (bias only; csv and jsonl input, which the transform splits by line and assembles by
  line, so its output holds one prediction line per input record, in order): each output entry
  gets the rows of its input object when that object still exists, was not modified after the
  output was written, and holds exactly as many rows as the output holds predictions. Anything
  else leaves the entry unjoined (counted with the reason; bias uses joined entries only).
  Parquet input is sent as one request per object (SplitType None): nothing pairs a prediction
  with a row, so bias is not measured on it (``MonitorConfig`` refuses that combination).

Output lines are predictions as the endpoint's would be (``capture.parse_output``'s rules): a
line holding JSON (``{"predictions": [...]}``, a list, an object with ``predicted_label``,
``label``, ``prediction`` or ``score``, a scalar) or a plain CSV value.

Object-level problems are counted like corrupt capture records: an object that cannot be read
is corrupt, one whose columns do not fit the profile (a missing feature column, a headerless
line with another column count) a schema mismatch; both are skipped as a whole. Hidden and
``_``-prefixed objects (``_SUCCESS``) are ignored, and so are empty (0-byte) objects.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.contract.config import MonitorConfig
from mlops_runtime.drift import DriftInputError, Profile, read_frames
from mlops_runtime.jobs.capture import (
    MAX_PROBLEMS,
    CaptureBatch,
    Captured,
    Corrupt,
    Mismatch,
    _csv_predictions,
    _json,
    _json_predictions,
)
from mlops_runtime.jobs.monitor_io import MonitorError

OUTPUT_SUFFIX = ".out"
MISSING_CODES = frozenset({"404", "NoSuchKey"})
"""HeadObject / GetObject of an object that does not exist (the role may list the bucket)."""
DENIED_CODES = frozenset({"403", "AccessDenied"})
"""Access denied: a broken role or key policy, never counted as a missing object."""
SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


@dataclass(frozen=True)
class S3Object:
    key: str
    modified: datetime
    relative: str
    """The key below the listed prefix."""


@dataclass
class BatchData:
    """The window's batch transform inputs and outputs, parsed for the job's checks."""

    inputs: CaptureBatch
    outputs: CaptureBatch
    joined: int = 0
    """Output objects paired with their input rows (bias)."""
    unjoined: dict[str, int] = field(default_factory=dict)
    """Reason -> output objects not paired (bias)."""
    join_problems: list[str] = field(default_factory=list)


def list_objects(
    s3: Any, uri: str, start: datetime, end: datetime, suffix: str = ""
) -> Iterator[S3Object]:
    """Objects under ``uri`` modified in ``[start, end)`` (hidden, ``_``-prefixed and empty ones
    skipped), in key order."""
    bucket, prefix = split_s3_uri(uri)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            relative = key[len(prefix) :]
            parts = PurePosixPath(relative).parts
            if not parts or any(part.startswith((".", "_")) for part in parts):
                continue
            if not key.endswith(suffix) or not item.get("Size", 1):
                continue
            if start <= item["LastModified"] < end:
                yield S3Object(key, item["LastModified"], relative)


def read(
    s3: Any, config: MonitorConfig, profile: Profile | None, start: datetime, end: datetime
) -> BatchData:
    """The batch data of ``[start, end)`` for the configured checks."""
    assert config.batch_input_uri is not None and config.batch_input_format is not None
    features = list(profile.features) if profile else []
    kinds = profile.kinds if profile else {}
    inputs = CaptureBatch(features=features, kinds=kinds, inputs=profile is not None)
    outputs = CaptureBatch(features=features, kinds=kinds, inputs=False, outputs=True)
    data = BatchData(inputs, outputs)
    in_bucket, _ = split_s3_uri(config.batch_input_uri)
    rows_of: dict[str, list[list[Any]]] = {}
    if profile is not None:
        for obj in list_objects(s3, config.batch_input_uri, start, end):
            inputs.records += 1
            source = f"s3://{in_bucket}/{obj.key}"
            try:
                rows = read_rows(s3, in_bucket, obj.key, config, profile)
            except (Corrupt, Mismatch) as problem:
                inputs.skip(source, problem)
                continue
            rows_of[obj.key] = rows
            if rows:
                inputs.entries.append(Captured(obj.modified, None, rows, []))
    if not (config.prediction_drift or config.bias) or config.batch_output_uri is None:
        return data
    out_bucket, _ = split_s3_uri(config.batch_output_uri)
    newest: dict[str, S3Object] = {}
    for obj in list_objects(s3, config.batch_output_uri, start, end, OUTPUT_SUFFIX):
        scored = input_key(config.batch_input_uri, obj.relative)
        if scored not in newest or newest[scored].modified <= obj.modified:
            newest[scored] = obj
    for scored, obj in sorted(newest.items(), key=lambda item: item[1].key):
        outputs.records += 1
        source = f"s3://{out_bucket}/{obj.key}"
        try:
            predictions = read_predictions(s3, out_bucket, obj.key)
        except (Corrupt, Mismatch) as problem:
            outputs.skip(source, problem)
            continue
        entry = Captured(obj.modified, None, [], predictions)
        outputs.entries.append(entry)
        if config.bias and profile is not None:
            _join(s3, config, profile, data, rows_of, entry, scored, source)
    return data


def input_key(input_uri: str, output_relative: str) -> str:
    """The input object key a ``<execution id>/<relative key>.out`` output was written for."""
    _, prefix = split_s3_uri(input_uri)
    relative = output_relative[: -len(OUTPUT_SUFFIX)]
    _, _, below = relative.partition("/")
    return prefix + (below or relative)


def _join(
    s3: Any,
    config: MonitorConfig,
    profile: Profile,
    data: BatchData,
    rows_of: dict[str, list[list[Any]]],
    entry: Captured,
    key: str,
    source: str,
) -> None:
    assert config.batch_input_uri is not None
    bucket, _ = split_s3_uri(config.batch_input_uri)
    reason = None
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except Exception as error:
        code = error_code(error)
        if code in DENIED_CODES:
            raise MonitorError(
                f"s3://{bucket}/{key}: access denied ({code}) reading a batch input object; "
                f"the monitoring job's role needs s3:GetObject and s3:ListBucket on "
                f"{config.batch_input_uri} (without ListBucket S3 answers 403 for a missing "
                "object too) and kms:Decrypt on the bucket's key"
            ) from error
        if code not in MISSING_CODES:
            raise
        head, reason = None, "input object not found"
    if head is not None and entry.time is not None and head["LastModified"] > entry.time:
        reason = "input object modified after it was scored"
    rows: list[list[Any]] = []
    if reason is None:
        try:
            rows = rows_of[key] if key in rows_of else read_rows(s3, bucket, key, config, profile)
        except (Corrupt, Mismatch):
            reason = "input object unreadable"
    if reason is None and len(rows) != len(entry.predictions):
        reason = "prediction count differs from input row count"
        detail = f"{len(entry.predictions)} prediction(s) for {len(rows)} input row(s)"
    else:
        detail = f"s3://{bucket}/{key}"
    if reason is not None:
        data.unjoined[reason] = data.unjoined.get(reason, 0) + 1
        if len(data.join_problems) < MAX_PROBLEMS:
            data.join_problems.append(f"{source}: {reason} ({detail})")
        return
    entry.rows = rows
    data.joined += 1


def read_rows(
    s3: Any, bucket: str, key: str, config: MonitorConfig, profile: Profile
) -> list[list[Any]]:
    """The rows (profile features, in order, numeric ones as floats) of one input object."""
    fmt = config.batch_input_format
    assert fmt is not None
    features = list(profile.features)
    text = [name for name, kind in profile.kinds.items() if kind == "categorical"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if not body:
        return []
    gz = ".gz" if key.endswith(".gz") and fmt != "parquet" else ""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"object{SUFFIXES[fmt]}{gz}"
        path.write_bytes(body)
        try:
            if fmt == "csv" and not config.batch_input_header:
                frame = _headerless(path, features, text)
            else:
                chunks = list(read_frames(path, text_columns=text))
                frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
        except DriftInputError as error:
            if "has no data rows" in str(error):
                return []
            raise Corrupt(str(error).replace(str(path), "the object")) from None
    missing = [name for name in features if name not in frame.columns]
    if missing:
        raise Mismatch(f"the object lacks feature column(s) {missing[:5]}")
    return _typed_rows(frame[features], profile.kinds)


def _headerless(path: Path, features: Sequence[str], text: Sequence[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            header=None,
            dtype={i: str for i, name in enumerate(features) if name in text},
            compression="infer",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=list(features))
    except (ValueError, UnicodeDecodeError) as error:
        raise Corrupt(f"not readable as headerless CSV: {str(error)[:200]}") from None
    if len(frame.columns) != len(features):
        raise Mismatch(
            f"headerless CSV lines have {len(frame.columns)} columns; the profile has "
            f"{len(features)}"
        )
    frame.columns = list(features)
    return frame


def _typed_rows(frame: pd.DataFrame, kinds: dict[str, str]) -> list[list[Any]]:
    columns: dict[str, pd.Series] = {}
    for name in frame.columns:
        series = frame[name]
        if kinds.get(name) == "numeric":
            try:
                columns[name] = pd.to_numeric(series, errors="raise").astype("float64")
            except (TypeError, ValueError):
                bad = series[pd.to_numeric(series, errors="coerce").isna() & series.notna()]
                shown = str(bad.iloc[0])[:40] if len(bad) else "?"
                raise Corrupt(f"feature {name!r} is numeric but got {shown!r}") from None
        else:
            columns[name] = series.astype(object).where(series.notna(), None)
    typed = pd.DataFrame(columns)
    return [list(row) for row in typed.itertuples(index=False, name=None)]


def read_predictions(s3: Any, bucket: str, key: str) -> list[Any]:
    """The predictions of one ``.out`` object (one or more per line)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Corrupt(f"the output is not UTF-8 text: {error}") from None
    predictions: list[Any] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0] in "[{":
            predictions += _json_predictions(_json(stripped))
        else:
            predictions += _csv_predictions(stripped)
    if not predictions:
        raise Corrupt("the output holds no prediction")
    return predictions
