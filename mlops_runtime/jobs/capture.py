"""SageMaker endpoint data capture: finding a window's files and parsing requests into rows.

Capture files live at ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``; each
line is one request::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "1.5,a,3\\n2.0,b,4", "encoding": "CSV"},
                     "endpointOutput": {...}},
     "eventMetadata": {"eventId": "...", "inferenceTime": "2026-01-05T03:00:00Z"},
     "eventVersion": "0"}

Input payloads (``encoding`` CSV, JSON or BASE64 with ``observedContentType`` naming the format):

- CSV (``text/csv``): one row per line, no header, values in the profile's feature order;
- JSON (``application/json``): ``{"instances": [...]}``, a list of rows, one row, or one record;
  a row is a list in feature order, ``{"features": [...]}``, or an object keyed by feature name;
- JSON Lines (``application/jsonlines``): one row or record per line.

Output payloads (``captureData.endpointOutput``, same encodings) hold one prediction per input
row:

- CSV: one value per line (a number or a label);
- JSON: a scalar, a list of scalars, or ``{"predictions": [...]}``; an element may also be an
  object whose ``predicted_label``, ``label``, ``prediction`` or ``score`` (first found) is the
  prediction, or a one-element list;
- JSON Lines: one such element per line.

Per-class score vectors (several values for one row) are not supported. The request's
``eventMetadata.inferenceId`` (set when the client passes ``InferenceId`` to InvokeEndpoint) is
kept for joining ground truth.

A record that cannot be read (bad JSON, bad base64, unknown content type, a numeric feature
that is not a number) is corrupt; one whose shape does not fit the profile (wrong column
count, missing feature keys, a prediction count other than the row count when they must align)
is a schema mismatch. Both are skipped as a whole and counted: a record is used only when every
part the job needs (inputs, outputs or both) is readable.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from mlops_runtime.core.clock import UTC

CSV_TYPES = frozenset({"text/csv", "text/plain"})
JSON_TYPES = frozenset({"application/json"})
JSONL_TYPES = frozenset({"application/jsonlines", "application/x-jsonlines", "application/jsonl"})
MAX_PROBLEMS = 10


class Corrupt(ValueError):
    """The record cannot be read."""


class Mismatch(ValueError):
    """The record is readable but its shape does not fit the profile."""


@dataclass
class Captured:
    """One usable captured request."""

    time: datetime | None
    """``eventMetadata.inferenceTime`` (None when absent: inside every window)."""
    inference_id: str | None
    rows: list[list[Any]]
    """Input rows in feature order, typed; empty when inputs are not parsed."""
    predictions: list[Any]
    """Output predictions (numbers, text, booleans or None); empty when outputs are not parsed."""


@dataclass
class CaptureBatch:
    """Captured requests parsed for the job's checks, with counts of what was skipped."""

    features: list[str]
    kinds: dict[str, str]
    inputs: bool = True
    """Parse ``endpointInput`` against ``features``."""
    outputs: bool = False
    """Parse ``endpointOutput`` into predictions."""
    aligned: bool = False
    """Require as many predictions as input rows (bias pairs them)."""
    entries: list[Captured] = field(default_factory=list)
    records: int = 0
    corrupt: int = 0
    mismatched: int = 0
    outside_window: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[list[Any]]:
        """Every input row of the usable records."""
        return [row for entry in self.entries for row in entry.rows]

    @property
    def skipped(self) -> int:
        return self.corrupt + self.mismatched

    @property
    def skipped_fraction(self) -> float:
        return self.skipped / self.records if self.records else 0.0

    def since(self, start: datetime) -> list[Captured]:
        """Usable records at or after ``start`` (records without a time included)."""
        return [e for e in self.entries if e.time is None or e.time >= start]

    def frame(self, entries: list[Captured] | None = None) -> pd.DataFrame:
        """The input rows (of ``entries``, default all) as a DataFrame in feature order
        (numeric features as float64)."""
        chosen = self.entries if entries is None else entries
        rows = [row for entry in chosen for row in entry.rows]
        frame = pd.DataFrame(rows, columns=self.features)
        for name in self.features:
            if self.kinds.get(name) == "numeric":
                frame[name] = frame[name].astype("float64")
        return frame

    def add_line(
        self,
        line: str,
        source: str,
        window: tuple[datetime, datetime] | None = None,
    ) -> None:
        """Parse one capture line, keeping the request or counting why it was skipped."""
        if not line.strip():
            return
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            self.records += 1
            self.skip(source, Corrupt(f"capture line is not JSON: {error.msg}"))
            return
        moment = _time(record)
        if window and moment is not None and not window[0] <= moment < window[1]:
            self.outside_window += 1
            return
        self.records += 1
        try:
            rows = (
                [
                    _typed(row, self.features, self.kinds)
                    for row in parse_input(record, self.features)
                ]
                if self.inputs
                else []
            )
            predictions = parse_output(record) if self.outputs else []
            if self.aligned and len(predictions) != len(rows):
                raise Mismatch(
                    f"the output holds {len(predictions)} prediction(s) for {len(rows)} input "
                    "row(s)"
                )
        except (Corrupt, Mismatch) as problem:
            self.skip(source, problem)
            return
        self.entries.append(Captured(moment, _inference_id(record), rows, predictions))

    def skip(self, source: str, problem: Exception) -> None:
        """Count a record (or batch object) skipped for ``problem``, keeping a few examples."""
        if isinstance(problem, Mismatch):
            self.mismatched += 1
        else:
            self.corrupt += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{source}: {problem}")


def _metadata(record: Any) -> dict[str, Any]:
    metadata = record.get("eventMetadata") if isinstance(record, dict) else None
    return metadata if isinstance(metadata, dict) else {}


def _time(record: Any) -> datetime | None:
    stamp = _metadata(record).get("inferenceTime")
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _inference_id(record: Any) -> str | None:
    value = _metadata(record).get("inferenceId")
    return str(value) if value not in (None, "") else None


def _payload(record: Any, part: str) -> tuple[str, str, str]:
    """(text, encoding, content type) of ``captureData.<part>``, base64 decoded."""
    try:
        captured = record["captureData"][part]
        data = captured["data"]
    except (KeyError, TypeError):
        raise Corrupt(f"no captureData.{part}.data") from None
    encoding = str(captured.get("encoding", "")).upper()
    content_type = str(captured.get("observedContentType", "")).split(";")[0].strip().lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as error:
            raise Corrupt(f"{part} payload is not base64 UTF-8 text: {error}") from None
    if not isinstance(data, str):
        raise Corrupt(f"captureData.{part}.data is not text")
    return data, encoding, content_type


def parse_input(record: Any, features: Sequence[str]) -> list[list[Any]]:
    """Rows (lists in feature order) of one capture record's endpoint input."""
    data, encoding, content_type = _payload(record, "endpointInput")
    if encoding == "CSV" or content_type in CSV_TYPES:
        return _csv_rows(data, features)
    if content_type in JSONL_TYPES:
        return [_row(_json(line), features) for line in data.splitlines() if line.strip()]
    if encoding == "JSON" or content_type in JSON_TYPES:
        return _json_rows(_json(data), features)
    raise Corrupt(f"unsupported content type {content_type!r} (encoding {encoding!r})")


def parse_output(record: Any) -> list[Any]:
    """Predictions (one per input row) of one capture record's endpoint output."""
    data, encoding, content_type = _payload(record, "endpointOutput")
    if encoding == "CSV" or content_type in CSV_TYPES:
        predictions = _csv_predictions(data)
    elif content_type in JSONL_TYPES:
        predictions = [_prediction(_json(line)) for line in data.splitlines() if line.strip()]
    elif encoding == "JSON" or content_type in JSON_TYPES:
        predictions = _json_predictions(_json(data))
    else:
        raise Corrupt(f"unsupported output content type {content_type!r} (encoding {encoding!r})")
    if not predictions:
        raise Corrupt("the output holds no prediction")
    return predictions


def _csv_predictions(text: str) -> list[Any]:
    predictions = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) != 1:
            raise Mismatch(
                f"CSV output line has {len(row)} values; one prediction per line is expected "
                "(per-class scores are not supported)"
            )
        predictions.append(row[0].strip())
    return predictions


def _json_predictions(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and "predictions" in payload:
        payload = payload["predictions"]
    items = payload if isinstance(payload, list) else [payload]
    return [_prediction(item) for item in items]


PREDICTION_KEYS = ("predicted_label", "label", "prediction", "score")


def _prediction(item: Any) -> Any:
    if isinstance(item, dict):
        key = next((k for k in PREDICTION_KEYS if k in item), None)
        if key is None:
            raise Mismatch(f"a prediction object needs one of {list(PREDICTION_KEYS)}")
        item = item[key]
    if isinstance(item, list):
        if len(item) != 1:
            raise Mismatch(
                f"a prediction must be one value, got a list of {len(item)} (per-class scores "
                "are not supported)"
            )
        item = item[0]
    if item is None or isinstance(item, str | int | float | bool):
        return item
    raise Corrupt(f"a prediction must be a number or a label, got {type(item).__name__}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Corrupt(f"payload is not JSON: {error.msg}") from None


def _csv_rows(text: str, features: Sequence[str]) -> list[list[Any]]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    for row in rows:
        if len(row) != len(features):
            raise Mismatch(f"CSV row has {len(row)} columns; the profile has {len(features)}")
    return rows


def _json_rows(payload: Any, features: Sequence[str]) -> list[list[Any]]:
    if isinstance(payload, dict) and isinstance(payload.get("instances"), list):
        return [_row(item, features) for item in payload["instances"]]
    if isinstance(payload, list) and payload and isinstance(payload[0], list | dict):
        return [_row(item, features) for item in payload]
    return [_row(payload, features)]


def _row(item: Any, features: Sequence[str]) -> list[Any]:
    if isinstance(item, dict) and isinstance(item.get("features"), list):
        item = item["features"]
    if isinstance(item, list):
        if len(item) != len(features):
            raise Mismatch(f"row has {len(item)} values; the profile has {len(features)}")
        return item
    if isinstance(item, dict):
        missing = [name for name in features if name not in item]
        if missing:
            raise Mismatch(f"record lacks feature(s) {missing[:5]}")
        return [item[name] for name in features]
    raise Corrupt(f"a row must be a list or an object, got {type(item).__name__}")


def _typed(row: Sequence[Any], features: Sequence[str], kinds: dict[str, str]) -> list[Any]:
    typed = []
    for name, value in zip(features, row, strict=True):
        if kinds.get(name) != "numeric":
            typed.append(None if value is None or value == "" else value)
            continue
        if value is None or value == "":
            typed.append(math.nan)
            continue
        try:
            typed.append(float(value))
        except (TypeError, ValueError):
            raise Corrupt(f"feature {name!r} is numeric but got {str(value)[:40]!r}") from None
    return typed


def hour_prefixes(base: str, start: datetime, end: datetime) -> Iterator[str]:
    """``<base>yyyy/mm/dd/hh/`` for every hour touching ``[start, end)``."""
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < end:
        yield f"{base}{hour:%Y/%m/%d/%H}/"
        hour += timedelta(hours=1)


def list_window(
    s3: Any,
    bucket: str,
    prefix: str,
    variants: Sequence[str],
    start: datetime,
    end: datetime,
) -> list[str]:
    """Keys of capture files for ``[start, end)`` under ``prefix`` (``<dest>/<endpoint>/``)."""
    paginator = s3.get_paginator("list_objects_v2")
    if not variants:
        variants = [
            common["Prefix"][len(prefix) :].strip("/")
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
            for common in page.get("CommonPrefixes", [])
        ]
    keys = []
    for variant in variants:
        for hour in hour_prefixes(f"{prefix}{variant}/", start, end):
            for page in paginator.paginate(Bucket=bucket, Prefix=hour):
                keys += [item["Key"] for item in page.get("Contents", [])]
    return sorted(keys)
