"""Runs, metrics, notifications and objects kept in memory."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from mlops_runtime.core.ports import (
    Gauge,
    MetricsSink,
    Notifier,
    ObjectMissing,
    ObjectStore,
    RunRequest,
    RunStarter,
)


class MemoryRuns(RunStarter):
    """Started runs; a second start with the same token returns the first run's id, as
    SageMaker's ``ClientRequestToken`` does. ``failures`` are raised by the next starts, in
    order (a pipeline that does not exist yet, throttling, ...)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started: dict[str, RunRequest] = {}
        self.ids: dict[str, str] = {}
        self.failures: list[Exception] = []

    def start(self, request: RunRequest) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            if request.token not in self.ids:
                self.ids[request.token] = f"run-{len(self.ids) + 1}"
                self.started[request.token] = request
            return self.ids[request.token]

    def runs(self, pipeline: str) -> list[RunRequest]:
        """The runs started of one pipeline, in order."""
        with self._lock:
            return [r for r in self.started.values() if r.pipeline == pipeline]


class MemoryMetrics(MetricsSink):
    """Published gauges, by namespace."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.published: list[tuple[str, datetime, Gauge]] = []

    def publish(self, namespace: str, at: datetime, gauges: Sequence[Gauge]) -> None:
        with self._lock:
            self.published += [(namespace, at, gauge) for gauge in gauges]

    def value(self, name: str, **dimensions: str) -> float | None:
        """The last value published for the series ``name`` with exactly these dimensions."""
        wanted = sorted(dimensions.items())
        found = [
            g.value
            for _, _, g in self.published
            if g.name == name and sorted(g.dimensions) == wanted
        ]
        return found[-1] if found else None


class MemoryNotifier(Notifier):
    """Sent notifications as (subject, message)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def notify(self, subject: str, message: str) -> None:
        self.sent.append((subject, message))


class MemoryObjects(ObjectStore):
    """Objects by URI; ``copies`` records every copy as (source, destination, key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.objects: dict[str, bytes] = {}
        self.copies: list[tuple[str, str, str | None]] = []

    def copy(self, source: str, destination: str, *, kms_key_id: str | None) -> None:
        with self._lock:
            if source not in self.objects:
                raise ObjectMissing(f"{source} does not exist")
            self.objects[destination] = self.objects[source]
            self.copies.append((source, destination, kms_key_id))
