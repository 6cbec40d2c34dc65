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

A record that cannot be read (bad JSON, bad base64, unknown content type, a numeric feature
that is not a number) is corrupt; one whose shape does not fit the profile (wrong column
count, missing feature keys) is a schema mismatch. Both are skipped and counted.
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

from mlops_runtime.clock import UTC

CSV_TYPES = frozenset({"text/csv", "text/plain"})
JSON_TYPES = frozenset({"application/json"})
JSONL_TYPES = frozenset({"application/jsonlines", "application/x-jsonlines", "application/jsonl"})
MAX_PROBLEMS = 10


class Corrupt(ValueError):
    """The record cannot be read."""


class Mismatch(ValueError):
    """The record is readable but its shape does not fit the profile."""


@dataclass
class CaptureBatch:
    """Rows parsed from captured requests, with counts of what was skipped."""

    features: list[str]
    kinds: dict[str, str]
    rows: list[list[Any]] = field(default_factory=list)
    records: int = 0
    corrupt: int = 0
    mismatched: int = 0
    outside_window: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.corrupt + self.mismatched

    @property
    def skipped_fraction(self) -> float:
        return self.skipped / self.records if self.records else 0.0

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame in feature order (numeric features as float64)."""
        frame = pd.DataFrame(self.rows, columns=self.features)
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
        """Parse one capture line, keeping its rows or counting why it was skipped."""
        if not line.strip():
            return
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            self.records += 1
            self._skip(source, Corrupt(f"capture line is not JSON: {error.msg}"))
            return
        if window and not _inside(record, window):
            self.outside_window += 1
            return
        self.records += 1
        try:
            rows = [
                _typed(row, self.features, self.kinds) for row in parse_input(record, self.features)
            ]
        except (Corrupt, Mismatch) as problem:
            self._skip(source, problem)
            return
        self.rows.extend(rows)

    def _skip(self, source: str, problem: Exception) -> None:
        if isinstance(problem, Mismatch):
            self.mismatched += 1
        else:
            self.corrupt += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{source}: {problem}")


def _inside(record: Any, window: tuple[datetime, datetime]) -> bool:
    stamp = (
        (record.get("eventMetadata") or {}).get("inferenceTime")
        if isinstance(record, dict)
        else None
    )
    if not stamp:
        return True
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return window[0] <= moment < window[1]


def parse_input(record: Any, features: Sequence[str]) -> list[list[Any]]:
    """Rows (lists in feature order) of one capture record's endpoint input."""
    try:
        captured = record["captureData"]["endpointInput"]
        data = captured["data"]
    except (KeyError, TypeError):
        raise Corrupt("no captureData.endpointInput.data") from None
    encoding = str(captured.get("encoding", "")).upper()
    content_type = str(captured.get("observedContentType", "")).split(";")[0].strip().lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as error:
            raise Corrupt(f"payload is not base64 UTF-8 text: {error}") from None
    if encoding == "CSV" or content_type in CSV_TYPES:
        return _csv_rows(data, features)
    if content_type in JSONL_TYPES:
        return [_row(_json(line), features) for line in data.splitlines() if line.strip()]
    if encoding == "JSON" or content_type in JSON_TYPES:
        return _json_rows(_json(data), features)
    raise Corrupt(f"unsupported content type {content_type!r} (encoding {encoding!r})")


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
