"""New data, found by polling each data source (there are no bucket events to subscribe to on
an S3-compatible store).

Each source ``s3://bucket/prefix`` keeps a watermark object in the loop's state
(``pollers/<sha256 of the source>.json``: the newest ``LastModified`` seen and the keys seen at
that instant). The first poll only records it: what is already there is what the served model
was trained on. Later polls turn every object modified after the watermark into retraining
requests (``events.new_object``, the AWS trigger's keys), and the watermark moves on only after
the requests were decided, so a crash between the two re-finds them and the claims deduplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import DataSourceTrigger, TriggerConfig
from mlops_runtime.core.runs import digest
from mlops_runtime.core.trigger_events import Request
from mlops_runtime.k8s import events
from mlops_runtime.k8s.store import Bucket


@dataclass(frozen=True)
class Found:
    """What one poll of one source found, and the watermark to store once it is decided."""

    source: DataSourceTrigger
    requests: list[Request]
    watermark: dict[str, Any]
    etag: str | None
    """The stored watermark's ETag; None: none stored yet."""


class DataPoller:
    """Lists the data sources through ``s3`` and keeps watermarks in ``state``."""

    def __init__(self, s3: Any, state: Bucket, config: TriggerConfig) -> None:
        self.s3 = s3
        self.state = state
        self.config = config

    def find(self) -> list[Found]:
        """New objects of every source since its watermark."""
        return [self._find(source) for source in self.config.data_sources]

    def advance(self, found: Found) -> bool:
        """Store the watermark of a decided poll (False: another poller moved it first)."""
        key = self._key(found.source)
        if found.etag is None:
            return self.state.create(key, found.watermark) is not None
        return self.state.replace(key, found.watermark, found.etag) is not None

    def _find(self, source: DataSourceTrigger) -> Found:
        stored = self.state.read(self._key(source))
        objects = list(self._objects(source))
        newest = max((modified for _, _, modified in objects), default=0.0)
        if stored is None:  # the first poll: a baseline, not new data
            watermark = _watermark(newest, objects)
            return Found(source, [], watermark, None)
        since, seen = float(stored.body["since"]), set(stored.body.get("seen", []))
        new = [(k, e, m) for k, e, m in objects if m > since or (m == since and k not in seen)]
        requests = [
            r for k, e, _ in new for r in events.new_object(source.bucket, k, e, self.config)
        ]
        watermark = _watermark(max(newest, since), objects) if new else dict(stored.body)
        return Found(source, requests, watermark, stored.etag)

    def _objects(self, source: DataSourceTrigger) -> list[tuple[str, str, float]]:
        found = []
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=source.bucket, Prefix=source.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                if str(item["Key"]).endswith("/"):
                    continue  # a folder marker
                modified: datetime = item["LastModified"]
                found.append((str(item["Key"]), str(item["ETag"]).strip('"'), modified.timestamp()))
        return found

    @staticmethod
    def _key(source: DataSourceTrigger) -> str:
        return f"pollers/{digest(f's3://{source.bucket}/{source.prefix}')}.json"


def _watermark(since: float, objects: list[tuple[str, str, float]]) -> dict[str, Any]:
    return {"since": since, "seen": sorted(k for k, _, m in objects if m == since)}
