"""The ``mlops-proxy`` sidecar's Prometheus series: the one place their names and labels are written.

The proxy (``mlops_runtime.proxy``) publishes exactly these; the Kubernetes planner imports the
same names to write its PromQL, so an alert can only select a series the proxy publishes.

Every series carries the constant labels ``mlops_model``, ``mlops_endpoint`` and
``mlops_variant`` (from the proxy's configuration); Prometheus adds the target's own labels
(``namespace``, ``pod``, ``service``, ...) when it scrapes. None of ours is called ``endpoint``,
``namespace``, ``pod``, ``service``, ``job`` or ``instance``: the Prometheus Operator's
ServiceMonitor sets those on every target and a clash would rename ours ``exported_*``.

Only ``POST /invocations`` is counted and timed (``/ping`` and other paths pass through
unmeasured), like SageMaker's ``Invocations`` and ``ModelLatency``.
"""

from __future__ import annotations

from collections.abc import Iterable

# --- labels ---------------------------------------------------------------------------------

MODEL_LABEL = "mlops_model"
"""Model id of the spec (constant per proxy)."""
ENDPOINT_LABEL = "mlops_endpoint"
"""Endpoint name: the workload's name, also the capture key's ``<endpoint>`` part."""
VARIANT_LABEL = "mlops_variant"
"""Variant name, also the capture key's ``<variant>`` part."""
CODE_LABEL = "code"
"""HTTP status code the client received, as text (``"200"``, ``"503"``)."""
REASON_LABEL = "reason"
"""Why a capture record was dropped: one of ``DROP_REASONS``."""
LE_LABEL = "le"
"""Histogram bucket upper bound in seconds (Prometheus's own label)."""

CONSTANT_LABELS = (MODEL_LABEL, ENDPOINT_LABEL, VARIANT_LABEL)

# --- series ---------------------------------------------------------------------------------

REQUEST_DURATION = "mlops_proxy_request_duration_seconds"
"""Histogram of model latency: from the proxy starting to forward an ``/invocations`` request
until the model's whole response is read (SageMaker's ``ModelLatency``, in seconds). Prometheus
exposes ``<name>_bucket{le=...}``, ``<name>_sum`` and ``<name>_count``. Requests the model
never answered (connection refused, timeout) are not observed."""
REQUESTS = "mlops_proxy_requests_total"
"""Counter of ``/invocations`` requests by the status code the client received (``code``),
including the proxy's own 502 (model unreachable), 504 (model timed out) and 413 (payload over
the limit)."""
IN_FLIGHT = "mlops_proxy_in_flight_requests"
"""Gauge of ``/invocations`` requests being served."""
UPSTREAM_ERRORS = "mlops_proxy_upstream_errors_total"
"""Counter of ``/invocations`` requests the model did not answer (the client got 502 or 504)."""
CAPTURE_RECORDS = "mlops_proxy_capture_records_total"
"""Counter of capture records written to the object store."""
CAPTURE_DROPPED = "mlops_proxy_capture_dropped_total"
"""Counter of sampled capture records dropped, by ``reason``; the request itself is served."""

DROP_QUEUE_FULL = "queue_full"
"""The record could not be enqueued: the capture queue was full (the store is slower than the
traffic)."""
DROP_STORE_ERROR = "store_error"
"""The record could not be written: PutObject failed after its retries (or, never seen, the
record could not be serialised)."""
DROP_REASONS = (DROP_QUEUE_FULL, DROP_STORE_ERROR)

SUFFIXED = {
    REQUEST_DURATION: ("_bucket", "_sum", "_count"),
}
"""Series names Prometheus derives from a histogram, by family."""

# --- histogram buckets ------------------------------------------------------------------------

DEFAULT_LATENCY_BUCKETS_MS = (
    5.0,
    10.0,
    25.0,
    50.0,
    100.0,
    250.0,
    500.0,
    1000.0,
    2500.0,
    5000.0,
    10000.0,
    30000.0,
    60000.0,
)
"""Bucket bounds every proxy has, in milliseconds (up to SageMaker's 60 s invocation limit)."""


def latency_buckets_seconds(thresholds_ms: Iterable[float] = ()) -> tuple[float, ...]:
    """Sorted, distinct bucket upper bounds in seconds: the defaults plus every latency
    threshold (milliseconds) of the model's monitors.

    With each threshold a bucket bound, ``histogram_quantile(q, ...) > threshold`` decides
    exactly what the CloudWatch percentile alarm decides (no interpolation error at the
    threshold). ``+Inf`` is implied, as Prometheus adds it."""
    bounds = {float(ms) for ms in (*DEFAULT_LATENCY_BUCKETS_MS, *thresholds_ms)}
    bad = sorted(ms for ms in bounds if not ms > 0 or ms == float("inf"))
    if bad:
        raise ValueError(f"latency thresholds must be positive and finite milliseconds: {bad}")
    return tuple(ms / 1000.0 for ms in sorted(bounds))


def published() -> frozenset[str]:
    """Every series name (as PromQL selects it) the proxy publishes."""
    names = {REQUESTS, IN_FLIGHT, UPSTREAM_ERRORS, CAPTURE_RECORDS, CAPTURE_DROPPED}
    for family, suffixes in SUFFIXED.items():
        names |= {family + suffix for suffix in suffixes}
    return frozenset(names)
