"""The proxy's Prometheus series (names and labels from ``contract.prometheus``)."""

from __future__ import annotations

import threading

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from mlops_runtime.contract import prometheus as names

# ``*_created`` series double every counter and nothing reads them.
disable_created_metrics()

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ProxyMetrics:
    """One proxy's series, in a registry of their own (one per proxy, so tests can run several)."""

    def __init__(
        self, model: str, endpoint: str, variant: str, thresholds_ms: tuple[float, ...] = ()
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        constant = (model, endpoint, variant)
        labels = names.CONSTANT_LABELS
        self._constant = constant
        self._requests = Counter(
            names.REQUESTS.removesuffix("_total"),
            "Invocations by the status code the client received.",
            [*labels, names.CODE_LABEL],
            registry=self.registry,
        )
        self.duration = Histogram(
            names.REQUEST_DURATION,
            "Model latency of invocations, in seconds.",
            labels,
            registry=self.registry,
            buckets=names.latency_buckets_seconds(thresholds_ms),
        ).labels(*constant)
        self.in_flight = Gauge(
            names.IN_FLIGHT, "Invocations being served.", labels, registry=self.registry
        ).labels(*constant)
        self.upstream_errors = Counter(
            names.UPSTREAM_ERRORS.removesuffix("_total"),
            "Invocations the model did not answer (502 or 504).",
            labels,
            registry=self.registry,
        ).labels(*constant)
        self.captured = Counter(
            names.CAPTURE_RECORDS.removesuffix("_total"),
            "Capture records written to the object store.",
            labels,
            registry=self.registry,
        ).labels(*constant)
        dropped = Counter(
            names.CAPTURE_DROPPED.removesuffix("_total"),
            "Sampled capture records dropped (the request was served).",
            [*labels, names.REASON_LABEL],
            registry=self.registry,
        )
        self._dropped = {reason: dropped.labels(*constant, reason) for reason in names.DROP_REASONS}
        self._codes: dict[int, Counter] = {}
        self._lock = threading.Lock()

    def request(self, status: int) -> None:
        """Count one invocation answered with ``status``."""
        child = self._codes.get(status)
        if child is None:
            with self._lock:
                child = self._requests.labels(*self._constant, str(status))
                self._codes[status] = child
        child.inc()

    def dropped(self, reason: str, records: int = 1) -> None:
        """Count ``records`` capture records dropped for ``reason`` (``DROP_REASONS``)."""
        self._dropped[reason].inc(records)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
